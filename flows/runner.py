"""Drives the digitize flow over files: once (``process``/``run``) or continuously (``watch``).

The watcher must never stop because of one file: every outcome, including a crash inside the
flow, ends as an archived, duplicate, quarantined or deferred file.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flows.runtime import get_runtime
from schemas.errors import InternalError
from schemas.settings import Settings
from storage import inbox

log = logging.getLogger("sohoa.runner")
Callback = Callable[[dict[str, Any]], None]


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
    get_runtime(settings)
    results = []
    for path in paths:
        unit = inbox.unit_for(path.resolve(), settings.inbox_dir, settings.unit)
        result = _run_flow(path, unit, path.name, claimed=False)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def recover_claimed(settings: Settings) -> list[inbox.InboxFile]:
    """Files left in ``work/`` by a run that was killed: they are done again from the start."""
    work = settings.work_dir
    if not work.is_dir():
        return []
    out = []
    for path in sorted(work.rglob("*")):
        if path.is_file() and not path.name.endswith(".part"):
            unit = path.parent.name if path.parent != work else settings.unit
            out.append(inbox.InboxFile(path=path, unit=unit))
    return out


def run_inbox_once(
    settings: Settings, on_result: Callback | None = None, *, stable_s: float | None = None
) -> list[dict[str, Any]]:
    """One pass over the inbox: every stable file is claimed and digitized."""
    get_runtime(settings)
    stable = settings.watch_stable_s if stable_s is None else stable_s
    results = []

    def handle(path: Path, unit: str, already_claimed: bool) -> None:
        if already_claimed:
            claimed = path
        else:
            try:
                claimed = inbox.claim(path, settings.work_dir / unit)
            except FileNotFoundError:
                return  # another worker took it
            except PermissionError:
                log.warning("%s is locked or read-only; will try again later", path)
                return
        name = inbox.original_name(claimed)
        result = _run_flow(claimed, unit, name, claimed=True)
        results.append(result)
        if on_result:
            on_result(result)

    for item in recover_claimed(settings):
        handle(item.path, item.unit, True)
    for item in inbox.scan_inbox(settings.inbox_dir, settings.unit):
        if inbox.is_stable(item.path, stable):
            handle(item.path, item.unit, False)
    return results


def watch(settings: Settings, on_result: Callback | None = None, stop: threading.Event | None = None) -> None:
    """Watch the inbox until stopped: native events (or polling on network shares) plus periodic rescans."""
    from watchfiles import watch as watch_changes

    stop = stop or threading.Event()
    settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    last_scan = 0.0
    while not stop.is_set():
        now = time.monotonic()
        if now - last_scan >= 0:  # rescan on every wake-up: events only say "look again"
            try:
                run_inbox_once(settings, on_result)
            except Exception:  # noqa: BLE001 - the watcher goes on whatever one pass hit
                log.exception("inbox pass failed; will retry")
            last_scan = time.monotonic()
        for _changes in watch_changes(
            settings.inbox_dir,
            stop_event=stop,
            force_polling=settings.watch_poll,
            rust_timeout=int(settings.watch_rescan_s * 1000),
            yield_on_timeout=True,
            debounce=int(max(settings.watch_stable_s, 0.05) * 1000),
        ):
            if settings.watch_stable_s > 0:
                stop.wait(settings.watch_stable_s)
            break
