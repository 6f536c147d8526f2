"""``sohoa report``, ``sohoa import-register``, ``sohoa units load|list`` and ``sohoa review
list|show|set``: the ledger's commands (registered in ``flows/cli.py``)."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from flows import cli as _cli

units_app = typer.Typer(
    help="Administrative units (with GSO codes and validity periods).", no_args_is_help=True
)
review_app = typer.Typer(help="Review queue for doubtful metadata.", no_args_is_help=True)


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"


def _runtime() -> Any:
    settings = _cli._settings()
    from flows.runtime import get_runtime

    try:
        return get_runtime(settings)
    except Exception as exc:  # noqa: BLE001
        _cli._fail_on_config(exc)


def _ledger() -> Any:
    """The ledger alone (no store or signer needed), schema upgraded."""
    settings = _cli._settings()
    from storage.ledger import Ledger

    try:
        ledger = Ledger(settings.database)
        ledger.create_all()
    except Exception as exc:  # noqa: BLE001
        _cli._fail_on_config(exc)
    return ledger


# --- the report ---------------------------------------------------------------------------------


def print_report(report: Any) -> None:
    period = f"{report.year}" + (f" Q{report.quarter}" if getattr(report, "quarter", None) else "")
    table = Table(title=f"Tiến độ số hóa / Digitization progress {period} — {report.plan}")
    for col in (
        "Cấp / Level",
        "Đơn vị / Unit",
        "Đã số hóa / Digitized",
        "Đã ký / Signed",
        "Tổng KQ còn hiệu lực / Register",
        "Tỷ lệ / Share",
        "Chỉ tiêu / Target",
        "Còn thiếu / Gap",
        "Đạt / On track",
    ):
        table.add_column(col)
    for level in report.levels:
        table.add_row(*_report_cells(level.label, "[bold]cả cấp / all[/bold]", level))
        for unit in level.units:
            table.add_row(*_report_cells("", f"{unit.code} {unit.name or '?'}", unit))
    _cli.out.print(table)
    docs_per_day = "—" if report.documents_per_day is None else f"{report.documents_per_day:.2f}"
    pages_per_day = "—" if report.pages_per_day is None else f"{report.pages_per_day:.2f}"
    from flows.reporting import _duration

    _cli.out.print(
        f"{report.total_documents} document(s), {report.unclassified_documents} of unknown level; "
        f"{docs_per_day} documents/day, {pages_per_day} pages/day; median intake → archive "
        f"{_duration(report.median_intake_to_archive_s)}; {len(report.units_without_data)} unit(s) without documents.",
        highlight=False,
    )


def _report_cells(label: str, unit: str, row: Any) -> list[str]:
    pct = "—" if row.percentage is None else f"{row.percentage:.1f}%"
    den = "—" if row.denominator is None else str(row.denominator)
    target = "—" if row.target is None else f"{row.target:.0f}%"
    gap = "—" if row.gap is None else str(row.gap)
    on_track = {True: "[green]có / yes[/green]", False: "[red]chưa / no[/red]", None: "—"}[row.on_track]
    return [label, unit, str(row.digitized), str(row.signed), den, pct, target, gap, on_track]


def report(
    year: Annotated[
        int | None, typer.Option(help="Year to report (default: SOHOA_PLAN_YEAR or this year).")
    ] = None,
    quarter: Annotated[int | None, typer.Option(min=1, max=4, help="Only this quarter (1-4).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (xlsx needs it).")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option(help="Also draw a PNG chart: bars per unit vs target.")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="Drill down: only this unit code.")] = None,
    list_docs: Annotated[
        bool, typer.Option("--list", help="List the documents behind the figures and the units with no data.")
    ] = False,
    plan: Annotated[
        str | None,
        typer.Option(help="Targets stored in the ledger under this plan name (default: Plan 392)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    artifacts: Annotated[
        bool, typer.Option(help="Also publish the report as Prefect artifacts (a `report` flow run).")
    ] = False,
) -> None:
    """Per level and unit: register total, digitized, signed, share, target, gap, on track; plus
    throughput and median intake→archive time."""
    from flows import reporting
    from schemas.targets import DAK_NONG_392

    settings = _cli._settings()
    ledger = _ledger()
    year = year or settings.plan_year or dt.date.today().year
    targets = (ledger.plan_targets(plan or DAK_NONG_392.name)) or DAK_NONG_392
    if plan and targets is DAK_NONG_392 and plan != DAK_NONG_392.name:
        _cli.err.print(f"[red]No targets stored for plan {plan!r}.[/red]")
        raise typer.Exit(2)
    rep = ledger.report(year, targets, quarter=quarter)
    if as_json:
        fmt = Format.JSON
    if list_docs:
        _print_drill_down(ledger, rep, unit, year, quarter)
        raise typer.Exit(0)
    if unit is not None:
        rep = _only_unit(rep, unit)
    if fmt is Format.TABLE:
        print_report(rep)
    elif fmt is Format.XLSX:
        if out_file is None:
            _cli.err.print("[red]--format xlsx needs --out FILE.xlsx[/red]")
            raise typer.Exit(2)
        reporting.to_xlsx(rep, out_file)
        _cli.err.print(f"Report written to {out_file}")
    else:
        text = reporting.to_json(rep) if fmt is Format.JSON else reporting.to_csv(rep)
        if out_file is not None:
            out_file.write_text(text, "utf-8")
            _cli.err.print(f"Report written to {out_file}")
        else:
            print(text, end="" if text.endswith("\n") else "\n")
    if chart is not None:
        bars = reporting.render_chart(rep, chart)
        _cli.err.print(f"Chart written to {chart} ({bars} unit(s) with a register total)")
    if artifacts:
        reporting.report_flow()(settings.database, year, quarter, targets.name)
        _cli.err.print("Published Prefect artifacts (table and markdown summary).")


def _only_unit(rep: Any, code: str) -> Any:
    import dataclasses

    levels = tuple(
        dataclasses.replace(lv, units=tuple(u for u in lv.units if u.code == code)) for lv in rep.levels
    )
    return dataclasses.replace(rep, levels=levels, units=tuple(u for u in rep.units if u.code == code))


def _print_drill_down(ledger: Any, rep: Any, unit: str | None, year: int, quarter: int | None) -> None:
    docs = ledger.documents(unit_code=unit, year=year, quarter=quarter)
    table = Table(
        title=f"Documents {year}" + (f" Q{quarter}" if quarter else "") + (f", unit {unit}" if unit else "")
    )
    for col in ("sha256", "unit", "level", "số ký hiệu", "ngày ban hành", "status", "archived at", "review"):
        table.add_column(col)
    for d in docs:
        table.add_row(
            d.sha256[:16],
            d.unit_code,
            d.level or d.cap or "?",
            d.so_ky_hieu or "",
            d.ngay_ban_hanh.isoformat() if d.ngay_ban_hanh else "",
            d.status,
            d.archived_at.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%Y-%m-%d %H:%M"),
            "yes" if d.needs_review else "",
        )
    _cli.out.print(table)
    if unit is None:
        names = {u.code: u.name for u in rep.units}
        missing = [f"{c} {names.get(c) or ''}".strip() for c in rep.units_without_data]
        _cli.out.print(
            f"[bold]Units with no documents ({len(missing)}):[/bold] " + ("; ".join(missing) or "none")
        )
        no_register = [f"{u.code}" for u in rep.units if u.denominator is None]
        _cli.out.print(
            f"[bold]Units without a register total ({len(no_register)}):[/bold] "
            + (", ".join(no_register) or "none")
        )


# --- register and units -------------------------------------------------------------------------


def import_register(
    file: Annotated[
        Path, typer.Argument(help="Register: .csv (UTF-8) or .xlsx with columns unit_code, year, total.")
    ],
) -> None:
    """Import an office register: still-valid results per unit and year (the report's denominators).

    Every row is checked first; if any row is bad, each one is listed with its line number and
    nothing is imported.
    """
    from schemas.errors import RegisterInvalid
    from storage.register import import_register as do_import

    ledger = _ledger()
    try:
        done = do_import(ledger, file)
    except RegisterInvalid as exc:
        _cli.err.print(f"[red]{exc.reason}[/red]: {exc.message_en}\n  {exc.message_vi}")
        for line, why in exc.problems:
            _cli.err.print(f"  {file}:{line}: {why}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    _cli.out.print(
        f"Imported {done.rows} row(s) for {done.units} unit(s), year(s) {', '.join(map(str, done.years))}."
    )


@units_app.command("load")
def units_load(
    seed: Annotated[
        list[str] | None, typer.Option(help="dak-nong-2021 and/or lam-dong-2025 (default: both).")
    ] = None,
) -> None:
    """Load the shipped unit seeds (GSO codes, validity periods, successions) and Plan 392's targets.
    Loading again changes nothing."""
    from schemas.units import SEEDS
    from storage.register import load_units_seed

    ledger = _ledger()
    for name in seed or list(SEEDS):
        if name not in SEEDS:
            _cli.err.print(f"[red]unknown seed {name!r}[/red]; one of {', '.join(SEEDS)}")
            raise typer.Exit(2)
        loaded = load_units_seed(ledger, name)
        _cli.out.print(
            f"{name}: {loaded.units} unit(s), {loaded.successions} new succession(s), "
            f"{loaded.documents_relevelled} document(s) re-levelled"
        )


@units_app.command("list")
def units_list(
    on: Annotated[str | None, typer.Option(help="Only units valid on this day (YYYY-MM-DD).")] = None,
    level: Annotated[str | None, typer.Option(help="tinh, huyen or xa.")] = None,
) -> None:
    """List unit versions with their validity."""
    ledger = _ledger()
    day = dt.date.fromisoformat(on) if on else None
    table = Table()
    for col in ("code", "name", "type", "level", "parent", "valid from", "valid to"):
        table.add_column(col)
    for u in ledger.units(on=day, level=level):
        table.add_row(
            u.code, u.name, u.unit_type or "", u.level, u.parent_code or "",
            "" if u.valid_from.year == 1900 else u.valid_from.isoformat(), u.valid_to.isoformat() if u.valid_to else "",
        )  # fmt: skip
    _cli.out.print(table)


# --- review queue -------------------------------------------------------------------------------


@review_app.command("list")
def review_list(
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Documents whose metadata needs an archivist's check, with the doubtful fields."""
    from storage.ledger import flagged_fields

    docs = _ledger().review_queue(limit)
    if as_json:
        for d in docs:
            print(json.dumps({"sha256": d.sha256, "unit_code": d.unit_code, "file_name": d.file_name,
                              "fields": flagged_fields(d)}, ensure_ascii=False))  # fmt: skip
        return
    table = Table(title=f"Cần kiểm tra / Needs review: {len(docs)}")
    for col in ("sha256", "unit", "file", "số ký hiệu", "fields to check"):
        table.add_column(col)
    for d in docs:
        table.add_row(d.sha256, d.unit_code, d.file_name, d.so_ky_hieu or "", ", ".join(flagged_fields(d)))
    _cli.out.print(table)


@review_app.command("show")
def review_show(sha256: Annotated[str, typer.Argument(help="The document's SHA-256.")]) -> None:
    """A document's metadata with each field's source and confidence, and its history."""
    from storage.ledger import CORRECTABLE_FIELDS, flagged_fields

    ledger = _ledger()
    doc = _find(ledger, sha256)
    flagged = set(flagged_fields(doc))
    table = Table(title=f"{doc.sha256}  {doc.file_name}  (unit {doc.unit_code})")
    for col in ("field", "value", "source", "confidence", "check"):
        table.add_column(col)
    meta = doc.field_meta or {}
    for name in CORRECTABLE_FIELDS:
        m = meta.get(name) or {}
        value = getattr(doc, name)
        table.add_row(
            name, "" if value is None else str(value), str(m.get("source", "")),
            "" if m.get("confidence") is None else str(m.get("confidence")), "[red]check[/red]" if name in flagged else "",
        )  # fmt: skip
    _cli.out.print(table)
    _cli.out.print(f"metadata: {doc.metadata_key}   signed: {doc.signed_key}", highlight=False)
    for ev in ledger.events(doc.sha256):
        _cli.out.print(
            f"  {ev.at.isoformat(timespec='seconds')} {ev.kind:<11} {ev.agent}: {ev.detail}", highlight=False
        )


@review_app.command("set")
def review_set(
    sha256: Annotated[str, typer.Argument(help="The document's SHA-256.")],
    field: Annotated[str, typer.Argument(help="Field name, e.g. so_ky_hieu, ngay_ban_hanh, trich_yeu.")],
    value: Annotated[
        str, typer.Argument(help="The correct value (dates: YYYY-MM-DD or DD/MM/YYYY; empty clears).")
    ],
    by: Annotated[str, typer.Option("--by", help="Who corrects (logged).")],
) -> None:
    """Correct one field: logged with who and when; the archived metadata JSON gets a new version;
    the signed PDF is never rewritten."""
    from flows.review import correct_metadata
    from schemas.errors import SohoaError

    rt = _runtime()
    doc = _find(rt.ledger, sha256)
    try:
        c = correct_metadata(rt.ledger, rt.store, doc.sha256, field, value, by)
    except SohoaError as exc:
        _cli.err.print(f"[red]{exc.reason}[/red]: {exc}\n  {exc.message_vi}")
        raise typer.Exit(1) from exc
    _cli.out.print(
        f"{c.field}: {c.old!r} → {c.new!r} by {c.by}; metadata {c.metadata_key}; "
        f"{'still needs review' if c.needs_review else 'review done'}",
        highlight=False,
    )


def _find(ledger: Any, prefix: str) -> Any:
    """A document by its full SHA-256 or an unambiguous prefix of at least 8 hex digits."""
    prefix = prefix.strip().lower()
    if len(prefix) == 64:
        doc = ledger.find_document(prefix)
        if doc is not None:
            return doc
    elif len(prefix) >= 8:
        matches = ledger.find_by_prefix(prefix)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            _cli.err.print(f"[red]{prefix} matches {len(matches)} documents; give more digits[/red]")
            raise typer.Exit(2)
    _cli.err.print(f"[red]no document {prefix}[/red]")
    raise typer.Exit(1)


@units_app.command("targets")
def units_targets(
    file: Annotated[Path, typer.Argument(help="CSV with columns year, level (tinh|huyen|xa), percent.")],
    plan: Annotated[str, typer.Option(help="The plan's name, used by `sohoa report --plan`.")],
) -> None:
    """Store a plan's targets year by year (e.g. another province's plan), replacing that plan's."""
    from schemas.errors import RegisterInvalid
    from storage.register import read_targets

    ledger = _ledger()
    try:
        percents = read_targets(file)
    except RegisterInvalid as exc:
        for line, why in exc.problems:
            _cli.err.print(f"  {file}:{line}: {why}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    ledger.set_targets(plan, percents)
    _cli.out.print(f"Plan {plan!r}: {len(percents)} target(s) stored.")
