"""The plan's digitization targets as data, so a report can be checked against any plan.

Plan 392/KH-UBND of Đắk Nông (02/06/2021, carrying out Decision 468/QĐ-TTg) sets the share of
still-valid results of administrative procedures (kết quả giải quyết TTHC còn hiệu lực) that must
be digitized: in 2021 at least 30 % at province level (cấp tỉnh), 20 % at district level (cấp
huyện) and 15 % at commune level (cấp xã); then 20 points more each year at each level, until 100 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

LEVELS: tuple[str, ...] = ("tinh", "huyen", "xa")
"""Administrative levels in report order: province, district, commune."""

LEVEL_LABELS_VI: Mapping[str, str] = MappingProxyType(
    {"tinh": "Cấp tỉnh", "huyen": "Cấp huyện", "xa": "Cấp xã"}
)


def level_label(level: str | None) -> str:
    """The Vietnamese label of a level (``"Cấp tỉnh"``); unknown levels are shown as they are."""
    if level is None:
        return "Không rõ cấp"
    return LEVEL_LABELS_VI.get(level, level)


@dataclass(frozen=True)
class PlanTargets:
    """A plan's yearly targets in percent: ``base`` per level in ``base_year``, plus ``step``
    points a year, capped at ``cap_at``; from ``full_by`` on every level must reach ``cap_at``.

    Plan 392 says both "+20 points a year" and "100 % by 2025"; for the commune level the first
    rule alone gives 95 % in 2025, so ``full_by`` makes the plan's stated end point win.
    """

    name: str
    base_year: int
    base: Mapping[str, float] = field(hash=False)
    step: float
    cap_at: float
    full_by: int | None = None

    def target_for(self, level: str, year: int) -> float | None:
        """The target percentage for ``level`` in ``year``; None before the plan starts or for
        a level the plan does not name."""
        if year < self.base_year or level not in self.base:
            return None
        if self.full_by is not None and year >= self.full_by:
            return float(self.cap_at)
        return float(min(self.base[level] + self.step * (year - self.base_year), self.cap_at))


DAK_NONG_392 = PlanTargets(
    "392/KH-UBND Đắk Nông",
    2021,
    MappingProxyType({"tinh": 30.0, "huyen": 20.0, "xa": 15.0}),
    20.0,
    100.0,
    full_by=2025,
)


def target_for(level: str, year: int, targets: PlanTargets = DAK_NONG_392) -> float | None:
    return targets.target_for(level, year)


class Targets(Protocol):
    """What the report needs of a plan: its name and a target per level and year."""

    @property
    def name(self) -> str: ...

    def target_for(self, level: str, year: int) -> float | None: ...


@dataclass(frozen=True)
class TargetTable:
    """A plan's targets given year by year (the ledger's ``Target`` rows), for plans whose
    figures follow no simple rule. A year after the last one given keeps the last year's target."""

    name: str
    percents: Mapping[tuple[int, str], float] = field(hash=False)

    @classmethod
    def of(cls, name: str, percents: Mapping[tuple[int, str], float]) -> TargetTable:
        return cls(name, MappingProxyType({(int(y), lv): float(p) for (y, lv), p in percents.items()}))

    def target_for(self, level: str, year: int) -> float | None:
        years = [y for (y, lv) in self.percents if lv == level and y <= year]
        return self.percents[(max(years), level)] if years else None


def expand(targets: Targets, years: range) -> dict[tuple[int, str], float]:
    """A rule-based plan written out year by year, e.g. to store it in the ledger and edit it."""
    out: dict[tuple[int, str], float] = {}
    for year in years:
        for level in LEVELS:
            pct = targets.target_for(level, year)
            if pct is not None:
                out[(year, level)] = pct
    return out
