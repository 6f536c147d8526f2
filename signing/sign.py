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

* **Levels** (ETSI EN 319 142-1): ``B-B`` (signature only), ``B-T`` (+ RFC 3161 signature
  timestamp), ``B-LT`` (+ the chain's OCSP responses/CRLs in a DSS revision, so validation works
  offline after the CA is gone) and ``B-LTA`` (+ a document timestamp over all of it, which can be
  renewed before the algorithms weaken). The DSS and document timestamp are incremental updates
  after the certification; DocMDP "no changes" allows exactly those (:mod:`signing.verify`).
* **Keys** from a PKCS#12 file or a PKCS#11 token/HSM (:class:`Pkcs11Config`), as Vietnamese
  agencies sign with USB tokens. pyHanko sizes the reserved /Contents from a dry run with the
  real chain and timestamp (+50%), once per signer, level and TSA in a process; a signature that
  would not fit is never written short, the document is signed again with a fresh dry run.

Signing is the last byte change of the pipeline: the caller stores exactly the returned bytes
and verifies them right away (:mod:`signing.verify`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
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
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    SigDSSPlacementPreference,
    TimestampDSSContentSettings,
)
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from schemas.errors import AlreadySigned, EncryptedPdf, SigningError, SohoaError
from signing.pki import PrivateKey, SignerKey, load_pkcs12

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_REASON = "Số hóa kết quả giải quyết TTHC"
SIGNATURE_FIELD = "SohoaSignature"
DOC_TIMESTAMP_FIELD = "SohoaDocTimeStamp"
LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


@dataclass(frozen=True)
class Pkcs11Config:
    """Where the agency key lives on a PKCS#11 token (USB token, HSM, SoftHSM2 in tests).

    ``module`` is the vendor's PKCS#11 library (``.so``); the certificate is read from the token
    by ``key_label`` (or ``cert_label``), so no key ever leaves the device.
    """

    module: str
    token_label: str
    key_label: str
    pin: str | None
    cert_label: str | None = None
    chain: tuple[bytes, ...] = ()
    """Intermediate CA certificates (PEM/DER) when the token does not carry them; every
    certificate stored on the token is pulled in as well."""


FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
)

PT_PER_CM = 72 / 2.54
STAMP_WIDTH = 6.0 * PT_PER_CM
STAMP_HEIGHT = 1.5 * PT_PER_CM
STAMP_MARGIN = 1.0 * PT_PER_CM
# The stamp sits in the top margin (NĐ 30/2020: 20–25 mm), above the national motto that
# occupies the top right of page 1, so it never covers the document's own text.
STAMP_TOP_MARGIN = 0.3 * PT_PER_CM
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


# What a stamp needs: Latin with every Vietnamese letter (Latin-1, Extended-A/B for Ơ/Ư, Extended
# Additional for ạ…ỹ), combining marks, general punctuation and the đồng sign.
STAMP_REPERTOIRE = frozenset(
    u
    for lo, hi in (
        (0x20, 0x7E),
        (0xA0, 0x24F),
        (0x300, 0x36F),
        (0x1E00, 0x1EFF),
        (0x2000, 0x206F),
        (0x20AB, 0x20AB),
    )
    for u in range(lo, hi + 1)
)


