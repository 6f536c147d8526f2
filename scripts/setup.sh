#!/usr/bin/env bash
# Idempotent set-up on Debian 12 (run as root, or with sudo available): system packages that are
# missing, then .venv with sohoa and its test tools. Safe to run again; does nothing twice.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd   # OCR engine, Vietnamese and orientation data
  poppler-utils qpdf                                  # pdftoppm / pdftotext / pdffonts; qpdf checks PDF structure in tests
  fonts-liberation2 fonts-dejavu-core fonts-dejavu-extra  # fonts with Vietnamese glyphs (not fonts-liberation 1.07)
  python3 python3-venv python3-dev
  gcc libc6-dev                                       # builds ocr/native/leptonica.c (faster Leptonica parts for Tesseract)
  softhsm2                                            # a PKCS#11 token for the signing tests (USB-token stand-in)
  docker-compose                                      # `docker-compose config` checks docker-compose.yml in tests (no engine needed)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# python3 from elsewhere (pyenv, a newer Debian) is fine when it has venv and is >= 3.11.
if command -v python3 >/dev/null && python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  filtered=()
  for pkg in "${missing[@]}"; do [[ "$pkg" == python3* ]] || filtered+=("$pkg"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.sohoa-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ] \
   || [ ocr/native/leptonica.c -nt "$stamp" ] || ! compgen -G 'ocr/_leptonica*.so' >/dev/null; then
  echo "setup: installing sohoa into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
.venv/bin/python - <<'PY'
import shutil, subprocess, sys
langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
missing = [l for l in ("vie", "osd") if l not in langs]
if missing or not shutil.which("pdftoppm"):
    sys.exit(f"setup: Tesseract language data {missing} or poppler missing after install")
from ocr import tesseract
if tesseract._library() is not None and tesseract._load_native() is None:
    print("setup: warning: ocr/native/leptonica.c not built or its self-checks failed; Tesseract keeps "
          "Leptonica's own functions (same results, slower)", file=sys.stderr)
PY
echo "setup: ready (.venv/bin/sohoa)"
