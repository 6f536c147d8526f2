"""Ledger tests on SQLite (always) and PostgreSQL (when reachable on 127.0.0.1:5432, database ``test``).

Each PostgreSQL test works in its own schema (via ``search_path``) and drops it afterwards, so
parallel runs and other users of the ``test`` database are never touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.errors import ConfigError, LedgerError
from schemas.ledger import Document
from schemas.targets import DAK_NONG_392, LEVEL_LABELS_VI, PlanTargets, target_for
from storage.ledger import Ledger, year_bounds

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
UTC = dt.UTC


def _pg_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2).close()
    except Exception:  # noqa: BLE001 - any failure means "skip"
        return False
    return True


@pytest.fixture(scope="module")
def pg_available() -> bool:
    return _pg_reachable()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "sqlite":
        led = Ledger(f"sqlite:///{tmp_path}/sub/ledger.db")
        led.create_all()
        yield led
        led.dispose()
        return
    if not request.getfixturevalue("pg_available"):
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432/test")
    import psycopg

    schema = f"sohoa_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    led = Ledger(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        led.create_all()
        yield led
    finally:
        led.dispose()
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def sha(n: object) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def doc(
    n: object, unit: str = "663", *, at: dt.datetime | None = None, cap: str | None = None, **kw: object
) -> Document:
    values: dict[str, object] = {
        "sha256": sha(n),
        "file_name": f"scan-{n}.pdf",
        "unit_code": unit,
        "cap": cap,
        "archived_at": at or dt.datetime(2024, 6, 1, 3, 0, tzinfo=UTC),
    }
    return Document(**(values | kw))


# --- documents and events ---------------------------------------------------------------------


def test_record_document_is_idempotent(ledger: Ledger) -> None:
    first = ledger.record_document(doc(1), [("received", "intake", ""), ("archived", "archive", "s3://a/b")])
    again = ledger.record_document(
        doc(1, file_name="renamed.pdf"), [("received", "intake", "rerun"), ("archived", "archive", "")]
    )
    assert again.file_name == first.file_name == "scan-1.pdf"  # the existing row wins
    assert [c.documents for c in ledger.counts()] == [1]
    assert [e.kind for e in ledger.events(sha(1))] == ["received", "archived"]
    found = ledger.find_document(sha(1))
    assert found is not None and found.status == "archived"
    assert ledger.find_document(sha(2)) is None


def test_document_round_trip_nfc_and_aware_times(ledger: Ledger) -> None:
    nfd = unicodedata.normalize("NFD", "Về việc cấp Giấy chứng nhận quyền sử dụng đất")
    at = dt.datetime(2024, 3, 5, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    ledger.record_document(
        doc(1, at=at, trich_yeu=nfd, ngay_ban_hanh=dt.date(2024, 3, 1), so_trang=3, ocr_confidence=91.5),
        [],
    )
    row = ledger.find_document(sha(1))
    assert row is not None
    assert row.trich_yeu == unicodedata.normalize("NFC", nfd) != nfd
    assert row.archived_at == at and row.archived_at.tzinfo is not None
    assert row.archived_at.utcoffset() == dt.timedelta(0)
    assert row.ngay_ban_hanh == dt.date(2024, 3, 1)
    assert (row.so_trang, row.ocr_confidence) == (3, 91.5)
    ev = ledger.record_event(sha(1), "verified", "verifier", "ok")
    assert ev.id is not None and ev.at.tzinfo is not None


def test_bad_inputs_are_rejected(ledger: Ledger) -> None:
    with pytest.raises(ValueError):
        ledger.record_document(doc(1, at=dt.datetime(2024, 1, 1)), [])  # naive time
    with pytest.raises(ValueError):
        ledger.record_document(doc(1), [("teleported", "x", "")])
    with pytest.raises(ValueError):
        ledger.record_event("not-a-hash", "ocr", "x", "")
    with pytest.raises(ValueError):
        ledger.upsert_unit("1", "x", "quan")
    assert ledger.find_document(sha(1)) is None  # nothing half-written


def test_level_from_unit_else_cap(ledger: Ledger) -> None:
    ledger.upsert_unit("24640", "Xã Cư Jút", "xa", "662")
    ledger.record_document(doc(1, "24640", cap="tinh"), [])  # unit known: its level wins
    ledger.record_document(doc(2, "99999", cap="huyen"), [])  # unit unknown: cap
    assert ledger.find_document(sha(1)).level == "xa"  # type: ignore[union-attr]
    assert ledger.find_document(sha(2)).level == "huyen"  # type: ignore[union-attr]


def test_quarantine_counts(ledger: Ledger) -> None:
    ledger.record_quarantine("a.pdf", None, "empty_file", "0 bytes")
    ledger.record_quarantine("b.pdf", sha("b"), "encrypted_pdf", "")
    ledger.record_quarantine("Quyết định.pdf", sha("c"), "encrypted_pdf", "")
    assert ledger.quarantine_counts() == {"empty_file": 1, "encrypted_pdf": 2}


# --- report ------------------------------------------------------------------------------------


def test_targets_2021_to_2026() -> None:
    expected = {
        2020: (None, None, None),
        2021: (30.0, 20.0, 15.0),
        2022: (50.0, 40.0, 35.0),
        2023: (70.0, 60.0, 55.0),
        2024: (90.0, 80.0, 75.0),
        2025: (100.0, 100.0, 100.0),
        2026: (100.0, 100.0, 100.0),
    }
    for year, want in expected.items():
        assert tuple(target_for(level, year) for level in ("tinh", "huyen", "xa")) == want
    assert DAK_NONG_392.target_for("phuong", 2024) is None
    assert dict(LEVEL_LABELS_VI) == {"tinh": "Cấp tỉnh", "huyen": "Cấp huyện", "xa": "Cấp xã"}


def test_report_numbers(ledger: Ledger) -> None:
    ledger.upsert_unit("67", "Tỉnh Đắk Nông", "tinh")
    ledger.upsert_unit("663", "Huyện Đắk Mil", "huyen", "67")
    ledger.upsert_unit("24640", "Xã Cư Jút", "xa", "662")
    ledger.upsert_unit("24700", "Xã Nam Dong", "xa", "662")  # registered, nothing yet
    ledger.set_denominator("67", 2024, 10)
    ledger.set_denominator("663", 2024, 5)
    ledger.set_denominator("663", 2024, 8)  # corrected: the last value counts
    ledger.set_denominator("24640", 2024, 20)
    ledger.set_denominator("67", 2023, 1000)  # another year: ignored

    in_2024 = dt.datetime(2024, 7, 1, tzinfo=UTC)
    n = 0

    def add(unit: str, count: int, at: dt.datetime = in_2024, cap: str | None = None) -> None:
        nonlocal n
        for _ in range(count):
            n += 1
            ledger.record_document(doc(n, unit, at=at, cap=cap), [("archived", "test", "")])

    add("67", 4)
    add("663", 8)
    add("24640", 14)
    add("24640", 1, at=dt.datetime(2023, 12, 31, 18, 0, tzinfo=UTC))  # 01:00 on 1/1/2024 in Vietnam
    add("24640", 1, at=dt.datetime(2024, 12, 31, 17, 30, tzinfo=UTC))  # 00:30 on 1/1/2025 in Vietnam
    add("67", 3, at=dt.datetime(2023, 6, 1, tzinfo=UTC))  # last year
    add("99999", 1, cap="xa")  # unregistered unit: level from cap
    add("88888", 2)  # unregistered unit, no cap: unclassified
    ledger.record_document(doc(1, "67"), [])  # a rerun: not counted twice

    report = ledger.report(2024, DAK_NONG_392)
    assert report.year == 2024 and report.plan == "392/KH-UBND Đắk Nông"
    assert report.total_documents == 4 + 8 + 15 + 1 + 2
    assert report.unclassified_documents == 2

    tinh, huyen, xa = report.levels
    assert (tinh.level, tinh.label, tinh.digitized, tinh.denominator) == ("tinh", "Cấp tỉnh", 4, 10)
    assert (tinh.percentage, tinh.target, tinh.on_track) == (40.0, 90.0, False)
    assert (huyen.digitized, huyen.denominator, huyen.percentage, huyen.target, huyen.on_track) == (
        8, 8, 100.0, 80.0, True,
    )  # fmt: skip
    assert (xa.label, xa.digitized, xa.denominator, xa.percentage, xa.target, xa.on_track) == (
        "Cấp xã", 16, 20, 80.0, 75.0, True,
    )  # fmt: skip
    assert xa.units_without_denominator == 2  # 24700 and 99999
    assert tinh.units_without_denominator == 0
    assert [u.code for u in xa.units] == ["24640", "24700", "99999"]
    assert [u.code for u in huyen.units] == ["663"]

    units = {(u.code, u.level): u for u in report.units}
    assert set(units) == {
        ("67", "tinh"), ("663", "huyen"), ("24640", "xa"), ("24700", "xa"), ("99999", "xa"), ("88888", None),
    }  # fmt: skip
    cu_jut = units[("24640", "xa")]
    assert (cu_jut.name, cu_jut.digitized, cu_jut.denominator, cu_jut.percentage) == (
        "Xã Cư Jút",
        15,
        20,
        75.0,
    )
    assert cu_jut.on_track is True  # exactly on target
    nam_dong = units[("24700", "xa")]
    assert (nam_dong.digitized, nam_dong.denominator, nam_dong.percentage, nam_dong.on_track) == (
        0,
        None,
        None,
        None,
    )
    assert units[("99999", "xa")].name is None
    assert units[("88888", None)].target is None
    assert [u.level for u in report.units][:2] == ["tinh", "huyen"]  # report order

    # other years: 2023 has the 3 old province docs over 1000; 2025 has the New Year's Eve doc
    r2023 = ledger.report(2023, DAK_NONG_392)
    assert (r2023.levels[0].digitized, r2023.levels[0].percentage, r2023.levels[0].target) == (3, 0.3, 70.0)
    assert r2023.levels[2].digitized == 0
    assert ledger.report(2025, DAK_NONG_392).levels[2].digitized == 1
    r2020 = ledger.report(2020, DAK_NONG_392)
    assert r2020.levels[0].target is None and r2020.levels[0].on_track is None

    # counts(): derived the same way
    by_unit = {(c.unit_code, c.level): c.documents for c in ledger.counts(2024)}
    assert by_unit == {
        ("67", "tinh"): 4,
        ("663", "huyen"): 8,
        ("24640", "xa"): 15,
        ("99999", "xa"): 1,
        ("88888", None): 2,
    }
    assert sum(c.documents for c in ledger.counts()) == n


def test_report_with_other_targets(ledger: Ledger) -> None:
    ledger.upsert_unit("1", "Tỉnh A", "tinh")
    ledger.set_denominator("1", 2030, 3)
    ledger.record_document(doc(1, "1", at=dt.datetime(2030, 2, 1, tzinfo=UTC)), [])
    plan = PlanTargets("test", 2030, {"tinh": 30}, 10, 100)
    tinh = ledger.report(2030, plan).levels[0]
    assert (tinh.digitized, tinh.denominator, tinh.target, tinh.on_track) == (1, 3, 30.0, True)
    assert tinh.percentage == pytest.approx(33.333333)


def test_year_bounds_are_vietnam_time() -> None:
    start, end = year_bounds(2024)
    assert start.astimezone(UTC) == dt.datetime(2023, 12, 31, 17, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == dt.datetime(2024, 12, 31, 17, 0, tzinfo=UTC)


# --- concurrency and errors -----------------------------------------------------------------------


def test_concurrent_writers(ledger: Ledger) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def writer(t: int) -> None:
        try:
            barrier.wait()
            for i in range(25):
                ledger.record_document(doc(f"{t}-{i}"), [("archived", f"worker-{t}", "")])
                if i == 12:
                    ledger.record_document(doc("shared"), [("archived", f"worker-{t}", "")])
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sum(c.documents for c in ledger.counts()) == 100 + 1
    assert ledger.report(2024, DAK_NONG_392).total_documents == 101
    assert len(ledger.events(sha("shared"))) == 1  # only the writer that inserted it recorded events


def test_unreachable_database_is_transient_ledger_error() -> None:
    led = Ledger("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(LedgerError) as info:
        led.find_document(sha(1))
    assert info.value.transient
    with pytest.raises(LedgerError):
        led.check()


def test_missing_tables_is_ledger_error(tmp_path: Path) -> None:
    with pytest.raises(LedgerError):
        Ledger(f"sqlite:///{tmp_path}/empty.db").find_document(sha(1))


def test_bad_url_is_config_error() -> None:
    with pytest.raises(ConfigError):
        Ledger("mysql://x/y")
    with pytest.raises(ConfigError):
        Ledger("not a url")


def test_sqlite_is_in_wal_mode(tmp_path: Path) -> None:
    led = Ledger(f"sqlite:///{tmp_path}/a/b/ledger.db")
    led.create_all()
    with led.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert (tmp_path / "a" / "b" / "ledger.db").exists()
