"""PAdES levels, revocation and tampering against a test PKI served over loopback HTTP.

The PKI (root, intermediate, signers, TSA, OCSP and CRL responders) is built once per module by
:class:`signing.testpki.TestPki` on 127.0.0.1; no test leaves the machine. Every untouched
output must be VALID (and pdfsig must agree); every altered copy must be INVALID.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfWriter

from schemas.errors import SigningError
from signing.sign import LEVELS, sign_pdf
from signing.testpki import TestPki
from signing.verify import INDETERMINATE, INVALID, VALID, verify_pdf

AGENCY = unicodedata.normalize("NFC", "SỞ NỘI VỤ TỈNH ĐẮK NÔNG")
PW = b"mat-khau"

needs_pdfsig = pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils (pdfsig) missing")


@pytest.fixture(scope="module")
def pki() -> Iterator[TestPki]:
    with TestPki(AGENCY) as p:
        yield p


@pytest.fixture(scope="module")
def unsigned_pdf() -> bytes:
    img = Image.new("RGB", (595, 842), "white")
    ImageDraw.Draw(img).rectangle((100, 300, 495, 540), fill=(90, 90, 90))
    buf = io.BytesIO()
    img.save(buf, format="PDF", resolution=72.0)
    # Rewritten by pypdf: Pillow's "0 65536 f" xref entry trips pyHanko's strict reader, which
    # its LTA renewal routine uses.
    w = PdfWriter(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def signed(pki: TestPki, unsigned_pdf: bytes) -> dict[str, bytes]:
    """One output per PAdES level, signed with the good signer."""
    p12 = pki.p12(pki.signer, PW)
    return {
        level: sign_pdf(
            unsigned_pdf,
            p12=p12,
            password=PW,
            agency_name=AGENCY,
            level=level,
            tsa_url=pki.tsa_url,
            trust_roots=[pki.root.pem],
        )
        for level in LEVELS
    }


def _verify(pdf: bytes, pki: TestPki, **kw: object):
    return verify_pdf(pdf, trust_roots=[pki.root.pem], **kw)  # type: ignore[arg-type]


# --- levels ----------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_long_term_levels_verify_offline_from_embedded_data(
    pki: TestPki, signed: dict[str, bytes], level: str
) -> None:
    before = len(pki.requests)
    report = _verify(signed[level], pki)
    assert report.verdict == VALID and report.ok, report.reasons
    assert report.level == level
    assert report.revocation == "good"
    assert report.timestamped and report.timestamp_time is not None
    assert report.signer == AGENCY and report.docmdp == "NO_CHANGES"
    assert report.covers_whole_file
    assert report.doc_timestamps == (1 if level == "B-LTA" else 0)
    assert len(pki.requests) == before, "offline verification must not call the responders"


@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_short_term_levels_need_revocation_data(pki: TestPki, signed: dict[str, bytes], level: str) -> None:
    before = len(pki.requests)
    offline = _verify(signed[level], pki)
    assert offline.verdict == INDETERMINATE and not offline.ok
    assert offline.revocation == "unknown"
    assert offline.intact and offline.valid
    assert len(pki.requests) == before

    fetched = _verify(signed[level], pki, allow_fetching=True)
    assert fetched.verdict == VALID, fetched.reasons
    assert fetched.level == level and fetched.revocation == "good"
    assert fetched.timestamped == (level == "B-T")
    assert len(pki.requests) > before

    # A local CRL cache replaces the network.
    cached = _verify(signed[level], pki, crls=[pki.crl("inter"), pki.crl("root")])
    assert cached.verdict == VALID, cached.reasons


def test_revoked_signer_is_invalid(pki: TestPki, unsigned_pdf: bytes) -> None:
    out = sign_pdf(
        unsigned_pdf,
        p12=pki.p12(pki.revoked_signer, PW),
        password=PW,
        agency_name=AGENCY,
        level="B-T",
        tsa_url=pki.tsa_url,
    )
    report = _verify(out, pki, allow_fetching=True)
    assert report.verdict == INVALID and not report.ok
    assert report.revocation == "revoked"
    assert any("revoked" in r for r in report.reasons)
    # B-LT collects revocation data while signing, so a revoked key cannot even sign.
    with pytest.raises(SigningError):
        sign_pdf(
            unsigned_pdf,
            p12=pki.p12(pki.revoked_signer, PW),
            password=PW,
            agency_name=AGENCY,
            level="B-LT",
            tsa_url=pki.tsa_url,
            trust_roots=[pki.root.pem],
        )


def test_expired_signer_fails(pki: TestPki, unsigned_pdf: bytes) -> None:
    when = pki.expired_signer.cert.not_valid_after_utc - dt.timedelta(days=1)
    out = sign_pdf(
        unsigned_pdf,
        p12=pki.p12(pki.expired_signer, PW),
        password=PW,
        agency_name=AGENCY,
        signing_time=when,
    )
    report = _verify(out, pki, allow_fetching=True)
    assert not report.ok and report.verdict != VALID
    assert report.intact and report.valid
    assert any("not valid at the validation time" in r for r in report.reasons)


def test_untrusted_root_is_indeterminate(signed: dict[str, bytes], pki: TestPki) -> None:
    other = TestPki.__new__(TestPki)  # only the root is needed: mint one without a server
    from signing.testpki import _key, _name  # noqa: PLC0415

    key = _key()
    root = other._build(
        _name("Other Root"), key, _name("Other Root"), key, None,
        dt.datetime.now(dt.UTC) - dt.timedelta(days=1), dt.datetime.now(dt.UTC) + dt.timedelta(days=1), ca=True,
    )  # fmt: skip
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    report = verify_pdf(signed["B-LTA"], trust_roots=[root.public_bytes(serialization.Encoding.PEM)])
    assert report.verdict == INDETERMINATE and report.intact and not report.trusted


def test_level_requires_tsa(pki: TestPki, unsigned_pdf: bytes) -> None:
    with pytest.raises(SigningError, match="timestamp server"):
        sign_pdf(unsigned_pdf, p12=pki.p12(pki.signer, PW), password=PW, agency_name=AGENCY, level="B-LTA")
    with pytest.raises(SigningError, match="unknown PAdES level"):
        sign_pdf(unsigned_pdf, p12=pki.p12(pki.signer, PW), password=PW, agency_name=AGENCY, level="B-X")


def test_reserved_space_fits_a_long_chain(
    pki: TestPki, unsigned_pdf: bytes, signed: dict[str, bytes]
) -> None:
    """pyHanko sizes /Contents from a dry run: the CMS fits with room to spare, never truncated."""
    for level, pdf in signed.items():
        sig = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
        contents = sig.sig_object["/Contents"]
        der = bytes(contents)
        assert len(der) > 1000, level
        assert der.rstrip(b"\x00") != der, f"{level}: no padding left in /Contents"


# --- poppler's pdfsig agrees -------------------------------------------------------------------


def _pdfsig(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "s.pdf"
    path.write_bytes(pdf)
    res = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    # One block per signature, in file order.
    return re.split(r"\nSignature #\d+:", res.stdout)[1:]


@needs_pdfsig
@pytest.mark.parametrize("level", LEVELS)
def test_pdfsig_agrees_on_valid_outputs(signed: dict[str, bytes], level: str, tmp_path: Path) -> None:
    blocks = _pdfsig(signed[level], tmp_path)
    assert blocks, "pdfsig found no signature"
    cert_block = blocks[0]
    assert "Signature is Valid." in cert_block
    assert "ETSI.CAdES.detached" in cert_block
    # The last signature (the certification, or the document timestamp for B-LTA) covers the file.
    assert "Total document signed" in blocks[-1]
    if level == "B-LTA":
        assert len(blocks) == 2 and "SohoaDocTimeStamp" in blocks[1]


# --- attacks: every altered copy is INVALID ----------------------------------------------------


def _cert_sig_range(pdf: bytes) -> list[int]:
    sig = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
    return [int(v) for v in sig.sig_object["/ByteRange"]]


def _incremental(pdf: bytes, edit: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    w = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    edit(w)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _page(w: IncrementalPdfFileWriter) -> tuple[generic.IndirectObject, generic.DictionaryObject]:
    ref, _ = w.find_page_for_modification(0)
    return ref, ref.get_object()


def change_text_stream(pdf: bytes) -> bytes:
    """Replace page 1's content stream with one that also draws text (a forged annotation)."""

    def edit(w: IncrementalPdfFileWriter) -> None:
        ref, page = _page(w)
        old = page["/Contents"]
        old = old[0].get_object() if isinstance(old, generic.ArrayObject) else old
        data = old.data + b"\nBT /Helv 24 Tf 100 100 Td (DA SUA) Tj ET\n"
        page["/Contents"] = w.add_object(generic.StreamObject(stream_data=data))
        w.mark_update(ref)

    return _incremental(pdf, edit)


