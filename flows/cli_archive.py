"""Archive commands: ``sohoa hold``, ``sohoa fixity``, ``sohoa export``.

Registered in :mod:`flows.cli`. Exit codes as there: 0 success; 1 the archive is not as the
ledger says (fixity problems, export refused) or the document is unknown; 2 configuration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def _cli() -> Any:
    from flows import cli

    return cli


def hold(
    sha256: Annotated[str, typer.Argument(help="SHA-256 of the document's original scan (see the ledger).")],
    release: Annotated[
        bool, typer.Option("--release", help="Release the hold instead of setting it.")
    ] = False,
    by: Annotated[str, typer.Option("--by", help="Who orders it (recorded in the ledger).")] = "archivist",
    reason: Annotated[str, typer.Option("--reason", help="Why (case number, request...).")] = "",
) -> None:
    """Set (or --release) a legal hold on every archived object of a document.

    While a hold is on, no object of the document can be deleted, whatever its retention date.
    """
    cli = _cli()
    settings = cli._settings()
    from flows.runtime import get_runtime

    try:
        rt = get_runtime(settings)
        doc = rt.ledger.find_document(sha256.strip().lower())
    except ValueError as exc:
        cli.err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    except Exception as exc:  # noqa: BLE001
        cli._fail_on_config(exc)
    if doc is None:
        cli.err.print(f"[red]No archived document with SHA-256 {sha256}[/red]")
        raise typer.Exit(1)
    from flows.export import _objects_of
    from schemas.errors import SohoaError

    on = not release
    try:
        for key, version_id, _ in _objects_of(doc):
            rt.store.set_legal_hold(key, on, version_id=version_id)
            cli.out.print(f"{'held    ' if on else 'released'} {rt.store.uri(key)}", highlight=False)
        rt.ledger.set_legal_hold(doc.sha256, on, by, reason)
    except SohoaError as exc:
        cli.err.print(f"[red]{exc.reason}[/red]: {exc}\n  {exc.message_vi}")
        raise typer.Exit(1) from exc


def fixity(
    sample: Annotated[
        int | None, typer.Option("--sample", help="Check N documents chosen at random (default: all).")
    ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Only this unit's documents.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the random sample.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as one JSON object.")] = False,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Stay up and run on --cron through Prefect (needs PREFECT_API_URL)."),
    ] = False,
    cron: Annotated[
        str, typer.Option("--cron", help="Schedule for --serve, cron syntax, Vietnam time.")
    ] = "0 2 * * *",
) -> None:
    """Re-hash archived objects against the ledger and report any missing or changed one.

    Exit 1 when anything is missing or changed. Each problem is also recorded as a ``fixity``
    event on its document.
    """
    cli = _cli()
    settings = cli._settings()
    if serve:
        from flows.fixity import serve as serve_fixity

        try:
            serve_fixity(cron, sample=sample)
        except ValueError as exc:
            cli.err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        return
    import os

    from flows.fixity import fixity as fixity_flow
    from flows.fixity import run_check

    try:
        if os.environ.get("PREFECT_API_URL"):  # a Prefect server: the run shows in its UI
            report = fixity_flow(sample=sample, unit=unit, seed=seed, fail=False)
        else:  # by hand, no server: do not start an ephemeral one just for this
            report = run_check(sample, unit, seed).to_json()
    except Exception as exc:  # noqa: BLE001
        cli._fail_on_config(exc)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, default=str), flush=True)
    else:
        for p in report["problems"]:
            cli.out.print(f"[red]{p['problem']:<8}[/red] {p['key']}\n         {p['detail']}", highlight=False)
        status = "[green]OK[/green]" if report["ok"] else f"[red]{len(report['problems'])} problem(s)[/red]"
        cli.out.print(
            f"Fixity {status}: {report['documents_checked']} of {report['documents_in_ledger']} documents, "
            f"{report['objects_checked']} objects, {report['bytes_hashed'] / 1e6:.1f} MB "
            f"({settings.archive})"
        )
    raise typer.Exit(0 if report["ok"] else 1)


def export(
    out_dir: Annotated[Path, typer.Argument(help="New folder for the package (must not exist).")],
    unit: Annotated[str, typer.Option("--unit", help="Unit code (mã đơn vị).")],
    year: Annotated[int, typer.Option("--year", help="Year in the archive keys (year of issue).")],
) -> None:
    """Write a hand-over package (BagIt: files, SHA-256 manifest, TT 02/2019 metadata, PREMIS events)."""
    cli = _cli()
    settings = cli._settings()
    from flows.export import export_package
    from flows.runtime import get_runtime
    from schemas.errors import SohoaError

    try:
        rt = get_runtime(settings)
        docs = rt.ledger.archived_documents(unit_code=unit, key_year=year)
        if not docs:
            cli.err.print(f"No archived documents of unit {unit} in {year}.")
            raise typer.Exit(1)
        events = {d.sha256: rt.ledger.events(d.sha256) for d in docs}
        result = export_package(
            rt.store,
            docs,
            events,
            out_dir,
            source_organization=settings.agency_name,
            identifier=f"sohoa-{unit}-{year}",
        )
    except FileExistsError as exc:
        cli.err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    except SohoaError as exc:
        if exc.reason == "config_error":
            cli._fail_on_config(exc)
        cli.err.print(f"[red]{exc.reason}[/red]: {exc}\n  {exc.message_vi}")
        raise typer.Exit(1) from exc
    cli.out.print(
        f"Exported {result.documents} document(s), {result.files} files, {result.bytes / 1e6:.1f} MB → {result.path}"
    )
