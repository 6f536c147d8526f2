"""The watcher's intake: stability, polling, periodic rescans and locked files.

The digitize flow is replaced by a recorder at the runner's one patch point (``_run_flow``), so
these tests exercise the real scan / stability / claim / outcome code in seconds.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows import runner
from storage import inbox


class Recorder:
    """Stands in for the flow: notes what was claimed (and its size then) and releases it."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.seen: list[dict[str, Any]] = []

    def __call__(self, path: Path, unit: str, name: str, claimed: bool) -> dict[str, Any]:
        entry = {"file": name, "unit": unit, "size": path.stat().st_size, "status": "archived"}
        self.seen.append(entry)
        inbox.release_done(path, self.settings.done_dir, unit, "move")
        return entry


@pytest.fixture()
def settings(sohoa_home: Path) -> Any:
    from schemas.settings import Settings

    return Settings(watch_poll=True, watch_stable_s=1.0, watch_rescan_s=2.0)


@pytest.fixture()
def recorder(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder(settings)
    monkeypatch.setattr(runner, "_run_flow", rec)
    return rec


@pytest.fixture()
def watching(settings: Any, recorder: Recorder) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=runner.watch, args=(settings, None, stop), daemon=True)
    thread.start()
    yield stop
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()


def _wait_for(cond: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def _write_slowly(path: Path, chunks: int, pause: float, chunk: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for _ in range(chunks):
            fh.write(chunk)
            fh.flush()
            time.sleep(pause)


def _slow_writer_case(settings: Any, recorder: Recorder, watching: Any, seconds: float) -> None:
    # Pauses of 0.6 s between writes are shorter than the 1 s stability delay, but longer than
    # the watcher's re-check interval: a tracker that trusted one unchanged look would fire.
    chunk = os.urandom(64 * 1024)
    chunks = max(int(seconds / 0.6), 2)
    target = settings.inbox_dir / "663" / "slow.pdf"
    writer = threading.Thread(target=_write_slowly, args=(target, chunks, 0.6, chunk))
    writer.start()
    writer.join()
    assert _wait_for(lambda: recorder.seen, 15), "the finished file was never picked up"
    time.sleep(0.5)
    assert recorder.seen == [
        {"file": "slow.pdf", "unit": "663", "size": chunks * len(chunk), "status": "archived"}
    ]


def test_a_file_written_slowly_is_taken_only_once_complete(settings, recorder, watching) -> None:
    _slow_writer_case(settings, recorder, watching, seconds=6)


@pytest.mark.slow
def test_a_file_written_slowly_over_a_minute_is_taken_only_once_complete(
    settings, recorder, watching
) -> None:
    _slow_writer_case(settings, recorder, watching, seconds=60)


def test_polling_picks_up_files_present_at_start_and_dropped_later(settings, recorder) -> None:
    before = settings.inbox_dir / "663" / "a" / "before.png"
    before.parent.mkdir(parents=True)
    before.write_bytes(b"x" * 10)
    for junk in ("~$temp.pdf", "scan.pdf.part", "Thumbs.db", ".DS_Store"):
        (before.parent / junk).write_bytes(b"junk")
    stop = threading.Event()
    thread = threading.Thread(target=runner.watch, args=(settings, None, stop), daemon=True)
    thread.start()
    try:
        assert _wait_for(lambda: len(recorder.seen) == 1, 10)
        later = settings.inbox_dir / "24410" / "later.tif"
        later.parent.mkdir(parents=True)
        later.write_bytes(b"y" * 20)
        assert _wait_for(lambda: len(recorder.seen) == 2, 10)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert [(r["file"], r["unit"]) for r in recorder.seen] == [("before.png", "663"), ("later.tif", "24410")]
    assert sorted(p.name for p in before.parent.iterdir()) == sorted(
        ["~$temp.pdf", "scan.pdf.part", "Thumbs.db", ".DS_Store"]
    )


def test_periodic_rescan_finds_files_when_no_event_ever_arrives(
    settings, recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A share whose events are lost: only the rescan timer wakes the watcher."""
    import watchfiles

    def only_timeouts(*args: Any, stop_event: threading.Event, rust_timeout: int, **kw: Any):
        while not stop_event.wait(rust_timeout / 1000):
            yield set()

    monkeypatch.setattr(watchfiles, "watch", only_timeouts)
    stop = threading.Event()
    thread = threading.Thread(target=runner.watch, args=(settings, None, stop), daemon=True)
    thread.start()
    try:
        time.sleep(0.5)
        drop = settings.inbox_dir / "663" / "quiet.jpg"
        drop.parent.mkdir(parents=True, exist_ok=True)
        drop.write_bytes(b"z")
        assert _wait_for(lambda: recorder.seen, 10)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert recorder.seen[0]["file"] == "quiet.jpg"


def test_a_locked_file_waits_in_the_inbox_and_is_taken_once_released(settings, recorder) -> None:
    target = settings.inbox_dir / "663" / "locked.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"%PDF-locked")
    old = time.time() - 60
    os.utime(target, (old, old))
    fh = target.open("rb")
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
    try:
        assert runner.run_inbox_once(settings, stable_s=0) == []
        assert target.exists() and recorder.seen == []
    finally:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()
    assert [r["file"] for r in runner.run_inbox_once(settings, stable_s=0)] == ["locked.pdf"]


def test_a_file_that_cannot_be_moved_is_retried_not_lost(
    settings, recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = settings.inbox_dir / "663" / "ro.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"%PDF-ro")
    real_move = inbox._move

    def refuse(src: Path, dst: Path) -> Path:
        raise PermissionError(13, "Permission denied", str(src))

    monkeypatch.setattr(inbox, "_move", refuse)
    assert runner.run_inbox_once(settings, stable_s=0) == [] and target.exists()
    monkeypatch.setattr(inbox, "_move", real_move)
    assert [r["file"] for r in runner.run_inbox_once(settings, stable_s=0)] == ["ro.pdf"]


def test_a_sidecar_still_being_written_holds_its_scan_back(settings, recorder) -> None:
    scan = settings.inbox_dir / "663" / "hs.pdf"
    scan.parent.mkdir(parents=True)
    scan.write_bytes(b"%PDF-hs")
    old = time.time() - 60
    os.utime(scan, (old, old))
    (scan.parent / "hs.pdf.json").write_text('{"ma_ho_so": "HS-9"}', "utf-8")
    assert runner.run_inbox_once(settings, stable_s=5) == []
    old_side = time.time() - 60
    os.utime(scan.parent / "hs.pdf.json", (old_side, old_side))
    assert [r["file"] for r in runner.run_inbox_once(settings, stable_s=5)] == ["hs.pdf"]
    assert (settings.done_dir / "663" / "hs.pdf.json").exists()


def test_a_claimed_file_another_process_is_working_on_is_not_recovered(settings, recorder) -> None:
    src = settings.inbox_dir / "663" / "busy.pdf"
    src.parent.mkdir(parents=True)
    src.write_bytes(b"%PDF-busy")
    claimed = inbox.claim(src, settings.work_dir / "663")
    with inbox.processing_lock(claimed) as mine:  # as a second watcher sharing work/ would hold it
        assert mine
        assert runner.run_inbox_once(settings, stable_s=0) == [] and claimed.exists()
    assert [r["file"] for r in runner.run_inbox_once(settings, stable_s=0)] == ["busy.pdf"]