def text_change_hidden_in_dss_revision(pdf: bytes) -> bytes:
    """A revision that does update the DSS (so it looks like validation data) but also swaps
    page 1's content stream: the DSS must not launder the change."""

    def edit(w: IncrementalPdfFileWriter) -> None:
        ref, page = _page(w)
        page["/Contents"] = w.add_object(generic.StreamObject(stream_data=b"BT /Helv 24 Tf 9 9 Td (X) Tj ET"))
        w.mark_update(ref)
        dss = generic.DictionaryObject({generic.NameObject("/Certs"): generic.ArrayObject()})
        w.root["/DSS"] = w.add_object(dss)
        w.update_root()

    return _incremental(pdf, edit)


def change_stream_in_place(pdf: bytes) -> bytes:
    """pypdf's incremental writer: rewrite the existing content stream object itself."""
    w = PdfWriter(io.BytesIO(pdf), incremental=True)
    page = w.pages[0]
    contents = page.get_contents()
    assert contents is not None
    contents.set_data(contents.get_data().replace(b"cm", b"cm 1 0 0 1 5 5 cm", 1))
    page.replace_contents(contents)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def add_page(pdf: bytes) -> bytes:
    w = PdfWriter(io.BytesIO(pdf), incremental=True)
    w.add_blank_page(595, 842)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def add_annotation(pdf: bytes) -> bytes:
    def edit(w: IncrementalPdfFileWriter) -> None:
        ref, page = _page(w)
        annot = w.add_object(
            generic.DictionaryObject(
                {
                    generic.NameObject("/Type"): generic.NameObject("/Annot"),
                    generic.NameObject("/Subtype"): generic.NameObject("/Square"),
                    generic.NameObject("/Rect"): generic.ArrayObject(
                        [generic.NumberObject(v) for v in (50, 50, 150, 150)]
                    ),
                }
            )
        )
        annots = page["/Annots"]
        annots.append(annot)
        raw = page.raw_get("/Annots")
        w.mark_update(raw if isinstance(raw, generic.IndirectObject) else ref)

    return _incremental(pdf, edit)


