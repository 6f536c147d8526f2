#!/usr/bin/env python3
"""A held-out set for the signer fields: synthetic last pages whose seal is as dark as the text.

The dev corpus has 40 signer blocks and the signer rules were tuned on them. This renders the
demo specs of :mod:`ocr.samples` with other signers (name, office and authority chain) and
scans them as a gray or bilevel scanner does (the red seal turns a gray as dark as the text;
on a bilevel page, black), degraded like office scans, and caches each last page in the format
of bench/signer_cache.py (gray OCR image, its clipped-stretch twin and first-pass words), with a
``<stem>.gt.json``:

    flock /tmp/bench.lock .venv/bin/python bench/signer_heldout.py make /tmp/signer-ho 30 0
    .venv/bin/python bench/signer_cache.py eval /tmp/signer-ho /tmp/signer-ho

``<n> <start>``: how many pages and the first seed; the same arguments give the same pages.
A third of the pages are left in colour (the seal stays red: the colour suppression's case).
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# Authority chains of NĐ 30/2020 (the lines above the office) and the office.
CHAINS = [
    (("TM. ỦY BAN NHÂN DÂN",), "CHỦ TỊCH"),
    (("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"), "PHÓ CHỦ TỊCH"),
    (("KT. CHỦ TỊCH",), "PHÓ CHỦ TỊCH"),
    ((), "CHỦ TỊCH"),
    (("KT. GIÁM ĐỐC",), "PHÓ GIÁM ĐỐC"),
    ((), "GIÁM ĐỐC"),
    ((), "TRƯỞNG PHÒNG"),
    (("KT. TRƯỞNG PHÒNG",), "PHÓ TRƯỞNG PHÒNG"),
    (("TL. CHỦ TỊCH",), "CHÁNH VĂN PHÒNG"),
]
# Invented people: common surnames, middle names and given names, and a few of the Highlands.
NAMES = [
    "Nguyễn Thị Hồng Nhung", "Trần Văn Dũng", "Lê Quang Vinh", "Phạm Thị Thu Hà", "Hoàng Minh Tuấn",
    "Vũ Đức Thắng", "Đặng Thị Lan", "Bùi Xuân Trường", "Đỗ Văn Khánh", "Hồ Thị Mỹ Linh",
    "Ngô Thanh Sơn", "Dương Văn Hùng", "Lý Thị Ngọc Ánh", "Y Ngông Niê", "H'Hen Niê",
    "Võ Trọng Nghĩa", "Phan Thị Kim Oanh", "Trương Công Định", "Lâm Văn Phước", "Đinh Thị Huyền",
]  # fmt: skip


def _scan(rgb, rng, mode: str):  # noqa: ANN001, ANN202 - numpy arrays
    import cv2
    import numpy as np

    img = rgb[..., ::-1].astype(np.float32)  # BGR
    if mode != "colour":
        img = np.repeat(img[..., 1:2], 3, axis=2)  # a green-channel sensor: red ink reads dark
    img += rng.standard_normal(img.shape[:2])[..., None] * rng.uniform(0, 8)
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.0))
    img = np.clip(img, 0, 255).astype(np.uint8)
    if mode == "bilevel":
        level = rng.uniform(110, 150)  # the red seal prints black
        return np.where(img[..., :1] < level, 0, 255).astype(np.uint8).repeat(3, axis=2)
    ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 90))])
    return cv2.imdecode(enc, cv2.IMREAD_COLOR) if ok else img


def make(out: Path, n: int, start: int) -> None:
    import numpy as np
    from signer_cache import page_record

    from ocr import samples, tesseract
    from ocr.engine import OCR_PSM
    from ocr.pages import PageImage
    from ocr.preprocess import ink_gray, prepare

    out.mkdir(parents=True, exist_ok=True)
    specs = samples.demo_specs()
    for i in range(start, start + n):
        stem = f"sh_{i:03d}"
        if (out / f"{stem}.pkl").exists():
            continue
        rnd, rng = random.Random(i), np.random.default_rng(i)
        chain, office = rnd.choice(CHAINS)
        spec = dataclasses.replace(
            specs[i % len(specs)], tham_quyen=chain, chuc_vu_nguoi_ky=office, nguoi_ky=rnd.choice(NAMES)
        )
        dpi = rnd.choice([200, 200, 300])
        mode = ("colour", "gray", "bilevel")[i % 3]
        page = samples.render_pages(spec, dpi=dpi, seed=i)[-1]
        image = _scan(page, rng, mode)
        pimg = PageImage(index=0, image=image, dpi=dpi)
        gray = ink_gray(pimg.image)
        prep = prepare(pimg, display=False, gray=gray)
        words, _ = tesseract.recognize(prep.ocr_image, dpi=prep.ocr_dpi, lang="vie", psm=OCR_PSM)
        with (out / f"{stem}.pkl").open("wb") as f:
            pickle.dump(page_record(prep, words), f)
        gt = {"nguoi_ky": spec.nguoi_ky, "chuc_vu_nguoi_ky": office, "scan": mode, "dpi": dpi}
        (out / f"{stem}.gt.json").write_text(json.dumps(gt, ensure_ascii=False), "utf-8")
        print(stem, mode, dpi, " / ".join((*chain, office)), spec.nguoi_ky, flush=True)


def main() -> int:
    if len(sys.argv) != 5 or sys.argv[1] != "make":
        print(__doc__, file=sys.stderr)
        return 2
    make(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
