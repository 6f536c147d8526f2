"""Preservation classes (thời hạn bảo quản) turned into object-lock retention.

TT 02/2019/TT-BNV (kept by TT 05/2025) codes a document's preservation period as ``maintenance``:
01 permanent, 02 70 years, 03 50, 04 30, 05 20, 06 10, 07 another period. Vietnamese archival
practice counts the period from the year after the dossier is closed, so a document of year Y in
class 02 is kept until 1 January of Y + 1 + 70. Counting from a calendar year (not from the moment
of upload) keeps the date the same when a crashed run uploads again.

"Permanent" has no end date in S3: it becomes :data:`PERMANENT_YEARS` years of retention. In
COMPLIANCE mode nobody can shorten it, and it can be extended later (a retention date may always
be moved forward), so nothing permanent can expire unnoticed for a century.

Pure: no S3, no database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

GOVERNANCE = "GOVERNANCE"
COMPLIANCE = "COMPLIANCE"
MODES = (GOVERNANCE, COMPLIANCE)

PERMANENT_YEARS = 100
YEARS_BY_CLASS: dict[str, int | None] = {
    "01": PERMANENT_YEARS,
    "02": 70,
    "03": 50,
    "04": 30,
    "05": 20,
    "06": 10,
    "07": None,  # "other": the configured period
}
CLASS_LABELS = {
    "01": "Vĩnh viễn / permanent",
    "02": "70 năm / 70 years",
    "03": "50 năm / 50 years",
    "04": "30 năm / 30 years",
    "05": "20 năm / 20 years",
    "06": "10 năm / 10 years",
    "07": "Khác / other",
}


@dataclass(frozen=True)
class Retention:
    """What an archived object is locked with: ``mode`` until ``retain_until`` (aware UTC)."""

    mode: str
    retain_until: dt.datetime
    maintenance: str
    legal_hold: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"retention mode must be one of {MODES}, got {self.mode!r}")
        if self.retain_until.tzinfo is None:
            raise ValueError("retain_until must be timezone-aware")


def retention_years(maintenance: str, *, other_years: int = 10) -> int:
    """Years of retention of a preservation class; raises ValueError on an unknown code."""
    if maintenance not in YEARS_BY_CLASS:
        raise ValueError(f"unknown preservation class (maintenance) {maintenance!r}; codes 01-07")
    years = YEARS_BY_CLASS[maintenance]
    return other_years if years is None else years


def retention_for(
    maintenance: str,
    year: int,
    *,
    mode: str = GOVERNANCE,
    other_years: int = 10,
    legal_hold: bool = False,
) -> Retention:
    """The retention of a document of ``year`` in preservation class ``maintenance``.

    ``retain_until`` is 1 January (UTC) of ``year + 1 + years``: the period starts the year after.
    """
    years = retention_years(maintenance, other_years=other_years)
    until = dt.datetime(int(year) + 1 + years, 1, 1, tzinfo=dt.UTC)
    return Retention(mode=mode.upper(), retain_until=until, maintenance=maintenance, legal_hold=legal_hold)
