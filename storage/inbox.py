"""The inbox: watched folders where clerks drop scans, and the outcome folders.

A file is *claimed* by an atomic rename into ``work/<unit>/`` before any work starts, so a second
watcher (or a restart) never processes it twice, and a clerk who drops a new file with the same
name does not overwrite it. It then ends in exactly one place:

* archived — removed, or moved to ``done/`` (``SOHOA_DONE_MODE``), only after the archive copies
  were read back and their hashes matched;
* ``duplicates/`` — with a ``.duplicate.txt`` note naming the archived original;
* ``quarantine/<reason>/`` — with a ``<file>.error.txt`` telling the clerk, in Vietnamese and
  English, what is wrong and what to do.

A *sidecar* carries what the clerk typed for a scan (mã hồ sơ, mã TTHC, owner): ``<file>.json``
next to the scan, or a row of a CSV manifest in the same folder. It travels with the scan: it is
claimed with it (the manifest, shared by many scans, stays; its row is copied) and lands in the
same outcome folder. Claimed companions are named ``<claimed scan name>.<suffix>`` so they can
always be found from the scan.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import json
import os
import shutil
import time
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.errors import SohoaError

SCAN_SUFFIXES = {".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".png"}
IGNORE_PATTERNS = ("~$*", "*.part", "*.tmp", "*.crdownload", "Thumbs.db", ".DS_Store", "desktop.ini", ".*")
SIDECAR_SUFFIXES = {".json", ".csv", ".txt"}
CLAIM_SEP = "__"
SIDECAR_COMPANION = ".json"  # <claimed>.json: the clerk's own <file>.json, moved
MANIFEST_COMPANION = ".manifest.json"  # <claimed>.manifest.json: the manifest row, copied


@dataclass(frozen=True)
class InboxFile:
    """A file seen in the inbox and the unit it was dropped for (``inbox/<unit code>/...``)."""

    path: Path
    unit: str


def is_ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pat) for pat in IGNORE_PATTERNS)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def unit_for(path: Path, inbox: Path, default_unit: str, unit_map: Mapping[str, str] | None = None) -> str:
    """The unit a file was dropped for.

    ``unit_map`` (``SOHOA_UNIT_MAP``) maps folders under the inbox (``"Mot cua/Dak Mil"``) to unit
    codes, for offices whose shares are not named by code; the longest matching folder wins.
    Otherwise the first folder under the inbox is the unit when it looks like a unit code.
    """
    try:
        rel = path.relative_to(inbox)
    except ValueError:
        return default_unit
    folders = [_nfc(p) for p in rel.parts[:-1]]
    if unit_map:
        best: tuple[int, str] | None = None
        for folder, code in unit_map.items():
            parts = [_nfc(p) for p in Path(folder.strip("/")).parts]
            if parts and folders[: len(parts)] == parts and (best is None or len(parts) > best[0]):
                best = (len(parts), code)
        if best:
            return best[1]
    if folders and folders[0].isalnum():
        return folders[0]
    return default_unit


def _is_sidecar(name: str) -> bool:
    suffix = os.path.splitext(name)[1].lower()
    return suffix in SIDECAR_SUFFIXES and suffix not in SCAN_SUFFIXES


def scan_inbox(
    inbox: Path, default_unit: str, unit_map: Mapping[str, str] | None = None
) -> Iterator[InboxFile]:
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
            if is_ignored(name) or _is_sidecar(name):
                continue
            path = Path(root) / name
            if path.is_symlink():
                continue
            yield InboxFile(path=path, unit=unit_for(path, inbox, default_unit, unit_map))


def is_stable(path: Path, seconds: float, *, now: float | None = None) -> bool:
    """One-shot check (``sohoa run`` from cron, with no memory between runs).

    Stable means: its mtime is at least ``seconds`` old and its size does not change across a
    short re-check. The watcher uses :class:`StabilityTracker`, which is stricter.
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


@dataclass
class StabilityTracker:
    """Remembers each file's (size, mtime) across scans: a file is taken only once they have not
    changed for ``seconds`` as *observed by us* — a scanner writing slowly over a network share
    (where mtimes may be cached or set by another clock) is never picked up early.

    A file whose mtime is already older than ``seconds`` when first seen (the rescan at start) must
    still look the same at a second observation, at least ``min_recheck`` later.
    """

    seconds: float
    min_recheck: float = 0.5
    _seen: dict[Path, tuple[tuple[int, int], float]] = field(default_factory=dict)

    def ready(self, path: Path, *, now: float | None = None, wall: float | None = None) -> bool:
        try:
            st = path.stat()
        except OSError:
            self._seen.pop(path, None)
            return False
        now = time.monotonic() if now is None else now
        wall = time.time() if wall is None else wall
        sig = (st.st_size, st.st_mtime_ns)
        previous = self._seen.get(path)
        if previous is None or previous[0] != sig:
            self._seen[path] = (sig, now)
            return self.seconds <= 0
        unchanged_for = now - previous[1]
        if unchanged_for >= self.seconds:
            return True
        old_mtime = wall - st.st_mtime >= self.seconds
        return old_mtime and unchanged_for >= min(self.min_recheck, self.seconds)

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def prune(self, alive: set[Path]) -> None:
        for path in [p for p in self._seen if p not in alive]:
            del self._seen[path]


