"""Signing stays cheap beside OCR: the parsed key is reused for every signature (RSA and EC)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pyhanko.sign.signers import pdf_cms

from signing.pki import create_dev_pki
from signing.sign import sign_pdf
from signing.verify import verify_pdf


def _pdf() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (595, 842), "white").save(buf, format="PDF", resolution=72.0)
    return buf.getvalue()


@pytest.mark.parametrize("key_type", ["rsa", "ec-p256"])
def test_signing_never_parses_the_private_key_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key_type: str
) -> None:
    """pyHanko's SimpleSigner re-reads the PKCS#8 key for every signature, dry run included
    (~0.12 s of CPU each for RSA-3072): sohoa signs with the key object it already holds."""
    kwargs = {} if key_type == "rsa" else {"key_type": key_type}
    pki = create_dev_pki(tmp_path / "pki", agency_name="UBND TỈNH THỬ", password=b"pw", **kwargs)

    def no_reparse(*args: object, **kw: object) -> None:
        raise AssertionError("the private key was parsed again for a signature")

    monkeypatch.setattr(pdf_cms.serialization, "load_der_private_key", no_reparse)
    signed = sign_pdf(_pdf(), p12=pki.signer_p12.read_bytes(), password=b"pw", agency_name="UBND TỈNH THỬ")
    report = verify_pdf(signed, trust_roots=[pki.root_pem.read_bytes()])
    assert report.ok, report.bottom_line


def test_the_cut_stamp_font_keeps_every_vietnamese_glyph() -> None:
    """The stamp font is cut to the Vietnamese repertoire: every letter of it the full font
    draws is still there (ạ…ỹ, Ơ/Ư, Đ), with the same advance widths."""
    from io import BytesIO

    from fontTools.ttLib import TTFont

    from signing.sign import STAMP_REPERTOIRE, _font_upm1000, stamp_font_path

    path = stamp_font_path()
    full = TTFont(BytesIO(_font_upm1000(path)))
    cut = TTFont(BytesIO(_font_upm1000(path, True)))
    full_map, cut_map = full.getBestCmap(), cut.getBestCmap()
    assert set(cut_map) == set(full_map) & STAMP_REPERTOIRE
    for ch in "ẠẶỆỸỦƠƯĐđơưạặệỹủ0123456789:+-T":
        assert ord(ch) in cut_map, ch
        assert cut["hmtx"][cut_map[ord(ch)]] == full["hmtx"][full_map[ord(ch)]], ch


def test_a_stamp_outside_the_repertoire_uses_the_whole_font() -> None:
    from signing.sign import _stamp_style, stamp_font_path

    def cut(lines: list[str]) -> bool:
        return _stamp_style(stamp_font_path(), lines).text_box_style.font.repertoire

    assert cut(["ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG", "Thời gian ký: 2026-11-27T19:46:27+07:00"])
    assert not cut(["Ω AGENCY", "Thời gian ký: 2026-11-27T19:46:27+07:00"])


@pytest.fixture()
def dev_pki(tmp_path: Path):  # type: ignore[no-untyped-def]
    return create_dev_pki(tmp_path / "pki", agency_name="UBND TỈNH THỬ", password=b"pw")


def _sign(pki, **kw):  # type: ignore[no-untyped-def]
    return sign_pdf(
        _pdf(), p12=pki.signer_p12.read_bytes(), password=b"pw", agency_name="UBND TỈNH THỬ", **kw
    )


def test_the_trial_signature_runs_once_per_signer(dev_pki, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The /Contents size found by the first signature's dry run is reused: no second dry run."""
    from pyhanko.sign.signers.pdf_signer import PdfSigningSession

    from signing import sign

    monkeypatch.setattr(sign, "_RESERVED", {})
    first = _sign(dev_pki)
    assert len(sign._RESERVED) == 1

    async def no_trial(*a: object, **k: object) -> int:
        raise AssertionError("a second trial signature")

    monkeypatch.setattr(PdfSigningSession, "estimate_signature_container_size", no_trial)
    second = _sign(dev_pki)
    root = [dev_pki.root_pem.read_bytes()]
    for pdf in (first, second):
        assert verify_pdf(pdf, trust_roots=root).ok


def test_a_signature_that_outgrows_the_reused_size_is_signed_again(
    dev_pki, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Never a truncated signature: too small a remembered size means a fresh dry run."""
    from signing import sign

    monkeypatch.setattr(sign, "_RESERVED", {})
    _sign(dev_pki)
    [(key, size)] = sign._RESERVED.items()
    sign._RESERVED[key] = 200  # far below any CMS with an RSA-3072 chain
    pdf = _sign(dev_pki)
    report = verify_pdf(pdf, trust_roots=[dev_pki.root_pem.read_bytes()])
    assert report.ok, report.bottom_line
    assert sign._RESERVED[key] == size
