"""End to end: generated scans dropped in an inbox become signed, archived, counted documents.

Real Tesseract, real pyHanko signatures, a real Prefect server, SQLite ledger, local archive.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from ocr.samples import demo_specs, encode_pages, ground_truth, render_pages

pytestmark = pytest.mark.usefixtures("prefect_server")


def _drop(inbox: Path, unit: str, name: str, data: bytes) -> Path:
    folder = inbox / unit
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def _words(text: str) -> set[str]:
    return set(unicodedata.normalize("NFC", text).split())


@pytest.fixture()
def scans() -> list[tuple[object, dict, str, bytes]]:
    """Three documents at the three levels, as PNG, multi-page TIFF and image-only PDF."""
    specs = demo_specs()
    by_cap: dict[str, object] = {}
    for spec in specs:
        by_cap.setdefault(spec.cap, spec)
    chosen = [by_cap["tinh"], by_cap["huyen"], by_cap["xa"]]
    out = []
    for spec, fmt in zip(chosen, ("png", "tiff", "pdf"), strict=True):
        pages = render_pages(spec, dpi=200, seed=7)
        if fmt == "png":
            pages = pages[:1]
        gt = ground_truth(spec)
        if fmt == "png":
            gt = dict(gt, pages=gt["pages"][:1], so_trang=1)
        out.append((spec, gt, fmt, encode_pages(pages, fmt, 200)))
    return out


def test_inbox_to_signed_archived_counted(sohoa_home: Path, scans) -> None:
    from flows.cli import ensure_dev_pki
    from flows.runner import run_inbox_once
    from flows.runtime import get_runtime
    from schemas.settings import Settings
    from schemas.targets import DAK_NONG_392
    from signing.verify import verify_pdf

    settings = Settings()
    ensure_dev_pki(settings)
    rt = get_runtime(settings)
    ext = {"png": "png", "tiff": "tif", "pdf": "pdf"}
    expected: dict[str, tuple[object, dict]] = {}
    for i, (spec, gt, fmt, data) in enumerate(scans):
        name = f"scan_{i}.{ext[fmt]}"
        _drop(settings.inbox_dir, spec.unit_code, name, data)
        expected[name] = (spec, gt)
    # A corrupt file between the good ones, and a second copy of the first scan under another name.
    _drop(
        settings.inbox_dir, scans[0][0].unit_code, "scan_1b_broken.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Cat"
    )

    results = run_inbox_once(settings, stable_s=0)
    by_file = {r["file"]: r for r in results}
    assert set(by_file) == set(expected) | {"scan_1b_broken.pdf"}, results

    broken = by_file["scan_1b_broken.pdf"]
    assert broken["status"] == "quarantined" and broken["reason"] == "corrupt_file"
    qfile = settings.quarantine_dir / "corrupt_file" / "scan_1b_broken.pdf"
    assert qfile.exists()
    reason_text = qfile.with_name(qfile.name + ".error.txt").read_text("utf-8")
    assert "[VI]" in reason_text and "[EN]" in reason_text and "corrupt_file" in reason_text

    roots = [(settings.pki_dir / "root.pem").read_bytes()]
    from cryptography.hazmat.primitives import hashes

    from signing.pki import load_pkcs12

    signer_sha256 = (
        load_pkcs12(settings.signer_p12.read_bytes(), settings.signer_password)
        .cert.fingerprint(hashes.SHA256())
        .hex()
    )
    for name, (spec, gt) in expected.items():
        r = by_file[name]
        assert r["status"] == "archived", r
        signed_path = Path(r["signed_pdf"].removeprefix("file://"))
        signed = signed_path.read_bytes()
        report = verify_pdf(signed, trust_roots=roots)
        assert report.ok and report.intact and report.trusted, report

        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(signed)).pages)
        assert text == unicodedata.normalize("NFC", text)
        gt_words = _words(" ".join(gt["pages"]))
        found = gt_words & _words(text)
        assert len(found) >= 0.6 * len(gt_words), (name, len(found), len(gt_words))
        for word in ("Số:", "CỘNG", "HÒA", "Hạnh", "phúc"):
            assert word in _words(text), (name, word)

        md = r["metadata"]
        assert md["so_ky_hieu"] == gt["so_ky_hieu"], (name, md)
        assert md["ngay_ban_hanh"] == gt["ngay_ban_hanh"], (name, md)
        assert md["so_trang"] == gt["so_trang"]

        doc = rt.ledger.find_document(r["sha256"])
        assert doc is not None and doc.unit_code == spec.unit_code and doc.so_ky_hieu == gt["so_ky_hieu"]
        assert doc.signature_level == "B-B" and doc.signer_fingerprint == signer_sha256
        meta = json.loads(rt.store.get(doc.metadata_key))
        assert meta["sha256"] == r["sha256"]

    # Every inbox file ended in exactly one place: the inbox and work folders are empty.
    leftovers = [p for p in settings.inbox_dir.rglob("*") if p.is_file()]
    assert leftovers == []
    assert [p for p in settings.work_dir.rglob("*") if p.is_file()] == []
    assert len([p for p in settings.done_dir.rglob("*") if p.is_file()]) == len(expected)

    # Ledger counts match: one document per level this year, and the quarantine entry.
    year = dt.datetime.now(dt.UTC).year
    rep = rt.ledger.report(year, DAK_NONG_392)
    digitized = {level.level: level.digitized for level in rep.levels}
    assert digitized.get("tinh") == 1 and digitized.get("huyen") == 1 and digitized.get("xa") == 1, rep
    assert rt.ledger.quarantine_counts() == {"corrupt_file": 1}

    # The same scan again, under a new name: recognised as a duplicate, not archived twice.
    spec0, _, fmt0, data0 = scans[0]
    archived_before = sorted(p for p in Path(settings.archive).rglob("*") if p.is_file())
    _drop(settings.inbox_dir, spec0.unit_code, "scan_again.png", data0)
    again = run_inbox_once(settings, stable_s=0)
    assert [r["status"] for r in again] == ["duplicate"]
    assert again[0]["sha256"] == by_file["scan_0.png"]["sha256"]
    assert sorted(p for p in Path(settings.archive).rglob("*") if p.is_file()) == archived_before
    dup = settings.duplicates_dir / "scan_again.png"
    assert dup.exists() and "scan_0.png" in dup.with_name(dup.name + ".duplicate.txt").read_text("utf-8")
    rep2 = rt.ledger.report(year, DAK_NONG_392)
    assert {lv.level: lv.digitized for lv in rep2.levels} == digitized


def test_watcher_goes_on_after_a_bad_file(sohoa_home: Path, scans) -> None:
    from flows.cli import ensure_dev_pki
    from flows.runner import watch
    from schemas.settings import Settings

    settings = Settings(watch_poll=True, watch_rescan_s=1.0, watch_stable_s=0.5)
    ensure_dev_pki(settings)
    results: list[dict] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(settings, results.append, stop), daemon=True)
    thread.start()
    try:
        spec, _, _, data = scans[0]
        _drop(settings.inbox_dir, spec.unit_code, "0_empty.jpg", b"")
        _drop(settings.inbox_dir, spec.unit_code, "1_not_a_scan.pdf", b"GIF89a" + b"\0" * 64)
        time.sleep(1.0)
        _drop(settings.inbox_dir, spec.unit_code, "2_good.png", data)
        deadline = time.monotonic() + 240
        while len(results) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop.set()
        thread.join(timeout=60)
    by_file = {r["file"]: r for r in results}
    assert by_file["0_empty.jpg"]["reason"] == "empty_file"
    assert by_file["1_not_a_scan.pdf"]["reason"] == "unsupported_type"
    assert by_file["2_good.png"]["status"] == "archived"
    assert not thread.is_alive()


@pytest.mark.slow
def test_cli_process_json_and_verify(tmp_path: Path, scans) -> None:
    """The installed console script, on Prefect's ephemeral server, as a clerk would run it."""
    env = {"SOHOA_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "PREFECT_LOGGING_LEVEL": "WARNING"}
    bindir = Path(sys.executable).parent
    sohoa = str(bindir / "sohoa")
    subprocess.run([sohoa, "pki", "init"], env=env, check=True, capture_output=True)
    spec, gt, fmt, data = scans[2]
    scan = tmp_path / "hoso.pdf"
    scan.write_bytes(data)
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\0garbage")
    proc = subprocess.run(
        [sohoa, "process", str(scan), str(bad), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 1, proc.stderr
    assert [x["status"] for x in lines] == ["archived", "quarantined"], proc.stdout + proc.stderr
    for x in lines:
        assert {"file", "status", "sha256", "signed_pdf", "reason"} <= set(x)
    assert lines[1]["reason"] == "corrupt_file"
    assert scan.exists(), "sohoa process leaves the user's file where it was"
    signed = lines[0]["signed_pdf"].removeprefix("file://")
    ok = subprocess.run([sohoa, "verify", signed], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    tampered = tmp_path / "tampered.pdf"
    raw = bytearray(Path(signed).read_bytes())
    pos = raw.find(b"stream", len(raw) // 3)
    raw[pos + 20] ^= 0xFF
    tampered.write_bytes(bytes(raw))
    bad_verify = subprocess.run(
        [sohoa, "verify", signed, str(tampered)], env=env, capture_output=True, text=True
    )
    assert bad_verify.returncode == 1
    assert "FAIL" in bad_verify.stdout
