"""The ``sohoa`` command line: thin over the flows and the pure core.

Exit codes: 0 success; 1 some file was not archived (quarantined, deferred) or did not verify;
2 bad usage or configuration.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

app = typer.Typer(
    help="sohoa — digitize paper results of administrative procedures: OCR, metadata, signed searchable "
    "PDF, archive, ledger, and progress against the plan's targets. All state lives under SOHOA_HOME "
    "(default ./sohoa-data).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
pki_app = typer.Typer(help="Development PKI for demos and tests.", no_args_is_help=True)
app.add_typer(pki_app, name="pki")

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)


def _settings(**overrides: Any) -> Any:
    from pydantic import ValidationError

    from flows.runtime import prefect_env
    from schemas.settings import Settings

    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
    prefect_env(settings)
    return settings


def _extract_settings() -> Any:
    """Settings for ``extract``: validated as for every command, without the Prefect
    environment and the runtime's ledger/storage imports (nothing is archived)."""
    from pydantic import ValidationError

    from schemas.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _progress(total: int, what: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{what}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=total < 2 or not err.is_terminal,
        transient=True,
    )


def _fail_on_config(exc: Exception) -> None:
    from schemas.errors import SohoaError

    if isinstance(exc, SohoaError):
        err.print(f"[red]{exc.reason}[/red]: {exc.message_en}\n  {exc.message_vi}")
        raise typer.Exit(2) from exc
    raise exc


def _print_result(r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(r, ensure_ascii=False), flush=True)
        return
    status = r["status"]
    colour = {"archived": "green", "duplicate": "yellow", "quarantined": "red", "deferred": "magenta"}.get(
        status, ""
    )
    line = f"[{colour}]{status:<11}[/{colour}] {r['file']}"
    if r.get("signed_pdf"):
        line += f"\n            signed copy: {r['signed_pdf']}"
    if status in {"quarantined", "deferred"}:
        line += f"\n            reason: {r.get('reason')} — {r.get('message')}"
    out.print(line, highlight=False)


