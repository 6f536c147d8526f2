"""The inbox: watched folders where clerks drop scans, and the outcome folders.

A file is *claimed* by an atomic rename into ``work/`` before any work starts, so a second
watcher (or a restart) never processes it twice, and a clerk who drops a new file with the same
name does not overwrite it. It then ends in exactly one place:

* archived — removed, or moved to ``done/`` (``SOHOA_DONE_MODE``), only after the archive copies
  were read back and their hashes matched;
* ``duplicates/`` — with a ``.duplicate.txt`` note naming the archived original;
* ``quarantine/<reason>/`` — with a ``<file>.error.txt`` telling the clerk, in Vietnamese and
  English, what is wrong and what to do.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import time
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import SohoaError

SCAN_SUFFIXES = {".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".png"}
IGNORE_PATTERNS = ("~$*", "*.part", "*.tmp", "*.crdownload", "Thumbs.db", ".DS_Store", "desktop.ini", ".*")
SIDECAR_SUFFIXES = {".json", ".csv", ".txt"}


@dataclass(frozen=True)
class InboxFile:
    """A file seen in the inbox and the unit it was dropped for (``inbox/<unit code>/...``)."""

    path: Path
    unit: str


def is_ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pat) for pat in IGNORE_PATTERNS)


def unit_for(path: Path, inbox: Path, default_unit: str) -> str:
    """The unit is the first folder under the inbox when it looks like a unit code."""
    try:
        rel = path.relative_to(inbox)
    except ValueError:
        return default_unit
    if len(rel.parts) > 1 and rel.parts[0].isalnum():
        return rel.parts[0]
    return default_unit


def scan_inbox(inbox: Path, default_unit: str) -> Iterator[InboxFile]:
    """Every candidate file under the inbox, recursively, in name order.

    Symbolic links are never followed (a link could point outside the inbox). Sidecars and
    temporary files are skipped; anything else — even with an unknown suffix — is yielded so that
    it gets a quarantine reason instead of lying there silently.
    """
    if not inbox.is_dir():
        return
    for root, dirs, files in os.walk(inbox, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not is_ignored(d))
        for name in sorted(files):
            if is_ignored(name):
                continue
            path = Path(root) / name
            if path.is_symlink():
                continue
            if path.suffix.lower() in SIDECAR_SUFFIXES and path.suffix.lower() not in SCAN_SUFFIXES:
                continue
            yield InboxFile(path=path, unit=unit_for(path, inbox, default_unit))


def is_stable(path: Path, seconds: float, *, now: float | None = None) -> bool:
    """A file still being written by a slow scanner or a copy over the network is not taken.

    Stable means: its mtime is at least ``seconds`` old and its size does not change across a
    short re-check.
    """
    try:
        st = path.stat()
    except OSError:
        return False
    now = time.time() if now is None else now
    if now - st.st_mtime < seconds:
        return False
    if seconds <= 0:
        return True
    time.sleep(min(0.2, seconds))
    try:
        st2 = path.stat()
    except OSError:
        return False
    return (st2.st_size, st2.st_mtime_ns) == (st.st_size, st.st_mtime_ns)


def safe_name(name: str) -> str:
    """A file name safe to write in our folders: NFC, no separators or control characters."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in name).strip(" .")
    return (name or "file")[:150]


def _move(src: Path, dst: Path) -> Path:
    """Atomic rename when on one file system; copy + fsync + unlink across file systems."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno != 18:  # EXDEV: the inbox is on another file system (network share)
            raise
        tmp = dst.with_name(dst.name + ".part")
        shutil.copy2(src, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.rename(tmp, dst)
        src.unlink()
    return dst


def _unique(folder: Path, name: str) -> Path:
    candidate = folder / name
    if not candidate.exists():
        return candidate
    stem, suffix = os.path.splitext(name)
    return folder / f"{stem}.{uuid.uuid4().hex[:8]}{suffix}"


def claim(path: Path, work_dir: Path) -> Path:
    """Take a file out of the inbox by atomic rename; raises FileNotFoundError if another took it."""
    dst = work_dir / f"{uuid.uuid4().hex[:12]}__{safe_name(path.name)}"
    return _move(path, dst)


def original_name(claimed: Path) -> str:
    name = claimed.name
    return name.split("__", 1)[1] if "__" in name else name


def release_done(claimed: Path, done_dir: Path, unit: str, mode: str) -> Path | None:
    """The archived copies are verified: the inbox file may go."""
    if mode == "delete":
        claimed.unlink(missing_ok=True)
        return None
    return _move(claimed, _unique(done_dir / unit, original_name(claimed)))


def return_to_inbox(claimed: Path, folder: Path) -> Path:
    """A transient failure (store or ledger down): the file goes back for a later pass."""
    return _move(claimed, _unique(folder, original_name(claimed)))


def to_duplicates(claimed: Path, duplicates_dir: Path, note: str) -> Path:
    dst = _move(claimed, _unique(duplicates_dir, original_name(claimed)))
    dst.with_name(dst.name + ".duplicate.txt").write_text(note, encoding="utf-8")
    return dst


def to_quarantine(claimed: Path, quarantine_dir: Path, error: SohoaError) -> Path:
    dst = _move(claimed, _unique(quarantine_dir / error.reason, original_name(claimed)))
    dst.with_name(dst.name + ".error.txt").write_text(error.clerk_text(), encoding="utf-8")
    return dst


def copy_to_quarantine(path: Path, quarantine_dir: Path, error: SohoaError) -> Path:
    """For ``sohoa process`` on files outside the inbox: leave the user's file, keep a copy."""
    dst = _unique(quarantine_dir / error.reason, safe_name(path.name))
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copy2(path, dst)
    except OSError:
        dst.write_bytes(b"")
    dst.with_name(dst.name + ".error.txt").write_text(error.clerk_text(), encoding="utf-8")
    return dst