@functools.lru_cache(maxsize=4)
def _font_upm1000(path: Path, repertoire: bool = False) -> bytes:
    """The font rescaled to 1000 units per em (cached per process).

    pyHanko 0.38's GlyphAccumulator writes glyph widths (/W), TJ kerning and the font
    descriptor in the font's own units, while PDF reads them as 1/1000 em. Liberation and
    DejaVu use 2048 units per em, so their glyphs would be spread about twice too wide and
    clipped. Rescaling the font program to 1000 units makes every number pyHanko writes right.

    ``repertoire``: first cut the font down to :data:`STAMP_REPERTOIRE` (layout features kept).
    Liberation Serif has 2,600 glyphs; the cut font rescales in 0.15 s instead of 0.4 s once per
    process, and pyHanko's per-signature subsetting drops from 0.03 to 0.01 s of CPU.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset" noise
    font = TTFont(str(path))
    if repertoire:
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=STAMP_REPERTOIRE)
        cutter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    buf = BytesIO()
    font.save(buf)
    return buf.getvalue()


class Upm1000FontFactory(FontEngineFactory):
    """Like pyHanko's ``GlyphAccumulatorFactory``, but over a 1000-units-per-em copy of the font
    (cut to :data:`STAMP_REPERTOIRE` when ``repertoire``: the stamp text holds nothing else)."""

    def __init__(self, font_file: Path, font_size: int, repertoire: bool = False) -> None:
        self.font_file = font_file
        self.font_size = font_size
        self.repertoire = repertoire

    def create_font_engine(self, writer, obj_stream=None):  # type: ignore[no-untyped-def]
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(_font_upm1000(self.font_file, self.repertoire)),
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
    """Top-right box (~6 × 1.5 cm, 1 cm from the right edge, 3 mm from the top: inside the top
    margin, above the motto), sized from the page itself."""
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
    x2, y2 = right - margin, top - min(STAMP_TOP_MARGIN, margin)
    # Integer PDF coordinates, rounded inwards so the box never leaves the page.
    return (int(x2 - width) + 1, int(y2 - height) + 1, int(x2), int(y2))


def _stamp_style(font: Path, lines: list[str]) -> TextStampStyle:
    n_lines = len(lines)
    cut = all(ord(c) in STAMP_REPERTOIRE for line in lines for c in line)
    text_style = TextBoxStyle(
        font=Upm1000FontFactory(font, STAMP_FONT_SIZE, repertoire=cut),
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


class _LoadedKeySigner(signers.SimpleSigner):
    """SimpleSigner that keeps the parsed key: pyHanko re-parses the PKCS#8 blob for every
    signature (twice per PDF, dry run included), and `cryptography`'s RSA key check makes that
    ~0.1 s each."""

    def __init__(self, *args: object, pyca_key: PrivateKey, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._pyca_key = pyca_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from pyhanko_certvalidator.util import get_pyca_cryptography_hash

        # ``signature_algo`` is the mechanism's family ("rsassa_pkcs1v15", "ecdsa"); the raw
        # ``algorithm`` name is "sha256_rsa" and would send every signature down the slow path.
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._pyca_key, rsa.RSAPrivateKey):
            return self._pyca_key.sign(data, PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(self._pyca_key, ec.EllipticCurvePrivateKey):
            return self._pyca_key.sign(data, ec.ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)


@functools.lru_cache(maxsize=4)
def _cached_pkcs12(p12: bytes, password: bytes | None) -> SignerKey:
    """PKCS#12 decryption (PBKDF2 + RSA key check) costs ~0.15 s; the pipeline signs many
    documents with one bundle. Errors are not cached (lru_cache does not keep exceptions)."""
    return load_pkcs12(p12, password)


def _pyhanko_signer(key: SignerKey) -> signers.SimpleSigner:
    cert = asn1_x509.Certificate.load(key.cert.public_bytes(serialization.Encoding.DER))
    chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in key.chain]
    pkcs8 = key.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _LoadedKeySigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
        cert_registry=SimpleCertificateStore.from_certs(chain),
        pyca_key=key.key,
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
    p12: bytes | None = None,
    password: bytes | None = None,
    agency_name: str,
    visible_stamp: bool = True,
    tsa_url: str | None = None,
    signing_time: dt.datetime | None = None,
    reason: str = DEFAULT_REASON,
    location: str | None = None,
    timestamper: TimeStamper | None = None,
    level: str | None = None,
    pkcs11: Pkcs11Config | None = None,
    trust_roots: Sequence[bytes] = (),
    validation_context: ValidationContext | None = None,
) -> bytes:
    """Certify ``pdf`` (unsigned) for the agency key and return the signed bytes.

    The key comes from ``p12`` (+ ``password``) or from the token in ``pkcs11``. ``level`` is one
    of :data:`LEVELS`; ``None`` means B-T when a TSA is given, else B-B. B-T and higher need
    ``tsa_url`` (or ``timestamper``, a test seam for pyHanko's ``DummyTimeStamper``). B-LT and
    B-LTA fetch the chain's revocation data while signing, so they need the trust roots
    (``trust_roots``, PEM/DER, or a ready ``validation_context``) and the OCSP/CRL services
    reachable; a revoked or untrusted signer then fails here rather than in an audit.

    ``signing_time`` defaults to now (it must be timezone-aware if given). Every failure is a
    :class:`SigningError` (or :class:`AlreadySigned` / :class:`EncryptedPdf` for input the
    pipeline must not sign).
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
    if timestamper is None and tsa_url:
        timestamper = _http_timestamper(tsa_url)
    level = (level or ("B-T" if timestamper else "B-B")).upper()
    if level not in LEVELS:
        raise SigningError(f"unknown PAdES level {level!r}; use one of {', '.join(LEVELS)}")
    if level != "B-B" and timestamper is None:
        raise SigningError(
            f"PAdES {level} needs a timestamp server: set SOHOA_TSA_URL",
            message_vi=f"Mức ký {level} cần máy chủ dấu thời gian (TSA): hãy đặt SOHOA_TSA_URL.",
            message_en=f"Signature level {level} needs a timestamp server (TSA): set SOHOA_TSA_URL.",
        )
    if level in ("B-LT", "B-LTA") and validation_context is None:
        roots = _asn1_certs(trust_roots)
        if not roots:
            raise SigningError(f"PAdES {level} needs the trust roots to collect revocation data")
        validation_context = ValidationContext(
            trust_roots=roots, allow_fetching=True, revocation_mode="require"
        )

    try:
        if pkcs11 is not None:
            return _sign_with_token(
                pdf, pkcs11, agency, visible_stamp, timestamper, when, reason, location, level,
                validation_context,
            )  # fmt: skip
        if p12 is None:
            raise SigningError("no signing key: give a PKCS#12 file or a PKCS#11 token")
        key = _cached_pkcs12(p12, password)
        _check_validity(key.cert.not_valid_before_utc, key.cert.not_valid_after_utc, when)
        return _sign(
            pdf, _pyhanko_signer(key), agency, visible_stamp, timestamper, when, reason, location,
            level, validation_context,
        )  # fmt: skip
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
    except (PathValidationError, PathBuildingError) as e:
        raise SigningError(
            f"the signer certificate does not validate ({type(e).__name__}: {e})",
            message_vi="Chứng thư số của cơ quan không hợp lệ (bị thu hồi, hết hạn hoặc không tin cậy).",
            message_en="The agency certificate is not valid (revoked, expired or not trusted).",
        ) from e
    except Exception as e:  # pyHanko, font, I/O, token and PDF parse errors all end here
        raise SigningError(f"{type(e).__name__}: {e}") from e


@functools.lru_cache(maxsize=4)
def _http_timestamper(url: str) -> TimeStamper:
    """One client per TSA URL: pyHanko sizes /Contents from a "dummy" timestamp it fetches once
    per client and caches, so a fresh client per document would cost a second TSA round trip."""
    return HTTPTimeStamper(url, timeout=15)


def _asn1_certs(blobs: Sequence[bytes]) -> list[asn1_x509.Certificate]:
    from cryptography import x509 as pyca_x509

    out: list[asn1_x509.Certificate] = []
    for blob in blobs:
        try:
            if b"-----BEGIN" in blob:
                certs = pyca_x509.load_pem_x509_certificates(blob)
            else:
                certs = [pyca_x509.load_der_x509_certificate(blob)]
        except ValueError as e:
            raise SigningError(f"a trust root is not a PEM or DER certificate ({e})") from e
        out.extend(asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs)
    return out


def _check_validity(start: dt.datetime, end: dt.datetime, when: dt.datetime) -> None:
    if not (start <= when <= end):
        raise SigningError(
            f"the signer certificate is not valid at {format_signing_time(when)} "
            f"(valid {start.isoformat()} to {end.isoformat()})",
            message_vi="Chứng thư số của cơ quan đã hết hạn hoặc chưa có hiệu lực.",
            message_en="The agency certificate has expired or is not yet valid.",
        )


def _sign_with_token(
    pdf: bytes,
    cfg: Pkcs11Config,
    agency: str,
    visible_stamp: bool,
    timestamper: TimeStamper | None,
    when: dt.datetime,
    reason: str,
    location: str | None,
    level: str,
    validation_context: ValidationContext | None,
) -> bytes:
    """Sign with a key that never leaves the token; the session is closed whatever happens."""
    try:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
    except ImportError as e:  # python-pkcs11 missing
        raise SigningError(f"PKCS#11 support is not installed ({e}); pip install python-pkcs11") from e
    try:
        session = open_pkcs11_session(
            cfg.module, token_criteria=TokenCriteria(label=cfg.token_label), user_pin=cfg.pin
        )
    except Exception as e:
        raise SigningError(
            f"cannot open PKCS#11 token {cfg.token_label!r} via {cfg.module}: {type(e).__name__}: {e}",
            message_vi="Không mở được thiết bị ký số (USB token/HSM): kiểm tra thiết bị đã cắm và mã PIN.",
            message_en="The signing token (USB token/HSM) could not be opened: check it is plugged in and the PIN.",
        ) from e
    try:
        signer = PKCS11Signer(
            session,
            cert_label=cfg.cert_label or cfg.key_label,
            key_label=cfg.key_label,
            ca_chain=_asn1_certs(cfg.chain),
            other_certs_to_pull=None,  # all certificates on the token (tokens carry the CA chain)
        )
        cert = signer.signing_cert
        _check_validity(cert.not_valid_before, cert.not_valid_after, when)
        return _sign(pdf, signer, agency, visible_stamp, timestamper, when, reason, location, level,
                     validation_context)  # fmt: skip
    finally:
        session.close()


_RESERVED: dict[tuple[str, str, str], int] = {}
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+\d+\s*\]")


