"""Verify the signatures of a PDF the way an archivist or auditor would, offline by default.

The pipeline calls :func:`verify_pdf` right after signing (and before archiving); auditors call
it (``sohoa verify``, ``sohoa audit``) on archived copies years later. It never raises on bad
input: a damaged, unsigned or tampered file is a report with a verdict and reasons in English
and Vietnamese.

Verdicts follow ETSI EN 319 102-1 in spirit:

* ``INVALID`` — something provably wrong: bytes changed, a byte range that leaves bytes
  unsigned or the file not covered, bytes after the last ``%%EOF``, a revision after a
  "no changes" certification that is not validation data (DSS/VRI) or a document timestamp, a
  signer revoked before signing, a broken timestamp.
* ``INDETERMINATE`` — nothing is wrong with the bytes, but trust cannot be established: no path
  to the given roots, revocation status unknown offline, a certificate expired with no timestamp
  proving the signature existed before.
* ``VALID`` — everything checked out.

Trust is decided only by the roots the caller passes (no OS trust store). Revocation uses the
data embedded in the file (DSS, B-LT/B-LTA), the caller's CRLs (a local cache), and the network
only when ``allow_fetching`` is set. A certificate that names an OCSP/CRL service must have its
status proven ("hard-fail"); certificates that name none (the dev PKI) pass that check.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader, RawPdfPath
from pyhanko.sign.diff_analysis import (
    CatalogModificationRule,
    DSSCompareRule,
    FormUpdatingRule,
    ModificationLevel,
    ObjectStreamRule,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
    XrefStreamRule,
)
from pyhanko.sign.diff_analysis.rules_api import Context, ReferenceUpdate, WhitelistRule
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import (
    SignatureCoverageLevel,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

log = logging.getLogger(__name__)

VALID, INVALID, INDETERMINATE = "VALID", "INVALID", "INDETERMINATE"


class _TimestampInfoRule(WhitelistRule):
    """Allow an /Info update that changes only /ModDate and /Producer.

    pyHanko (and other PAdES tools) stamp these two keys into every revision they write,
    including the DSS and document-timestamp revisions of B-LTA; they are bookkeeping, not
    content. Any other /Info change (title, author, ...) stays unexplained, hence INVALID.
    """

    _ALLOWED = frozenset({"/ModDate", "/Producer"})

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterable[ReferenceUpdate]:
        new_info = new.trailer_view.get_value_as_reference("/Info", optional=True)
        old_info = old.trailer_view.get_value_as_reference("/Info", optional=True)
        if new_info is None or old_info is None or new_info != old_info:
            return
        before = old.get_object(old_info)
        after = new.get_object(new_info)

        def raw(d: generic.DictionaryObject, k: str) -> object:
            return d.raw_get(k) if k in d else None

        keys = set(before.keys()) | set(after.keys())
        if any(raw(before, k) != raw(after, k) for k in keys - self._ALLOWED):
            return
        if any(isinstance(raw(after, k), generic.IndirectObject) for k in self._ALLOWED):
            return
        yield ReferenceUpdate(new_info, context_checked=Context.from_absolute(old, RawPdfPath("/Info")))


LTV_ONLY_DIFF_POLICY = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(),
        _TimestampInfoRule().as_qualified(ModificationLevel.LTA_UPDATES),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
    ],
    form_rule=FormUpdatingRule(field_rules=[SigFieldCreationRule(), SigFieldModificationRule()]),
)
"""pyHanko's default policy without the /Info and XMP metadata rules: after a "no changes"
certification only validation data (DSS, VRI) and document timestamps may be appended, and
pyHanko's default would rate a metadata rewrite as such an "LTA update"."""

