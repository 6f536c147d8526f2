"""Prefect deployments: ``sohoa watch`` serves intake and digitize; ``sohoa worker`` runs
batches of claimed files from a process work pool, so a province scales by starting more workers.

Shape of the scale-out::

    sohoa watch --submit  ─ claims stable files ─► run_deployment("digitize-batch/sohoa-digitize-batch")
                                                        │  (work pool "sohoa", queued runs of
                                                        │   up to SOHOA_WORKER_BATCH files)
    sohoa worker × N (one or more machines) ◄───────────┘  each run: one process, and one
                                                           "<file> · <unit>" subflow per document

A process worker starts a fresh Python process for every flow run it takes (seconds of imports
and start-up); a batch pays that once for several documents while each document keeps its own
flow run, its own logs and its own quarantine boundary in the Prefect UI.

Every worker shares one Prefect server, one ledger database and one archive store, and sees the
same ``SOHOA_HOME`` (a shared folder: the claimed files in ``work/`` and the outcome folders).
A batch run holds the processing lock (``flock``) of each of its files until that document is
done, so the watcher can tell a live run from one whose worker was killed (the kernel frees a
dead process's locks): the files of a lost run are queued again, and every step of the digitize
flow is idempotent on the document's SHA-256, so redoing a half-done document repeats nothing.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow

from flows import runner
from flows.ocr_slot import OCR_LIMIT
from schemas.settings import Settings
from storage import inbox

log = logging.getLogger("sohoa.deploy")
REPO_ROOT = Path(__file__).resolve().parent.parent
BATCH_FLOW = "digitize-batch"
BATCH_DEPLOYMENT = f"{BATCH_FLOW}/sohoa-digitize-batch"

# --- server-side objects: the OCR limit, the work pool, the batch deployment ------------------


def ensure_ocr_limit(settings: Settings) -> int:
    """Create (or resize) the global ``ocr`` concurrency limit: a process OCRing documents holds
    a slot of it (:mod:`flows.ocr_slot`)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(OCR_LIMIT)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=OCR_LIMIT, limit=settings.ocr_concurrency)
                )
                return settings.ocr_concurrency
            except ObjectAlreadyExists:  # another worker starting at the same moment made it
                pass
        client.update_global_concurrency_limit(
            OCR_LIMIT, GlobalConcurrencyLimitUpdate(limit=settings.ocr_concurrency, active=True)
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


def deploy_batches(settings: Settings) -> Any:
    """Register the batch flow on the work pool (from this source tree; every worker machine runs
    the same installed sohoa). Returns the deployment id."""
    ensure_work_pool(settings)
    return digitize_batch.from_source(
        source=str(REPO_ROOT), entrypoint="flows/deploy.py:digitize_batch"
    ).deploy(
        name="sohoa-digitize-batch",
        work_pool_name=settings.work_pool,
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
        description="Digitize a batch of claimed scans, each as its own `<file> · <unit>` digitize run: "
        "OCR, metadata, sign, archive, ledger, outcome folder.",
    )


# --- the batch flow `sohoa worker`s run -----------------------------------------------------------


def _batch_name(items: list[dict[str, str]]) -> str:
    """``3 tệp / files · scan_01.png … scan_03.png · 663, 665`` (each document's own subflow run
    is named ``<file> · <unit>``)."""
    if not items:
        return "0 tệp / files"
    names = [i.get("name") or Path(i["path"]).name for i in items]
    span = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}"
    units = ", ".join(sorted({i.get("unit", "") for i in items}))
    return f"{len(items)} tệp / files · {span} · {units}"


def _batch_run_name() -> str:
    from prefect.runtime import flow_run

    return _batch_name(list(flow_run.parameters.get("items") or []))


