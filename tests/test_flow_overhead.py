"""What the digitize flow adds around OCR stays small: no idle wait at the end of a flow run, no
Prefect task runs per document, and a retried finishing step that repeats nothing already done."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest


class _Engine:
    """The part of Prefect's flow run engine its heartbeat context uses."""

    def __init__(self) -> None:
        self.flow_run = SimpleNamespace(state=None)
        self.logger = SimpleNamespace(debug=lambda *a, **k: None)
        self.beats = 0

    @property
    def heartbeat_seconds(self) -> int:
        return 30

    def _build_heartbeat_event_template(self) -> tuple[Any, Any]:
        return None, None

    def _emit_flow_run_heartbeat(self, resource: Any, related: Any) -> None:
        self.beats += 1


def test_a_flow_run_does_not_wait_for_its_heartbeat_thread() -> None:
    """Prefect's heartbeat thread sleeps in 1 s steps and the sync engine joined it, so every
    run idled up to a second after its work was done. Heartbeats are still sent."""
    from prefect import flow_engine

    import flows.digitize  # noqa: F401 - importing the flow applies the patch
    from flows.runtime import no_heartbeat_wait

    assert no_heartbeat_wait() is True
    engine = _Engine()
    with flow_engine._send_heartbeats(engine):
        deadline = time.monotonic() + 5
        while engine.beats == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # the thread is now in its 1 s sleep
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 0.5
    assert engine.beats == 1


@pytest.mark.usefixtures("prefect_server")
def test_one_flow_run_per_document_and_the_finishing_step_retries_safely(
    sohoa_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transient ledger error in ``sign-and-archive`` retries the whole step: the signed copy
    of the first attempt is reused, every object is stored once, the ledger row is written once.
    The document is one flow run named after it, with no task runs (each would cost the worker
    and the server API calls and state events per document)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName, TaskRunFilter

    from flows import digitize, steps
    from flows.cli import ensure_dev_pki
    from flows.runtime import get_runtime
    from ocr.samples import demo_specs, encode_pages, render_pages
    from schemas.errors import StorageError
    from schemas.settings import Settings

    settings = Settings()
    ensure_dev_pki(settings)
    monkeypatch.setattr(digitize, "RETRY_DELAYS_S", [0, 0, 0])
    spec = next(s for s in demo_specs() if s.unit_code == "663")
    page = render_pages(spec, dpi=150, seed=7)[0]
    scan = settings.home / "scan.png"
    scan.parent.mkdir(parents=True, exist_ok=True)
    scan.write_bytes(encode_pages([page[: page.shape[0] // 3].copy()], "png", 150))

    real_record = steps.record
    calls = {"record": 0, "sign": 0}
    real_sign = steps.sign_pdf

    def counting_sign(*a: Any, **k: Any) -> bytes:
        calls["sign"] += 1
        return real_sign(*a, **k)

    def flaky_record(*a: Any, **k: Any) -> Any:
        calls["record"] += 1
        if calls["record"] == 1:
            raise StorageError("database unreachable")
        return real_record(*a, **k)

    monkeypatch.setattr(steps, "sign_pdf", counting_sign)
    monkeypatch.setattr(steps, "record", flaky_record)
    before = dt.datetime.now(dt.UTC)
    result = digitize.digitize(str(scan), "663", name="scan.png")
    assert result["status"] == "archived", result
    assert calls == {"record": 2, "sign": 1}

    rt = get_runtime(settings)
    archive = settings.home / "archive"
    assert len(list(archive.rglob("signed.pdf"))) == 1
    assert [e.kind for e in rt.ledger.events(result["sha256"])].count("received") == 1

    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["scan.png · 663"]))
        )
        tasks = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_id={"any_": [run.id]}))
    assert run.start_time is None or run.start_time >= before - dt.timedelta(minutes=1)
    assert run.state.is_completed()
    assert tasks == []
