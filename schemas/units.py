"""Administrative units as data: the seeds shipped with sohoa, with GSO codes and validity periods.

* ``dak-nong-2021`` — Đắk Nông as Plan 392/KH-UBND knew it: province 67, its eight district-level
  units 660–667 and 71 commune-level units (6 phường, 5 thị trấn, 60 xã), all valid until
  30/6/2025 (``schemas/data/units_dak_nong_2021.csv``).
* ``lam-dong-2025`` — from 1/7/2025: no district level; Đắk Nông merged into Lâm Đồng (68) and its
  area became 28 commune-level units (``units_lam_dong_2025.csv``), with the successions
  (``successions_2025.csv``): 67 → 68, the eight districts abolished, and for each new commune the
  2021 commune whose code it kept.

Where the lists come from: the PyPI package ``vietnam-provinces`` (0.6.0 for 2021, 2025.10.1 for
the 2025 units), turned into CSV by ``scripts/make_unit_seed.py``; see ``schemas/data/README.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

DATA = Path(__file__).resolve().parent / "data"

DAK_NONG_2021 = MappingProxyType(
    {
        "67": ("Tỉnh Đắk Nông", "tinh", None),
        "660": ("Thành phố Gia Nghĩa", "huyen", "67"),
        "661": ("Huyện Đắk Glong", "huyen", "67"),
        "662": ("Huyện Cư Jút", "huyen", "67"),
        "663": ("Huyện Đắk Mil", "huyen", "67"),
        "664": ("Huyện Krông Nô", "huyen", "67"),
        "665": ("Huyện Đắk Song", "huyen", "67"),
        "666": ("Huyện Đắk R'Lấp", "huyen", "67"),
        "667": ("Huyện Tuy Đức", "huyen", "67"),
    }
)
"""The province and its district-level units (kept for callers that need no database)."""

REORGANIZATION_2025 = dt.date(2025, 7, 1)


@dataclass(frozen=True)
class SeedUnit:
    code: str
    name: str
    unit_type: str
    level: str
    parent_code: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str


@dataclass(frozen=True)
class SeedSuccession:
    predecessor_code: str
    successor_code: str | None
    kind: str
    effective: dt.date
    note: str


@dataclass(frozen=True)
class Seed:
    name: str
    units: tuple[SeedUnit, ...]
    successions: tuple[SeedSuccession, ...]


SEEDS: dict[str, tuple[str, str | None]] = {
    "dak-nong-2021": ("units_dak_nong_2021.csv", None),
    "lam-dong-2025": ("units_lam_dong_2025.csv", "successions_2025.csv"),
}


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text.strip() else None


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return [{k: unicodedata.normalize("NFC", v) for k, v in row.items()} for row in csv.DictReader(fh)]


def load_seed(name: str) -> Seed:
    """One shipped seed by name (see :data:`SEEDS`)."""
    if name not in SEEDS:
        raise KeyError(f"unknown seed {name!r}; one of {', '.join(SEEDS)}")
    units_file, successions_file = SEEDS[name]
    units = tuple(
        SeedUnit(
            r["code"],
            r["name"],
            r["unit_type"],
            r["level"],
            r["parent_code"] or None,
            _date(r["valid_from"]),
            _date(r["valid_to"]),
            r["source"],
        )  # fmt: skip
        for r in _rows(units_file)
    )
    successions = tuple(
        SeedSuccession(
            r["predecessor_code"], r["successor_code"] or None, r["kind"], _date(r["effective"]), r["note"]
        )  # type: ignore[arg-type]
        for r in (_rows(successions_file) if successions_file else [])
    )
    return Seed(name, units, successions)
