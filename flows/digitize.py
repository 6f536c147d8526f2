"""The digitize flow: one Prefect flow run per document.

Reads top to bottom as the recipe::

    intake (sha256, type, duplicate?) → OCR + metadata → searchable PDF → sign → verify
        → archive (+ read-back hash) → ledger → inbox file released

The Prefect UI shows three tasks per run: ``intake``, ``ocr-and-metadata`` and
``sign-and-archive`` (sign, verify, archive, ledger row). Tasks are thin adapters over
:mod:`flows.steps`. Only transient errors (store or database
unreachable) are retried. Any :class:`SohoaError` ends the run at one boundary that writes the
quarantine entry (ledger + ``quarantine/<reason>/`` + ``.error.txt``); the file is never left
half-done and never silently skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.settings import PREFECT_LOCAL_STORAGE_PATH
from prefect.utilities.annotations import quote

from flows import steps
from flows.redact import contain
from flows.runtime import get_runtime, no_heartbeat_wait
from schemas.documents import Outcome, ProcessResult
from schemas.errors import SohoaError
from storage import inbox

no_heartbeat_wait()  # each flow run would otherwise idle up to 1 s at its end


def _logger() -> Any:
    """The flow run's logger inside a run (so the Prefect UI shows it), else the module's."""
    try:
        return get_run_logger()
    except Exception:  # noqa: BLE001 - outside a run context
        return logging.getLogger("sohoa.digitize")


def _transient(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry only errors that may pass (store or ledger unreachable), never bad input."""
    try:
        state.result()
    except SohoaError as exc:
        return exc.transient
    except Exception:  # noqa: BLE001 - an unknown error is not retried; the boundary quarantines it
        return False
    return False


RETRY = {"retries": 3, "retry_delay_seconds": [2, 10, 30], "retry_condition_fn": _transient}


@task(name="intake", cache_policy=NO_CACHE)
@contain  # no secret in a task state's message (flows/redact.py)
def intake_task(path: str, name: str, unit: str) -> steps.Intake:
    return steps.read_intake(Path(path), name=name, unit=unit)


OCR_LIMIT = "ocr"
_limit_seen: dict[str, float] = {}


def _ocr_limit_exists() -> bool:
    """Whether the global ``ocr`` concurrency limit exists (``sohoa watch``/``worker`` create it),
    asked at most once a minute; without it OCR runs unthrottled and Prefect is not bothered."""
    import time

    now = time.monotonic()
    if now - _limit_seen.get("checked", -1e9) > 60:
        from prefect.client.orchestration import get_client

        try:
            with get_client(sync_client=True) as client:
                client.read_global_concurrency_limit_by_name(OCR_LIMIT)
            _limit_seen["exists"] = 1.0
        except Exception:  # noqa: BLE001 - ObjectNotFound, or no API: run without the limit
            _limit_seen["exists"] = 0.0
        _limit_seen["checked"] = now
    return bool(_limit_seen.get("exists"))


# No task tag: a tag makes Prefect ask the server for a "tag:ocr" concurrency slot on every run
# (two more API calls per document) although sohoa throttles OCR with the global limit below.
@task(name="ocr-and-metadata", cache_policy=NO_CACHE)
@contain  # no secret in a task state's message (flows/redact.py)
def extract_task(intake: steps.Intake) -> steps.DocumentOcr:
    """OCR holds a slot of the global ``ocr`` limit, so N workers never run more than
    ``SOHOA_OCR_CONCURRENCY`` OCR jobs at once. The slot is a lease: a killed worker's slot is
    freed when the lease expires."""
    settings = get_runtime().settings
    if not _ocr_limit_exists():
        return steps.extract(intake, settings)
    from prefect.concurrency.sync import concurrency

    with concurrency(OCR_LIMIT, occupy=1, lease_duration=60):
        return steps.extract(intake, settings)


@task(name="sign-and-archive", cache_policy=NO_CACHE, **RETRY)
@contain  # no secret in a task state's message (flows/redact.py)
def finish_task(
    intake: steps.Intake,
    doc: steps.DocumentOcr,
    received: dt.datetime,
    clerk: dict[str, Any] | None = None,
    claim: str | None = None,
) -> steps.ArchivedCopies:
    """Sign and verify, archive every copy with its read-back hash, write the ledger row.

    One task rather than three: each Prefect task costs API round trips and server writes per
    document, and these steps take a few hundredths of a second each. A transient error (store,
    database or TSA unreachable) retries the whole task, which is safe: each step finds what an
    earlier attempt already stored (the signed copy is reused when it verifies, archived objects
    are kept, the ledger row is written once)."""
    return steps.sign_archive_record(get_runtime(), intake, doc, received, clerk=clerk, claim=claim)


def _claimed_before(rt: Any, sha256: str, claim: str | None) -> bool:
    """The ledger row was written by an earlier run of this very claim, killed before it released
    the inbox file: the file is archived, not a duplicate."""
    if not claim:
        return False
    marker = f"[claim {claim}]"
    return any(marker in ev.detail for ev in rt.ledger.events(sha256) if ev.kind == "received")


def _run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters
    return f"{params.get('name') or Path(params['path']).name} · {params.get('unit', '')}"


