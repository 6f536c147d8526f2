"""Operations commands: ``sohoa status`` (what is waiting, running, done, failing, and how fast)
and ``sohoa worker`` (a Prefect work-pool worker executing digitize runs)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

NOTE_SUFFIXES = (".error.txt", ".duplicate.txt", ".json")


def _scans_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(NOTE_SUFFIXES)]


def collect_status(settings: Any, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything ``sohoa status`` shows, as plain JSON-ready data."""
    from flows.runtime import get_runtime
    from storage import inbox
    from storage.ledger_status import ledger_status

    now = now or dt.datetime.now(dt.UTC)
    backlog = list(inbox.scan_inbox(settings.inbox_dir, settings.unit, settings.unit_map))
    by_unit: dict[str, int] = {}
    for item in backlog:
        by_unit[item.unit] = by_unit.get(item.unit, 0) + 1
    wall = time.time()
    in_progress = [
        {
            "file": inbox.original_name(p),
            "unit": p.parent.name,
            "claimed_s_ago": round(wall - p.stat().st_mtime, 1),
        }
        for p in sorted(_scans_in(settings.work_dir))
        if not p.name.endswith(".part")
    ]
    quarantine_dir = settings.quarantine_dir
    folder_quarantine = (
        {d.name: len(_scans_in(d)) for d in sorted(quarantine_dir.iterdir()) if d.is_dir()}
        if quarantine_dir.is_dir()
        else {}
    )
    led = ledger_status(get_runtime(settings).ledger, now=now)
    return {
        "inbox": {"path": str(settings.inbox_dir), "backlog": len(backlog), "by_unit": by_unit},
        "in_progress": in_progress,
        "ledger": {
            "archived": led.archived,
            "duplicates": led.duplicates,
            "quarantined": led.quarantined,
        },
        "folders": {
            "done": len(_scans_in(settings.done_dir)),
            "duplicates": len(_scans_in(settings.duplicates_dir)),
            "quarantine": folder_quarantine,
        },
        "last_failures": [
            {"file": f.file_name, "reason": f.reason, "at": f.at.isoformat(), "detail": f.detail}
            for f in led.last_failures
        ],
        "throughput": {
            "archived_last_10_min": led.archived_last_10_min,
            "archived_last_hour": led.archived_last_hour,
            "docs_per_min_last_hour": round(led.docs_per_min, 2),
            "last_archived": led.last_archived.isoformat() if led.last_archived else None,
        },
    }


def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object instead of tables.")] = False,
) -> None:
    """Inbox backlog, files in progress, counts by outcome, the last failures and throughput."""
    from rich.console import Console
    from rich.table import Table

    from flows.cli import _fail_on_config, _settings

    settings = _settings()
    try:
        st = collect_status(settings)
    except Exception as exc:  # noqa: BLE001
        _fail_on_config(exc)
    if as_json:
        print(json.dumps(st, ensure_ascii=False))
        return
    out = Console(soft_wrap=True)
    inbox_line = ", ".join(f"{u}: {n}" for u, n in sorted(st["inbox"]["by_unit"].items())) or "—"
    out.print(
        f"[bold]Hộp thư đến / Inbox[/bold] {st['inbox']['path']}: "
        f"{st['inbox']['backlog']} waiting ({inbox_line})"
    )
    out.print(f"[bold]Đang xử lý / In progress[/bold]: {len(st['in_progress'])}")
    for item in st["in_progress"][:10]:
        out.print(f"  {item['unit']}/{item['file']} (claimed {item['claimed_s_ago']:.0f} s ago)")
    table = Table(title="Kết quả / Outcomes")
    table.add_column("")
    table.add_column("Sổ cái / Ledger", justify="right")
    table.add_column("Thư mục / Folders", justify="right")
    table.add_row("archived", str(st["ledger"]["archived"]), f"{st['folders']['done']} in done/")
    table.add_row("duplicate", str(st["ledger"]["duplicates"]), str(st["folders"]["duplicates"]))
    reasons = sorted(set(st["ledger"]["quarantined"]) | set(st["folders"]["quarantine"]))
    for reason in reasons:
        table.add_row(
            f"quarantined: {reason}",
            str(st["ledger"]["quarantined"].get(reason, 0)),
            str(st["folders"]["quarantine"].get(reason, 0)),
        )
    out.print(table)
    if st["last_failures"]:
        out.print("[bold]Lỗi gần nhất / Last failures[/bold]")
        for f in st["last_failures"]:
            out.print(f"  {f['at'][:19]} {f['reason']:<20} {f['file']}", highlight=False)
    tp = st["throughput"]
    out.print(
        f"[bold]Tốc độ / Throughput[/bold]: {tp['archived_last_10_min']} in the last 10 min, "
        f"{tp['archived_last_hour']} in the last hour ({tp['docs_per_min_last_hour']} docs/min)"
    )


def worker(
    limit: Annotated[int, typer.Option(help="Batch runs this worker executes at once.")] = 1,
    name: Annotated[str | None, typer.Option(help="Worker name shown in the Prefect UI.")] = None,
) -> None:
    """A Prefect work-pool worker that executes the batches queued by `sohoa watch --submit`
    (up to SOHOA_WORKER_BATCH claimed files per run, one `<file> · <unit>` subflow run each).

    Start as many as the machines allow, on one or more hosts sharing PREFECT_API_URL, the ledger
    (SOHOA_DATABASE_URL), the archive and SOHOA_HOME. Creates the work pool, the batch
    deployment and the global OCR concurrency limit if missing.
    """
    from flows.cli import _fail_on_config, _settings
    from flows.deploy import deploy_batches, ensure_ocr_limit

    settings = _settings()
    try:
        ensure_ocr_limit(settings)
        deploy_batches(settings)
    except Exception as exc:  # noqa: BLE001
        _fail_on_config(exc)
    argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", settings.work_pool]
    argv += ["--type", "process", "--limit", str(limit)]
    if name:
        argv += ["--name", name]
    # Ask for queued runs every 2 s (Prefect's default of 10-15 s idles a worker between documents).
    os.environ.setdefault("PREFECT_WORKER_QUERY_SECONDS", "2")
    sys.stdout.flush()
    os.execv(sys.executable, argv)  # the worker gets our signals directly (Ctrl-C, SIGTERM)