def _reservation_key(
    signer: signers.Signer, level: str, timestamper: TimeStamper | None
) -> tuple[str, str, str]:
    cert = signer.signing_cert
    tsa = (
        ""
        if timestamper is None or level == "B-B"
        else f"{type(timestamper).__name__} {getattr(timestamper, 'url', '')}"
    )
    return (cert.sha256.hex() if cert is not None else "", level, tsa)


def _sign(
    pdf: bytes,
    signer: signers.Signer,
    agency: str,
    visible_stamp: bool,
    timestamper: TimeStamper | None,
    when: dt.datetime,
    reason: str,
    location: str | None,
    level: str,
    validation_context: ValidationContext | None,
) -> bytes:
    """Sign, reserving for /Contents what the first signature of this process reserved.

    pyHanko sizes /Contents with a trial signature (a whole dummy CMS, timestamp included) plus
    50% margin. The CMS of one signer at one level barely varies (same chain, fixed-size
    signature, a timestamp token from the same TSA), so the trial runs once per signer, level
    and TSA in a process and later documents reuse its size. Should a signature ever outgrow it,
    pyHanko refuses to write it (nothing is truncated) and this document is signed again with a
    fresh trial signature.
    """
    sign_once = functools.partial(
        _sign_once,
        pdf,
        signer,
        agency,
        visible_stamp,
        timestamper,
        when,
        reason,
        location,
        level,
        validation_context,
    )
    key = _reservation_key(signer, level, timestamper)
    reserved = _RESERVED.get(key)
    try:
        out = sign_once(bytes_reserved=reserved)
    except Exception as e:
        if reserved is None or "larger than expected" not in str(e):
            raise
        _RESERVED.pop(key, None)
        out = sign_once(bytes_reserved=None)
    if key not in _RESERVED:
        first = min(_BYTE_RANGE.finditer(out), key=lambda m: int(m.group(1)), default=None)
        if first is not None:  # the /Contents hex string between its < and >
            _RESERVED[key] = int(first.group(2)) - int(first.group(1)) - 2
    return out


