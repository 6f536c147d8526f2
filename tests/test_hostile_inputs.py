"""Hostile and broken input at the step level: each file through ``steps.read_intake`` and
``steps.extract`` (the real path, in the limited child process), asserting its reason code.

The inbox end to end (a good file after each bad one still archived) is in
``test_hostile_inbox.py``. Every file is built in the test by ``hostile_corpus``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import hostile_corpus as hc
import pytest

from flows import steps
from ocr import sandbox
from ocr.pages import load_pages
from ocr.pdfsafety import check_pdf, inspect_pdf
from schemas.errors import SohoaError
from schemas.settings import Settings

BAD = hc.CASES


@pytest.fixture(scope="module")
def signed_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A plain scan PDF signed with another agency's throwaway PKI."""
    return hc.signed_pdf(tmp_path_factory.mktemp("other-agency-pki"))


@pytest.fixture()
def settings(sohoa_home: Path) -> Settings:
    return Settings(doc_timeout_s=60, max_memory_mb=2048, ocr_workers=1)


def _reason(path: Path, settings: Settings) -> str:
    try:
        intake = steps.read_intake(path, name=path.name, unit="663")
        steps.extract(intake, settings)
    except SohoaError as exc:
        text = exc.clerk_text()
        assert "[VI]" in text and "[EN]" in text and exc.reason in text
        assert not exc.transient, "bad input must never be retried"
        return exc.reason
    return "processed"


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gets_its_reason(case: str, settings: Settings, tmp_path: Path, signed_pdf: bytes) -> None:
    builder, name, reason = BAD[case]
    data = signed_pdf if builder is None else builder()
    assert len(data) < 2_000_000
    path = tmp_path / name
    path.write_bytes(data)
    started = time.monotonic()
    assert _reason(path, settings) == reason
    assert time.monotonic() - started < 60


def test_repairable_pdfs_are_read(signed_pdf: bytes) -> None:
    """A PDF whose xref offsets are all wrong is rebuilt by scanning; an owner password (print
    restrictions, no open password) does not stop reading; an existing signature is allowed only
    when ``SOHOA_SIGNED_INPUT=archive_original``."""
    for data in (hc.broken_xref_pdf(), hc.encrypted_pdf("")):
        check_pdf(data, max_pages=10, max_pixels=10**8)
        assert len(load_pages(data)) == 1
    assert inspect_pdf(hc.encrypted_pdf(""), max_pages=10, max_pixels=10**8).owner_encrypted
    facts = check_pdf(signed_pdf, max_pages=10, max_pixels=10**8, allow_signed=True)
    assert facts.signed and not facts.active_content
    plain = inspect_pdf(hc.plain_pdf(), max_pages=10, max_pixels=10**8)
    assert not (plain.signed or plain.active_content or plain.owner_encrypted)


def test_symlink_and_fifo_are_never_read(tmp_path: Path, settings: Settings) -> None:
    secret = tmp_path / "outside" / "signer.pass"
    secret.parent.mkdir()
    secret.write_bytes(b"%PDF-1.7 not for you")
    link = tmp_path / "link.pdf"
    link.symlink_to(secret)
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    assert _reason(link, settings) == "unsafe_input"
    assert _reason(fifo, settings) == "unsafe_input"  # would block forever if opened for reading


def test_wall_time_limit_kills_the_document(settings: Settings, tmp_path: Path) -> None:
    """A document that takes longer than SOHOA_DOC_TIMEOUT_S is stopped with reason ``timeout``,
    its OCR workers and Tesseract killed with it."""
    from ocr.samples import demo_specs, encode_pages, render_pages

    # Twelve copies of the sample's pages: OCR alone takes well over the 2 s limit even on a fast
    # machine (one page is ~0.7 CPU s), so the limit, not the machine's speed, decides the outcome.
    pages = render_pages(demo_specs()[0], dpi=200, seed=3) * 12
    path = tmp_path / "slow.tif"
    path.write_bytes(encode_pages(pages, "tiff", 200))
    limited = Settings(doc_timeout_s=2, max_memory_mb=2048, ocr_workers=1)
    started = time.monotonic()
    assert _reason(path, limited) == "timeout"
    assert time.monotonic() - started < 15


def test_memory_limit(settings: Settings, tmp_path: Path) -> None:
    """A 150-megapixel page is within the pixel limit but not within 700 MB of address space."""
    from PIL import Image

    path = tmp_path / "big.png"
    Image.new("L", (15_000, 10_000), 255).save(path, format="PNG")
    limited = Settings(doc_timeout_s=60, max_memory_mb=700, ocr_workers=1)
    assert _reason(path, limited) == "memory_limit"


def test_sandbox_reports_child_errors_and_deaths() -> None:
    limits = sandbox.Limits(wall_s=30, memory_mb=1024)
    with pytest.raises(SohoaError) as info:
        sandbox.run_limited("numpy:ones", 4 * 10**9, limits=limits)
    assert info.value.reason == "memory_limit"
    with pytest.raises(SohoaError) as info:
        sandbox.run_limited("os:abort", limits=sandbox.Limits(wall_s=30, memory_mb=0))
    assert info.value.reason == "internal_error"
    assert sandbox.run_limited("math:hypot", 3.0, 4.0, limits=limits) == 5.0


def test_child_gets_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_SIGN_P12_PASSWORD", "do-not-pass-on")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-pass-on-either")
    env = sandbox.run_limited("hostile_corpus:child_environment", limits=sandbox.Limits(30, 0))
    assert "do-not-pass-on" not in repr(env)
    assert env.get("OPENCV_IO_MAX_IMAGE_PIXELS")


def test_opencv_pixel_limit_is_set_explicitly(tmp_path: Path) -> None:
    """OpenCV reads its limit when loaded; importing ``ocr.pages`` first sets it, so a 50,000 x
    50,000 header is refused by OpenCV too, without allocating 2.5 GB."""
    script = (
        "import ocr.pages, cv2, numpy as np, sys\n"
        "data = np.frombuffer(sys.stdin.buffer.read(), np.uint8)\n"
        "try:\n    img = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)\nexcept cv2.error:\n    img = None\n"
        "print('refused' if img is None else 'decoded')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_IO_MAX_IMAGE_PIXELS"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.run(
        [sys.executable, "-c", script], input=hc.huge_png(), capture_output=True, env=env, timeout=60
    )
    assert proc.stdout.decode().strip() == "refused", proc.stderr.decode()[-500:]
