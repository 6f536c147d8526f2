"""Crash safety: the processes doing the work are SIGKILLed at random points across a batch,
restarted, and in the end every input is in exactly one outcome place, the ledger has one row
per document and the archive holds exactly the ledger's objects.

Two set-ups: ``sohoa run`` (cron style, digitizing in its own process) and two real ``sohoa
worker`` processes (Prefect process workers, each flow run a process of its own) fed by a
watcher-style submitter. Real Tesseract and signatures, SQLite ledger, local archive, the
session's Prefect test server. Scans are a few lines of an A4 page at 150 dpi so OCR is quick.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from intake_batch import (
    check_consistency,
    flow_run_processes,
    kill_tree,
    make_batch,
    outcome_files,
    sohoa_bin,
    sohoa_env,
    start_worker,
    stop_worker,
)

pytestmark = pytest.mark.usefixtures("prefect_server")


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("n_docs,kills", [(4, 3)])
def test_sigkill_at_random_points_then_restart_loses_and_duplicates_nothing(
    tmp_path: Path, n_docs: int, kills: int
) -> None:
    home = tmp_path / "home"
    env = sohoa_env(home)
    subprocess.run([sohoa_bin(), "pki", "init"], env=env, check=True, capture_output=True)
    files = make_batch(home / "inbox", n_docs)
    seed = int(os.environ.get("SOHOA_KILL_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    killed_mid_work = 0
    for _ in range(kills):
        proc = subprocess.Popen(
            [sohoa_bin(), "run", "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # the OCR and Tesseract children die with it
        )
        time.sleep(rng.uniform(4, 14))
        if proc.poll() is None:
            killed_mid_work += any(p.is_file() for p in (home / "work").rglob("*"))
        _kill_group(proc)
    final = subprocess.run(
        [sohoa_bin(), "run", "--json"], env=env, capture_output=True, text=True, timeout=600
    )
    results = [json.loads(line) for line in final.stdout.splitlines() if line.startswith("{")]
    assert final.returncode in (0, 1), final.stderr[-2000:]
    assert all(r["status"] in {"archived", "duplicate", "quarantined"} for r in results), results
    print(f"kill seed {seed}: {killed_mid_work} kill(s) left a claimed file in work/")
    check_consistency(home, files)


@pytest.mark.slow
def test_sigkill_of_sohoa_workers_mid_batch_then_restart_loses_and_duplicates_nothing(
    sohoa_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `sohoa worker`s run batches of 3; a worker, with the flow-run process it is running,
    is SIGKILLed at a random moment of a batch and started again, three times; at some kills
    the watcher restarts too (a fresh submitter, nothing remembered). The watcher's later passes
    find the killed runs by their free file locks and queue their files again."""
    from flows.cli import ensure_dev_pki
    from flows.deploy import PoolSubmitter, deploy_batches, run_inbox_submitting
    from schemas.settings import Settings

    n_docs, kills_wanted = 15, 3
    pool = f"sohoa-kill-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("SOHOA_WORK_POOL", pool)
    monkeypatch.setenv("SOHOA_WORKER_BATCH", "3")
    settings = Settings(watch_stable_s=0)
    ensure_dev_pki(settings)
    files = make_batch(settings.inbox_dir, n_docs, height=1 / 8)
    env = sohoa_env(sohoa_home) | {
        "SOHOA_WORK_POOL": pool,
        "SOHOA_WORKER_BATCH": "3",
        # A killed run's OCR slot is freed only when its lease expires; do not let that throttle.
        "SOHOA_OCR_CONCURRENCY": "8",
    }
    deploy_batches(settings)
    seed = int(os.environ.get("SOHOA_KILL_SEED", random.randrange(10**6)))
    rng = random.Random(seed)

    def submitter() -> PoolSubmitter:
        return PoolSubmitter(settings, lost_after_s=20, recheck_s=2)

    names = ["w1", "w2"]
    logs = {n: tmp_path / f"{n}.log" for n in names}
    workers = {n: start_worker(env, n, logs[n]) for n in names}
    watcher = submitter()
    kills: list[tuple[str, int, bool]] = []  # (worker, claimed files left, watcher restarted)
    next_kill = time.monotonic() + rng.uniform(2, 10)
    deadline = time.monotonic() + 900
    try:
        while time.monotonic() < deadline:
            assert all(w.poll() is None for w in workers.values()), "a worker ended on its own"
            run_inbox_submitting(settings, submitter=watcher)
            if len(outcome_files(sohoa_home)) == len(files):
                break
            busy = [n for n in names if flow_run_processes(workers[n].pid)]  # in the middle of a batch
            if len(kills) < kills_wanted and time.monotonic() >= next_kill and busy:
                victim = rng.choice(busy)
                kill_tree(workers[victim])  # the worker, its flow-run process, OCR children
                restart_watcher = rng.random() < 0.5
                if restart_watcher:
                    watcher = submitter()
                left = sum(1 for p in (sohoa_home / "work").rglob("*.png"))
                kills.append((victim, left, restart_watcher))
                workers[victim] = start_worker(env, victim, logs[victim])
                next_kill = time.monotonic() + rng.uniform(2, 10)
            time.sleep(1)
    finally:
        for w in workers.values():
            stop_worker(w)
    print(f"kill seed {seed}: kills (worker, files claimed, watcher restarted) {kills}")
    assert len(kills) == kills_wanted, f"only {len(kills)} kills landed in a running batch (seed {seed})"
    check_consistency(sohoa_home, files)


