#!/usr/bin/env python3
"""Iterate on metadata extraction without re-running OCR: cache OCR word boxes once, re-extract fast.

    .venv/bin/python bench/metadata_cache.py cache ../shared/corpus/real /tmp/ocr-real   # OCR once
    .venv/bin/python bench/metadata_cache.py eval /tmp/ocr-real /tmp/pred-real          # seconds
    .venv/bin/python bench/fields.py --gt ../shared/corpus/real --pred /tmp/pred-real

``cache`` pickles, per document, the :class:`OcrPage` list of :func:`ocr.engine.ocr_document`
(words with boxes and confidences) and page 1's display image (for the blue-ink check), which the
``sohoa extract`` JSON does not keep. A PDF page whose text layer is usable comes from that layer,
as in ``sohoa extract`` (:mod:`ocr.textlayer`), not from OCR. ``eval`` runs :func:`ocr.fields.extract_fields` on them and
writes ``<stem>.json`` in the extract contract (for the scorers) and ``<stem>.fields.json`` (values,
confidences, sources, review reasons, held-back candidates). The pickles are a local cache of our own
objects, read only by this script.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _docs(corpus: Path) -> list[Path]:
    docs = []
    for gt in sorted(corpus.glob("*.gt.json")):
        stem = gt.name[: -len(".gt.json")]
        if (corpus / stem).is_dir():
            docs.append(corpus / stem)
        else:
            docs += [p for p in corpus.glob(stem + ".*") if not p.name.endswith(".gt.json")]
    return docs


def cache(corpus: Path, out: Path) -> None:
    import numpy as np

    from ocr.engine import ocr_document
    from ocr.pages import load_document
    from ocr.textlayer import read_text_layers, to_ocr_page

    out.mkdir(parents=True, exist_ok=True)
    for doc in _docs(corpus):
        stem = doc.name if doc.is_dir() else doc.stem
        dst = out / f"{stem}.pkl"
        if dst.exists():
            continue
        t0 = time.monotonic()
        pages = load_document(doc)
        layers = read_text_layers(doc.read_bytes()) if doc.suffix.lower() == ".pdf" else []
        if len(layers) != len(pages):
            layers = []  # as ocr.extract: pages and layers disagree, OCR them all
        todo = [p for i, p in enumerate(pages) if not (layers and layers[i].usable)]
        ocred = iter(ocr_document(todo, workers=2) if todo else [])
        results = []
        for i, page in enumerate(pages):
            if layers and layers[i].usable:
                ocr = to_ocr_page(
                    layers[i], index=page.index, width_px=page.width, height_px=page.height, dpi=page.dpi
                )
                results.append((ocr, page.image))
            else:
                results.append(next(ocred))
        with dst.open("wb") as f:
            pickle.dump({"pages": [ocr for ocr, _ in results]}, f)
        np.savez_compressed(out / f"{stem}.img.npz", p0=results[0][1])
        print(f"{stem}: {len(results)} page(s), {time.monotonic() - t0:.0f} s", flush=True)


def evaluate(cache_dir: Path, out: Path) -> None:
    import numpy as np

    from ocr.fields import extract_fields

    out.mkdir(parents=True, exist_ok=True)
    for pk in sorted(cache_dir.glob("*.pkl")):
        with pk.open("rb") as f:
            pages = pickle.load(f)["pages"]  # noqa: S301 - our own cache, written by `cache`
        img = pk.with_suffix(".img.npz")
        images = [np.load(img)["p0"]] if img.exists() else None
        result = extract_fields(pages, images=images)
        meta = result.metadata()
        if meta.so_trang is None:
            meta = dataclasses.replace(meta, so_trang=len(pages))
        record = {"text": "\f".join(p.text for p in pages), "metadata": meta.to_json(), "pages": len(pages)}
        (out / f"{pk.stem}.json").write_text(json.dumps(record, ensure_ascii=False), "utf-8")
        (out / f"{pk.stem}.fields.json").write_text(
            json.dumps(result.to_json(), ensure_ascii=False, indent=1), "utf-8"
        )
    print(f"wrote {out}")


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[1] not in ("cache", "eval"):
        print(__doc__, file=sys.stderr)
        return 2
    (cache if sys.argv[1] == "cache" else evaluate)(Path(sys.argv[2]), Path(sys.argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
