"""Helpers shared by the intake tests: a batch of small generated scans and the check that
every input ended in exactly one place with the ledger and archive matching one to one."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from ocr.samples import demo_specs, encode_pages, render_pages

NOTES = (".error.txt", ".duplicate.txt", ".json")


def make_batch(inbox: Path, n: int, *, height: float = 1 / 3) -> dict[str, bytes]:
    """``n`` distinct small scans across the demo units, one corrupt file and one duplicate copy.

    Each scan is the top ``height`` of a rendered demo page at 150 dpi (a few lines: agency,
    motto, number and date). Pages are rendered once per demo spec; the i-th scan carries its
    index as a few dark pixels in the right margin, so every scan has its own SHA-256 without
    rendering a page per scan.
    """
    specs = demo_specs()
    tops: dict[int, np.ndarray] = {}
    files: dict[str, bytes] = {}
    for i in range(n):
        k = i % len(specs)
        if k not in tops:
            page = render_pages(specs[k], dpi=150, seed=k)[0]
            tops[k] = page[: max(int(page.shape[0] * height), 64)].copy()
        img = tops[k].copy()
        for bit in range(16):  # the index, in binary, down the right margin
            if (i >> bit) & 1:
                img[8 + 3 * bit : 10 + 3 * bit, -12:-10] = 40
        files[f"{specs[k].unit_code}/scan_{i:03d}.png"] = encode_pages([img], "png", 150)
    first = next(iter(files))
    files[f"{first.split('/')[0]}/zz_copy_of_first.png"] = files[first]
    files["663/broken.pdf"] = b"%PDF-1.7\n1 0 obj\n<< /Type /Cat"
    for rel, data in files.items():
        path = inbox / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def sohoa_env(home: Path) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "SOHOA_HOME": str(home),
        "SOHOA_WATCH_STABLE_S": "0",
        "SOHOA_OCR_WORKERS": "1",
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    } | {k: v for k, v in os.environ.items() if k == "PYTHONPATH"}


def sohoa_bin() -> str:
    return str(Path(sys.executable).parent / "sohoa")


def outcome_files(home: Path) -> list[Path]:
    found = []
    for folder in ("done", "duplicates", "quarantine"):
        for p in (home / folder).rglob("*"):
            if p.is_file() and not p.name.endswith(NOTES):
                found.append(p)
    return found


def check_consistency(home: Path, files: dict[str, bytes]) -> None:
    """Every input in exactly one place; ledger rows and archive objects match one to one."""
    from storage.ledger import Ledger
    from storage.objectstore import LocalFolderStore

    leftovers = [p for p in (home / "inbox").rglob("*") if p.is_file()]
    assert leftovers == [], leftovers
    assert [p for p in (home / "work").rglob("*") if p.is_file()] == []
    names = sorted(p.name for p in outcome_files(home))
    assert names == sorted(Path(rel).name for rel in files), names

    ledger = Ledger(f"sqlite:///{home / 'ledger.db'}")
    store = LocalFolderStore(home / "archive")
    from sqlmodel import Session, select

    from schemas.ledger import Document, Event, Quarantine

    with Session(ledger.engine) as s:
        docs = list(s.exec(select(Document)).all())
        events = list(s.exec(select(Event)).all())
        quarantined = list(s.exec(select(Quarantine)).all())
    distinct_good = {data for rel, data in files.items() if rel.endswith(".png")}
    assert len(docs) == len(distinct_good)
    for doc in docs:
        received = [e for e in events if e.sha256 == doc.sha256 and e.kind == "received"]
        assert len(received) == 1, (doc.file_name, received)
        for key in (doc.original_key, doc.signed_key, doc.metadata_key):
            assert key and store.exists(key), key
        assert store.sha256_of(doc.signed_key) == doc.signed_sha256
        assert store.sha256_of(doc.original_key) == doc.sha256
    # No second or orphaned archive object: every object (hidden lock and temporary files aside)
    # sits in the folder of one ledger document, and each folder holds exactly one of each kind.
    objects = [
        p.relative_to(home / "archive")
        for p in (home / "archive").rglob("*")
        if p.is_file() and not p.name.startswith(".")
    ]
    folders: dict[str, list[str]] = {}
    for rel in objects:
        folders.setdefault(rel.parent.as_posix(), []).append(rel.name.split(".")[0])
    assert set(folders) == {str(Path(d.signed_key).parent.as_posix()) for d in docs}, "orphaned objects"
    for folder, kinds in folders.items():
        assert sorted(kinds) == ["metadata", "ocr", "original", "signed"], (folder, kinds)
    assert [(q.file_name, q.reason) for q in quarantined] == [("broken.pdf", "corrupt_file")]
    ledger.dispose()


# --- processes: `sohoa worker`s and the flow-run processes they start ---------------------------


def start_worker(env: dict[str, str], name: str, log: Path, limit: int = 1) -> subprocess.Popen[bytes]:
    """A real ``sohoa worker`` (a Prefect process worker) in its own session."""
    return subprocess.Popen(
        [sohoa_bin(), "worker", "--name", name, "--limit", str(limit)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def descendants(pid: int) -> list[int]:
    """Every live process under ``pid`` (the worker starts flow runs in sessions of their own, so
    its process group does not reach them)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def flow_run_processes(pid: int) -> list[int]:
    """The flow-run processes (``python -m prefect.engine``) a worker is running now."""
    found = []
    for child in descendants(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"prefect.engine" in cmdline:
            found.append(child)
    return found


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process and everything under it, as a power cut would: the tree is frozen with
    SIGSTOP first (so nothing forks or reparents in between), then killed."""
    stopped: set[int] = set()
    while True:
        new = [p for p in (proc.pid, *descendants(proc.pid)) if p not in stopped]
        if not new:
            break
        for p in new:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGSTOP)
            stopped.add(p)
    for p in stopped:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    proc.wait(timeout=30)


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a worker stops taking runs and ends its own); SIGKILL after 20 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill_tree(proc)