_EOF_TAIL = re.compile(rb"%%EOF(\r\n|\r|\n)?\Z")


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it passed (None: could not tell), why."""

    name: str
    passed: bool | None
    en: str
    vi: str


@dataclass(frozen=True)
class VerificationReport:
    ok: bool
    """True only when ``verdict`` is VALID."""
    intact: bool
    """The signed bytes hash to the value in the signature (no byte of the signed range changed)."""
    valid: bool
    """The signature value checks out cryptographically against the signer's certificate."""
    trusted: bool
    """The signer's chain builds to one of the given trust roots (and key usage fits)."""
    covers_whole_file: bool
    """The last signature covers every byte of the file (nothing appended after it)."""
    signer: str | None
    """Subject common name of the (first) signer, NFC."""
    signing_time: dt.datetime | None
    """The time the signer claims (/M or the CMS signing-time); see ``timestamp_time`` for a TSA's."""
    timestamped: bool
    """A signature timestamp token from a TSA is present (PAdES B-T or higher)."""
    docmdp: str | None
    """Certification level, e.g. ``NO_CHANGES`` (pyHanko's ``MDPPerm`` name), None for approval sigs."""
    reasons: tuple[str, ...]
    """Why ``ok`` is False, one plain-English sentence each; empty when ok."""
    bottom_line: str
    """One sentence for a log line or a clerk's screen."""
    signatures: int = 0
    timestamp_time: dt.datetime | None = None
    verdict: str = INVALID
    """VALID, INVALID (provably altered or revoked) or INDETERMINATE (trust not established)."""
    level: str | None = None
    """PAdES level found: B-B, B-T, B-LT or B-LTA."""
    revocation: str = "not checked"
    """``good``, ``revoked``, ``unknown`` or ``not checked`` (no certificate names a service)."""
    reasons_vi: tuple[str, ...] = ()
    """``reasons`` in Vietnamese, same order."""
    checks: tuple[Check, ...] = field(default=())
    """Every check made, passed or not, for the auditor's report."""
    doc_timestamps: int = 0


def _load_roots(trust_roots: Sequence[bytes]) -> tuple[list[asn1_x509.Certificate], list[str]]:
    """PEM (one or more certificates) or DER blobs → certificates, plus problems found."""
    ders: list[asn1_x509.Certificate] = []
    problems: list[str] = []
    for i, blob in enumerate(trust_roots):
        try:
            if b"-----BEGIN" in blob:
                certs = pyca_x509.load_pem_x509_certificates(blob)
            else:
                certs = [pyca_x509.load_der_x509_certificate(blob)]
        except ValueError as e:
            problems.append(f"Trust root #{i + 1} is not a PEM or DER certificate ({e}).")
            continue
        ders.extend(asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs)
    return ders, problems


class _Checks:
    """Collects checks; the worst failure decides the verdict."""

    def __init__(self) -> None:
        self.items: list[Check] = []
        self.invalid = False
        self.indeterminate = False

    def ok(self, name: str, en: str, vi: str) -> None:
        self.items.append(Check(name, True, en, vi))

    def fail(self, name: str, en: str, vi: str, *, indeterminate: bool = False) -> None:
        self.items.append(Check(name, None if indeterminate else False, en, vi))
        if indeterminate:
            self.indeterminate = True
        else:
            self.invalid = True

    @property
    def verdict(self) -> str:
        return INVALID if self.invalid else INDETERMINATE if self.indeterminate else VALID

    @property
    def failures(self) -> list[Check]:
        # INVALID reasons first: they are what an auditor must read first.
        return [c for c in self.items if c.passed is False] + [c for c in self.items if c.passed is None]


def _report(checks: _Checks, **fields: object) -> VerificationReport:
    verdict = checks.verdict
    failures = checks.failures
    reasons = tuple(c.en for c in failures)
    if verdict == VALID:
        bottom = fields.pop("valid_line")
    else:
        fields.pop("valid_line", None)
        bottom = f"{'NOT VALID' if verdict == INVALID else 'INDETERMINATE'}: {reasons[0]}"
    base: dict[str, object] = {
        "intact": False,
        "valid": False,
        "trusted": False,
        "covers_whole_file": False,
        "signer": None,
        "signing_time": None,
        "timestamped": False,
        "docmdp": None,
    }
    base.update(fields)
    return VerificationReport(
        ok=verdict == VALID,
        reasons=reasons,
        reasons_vi=tuple(c.vi for c in failures),
        bottom_line=bottom,
        verdict=verdict,
        checks=tuple(checks.items),
        **base,  # type: ignore[arg-type]
    )


