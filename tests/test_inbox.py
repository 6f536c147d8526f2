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
    assert found == {
        ("663/a.pdf", "663"),
        ("663/sub/b.TIF", "663"),
        ("c.png", "00000"),
        ("663/weird.docx", "663"),
    }


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


def test_unit_map_longest_folder_wins_then_code_folder_then_default(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    umap = {"Một cửa": "660", "Một cửa/Đắk Mil": "663"}
    nfd = "Mo\u0323\u0302t cu\u031b\u0309a"  # a Mac share hands out NFD names
    assert inbox.unit_for(box / nfd / "Đắk Mil" / "x" / "a.pdf", box, "00000", umap) == "663"
    assert inbox.unit_for(box / "Một cửa" / "a.pdf", box, "00000", umap) == "660"
    assert inbox.unit_for(box / "24410" / "a.pdf", box, "00000", umap) == "24410"
    assert inbox.unit_for(box / "Phòng khác" / "a.pdf", box, "00000", umap) == "00000"
    assert inbox.unit_for(box / "a.pdf", box, "00000", umap) == "00000"


def test_tracker_takes_a_file_only_after_it_stopped_changing_for_the_delay(tmp_path: Path) -> None:
    path = _touch(tmp_path / "scan.pdf", b"1", age_s=0)
    tracker = inbox.StabilityTracker(seconds=5)
    t0 = 1000.0
    wall = path.stat().st_mtime
    assert not tracker.ready(path, now=t0, wall=wall)
    assert not tracker.ready(path, now=t0 + 4, wall=wall + 4)
    with path.open("ab") as fh:  # the scanner writes more: the clock starts again
        fh.write(b"2")
    wall = path.stat().st_mtime
    assert not tracker.ready(path, now=t0 + 6, wall=wall)
    assert not tracker.ready(path, now=t0 + 10, wall=wall + 4)
    assert tracker.ready(path, now=t0 + 11.5, wall=wall + 5.5)
    # A file already old at the first look (rescan at start) needs one more look, not the full delay.
    old = _touch(tmp_path / "old.pdf", age_s=60)
    assert not tracker.ready(old, now=t0)
    assert tracker.ready(old, now=t0 + 0.6)
    assert not tracker.ready(tmp_path / "gone.pdf", now=t0)


def test_a_locked_file_is_reported_locked_until_released(tmp_path: Path) -> None:
    import fcntl

    path = _touch(tmp_path / "scan.pdf")
    assert not inbox.is_locked(path)
    with path.open("ab") as writer:
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX)
        assert inbox.is_locked(path)
        fcntl.flock(writer.fileno(), fcntl.LOCK_UN)
    assert not inbox.is_locked(path)
    assert inbox.is_locked(tmp_path / "missing.pdf")


def test_sidecar_is_claimed_with_the_scan_and_follows_it_to_its_outcome(tmp_path: Path) -> None:
    box = tmp_path / "inbox" / "663"
    scan = _touch(box / "hs1.pdf", b"%PDF-1")
    side = _touch(box / "hs1.pdf.json", '{"Mã hồ sơ": "000.00.06.H12-240101-0001"}'.encode())
    claimed = inbox.claim(scan, tmp_path / "work" / "663")
    assert not scan.exists() and not side.exists()
    assert [p.name for p in inbox.companions(claimed)] == [claimed.name + ".json"]
    data = inbox.clerk_data_for(claimed, claimed=True)
    assert data == {"ma_ho_so": "000.00.06.H12-240101-0001", "source": "sidecar"}
    dst = inbox.to_quarantine(claimed, tmp_path / "quarantine", CorruptFile())
    assert dst.with_name("hs1.pdf.json").exists() and dst.exists()
    assert list((tmp_path / "work" / "663").iterdir()) == []


def test_manifest_row_is_copied_and_the_manifest_stays(tmp_path: Path) -> None:
    box = tmp_path / "inbox" / "663"
    a = _touch(box / "a.pdf", b"%PDF-a")
    _touch(box / "b.pdf", b"%PDF-b")
    manifest = _touch(
        box / "danh_sach.csv",
        "\ufeffTên tệp,Mã hồ sơ,Mã TTHC,Chủ hồ sơ\na.pdf,HS-1,1.001234,Nguyễn Văn A\nb.pdf,HS-2,2.000,Lê B\n".encode(),
    )
    claimed = inbox.claim(a, tmp_path / "work" / "663")
    assert manifest.exists()
    data = inbox.clerk_data_for(claimed, claimed=True)
    assert data is not None
    assert (data["ma_ho_so"], data["ma_tthc"], data["owner"]) == ("HS-1", "1.001234", "Nguyễn Văn A")
    done = inbox.release_done(claimed, tmp_path / "done", "663", "move")
    assert done is not None and done.with_name("a.pdf.manifest.json").exists()
    # Unclaimed (``sohoa process`` in place): read from beside the file.
    assert inbox.clerk_data_for(box / "b.pdf", claimed=False)["ma_ho_so"] == "HS-2"


def test_a_broken_sidecar_or_manifest_row_is_reported_when_processed(tmp_path: Path) -> None:
    from schemas.errors import SidecarInvalid

    with pytest.raises(SidecarInvalid):
        inbox.clerk_data("json", b"{not json")
    with pytest.raises(SidecarInvalid):
        inbox.clerk_data("json", b"[1, 2]")
    box = tmp_path / "inbox" / "663"
    scan = _touch(box / "a.pdf", b"%PDF-a")
    _touch(box / "other.csv", b"x,y\n1,2\n")  # not a manifest: passed over
    _touch(box / "ds.csv", b"file,ngay_ban_hanh\na.pdf,31/02/2024\n")
    claimed = inbox.claim(scan, tmp_path / "work")  # claiming never fails on a bad manifest
    with pytest.raises(SidecarInvalid, match="ds.csv"):
        inbox.clerk_data_for(claimed, claimed=True)


def test_return_to_inbox_brings_the_sidecar_back(tmp_path: Path) -> None:
    box = tmp_path / "inbox" / "663"
    scan = _touch(box / "x.png", b"png")
    _touch(box / "x.png.json", b"{}")
    claimed = inbox.claim(scan, tmp_path / "work")
    back = inbox.return_to_inbox(claimed, box)
    assert back == scan and scan.exists() and (box / "x.png.json").exists()
