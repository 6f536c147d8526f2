"""Signing, verification and the dev PKI, end to end over real bytes (no network).

Fixtures are generated here: a dev PKI per module, a one-page A4 PDF drawn with Pillow.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import socket
import stat
import subprocess
import unicodedata
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image, ImageDraw
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.timestamps import DummyTimeStamper
from pypdf import PdfReader, PdfWriter

from schemas.errors import AlreadySigned, ConfigError, SigningError
from signing.pki import DevPki, create_dev_pki, load_pkcs12
from signing.sign import format_signing_time, sign_pdf, stamp_box
from signing.verify import verify_pdf

AGENCY = unicodedata.normalize("NFC", "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG")
PASSWORD = b"mat-khau-thu"
# A fixed signing time inside the fresh dev certificate's validity (it starts 5 minutes ago).
WHEN = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
WHEN_VN = WHEN.astimezone(dt.timezone(dt.timedelta(hours=7)))

needs_poppler = pytest.mark.skipif(
    not all(shutil.which(p) for p in ("pdftoppm", "pdffonts", "pdftotext")), reason="poppler-utils missing"
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return create_dev_pki(
        tmp_path_factory.mktemp("pki"), agency_name=AGENCY, password=PASSWORD, valid_days=365
    )


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return create_dev_pki(
        tmp_path_factory.mktemp("other"), agency_name="SỞ KHÁC", password=b"x", key_type="ec-p256"
    )


@pytest.fixture(scope="module")
def unsigned_pdf() -> bytes:
    """A4 at 72 dpi: a white page with a grey block in the middle, nothing in the top-right corner."""
    img = Image.new("RGB", (595, 842), "white")
    ImageDraw.Draw(img).rectangle((100, 300, 495, 540), fill=(90, 90, 90))
    buf = io.BytesIO()
    img.save(buf, format="PDF", resolution=72.0)
    return buf.getvalue()


@pytest.fixture(scope="module")
def signed(pki: DevPki, unsigned_pdf: bytes) -> bytes:
    return sign_pdf(
        unsigned_pdf,
        p12=pki.signer_p12.read_bytes(),
        password=PASSWORD,
        agency_name=AGENCY,
        signing_time=WHEN,
    )


@pytest.fixture(scope="module")
def root(pki: DevPki) -> bytes:
    return pki.root_pem.read_bytes()


# --- dev PKI ---------------------------------------------------------------------------------


def test_dev_pki_files_and_certificates(pki: DevPki) -> None:
    assert stat.S_IMODE(os.stat(pki.signer_p12).st_mode) == 0o600
    root = x509.load_pem_x509_certificate(pki.root_pem.read_bytes())
    inter = x509.load_pem_x509_certificate(pki.intermediate_pem.read_bytes())
    assert root.subject == root.issuer
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert inter.issuer == root.subject

    key = load_pkcs12(pki.signer_p12.read_bytes(), PASSWORD)
    assert key.cert.issuer == inter.subject
    assert key.cert.fingerprint(hashes.SHA256()).hex() == pki.signer_sha256
    assert {c.subject for c in key.chain} == {root.subject, inter.subject}
    ku = key.cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment and not ku.key_cert_sign
    assert key.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == AGENCY
    assert key.cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"
    # CN and O must be UTF8String, or Vietnamese letters do not survive other tools.
    subject = asn1_x509.Certificate.load(key.cert.public_bytes(serialization.Encoding.DER)).subject
    kinds = {atv["type"].native: atv["value"].name for rdn in subject.chosen for atv in rdn}
    assert kinds["common_name"] == "utf8_string"
    assert kinds["organization_name"] == "utf8_string"


@pytest.mark.parametrize("data", [b"", b"not a pkcs12 file", None])
def test_load_pkcs12_bad_input(pki: DevPki, data: bytes | None) -> None:
    blob = pki.signer_p12.read_bytes() if data is None else data
    with pytest.raises(SigningError):
        load_pkcs12(blob, b"wrong password")


def test_dev_pki_rejects_overlong_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        create_dev_pki(tmp_path, agency_name="X" * 65, password=b"pw")


# --- signing and verification ----------------------------------------------------------------


def test_sign_then_verify_ok(signed: bytes, root: bytes) -> None:
    report = verify_pdf(signed, trust_roots=[root])
    assert report.ok, report.reasons
    assert (report.intact, report.valid, report.trusted, report.covers_whole_file) == (True,) * 4
    assert report.signer == AGENCY and "Ủ" in report.signer
    assert report.signing_time == WHEN
    assert report.docmdp == "NO_CHANGES"
    assert not report.timestamped
    assert report.reasons == ()
    assert report.bottom_line.startswith("VALID")


def test_signature_is_pades_certification(signed: bytes) -> None:
    r = PdfReader(io.BytesIO(signed))
    sig = r.trailer["/Root"]["/Perms"]["/DocMDP"].get_object()
    assert sig["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig["/Reference"][0]["/TransformParams"]["/P"] == 1
    assert sig["/M"].startswith(WHEN_VN.strftime("D:%Y%m%d%H%M%S+07"))


def test_trusted_only_under_the_right_root(signed: bytes, other_pki: DevPki) -> None:
    report = verify_pdf(signed, trust_roots=[other_pki.root_pem.read_bytes()])
    assert report.intact and report.valid
    assert not report.trusted and not report.ok
    assert any("trust root" in r for r in report.reasons)


def test_der_trust_root_accepted(signed: bytes, root: bytes) -> None:
    der = x509.load_pem_x509_certificate(root).public_bytes(serialization.Encoding.DER)
    assert verify_pdf(signed, trust_roots=[der]).ok


def _content_stream_offset(pdf: bytes) -> int:
    """Offset of the first data byte of page 1's content stream."""
    contents = PdfReader(io.BytesIO(pdf)).pages[0].raw_get("/Contents")
    m = re.search(rb"(?<!\d)%d 0 obj" % contents.idnum, pdf)
    assert m is not None
    start = pdf.index(b"stream", m.end()) + len(b"stream")
    return start + (2 if pdf[start : start + 2] == b"\r\n" else 1)


