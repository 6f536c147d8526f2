"""Regenerate schemas/data/units_*.csv and successions_*.csv from the PyPI package vietnam-provinces.

Development-time only (sohoa does not depend on the package at run time):

    pip install --no-deps --target /tmp/vp06 vietnam-provinces==0.6.0        # pre-2025 (3 levels)
    pip install --no-deps --target /tmp/vp2025 vietnam-provinces==2025.10.1  # after 1/7/2025
    python scripts/make_unit_seed.py /tmp/vp06 /tmp/vp2025

The former Đắk Nông's successor communes are the Lâm Đồng (68) units of the 2025 data whose GSO
code is one of Đắk Nông's 2021 commune codes: a new commune keeps the code of one of the communes
merged into it (e.g. 24640, thị trấn Ea T'Ling → xã Cư Jút), which gives exactly 28.
"""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "schemas" / "data"
END_2021 = "2025-06-30"
START_2025 = "2025-07-01"
# Spellings corrected against the official names (the package's own spelling differs).
FIXES = {"Huyện Đăk Glong": "Huyện Đắk Glong", "Xã Đắk song": "Xã Đắk Song"}
PREFIXES = [
    ("Thành phố ", "thanh_pho"),
    ("Thị xã ", "thi_xa"),
    ("Thị trấn ", "thi_tran"),
    ("Huyện ", "huyen"),
    ("Phường ", "phuong"),
    ("Xã ", "xa"),
    ("Tỉnh ", "tinh"),
]
FIELDS = ["code", "name", "unit_type", "level", "parent_code", "valid_from", "valid_to", "source"]


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", FIXES.get(s, s))


def unit_type(name: str) -> str:
    for prefix, kind in PREFIXES:
        if name.startswith(prefix):
            return kind
    raise ValueError(name)


def main(v06: Path, v2025: Path) -> None:
    old = json.loads((v06 / "vietnam_provinces/data/nested-divisions.json").read_text("utf-8"))
    new = json.loads((v2025 / "vietnam_provinces/data/nested-divisions.json").read_text("utf-8"))
    src06 = "vietnam-provinces 0.6.0 (PyPI), GSO codes"
    src25 = "vietnam-provinces 2025.10.1 (PyPI), GSO codes after 1/7/2025"
    dn = next(p for p in old if p["code"] == 67)
    rows = [dict(code="67", name=nfc(dn["name"]), unit_type="tinh", level="tinh", parent_code="",
                 valid_from="", valid_to=END_2021, source=src06)]  # fmt: skip
    old_communes: dict[int, str] = {}
    for d in dn["districts"]:
        rows.append(dict(code=str(d["code"]), name=nfc(d["name"]), unit_type=unit_type(nfc(d["name"])),
                         level="huyen", parent_code="67", valid_from="", valid_to=END_2021, source=src06))  # fmt: skip
        for w in d["wards"]:
            name = nfc(w["name"])
            old_communes[w["code"]] = name
            rows.append(dict(code=str(w["code"]), name=name, unit_type=unit_type(name), level="xa",
                             parent_code=str(d["code"]), valid_from="", valid_to=END_2021, source=src06))  # fmt: skip
    _write(OUT / "units_dak_nong_2021.csv", rows, FIELDS)

    ld = next(p for p in new if p["code"] == 68)
    rows = [dict(code="68", name="Tỉnh Lâm Đồng", unit_type="tinh", level="tinh", parent_code="",
                 valid_from=START_2025, valid_to="", source=src25)]  # fmt: skip
    links = [dict(predecessor_code="67", successor_code="68", kind="merge", effective=START_2025,
                  note="Đắk Nông, Lâm Đồng and Bình Thuận merged into Lâm Đồng (68)")]  # fmt: skip
    for d in dn["districts"]:
        links.append(dict(predecessor_code=str(d["code"]), successor_code="", kind="abolish",
                          effective=START_2025, note="district level abolished"))  # fmt: skip
    for w in ld["wards"]:
        if w["code"] not in old_communes:
            continue
        name = nfc(w["name"])
        rows.append(dict(code=str(w["code"]), name=name, unit_type=unit_type(name), level="xa",
                         parent_code="68", valid_from=START_2025, valid_to="", source=src25))  # fmt: skip
        links.append(dict(predecessor_code=str(w["code"]), successor_code=str(w["code"]), kind="merge",
                          effective=START_2025,
                          note=f"{old_communes[w['code']]} → {name} (keeps its code; other predecessors not listed)"))  # fmt: skip
    _write(OUT / "units_lam_dong_2025.csv", rows, FIELDS)
    _write(
        OUT / "successions_2025.csv",
        links,
        ["predecessor_code", "successor_code", "kind", "effective", "note"],
    )


def _write(path: Path, rows: list[dict[str, str]], fields: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{path}: {len(rows)} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
