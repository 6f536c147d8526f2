#!/usr/bin/env python3
"""CPU time of :func:`ocr.preprocess.prepare` over corpus pages, and a hash of every OCR image.

    .venv/bin/python bench/preprocess_profile.py [--corpus DIR ...] [--hashes OUT.json]
        [--compare OLD.json] [--profile] [--repeat N]

Pages are decoded as ``sohoa extract`` decodes them (``iter_document(..., ink_gray=True)``,
outside the timing); blank pages (:func:`ocr.preprocess.is_blank`) are skipped as the engine
skips them. ``prepare(page, display=False, gray=page.image)`` is then timed per page (process
CPU time, best of ``--repeat``). ``--hashes`` writes the SHA-1 of every page's ``ocr_image`` (and
its rotation and skew); ``--compare`` lists the pages whose OCR image differs from an earlier
run, so a speed change can be shown to leave Tesseract's input identical. ``--profile`` prints
cProfile's top functions by cumulative time. Default corpora: ../shared/corpus/{dev,real}.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cv2  # noqa: E402
from run import docs_of  # noqa: E402 - bench/run.py: a corpus's documents, as make bench takes them

from ocr.pages import iter_document  # noqa: E402
from ocr.preprocess import is_blank, prepare  # noqa: E402

SHARED = ROOT.parent / "shared"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", action="append", type=Path)
    ap.add_argument("--hashes", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", default="", help="substring of the document names to keep")
    args = ap.parse_args()
    cv2.setNumThreads(1)  # as the OCR workers (ocr/workers.py)
    corpora = args.corpus or [SHARED / "corpus" / "dev", SHARED / "corpus" / "real"]
    pages = []
    for corpus in corpora:
        for doc in docs_of(corpus):
            if args.only and args.only not in doc.name:
                continue
            for page in iter_document(doc, ink_gray=True):
                if not is_blank(page.image, page.dpi):
                    pages.append((f"{corpus.name}/{doc.stem}#{page.index}", page))
    prof = cProfile.Profile() if args.profile else None
    hashes, cpu = {}, {}
    for name, page in pages:
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.process_time()
            if prof:
                prof.enable()
            prep = prepare(page, display=False, gray=page.image)
            if prof:
                prof.disable()
            best = min(best, time.process_time() - t0)
        cpu[name] = best
        img = prep.ocr_image
        digest = hashlib.sha1(img.tobytes() + repr(img.shape).encode()).hexdigest()
        hashes[name] = {"sha1": digest, "rotation": prep.rotation, "skew": prep.skew}
    total = sum(cpu.values())
    by_corpus: dict[str, list[float]] = {}
    for name, t in cpu.items():
        by_corpus.setdefault(name.split("/")[0], []).append(t)
    for c, ts in by_corpus.items():
        print(f"{c}: {len(ts)} pages, prepare {sum(ts):.2f} CPU s = {sum(ts) / len(ts):.3f} s/page")
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    if args.hashes:
        args.hashes.write_text(json.dumps(hashes, indent=1), "utf-8")
    changed = []
    if args.compare:
        old = json.loads(args.compare.read_text("utf-8"))
        changed = [n for n in hashes if n in old and old[n]["sha1"] != hashes[n]["sha1"]]
        for n in changed:
            print(f"changed: {n} rotation {old[n]['rotation']}->{hashes[n]['rotation']} "
                  f"skew {old[n]['skew']}->{hashes[n]['skew']}")  # fmt: skip
        print(f"{len(changed)} of {len(hashes)} OCR images differ")
    print(json.dumps({"pages": len(cpu), "cpu_s": round(total, 3), "changed": len(changed)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