def test_flipped_byte_in_content_stream_is_not_intact(signed: bytes, root: bytes) -> None:
    at = _content_stream_offset(signed) + 2
    tampered = bytearray(signed)
    tampered[at] ^= 0x01
    report = verify_pdf(bytes(tampered), trust_roots=[root])
    assert not report.intact and not report.ok
    assert any("changed after signing" in r for r in report.reasons)


def _append_annotation(pdf: bytes) -> bytes:
    w = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref, _ = w.find_page_for_modification(0)
    page = page_ref.get_object()
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Square"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (50, 50, 150, 150)]
            ),
        }
    )
    annots = page["/Annots"]
    annots.append(w.add_object(annot))
    w.update_container(annots if isinstance(page.raw_get("/Annots"), generic.IndirectObject) else page)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _append_info_change(pdf: bytes) -> bytes:
    w = PdfWriter(io.BytesIO(pdf), incremental=True)
    w.add_metadata({"/Title": "Sửa sau khi ký"})
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.mark.parametrize("update", [_append_annotation, _append_info_change], ids=["annotation", "info"])
def test_incremental_update_after_certification_fails(signed: bytes, root: bytes, update) -> None:
    changed = update(signed)
    assert changed.startswith(signed) and len(changed) > len(signed)
    report = verify_pdf(changed, trust_roots=[root])
    assert report.intact and report.valid and report.trusted
    assert not report.covers_whole_file
    assert not report.ok
    assert any("does not cover the whole file" in r for r in report.reasons)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, not a pdf", b"%PDF-1.7\n1 0 obj garbage", None],
    ids=["empty", "text", "garbage-pdf", "truncated"],
)
def test_garbage_is_a_report_not_an_exception(signed: bytes, root: bytes, data: bytes | None) -> None:
    blob = signed[: len(signed) // 2] if data is None else data
    report = verify_pdf(blob, trust_roots=[root])
    assert not report.ok and report.reasons
    assert report.bottom_line.startswith("NOT VALID")


def test_unsigned_pdf_reports_no_signature(unsigned_pdf: bytes, root: bytes) -> None:
    report = verify_pdf(unsigned_pdf, trust_roots=[root])
    assert not report.ok
    assert report.reasons == ("The file has no signature.",)


def test_wrong_p12_password_raises(pki: DevPki, unsigned_pdf: bytes) -> None:
    with pytest.raises(SigningError) as exc:
        sign_pdf(unsigned_pdf, p12=pki.signer_p12.read_bytes(), password=b"sai", agency_name=AGENCY)
    assert "password" in exc.value.detail


def test_signing_outside_certificate_validity_raises(pki: DevPki, unsigned_pdf: bytes) -> None:
    p12 = pki.signer_p12.read_bytes()
    with pytest.raises(SigningError, match="not valid at"):
        sign_pdf(
            unsigned_pdf, p12=p12, password=PASSWORD, agency_name=AGENCY, signing_time=WHEN.replace(year=2000)
        )
    with pytest.raises(SigningError, match="timezone"):
        sign_pdf(
            unsigned_pdf, p12=p12, password=PASSWORD, agency_name=AGENCY, signing_time=dt.datetime(2024, 1, 1)
        )


def test_garbage_input_pdf_raises_signing_error(pki: DevPki) -> None:
    with pytest.raises(SigningError):
        sign_pdf(b"%PDF-1.4 broken", p12=pki.signer_p12.read_bytes(), password=PASSWORD, agency_name=AGENCY)


def test_signed_pdf_is_not_signed_again(pki: DevPki, signed: bytes) -> None:
    with pytest.raises(AlreadySigned):
        sign_pdf(signed, p12=pki.signer_p12.read_bytes(), password=PASSWORD, agency_name=AGENCY)


def test_invisible_signature_verifies(pki: DevPki, unsigned_pdf: bytes, root: bytes) -> None:
    out = sign_pdf(
        unsigned_pdf,
        p12=pki.signer_p12.read_bytes(),
        password=PASSWORD,
        agency_name=AGENCY,
        visible_stamp=False,
    )
    assert verify_pdf(out, trust_roots=[root]).ok
    annot = PdfReader(io.BytesIO(out)).pages[0]["/Annots"][0].get_object()
    assert [float(v) for v in annot["/Rect"]] == [0, 0, 0, 0]


def _tsa() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # DummyTimeStamper is RSA-only
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def test_timestamped_signature_b_t(pki: DevPki, unsigned_pdf: bytes, root: bytes) -> None:
    cert, key = _tsa()
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
    )
    out = sign_pdf(
        unsigned_pdf,
        p12=pki.signer_p12.read_bytes(),
        password=PASSWORD,
        agency_name=AGENCY,
        timestamper=stamper,
    )
    tsa_pem = cert.public_bytes(serialization.Encoding.PEM)
    report = verify_pdf(out, trust_roots=[root, tsa_pem])
    assert report.ok and report.timestamped and report.timestamp_time is not None
    # The same file with the TSA not trusted: the timestamp cannot be relied on.
    assert not verify_pdf(out, trust_roots=[root]).ok


