"""Drives the digitize flow over files: once (``process``/``run``) or continuously (``watch``).

The watcher must never stop because of one file: every outcome, including a crash inside the
flow, ends as an archived, duplicate, quarantined or deferred file. A file that cannot be taken
now (still being written, locked by the scanner, on a read-only share) stays in the inbox and is
looked at again on the next pass; nothing is ever skipped for good.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from flows.runtime import get_runtime
from schemas.errors import InternalError
from schemas.settings import Settings
from storage import inbox

log = logging.getLogger("sohoa.runner")
Callback = Callable[[dict[str, Any]], None]


class Dispatch(Protocol):
    """Hands claimed files to someone else (workers) instead of digitizing them in this process:
    ``add`` during a pass (``recovered``: found in ``work/`` rather than claimed just now), then
    ``flush`` once at its end, which returns the outcomes of any files it finished itself."""

    def add(self, path: Path, unit: str, name: str, *, recovered: bool) -> None: ...

    def flush(self) -> list[dict[str, Any]]: ...


def _one_client(stack: contextlib.ExitStack) -> None:
    """Flow runs started under ``stack`` share one Prefect API client: each run would otherwise
    open its own (an HTTP client and a CSRF-token request, ~0.025 s of CPU per document). Entered
    at the first run, so a pass over an empty inbox does not reach for the server."""
    from prefect.context import SyncClientContext

    if SyncClientContext.get() is None:
        stack.enter_context(SyncClientContext.get_or_create())


def _run_flow(path: Path, unit: str, name: str, claimed: bool) -> dict[str, Any]:
    from flows.digitize import digitize, quarantine

    state = digitize(str(path), unit, name=name, claimed=claimed, return_state=True)
    try:
        return state.result()
    except Exception as exc:  # noqa: BLE001 - a bug in a step must not lose the file or stop the watcher
        log.exception("digitize crashed on %s", name)
        err = InternalError(f"{type(exc).__name__}: {exc}")
        return quarantine(get_runtime(), path, name, None, err, claimed=claimed, unit=unit)


def process_files(
    paths: Iterable[Path], settings: Settings, on_result: Callback | None = None
) -> list[dict[str, Any]]:
    """``sohoa process``: each file once, in place (the user's files are not moved)."""
    from flows.reporting import BatchProgress

    get_runtime(settings)
    results = []
    paths = list(paths)
    progress = BatchProgress(len(paths))  # a Prefect progress artifact for batches of 2+ files
    with contextlib.ExitStack() as client:
        for path in paths:
            _one_client(client)
            unit = inbox.unit_for(path.resolve(), settings.inbox_dir, settings.unit, settings.unit_map)
            # The user named this file: follow their link here (the inbox never follows one).
            result = _run_flow(path.resolve() if path.is_symlink() else path, unit, path.name, claimed=False)
            progress.advance()
            results.append(result)
            if on_result:
                on_result(result)
    return results


_adopt_checked: set[Path] = set()


def _adopt_left_sidecar(settings: Settings, claimed: Path) -> None:
    """A kill between claiming a scan and its ``<file>.json`` leaves the sidecar in the inbox with
    no scan beside it: bring it to its scan so the clerk's data is not lost."""
    if claimed in _adopt_checked or inbox.companions(claimed):
        return
    _adopt_checked.add(claimed)
    name = inbox.original_name(claimed)
    for candidate in settings.inbox_dir.rglob(f"{name}.json"):
        if candidate.is_file() and not candidate.with_name(name).exists():
            try:
                inbox._move(candidate, claimed.with_name(claimed.name + inbox.SIDECAR_COMPANION))
            except OSError:
                log.warning("could not bring sidecar %s to %s", candidate, claimed)
            return


def recover_claimed(settings: Settings) -> list[inbox.InboxFile]:
    """Files left in ``work/`` by a run that was killed: they are done again from the start.

    Every step is idempotent on the SHA-256 (archive objects are reused, the ledger row is found
    by its claim token), so redoing a half-done file repeats nothing and loses nothing.
    """
    work = settings.work_dir
    if not work.is_dir():
        return []
    out = []
    for path in sorted(work.rglob("*")):
        if not path.is_file() or path.name.endswith((".part", ".json")):
            continue  # companions travel with their scan
        unit = path.parent.name if path.parent != work else settings.unit
        _adopt_left_sidecar(settings, path)
        out.append(inbox.InboxFile(path=path, unit=unit))
    return out


def run_inbox_once(
    settings: Settings,
    on_result: Callback | None = None,
    *,
    stable_s: float | None = None,
    tracker: inbox.StabilityTracker | None = None,
    dispatch: Dispatch | None = None,
) -> list[dict[str, Any]]:
    """One pass over the inbox: every stable file is claimed and digitized.

    With a ``tracker`` (the watcher) stability is judged across passes; without one (``sohoa run``
    from cron) by mtime age and a short re-check.
    """
    get_runtime(settings)
    with contextlib.ExitStack() as client:
        return _inbox_pass(settings, on_result, stable_s, tracker, dispatch, client)


def _inbox_pass(
    settings: Settings,
    on_result: Callback | None,
    stable_s: float | None,
    tracker: inbox.StabilityTracker | None,
    dispatch: Dispatch | None,
    client: contextlib.ExitStack,
) -> list[dict[str, Any]]:
    stable = settings.watch_stable_s if stable_s is None else stable_s
    results = []

    def ready(path: Path) -> bool:
        if tracker is not None:
            return tracker.ready(path)
        return inbox.is_stable(path, stable)

    def handle(path: Path, unit: str, already_claimed: bool) -> None:
        if already_claimed:
            claimed = path
        else:
            if inbox.is_locked(path):
                log.warning("%s is locked or unreadable; will try again later", path)
                return
            try:
                claimed = inbox.claim(path, settings.work_dir / unit)
            except FileNotFoundError:
                return  # another worker took it
            except PermissionError:
                log.warning("%s cannot be moved (read-only?); will try again later", path)
                return
            if tracker is not None:
                tracker.forget(path)
        name = inbox.original_name(claimed)
        if dispatch is not None:  # queued for a worker: the run itself takes the lock
            dispatch.add(claimed, unit, name, recovered=already_claimed)
            return
        with inbox.processing_lock(claimed) as mine:
            if not mine:
                return  # another process is working on it
            _one_client(client)
            result = _run_flow(claimed, unit, name, True)
        results.append(result)
        if on_result:
            on_result(result)

    for item in recover_claimed(settings):
        handle(item.path, item.unit, True)
    seen: set[Path] = set()
    for item in inbox.scan_inbox(settings.inbox_dir, settings.unit, settings.unit_map):
        seen.add(item.path)
        sidecar = inbox.sidecar_for(item.path)
        if sidecar is not None:
            seen.add(sidecar)
        if ready(item.path) and (sidecar is None or ready(sidecar)):
            handle(item.path, item.unit, False)
    if tracker is not None:
        tracker.prune(seen)
    if dispatch is not None:
        for result in dispatch.flush():
            results.append(result)
            if on_result:
                on_result(result)
    return results


def inbox_backlog(settings: Settings) -> int:
    return sum(1 for _ in inbox.scan_inbox(settings.inbox_dir, settings.unit, settings.unit_map))


def watch(
    settings: Settings,
    on_result: Callback | None = None,
    stop: threading.Event | None = None,
    *,
    on_pass: Callable[[], None] | None = None,
    dispatch: Dispatch | None = None,
) -> None:
    """Watch the inbox until stopped.

    Native file events (or polling, ``SOHOA_WATCH_POLL``, for network shares where events do not
    arrive) only say "look again"; every wake-up is a full scan of the inbox, and a full scan runs
    at least every ``SOHOA_WATCH_RESCAN_S`` even without events, so a file dropped while the
    watcher was down or between events is never missed. While some file is not yet stable the
    watcher wakes every half stability delay to look at it again.
    """
    from watchfiles import watch as watch_changes

    stop = stop or threading.Event()
    settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    tracker = inbox.StabilityTracker(settings.watch_stable_s)
    while not stop.is_set():
        try:
            run_inbox_once(settings, on_result, tracker=tracker, dispatch=dispatch)
        except Exception:  # noqa: BLE001 - the watcher goes on whatever one pass hit
            log.exception("inbox pass failed; will retry")
        if on_pass:
            on_pass()
        if stop.is_set():
            break
        waiting = inbox_backlog(settings) > 0
        timeout = max(settings.watch_stable_s / 2, 0.2) if waiting else settings.watch_rescan_s
        for _changes in watch_changes(
            settings.inbox_dir,
            stop_event=stop,
            force_polling=settings.watch_poll,
            poll_delay_ms=300,
            rust_timeout=max(int(timeout * 1000), 50),
            yield_on_timeout=True,
            debounce=200,
        ):
            break
