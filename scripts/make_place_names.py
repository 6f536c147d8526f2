"""Regenerate ocr/place_names.json, the names of Vietnam's administrative units, from the PyPI
package vietnam-provinces (development-time only; sohoa does not depend on it at run time):

    pip install --no-deps --target /tmp/vp06 vietnam-provinces==0.6.0        # pre-2025 (3 levels)
    pip install --no-deps --target /tmp/vp2025 vietnam-provinces==2025.10.1  # after 1/7/2025
    python scripts/make_place_names.py /tmp/vp06 /tmp/vp2025

Why: Tesseract loses and swaps the marks of caps header lines ("NGỌC HÔI", "ĐÁK WIL"); a place
name read exactly as some unit is spelled is a second reading of the agency line, one read
differently is not (ocr/fields.py). Only the names are kept (no level word, no codes), NFC.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "ocr" / "place_names.json"
# Official spellings the package writes otherwise (as in scripts/make_unit_seed.py): both kept.
EXTRA = ("Đắk Glong", "Đắk Song")
LEVEL = re.compile(r"^(Thành phố|Tỉnh|Huyện|Quận|Thị xã|Thị trấn|Phường|Xã|Đặc khu)\s+", re.IGNORECASE)


def names(nested: list[dict]) -> set[str]:
    out: set[str] = set()

    def add(unit: dict) -> None:
        name = unicodedata.normalize("NFC", unit["name"]).strip().replace("\u2019", "'")
        name = re.sub(r"'\s+", "'", LEVEL.sub("", name))  # "Ia H' Drai" -> "Ia H'Drai"
        if name and not name.isdigit():
            out.add(name)
        for key in ("districts", "wards"):
            for sub in unit.get(key) or []:
                add(sub)

    for province in nested:
        add(province)
    return out


def main(v06: Path, v2025: Path) -> None:
    all_names: set[str] = set()
    for root in (v06, v2025):
        data = json.loads((root / "vietnam_provinces" / "data" / "nested-divisions.json").read_text("utf-8"))
        all_names |= names(data)
    all_names |= set(EXTRA)
    record = {
        "source": "vietnam-provinces 0.6.0 and 2025.10.1 (PyPI), GSO unit names without the level word",
        "names": sorted(all_names),
    }
    OUT.write_text(json.dumps(record, ensure_ascii=False, indent=0) + "\n", "utf-8")
    print(f"{len(all_names)} names -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
