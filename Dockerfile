# The sohoa worker image: Tesseract with Vietnamese data, poppler, fonts, and sohoa.
# Used by docker-compose.yml for the `worker` and `fixity` services.
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils \
      fonts-liberation2 fonts-dejavu-core fonts-dejavu-extra \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
# gcc only builds ocr/native/leptonica.c (faster Leptonica parts for Tesseract), then goes.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install --no-cache-dir . 'psycopg[binary]>=3.1' \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
# Run as an ordinary user; /data (SOHOA_HOME) is a volume initialised with this ownership.
RUN useradd --create-home --uid 1000 sohoa && mkdir -p /data/inbox && chown -R sohoa /data
USER sohoa
ENV SOHOA_HOME=/data PYTHONUNBUFFERED=1
ENTRYPOINT []
CMD ["sohoa", "watch", "--poll"]
