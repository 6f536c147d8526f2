"""Prefect deployments: ``sohoa watch`` serves intake and digitize; ``sohoa worker`` runs
digitize flow runs from a process work pool, so a province scales by starting more workers.

Shape of the scale-out::

    sohoa watch --submit  ─ claims stable files ─► run_deployment("digitize/sohoa-digitize")
                                                        │  (work pool "sohoa", queued runs)
    sohoa worker × N (one or more machines) ◄───────────┘  each run: one document

Every worker shares one Prefect server, one ledger database and one archive store, and sees the
same ``SOHOA_HOME`` (a shared folder: the claimed files in ``work/`` and the outcome folders).
A claimed file is submitted with its claim token as the idempotency key, so a rescan after a
crash never creates a second run for it; a run that ended without moving its file (crashed,
cancelled) is finished in the watcher's own process, which quarantines or archives it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import Any

from flows import runner
from schemas.settings import Settings
from storage import inbox

log = logging.getLogger("sohoa.deploy")
REPO_ROOT = Path(__file__).resolve().parent.parent
DIGITIZE = "digitize"
DIGITIZE_DEPLOYMENT = f"{DIGITIZE}/sohoa-digitize"
OCR_LIMIT = "ocr"


# --- server-side objects: the OCR limit, the work pool, the digitize deployment ------------------


def ensure_ocr_limit(settings: Settings) -> int:
    """Create (or resize) the global ``ocr`` concurrency limit every OCR task takes a slot of."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(OCR_LIMIT)
            client.update_global_concurrency_limit(
                OCR_LIMIT, GlobalConcurrencyLimitUpdate(limit=settings.ocr_concurrency, active=True)
            )
        except ObjectNotFound:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=OCR_LIMIT, limit=settings.ocr_concurrency)
            )
    return settings.ocr_concurrency


def ensure_work_pool(settings: Settings) -> str:
    """A process work pool named ``SOHOA_WORK_POOL`` (created once, kept as it is after that)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(settings.work_pool)
        except ObjectNotFound:
            with contextlib.suppress(ObjectAlreadyExists):  # another worker made it just now
                client.create_work_pool(
                    WorkPoolCreate(
                        name=settings.work_pool,
                        type="process",
                        base_job_template=ProcessWorker.get_default_base_job_template(),
                    )
                )
    return settings.work_pool


def deploy_digitize(settings: Settings) -> Any:
    """Register the digitize flow on the work pool (from this source tree; every worker machine
    runs the same installed sohoa)."""
    from flows.digitize import digitize

    ensure_work_pool(settings)
    return digitize.from_source(source=str(REPO_ROOT), entrypoint="flows/digitize.py:digitize").deploy(
        name="sohoa-digitize",
        work_pool_name=settings.work_pool,
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
        description="Digitize one claimed scan: OCR, metadata, sign, archive, ledger, outcome folder.",
    )


# --- submitting claimed files to the work pool ---------------------------------------------------

_FINAL_NOT_DONE = {"CRASHED", "FAILED", "CANCELLED", "CANCELLING"}
RECHECK_S = 30.0
_last_checked: dict[str, float] = {}


def submit_claimed(path: Path, unit: str, name: str, claimed: bool) -> dict[str, Any] | None:
    """Queue one claimed file for a worker. Returns None when queued (the worker reports the
    outcome), or the outcome when its earlier run ended without finishing and it was done here."""
    import time

    from prefect.deployments import run_deployment

    token = inbox.claim_token(path)
    if token and time.monotonic() - _last_checked.get(token, -1e9) < RECHECK_S:
        return None  # queued moments ago: do not ask the server again on every pass
    if token:
        _last_checked[token] = time.monotonic()
    run = run_deployment(
        DIGITIZE_DEPLOYMENT,
        parameters={"path": str(path), "unit": unit, "name": name, "claimed": claimed, "lock": True},
        flow_run_name=f"{name} · {unit}",
        timeout=0,
        idempotency_key=f"claim-{token}" if token else None,
        as_subflow=False,
    )
    state = run.state.type.value if run.state else "SCHEDULED"
    if state == "RUNNING" and _worker_died(run, path):
        state = "CRASHED"
    if state in _FINAL_NOT_DONE or (state == "COMPLETED" and path.exists()):
        log.warning("run %s for %s ended %s without finishing it; finishing here", run.name, name, state)
        with inbox.processing_lock(path) as mine:
            return runner._run_flow(path, unit, name, claimed) if mine else None
    return None


def _worker_died(run: Any, path: Path, grace_s: float = 120) -> bool:
    """A run reported RUNNING whose file nobody holds the processing lock of (its worker was
    killed) once it has been running longer than a start-up could take."""
    import datetime as dt

    started = run.start_time
    if started is None or (dt.datetime.now(dt.UTC) - started).total_seconds() < grace_s:
        return False
    with inbox.processing_lock(path) as free:
        return free


def run_inbox_submitting(settings: Settings, tracker: inbox.StabilityTracker | None = None) -> int:
    """One intake pass that hands every claimed file to the work pool; returns how many went."""
    queued = 0

    def dispatch(path: Path, unit: str, name: str, claimed: bool) -> dict[str, Any] | None:
        nonlocal queued
        result = submit_claimed(path, unit, name, claimed)
        queued += result is None
        return result

    runner.run_inbox_once(settings, None, tracker=tracker, dispatch=dispatch)
    return queued


# --- the intake flow, and `sohoa watch` ---------------------------------------------------------


def _intake_flow() -> Any:
    from prefect import flow

    @flow(name="intake", flow_run_name="intake · {mode}", log_prints=False)
    def intake(mode: str = "local") -> dict[str, Any]:
        """One full pass over the inbox (``local``: digitize here; ``pool``: queue for workers)."""
        settings = Settings()
        if mode == "pool":
            return {"queued": run_inbox_submitting(settings)}
        results = runner.run_inbox_once(settings)
        return {"processed": len(results)}

    return intake


def watch_and_serve(
    settings: Settings,
    on_result: runner.Callback | None = None,
    *,
    submit: bool = False,
    serve: bool = True,
    stop: threading.Event | None = None,
) -> None:
    """``sohoa watch``: the watcher thread, plus (``serve``) the intake and digitize deployments
    served from this process so archivists can trigger a rescan or one file from the Prefect UI.

    With ``submit`` each claimed file is queued for ``sohoa worker`` processes instead of being
    digitized here.
    """
    from flows.digitize import digitize

    ensure_ocr_limit(settings)
    if submit:
        deploy_digitize(settings)
    stop = stop or threading.Event()
    dispatch = submit_claimed if submit else None
    watcher = threading.Thread(
        target=runner.watch,
        args=(settings, on_result, stop),
        kwargs={"dispatch": dispatch},
        name="sohoa-watch",
        daemon=True,
    )
    watcher.start()
    try:
        if serve:
            from prefect import serve as prefect_serve

            intake = _intake_flow()
            prefect_serve(
                intake.to_deployment(name="sohoa-intake", parameters={"mode": "pool" if submit else "local"}),
                digitize.to_deployment(name="sohoa-digitize-local"),
                print_starting_message=False,
                limit=max(settings.ocr_concurrency, 1),
            )
        else:
            while watcher.is_alive():
                watcher.join(timeout=1)
    finally:
        stop.set()
        watcher.join(timeout=60)
