"""Scale-out: `sohoa watch --submit` style intake queues claimed scans on a Prefect work pool in
batches, and two real `sohoa worker` processes execute them — 100 documents, each exactly once.

A real Prefect server (the session's), two worker subprocesses, SQLite ledger shared by both,
local archive. A process worker starts a fresh Python process per flow run (~10 s of start-up on
2 busy cores), so documents travel in batches of SOHOA_WORKER_BATCH, each still its own
``<file> · <unit>`` digitize run. Scans are a few lines (the top eighth of a page at 150 dpi).
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from intake_batch import check_consistency, make_batch, outcome_files, sohoa_env, start_worker, stop_worker

DOCS = int(os.environ.get("SOHOA_TEST_WORKER_DOCS", "100"))  # read before fixtures clear SOHOA_*


def _flow_runs(client, **filters) -> list:  # noqa: ANN001, ANN003
    runs, offset = [], 0
    while True:
        page = client.read_flow_runs(limit=200, offset=offset, **filters)
        runs += page
        if len(page) < 200:
            return runs
        offset += 200


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_two_workers_process_a_hundred_documents_once_each(
    sohoa_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )

    from flows.cli import ensure_dev_pki
    from flows.deploy import PoolSubmitter, deploy_batches, run_inbox_submitting
    from schemas.settings import Settings

    n = DOCS
    pool = f"sohoa-test-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("SOHOA_WORK_POOL", pool)
    settings = Settings(watch_stable_s=0)
    ensure_dev_pki(settings)
    files = make_batch(settings.inbox_dir, n, height=1 / 8)
    env = sohoa_env(sohoa_home) | {
        "SOHOA_WORK_POOL": pool,
        "SOHOA_OCR_CONCURRENCY": "2",
        "PREFECT_LOGGING_LEVEL": "INFO",  # the worker logs which flow runs it took
    }
    deployment_id = deploy_batches(settings)
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    workers = [start_worker(env, f"w{i + 1}", log) for i, log in enumerate(logs)]
    started = time.monotonic()
    submitter = PoolSubmitter(settings)  # the watcher's, kept across its passes
    try:
        assert run_inbox_submitting(settings, submitter=submitter) == len(files)
        # A restarted watcher (a fresh submitter) finds every claimed file in a live run.
        assert run_inbox_submitting(settings) == 0
        deadline = time.monotonic() + 180 + 15 * n
        while time.monotonic() < deadline and len(outcome_files(sohoa_home)) < len(files):
            assert all(w.poll() is None for w in workers), "a worker died"
            run_inbox_submitting(settings, submitter=submitter)  # the watcher's later passes
            time.sleep(2)
    finally:
        for w in workers:
            stop_worker(w)
    elapsed = time.monotonic() - started
    # No live run was mistaken for a lost one: nothing was queued twice.
    assert submitter.queued == len(files)
    check_consistency(sohoa_home, files)

    with get_client(sync_client=True) as client:
        batches = _flow_runs(
            client, deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
        )
        batches = [b for b in batches if b.parameters["items"][0]["path"].startswith(str(sohoa_home))]
        docs = _flow_runs(
            client,
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[b.id for b in batches])
            ),
        )
    assert {b.state.type.value for b in batches} == {"COMPLETED"}
    assert len(batches) == -(-len(files) // settings.worker_batch)
    paths = [r.parameters["path"] for r in docs]
    assert len(paths) == len(set(paths)) == len(files), "a file was run twice or not at all"
    assert {r.state.type.value for r in docs} == {"COMPLETED"}
    assert sorted(r.name for r in docs) == sorted(
        f"{r.parameters['name']} · {Path(r.parameters['path']).parent.name}" for r in docs
    )  # "<file> · <unit>", as archivists look them up
    # Both workers took part. A worker logs "submitting" before the server settles a race for the
    # same run (the loser logs "Aborted submission"); that each file ran once is asserted above.
    texts = [log.read_text(errors="replace") for log in logs]
    took = [t.count("submitting flow run") - t.count("Aborted submission") for t in texts]
    print(
        f"{len(files)} files in {len(batches)} batch runs, {elapsed:.0f} s; runs taken by each worker: {took}"
    )
    assert sum(took) >= len(batches) and min(took) > 0, took


# --- the watcher's side, without a server: batching, live and lost runs ---------------------------


def _claimed(work: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        p = work / "663" / f"tok{i:04d}__scan_{i}.png"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
        paths.append(p)
    return paths


def _run(state: str, age_s: float, paths: list[Path]) -> SimpleNamespace:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_s)
    return SimpleNamespace(
        name="run",
        state=SimpleNamespace(type=SimpleNamespace(value=state), timestamp=since),
        start_time=since if state != "PENDING" else None,
        parameters={"items": [{"path": str(p)} for p in paths]},
    )


def test_files_are_queued_in_even_batches_of_at_most_the_batch_size(tmp_path: Path) -> None:
    from flows.deploy import PoolSubmitter
    from schemas.settings import Settings

    sub = PoolSubmitter(Settings(home=tmp_path, worker_batch=4))
    batches: list[list[Path]] = []
    sub._submit = lambda items: batches.append([i.path for i in items])  # type: ignore[method-assign]
    paths = _claimed(tmp_path / "work", 10)
    for p in paths:
        sub.add(p, "663", p.name, recovered=False)
    assert sub.flush() == []
    assert [len(b) for b in batches] == [3, 3, 4]
    assert [p for b in batches for p in b] == paths  # each once, in the inbox's order
    batches.clear()
    assert sub.flush() == [] and batches == []  # a pass that claimed nothing queues nothing


def test_a_run_is_lost_only_when_started_long_ago_and_holding_none_of_its_files(tmp_path: Path) -> None:
    from flows.deploy import _run_lost
    from storage import inbox

    a, b = _claimed(tmp_path / "work", 2)
    assert not _run_lost(_run("SCHEDULED", 3600, [a, b]), [a, b], 60)  # queued: waiting, not lost
    assert not _run_lost(_run("RUNNING", 5, [a, b]), [a, b], 60)  # may still be starting
    assert _run_lost(_run("RUNNING", 120, [a, b]), [a, b], 60)
    assert _run_lost(_run("PENDING", 120, [a, b]), [a, b], 60)  # its worker died while starting it
    with inbox.processing_lock(b) as mine:  # the run is at work on b
        assert mine and not _run_lost(_run("RUNNING", 120, [a, b]), [a, b], 60)
    a.unlink()
    b.unlink()
    assert not _run_lost(_run("RUNNING", 120, [a, b]), [a, b], 60)  # all done: finishing, not lost


def test_claimed_files_found_again_are_queued_again_only_when_no_live_run_holds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import runner
    from flows.deploy import PoolSubmitter
    from schemas.settings import Settings
    from storage import inbox

    queued_in_run, held, orphan = _claimed(tmp_path / "work", 3)
    sub = PoolSubmitter(Settings(home=tmp_path, worker_batch=10), recheck_s=0, max_attempts=2)
    batches: list[list[Path]] = []
    sub._submit = lambda items: batches.append([i.path for i in items])  # type: ignore[method-assign]
    sub._live_runs = lambda: {queued_in_run: object()}  # type: ignore[method-assign]
    finished: list[str] = []
    monkeypatch.setattr(runner, "_run_flow", lambda path, unit, name, claimed: finished.append(name) or {})

    def one_pass() -> list[dict]:
        for p in (queued_in_run, held, orphan):
            sub.add(p, "663", inbox.original_name(p), recovered=True)
        return sub.flush()

    with inbox.processing_lock(held) as mine:  # another process works on it right now
        assert mine
        one_pass()
        assert batches == [[orphan]]
        one_pass()
        assert batches == [[orphan], [orphan]]
        one_pass()  # two runs ended without it: the watcher digitizes it itself
        assert batches == [[orphan], [orphan]] and finished == ["scan_2.png"]