@app.command()
def process(
    files: Annotated[
        list[Path], typer.Argument(help="Scans to digitize (PDF, TIFF, JPEG, PNG).", exists=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file on stdout.")] = False,
) -> None:
    """Run the full pipeline once on the given files (they are left where they are).

    Prints each file's outcome — archived, duplicate or quarantined with its reason — and where its
    signed copy is.
    """
    settings = _settings()
    from flows.runner import process_files

    results: list[dict[str, Any]] = []
    try:
        with _progress(len(files), "Digitizing") as bar:
            task = bar.add_task("files", total=len(files))

            def done(r: dict[str, Any]) -> None:
                results.append(r)
                _print_result(r, as_json)
                bar.advance(task)

            process_files(files, settings, done)
    except Exception as exc:  # noqa: BLE001
        _fail_on_config(exc)
    raise typer.Exit(0 if all(r["status"] in {"archived", "duplicate"} for r in results) else 1)


@app.command()
def run(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file on stdout.")] = False,
) -> None:
    """One pass over the inbox: digitize every stable file, then exit (the main job, for cron)."""
    settings = _settings()
    from flows.runner import run_inbox_once

    try:
        results = run_inbox_once(settings, lambda r: _print_result(r, as_json))
    except Exception as exc:  # noqa: BLE001
        _fail_on_config(exc)
    if not results and not as_json:
        out.print(f"Inbox {settings.inbox_dir} is empty.")
    raise typer.Exit(0 if all(r["status"] in {"archived", "duplicate"} for r in results) else 1)


@app.command()
def watch(
    inbox: Annotated[Path | None, typer.Option(help="Folder to watch (default SOHOA_HOME/inbox).")] = None,
    poll: Annotated[bool, typer.Option(help="Poll instead of native events (network shares).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file on stdout.")] = False,
    submit: Annotated[bool, typer.Option(help="Queue claimed files for `sohoa worker`s.")] = False,
    serve: Annotated[bool, typer.Option(help="Serve the intake/digitize deployments.")] = True,
) -> None:
    """Watch the inbox and digitize each new file until stopped (Ctrl-C).

    Also serves the intake and digitize flows as Prefect deployments; with --submit, files are
    queued for `sohoa worker` processes instead of being digitized here."""
    overrides: dict[str, Any] = {}
    if inbox:
        overrides["inbox"] = inbox
    if poll:
        overrides["watch_poll"] = True
    settings = _settings(**overrides)
    from flows.deploy import watch_and_serve
    from flows.runtime import get_runtime

    try:
        get_runtime(settings)
    except Exception as exc:  # noqa: BLE001
        _fail_on_config(exc)
    err.print(f"Watching {settings.inbox_dir} (Ctrl-C to stop)")
    try:
        watch_and_serve(settings, lambda r: _print_result(r, as_json), submit=submit, serve=serve)
    except KeyboardInterrupt:
        err.print("Stopped.")


@app.command()
def extract(
    docs: Annotated[list[Path], typer.Argument(help="Files, or folders of page images in name order.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where DIR/<stem>.json is written.")],
    workers: Annotated[int, typer.Option(help="OCR processes (0: one per core).")] = 0,
) -> None:
    """OCR and metadata only; nothing is signed or archived.

    Writes DIR/<DOC stem>.json as {"text": pages joined by \\f, "metadata": {...}, "pages": N,
    "review": ["field: reason", ...]} (why the document would go to the review queue; empty: none).
    """
    settings = _extract_settings()
    from ocr.workers import start_workers

    # The workers import and load the model while this process opens the first document.
    start_workers(workers, settings.ocr_lang)
    from ocr.extract import ocr_documents
    from ocr.pages import iter_document

    out_dir.mkdir(parents=True, exist_ok=True)

    def opener(doc: Path) -> Any:
        def open_doc() -> tuple[Any, bytes | None]:
            # Lazy: pages are decoded as OCR workers free up, never all at once.
            # As the seal-free gray the OCR reads (no PDF is built): cheaper than colour pixels.
            pages = iter_document(
                doc, max_pages=settings.max_pages, max_pixels=settings.max_pixels, ink_gray=True
            )
            pdf = doc.read_bytes() if doc.is_file() else None
            return pages, (pdf if pdf and pdf.lstrip()[:5] == b"%PDF-" else None)  # text layer first

        return open_doc

    failures = 0
    with _progress(len(docs), "Extracting") as bar:
        task = bar.add_task("docs", total=len(docs))
        # One page stream over all documents: both cores stay busy across document boundaries.
        results = ocr_documents(
            ((doc, opener(doc)) for doc in docs),
            lang=settings.ocr_lang,
            timeout_s=settings.ocr_timeout_s,
            workers=workers,
            pdf_images=False,
        )
        for doc, result in results:
            if isinstance(result, Exception):
                failures += 1
                err.print(f"[red]{doc}: {result.reason}[/red] — {result.message_en} ({result})")
            else:
                stem = doc.name if doc.is_dir() else doc.stem
                payload = result.extraction.to_json()
                # Why the document would go to the review queue ("field: reason"), as the ledger has it.
                payload["review"] = list(result.fields.review_reasons) if result.fields else []
                (out_dir / f"{stem}.json").write_text(
                    json.dumps(payload, ensure_ascii=False, indent=1), "utf-8"
                )
                err.print(
                    f"{doc}: {payload['pages']} page(s), so_ky_hieu={payload['metadata']['so_ky_hieu']}"
                )
            bar.advance(task)
    raise typer.Exit(1 if failures else 0)


@pki_app.command("init")
def pki_init(
    force: Annotated[bool, typer.Option(help="Replace an existing development PKI.")] = False,
) -> None:
    """Create a development root CA and an agency signing certificate (PKCS#12) under SOHOA_HOME/pki.

    For demos and tests only: production keys come from the agency's certificate (SOHOA_SIGN_P12).
    """
    settings = _settings()
    made = ensure_dev_pki(settings, force=force)
    state = "created" if made else "already present"
    out.print(f"Development PKI {state} in {settings.pki_dir} (root: root.pem, signer: signer.p12)")


def ensure_dev_pki(settings: Any, *, force: bool = False) -> bool:
    import secrets

    from signing.pki import create_dev_pki

    pki = settings.pki_dir
    if (pki / "signer.p12").exists() and (pki / "root.pem").exists() and not force:
        return False
    pki.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18).encode()
    create_dev_pki(pki, agency_name=settings.agency_name, password=password)
    pass_file = pki / "signer.pass"
    pass_file.write_bytes(password)
    os.chmod(pass_file, 0o600)
    return True


@app.command()
def samples(
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where to write (default: the inbox).")
    ] = None,
    dpi: Annotated[int, typer.Option(help="Scan resolution.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed for the degradations.")] = 0,
) -> None:
    """Generate sample scans of Vietnamese administrative documents (NĐ 30/2020 layout, degraded)."""
    settings = _settings()
    from ocr.samples import write_samples

    target = out_dir or settings.inbox_dir
    paths = write_samples(target, dpi=dpi, seed=seed, gt_dir=settings.home / "samples-gt")
    for p in paths:
        out.print(str(p))


