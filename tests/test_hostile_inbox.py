"""Hostile input end to end: the whole bad-input corpus dropped in an inbox with good scans after
it, one ``run_inbox_once`` pass (real Prefect server, Tesseract, pyHanko, local archive).

Each bad file must end in ``quarantine/<reason>/`` with a bilingual ``.error.txt``, the pass must
not stop, and the good file that follows must be archived and signed. File names that try to
escape (``..\\``), NFD, control characters, very long names and a symbolic link to a file outside
the inbox go through the same pass.
"""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import hostile_corpus as hc
import pytest

from ocr.samples import demo_specs, encode_pages, render_pages

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]
UNIT = "663"


def _good_scan(seed: int, fmt: str = "png") -> bytes:
    pages = render_pages(demo_specs()[0], dpi=200, seed=seed)[:1]
    return encode_pages(pages, fmt, 200)


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def test_inbox_goes_on_after_every_bad_file(
    sohoa_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.cli import ensure_dev_pki
    from flows.runner import run_inbox_once
    from schemas.settings import Settings

    monkeypatch.setenv("SOHOA_DOC_TIMEOUT_S", "120")  # the flow builds its settings from the environment
    settings = Settings()
    ensure_dev_pki(settings)
    folder = settings.inbox_dir / UNIT
    folder.mkdir(parents=True)

    expected: dict[str, str] = {}  # name as claimed (safe name) -> reason
    for i, case in enumerate(sorted(hc.CASES)):
        _, name, reason = hc.CASES[case]
        safe = f"a{i:02d}_{name}"
        (folder / safe).write_bytes(hc.build(case, tmp_path / case))
        expected[safe] = reason

    # Names: an escape attempt, control characters (a fake log line), a 240-byte Vietnamese name.
    nasty = {
        "b1_..\\..\\..\\etc\\passwd.pdf": ("b1_.._.._.._etc_passwd.pdf", "unsupported_type"),
        "b2_ctl\x1b[2J\x07\nWARNING forged line.pdf": ("b2_ctl_[2J__WARNING forged line.pdf", "corrupt_file"),
        "b3_" + "Quyết định " * 15 + ".pdf": (None, "corrupt_file"),
    }
    for raw, (_, _) in nasty.items():
        (folder / raw).write_bytes(hc.NOT_DOCUMENTS["elf"] if raw.startswith("b1") else hc.garbled_pdf())
    assert len(("b3_" + "Quyết định " * 15 + ".pdf").encode()) > 230

    # A symbolic link to a real scan outside the inbox: never followed, never archived.
    outside = tmp_path / "outside" / "not_yours.png"
    outside.parent.mkdir()
    outside.write_bytes(_good_scan(seed=11))
    outside_before = outside.read_bytes()
    (folder / "c_link.png").symlink_to(outside)

    # The good scan comes last, under an NFD name (as macOS clients write them).
    good_name = unicodedata.normalize("NFD", "zz_Quyết định cấp phép.png")
    (folder / good_name).write_bytes(_good_scan(seed=7))

    started = time.monotonic()
    results = run_inbox_once(settings, stable_s=0)
    elapsed = time.monotonic() - started

    by_file = {r["file"]: r for r in results}
    assert results[-1]["file"] == unicodedata.normalize("NFC", good_name), [r["file"] for r in results]
    good = results[-1]
    assert good["status"] == "archived", good
    assert Path(good["signed_pdf"].removeprefix("file://")).exists()

    for name, reason in expected.items():
        r = by_file[name]
        assert (r["status"], r["reason"]) == ("quarantined", reason), (name, r)
        q = settings.quarantine_dir / reason / name
        assert q.exists(), (name, sorted(p.name for p in (settings.quarantine_dir / reason).iterdir()))
        note = q.with_name(q.name + ".error.txt").read_text("utf-8")
        assert f"Lý do / Reason: {reason}" in note and "[VI]" in note and "[EN]" in note

    long_result = next(r for r in results if r["file"].startswith("b3_"))
    for raw, (safe, reason) in nasty.items():
        r = by_file[safe] if safe else long_result
        assert (r["status"], r["reason"]) == ("quarantined", reason), (raw, r)
        assert all(c.isprintable() for c in r["file"]) and "/" not in r["file"] and "\\" not in r["file"]
        assert len(r["file"].encode()) <= 150
        assert (settings.quarantine_dir / reason / r["file"]).exists()
    assert long_result["file"].endswith(".pdf") and long_result["file"] == unicodedata.normalize(
        "NFC", long_result["file"]
    )

    # Nothing was written outside SOHOA_HOME; the link's target is untouched and not archived.
    assert outside.read_bytes() == outside_before
    assert _files_under(tmp_path / "outside") == {outside}
    assert not list(Path("/etc").glob("passwd.pdf*"))
    assert not any(r["file"] == "c_link.png" for r in results)
    assert _files_under(settings.inbox_dir) == {folder / "c_link.png"}
    assert _files_under(settings.work_dir) == set()
    n = len(expected) + len(nasty) + 1
    assert len(results) == n
    assert elapsed < 60 * n  # each case well under a minute (measured: a few seconds)


def test_already_signed_input_archive_original(
    sohoa_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``SOHOA_SIGNED_INPUT=archive_original``: the signed original is archived byte for byte (its
    signature still validates), and our signed OCR copy is a separate file."""
    from flows.cli import ensure_dev_pki
    from flows.runner import run_inbox_once
    from flows.runtime import get_runtime
    from schemas.settings import Settings
    from signing.verify import verify_pdf

    monkeypatch.setenv("SOHOA_SIGNED_INPUT", "archive_original")
    settings = Settings()
    ensure_dev_pki(settings)
    rt = get_runtime(settings)
    other = tmp_path / "other-agency"
    theirs = hc.signed_pdf(other, _good_scan(seed=5, fmt="pdf"))
    their_root = [(other / "root.pem").read_bytes()]
    assert verify_pdf(theirs, trust_roots=their_root).ok
    folder = settings.inbox_dir / UNIT
    folder.mkdir(parents=True)
    (folder / "a_signed_elsewhere.pdf").write_bytes(theirs)
    (folder / "b_zero.pdf").write_bytes(b"")

    results = run_inbox_once(settings, stable_s=0)
    by_file = {r["file"]: r for r in results}
    assert by_file["b_zero.pdf"]["reason"] == "empty_file"
    r = by_file["a_signed_elsewhere.pdf"]
    assert r["status"] == "archived", r
    doc = rt.ledger.find_document(r["sha256"])
    original = rt.store.get(doc.original_key)
    assert original == theirs
    assert verify_pdf(original, trust_roots=their_root).ok  # their signature is not broken
    ours = rt.store.get(doc.signed_key)
    assert ours != theirs
    assert verify_pdf(ours, trust_roots=[(settings.pki_dir / "root.pem").read_bytes()]).ok