def add_form_value(pdf: bytes) -> bytes:
    """A new text field with a value, wired into the form and page 1."""

    def edit(w: IncrementalPdfFileWriter) -> None:
        ref, page = _page(w)
        field = w.add_object(
            generic.DictionaryObject(
                {
                    generic.NameObject("/Type"): generic.NameObject("/Annot"),
                    generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
                    generic.NameObject("/FT"): generic.NameObject("/Tx"),
                    generic.NameObject("/T"): generic.TextStringObject("so_ky_hieu"),
                    generic.NameObject("/V"): generic.TextStringObject("99/QĐ-UBND"),
                    generic.NameObject("/Rect"): generic.ArrayObject(
                        [generic.NumberObject(v) for v in (50, 700, 250, 720)]
                    ),
                    generic.NameObject("/P"): ref,
                }
            )
        )
        form = w.root["/AcroForm"]
        form["/Fields"].append(field)
        raw_form = w.root.raw_get("/AcroForm")
        w.mark_update(raw_form if isinstance(raw_form, generic.IndirectObject) else w.root_ref)
        raw_fields = form.raw_get("/Fields")
        if isinstance(raw_fields, generic.IndirectObject):
            w.mark_update(raw_fields)
        page["/Annots"].append(field)
        raw = page.raw_get("/Annots")
        w.mark_update(raw if isinstance(raw, generic.IndirectObject) else ref)

    return _incremental(pdf, edit)