def _half_done(settings: Any, data: bytes, *, upto: str) -> Path:
    """Claim a scan and run the recipe's steps up to ``upto`` (``archive`` or ``ledger``), then
    stop as a killed process would: the claimed file stays in ``work/``."""
    import datetime as dt

    from flows import steps
    from flows.runtime import get_runtime
    from storage import inbox

    rt = get_runtime(settings)
    src = settings.inbox_dir / "663" / "hs.png"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(data)
    (src.parent / "hs.png.json").write_text('{"Mã hồ sơ": "HS-042", "ma_tthc": "1.004"}', "utf-8")
    claimed = inbox.claim(src, settings.work_dir / "663")
    intake = steps.read_intake(claimed, name="hs.png", unit="663")
    doc = steps.extract(intake, settings)
    received = dt.datetime.now(dt.UTC)
    keys = steps.keys_for(intake, steps.archive_year(doc.extraction, received))
    signed = steps.sign_and_verify(
        doc, store=rt.store, signed_key=keys["signed"], signer=rt.signer, trust_roots=rt.trust_roots
    )
    copies = steps.archive(rt.store, intake, doc.extraction, signed, keys)
    if upto == "ledger":
        clerk = inbox.clerk_data_for(claimed, claimed=True)
        steps.record(
            rt.ledger, intake, doc.extraction, copies, received, clerk=clerk, claim=inbox.claim_token(claimed)
        )
    return claimed


@pytest.mark.parametrize("upto", ["archive", "ledger"])
def test_a_run_killed_after_archive_or_ledger_is_finished_on_restart(sohoa_home: Path, upto: str) -> None:
    from flows.cli import ensure_dev_pki
    from flows.runner import run_inbox_once
    from flows.runtime import get_runtime
    from schemas.settings import Settings

    settings = Settings()
    ensure_dev_pki(settings)
    files = make_batch(settings.home / "gen", 1)
    data = next(iter(files.values()))
    claimed = _half_done(settings, data, upto=upto)
    signed_before = sorted(p.read_bytes() for p in (settings.home / "archive").rglob("signed.pdf"))
    results = run_inbox_once(settings)
    assert [(r["file"], r["status"]) for r in results] == [("hs.png", "archived")], results
    assert not claimed.exists() and not (settings.duplicates_dir).exists()
    assert (settings.done_dir / "663" / "hs.png").exists()
    assert (settings.done_dir / "663" / "hs.png.json").exists()
    # The signed copy of the interrupted run was reused, not signed again beside it.
    assert sorted(p.read_bytes() for p in (settings.home / "archive").rglob("signed.pdf")) == signed_before
    rt = get_runtime(settings)
    doc = rt.ledger.find_document(results[0]["sha256"])
    assert doc is not None and (doc.ma_ho_so, doc.ma_tthc) == ("HS-042", "1.004")
    assert doc.clerk_data["ma_ho_so"] == "HS-042" and doc.clerk_data["source"] == "sidecar"
    assert [e.kind for e in rt.ledger.events(doc.sha256)].count("received") == 1
    # The same content dropped again afterwards is a true duplicate.
    again = settings.inbox_dir / "663" / "again.png"
    again.write_bytes(data)
    assert [r["status"] for r in run_inbox_once(settings)] == ["duplicate"]


def test_a_quarantine_interrupted_before_its_move_is_recorded_once(sohoa_home: Path) -> None:
    from flows.cli import ensure_dev_pki
    from flows.runner import run_inbox_once
    from flows.runtime import get_runtime
    from schemas.settings import Settings
    from storage import inbox

    settings = Settings()
    ensure_dev_pki(settings)
    rt = get_runtime(settings)
    src = settings.inbox_dir / "663" / "bad.pdf"
    src.parent.mkdir(parents=True)
    src.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Cat")
    claimed = inbox.claim(src, settings.work_dir / "663")
    # The ledger row is written, then the process dies before the file is moved.
    token = inbox.claim_token(claimed)
    rt.ledger.record_quarantine("bad.pdf", None, "corrupt_file", f"xref [claim {token}]")
    results = run_inbox_once(settings)
    assert [(r["file"], r["reason"]) for r in results] == [("bad.pdf", "corrupt_file")]
    assert rt.ledger.quarantine_counts() == {"corrupt_file": 1}
    assert (settings.quarantine_dir / "corrupt_file" / "bad.pdf").exists()
