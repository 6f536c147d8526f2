"""Issue 7: migrations, unit seeds, register import, the report, the review queue — on SQLite
and (when reachable on 127.0.0.1:5432, database ``test``, one schema per test) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.errors import RegisterInvalid, ReviewError
from schemas.ledger import EARLIEST, Document
from schemas.targets import DAK_NONG_392
from storage.ledger import Ledger, period_bounds
from storage.register import import_register, load_units_seed, read_register

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DSN = "host=127.0.0.1 user=postgres dbname=test"
UTC = dt.UTC
ICT = dt.timezone(dt.timedelta(hours=7))


def _pg_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_DSN, connect_timeout=2).close()
    except Exception:  # noqa: BLE001 - any failure means "skip"
        return False
    return True


@pytest.fixture(scope="module")
def pg_available() -> bool:
    return _pg_reachable()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database (no tables yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ledger.db"
        return
    if not request.getfixturevalue("pg_available"):
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432/test")
    import psycopg

    schema = f"sohoa_t7_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture()
def ledger(db_url: str) -> Iterator[Ledger]:
    led = Ledger(db_url)
    led.create_all()
    yield led
    led.dispose()


def sha(n: object) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def doc(n: object, unit: str, at: dt.datetime, **kw: object) -> Document:
    values: dict[str, object] = {
        "sha256": sha(n),
        "file_name": f"scan-{n}.pdf",
        "unit_code": unit,
        "archived_at": at,
    }
    return Document(**(values | kw))


# --- migrations ---------------------------------------------------------------------------------


def test_migrations_reach_head_and_match_the_models(ledger: Ledger) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    from storage.migrations import current_revision, head_revision

    ledger.create_all()  # a second run is a no-op
    with ledger.engine.connect() as conn:
        assert current_revision(conn) == head_revision() == "0003"
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []


def test_a_ledger_from_before_migrations_is_stamped_and_upgraded(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from storage.migrations import alembic_config, current_revision

    led = Ledger(db_url)
    try:
        with led.engine.begin() as conn:  # the old schema, as create_all() made it, without alembic_version
            command.upgrade(alembic_config(conn), "0001")
            conn.execute(
                text("INSERT INTO unit (code, name, level) VALUES ('663', 'Huyện Đắk Mil', 'huyen')")
            )
            conn.execute(
                text(
                    "INSERT INTO document (sha256, file_name, unit_code, needs_review, status, legal_hold,"
                    " archived_at) VALUES (:sha, 'a.pdf', '663', false, 'archived', false, :at)"
                ),
                {"sha": sha(1), "at": dt.datetime(2024, 5, 1)},
            )
            conn.execute(text("DROP TABLE alembic_version"))
        led.create_all()
        with led.engine.connect() as conn:
            assert current_revision(conn) == "0003"
        [unit] = led.units()
        assert (unit.code, unit.name, unit.valid_from, unit.valid_to) == (
            "663",
            "Huyện Đắk Mil",
            EARLIEST,
            None,
        )
        old = led.find_document(sha(1))
        assert old is not None and old.unit_valid_from == EARLIEST  # back-filled: issued under the one 663
    finally:
        led.dispose()


def test_upgrade_gives_old_documents_the_unit_version_they_were_issued_under(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from storage.migrations import alembic_config

    led = Ledger(db_url)
    try:
        with led.engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0002")
            for vf, vt, name in (
                ("1900-01-01", "2025-06-30", "Thị trấn Ea T'Ling"),
                ("2025-07-01", None, "Xã Cư Jút"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO unit (code, valid_from, valid_to, name, level) VALUES ('24640', :vf, :vt, :n, 'xa')"
                    ),
                    {"vf": dt.date.fromisoformat(vf), "vt": vt and dt.date.fromisoformat(vt), "n": name},
                )
            insert = text(
                "INSERT INTO document (sha256, file_name, unit_code, ngay_ban_hanh, needs_review, status, legal_hold,"
                " archived_at) VALUES (:sha, 'a.pdf', :unit, :issued, false, 'archived', false, :at)"
            )
            for n, unit, issued, at in (
                (1, "24640", dt.date(2025, 6, 30), dt.datetime(2025, 9, 1)),  # issued before the merge
                (2, "24640", None, dt.datetime(2025, 6, 30, 17, 30)),  # 00:30 on 1/7/2025 in Vietnam
                (3, "99999", None, dt.datetime(2024, 1, 1)),
            ):
                conn.execute(insert, {"sha": sha(n), "unit": unit, "issued": issued, "at": at})
        led.create_all()
        got = [led.find_document(sha(n)).unit_valid_from for n in (1, 2, 3)]  # type: ignore[union-attr]
        assert got == [EARLIEST, dt.date(2025, 7, 1), None]
    finally:
        led.dispose()


# --- seeds and the register ---------------------------------------------------------------------


def test_seeds_load_idempotently(ledger: Ledger) -> None:
    first = [load_units_seed(ledger, "dak-nong-2021"), load_units_seed(ledger, "lam-dong-2025")]
    again = [load_units_seed(ledger, "dak-nong-2021"), load_units_seed(ledger, "lam-dong-2025")]
    assert [(x.units, x.successions) for x in first] == [(80, 0), (29, 37)]
    assert [x.successions for x in again] == [0, 0]
    in_2021 = ledger.units(on=dt.date(2021, 6, 2))
    by_level = {lv: [u for u in in_2021 if u.level == lv] for lv in ("tinh", "huyen", "xa")}
    assert [len(by_level[lv]) for lv in ("tinh", "huyen", "xa")] == [1, 8, 71]
    assert sorted(u.code for u in by_level["huyen"]) == [str(c) for c in range(660, 668)]
    types = [u.unit_type for u in by_level["xa"]]
    assert (types.count("phuong"), types.count("thi_tran"), types.count("xa")) == (6, 5, 60)
    after = ledger.units(on=dt.date(2025, 7, 1))
    assert [u.level for u in after].count("huyen") == 0
    assert len([u for u in after if u.level == "xa"]) == 28 and {
        u.code for u in after if u.level == "tinh"
    } == {"68"}
    # code reuse: 24640 is two units, told apart by validity
    names = {u.valid_from: u.name for u in ledger.units() if u.code == "24640"}
    assert names == {EARLIEST: "Thị trấn Ea T'Ling", dt.date(2025, 7, 1): "Xã Cư Jút"}
    links = ledger.successions("67")
    assert [(s.predecessor_code, s.successor_code, s.kind) for s in links] == [("67", "68", "merge")]
    assert ledger.plan_targets(DAK_NONG_392.name).target_for("xa", 2023) == 55.0  # type: ignore[union-attr]


def _write_csv(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def test_register_with_bad_rows_imports_nothing(ledger: Ledger, tmp_path: Path) -> None:
    load_units_seed(ledger, "dak-nong-2021")
    bad = _write_csv(
        tmp_path / "bad.csv",
        "unit_name,unit_code,year,total\nx,67,2024,10\nx,663,2024,abc\nx,99999,2024,5\nx,664,1850,3\n"
        "\nx,665,2024,-2\nx,67,2024,11\nx,,2024,1\n",
    )
    with pytest.raises(RegisterInvalid) as info:
        import_register(ledger, bad)
    lines = dict(info.value.problems)
    assert sorted(lines) == [3, 4, 5, 7, 8, 9]
    assert "not a whole number" in lines[3] and "not a known unit" in lines[4] and "out of range" in lines[5]
    assert "negative" in lines[7] and "already on line 2" in lines[8] and "empty" in lines[9]
    assert ledger.denominators(2024) == {}  # nothing half-imported
    with pytest.raises(RegisterInvalid) as info:
        read_register(_write_csv(tmp_path / "h.csv", "code,year,count\n67,2024,1\n"))
    assert "unit_code" in info.value.problems[0][1]


def test_register_from_xlsx(ledger: Ledger, tmp_path: Path) -> None:
    import openpyxl

    load_units_seed(ledger, "dak-nong-2021")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["Year", "Unit_Code", "Total"], [2024, 67, 10], [2024.0, "663", 8.0], [2025, 24640, 3]):
        sheet.append(row)
    book.save(tmp_path / "reg.xlsx")
    done = import_register(ledger, tmp_path / "reg.xlsx")
    assert (done.rows, done.units, done.years) == (3, 3, (2024, 2025))
    assert ledger.denominators(2024) == {"67": 10, "663": 8}
    sheet.append([2024, 663, 2.5])
    book.save(tmp_path / "reg2.xlsx")
    with pytest.raises(RegisterInvalid) as info:
        import_register(ledger, tmp_path / "reg2.xlsx")
    assert info.value.problems[0][0] == 5


# --- the report (the "done when") ---------------------------------------------------------


def test_report_against_hand_computed_numbers(ledger: Ledger, tmp_path: Path) -> None:
    load_units_seed(ledger, "dak-nong-2021")
    load_units_seed(ledger, "lam-dong-2025")
    import_register(
        ledger,
        _write_csv(
            tmp_path / "r.csv",
            "unit_code;year;total\n67;2024;10\n663;2024;8\n24640;2024;20\n24682;2024;4\n24640;2025;50\n",
        ),
    )
    q3 = dt.datetime(2024, 8, 1, 3, 0, tzinfo=UTC)
    n = 0

    def add(
        unit: str,
        count: int,
        *,
        at: dt.datetime = q3,
        pages: int,
        lag_h: int,
        signed: bool = True,
        **kw: object,
    ) -> None:
        nonlocal n
        for _ in range(count):
            n += 1
            ledger.record_document(
                doc(
                    n,
                    unit,
                    at,
                    so_trang=pages,
                    received_at=at - dt.timedelta(hours=lag_h),
                    signed_sha256=sha(f"s{n}") if signed else None,
                    **kw,
                ),  # fmt: skip
                [("archived", "test", "")],
            )

    add("67", 4, pages=2, lag_h=1)
    add("663", 6, pages=1, lag_h=2)
    add("663", 2, pages=1, lag_h=2, signed=False)
    add("24640", 1, at=dt.datetime(2024, 2, 10, tzinfo=UTC), pages=3, lag_h=3)
    add("24640", 14, pages=3, lag_h=3)
    add(
        "24640",
        1,
        at=dt.datetime(2025, 8, 5, tzinfo=UTC),
        pages=1,
        lag_h=1,
        ngay_ban_hanh=dt.date(2025, 8, 1),
    )
    add("663", 1, at=dt.datetime(2025, 3, 5, tzinfo=UTC), pages=1, lag_h=1, ngay_ban_hanh=dt.date(2025, 3, 1))
    add("663", 1, at=dt.datetime(2025, 9, 5, tzinfo=UTC), pages=1, lag_h=1, ngay_ban_hanh=dt.date(2025, 9, 1))

    targets = ledger.plan_targets(DAK_NONG_392.name)
    assert targets is not None
    rep = ledger.report(2024, targets, now=dt.datetime(2025, 3, 1, tzinfo=UTC))
    tinh, huyen, xa = rep.levels
    assert (tinh.digitized, tinh.denominator, tinh.percentage, tinh.target, tinh.gap, tinh.on_track) == (
        4, 10, 40.0, 90.0, 5, False,
    )  # fmt: skip
    assert (huyen.digitized, huyen.signed, huyen.denominator, huyen.percentage, huyen.gap, huyen.on_track) == (
        8, 6, 8, 100.0, 0, True,
    )  # fmt: skip
    assert (xa.digitized, xa.denominator, xa.percentage, xa.target, xa.gap, xa.on_track) == (
        15,
        24,
        62.5,
        75.0,
        3,
        False,
    )
    assert (len(tinh.units), len(huyen.units), len(xa.units)) == (
        1,
        8,
        71,
    )  # 2021 units only: 2025 ones start later
    assert xa.units_without_denominator == 69
    units = {u.code: u for u in rep.units}
    assert (units["24640"].name, units["24640"].percentage, units["24640"].on_track, units["24640"].gap) == (
        "Thị trấn Ea T'Ling", 75.0, True, 0,
    )  # fmt: skip
    assert (units["24682"].digitized, units["24682"].percentage, units["24682"].gap) == (0, 0.0, 3)
    assert "24682" in rep.units_without_data and "24640" not in rep.units_without_data
    assert len(rep.units_without_data) == 1 + 8 + 71 - 3
    assert rep.total_documents == 27 and rep.days == 366
    assert rep.documents_per_day == pytest.approx(27 / 366)
    assert rep.pages_per_day == pytest.approx((4 * 2 + 8 + 15 * 3) / 366)
    assert rep.median_intake_to_archive_s == 3 * 3600  # 4×1h, 8×2h, 15×3h: the 14th is 3h

    json_rows = rep.rows()
    row = next(r for r in json_rows if r["unit_code"] == "663")
    assert {k: row[k] for k in ("level", "unit_name", "year", "denominator", "digitized", "percent", "target", "on_track")} == {
        "level": "huyen", "unit_name": "Huyện Đắk Mil", "year": 2024, "denominator": 8, "digitized": 8,
        "percent": 100.0, "target": 80.0, "on_track": True,
    }  # fmt: skip

    q1 = ledger.report(2024, targets, quarter=1, now=dt.datetime(2025, 3, 1, tzinfo=UTC))
    assert [lv.digitized for lv in q1.levels] == [0, 0, 1] and q1.days == 91
    assert period_bounds(2024, 4)[1] == dt.datetime(2025, 1, 1, tzinfo=ICT)

    # 2025: the district level ends 30/6; documents keep the unit as issued
    rep25 = ledger.report(2025, targets, now=dt.datetime(2026, 1, 1, tzinfo=UTC))
    t25, h25, x25 = rep25.levels
    assert (h25.digitized, [u.code for u in h25.units if u.digitized]) == (1, ["663"])
    assert {u.code for u in t25.units} == {"67", "68"}
    # code 24640 is two units in 2025: thị trấn Ea T'Ling until 30/6, xã Cư Jút from 1/7
    ea_tling, cu_jut = [u for u in x25.units if u.code == "24640"]
    assert (cu_jut.name, cu_jut.digitized, cu_jut.denominator, cu_jut.percentage, cu_jut.target) == (
        "Xã Cư Jút", 1, 50, 2.0, 100.0,
    )  # fmt: skip
    assert (ea_tling.name, ea_tling.digitized, ea_tling.denominator, ea_tling.valid_to) == (
        "Thị trấn Ea T'Ling", 0, None, dt.date(2025, 6, 30),
    )  # fmt: skip
    assert len(x25.units) == 71 + 28 and x25.denominator == 50
    assert next(r for r in rep25.rows() if r["unit_name"] == "Xã Cư Jút")["unit_valid_from"] == "2025-07-01"
    assert rep25.unclassified_documents == 1  # 663 after 30/6/2025: no such unit any more
    assert [d.unit_code for d in ledger.documents(unit_code="663", year=2024)] == ["663"] * 8


def test_documents_recorded_before_units_get_their_level_when_units_load(ledger: Ledger) -> None:
    ledger.record_document(doc(1, "24640", dt.datetime(2024, 5, 1, tzinfo=UTC), cap="huyen"), [])
    assert ledger.counts(2024)[0].level == "huyen"
    loaded = load_units_seed(ledger, "dak-nong-2021")
    assert loaded.documents_relevelled == 1
    assert [(c.unit_code, c.level) for c in ledger.counts(2024)] == [("24640", "xa")]


# --- review queue -------------------------------------------------------------------------------


def test_review_correction_versions_metadata_and_logs_who(ledger: Ledger, tmp_path: Path) -> None:
    from flows.review import correct_metadata
    from storage.objectstore import LocalFolderStore, put_verified

    store = LocalFolderStore(tmp_path / "archive")
    key = f"663/2024/{sha(1)}"
    put_verified(store, f"{key}/signed.pdf", b"%PDF-1.7 signed bytes", "application/pdf")
    v1 = json.dumps({"sha256": sha(1), "metadata": {"so_ky_hieu": "15/UBND-VF"}}).encode()
    put_verified(store, f"{key}/metadata.json", v1, "application/json")
    ledger.record_document(
        doc(
            1,
            "663",
            dt.datetime(2024, 5, 1, tzinfo=UTC),
            so_ky_hieu="15/UBND-VF",
            needs_review=True,
            metadata_key=f"{key}/metadata.json",
            signed_key=f"{key}/signed.pdf",
            field_meta={
                "so_ky_hieu": {"confidence": 0.3, "source": "ocr"},
                "ngay_ban_hanh": {"needs_review": True, "source": "ocr"},
                "trich_yeu": {"confidence": 0.95, "source": "ocr"},
            },
        ),  # fmt: skip
        [],
    )
    assert [d.sha256 for d in ledger.review_queue()] == [sha(1)]

    c1 = correct_metadata(ledger, store, sha(1), "so_ky_hieu", "15/UBND-VP", "Nguyễn Văn An")
    assert (c1.old, c1.new, c1.metadata_key, c1.needs_review) == (
        "15/UBND-VF",
        "15/UBND-VP",
        f"{key}/metadata.v2.json",
        True,
    )
    c2 = correct_metadata(ledger, store, sha(1), "ngay_ban_hanh", "02/06/2021", "Trần Thị Bình")
    assert (c2.new, c2.metadata_key, c2.needs_review) == (
        dt.date(2021, 6, 2),
        f"{key}/metadata.v3.json",
        False,
    )

    row = ledger.find_document(sha(1))
    assert row is not None and (row.so_ky_hieu, row.ngay_ban_hanh, row.needs_review) == (
        "15/UBND-VP",
        dt.date(2021, 6, 2),
        False,
    )
    assert (
        row.metadata_key == f"{key}/metadata.v3.json"
        and row.field_meta["so_ky_hieu"]["source"] == "archivist"
    )  # type: ignore[index]
    assert ledger.review_queue() == []
    events = [e for e in ledger.events(sha(1)) if e.kind == "corrected"]
    assert [(e.agent, json.loads(e.detail)["old"], json.loads(e.detail)["new"]) for e in events] == [
        ("Nguyễn Văn An", "15/UBND-VF", "15/UBND-VP"), ("Trần Thị Bình", None, "2021-06-02"),
    ]  # fmt: skip
    v3 = json.loads(store.get(f"{key}/metadata.v3.json"))
    assert v3["metadata"] == {"so_ky_hieu": "15/UBND-VP", "ngay_ban_hanh": "2021-06-02"}
    assert (
        v3["version"] == 3 and v3["supersedes"] == f"{key}/metadata.v2.json" and len(v3["corrections"]) == 2
    )
    assert store.get(f"{key}/metadata.json") == v1  # earlier versions are kept as they were
    assert store.get(f"{key}/signed.pdf") == b"%PDF-1.7 signed bytes"  # never rewritten

    with pytest.raises(ReviewError):
        correct_metadata(ledger, store, sha(1), "sha256", "x", "An")
    with pytest.raises(ReviewError):
        correct_metadata(ledger, store, sha(1), "ngay_ban_hanh", "31/02/2021", "An")
    with pytest.raises(ReviewError):
        correct_metadata(ledger, store, sha(2), "so_ky_hieu", "1/QĐ-UBND", "An")


# --- the commands -------------------------------------------------------------------------------


def test_cli_units_register_report(sohoa_home: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app
    from schemas.settings import Settings

    runner = CliRunner()
    assert runner.invoke(app, ["units", "load", "--seed", "dak-nong-2021"]).exit_code == 0
    bad = _write_csv(tmp_path / "bad.csv", "unit_code,year,total\n67,2024,10\n663,2024,many\n")
    res = runner.invoke(app, ["import-register", str(bad)])
    assert res.exit_code == 1 and f"{bad}:3: total 'many' is not a whole number" in res.output.replace(
        "\n", " "
    )
    good = _write_csv(tmp_path / "good.csv", "unit_code,year,total\n67,2024,10\n663,2024,4\n")
    assert runner.invoke(app, ["import-register", str(good)]).exit_code == 0
    led = Ledger(Settings().database)
    led.record_document(doc(1, "663", dt.datetime(2024, 5, 1, tzinfo=UTC), so_ky_hieu="7/QĐ-UBND"), [])
    led.dispose()

    res = runner.invoke(
        app, ["report", "--year", "2024", "--format", "json", "--chart", str(tmp_path / "c.png")]
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    mil = next(r for r in payload["rows"] if r["unit_code"] == "663")
    assert (mil["level"], mil["digitized"], mil["denominator"], mil["percent"], mil["target"], mil["on_track"]) == (
        "huyen", 1, 4, 25.0, 80.0, False,
    )  # fmt: skip
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    res = runner.invoke(
        app, ["report", "--year", "2024", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx")]
    )
    assert res.exit_code == 0
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert next(r for r in rows if r["unit_code"] == "67")["denominator"] == 10

    res = runner.invoke(app, ["report", "--year", "2024", "--unit", "663", "--list"])
    assert res.exit_code == 0 and "7/QĐ-UBND" in res.stdout
    plan = _write_csv(tmp_path / "plan.csv", "year,level,percent\n2024,tinh,50\n2024,huyen,25%\n2024,xa,10\n")
    assert runner.invoke(app, ["units", "targets", str(plan), "--plan", "KH tỉnh khác"]).exit_code == 0
    other = json.loads(
        runner.invoke(app, ["report", "--year", "2024", "--plan", "KH tỉnh khác", "--json"]).stdout
    )
    assert next(r for r in other["rows"] if r["unit_code"] == "663")["target"] == 25.0
    assert other["plan"] == "KH tỉnh khác"
    bad_plan = _write_csv(tmp_path / "bad_plan.csv", "year,level,percent\n2024,quan,50\n2024,xa,120\n")
    res = runner.invoke(app, ["units", "targets", str(bad_plan), "--plan", "x"])
    assert res.exit_code == 1 and ":2:" in res.output and ":3:" in res.output
    csv_out = runner.invoke(app, ["report", "--year", "2024", "--quarter", "3", "--format", "csv"]).stdout
    assert csv_out.splitlines()[0].startswith("row,level,level_label,unit_code")
    assert ",663,Huyện Đắk Mil,,2025-06-30,2024,3,4,0," in csv_out  # nothing archived in Q3


@pytest.mark.slow
def test_report_flow_publishes_artifacts(prefect_server: None, tmp_path: Path) -> None:
    from flows.reporting import report_flow

    url = f"sqlite:///{tmp_path}/l.db"
    led = Ledger(url)
    led.create_all()
    load_units_seed(led, "dak-nong-2021")
    led.set_denominator("67", 2024, 4)
    led.record_document(doc(1, "67", dt.datetime(2024, 5, 1, tzinfo=UTC)), [])
    led.dispose()
    summary = report_flow()(url, 2024, None, DAK_NONG_392.name)
    assert summary["total_documents"] == 1

    from prefect.artifacts import Artifact

    table = Artifact.get("digitization-report-2024")
    markdown = Artifact.get("digitization-report-2024-summary")
    assert table is not None and markdown is not None
    assert "Cấp tỉnh" in str(markdown.data) and "25.0%" in str(markdown.data)
    rows = table.data if isinstance(table.data, list) else json.loads(str(table.data))
    assert next(r for r in rows if r["unit_code"] == "67")["percent"] == 25.0

    from flows.reporting import BatchProgress

    progress = BatchProgress(4)
    for _ in range(3):
        progress.advance()
    bar = Artifact.get(BatchProgress.KEY)
    assert bar is not None and float(bar.data) == 75.0  # type: ignore[arg-type]


def test_workers_starting_at_once_migrate_once(db_url: str) -> None:
    import threading

    from storage.migrations import current_revision, head_revision

    barrier = threading.Barrier(4)
    errors: list[BaseException] = []
    ledgers = [Ledger(db_url) for _ in range(4)]

    def start(led: Ledger) -> None:
        try:
            barrier.wait()
            led.create_all()
            led.upsert_unit("67", "Tỉnh Đắk Nông", "tinh")
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(led,)) for led in ledgers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    try:
        assert errors == []
        with ledgers[0].engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        assert [u.code for u in ledgers[0].units()] == ["67"]
    finally:
        for led in ledgers:
            led.dispose()


def test_cli_review_queue(sohoa_home: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app
    from schemas.settings import Settings
    from storage.objectstore import LocalFolderStore, put_verified

    settings = Settings()
    led = Ledger(settings.database)
    led.create_all()
    key = f"67/2024/{sha(7)}/metadata.json"
    put_verified(LocalFolderStore(Path(settings.archive)), key, b'{"metadata": {}}', "application/json")
    led.record_document(
        doc(
            7,
            "67",
            dt.datetime(2024, 5, 1, tzinfo=UTC),
            metadata_key=key,
            needs_review=True,
            field_meta={"trich_yeu": {"confidence": 0.2, "source": "ocr"}},
        ),  # fmt: skip
        [],
    )
    runner = CliRunner()
    listed = [
        json.loads(line) for line in runner.invoke(app, ["review", "list", "--json"]).stdout.splitlines()
    ]
    assert listed == [
        {"sha256": sha(7), "unit_code": "67", "file_name": "scan-7.pdf", "fields": ["trich_yeu"]}
    ]
    assert "trich_yeu" in runner.invoke(app, ["review", "show", sha(7)[:10]]).stdout
    res = runner.invoke(
        app, ["review", "set", sha(7)[:10], "trich_yeu", "Về việc cấp giấy phép", "--by", "An"]
    )
    assert res.exit_code == 0, res.output
    assert "review done" in res.stdout and "metadata.v2.json" in res.stdout
    assert runner.invoke(app, ["review", "list", "--json"]).stdout.strip() == ""
    bad = runner.invoke(app, ["review", "set", sha(7), "signed_key", "x", "--by", "An"])
    assert bad.exit_code == 1
    led.dispose()
