#!/usr/bin/env python3
"""A held-out set for the header fields: synthetic page-1 scans the parser was not tuned on.

The dev corpus is small (40 documents) and its OCR is cached: rules tuned on it can overfit.
This makes new first pages from the demo specs of :mod:`ocr.samples` with other numbers, dates
and places (agency and date-line place kept consistent), degrades them like office scans (specks,
toner streaks, noise, blur, JPEG) and caches their OCR in the format of bench/metadata_cache.py:

    .venv/bin/python bench/heldout.py make /tmp/heldout-mild 40 100 --mild
    .venv/bin/python bench/heldout.py make /tmp/heldout-harsh 60 0
    .venv/bin/python bench/metadata_cache.py eval /tmp/heldout-mild /tmp/pred-mild
    .venv/bin/python bench/fields.py --gt /tmp/heldout-mild --pred /tmp/pred-mild

Only the header fields are meaningful (one page: no signer block). ``<n> <start>``: how many
documents and the first seed; the same arguments give the same pages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pickle
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Real district- and commune-level units of the Central Highlands (level word, name).
PLACES = [
    ("HUYỆN", "Cư Jút"), ("HUYỆN", "Krông Nô"), ("HUYỆN", "Đắk Song"), ("HUYỆN", "Tuy Đức"),
    ("HUYỆN", "Đắk Glong"), ("HUYỆN", "Đắk R'Lấp"), ("XÃ", "Ea Pô"), ("XÃ", "Nam Dong"),
    ("XÃ", "Đắk Wil"), ("PHƯỜNG", "Nghĩa Tân"), ("THỊ TRẤN", "Ea T'Ling"), ("HUYỆN", "Sa Thầy"),
    ("HUYỆN", "Ia H'Drai"), ("XÃ", "Ia Hlốp"), ("HUYỆN", "Đắk Hà"), ("XÃ", "Quảng Khê"),
    ("HUYỆN", "Ngọc Hồi"), ("XÃ", "Thuận An"), ("HUYỆN", "Kon Rẫy"), ("XÃ", "Đức Minh"),
]  # fmt: skip


def _degrade(img, rng, mild: bool):  # noqa: ANN001, ANN202 - numpy arrays
    import cv2
    import numpy as np

    h, w = img.shape[:2]
    img = img.astype(np.float32)
    for _ in range(rng.integers(0, 30 if mild else 200)):  # ink specks in the header band
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h // 4))
        cv2.circle(img, (x, y), int(rng.integers(1, 4 if mild else 9)), (60, 60, 60), -1)
    if rng.random() < (0.2 if mild else 0.4):  # a toner streak
        x = int(rng.integers(0, w))
        img[:, x : x + int(rng.integers(3, 25))] *= rng.uniform(0.3, 0.8)
    img += rng.standard_normal(img.shape[:2])[..., None] * rng.uniform(0, 6 if mild else 14)
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 0.9) if mild else rng.uniform(0.5, 1.3))
    img = np.clip(img, 0, 255).astype(np.uint8)
    quality = int(rng.integers(50, 85) if mild else rng.integers(30, 75))
    ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(enc, cv2.IMREAD_COLOR) if ok else img


def make(out: Path, n: int, start: int, mild: bool) -> None:
    import numpy as np

    from ocr import samples
    from ocr.engine import ocr_page
    from ocr.pages import PageImage

    out.mkdir(parents=True, exist_ok=True)
    specs = samples.demo_specs()
    for i in range(start, start + n):
        stem = f"ho_{i:03d}"
        if (out / f"{stem}.pkl").exists():
            continue
        rnd, rng = random.Random(i), np.random.default_rng(i)
        spec = specs[i % len(specs)]
        number = str(rnd.choice([rnd.randint(1, 99), rnd.randint(100, 999), rnd.randint(1000, 2999)]))
        if rnd.random() < 0.3 and len(number) == 1:
            number = "0" + number
        date = dt.date(rnd.randint(2015, 2025), rnd.randint(1, 12), rnd.randint(1, 28))
        change = {"so_ky_hieu": re.sub(r"^\d+", number, spec.so_ky_hieu), "ngay_ban_hanh": date}
        if spec.co_quan_ban_hanh.startswith("ỦY BAN NHÂN DÂN") and spec.co_quan_chu_quan is None:
            level, place = rnd.choice(PLACES)
            change |= {
                "co_quan_ban_hanh": f"ỦY BAN NHÂN DÂN {level} {place.upper()}",
                "dia_danh": place,
                "cap": "huyen" if level == "HUYỆN" else "xa",
            }
        spec = dataclasses.replace(spec, **change)
        dpi = rnd.choice([150, 200, 200, 300])
        page = samples.render_pages(spec, dpi=dpi, seed=i)[0]
        image = _degrade(page[..., ::-1].copy(), rng, mild)
        ocr, display = ocr_page(PageImage(index=0, image=image, dpi=dpi))
        with (out / f"{stem}.pkl").open("wb") as f:
            pickle.dump({"pages": [ocr]}, f)
        np.savez_compressed(out / f"{stem}.img.npz", p0=display)
        gt = {
            k: getattr(spec, k)
            for k in ("so_ky_hieu", "dia_danh", "co_quan_ban_hanh", "loai_van_ban", "cap", "trich_yeu")
        }
        gt |= {"co_quan_chu_quan": spec.co_quan_chu_quan or "", "ngay_ban_hanh": date.isoformat()}
        gt |= {"so_trang": 1, "handwritten": []}
        (out / f"{stem}.gt.json").write_text(json.dumps(gt, ensure_ascii=False), "utf-8")
        print(stem, dpi, spec.so_ky_hieu, flush=True)


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--mild"]
    if len(args) != 4 or args[0] != "make":
        print(__doc__, file=sys.stderr)
        return 2
    make(Path(args[1]), int(args[2]), int(args[3]), "--mild" in sys.argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