@app.command()
def demo() -> None:
    """Set up a development PKI, drop sample scans in the inbox, digitize them and print the report."""
    settings = _settings()
    from flows.cli_ledger import print_report
    from flows.runner import run_inbox_once
    from flows.runtime import get_runtime
    from ocr.samples import demo_specs, write_samples
    from schemas.targets import DAK_NONG_392
    from schemas.units import DAK_NONG_2021

    ensure_dev_pki(settings)
    rt = get_runtime(settings)
    specs = demo_specs()
    year = settings.plan_year or dt.date.today().year
    for code, (unit_name, level, parent) in DAK_NONG_2021.items():
        rt.ledger.upsert_unit(code, unit_name, level, parent)
    for spec in specs:
        if spec.unit_code not in DAK_NONG_2021:  # the sample communes
            unit_name = spec.co_quan_ban_hanh.removeprefix("ỦY BAN NHÂN DÂN ").title()
            rt.ledger.upsert_unit(spec.unit_code, unit_name, spec.cap, None)
        # A demo register: how many still-valid results each unit holds (normally imported).
        rt.ledger.set_denominator(spec.unit_code, year, 20)
    paths = write_samples(settings.inbox_dir, specs, dpi=200, seed=0, gt_dir=settings.home / "samples-gt")
    out.print(f"[bold]Sample scans[/bold] in {settings.inbox_dir}: {len(paths)} file(s)")
    results = run_inbox_once(settings, None, stable_s=0)
    for r in results:
        _print_result(r, False)
        if r.get("metadata"):
            for key, value in r["metadata"].items():
                out.print(f"              {key:<17} {value}", highlight=False)
    out.print()
    print_report(rt.ledger.report(year, DAK_NONG_392))
    archived = sum(r["status"] == "archived" for r in results)
    out.print(
        f"{archived} archived, {sum(r['status'] == 'duplicate' for r in results)} duplicate, "
        f"{sum(r['status'] == 'quarantined' for r in results)} quarantined. "
        f"Verify a signed copy: .venv/bin/sohoa verify <signed.pdf>"
    )
    raise typer.Exit(0 if all(r["status"] in {"archived", "duplicate"} for r in results) else 1)


# --- commands defined in other modules: one import + one registration line each -------------
# (keep this block sorted; each area's commands live in flows/cli_<area>.py)
from flows import cli_archive, cli_ledger, cli_signing  # noqa: E402

app.command("export")(cli_archive.export)
app.command("fixity")(cli_archive.fixity)
app.command("hold")(cli_archive.hold)

app.command("import-register")(cli_ledger.import_register)
app.command("report")(cli_ledger.report)
app.add_typer(cli_ledger.review_app, name="review")
app.add_typer(cli_ledger.units_app, name="units")

app.command("audit")(cli_signing.audit)
app.command("verify")(cli_signing.verify)

from flows import cli_ops  # noqa: E402

app.command("status")(cli_ops.status)
app.command("worker")(cli_ops.worker)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