def is_locked(path: Path) -> bool:
    """True when the file cannot be read now or another process holds a lock on it.

    Scanner software and SMB clients lock a file while writing it (Samba maps share modes to
    ``flock`` locks); such a file is left in the inbox and tried again on a later pass.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@contextlib.contextmanager
def processing_lock(claimed: Path) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on a claimed file while this process works on it.

    Yields False when another live process holds it (a second watcher sharing ``work/`` must not
    "recover" a file that is being processed). The kernel drops the lock when its holder dies,
    even by SIGKILL, so a killed worker's files become recoverable at once.
    """
    try:
        fd = os.open(claimed, os.O_RDONLY)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield claimed.exists()  # it may have reached its outcome between our open and our lock
    finally:
        os.close(fd)


# --- sidecars ------------------------------------------------------------------------------------


def sidecar_for(path: Path) -> Path | None:
    """The clerk's ``<file>.json`` (or ``<stem>.json``) next to a scan, if any."""
    for candidate in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
        if candidate != path and candidate.is_file() and not candidate.is_symlink():
            return candidate
    return None


def manifest_row_for(path: Path) -> dict[str, Any] | None:
    """The row naming ``path`` in a CSV manifest of its folder, as ``{"manifest", "clerk"}``
    (``clerk``: the flat clerk mapping), or None. A CSV without a file-name column is not a
    manifest and is passed over; a manifest that cannot be read is recorded as ``{"manifest",
    "error"}`` and quarantines the scan when it is processed (claiming never fails on it)."""
    from ocr.sidecar import parse_manifest_csv
    from schemas.errors import SidecarInvalid

    for manifest in sorted(path.parent.glob("*.csv")):
        if manifest.is_symlink() or is_ignored(manifest.name):
            continue
        try:
            cd = parse_manifest_csv(manifest.read_bytes(), path.name)
        except OSError:
            continue
        except SidecarInvalid as exc:
            if "no file-name column" in str(exc):
                continue  # some other CSV, not a manifest
            return {"manifest": manifest.name, "error": str(exc)}
        if cd is not None:
            return {"manifest": manifest.name, "clerk": _flat_clerk(cd)}
    return None


def companions(claimed: Path) -> list[Path]:
    """The sidecar files claimed with a scan (``<claimed>.json``, ``<claimed>.manifest.json``)."""
    out = []
    for suffix in (SIDECAR_COMPANION, MANIFEST_COMPANION):
        p = claimed.with_name(claimed.name + suffix)
        if p.is_file():
            out.append(p)
    return out


# --- moves ---------------------------------------------------------------------------------------


def safe_name(name: str, max_bytes: int = 150) -> str:
    """A file name safe to write in our folders: NFC, no separators or control characters, and at
    most ``max_bytes`` of UTF-8 (file systems count bytes: 255 on ext4, and we add a claim token,
    a ``.xxxxxxxx`` de-duplicator and ``.error.txt``), keeping the extension."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in name).strip(" .")
    name = name or "file"
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    stem, suffix = os.path.splitext(name)
    suffix = suffix if len(suffix.encode("utf-8")) <= 16 else ""
    room = max_bytes - len(suffix.encode("utf-8"))
    return stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .") + suffix


def _move(src: Path, dst: Path) -> Path:
    """Atomic rename when on one file system; copy + fsync + unlink across file systems."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:  # the inbox is on another file system (network share)
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
    """Take a file out of the inbox by atomic rename, with its sidecar.

    Raises FileNotFoundError if another worker took it first, PermissionError if it cannot be moved
    now (read-only share, locked): the caller leaves it for a later pass. The scan's rename is the
    claim; its ``<file>.json`` follows, and the matching manifest row is copied beside it.
    """
    token = uuid.uuid4().hex[:12]
    sidecar = sidecar_for(path)
    row = manifest_row_for(path) if sidecar is None else None
    dst = _move(path, work_dir / f"{token}{CLAIM_SEP}{safe_name(path.name)}")
    if sidecar is not None:
        with contextlib.suppress(FileNotFoundError):  # the clerk removed it meanwhile
            _move(sidecar, dst.with_name(dst.name + SIDECAR_COMPANION))
    elif row is not None:
        _write_atomic(dst.with_name(dst.name + MANIFEST_COMPANION), json.dumps(row, ensure_ascii=False))
    return dst


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def claim_token(claimed: Path) -> str | None:
    """The random token of a claim (ties ledger rows to one claim, for crash recovery)."""
    head, sep, _ = claimed.name.partition(CLAIM_SEP)
    return head if sep else None