@flow(name=BATCH_FLOW, flow_run_name=_batch_run_name, log_prints=False, validate_parameters=False)
def digitize_batch(items: list[dict[str, str]]) -> dict[str, int]:
    """Digitize claimed files one after the other in this one process, each as its own
    ``digitize`` subflow run named ``<file> · <unit>`` (so the Prefect UI lists every document).

    ``items``: ``{"path": <claimed file in work/>, "unit": ..., "name": <original name>}``.
    The processing lock of every file is taken before the first document starts and held until
    its document is done: the watcher reads "a live run holds it" from the lock, and the kernel
    frees the locks of a killed run at once, so its remaining files are queued again. A file
    whose lock another process holds, or that has reached its outcome already, is skipped.
    One document's failure ends as that document's quarantine entry; the others go on.
    """
    from prefect import get_run_logger

    logger = get_run_logger()
    counts: dict[str, int] = {"files": len(items), "skipped": 0}
    with contextlib.ExitStack() as held:
        mine = [i for i in items if held.enter_context(inbox.processing_lock(Path(i["path"])))]
        counts["skipped"] = len(items) - len(mine)
        for item in mine:
            path = Path(item["path"])
            try:
                status = runner._run_flow(path, item["unit"], item["name"], True)["status"]
            except Exception:  # noqa: BLE001 - left in work/: the watcher queues it again
                logger.exception("%s could not be finished; it stays claimed for another run", item["name"])
                status = "left"
            counts[status] = counts.get(status, 0) + 1
    logger.info("batch done: %s", counts)
    return counts


# --- queueing claimed files on the work pool -----------------------------------------------------

RECHECK_S = 30.0  # a queued file's run is looked up again at most this often
LOST_AFTER_S = 120.0  # a PENDING/RUNNING run holding none of its files for this long lost its worker
MAX_ATTEMPTS = 3  # batch runs per claimed file before the watcher digitizes it itself
_LIVE = ["SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING"]
_STARTED = {"PENDING", "RUNNING", "CANCELLING"}


def _abandoned(since: Any, paths: list[Path], grace_s: float) -> bool:
    """No process holds the lock of any of ``paths`` that is still claimed, although the run has
    been in its state for longer than ``grace_s`` (starting a flow-run process takes a while)."""
    import datetime as dt

    if since is None or (dt.datetime.now(dt.UTC) - since).total_seconds() < grace_s:
        return False
    left = [p for p in paths if p.exists()]
    if not left:
        return False  # every file reached its outcome: the run is finishing, not lost
    for p in left:
        with inbox.processing_lock(p) as free:
            if not free and p.exists():
                return False
    return True


def _worker_died(run: Any, path: Path, grace_s: float = LOST_AFTER_S) -> bool:
    """One file's question (tests/test_intake_ops.py): a run reported RUNNING whose file nobody
    holds the processing lock of (its worker was killed) once it has run longer than a start-up."""
    return _abandoned(run.start_time, [path], grace_s)


def _run_lost(run: Any, paths: list[Path], grace_s: float) -> bool:
    state = run.state.type.value if run.state else "SCHEDULED"
    if state not in _STARTED:
        return False  # waiting for a worker: not lost, only queued
    since = run.state.timestamp if state == "PENDING" else (run.start_time or run.state.timestamp)
    return _abandoned(since, paths, grace_s)


@dataclass
class _Item:
    path: Path
    unit: str
    name: str


