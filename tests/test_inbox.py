"""The inbox: what is picked up, claiming, and the outcome folders."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from schemas.errors import CorruptFile
from storage import inbox


def _touch(path: Path, data: bytes = b"x", age_s: float = 10) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    old = time.time() - age_s
    os.utime(path, (old, old))
    return path


def test_scan_skips_temporary_hidden_sidecars_and_links(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    _touch(box / "663" / "a.pdf")
    _touch(box / "663" / "sub" / "b.TIF")
    _touch(box / "c.png")
    _touch(box / "663" / "weird.docx")  # not a scan: still yielded, so it gets a quarantine reason
    for name in ("~$draft.pdf", "x.part", "Thumbs.db", ".DS_Store", ".hidden.pdf", "a.pdf.json", "list.csv"):
        _touch(box / "663" / name)
    outside = _touch(tmp_path / "secret.pdf")
    (box / "663" / "link.pdf").symlink_to(outside)
    found = {(p.path.relative_to(box).as_posix(), p.unit) for p in inbox.scan_inbox(box, "00000")}
    assert found == {("663/a.pdf", "663"), ("663/sub/b.TIF", "663"), ("c.png", "00000"), ("663/weird.docx", "663")}


def test_stability_waits_for_a_file_still_being_written(tmp_path: Path) -> None:
    fresh = _touch(tmp_path / "new.pdf", age_s=0)
    old = _touch(tmp_path / "old.pdf", age_s=30)
    assert not inbox.is_stable(fresh, 5)
    assert inbox.is_stable(old, 5)
    assert not inbox.is_stable(tmp_path / "gone.pdf", 0)


def test_claim_is_a_move_and_a_second_claim_fails(tmp_path: Path) -> None:
    src = _touch(tmp_path / "inbox" / "Quyết định.pdf", b"%PDF-1.4")
    claimed = inbox.claim(src, tmp_path / "work")
    assert not src.exists() and claimed.read_bytes() == b"%PDF-1.4"
    assert inbox.original_name(claimed) == "Quyết định.pdf"
    with pytest.raises(FileNotFoundError):
        inbox.claim(src, tmp_path / "work")


def test_quarantine_writes_a_bilingual_reason_next_to_the_file(tmp_path: Path) -> None:
    claimed = inbox.claim(_touch(tmp_path / "inbox" / "scan.pdf", b"%PDF-"), tmp_path / "work")
    dst = inbox.to_quarantine(claimed, tmp_path / "quarantine", CorruptFile("xref broken"))
    assert dst == tmp_path / "quarantine" / "corrupt_file" / "scan.pdf"
    text = dst.with_name("scan.pdf.error.txt").read_text("utf-8")
    assert "[VI] Tệp bị hỏng" in text and "[EN] The file is damaged" in text and "xref broken" in text
    # A second file with the same name does not overwrite the first.
    again = inbox.claim(_touch(tmp_path / "inbox" / "scan.pdf", b"%PDF-2"), tmp_path / "work")
    dst2 = inbox.to_quarantine(again, tmp_path / "quarantine", CorruptFile())
    assert dst2 != dst and dst.read_bytes() == b"%PDF-" and dst2.read_bytes() == b"%PDF-2"


def test_release_moves_or_deletes(tmp_path: Path) -> None:
    a = inbox.claim(_touch(tmp_path / "inbox" / "a.png"), tmp_path / "work")
    moved = inbox.release_done(a, tmp_path / "done", "663", "move")
    assert moved == tmp_path / "done" / "663" / "a.png" and moved.exists()
    b = inbox.claim(_touch(tmp_path / "inbox" / "b.png"), tmp_path / "work")
    assert inbox.release_done(b, tmp_path / "done", "663", "delete") is None and not b.exists()


def test_safe_name_strips_separators_and_control_characters() -> None:
    assert inbox.safe_name("../../etc/passwd") == "_.._etc_passwd"
    assert inbox.safe_name("a\x00b\nc.pdf") == "a_b_c.pdf"
    nfd = "Quye\u0302\u0301t.pdf"
    assert inbox.safe_name(nfd) == "Quyết.pdf"
    assert len(inbox.safe_name("x" * 500)) == 150