def replace_image(pdf: bytes) -> bytes:
    def edit(w: IncrementalPdfFileWriter) -> None:
        ref, page = _page(w)
        xobjects = page["/Resources"]["/XObject"]
        name = next(iter(xobjects))
        img = generic.StreamObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/XObject"),
                generic.NameObject("/Subtype"): generic.NameObject("/Image"),
                generic.NameObject("/Width"): generic.NumberObject(1),
                generic.NameObject("/Height"): generic.NumberObject(1),
                generic.NameObject("/ColorSpace"): generic.NameObject("/DeviceGray"),
                generic.NameObject("/BitsPerComponent"): generic.NumberObject(8),
            },
            stream_data=b"\x00",
        )
        xobjects[name] = w.add_object(img)
        res = page.raw_get("/Resources")
        xo = page["/Resources"].raw_get("/XObject")
        for container in (xo, res):
            if isinstance(container, generic.IndirectObject):
                w.mark_update(container)
                break
        else:
            w.mark_update(ref)

    return _incremental(pdf, edit)


def _contents_span(pdf: bytes) -> tuple[int, int]:
    """Start and end of the certification signature's /Contents hex digits (without < >)."""
    _, a, b, _ = _cert_sig_range(pdf)
    return a + 1, b - 1


def zero_contents(pdf: bytes) -> bytes:
    s, e = _contents_span(pdf)
    return pdf[:s] + b"0" * (e - s) + pdf[e:]


def truncate_contents(pdf: bytes) -> bytes:
    """The CMS cut in half, the rest zero-padded: same length, so offsets stay right."""
    s, e = _contents_span(pdf)
    half = (e - s) // 2
    return pdf[:s] + pdf[s : s + half] + b"0" * (e - s - half) + pdf[e:]


def shorten_contents(pdf: bytes) -> bytes:
    """The /Contents string itself made shorter (offsets after it shift)."""
    s, e = _contents_span(pdf)
    return pdf[:s] + pdf[s : s + (e - s) // 2] + pdf[e:]


def _rewrite_byte_range(pdf: bytes, new: list[int]) -> bytes:
    old = _cert_sig_range(pdf)
    m = re.search(rb"/ByteRange\s*\[\s*0\s+%d\s+%d\s+%d\s*\]" % tuple(old[1:]), pdf)
    assert m is not None
    text = b"/ByteRange [%s]" % b" ".join(b"%d" % v for v in new)
    assert len(text) <= len(m.group(0)) + 8
    text = text.ljust(len(m.group(0)))
    # The array is padded with spaces after it by pyHanko; eat them if the new text is longer.
    extra = len(text) - len(m.group(0))
    tail = pdf[m.end() : m.end() + extra]
    assert tail.strip() == b"", "no padding to absorb the longer /ByteRange"
    return pdf[: m.start()] + text + pdf[m.end() + extra :]


def byte_range_skips_bytes(pdf: bytes) -> bytes:
    _, a, b, c = _cert_sig_range(pdf)
    return _rewrite_byte_range(pdf, [0, a - 40, b, c])


def byte_range_overlaps(pdf: bytes) -> bytes:
    _, a, b, c = _cert_sig_range(pdf)
    return _rewrite_byte_range(pdf, [0, b + 10, b, c])


def byte_range_stops_early(pdf: bytes) -> bytes:
    _, a, b, c = _cert_sig_range(pdf)
    return _rewrite_byte_range(pdf, [0, a, b, c - 100])


def bytes_after_eof(pdf: bytes) -> bytes:
    return pdf + b"\n% ghi them sau khi ky\n"


def flip_one_byte(pdf: bytes) -> bytes:
    _, a, _, _ = _cert_sig_range(pdf)
    at = a // 2  # inside the first signed range (the original page content)
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def flip_byte_in_ltv_revision(pdf: bytes) -> bytes:
    """A flipped byte in the last 200 bytes (for B-LTA: inside the document timestamp's range)."""
    at = len(pdf) - 150
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


ATTACKS = [
    change_text_stream,
    text_change_hidden_in_dss_revision,
    change_stream_in_place,
    add_page,
    add_annotation,
    add_form_value,
    replace_image,
    zero_contents,
    truncate_contents,
    shorten_contents,
    byte_range_skips_bytes,
    byte_range_overlaps,
    byte_range_stops_early,
    bytes_after_eof,
    flip_one_byte,
    flip_byte_in_ltv_revision,
]


@pytest.mark.parametrize("level", ["B-B", "B-LTA"])
@pytest.mark.parametrize("attack", ATTACKS, ids=[a.__name__ for a in ATTACKS])
def test_every_altered_copy_is_invalid(
    pki: TestPki, signed: dict[str, bytes], level: str, attack: Callable[[bytes], bytes]
) -> None:
    original = signed[level]
    altered = attack(original)
    assert altered != original
    report = _verify(altered, pki, allow_fetching=level == "B-B")
    assert report.verdict == INVALID, (attack.__name__, report.verdict, report.reasons)
    assert not report.ok and report.reasons and report.reasons_vi
    assert report.bottom_line.startswith("NOT VALID")


def test_untouched_outputs_are_valid(pki: TestPki, signed: dict[str, bytes]) -> None:
    """The control group of the attack test: the same files, unaltered, are VALID."""
    for level, pdf in signed.items():
        report = _verify(pdf, pki, allow_fetching=level in ("B-B", "B-T"))
        assert report.verdict == VALID, (level, report.reasons)
        assert all(c.passed for c in report.checks), level


def test_lta_renewal_keeps_the_certified_copy_valid(pki: TestPki, signed: dict[str, bytes]) -> None:
    """Archives renew B-LTA before the TSA's algorithms weaken: a new DSS + document timestamp
    appended by pyHanko's own renewal routine is a validation-only update, so still VALID."""
    from asn1crypto import x509 as asn1_x509  # noqa: PLC0415
    from pyhanko.sign.signers import PdfTimeStamper  # noqa: PLC0415
    from pyhanko.sign.timestamps import HTTPTimeStamper  # noqa: PLC0415
    from pyhanko_certvalidator import ValidationContext  # noqa: PLC0415

    original = signed["B-LTA"]
    reader = PdfFileReader(io.BytesIO(original), strict=False)
    vc = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(pki.root.der)], allow_fetching=True, revocation_mode="require"
    )
    out = PdfTimeStamper(HTTPTimeStamper(pki.tsa_url)).update_archival_timestamp_chain(
        reader, vc, in_place=False
    )
    renewed = out.getvalue()
    assert len(renewed) > len(original)
    report = _verify(renewed, pki)
    assert report.verdict == VALID, report.reasons
    assert report.doc_timestamps == 2 and report.level == "B-LTA"


