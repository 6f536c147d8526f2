"""The one module that signs: a PAdES certification signature over the searchable PDF.

Why these choices:

* **PAdES** (``ETSI.CAdES.detached``) with SHA-256 and the chain embedded, so any PAdES
  validator can check it offline; with a TSA URL the signature carries a signature timestamp
  (PAdES B-T), without one it is B-B.
* **Certification signature, DocMDP "no changes allowed"**: the archived copy is final; any
  later change (an annotation, new metadata) makes validators flag the document.
* **Visible stamp at the top right of page 1** (NĐ 30/2020 electronic copies): agency name and
  signing time in ISO 8601 with the Vietnam offset (+07:00), drawn with an *embedded* serif font
  that has Vietnamese glyphs (Liberation Serif, metric-compatible with Times New Roman), so the
  text renders and copies correctly on any reader.

Signing is the last byte change of the pipeline: the caller stores exactly the returned bytes
and verifies them right away (:mod:`signing.verify`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import unicodedata
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from schemas.errors import AlreadySigned, EncryptedPdf, SigningError, SohoaError
from signing.pki import SignerKey, load_pkcs12

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_REASON = "Số hóa kết quả giải quyết TTHC"
SIGNATURE_FIELD = "SohoaSignature"

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
)

PT_PER_CM = 72 / 2.54
STAMP_WIDTH = 6.0 * PT_PER_CM
STAMP_HEIGHT = 1.8 * PT_PER_CM
STAMP_MARGIN = 1.0 * PT_PER_CM
STAMP_FONT_SIZE = 10  # NĐ 30/2020: Times New Roman 10
_WRAP_AT = 38  # characters per stamp line before the agency name wraps


def stamp_font_path() -> Path:
    """The stamp font: Liberation Serif (Times metrics, Vietnamese glyphs), else DejaVu Serif."""
    for p in FONT_CANDIDATES:
        if p.is_file():
            return p
    raise SigningError(
        "no stamp font found; install fonts-liberation2 (not fonts-liberation 1.x) or fonts-dejavu-core",
        message_en="The font for the signature stamp is missing. Run `make setup` (fonts-liberation2).",
    )


@functools.lru_cache(maxsize=4)
def _font_upm1000(path: Path) -> bytes:
    """The font rescaled to 1000 units per em (cached per process: ~1 s for Liberation Serif).

    pyHanko 0.38's GlyphAccumulator writes glyph widths (/W), TJ kerning and the font
    descriptor in the font's own units, while PDF reads them as 1/1000 em. Liberation and
    DejaVu use 2048 units per em, so their glyphs would be spread about twice too wide and
    clipped. Rescaling the font program to 1000 units makes every number pyHanko writes right.
    """
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset" noise
    font = TTFont(str(path))
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    buf = BytesIO()
    font.save(buf)
    return buf.getvalue()


class Upm1000FontFactory(FontEngineFactory):
    """Like pyHanko's ``GlyphAccumulatorFactory``, but over a 1000-units-per-em copy of the font."""

    def __init__(self, font_file: Path, font_size: int) -> None:
        self.font_file = font_file
        self.font_size = font_size

    def create_font_engine(self, writer, obj_stream=None):  # type: ignore[no-untyped-def]
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(_font_upm1000(self.font_file)),
            font_size=self.font_size,
            bcp47_lang_code="vi",
            obj_stream=obj_stream,
        )


def format_signing_time(when: dt.datetime) -> str:
    """ISO 8601 in Vietnam time with the offset, e.g. ``2024-05-02T09:30:00+07:00``."""
    return when.astimezone(VN_TZ).isoformat(timespec="seconds")


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    cur = ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    if cur:
        lines.append(cur)
    return lines


def stamp_lines(agency_name: str, signing_time: dt.datetime) -> list[str]:
    """The stamp text, one entry per line (agency name wrapped, then the signing time)."""
    return [*_wrap(agency_name, _WRAP_AT), f"Thời gian ký: {format_signing_time(signing_time)}"]


def _inherited(page: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    node: generic.DictionaryObject | None = page
    while node is not None:
        if key in node:
            return node[key]
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return None


def stamp_box(page: generic.DictionaryObject) -> tuple[int, int, int, int]:
    """Top-right box (~6 × 1.8 cm, 1 cm inside the visible page edge), sized from the page itself."""
    box = _inherited(page, "/CropBox") or _inherited(page, "/MediaBox")
    if box is None:
        raise SigningError("page 1 has no /MediaBox")
    x0, y0, x1, y1 = (float(v) for v in box)
    left, right = min(x0, x1), max(x0, x1)
    bottom, top = min(y0, y1), max(y0, y1)
    rotate = int(_inherited(page, "/Rotate") or 0) % 360
    if rotate != 0:
        # The widget would turn with the page; keep it simple and honest until needed.
        raise SigningError(f"page 1 is rotated by {rotate}°; the stamp placement supports unrotated pages")
    margin = min(STAMP_MARGIN, (right - left) * 0.05, (top - bottom) * 0.05)
    width = min(STAMP_WIDTH, right - left - 2 * margin)
    height = min(STAMP_HEIGHT, top - bottom - 2 * margin)
    if width < 20 or height < 10:
        raise SigningError(
            f"page 1 is too small for a visible stamp ({right - left:.0f} × {top - bottom:.0f} pt)"
        )
    x2, y2 = right - margin, top - margin
    # Integer PDF coordinates, rounded inwards so the box never leaves the page.
    return (int(x2 - width) + 1, int(y2 - height) + 1, int(x2), int(y2))


def _stamp_style(font: Path, n_lines: int) -> TextStampStyle:
    text_style = TextBoxStyle(
        font=Upm1000FontFactory(font, STAMP_FONT_SIZE),
        font_size=STAMP_FONT_SIZE,
        leading=STAMP_FONT_SIZE + 2,
    )
    template = "\n".join(f"%(line{i})s" for i in range(n_lines))
    return TextStampStyle(
        stamp_text=template,
        text_box_style=text_style,
        border_width=0,
        background=None,
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(2),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )


def _pyhanko_signer(key: SignerKey) -> signers.SimpleSigner:
    cert = asn1_x509.Certificate.load(key.cert.public_bytes(serialization.Encoding.DER))
    chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in key.chain]
    pkcs8 = key.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signers.SimpleSigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