# Results stay in memory (persist_result=False: the outcome lives in the ledger and the archive).
# Naming a storage stops Prefect from asking the server for its default result storage at every
# flow and task run (three GET /admin/storage per document); nothing is ever written there.
@flow(
    name="digitize",
    flow_run_name=_run_name,
    log_prints=False,
    validate_parameters=False,
    persist_result=False,
    result_storage=Path(PREFECT_LOCAL_STORAGE_PATH.value()),
)
def digitize(
    path: str, unit: str, name: str | None = None, claimed: bool = False, lock: bool = False
) -> dict[str, Any]:
    """Digitize one scanned file.

    ``claimed`` says the file was taken out of the inbox into ``work/``: it is then moved to its
    outcome folder. Otherwise (``sohoa process`` on a user's file) it is left where it is.
    ``lock`` (runs queued for workers): hold the file's processing lock for the whole run, so the
    watcher can tell a live run from one whose worker died.
    """
    if not lock:
        return _digitize(path, unit, name, claimed)
    with inbox.processing_lock(Path(path)) as mine:
        if not mine:
            return ProcessResult(
                file=name or Path(path).name,
                status=Outcome.DEFERRED,
                unit=unit,
                reason="in_progress",
                message="another process is working on this file",
            ).to_json()
        return _digitize(path, unit, name, claimed)


def _digitize(path: str, unit: str, name: str | None, claimed: bool) -> dict[str, Any]:
    logger = get_run_logger()
    rt = get_runtime()
    settings = rt.settings
    file_path = Path(path)
    name = name or file_path.name
    received = dt.datetime.now(dt.UTC)
    sha256: str | None = None
    claim = inbox.claim_token(file_path) if claimed else None
    try:
        intake = intake_task(path, name, unit)
        sha256 = intake.sha256
        clerk = inbox.clerk_data_for(file_path, claimed=claimed)
        existing = rt.ledger.find_document(sha256)
        if existing is not None and _claimed_before(rt, sha256, claim):
            inbox.release_done(file_path, settings.done_dir, unit, settings.done_mode)
            logger.info("%s was archived by an interrupted run; released", name)
            return ProcessResult(
                file=name,
                status=Outcome.ARCHIVED,
                sha256=sha256,
                signed_pdf=rt.store.uri(existing.signed_key),
                unit=unit,
                message="resumed after an interrupted run",
            ).to_json()
        if existing is not None:
            rt.ledger.record_event(
                sha256, "duplicate", steps.AGENT, f"{name} is a copy of {existing.file_name}"
            )
            signed_uri = rt.store.uri(existing.signed_key)
            if claimed:
                note = (
                    f"Tệp này trùng với tài liệu đã số hóa / This file duplicates an archived document:\n"
                    f"  {existing.file_name} (SHA-256 {sha256})\n  {signed_uri}\n"
                )
                inbox.to_duplicates(file_path, settings.duplicates_dir, note)
            logger.info("%s is a duplicate of %s", name, existing.file_name)
            return ProcessResult(
                file=name,
                status=Outcome.DUPLICATE,
                sha256=sha256,
                signed_pdf=signed_uri,
                unit=unit,
                reason="duplicate",
                message=f"duplicate of {existing.file_name}",
            ).to_json()

        # quote(): Prefect would otherwise walk every OCR word of these arguments looking for
        # futures, twice per task call (~0.1 s of CPU per page).
        doc = extract_task(quote(intake))
        copies = finish_task(quote(intake), quote(doc), received, clerk, claim)
        if claimed:
            inbox.release_done(file_path, settings.done_dir, unit, settings.done_mode)
        logger.info("%s archived as %s", name, copies.signed.uri)
        return ProcessResult(
            file=name,
            status=Outcome.ARCHIVED,
            sha256=sha256,
            signed_pdf=copies.signed.uri,
            metadata=doc.extraction.metadata.to_json(),
            unit=unit,
        ).to_json()
    except SohoaError as exc:
        return quarantine(rt, file_path, name, sha256, exc, claimed=claimed, unit=unit)


def quarantine(
    rt: Any, file_path: Path, name: str, sha256: str | None, exc: SohoaError, *, claimed: bool, unit: str
) -> dict[str, Any]:
    """The one boundary that turns an error into a quarantine entry the clerk can act on."""
    settings = rt.settings
    if exc.transient and claimed:
        # Store or database down after retries: give the file back to the inbox for a later pass.
        inbox.return_to_inbox(file_path, settings.inbox_dir / unit)
        return ProcessResult(
            file=name,
            status=Outcome.DEFERRED,
            sha256=sha256,
            reason=exc.reason,
            message=exc.message_en,
            unit=unit,
        ).to_json()
    # If the ledger is down too, the quarantine folder entry alone still tells the clerk. A run
    # resumed after a crash between this row and the move below does not record it twice.
    claim = inbox.claim_token(file_path) if claimed else None
    marker = f" [claim {claim}]" if claim else ""
    with contextlib.suppress(SohoaError):
        if not (claim and rt.ledger.has_quarantine(marker.strip())):
            rt.ledger.record_quarantine(name, sha256, exc.reason, str(exc) + marker)
    if claimed:
        where = inbox.to_quarantine(file_path, settings.quarantine_dir, exc)
    elif file_path.exists():
        where = inbox.copy_to_quarantine(file_path, settings.quarantine_dir, exc)
    else:
        where = None
    _logger().warning("%s quarantined (%s): %s", name, exc.reason, exc)
    return ProcessResult(
        file=name,
        status=Outcome.QUARANTINED,
        sha256=sha256,
        reason=exc.reason,
        message=f"{exc.message_vi} / {exc.message_en}",
        unit=unit,
        signed_pdf=None,
    ).to_json() | ({"quarantine_path": str(where)} if where else {})