def _sign_once(
    pdf: bytes,
    signer: signers.Signer,
    agency: str,
    visible_stamp: bool,
    timestamper: TimeStamper | None,
    when: dt.datetime,
    reason: str,
    location: str | None,
    level: str,
    validation_context: ValidationContext | None,
    *,
    bytes_reserved: int | None,
) -> bytes:
    # Non-strict: scanner and imaging tools write small xref quirks (Pillow: "0 65536 f") that
    # strict mode rejects; the signed revision itself is written cleanly by pyHanko.
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    reader = writer.prev
    if reader.encrypted:
        raise EncryptedPdf("the PDF to sign is encrypted")
    if reader.embedded_signatures:
        raise AlreadySigned(f"the PDF already has {len(reader.embedded_signatures)} signature(s)")

    long_term = level in ("B-LT", "B-LTA")
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=reason,
        location=location,
        embed_validation_info=long_term,
        validation_context=validation_context if long_term else None,
        use_pades_lta=level == "B-LTA",
        timestamp_field_name=DOC_TIMESTAMP_FIELD if level == "B-LTA" else None,
        # Validation data in the signed revision itself (B-LT) or in the document timestamp's
        # revision (B-LTA): the last signature then covers the whole file, so validators that
        # do not analyse incremental updates (poppler's pdfsig) still see "total document signed".
        # VRI dictionaries are optional in PAdES and would force a revision after the timestamp.
        dss_settings=DSSContentSettings(
            include_vri=False,
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE
            if level == "B-LT"
            else SigDSSPlacementPreference.TOGETHER_WITH_NEXT_TS,
            next_ts_settings=TimestampDSSContentSettings(include_vri=False, update_before_ts=True),
        ),
    )

    text_params: dict[str, str] = {}
    style = None
    box = None
    if visible_stamp:
        page_ref, _ = writer.find_page_for_modification(0)
        box = stamp_box(page_ref.get_object())
        lines = stamp_lines(agency, when)
        style = _stamp_style(stamp_font_path(), lines)
        text_params = {f"line{i}": line for i, line in enumerate(lines)}
    field_spec = fields.SigFieldSpec(sig_field_name=SIGNATURE_FIELD, on_page=0, box=box)

    pdf_signer = _FixedTimePdfSigner(
        meta,
        signer,
        timestamper=timestamper if level != "B-B" else None,
        stamp_style=style,
        new_field_spec=field_spec,
        system_time=when,
    )
    out = pdf_signer.sign_pdf(
        writer, appearance_text_params=text_params or None, bytes_reserved=bytes_reserved
    )
    return out.getvalue()