# --- the visible stamp -----------------------------------------------------------------------


def test_stamp_box_top_right_inside_page() -> None:
    for w, h in [(595, 842), (842, 595), (420, 595), (612, 792)]:
        page = generic.DictionaryObject(
            {
                generic.NameObject("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (0, 0, w, h)]
                )
            }
        )
        x1, y1, x2, y2 = stamp_box(page)
        assert 0 < x1 < x2 < w and 0 < y1 < y2 < h
        assert 165 <= x2 - x1 <= 171 and 41 <= y2 - y1 <= 44  # ~6 cm × 1.5 cm
        assert w - x2 <= 30 and h - y2 <= 10  # 1 cm from the right edge, in the top margin
        assert h - y1 <= 52  # ends above 1.8 cm from the top, where the motto starts


def test_signing_time_is_iso8601_vietnam_time() -> None:
    utc = dt.datetime(2024, 5, 2, 9, 30, 0, tzinfo=dt.UTC)
    assert format_signing_time(utc) == "2024-05-02T16:30:00+07:00"


@needs_poppler
def test_visible_stamp_renders_vietnamese_with_embedded_font(signed: bytes, tmp_path: Path) -> None:
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(signed)

    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows, fonts
    assert all(row[-5] == "yes" for row in rows), fonts  # emb column: every font embedded
    assert any("LiberationSerif" in row[0] or "DejaVuSerif" in row[0] for row in rows), fonts

    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, check=True)
    page_text = text.stdout.decode("utf-8")
    assert "\ufffd" not in page_text
    assert unicodedata.normalize("NFC", page_text) == page_text
    assert AGENCY in page_text and "ỦY BAN NHÂN DÂN" in page_text
    assert f"Thời gian ký: {WHEN_VN.isoformat()}" in page_text

    # Every glyph lies inside the widget: wrong glyph widths would spread the text past its box.
    annot = PdfReader(io.BytesIO(signed)).pages[0]["/Annots"][0].get_object()
    ax1, ay1, ax2, ay2 = (float(v) for v in annot["/Rect"])
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', bbox)
    assert len(words) >= 2  # one entry per stamp line (pyHanko wraps each line in /ActualText)
    for x_min, y_min, x_max, y_max, word in words:
        # pdftotext's y grows downwards from the top of the 842 pt page
        assert ax1 - 1 <= float(x_min) and float(x_max) <= ax2 + 1, word
        assert 842 - ay2 - 1 <= float(y_min) and float(y_max) <= 842 - ay1 + 1, word

    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True
    )
    (png,) = tmp_path.glob("p*.png")
    img = Image.open(png).convert("L")
    w, h = img.size
    top_right = img.crop((int(w * 0.6), 0, w, int(h * 0.12)))
    top_left = img.crop((0, 0, int(w * 0.4), int(h * 0.12)))
    dark = sum(1 for v in top_right.tobytes() if v < 128)
    assert dark > 200, "no ink in the top-right corner"
    assert min(top_left.tobytes()) > 200


def test_unreachable_tsa_is_a_transient_signing_error(pki: DevPki, unsigned_pdf: bytes) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on: refused at once, no network
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SigningError) as exc:
        sign_pdf(
            unsigned_pdf,
            p12=pki.signer_p12.read_bytes(),
            password=PASSWORD,
            agency_name=AGENCY,
            tsa_url=f"http://127.0.0.1:{port}/tsa",
        )
    assert exc.value.transient
