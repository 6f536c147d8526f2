#!/usr/bin/env python3
"""Signing and verification time per document, per PAdES level, against the loopback test PKI.

    .venv/bin/python bench/signing.py [--runs 15] [--pages 1]

The TSA and OCSP/CRL responders run on 127.0.0.1 (:class:`signing.testpki.TestPki`), so the
numbers are the cost of signing itself (pyHanko, RSA 2048, font subsetting, DSS) plus loopback
round trips; a real TSA over the internet adds its own latency (typically 50–300 ms per call).
"sign CPU ms" (process time, server threads included) is the figure to compare across runs on a
busy machine; wall-clock medians grow with the load. The first signature of a process pays the font rescaling (~1 s) and is excluded (warm-up).
Prints a table and writes bench-out/signing.json.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402
from pypdf import PdfWriter  # noqa: E402

from signing.sign import LEVELS, sign_pdf  # noqa: E402
from signing.testpki import TestPki  # noqa: E402
from signing.verify import verify_pdf  # noqa: E402


def scan_like_pdf(pages: int) -> bytes:
    """A4 pages at 150 dpi with some grey blocks: the size class of a scanned one-page result."""
    imgs = []
    for p in range(pages):
        img = Image.new("L", (1240, 1754), 255)
        draw = ImageDraw.Draw(img)
        for i in range(30):
            draw.rectangle((100, 200 + i * 45, 1100 - (i * 37 + p * 11) % 500, 225 + i * 45), fill=40)
        imgs.append(img)
    buf = io.BytesIO()
    imgs[0].save(buf, format="PDF", resolution=150.0, save_all=True, append_images=imgs[1:])
    w = PdfWriter(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--pages", type=int, default=1)
    args = ap.parse_args()

    pdf = scan_like_pdf(args.pages)
    results: dict[str, dict[str, float]] = {}
    with TestPki() as pki:
        p12 = pki.p12(pki.signer, b"pw")
        roots = [pki.root.pem]

        def sign(level: str) -> bytes:
            return sign_pdf(
                pdf, p12=p12, password=b"pw", agency_name="SỞ THỬ NGHIỆM", level=level,
                tsa_url=pki.tsa_url, trust_roots=roots,
            )  # fmt: skip

        sign("B-B")  # warm-up: font rescaling, imports
        for level in LEVELS:
            sign_ms, sign_cpu_ms, verify_ms, sizes = [], [], [], []
            for _ in range(args.runs):
                t0, c0 = time.perf_counter(), time.process_time()
                out = sign(level)
                t1, c1 = time.perf_counter(), time.process_time()
                report = verify_pdf(out, trust_roots=roots, allow_fetching=level in ("B-B", "B-T"))
                t2 = time.perf_counter()
                assert report.ok, (level, report.reasons)
                sign_ms.append((t1 - t0) * 1000)
                sign_cpu_ms.append((c1 - c0) * 1000)
                verify_ms.append((t2 - t1) * 1000)
                sizes.append(len(out) - len(pdf))
            results[level] = {
                "sign_median_ms": round(statistics.median(sign_ms), 1),
                "sign_p90_ms": round(sorted(sign_ms)[int(0.9 * (len(sign_ms) - 1))], 1),
                "sign_cpu_median_ms": round(statistics.median(sign_cpu_ms), 1),
                "verify_median_ms": round(statistics.median(verify_ms), 1),
                "bytes_added": int(statistics.median(sizes)),
            }
    print(f"input: {args.pages} page(s), {len(pdf)} bytes; {args.runs} runs per level")
    print(
        f"{'level':<7} {'sign median ms':>15} {'sign p90 ms':>12} {'sign CPU ms':>12} {'verify median ms':>17} "
        f"{'bytes added':>12}"
    )
    for level, r in results.items():
        print(
            f"{level:<7} {r['sign_median_ms']:>15} {r['sign_p90_ms']:>12} {r['sign_cpu_median_ms']:>12} "
            f"{r['verify_median_ms']:>17} {r['bytes_added']:>12}"
        )
    out_dir = ROOT / "bench-out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "signing.json").write_text(
        json.dumps({"runs": args.runs, "pages": args.pages, **results}, indent=2)
    )


if __name__ == "__main__":
    main()
