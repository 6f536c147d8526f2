"""`sohoa watch` as operators run it: a subprocess that watches (polling) and serves the intake
and digitize deployments, creates the global OCR limit, digitizes a dropped scan and stops
cleanly on SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from intake_batch import make_batch, sohoa_bin, sohoa_env

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_watch_serves_deployments_and_digitizes_a_dropped_scan(tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    home = tmp_path / "home"
    env = sohoa_env(home) | {
        "SOHOA_WATCH_POLL": "true",
        "SOHOA_WATCH_STABLE_S": "0.5",
        "SOHOA_WATCH_RESCAN_S": "2",
        "SOHOA_OCR_CONCURRENCY": "3",
    }
    subprocess.run([sohoa_bin(), "pki", "init"], env=env, check=True, capture_output=True)
    files = make_batch(tmp_path / "gen", 1)
    log = tmp_path / "watch.log"
    proc = subprocess.Popen(
        [sohoa_bin(), "watch", "--json"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        time.sleep(2)
        rel, data = next(iter(files.items()))
        drop = home / "inbox" / rel
        drop.parent.mkdir(parents=True, exist_ok=True)
        drop.write_bytes(data)
        done = home / "done" / rel
        deadline = time.monotonic() + 240
        while not done.exists() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(1)
        assert done.exists(), log.read_text(errors="replace")[-3000:]
        with get_client(sync_client=True) as client:
            names = {d.name for d in client.read_deployments()}
            limit = client.read_global_concurrency_limit_by_name("ocr")
        assert {"sohoa-intake", "sohoa-digitize-local"} <= names
        assert limit.limit == 3
        deadline = time.monotonic() + 60  # the file moves inside the run; the line is printed after it
        while '"status": "archived"' not in log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert '"status": "archived"' in log.read_text(errors="replace")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail("sohoa watch did not stop on SIGTERM")


def test_watch_submit_queues_claimed_scans_as_a_batch_run_for_the_workers(
    sohoa_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sohoa watch --submit` wiring, without a worker: a dropped scan is claimed and shows up on
    the server as a queued digitize-batch run on the work pool, named after its file and unit."""
    import threading
    import uuid

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import WorkPoolFilter, WorkPoolFilterName

    from flows.cli import ensure_dev_pki
    from flows.deploy import watch_and_serve
    from schemas.settings import Settings

    pool = f"sohoa-watch-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("SOHOA_WORK_POOL", pool)
    settings = Settings(watch_stable_s=0, watch_rescan_s=1)
    ensure_dev_pki(settings)
    rel, data = next(iter(make_batch(sohoa_home / "gen", 1).items()))
    drop = settings.inbox_dir / rel
    drop.parent.mkdir(parents=True, exist_ok=True)
    drop.write_bytes(data)
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch_and_serve, args=(settings,), kwargs={"submit": True, "serve": False, "stop": stop}
    )
    watcher.start()
    try:
        runs: list = []
        deadline = time.monotonic() + 60
        while not runs and time.monotonic() < deadline:
            time.sleep(0.5)
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs(
                    work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool]))
                )
    finally:
        stop.set()
        watcher.join(timeout=60)
    assert not watcher.is_alive()
    [run] = runs
    [item] = run.parameters["items"]
    claimed = Path(item["path"])
    assert claimed.parent == settings.work_dir / rel.split("/")[0] and claimed.read_bytes() == data
    assert (item["name"], item["unit"]) == (Path(rel).name, rel.split("/")[0])
    assert run.name == f"1 tệp / files · {Path(rel).name} · {rel.split('/')[0]}"
    assert run.state.type.value == "SCHEDULED" and not drop.exists()