def _failed(en: str, vi: str) -> VerificationReport:
    checks = _Checks()
    checks.fail("structure", en, vi)
    return _report(checks)


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots: Sequence[bytes],
    crls: Sequence[bytes] = (),
    allow_fetching: bool = False,
) -> VerificationReport:
    """Check every signature and document timestamp in ``pdf`` against ``trust_roots``.

    ``crls`` (DER) are a local revocation cache; ``allow_fetching`` lets pyHanko ask the OCSP and
    CRL services the certificates name (off by default: auditors work offline and the embedded
    B-LT data should suffice). ``ok`` is True only for the VALID verdict.
    """
    try:
        return _verify(pdf, trust_roots, crls, allow_fetching)
    except Exception as e:  # last line of defence: a report, never an exception
        log.debug("verification crashed", exc_info=True)
        return _failed(
            f"The file could not be checked: {type(e).__name__}: {e}.",
            f"Không kiểm tra được tệp: {type(e).__name__}: {e}.",
        )


def _byte_range_problem(pdf: bytes, sig: object) -> str | None:
    """The /ByteRange must be [0 a b c]: start at 0, skip exactly the /Contents hex string and
    nothing else, end inside the file. pyHanko checks the digest; this checks the shape."""
    try:
        br = [int(v) for v in sig.sig_object["/ByteRange"]]  # type: ignore[attr-defined]
    except Exception:
        return "has no readable /ByteRange"
    if len(br) != 4:
        return f"has a /ByteRange with {len(br)} numbers instead of 4"
    start, a, b, c = br
    if start != 0 or a <= 0 or b <= a or c <= 0:
        return f"has a malformed /ByteRange {br}"
    if b + c > len(pdf):
        return f"has a /ByteRange {br} that runs past the end of the file ({len(pdf)} bytes)"
    gap = pdf[a:b]
    if len(gap) < 2 or gap[:1] != b"<" or gap[-1:] != b">" or not re.fullmatch(rb"[0-9A-Fa-f]*", gap[1:-1]):
        return f"has a /ByteRange {br} whose unsigned gap is not exactly the /Contents hex string"
    return None


def _signature_ts_time(sig: object) -> dt.datetime | None:
    """genTime of the signature timestamp token, read before validation to pick the moment at
    which the signer's certificate must have been valid (the timestamp is validated as well)."""
    try:
        attrs = sig.signer_info["unsigned_attrs"]  # type: ignore[attr-defined]
        for attr in attrs:
            if attr["type"].native == "signature_time_stamp_token":
                token = attr["values"][0]
                tst_info = token["content"]["encap_content_info"]["content"].parsed
                return tst_info["gen_time"].native
    except Exception:  # noqa: BLE001 - a malformed token is caught by the validation itself
        return None
    return None


