"""Operations: `sohoa status`, a crashed flow run ending in quarantine, retries only for
transient errors, flow runs named after file and unit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from intake_batch import make_batch


def _doc(i: int, unit: str, archived_at: dt.datetime) -> Any:
    from schemas.ledger import Document

    return Document(
        sha256=f"{i:064x}", file_name=f"f{i}.pdf", unit_code=unit, archived_at=archived_at, signed_key="k"
    )


def test_status_counts_backlog_progress_outcomes_failures_and_throughput(sohoa_home: Path) -> None:
    from flows.cli_ops import collect_status
    from flows.runtime import get_runtime
    from schemas.settings import Settings

    settings = Settings()
    ledger = get_runtime(settings).ledger
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    for i in range(6):  # one every 2 minutes over the last 10 minutes...
        ledger.record_document(_doc(i, "663", now - dt.timedelta(minutes=2 * i)), [])
    ledger.record_document(_doc(99, "663", now - dt.timedelta(hours=3)), [])  # ...and an old one
    ledger.record_event(f"{1:064x}", "duplicate", "sohoa", "copy")
    ledger.record_quarantine("bad.pdf", None, "corrupt_file", "xref")
    ledger.record_quarantine("empty.jpg", None, "empty_file", "0 bytes")
    for rel in ("inbox/663/a.pdf", "inbox/24611/b.tif", "inbox/663/b.pdf.json", "inbox/663/~$x.pdf"):
        (sohoa_home / rel).parent.mkdir(parents=True, exist_ok=True)
        (sohoa_home / rel).write_bytes(b"x")
    for rel in (
        "work/663/abc__c.pdf",
        "work/663/abc__c.pdf.json",
        "done/663/d.pdf",
        "done/663/d.pdf.json",
        "duplicates/e.pdf",
        "duplicates/e.pdf.duplicate.txt",
        "quarantine/corrupt_file/bad.pdf",
        "quarantine/corrupt_file/bad.pdf.error.txt",
    ):
        (sohoa_home / rel).parent.mkdir(parents=True, exist_ok=True)
        (sohoa_home / rel).write_bytes(b"x")

    st = collect_status(settings, now=now)
    assert st["inbox"]["backlog"] == 2 and st["inbox"]["by_unit"] == {"663": 1, "24611": 1}
    assert [(p["unit"], p["file"]) for p in st["in_progress"]] == [("663", "c.pdf")]
    assert st["ledger"] == {
        "archived": 7,
        "duplicates": 1,
        "quarantined": {"corrupt_file": 1, "empty_file": 1},
    }
    assert st["folders"] == {"done": 1, "duplicates": 1, "quarantine": {"corrupt_file": 1}}
    assert {f["file"] for f in st["last_failures"]} == {"bad.pdf", "empty.jpg"}
    tp = st["throughput"]
    assert tp["archived_last_10_min"] == 6 and tp["archived_last_hour"] == 6
    assert tp["docs_per_min_last_hour"] == pytest.approx(0.5)
    json.dumps(st)  # what --json prints


def test_status_command_prints_json(sohoa_home: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    (sohoa_home / "inbox" / "663").mkdir(parents=True)
    (sohoa_home / "inbox" / "663" / "a.png").write_bytes(b"x")
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inbox"]["backlog"] == 1
    human = CliRunner().invoke(app, ["status"])
    assert human.exit_code == 0 and "1 waiting" in human.stdout


def test_only_transient_errors_are_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows import digitize
    from flows.redact import contain
    from schemas.errors import (
        CorruptFile,
        InternalError,
        LedgerError,
        ObjectNotFound,
        SohoaError,
        StorageError,
    )

    monkeypatch.setattr(digitize, "RETRY_DELAYS_S", [0, 0, 0])

    def attempts(exc: BaseException, failures: int) -> tuple[object, int]:
        calls = []

        @contain
        def step() -> str:
            calls.append(1)
            if len(calls) <= failures:
                raise exc
            return "done"

        try:
            return digitize.retrying("step", step), len(calls)
        except SohoaError as err:
            return type(err), len(calls)

    assert attempts(StorageError("down"), 1) == ("done", 2)
    assert attempts(LedgerError("down"), 3) == ("done", 4)
    assert attempts(StorageError("down"), 9) == (StorageError, 4)  # three retries, then given up
    assert attempts(ObjectNotFound("gone"), 1) == (ObjectNotFound, 1)
    assert attempts(CorruptFile("bad"), 1) == (CorruptFile, 1)
    assert attempts(RuntimeError("bug"), 1) == (InternalError, 1)


@pytest.mark.usefixtures("prefect_server")
def test_crash_in_a_step_quarantines_and_a_transient_store_error_is_retried(
    sohoa_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    from flows import steps
    from flows.cli import ensure_dev_pki
    from flows.runner import run_inbox_once
    from flows.runtime import get_runtime
    from schemas.errors import StorageError
    from schemas.settings import Settings

    settings = Settings()
    ensure_dev_pki(settings)
    files = make_batch(settings.home / "gen", 1)
    good = next(iter(files.values()))

    # 1. A bug (not a SohoaError) inside a step: the run fails, the file is quarantined, never lost.
    real_extract = steps.extract
    monkeypatch.setattr(steps, "extract", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    (settings.inbox_dir / "663").mkdir(parents=True)
    (settings.inbox_dir / "663" / "crash.png").write_bytes(good)
    [crashed] = run_inbox_once(settings)
    assert (crashed["status"], crashed["reason"]) == ("quarantined", "internal_error")
    assert (settings.quarantine_dir / "internal_error" / "crash.png").exists()
    assert get_runtime(settings).ledger.quarantine_counts() == {"internal_error": 1}
    monkeypatch.setattr(steps, "extract", real_extract)

    # 2. The store is down once: the archiving step is retried and the file archived.
    calls = {"n": 0}
    real_archive = steps.archive

    def flaky_archive(*args: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise StorageError("connection refused")
        return real_archive(*args, **kw)

    monkeypatch.setattr(steps, "archive", flaky_archive)
    (settings.inbox_dir / "663" / "retry.png").write_bytes(good)
    [ok] = run_inbox_once(settings)
    assert ok["status"] == "archived" and calls["n"] == 2

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["retry.png · 663", "crash.png · 663"]))
        )
    assert sorted(r.name for r in runs) == ["crash.png · 663", "retry.png · 663"]


def test_a_running_run_whose_worker_died_is_recognised_by_its_free_lock(tmp_path: Path) -> None:
    """A queued run reported RUNNING long after start while nobody holds its file's processing
    lock lost its worker (SIGKILL): the watcher finishes that file itself."""
    from types import SimpleNamespace

    from flows.deploy import _worker_died
    from storage import inbox

    claimed = tmp_path / "work" / "663" / "abc__x.png"
    claimed.parent.mkdir(parents=True)
    claimed.write_bytes(b"x")
    now = dt.datetime.now(dt.UTC)
    old_run = SimpleNamespace(start_time=now - dt.timedelta(minutes=5))
    new_run = SimpleNamespace(start_time=now - dt.timedelta(seconds=5))
    assert _worker_died(old_run, claimed)
    assert not _worker_died(new_run, claimed)  # may still be starting up
    assert not _worker_died(SimpleNamespace(start_time=None), claimed)
    with inbox.processing_lock(claimed) as mine:  # a live worker holds it
        assert mine and not _worker_died(old_run, claimed)