class _FixedTimePdfSigner(signers.PdfSigner):
    """PdfSigner whose session uses our clock, so /M, the CMS and the stamp show the same time."""

    def __init__(self, *args: object, system_time: dt.datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._system_time = system_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):  # type: ignore[no-untyped-def]
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._system_time
        return session


def sign_pdf(
    pdf: bytes,
    *,
    p12: bytes,
    password: bytes | None,
    agency_name: str,
    visible_stamp: bool = True,
    tsa_url: str | None = None,
    signing_time: dt.datetime | None = None,
    reason: str = DEFAULT_REASON,
    location: str | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Certify ``pdf`` (unsigned) for the agency in ``p12`` and return the signed bytes.

    ``signing_time`` defaults to now (it must be timezone-aware if given); ``tsa_url`` adds an
    RFC 3161 signature timestamp (B-T). ``timestamper`` overrides ``tsa_url`` (a test seam for
    pyHanko's ``DummyTimeStamper``). Every failure is a :class:`SigningError` (or
    :class:`AlreadySigned` / :class:`EncryptedPdf` for input the pipeline must not sign).
    """
    agency = unicodedata.normalize("NFC", agency_name).strip()
    reason = unicodedata.normalize("NFC", reason)
    location = unicodedata.normalize("NFC", location) if location else None
    if not agency:
        raise SigningError("agency_name is empty")
    if signing_time is None:
        when = dt.datetime.now(VN_TZ).replace(microsecond=0)
    elif signing_time.tzinfo is None:
        raise SigningError("signing_time must be timezone-aware")
    else:
        when = signing_time.astimezone(VN_TZ)

    key = load_pkcs12(p12, password)
    start, end = key.cert.not_valid_before_utc, key.cert.not_valid_after_utc
    if not (start <= when <= end):
        raise SigningError(
            f"the signer certificate is not valid at {format_signing_time(when)} "
            f"(valid {start.isoformat()} to {end.isoformat()})",
            message_vi="Chứng thư số của cơ quan đã hết hạn hoặc chưa có hiệu lực.",
            message_en="The agency certificate has expired or is not yet valid.",
        )

    try:
        return _sign(pdf, key, agency, visible_stamp, tsa_url, timestamper, when, reason, location)
    except SohoaError:
        raise
    except TimestampRequestError as e:
        err = SigningError(
            f"timestamp server {tsa_url or 'given'} failed: {e}",
            message_vi="Máy chủ cấp dấu thời gian (TSA) tạm thời không phản hồi; tệp sẽ được ký lại sau.",
            message_en="The timestamp server (TSA) did not answer; the file will be signed again later.",
        )
        err.transient = True  # a TSA outage passes; retrying later is right
        raise err from e
    except Exception as e:  # pyHanko, font, I/O and PDF parse errors all end here
        raise SigningError(f"{type(e).__name__}: {e}") from e


def _sign(
    pdf: bytes,
    key: SignerKey,
    agency: str,
    visible_stamp: bool,
    tsa_url: str | None,
    timestamper: TimeStamper | None,
    when: dt.datetime,
    reason: str,
    location: str | None,
) -> bytes:
    # Non-strict: scanner and imaging tools write small xref quirks (Pillow: "0 65536 f") that
    # strict mode rejects; the signed revision itself is written cleanly by pyHanko.
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    reader = writer.prev
    if reader.encrypted:
        raise EncryptedPdf("the PDF to sign is encrypted")
    if reader.embedded_signatures:
        raise AlreadySigned(f"the PDF already has {len(reader.embedded_signatures)} signature(s)")

    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=reason,
        location=location,
    )
    if timestamper is None and tsa_url:
        timestamper = HTTPTimeStamper(tsa_url, timeout=15)

    text_params: dict[str, str] = {}
    style = None
    box = None
    if visible_stamp:
        page_ref, _ = writer.find_page_for_modification(0)
        box = stamp_box(page_ref.get_object())
        lines = stamp_lines(agency, when)
        style = _stamp_style(stamp_font_path(), len(lines))
        text_params = {f"line{i}": line for i, line in enumerate(lines)}
    field_spec = fields.SigFieldSpec(sig_field_name=SIGNATURE_FIELD, on_page=0, box=box)

    pdf_signer = _FixedTimePdfSigner(
        meta,
        _pyhanko_signer(key),
        timestamper=timestamper,
        stamp_style=style,
        new_field_spec=field_spec,
        system_time=when,
    )
    out = pdf_signer.sign_pdf(writer, appearance_text_params=text_params or None)
    return out.getvalue()
