"""``sohoa verify`` and ``sohoa audit`` against a real (temporary) ledger and archive.

The test PKI runs on loopback; files are signed B-LT so verification is offline. The ledger and
a folder archive live in a temporary SOHOA_HOME, filled the way the pipeline fills them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfWriter
from typer.testing import CliRunner

from schemas.ledger import Document
from signing.sign import sign_pdf
from signing.testpki import TestPki
from storage.objectstore import archive_key

AGENCY = unicodedata.normalize("NFC", "ỦY BAN NHÂN DÂN HUYỆN CƯ JÚT")
UNIT, YEAR = "24640", 2026


@pytest.fixture(scope="module")
def pki() -> Iterator[TestPki]:
    with TestPki(AGENCY) as p:
        yield p


def _pdf(shade: int) -> bytes:
    img = Image.new("RGB", (595, 842), "white")
    ImageDraw.Draw(img).rectangle((100, 300, 495, 540), fill=(shade, shade, shade))
    buf = io.BytesIO()
    img.save(buf, format="PDF", resolution=72.0)
    w = PdfWriter(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def signed_files(pki: TestPki) -> list[bytes]:
    p12 = pki.p12(pki.signer, b"pw")
    return [
        sign_pdf(
            _pdf(shade),
            p12=p12,
            password=b"pw",
            agency_name=AGENCY,
            level="B-LT",
            tsa_url=pki.tsa_url,
            trust_roots=[pki.root.pem],
        )
        for shade in (40, 90, 140)
    ]


@pytest.fixture
def home(tmp_path: Path, pki: TestPki, signed_files: list[bytes], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SOHOA_HOME whose ledger and archive hold the first two signed files (not the third)."""
    home = tmp_path / "home"
    trust = pki.write_trust_dir(tmp_path / "trust")
    for key in list(os.environ):
        if key.startswith("SOHOA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SOHOA_HOME", str(home))
    monkeypatch.setenv("SOHOA_TRUST_DIR", str(trust))
    from flows.runtime import get_runtime
    from schemas.settings import Settings

    rt = get_runtime(Settings())
    for i, data in enumerate(signed_files[:2]):
        original_sha = hashlib.sha256(b"scan %d" % i).hexdigest()
        key = archive_key(UNIT, YEAR, original_sha, "signed.pdf")
        rt.store.put(key, data, content_type="application/pdf")
        rt.ledger.record_document(
            Document(
                sha256=original_sha,
                file_name=f"scan{i}.pdf",
                unit_code=UNIT,
                so_ky_hieu=f"{i + 1}/QĐ-UBND",
                original_key=archive_key(UNIT, YEAR, original_sha, "original.pdf"),
                signed_key=key,
                signed_sha256=hashlib.sha256(data).hexdigest(),
            ),
            [],
        )
    return home


def _run(*args: str) -> tuple[int, str]:
    from flows.cli import app

    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_verify_valid_files_exit_0_with_bilingual_output(
    home: Path, signed_files: list[bytes], tmp_path: Path
) -> None:
    files = []
    for i, data in enumerate(signed_files[:2]):
        f = tmp_path / f"ok{i}.pdf"
        f.write_bytes(data)
        files.append(str(f))
    code, out = _run("verify", *files)
    assert code == 0, out
    assert out.count("HỢP LỆ / VALID (B-LT)") == 2
    assert "Trùng khớp bản đã ký" in out and "Matches the archived signed copy" in out


def test_verify_json_and_exit_1_on_any_failure(home: Path, signed_files: list[bytes], tmp_path: Path) -> None:
    ok = tmp_path / "ok.pdf"
    ok.write_bytes(signed_files[0])
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(signed_files[0] + b"\n%junk\n")
    not_archived = tmp_path / "other.pdf"
    not_archived.write_bytes(signed_files[2])
    code, out = _run("verify", "--json", str(ok), str(tampered), str(not_archived))
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [r["verdict"] for r in rows] == ["VALID", "INVALID", "INDETERMINATE"]
    assert rows[0]["archive"]["passed"] is True and rows[0]["level"] == "B-LT"
    assert rows[1]["reasons"] and rows[1]["reasons_vi"]
    assert rows[2]["archive"]["passed"] is False  # validly signed, but not a copy this archive holds
    assert any("No archived signed copy" in r for r in rows[2]["reasons"])


def test_verify_trust_option_overrides_settings(
    home: Path, signed_files: list[bytes], tmp_path: Path, pki: TestPki
) -> None:
    f = tmp_path / "ok.pdf"
    f.write_bytes(signed_files[0])
    other = tmp_path / "other-trust"
    other.mkdir()
    (other / "root.pem").write_bytes(pki.tsa.pem)  # a certificate, but not the agency's root
    code, out = _run("verify", "--trust", str(other), "--no-archive", str(f))
    assert code == 1 and "INDETERMINATE" in out
    code, out = _run("verify", "--trust", str(tmp_path / "trust"), "--no-archive", str(f))
    assert code == 0, out


def test_audit_writes_an_html_report(home: Path, tmp_path: Path) -> None:
    report = tmp_path / "audit.html"
    code, out = _run(
        "audit", "--unit", UNIT, "--year", str(YEAR), "--sample", "1", "--seed", "7", "--out", str(report)
    )
    assert code == 0, out
    page = report.read_text(encoding="utf-8")
    assert "HỢP LỆ" in page and "--seed 7" in page
    assert page.count("<tr>") == 2  # header + one sampled document
    code, out = _run("audit", "--unit", UNIT, "--year", str(YEAR), "--out", str(report))
    assert code == 0 and report.read_text(encoding="utf-8").count("<tr>") == 3


def test_audit_flags_a_tampered_archive_copy(home: Path, tmp_path: Path) -> None:
    """The archive object altered behind the ledger's back: the audit reports it INVALID."""
    from flows.runtime import get_runtime
    from schemas.settings import Settings

    rt = get_runtime(Settings())
    doc = rt.ledger.archived_documents(unit_code=UNIT, key_year=YEAR)[0]
    path = Path(rt.settings.archive) / doc.signed_key
    data = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(data.replace(b"/Producer", b"/Pr0ducer", 1) if b"/Producer" in data else data + b"%x")
    report = tmp_path / "audit.html"
    code, out = _run("audit", "--unit", UNIT, "--year", str(YEAR), "--out", str(report))
    assert code == 1
    page = report.read_text(encoding="utf-8")
    assert "KHÔNG HỢP LỆ" in page and "INVALID" in page