def original_name(claimed: Path) -> str:
    name = claimed.name
    return name.split(CLAIM_SEP, 1)[1] if CLAIM_SEP in name else name


def read_companion(claimed: Path) -> tuple[str, bytes] | None:
    """The claimed sidecar's kind (``json`` or ``manifest``) and bytes, if the scan has one."""
    for suffix, kind in ((MANIFEST_COMPANION, "manifest"), (SIDECAR_COMPANION, "json")):
        p = claimed.with_name(claimed.name + suffix)
        try:
            return kind, p.read_bytes()
        except FileNotFoundError:
            continue
    return None


def _move_with_companions(claimed: Path, dst: Path) -> Path:
    """Companions first, then the scan: a kill in between leaves the scan in ``work/`` to be
    recovered (its outcome is already in the ledger), never a sidecar without its scan."""
    for comp in companions(claimed):
        _move(comp, dst.with_name(dst.name + comp.name[len(claimed.name) :]))
    return _move(claimed, dst)


def release_done(claimed: Path, done_dir: Path, unit: str, mode: str) -> Path | None:
    """The archived copies are verified: the inbox file may go."""
    if mode == "delete":
        for comp in companions(claimed):
            comp.unlink(missing_ok=True)
        claimed.unlink(missing_ok=True)
        return None
    return _move_with_companions(claimed, _unique(done_dir / unit, original_name(claimed)))


def return_to_inbox(claimed: Path, folder: Path) -> Path:
    """A transient failure (store or ledger down): the file goes back for a later pass."""
    dst = _unique(folder, original_name(claimed))
    for comp in companions(claimed):
        if comp.name.endswith(MANIFEST_COMPANION):
            comp.unlink()  # the manifest itself never left the folder
        else:
            _move(comp, dst.with_name(dst.name + ".json"))
    return _move(claimed, dst)


def to_duplicates(claimed: Path, duplicates_dir: Path, note: str) -> Path:
    dst = _unique(duplicates_dir, original_name(claimed))
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.with_name(dst.name + ".duplicate.txt").write_text(note, encoding="utf-8")
    return _move_with_companions(claimed, dst)


def to_quarantine(claimed: Path, quarantine_dir: Path, error: SohoaError) -> Path:
    dst = _unique(quarantine_dir / error.reason, original_name(claimed))
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.with_name(dst.name + ".error.txt").write_text(error.clerk_text(), encoding="utf-8")
    return _move_with_companions(claimed, dst)


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


# --- clerk data ----------------------------------------------------------------------------------


def _flat_clerk(cd: Any) -> dict[str, Any]:
    """A parsed :class:`ocr.sidecar.ClerkData` as one flat JSON mapping: what the ledger's
    ``clerk_data`` column keeps and what :func:`ocr.sidecar.review_for` reads back (canonical keys,
    ISO dates, the clerk's other keys as typed)."""
    flat: dict[str, Any] = dict(cd.extra)
    for key, value in cd.fields.items():
        flat[key] = value.isoformat() if hasattr(value, "isoformat") else value
    for key in ("ma_ho_so", "ma_tthc", "owner", "unit"):
        if getattr(cd, key) is not None:
            flat[key] = getattr(cd, key)
    flat["source"] = cd.source
    return flat


def clerk_data(kind: str, data: bytes) -> dict[str, Any]:
    """The clerk's data from a claimed companion (``json``: the clerk's own ``<file>.json``;
    ``manifest``: the row copied from the folder's CSV manifest at claim time).

    Parsing is :mod:`ocr.sidecar`'s; raises :class:`~schemas.errors.SidecarInvalid` for a sidecar
    that cannot be read, which quarantines the scan with it so the clerk can fix it.
    """
    from ocr.sidecar import parse_sidecar_json

    if kind == "manifest":
        copied = json.loads(data.decode("utf-8"))
        if "error" in copied:
            from schemas.errors import SidecarInvalid

            raise SidecarInvalid(f"{copied['manifest']}: {copied['error']}")
        return dict(copied["clerk"])
    return _flat_clerk(parse_sidecar_json(data))


def clerk_data_for(path: Path, *, claimed: bool) -> dict[str, Any] | None:
    """The clerk's data for a scan: its claimed companion, or (``sohoa process`` on a file in
    place) its ``<file>.json`` or manifest row."""
    if claimed:
        found = read_companion(path)
        return clerk_data(*found) if found else None
    sidecar = sidecar_for(path)
    if sidecar is not None:
        return clerk_data("json", sidecar.read_bytes())
    row = manifest_row_for(path)
    return clerk_data("manifest", json.dumps(row).encode()) if row else None
