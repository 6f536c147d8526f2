"""Helpers shared by the intake tests: a batch of small generated scans and the check that
every input ended in exactly one place with the ledger and archive matching one to one."""

from __future__ import annotations

import sys
from pathlib import Path

from ocr.samples import demo_specs, encode_pages, render_pages

NOTES = (".error.txt", ".duplicate.txt", ".json")


def make_batch(inbox: Path, n: int) -> dict[str, bytes]:
    """``n`` distinct small scans across two units, one corrupt file and one duplicate copy."""
    specs = demo_specs()
    files: dict[str, bytes] = {}
    for i in range(n):
        spec = specs[i % len(specs)]
        page = render_pages(spec, dpi=150, seed=i)[0]
        top = page[: page.shape[0] // 3].copy()
        files[f"{spec.unit_code}/scan_{i:02d}.png"] = encode_pages([top], "png", 150)
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
    }


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
    signed_in_archive = {
        p.relative_to(home / "archive").as_posix() for p in (home / "archive").rglob("signed.pdf")
    }
    assert signed_in_archive == {d.signed_key for d in docs}, "orphaned or missing signed.pdf"
    assert [(q.file_name, q.reason) for q in quarantined] == [("broken.pdf", "corrupt_file")]
    ledger.dispose()