def _verify(
    pdf: bytes, trust_roots: Sequence[bytes], crls: Sequence[bytes], allow_fetching: bool
) -> VerificationReport:
    if not pdf:
        return _failed("The file is empty.", "Tệp rỗng.")
    if pdf.lstrip()[:5] != b"%PDF-":
        return _failed(
            "The file is not a PDF (no %PDF- header).", "Tệp không phải PDF (thiếu tiêu đề %PDF-)."
        )
    try:
        # Non-strict like the signer: tolerate harmless xref quirks of the unsigned original.
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        if reader.encrypted:
            return _failed(
                "The PDF is encrypted; its signatures cannot be checked without the password.",
                "Tệp PDF bị mã hóa; không kiểm tra được chữ ký khi không có mật khẩu.",
            )
        sigs = list(reader.embedded_signatures)
    except Exception as e:
        return _failed(
            f"The PDF cannot be read ({type(e).__name__}: {e}).",
            f"Không đọc được tệp PDF ({type(e).__name__}).",
        )
    if not sigs:
        return _failed("The file has no signature.", "Tệp không có chữ ký số.")

    checks = _Checks()
    roots, problems = _load_roots(trust_roots)
    for p in problems:
        checks.fail("trust roots", p, "Một chứng thư gốc tin cậy không đọc được.", indeterminate=True)
    if not roots:
        checks.fail(
            "trust roots",
            "No trust roots were given, so no signer can be trusted.",
            "Chưa có chứng thư gốc tin cậy nên không thể tin cậy người ký.",
            indeterminate=True,
        )

    # --- structure: the file ends where the last revision ends; every byte range is sane -------
    if _EOF_TAIL.search(pdf[-16:]) is None:
        checks.fail(
            "end of file",
            "Bytes were appended after the last %%EOF marker.",
            "Có dữ liệu bị chèn thêm sau dấu kết thúc tệp %%EOF.",
        )
    for sig in sigs:
        problem = _byte_range_problem(pdf, sig)
        if problem:
            checks.fail(
                "byte range",
                f"Signature {sig.field_name} {problem}.",
                f"Chữ ký {sig.field_name} có /ByteRange sai: có phần tệp không được ký.",
            )

    # --- validation data embedded in the file (B-LT / B-LTA) --------------------------------
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:  # NoDSSFoundError or a damaged DSS: validate without it
        dss = None
    base_kwargs: dict[str, object] = {
        "trust_roots": roots,
        "allow_fetching": allow_fetching,
        "revocation_mode": "hard-fail",
        "crls": list(crls),
        "retroactive_revinfo": True,
    }

    def context(moment: dt.datetime | None) -> ValidationContext:
        kwargs = dict(base_kwargs)
        if moment is not None:
            kwargs["moment"] = moment
            kwargs["best_signature_time"] = moment
        if dss is not None:
            return dss.as_validation_context(kwargs)
        return ValidationContext(**kwargs)  # type: ignore[arg-type]

    intact = valid = trusted = True
    covers_whole_file = False
    first: dict[str, object] = {}
    ts_present = False
    ts_time: dt.datetime | None = None
    revocation = "not checked"
    doc_ts = 0
    approval = [s for s in sigs if s.sig_object_type != "/DocTimeStamp"]
    last = max(sigs, key=lambda s: s.signed_revision)

    for sig in sigs:
        is_doc_ts = sig.sig_object_type == "/DocTimeStamp"
        label = f"Document timestamp {sig.field_name}" if is_doc_ts else f"Signature {sig.field_name}"
        label_vi = f"Dấu thời gian tài liệu {sig.field_name}" if is_doc_ts else f"Chữ ký {sig.field_name}"
        of_vi = f"dấu thời gian tài liệu {sig.field_name}" if is_doc_ts else f"chữ ký {sig.field_name}"
        moment = None if is_doc_ts else _signature_ts_time(sig)
        try:
            if is_doc_ts:
                doc_ts += 1
                status = validate_pdf_timestamp(
                    sig, validation_context=context(None), diff_policy=LTV_ONLY_DIFF_POLICY
                )
            else:
                status = validate_pdf_signature(
                    sig,
                    signer_validation_context=context(moment),
                    ts_validation_context=context(None),
                    diff_policy=LTV_ONLY_DIFF_POLICY,
                )
        except Exception as e:
            intact = valid = trusted = False
            checks.fail(
                "integrity",
                f"{label} could not be validated ({type(e).__name__}: {e}).",
                f"{label_vi} không kiểm tra được ({type(e).__name__}).",
            )
            continue

        if not first and not is_doc_ts:
            cn = status.signing_cert.subject.native.get("common_name")
            if isinstance(cn, list):
                cn = cn[0] if cn else None
            first["signer"] = unicodedata.normalize("NFC", cn) if cn else None
            first["signing_time"] = status.signer_reported_dt
            level = sig.docmdp_level
            first["docmdp"] = level.name if level is not None else None

        if not status.intact:
            intact = False
            checks.fail(
                "integrity",
                f"{label} is broken: the signed bytes were changed after signing.",
                f"{label_vi} bị phá vỡ: nội dung đã bị thay đổi sau khi ký.",
            )
        elif not status.valid:
            valid = False
            checks.fail(
                "integrity",
                f"{label} value does not match the signer's certificate.",
                f"{label_vi}: giá trị chữ ký không khớp với chứng thư số của người ký.",
            )
        else:
            checks.ok(
                "integrity", f"{label}: the signed bytes are intact.", f"{label_vi}: nội dung nguyên vẹn."
            )

        # --- chain, validity period, revocation ---------------------------------------------
        if status.revoked:
            trusted = False
            revocation = "revoked"
            rev_time = getattr(status.revocation_details, "revocation_date", None)
            checks.fail(
                "revocation",
                f"{label}'s certificate was revoked"
                + (f" on {rev_time.isoformat()}" if isinstance(rev_time, dt.datetime) else "")
                + ".",
                f"Chứng thư số của {of_vi} đã bị thu hồi.",
            )
        elif not status.trusted:
            trusted = False
            indic = status.trust_problem_indic.name if status.trust_problem_indic else "NO_PATH"
            no_revinfo = dss is None and not allow_fetching and _names_revocation_service(status)
            if indic in ("TRY_LATER", "REVOCATION_OUT_OF_BOUNDS_NO_POE") or (
                no_revinfo and indic == "CERTIFICATE_CHAIN_GENERAL_FAILURE"
            ):
                revocation = "unknown"
                en = (
                    f"{label}'s revocation status could not be established ({indic}): no embedded "
                    "OCSP/CRL data, no matching cached CRL, and fetching is off."
                )
                vi = f"Không xác định được tình trạng thu hồi chứng thư của {of_vi} khi ngoại tuyến."
            elif "OUT_OF_BOUNDS" in indic or "EXPIRED" in indic:
                en = f"{label}'s certificate was not valid at the validation time ({indic}); no timestamp proves earlier signing."
                vi = f"Chứng thư số của {of_vi} đã hết hạn hoặc chưa có hiệu lực vào thời điểm kiểm tra."
            else:
                en = (
                    f"{label}'s certificate does not chain to a given trust root or is not usable "
                    f"for signing ({indic})."
                )
                vi = f"Chứng thư số của {of_vi} không dẫn tới chứng thư gốc tin cậy ({indic})."
            checks.fail("chain", en, vi, indeterminate=status.intact and status.valid)
        else:
            checks.ok(
                "chain",
                f"{label}'s certificate chains to a trust root and is not revoked.",
                f"Chứng thư số của {of_vi} dẫn tới chứng thư gốc tin cậy, chưa bị thu hồi.",
            )
            if revocation == "not checked" and _names_revocation_service(status):
                revocation = "good"

        # --- the signature timestamp (B-T) ---------------------------------------------------
        tsv = getattr(status, "timestamp_validity", None)
        if tsv is not None:
            ts_present = True
            if ts_time is None:
                ts_time = tsv.timestamp
            if not (tsv.intact and tsv.valid):
                checks.fail(
                    "timestamp",
                    f"{label}'s timestamp is broken or does not match the signature.",
                    f"Dấu thời gian của {of_vi} bị hỏng hoặc không khớp.",
                )
            elif not tsv.trusted:
                trusted = False
                checks.fail(
                    "timestamp",
                    f"{label}'s timestamp is not valid or its TSA is not trusted.",
                    f"Dấu thời gian của {of_vi} không hợp lệ hoặc TSA không được tin cậy.",
                    indeterminate=True,
                )
            else:
                checks.ok(
                    "timestamp",
                    f"{label} was timestamped at {tsv.timestamp.isoformat()} by a trusted TSA.",
                    f"{label_vi} có dấu thời gian {tsv.timestamp.isoformat()} từ TSA tin cậy.",
                )

        # --- modifications after this signature ----------------------------------------------
        if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
            covers_whole_file = covers_whole_file or sig is last
            checks.ok("modifications", f"{label} covers the whole file.", f"{label_vi} bao trùm toàn bộ tệp.")
        elif status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
            mod = status.modification_level
            what = mod.name.lower().replace("_", " ") if mod is not None else "unknown"
            ltv_only = mod is not None and mod <= ModificationLevel.LTA_UPDATES
            certified_final = first.get("docmdp") == MDPPerm.NO_CHANGES.name
            if (ltv_only and certified_final) or (not certified_final and status.docmdp_ok and ltv_only):
                checks.ok(
                    "modifications",
                    f"{label}: only validation data or document timestamps were added after it.",
                    f"{label_vi}: sau khi ký chỉ bổ sung dữ liệu kiểm tra hiệu lực/dấu thời gian.",
                )
            else:
                checks.fail(
                    "modifications",
                    f"{label} does not cover the whole file: the file was changed after signing "
                    f"({what} changes), and only validation data and document timestamps are allowed.",
                    f"{label_vi} không bao trùm toàn bộ tệp: tệp đã bị sửa sau khi ký.",
                )
        else:
            checks.fail(
                "byte range",
                f"{label} has a non-standard byte range that leaves parts of its revision unsigned.",
                f"{label_vi} có vùng ký không chuẩn, để hở một phần tệp.",
            )

    cert_sig = next((s for s in approval if s.docmdp_level == MDPPerm.NO_CHANGES), None)
    if cert_sig is not None:
        for rev in _non_ltv_revisions(reader, cert_sig.signed_revision, sigs):
            checks.fail(
                "modifications",
                f"Revision {rev + 1} was added after the no-changes certification but holds neither "
                "validation data (DSS) nor a document timestamp.",
                f"Phiên bản sửa đổi {rev + 1} được thêm sau khi chứng thực 'không cho phép thay đổi' "
                "nhưng không phải dữ liệu kiểm tra hiệu lực hay dấu thời gian.",
            )

    if not approval:
        checks.fail(
            "structure", "The file has only document timestamps, no signature.", "Tệp không có chữ ký số."
        )

    has_dss = dss is not None
    level = "B-LTA" if doc_ts and has_dss else "B-LT" if has_dss else "B-T" if ts_present else "B-B"
    when = ts_time or first.get("signing_time")
    valid_line = (
        f"VALID ({level}): signed by {first.get('signer')} at "
        f"{when.isoformat() if isinstance(when, dt.datetime) else 'an unknown time'}; intact, "
        "trusted and unchanged since signing."
    )
    return _report(
        checks,
        valid_line=valid_line,
        intact=intact,
        valid=valid,
        trusted=trusted,
        covers_whole_file=covers_whole_file,
        signer=first.get("signer"),
        signing_time=first.get("signing_time"),
        timestamped=ts_present,
        docmdp=first.get("docmdp"),
        signatures=len(approval),
        timestamp_time=ts_time,
        level=level,
        revocation=revocation,
        doc_timestamps=doc_ts,
    )


def _names_revocation_service(status: object) -> bool:
    """Whether the signer's certificate names an OCSP or CRL service (so "good" was proven)."""
    cert = status.signing_cert  # type: ignore[attr-defined]
    return bool(cert.ocsp_urls or cert.crl_distribution_points)


def _non_ltv_revisions(reader: PdfFileReader, cert_revision: int, sigs: list) -> list[int]:
    """Revisions after the certification that neither update the DSS nor add a document
    timestamp. pyHanko's diff policy judges *what* changed; this makes sure each appended
    revision has a validation purpose at all (a lone /ModDate bump does not)."""
    ts_revisions = {s.signed_revision for s in sigs if s.sig_object_type == "/DocTimeStamp"}
    bad: list[int] = []
    for rev in range(cert_revision + 1, reader.xrefs.total_revisions):
        if rev in ts_revisions:
            continue
        refs = reader.xrefs.explicit_refs_in_revision(rev)
        dss = (
            reader.get_historical_root(rev).raw_get("/DSS")
            if "/DSS" in reader.get_historical_root(rev)
            else None
        )
        if isinstance(dss, generic.IndirectObject) and dss.reference in refs:
            continue
        bad.append(rev)
    return bad
