#!/usr/bin/env python3
"""Iterate on the signer block's second reading (ocr/signer_zone.py) without re-running page OCR.

    flock /tmp/bench.lock .venv/bin/python bench/signer_cache.py cache ../shared/corpus/dev /tmp/signer-dev
    .venv/bin/python bench/signer_cache.py eval /tmp/signer-dev ../shared/corpus/dev   # seconds

``cache`` prepares each document's last page with text (a blank back page is skipped, as the
engine skips it) as :func:`ocr.engine.ocr_page` does and keeps what the second reading starts
from: the gray OCR image (before binarisation), the clipped-stretch image the engine would make
for it (:meth:`ocr.preprocess.Prepared.clipped_gray`, with the CPU seconds that took) and the
page's first-pass words (before :func:`ocr.signer_zone.reread_signer_zone`), pickled per
document. ``eval`` runs the current ``reread_signer_zone`` on them, then
:func:`ocr.fields.extract_fields` on that page alone, and scores ``nguoi_ky`` and
``chuc_vu_nguoi_ky`` against the ground truth: right, missed (empty) and WRONG (filled, not equal),
the documents that are not right (with the held-back candidate), and the re-read's CPU time (all
last pages, and per page re-read; making the clipped image counts where the re-read asks for
it). A document whose truth has no signer fields (the real corpus) gets its two readings printed
instead, to compare runs. The header fields are not meaningful here (one page, the last). The
pickles are a local cache of our own objects.
"""

from __future__ import annotations

import json
import pickle
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

FIELDS = ("nguoi_ky", "chuc_vu_nguoi_ky")


def cache(corpus: Path, out: Path) -> None:
    from metadata_cache import _docs

    from ocr import tesseract
    from ocr.engine import OCR_PSM
    from ocr.pages import load_document
    from ocr.preprocess import ink_gray, is_blank, prepare

    out.mkdir(parents=True, exist_ok=True)
    for doc in _docs(corpus):
        stem = doc.name if doc.is_dir() else doc.stem
        dst = out / f"{stem}.pkl"
        if dst.exists():
            continue
        record = None
        for page in reversed(load_document(doc)):  # the last page with text (a back page may be blank)
            gray = ink_gray(page.image)
            if is_blank(gray, page.dpi):
                continue
            prep = prepare(page, display=False, gray=gray)
            words, _ = tesseract.recognize(prep.ocr_image, dpi=prep.ocr_dpi, lang="vie", psm=OCR_PSM)
            record = page_record(prep, words)
            break
        with dst.open("wb") as f:
            pickle.dump(record, f)
        print(stem, flush=True)


def page_record(prep, words: list) -> dict:  # noqa: ANN001 - ocr.preprocess.Prepared
    """What the second reading starts from: the gray OCR image, the clipped-stretch one (and the
    CPU seconds making it took: the engine makes it only for a page it re-reads) and the words."""
    t0 = time.process_time()
    clipped = prep.clipped_gray()
    cpu = time.process_time() - t0
    return {
        "image": prep.gray,
        "clipped": clipped,
        "clipped_cpu": cpu,
        "dpi": prep.ocr_dpi,
        "words": list(words),
    }


def _norm(value: object) -> str | None:
    return " ".join(unicodedata.normalize("NFC", str(value)).split()).casefold() if value else None


def evaluate(cache_dir: Path, corpus: Path) -> None:
    from ocr import signer_zone
    from ocr.fields import extract_fields
    from schemas.documents import OcrPage

    score = {k: {"right": 0, "missed": 0, "wrong": 0} for k in FIELDS}
    cpu, pages, reread = 0.0, 0, 0
    for pk in sorted(cache_dir.glob("*.pkl")):
        with pk.open("rb") as f:
            record = pickle.load(f)  # noqa: S301 - our own cache, written by `cache`
        gt_path = corpus / f"{pk.stem}.gt.json"
        if record is None:
            continue
        gt = json.loads(gt_path.read_text("utf-8")) if gt_path.exists() else None
        image, dpi, words = record["image"], record["dpi"], record["words"]
        made = []

        def clipped(record: dict = record, made: list = made) -> object:
            made.append(record.get("clipped_cpu", 0.0))
            return record.get("clipped", record["image"])

        t0 = time.process_time()
        again = signer_zone.reread_signer_zone(image, words, dpi=dpi, clipped=clipped)
        cpu += time.process_time() - t0 + sum(made)
        pages += 1
        reread += again is not None
        page = OcrPage(
            index=0,
            width=image.shape[1],
            height=image.shape[0],
            dpi=dpi,
            words=tuple(again if again is not None else words),
            text="",
            confidence=0.0,
        )
        result = extract_fields([page])
        if gt is None or not any(k in gt for k in FIELDS):  # no truth (the real corpus): the readings
            print(
                pk.stem,
                *(f"{k}: {result.value(k)!r} (held back {result.candidates.get(k)!r})" for k in FIELDS),
                sep="\n  ",
            )
            continue
        notes = []
        for key in FIELDS:
            value = result.value(key)
            if _norm(value) == _norm(gt.get(key)):
                score[key]["right"] += 1
                continue
            kind = "missed" if value is None else "wrong"
            score[key][kind] += 1
            notes.append(
                f"{key}: {value!r} ({kind.upper()}; truth {gt.get(key)!r}, held back {result.candidates.get(key)!r})"
            )
        if notes:
            print(pk.stem, *notes, sep="\n  ")
    per = cpu / reread if reread else 0.0
    print(
        json.dumps(
            {
                "fields": score,
                "pages": pages,
                "reread": reread,
                "cpu_s": round(cpu, 2),
                "cpu_s_per_reread": round(per, 3),
            }
        )
    )


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[1] not in ("cache", "eval"):
        print(__doc__, file=sys.stderr)
        return 2
    (cache if sys.argv[1] == "cache" else evaluate)(Path(sys.argv[2]), Path(sys.argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
