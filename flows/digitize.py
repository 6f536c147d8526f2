"""The digitize flow: one Prefect flow run per document.

Reads top to bottom as the recipe::

    intake (sha256, type, duplicate?) → OCR + metadata → searchable PDF → sign → verify
        → archive (+ read-back hash) → ledger → inbox file released

The flow run, named ``<file> · <unit>``, is what the Prefect UI shows per document; its steps
are plain calls to :mod:`flows.steps`, not Prefect tasks. A task costs the worker and the server
about 0.06 s of CPU per document (its run is recorded from three state events), so three of them
added 8% to a one-page document's OCR time, for a breakdown nobody needs to act on: the step that
failed is named in the run's log and in the quarantine entry. Only transient errors (store,
database or TSA unreachable) are retried, in the finishing step. Any :class:`SohoaError` ends the
run at one boundary that writes the quarantine entry (ledger + ``quarantine/<reason>/`` +
``.error.txt``); the file is never left half-done and never silently skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, get_run_logger
from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

from flows import steps
from flows.ocr_slot import ocr_slot
from flows.redact import contain
from flows.runtime import get_runtime, no_heartbeat_wait
from schemas.documents import Outcome, ProcessResult
from schemas.errors import SohoaError
from storage import inbox

no_heartbeat_wait()  # each flow run would otherwise idle up to 1 s at its end

T = TypeVar("T")


def _logger() -> Any:
    """The flow run's logger inside a run (so the Prefect UI shows it), else the module's."""
    try:
        return get_run_logger()
    except Exception:  # noqa: BLE001 - outside a run context
        return logging.getLogger("sohoa.digitize")


RETRY_DELAYS_S = [2.0, 10.0, 30.0]


def retrying(step: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn`` again after a transient error (store, ledger or TSA unreachable), waiting
    :data:`RETRY_DELAYS_S` between attempts; any other error, or the last one, is raised."""
    for attempt, delay in enumerate([*RETRY_DELAYS_S, None], start=1):
        try:
            return fn(*args, **kwargs)
        except SohoaError as exc:
            if not exc.transient or delay is None:
                raise
            _logger().warning("%s: attempt %d failed (%s); again in %g s", step, attempt, exc, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


@contain  # a bug in a step becomes InternalError: quarantined, its message scrubbed (flows/redact.py)
def read_intake(path: str, name: str, unit: str) -> steps.Intake:
    return steps.read_intake(Path(path), name=name, unit=unit)


@contain
def ocr_and_metadata(intake: steps.Intake) -> steps.DocumentOcr:
    """OCR holds a slot of the global ``ocr`` limit (:mod:`flows.ocr_slot`), so N workers never
    run more than ``SOHOA_OCR_CONCURRENCY`` OCR jobs at once."""
    with ocr_slot():
        return steps.extract(intake, get_runtime().settings)


@contain
def sign_and_archive(
    intake: steps.Intake,
    doc: steps.DocumentOcr,
    received: dt.datetime,
    clerk: dict[str, Any] | None = None,
    claim: str | None = None,
) -> steps.ArchivedCopies:
    """Sign and verify, archive every copy with its read-back hash, write the ledger row.

    Retried whole on a transient error, which is safe: each step finds what an earlier attempt
    already stored (the signed copy is reused when it verifies, archived objects are kept, the
    ledger row is written once)."""
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
# flow run (a GET /admin/storage per document); nothing is ever written there.
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
        intake = read_intake(path, name, unit)
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

        doc = ocr_and_metadata(intake)
        copies = retrying("sign-and-archive", sign_and_archive, intake, doc, received, clerk, claim)
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
