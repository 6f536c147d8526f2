"""Preservation classes → retention dates (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.retention import (
    COMPLIANCE,
    GOVERNANCE,
    PERMANENT_YEARS,
    Retention,
    retention_for,
    retention_years,
)


@pytest.mark.parametrize(
    ("code", "years"), [("01", PERMANENT_YEARS), ("02", 70), ("03", 50), ("04", 30), ("05", 20), ("06", 10)]
)
def test_classes(code: str, years: int) -> None:
    assert retention_years(code) == years
    r = retention_for(code, 2024, mode=COMPLIANCE)
    # the period starts the year after the document's year
    assert r.retain_until == dt.datetime(2025 + years, 1, 1, tzinfo=dt.UTC)
    assert r.mode == COMPLIANCE
    assert r.maintenance == code


def test_other_uses_the_configured_period() -> None:
    assert retention_for("07", 2020, other_years=15).retain_until.year == 2036


def test_rerun_gives_the_same_date() -> None:
    assert retention_for("05", 2023) == retention_for("05", 2023)


@pytest.mark.parametrize("code", ["00", "08", "1", "", "permanent"])
def test_unknown_class_is_refused(code: str) -> None:
    with pytest.raises(ValueError):
        retention_for(code, 2024)


def test_mode_and_timezone_are_checked() -> None:
    with pytest.raises(ValueError):
        Retention("WORM", dt.datetime(2100, 1, 1, tzinfo=dt.UTC), "01")
    with pytest.raises(ValueError):
        Retention(GOVERNANCE, dt.datetime(2100, 1, 1), "01")
    assert retention_for("06", 2024, mode="compliance").mode == COMPLIANCE