def test_metadata_only_revision_after_certification_is_invalid(
    pki: TestPki, signed: dict[str, bytes]
) -> None:
    """A revision that only bumps /ModDate is harmless in content but has no validation
    purpose; after a no-changes certification it is still a change."""

    def edit(w: IncrementalPdfFileWriter) -> None:
        w.mark_update(w.root_ref)  # an unchanged catalog; the writer stamps /ModDate into /Info

    pdf = signed["B-LT"]
    altered = _incremental(pdf, edit)
    assert len(altered) > len(pdf)
    report = _verify(altered, pki)
    assert report.verdict == INVALID, report.reasons


def test_revocation_is_judged_at_the_signing_time(pki: TestPki, unsigned_pdf: bytes) -> None:
    """A key revoked *after* a timestamped signature leaves that signature VALID (the timestamp
    proves it existed before); an untimestamped one cannot prove that and is not VALID."""
    signer = pki.new_signer(AGENCY + " (thu hồi sau)")
    p12 = pki.p12(signer, PW)
    common = {"p12": p12, "password": PW, "agency_name": AGENCY, "tsa_url": pki.tsa_url}
    b_t = sign_pdf(unsigned_pdf, level="B-T", **common)
    b_b = sign_pdf(unsigned_pdf, level="B-B", **common)
    assert _verify(b_t, pki, allow_fetching=True).verdict == VALID
    pki.revoke(signer.cert, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    time.sleep(1.5)  # the revocation date is now in the past
    after_t = _verify(b_t, pki, allow_fetching=True)
    assert after_t.verdict == VALID, after_t.reasons
    after_b = _verify(b_b, pki, allow_fetching=True)
    assert after_b.verdict != VALID and after_b.revocation == "revoked"
