#!/usr/bin/env python3
"""`make bench`: OCR error rates, metadata accuracy and speed on ../shared/corpus.

Runs `sohoa extract` (the real CLI, all cores) over the dev corpus and the real corpus, then the
shared scorers. Needs ../shared (not part of a user's clone): skips with a message without it.
Numbers are printed and also written to bench-out/summary.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SOHOA_SHARED", ROOT.parent / "shared"))
OUT = ROOT / "bench-out"
SOHOA = str(Path(sys.executable).parent / "sohoa")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import ocr_vs_tesseract  # noqa: E402 - bench/ is not a package


def docs_of(corpus: Path) -> list[Path]:
    docs = []
    for gt in sorted(corpus.glob("*.gt.json")):
        stem = gt.name[: -len(".gt.json")]
        folder = corpus / stem
        if folder.is_dir():
            docs.append(folder)
        else:
            docs += [p for p in corpus.glob(stem + ".*") if not p.name.endswith(".gt.json")]
    return docs


def pages_of(corpus: Path) -> int:
    return sum(json.loads(p.read_text("utf-8")).get("so_trang") or 0 for p in corpus.glob("*.gt.json"))


def extract(name: str, corpus: Path, neutral: bool) -> tuple[Path, float]:
    pred = OUT / name
    shutil.rmtree(pred, ignore_errors=True)
    docs = docs_of(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        if neutral:  # real file names encode the answers: copy them to neutral names first
            mapping = {}
            for i, doc in enumerate(docs):
                dst = Path(tmp) / f"doc{i:03d}{doc.suffix}"
                shutil.copy(doc, dst)
                mapping[dst.stem] = doc.stem
            inputs = sorted(Path(tmp).iterdir())
        else:
            mapping, inputs = {}, docs
        env = dict(os.environ, SOHOA_HOME=str(Path(tmp) / "home"))
        t0 = time.monotonic()
        subprocess.run([SOHOA, "extract", *map(str, inputs), "--out", str(pred)], env=env, check=False)
        elapsed = time.monotonic() - t0
        for neutral_stem, stem in mapping.items():
            src = pred / f"{neutral_stem}.json"
            if src.exists():
                src.rename(pred / f"{stem}.json")
    return pred, elapsed


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def fields_score(corpus: Path, pred: Path) -> dict:
    """Per-field exact match and share of wrong (filled, not equal) values: bench/fields.py."""
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fields.py"), "--gt", str(corpus), "--pred", str(pred)],
        capture_output=True,
        text=True,
    )
    print(res.stdout)
    try:
        return last_json(res.stdout)
    except (ValueError, IndexError):
        return {"error": res.stderr[-500:]}


def main() -> int:
    dev, real = SHARED / "corpus" / "dev", SHARED / "corpus" / "real"
    OUT.mkdir(exist_ok=True)
    # OCR vs raw tesseract (CER/WER per degradation, CPU s/page, peak memory): the dev corpus
    # when present, and always the project's own samples.
    summary: dict = {"ocr": ocr_vs_tesseract.run_all([dev] if dev.is_dir() else [], OUT)}
    if not dev.is_dir():
        print(f"bench: {dev} not found; measured the project's samples only", file=sys.stderr)
        (OUT / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), "utf-8")
        return 0
    pred, secs = OUT / "dev-sohoa", summary["ocr"]["dev"]["sohoa"]["wall_s"]
    pages = pages_of(dev)
    res = subprocess.run(
        [sys.executable, str(SHARED / "bench" / "score.py"), "--gt", str(dev), "--pred", str(pred)],
        capture_output=True,
        text=True,
    )
    print(res.stdout)
    summary["dev"] = last_json(res.stdout) | {
        "seconds": round(secs, 1),
        "pages_per_min": round(pages / secs * 60, 1),
    }
    summary["dev_fields"] = fields_score(dev, pred)
    print(f"dev: {pages} pages in {secs:.0f} s = {pages / secs * 60:.1f} pages/min on {os.cpu_count()} cores")
    if real.is_dir():
        pred, secs = extract("real", real, neutral=True)
        res = subprocess.run(
            [sys.executable, str(SHARED / "bench" / "score_real.py"), "--gt", str(real), "--pred", str(pred)],
            capture_output=True,
            text=True,
        )
        print(res.stdout)
        summary["real_fields"] = fields_score(real, pred)
        try:
            summary["real"] = last_json(res.stdout) | {"seconds": round(secs, 1)}
        except (ValueError, IndexError):
            summary["real"] = {"error": res.stderr[-500:]}
    (OUT / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
