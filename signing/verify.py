"""Verify the signatures of a PDF offline, the way an archivist or auditor would.

The pipeline calls :func:`verify_pdf` right after signing (and before archiving); auditors can
call it on any archived copy. It never raises on bad input: a damaged, unsigned or tampered file
is a report with ``ok=False`` and plain-English reasons, which the caller records or turns into
:class:`schemas.errors.SignatureInvalid`.

Trust is decided only by the roots the caller passes (no OS trust store, no network): the dev
PKI publishes no OCSP or CRL, and auditors often work offline, so revocation is "soft-fail".
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerificationReport:
    ok: bool
    """True only if every check below passed for every signature (and there is at least one)."""
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


def _failed(reasons: list[str], *, signatures: int = 0) -> VerificationReport:
    return VerificationReport(
        ok=False,
        intact=False,
        valid=False,
        trusted=False,
        covers_whole_file=False,
        signer=None,
        signing_time=None,
        timestamped=False,
        docmdp=None,
        reasons=tuple(reasons),
        bottom_line=f"NOT VALID: {reasons[0]}" if reasons else "NOT VALID.",
        signatures=signatures,
    )


def verify_pdf(pdf: bytes, *, trust_roots: Sequence[bytes]) -> VerificationReport:
    """Check every signature in ``pdf`` against ``trust_roots`` (PEM or DER certificates).

    ``ok`` needs ≥ 1 signature, each intact, valid and trusted, any timestamp valid and trusted,
    and no later revision the signature's DocMDP policy forbids. A certification with DocMDP
    "no changes" (what :mod:`signing.sign` makes) must cover the whole file: any appended
    revision fails, including /Info rewrites and, for now, LTV data (DSS, document timestamps).
    """
    try:
        return _verify(pdf, trust_roots)
    except Exception as e:  # last line of defence: a report, never an exception
        log.debug("verification crashed", exc_info=True)
        return _failed([f"The file could not be checked: {type(e).__name__}: {e}."])


def _verify(pdf: bytes, trust_roots: Sequence[bytes]) -> VerificationReport:
    if not pdf:
        return _failed(["The file is empty."])
    if pdf.lstrip()[:5] != b"%PDF-":
        return _failed(["The file is not a PDF (no %PDF- header)."])
    try:
        # Non-strict like the signer: tolerate harmless xref quirks of the unsigned original.
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        if reader.encrypted:
            return _failed(["The PDF is encrypted; its signatures cannot be checked without the password."])
        sigs = list(reader.embedded_signatures)
    except Exception as e:
        return _failed([f"The PDF cannot be read ({type(e).__name__}: {e})."])
    if not sigs:
        return _failed(["The file has no signature."])

    roots, reasons = _load_roots(trust_roots)
    if not roots:
        reasons.append("No trust roots were given, so no signer can be trusted.")

    intact = valid = trusted = True
    ts_present = False
    covers_whole_file = False
    first_cn: str | None = None
    first_time: dt.datetime | None = None
    ts_time: dt.datetime | None = None
    docmdp: str | None = None

    for n, sig in enumerate(sigs, start=1):
        label = f"Signature {n} ({sig.field_name})" if len(sigs) > 1 else "The signature"
        vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(sig, signer_validation_context=vc)
        except Exception as e:
            intact = valid = trusted = False
            reasons.append(f"{label} could not be validated ({type(e).__name__}: {e}).")
            continue

        cn = status.signing_cert.subject.native.get("common_name")
        if isinstance(cn, list):
            cn = cn[0] if cn else None
        if n == 1:
            first_cn = unicodedata.normalize("NFC", cn) if cn else None
            first_time = status.signer_reported_dt
            level = sig.docmdp_level
            docmdp = level.name if level is not None else None

        if not status.intact:
            intact = False
            reasons.append(f"{label} is broken: the signed bytes were changed after signing.")
        if not status.valid:
            valid = False
            reasons.append(f"{label} value does not match the signer's certificate.")
        if not status.trusted:
            trusted = False
            if status.intact and status.valid:
                why = status.trust_problem_indic.name if status.trust_problem_indic else "no path"
                reasons.append(
                    f"{label}'s certificate does not chain to a given trust root or is not usable "
                    f"for signing ({why})."
                )

        tsv = status.timestamp_validity
        if tsv is not None:
            ts_present = True
            if n == 1:
                ts_time = tsv.timestamp
            if not (tsv.intact and tsv.valid and tsv.trusted):
                trusted = False
                reasons.append(f"{label}'s timestamp is not valid or its TSA is not trusted.")

        if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
            covers_whole_file = True
        elif status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
            level_after = status.modification_level
            what = level_after.name.lower().replace("_", " ") if level_after else "unknown"
            if docmdp == MDPPerm.NO_CHANGES.name:
                # Stricter than pyHanko's diff policy, which rates e.g. an /Info rewrite as
                # "LTA updates": a certified-final copy must have no later revision at all.
                reasons.append(
                    f"{label} does not cover the whole file: the file was changed after signing "
                    f"({what} changes), and its certification allows no changes."
                )
            elif not status.docmdp_ok:
                reasons.append(
                    f"{label} does not cover the whole file: it was changed after signing "
                    f"({what} changes), which its document-modification policy does not allow."
                )
        else:
            reasons.append(
                f"{label} has a non-standard byte range that leaves parts of its revision unsigned."
            )

    ok = not reasons
    if ok:
        when = (ts_time or first_time).isoformat() if (ts_time or first_time) else "an unknown time"
        bottom = f"VALID: signed by {first_cn} at {when}; intact, trusted and unchanged since signing."
    else:
        bottom = f"NOT VALID: {reasons[0]}"
    return VerificationReport(
        ok=ok,
        intact=intact,
        valid=valid,
        trusted=trusted,
        covers_whole_file=covers_whole_file,
        signer=first_cn,
        signing_time=first_time,
        timestamped=ts_present,
        docmdp=docmdp,
        reasons=tuple(reasons),
        bottom_line=bottom,
        signatures=len(sigs),
        timestamp_time=ts_time,
    )
