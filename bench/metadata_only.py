"""Benchmark metadata extraction alone, on ground-truth page texts or on cached raw OCR text.

    .venv/bin/python bench/metadata_only.py --source gt --out /tmp/meta-gt
    .venv/bin/python bench/metadata_only.py --source cache --cache /tmp/meta-ocr-cache --out /tmp/meta-ocr
    .venv/bin/python /work/shared/bench/score.py --gt /work/shared/corpus/dev --pred /tmp/meta-gt

Writes ``OUT/<docid>.json`` = ``{"text": ..., "metadata": DocumentMetadata.to_json()}`` so the
corpus scorer can read it. The cache holds one ``<docid>.txt`` per document, pages joined by "\\f"
(raw ``tesseract IMG - -l vie --psm 3`` output), which isolates the parser from the OCR engine.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ocr.metadata import extract_metadata_from_text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", choices=("gt", "cache"), required=True)
    ap.add_argument("--gt", default="/work/shared/corpus/dev", help="corpus folder with <docid>.gt.json")
    ap.add_argument("--cache", default="/tmp/meta-ocr-cache", help="folder with <docid>.txt OCR text")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for gt_path in sorted(Path(a.gt).glob("*.gt.json")):
        gt = json.loads(gt_path.read_text(encoding="utf-8"))
        docid = gt["docid"]
        if a.source == "gt":
            pages = list(gt["pages"])
        else:
            cached = Path(a.cache) / f"{docid}.txt"
            if not cached.exists():
                continue
            pages = cached.read_text(encoding="utf-8").split("\f")
        meta = extract_metadata_from_text(pages)
        record = {"text": "\f".join(pages), "metadata": meta.to_json()}
        (out / f"{docid}.json").write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        n += 1
    print(f"wrote {n} predictions to {out}")


if __name__ == "__main__":
    main()
