"""Benchmark the OCR engine on the dev corpus and write predictions for ``score.py``.

    .venv/bin/python bench/ocr_cer.py --corpus /work/shared/corpus/dev --out OUT [--workers 2]
    .venv/bin/python /work/shared/bench/score.py --gt /work/shared/corpus/dev --pred OUT

Each document is a file or a folder of page images next to ``<docid>.gt.json``. Writes
``OUT/<docid>.json`` = {"text": pages joined by form feed, "metadata": {}} and prints pages/min.
Pages of all documents share one process pool, so a short document does not idle a core.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _doc_inputs(corpus: Path, only: set[str]) -> dict[str, Path]:
    docs = {}
    for gt in sorted(corpus.glob("*.gt.json")):
        docid = gt.name[: -len(".gt.json")]
        if only and docid not in only:
            continue
        candidates = [
            p for p in corpus.iterdir() if p.name.startswith(docid) and not p.name.endswith(".json")
        ]
        exact = [p for p in candidates if p.stem == docid or p.name == docid]
        if exact:
            docs[docid] = exact[0]
    return docs


def _page_count(path: str) -> int:
    from ocr.pages import load_document

    return len(load_document(Path(path)))


def _ocr_one(path: str, index: int, lang: str) -> tuple[str, int, float, int, float]:
    from ocr.engine import ocr_page
    from ocr.pages import load_document

    page = load_document(Path(path))[index]
    result, _ = ocr_page(page, lang=lang)
    return result.text, result.rotation, result.skew, len(result.words), result.confidence


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus/dev"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lang", default="vie")
    ap.add_argument("--only", nargs="*", default=[], help="doc ids to run (default: all)")
    args = ap.parse_args(argv)

    docs = _doc_inputs(args.corpus, set(args.only))
    args.out.mkdir(parents=True, exist_ok=True)
    ctx = multiprocessing.get_context("spawn")
    t0 = time.monotonic()
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=ctx) as pool:
        counts = dict(zip(docs, pool.map(_page_count, [str(p) for p in docs.values()]), strict=True))
        futures = {
            docid: [pool.submit(_ocr_one, str(path), i, args.lang) for i in range(counts[docid])]
            for docid, path in docs.items()
        }
        n_pages = 0
        for docid, fs in futures.items():
            results = [f.result() for f in fs]
            n_pages += len(results)
            text = "\f".join(r[0] for r in results)
            (args.out / f"{docid}.json").write_text(
                json.dumps({"text": text, "metadata": {}}, ensure_ascii=False), encoding="utf-8"
            )
            info = " ".join(f"rot={r[1]} skew={r[2]:+.2f} conf={r[4]:.0f}" for r in results)
            print(f"{docid}: {info}", flush=True)
    elapsed = time.monotonic() - t0
    print(
        f"{n_pages} pages in {elapsed:.1f} s = {n_pages / elapsed * 60:.1f} pages/min"
        f" ({args.workers} workers)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