class PoolSubmitter:
    """The watcher's side of the work pool (a :data:`flows.runner.Dispatch`).

    During an intake pass it collects claimed files; at the end of the pass (``flush``) it queues
    them as ``digitize-batch`` runs of at most ``SOHOA_WORKER_BATCH`` files, so a worker pays the
    start-up of a flow-run process once per batch instead of once per document.

    A claimed file found in ``work/`` again (``recovered``: still queued, or its run was killed)
    is looked up among the deployment's live runs on the server. A run waiting for a worker or
    holding its files' locks is left alone. A PENDING or RUNNING run that holds none of its files
    for ``lost_after_s`` lost its worker: it is marked Crashed and its remaining files are queued
    again, as is a file in no live run (its run crashed, was cancelled, or ended without it). A
    file that went through ``max_attempts`` runs is digitized by the watcher itself, which
    quarantines it if it fails again. Everything here keys on the server and the file locks, not
    on this process's memory, so a restarted watcher recovers the same way.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        batch_size: int | None = None,
        lost_after_s: float = LOST_AFTER_S,
        recheck_s: float = RECHECK_S,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.settings = settings
        self.batch_size = batch_size or settings.worker_batch
        self.lost_after_s = lost_after_s
        self.recheck_s = recheck_s
        self.max_attempts = max_attempts
        self.queued = 0  # files queued by this submitter, all passes
        self._new: list[_Item] = []
        self._recovered: list[_Item] = []
        self._seen_queued: dict[Path, float] = {}
        self._attempts: dict[Path, int] = {}

    def add(self, path: Path, unit: str, name: str, *, recovered: bool) -> None:
        (self._recovered if recovered else self._new).append(_Item(path, unit, name))

    def flush(self) -> list[dict[str, Any]]:
        """Queue what this pass collected; returns the outcomes of files finished here."""
        import time

        new, recovered = self._new, self._recovered
        self._new, self._recovered = [], []
        # Every claimed file is added on every pass: forget the ones that have left work/.
        present = {i.path for i in new + recovered}
        self._seen_queued = {p: t for p, t in self._seen_queued.items() if p in present}
        self._attempts = {p: n for p, n in self._attempts.items() if p in present}
        now = time.monotonic()
        recovered = [
            i
            for i in recovered
            if now - self._seen_queued.get(i.path, -1e18) >= self.recheck_s and i.path.exists()
        ]
        todo, results = list(new), []
        if recovered:
            live = self._live_runs()
            for item in recovered:
                if item.path in live:
                    self._seen_queued[item.path] = now
                    continue
                with inbox.processing_lock(item.path) as free:
                    if not free:
                        continue  # someone works on it now, or it just reached its outcome
                    if self._attempts.get(item.path, 0) >= self.max_attempts:
                        log.warning(
                            "%s went through %d runs unfinished; finishing here", item.name, self.max_attempts
                        )
                        results.append(runner._run_flow(item.path, item.unit, item.name, True))
                        continue
                todo.append(item)
        # As many runs as batches of ``batch_size`` need, the files spread evenly over them.
        runs = -(-len(todo) // max(self.batch_size, 1))
        for k in range(runs):
            batch = todo[k * len(todo) // runs : (k + 1) * len(todo) // runs]
            self._submit(batch)
            now = time.monotonic()
            for i in batch:
                self._seen_queued[i.path] = now
                self._attempts[i.path] = self._attempts.get(i.path, 0) + 1
            self.queued += len(batch)
        return results

    def _submit(self, items: list[_Item]) -> None:
        from prefect.deployments import run_deployment

        params = [{"path": str(i.path), "unit": i.unit, "name": i.name} for i in items]
        run = run_deployment(
            BATCH_DEPLOYMENT,
            parameters={"items": params},
            flow_run_name=_batch_name(params),
            timeout=0,
            as_subflow=False,
        )
        log.info("queued %s as run %s", run.name, run.id)

    def _live_runs(self) -> dict[Path, Any]:
        """Claimed file → the live batch run that holds it; lost runs are marked Crashed."""
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import (
            DeploymentFilter,
            DeploymentFilterId,
            FlowRunFilter,
            FlowRunFilterState,
            FlowRunFilterStateType,
        )
        from prefect.client.schemas.sorting import FlowRunSort
        from prefect.exceptions import ObjectNotFound
        from prefect.states import Crashed

        out: dict[Path, Any] = {}
        with get_client(sync_client=True) as client:
            try:
                deployment = client.read_deployment_by_name(BATCH_DEPLOYMENT)
            except ObjectNotFound:
                return out
            live = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=_LIVE)))
            by_deployment = DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
            offset, page = 0, 200
            while True:
                runs = client.read_flow_runs(
                    flow_run_filter=live,
                    deployment_filter=by_deployment,
                    sort=FlowRunSort.ID_DESC,
                    limit=page,
                    offset=offset,
                )
                for run in runs:
                    items = run.parameters.get("items") or []
                    paths = [Path(i["path"]) for i in items if isinstance(i, dict) and "path" in i]
                    if _run_lost(run, paths, self.lost_after_s):
                        log.warning("run %s lost its worker; its files are queued again", run.name)
                        client.set_flow_run_state(
                            run.id, Crashed(message="worker lost: no process holds its files"), force=True
                        )
                        continue
                    out.update(dict.fromkeys(paths, run))
                if len(runs) < page:
                    return out
                offset += page


def run_inbox_submitting(
    settings: Settings,
    tracker: inbox.StabilityTracker | None = None,
    submitter: PoolSubmitter | None = None,
) -> int:
    """One intake pass that queues every claimed file on the work pool; returns how many went."""
    submitter = submitter or PoolSubmitter(settings)
    before = submitter.queued
    runner.run_inbox_once(settings, None, tracker=tracker, dispatch=submitter)
    return submitter.queued - before


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

    With ``submit`` claimed files are queued in batches for ``sohoa worker`` processes instead
    of being digitized here.
    """
    from flows.digitize import digitize

    ensure_ocr_limit(settings)
    if submit:
        deploy_batches(settings)
    stop = stop or threading.Event()
    dispatch = PoolSubmitter(settings) if submit else None
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
