"""The steps of the digitize recipe as plain functions over the runtime's clients.

Each Prefect task in :mod:`flows.digitize` is a one-line adapter over one of these, so every step
can be tested without Prefect. Every step is idempotent on the document's SHA-256: a run killed at
any point and started again repeats nothing that already landed and loses nothing.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocr import sandbox
from ocr.extract import DocumentOcr, build_pdf
from ocr.fields import MetadataResult, extract_fields
from ocr.pages import sniff_kind
from ocr.sidecar import archival_fields, review_for
from schemas.documents import METADATA_KEYS, Extraction, nfc
from schemas.errors import EmptyFile, IntegrityError, SignatureInvalid, UnsafeInput
from schemas.ledger import Document
from schemas.settings import Settings
from signing.sign import sign_pdf
from signing.verify import verify_pdf
from storage.ledger import Ledger
from storage.objectstore import ObjectStore, StoredObject, archive_key, put_verified, validate_key
from storage.retention import Retention, retention_for

EXTENSIONS = {"pdf": "pdf", "tiff": "tif", "jpeg": "jpg", "png": "png"}
CONTENT_TYPES = {"pdf": "application/pdf", "tiff": "image/tiff", "jpeg": "image/jpeg", "png": "image/png"}
AGENT = "sohoa"


@dataclass(frozen=True, eq=False)
class Intake:
    """A claimed input file, read once: its bytes, content hash and type by magic bytes."""

    path: Path
    name: str
    unit: str
    data: bytes
    sha256: str
    kind: str


@dataclass(frozen=True)
class ArchivedCopies:
    original: StoredObject
    signed: StoredObject
    metadata: StoredObject
    text: StoredObject
    retention: Retention | None = None


def read_intake(path: Path, *, name: str, unit: str) -> Intake:
    """Read a claimed file once. The unit code is checked first: it becomes part of archive keys,
    and a misnamed unit folder must be reported before any costly work."""
    validate_key(unit)
    data = read_regular_file(path)
    if not data:
        raise EmptyFile(f"{name}: 0 bytes")
    kind = sniff_kind(data)
    return Intake(
        path=path, name=nfc(name), unit=unit, data=data, sha256=hashlib.sha256(data).hexdigest(), kind=kind
    )


def read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file, never through a symbolic link (a link swapped in after the
    inbox scan could point at a key or /etc) and never from a FIFO or device (which would block)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeInput(f"{path.name} is a symbolic link") from None
        raise
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeInput(f"{path.name} is not a regular file")
        return fh.read()


def extract(intake: Intake, settings: Settings) -> DocumentOcr:
    """Decode and OCR an untrusted file in a killable child process with the configured limits
    (:mod:`ocr.sandbox`); ``SOHOA_SANDBOX=false`` runs it in this process (debugging only)."""
    job = {
        "max_pages": settings.max_pages,
        "max_pixels": settings.max_pixels,
        "lang": settings.ocr_lang,
        "timeout_s": settings.ocr_timeout_s,
        "workers": settings.ocr_workers,
        "allow_signed": settings.signed_input == "archive_original",
    }
    if not settings.sandbox:
        return sandbox.extract_document(intake.data, **job)
    limits = sandbox.Limits(wall_s=settings.doc_timeout_s, memory_mb=settings.max_memory_mb)
    return sandbox.run_limited("ocr.sandbox:extract_document", intake.data, limits=limits, **job)


def archive_year(extraction: Extraction, received: dt.datetime) -> int:
    """Keys use the year of issue when it was read (stable across reruns), else the year received."""
    issued = extraction.metadata.ngay_ban_hanh
    return issued.year if issued else received.year


def keys_for(intake: Intake, year: int) -> dict[str, str]:
    ext = EXTENSIONS[intake.kind]
    return {
        "original": archive_key(intake.unit, year, intake.sha256, f"original.{ext}"),
        "signed": archive_key(intake.unit, year, intake.sha256, "signed.pdf"),
        "metadata": archive_key(intake.unit, year, intake.sha256, "metadata.json"),
        "text": archive_key(intake.unit, year, intake.sha256, "ocr.txt"),
    }


def sign_and_verify(
    doc: DocumentOcr, *, store: ObjectStore, signed_key: str, signer: Any, trust_roots: list[bytes]
) -> bytes:
    """Sign last, verify right after. A signed copy left by an interrupted run is reused if it verifies."""
    if store.exists(signed_key):
        previous = store.get(signed_key)
        if verify_pdf(previous, trust_roots=trust_roots).ok:
            return previous
        raise IntegrityError(f"{signed_key} exists in the archive but does not verify")
    signed = sign_pdf(
        build_pdf(doc),
        p12=signer.p12,
        password=signer.password,
        agency_name=signer.agency_name,
        visible_stamp=signer.visible_stamp,
        tsa_url=signer.tsa_url,
        level=signer.level,
        pkcs11=signer.pkcs11,
        trust_roots=signer.trust_roots,
    )
    # Online when a TSA is configured: a CA's OCSP/CRL may then be asked (B-LT/B-LTA carry it).
    report = verify_pdf(signed, trust_roots=trust_roots, allow_fetching=bool(signer.tsa_url))
    if not report.ok:
        raise SignatureInvalid(report.bottom_line)
    return signed


def metadata_record(
    intake: Intake,
    extraction: Extraction,
    signed_sha256: str,
    keys: dict[str, str],
    fields: MetadataResult | None = None,
) -> bytes:
    """The ``metadata.json`` stored beside each archived document. Deterministic for a document.
    ``fields``: the pages' :func:`extract_fields` result if already computed."""
    record = {
        "sha256": intake.sha256,
        "file_name": intake.name,
        "unit": intake.unit,
        "format": intake.kind,
        "pages": len(extraction.pages),
        "ocr_confidence": round(extraction.confidence, 2),
        "metadata": extraction.metadata.to_json(),
        **archival_fields(extraction, fields=fields),
        "signed_pdf": {"key": keys["signed"], "sha256": signed_sha256},
        "original": {"key": keys["original"], "sha256": intake.sha256},
    }
    return json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def document_retention(settings: Settings, keys: dict[str, str], maintenance: str | None = None) -> Retention:
    """The lock of a document's objects: its preservation class (else ``SOHOA_RETENTION_CLASS``)
    counted from the year in its keys, in ``SOHOA_RETENTION_MODE``."""
    year = int(keys["original"].split("/")[1])
    return retention_for(
        maintenance or settings.retention_class,
        year,
        mode=settings.retention_mode,
        other_years=settings.retention_other_years,
    )


def _put_once(
    store: ObjectStore, key: str, data: bytes, content_type: str, retention: Retention | None = None
) -> StoredObject:
    """Store and read back; an object that an interrupted run already stored is kept as it is."""
    if store.exists(key):
        info = store.stat(key)
        return StoredObject(
            key=key,
            uri=store.uri(key),
            sha256=store.sha256_of(key, version_id=info.version_id),
            size=info.size,
            version_id=info.version_id,
        )
    return put_verified(store, key, data, content_type, retention)


def archive(
    store: ObjectStore,
    intake: Intake,
    extraction: Extraction,
    signed: bytes,
    keys: dict[str, str],
    retention: Retention | None = None,
    fields: MetadataResult | None = None,
) -> ArchivedCopies:
    original = put_verified(store, keys["original"], intake.data, CONTENT_TYPES[intake.kind], retention)
    if original.sha256 != intake.sha256:
        raise IntegrityError(f"{keys['original']}: archived copy hash {original.sha256} != {intake.sha256}")
    signed_obj = put_verified(store, keys["signed"], signed, "application/pdf", retention)
    meta = _put_once(
        store,
        keys["metadata"],
        metadata_record(intake, extraction, signed_obj.sha256, keys, fields),
        "application/json",
        retention,
    )
    text = _put_once(
        store, keys["text"], nfc(extraction.text).encode("utf-8"), "text/plain; charset=utf-8", retention
    )
    return ArchivedCopies(original=original, signed=signed_obj, metadata=meta, text=text, retention=retention)


def signature_level(signer: Any) -> str | None:
    """The PAdES level the signer was configured for: B-T whenever a TSA is set, else B-B."""
    if signer is None:
        return None
    return signer.level or ("B-T" if signer.tsa_url else "B-B")


def signer_fingerprint(signer: Any) -> str | None:
    """SHA-256 of the agency certificate that signed (PKCS#12 keys; a token's is read at signing)."""
    if signer is None or not signer.p12:
        return None
    return _p12_fingerprint(signer.p12, signer.password)


@functools.lru_cache(maxsize=4)
def _p12_fingerprint(p12: bytes, password: bytes | None) -> str:
    """Decrypting a PKCS#12 bundle costs ~0.1 s of CPU (PBKDF2); one bundle signs every document."""
    from cryptography.hazmat.primitives import hashes

    from signing.pki import load_pkcs12

    return load_pkcs12(p12, password).cert.fingerprint(hashes.SHA256()).hex()


def record(
    ledger: Ledger,
    intake: Intake,
    extraction: Extraction,
    copies: ArchivedCopies,
    received: dt.datetime,
    *,
    clerk: dict[str, Any] | None = None,
    claim: str | None = None,
    signer: Any = None,
    fields: MetadataResult | None = None,
) -> Document:
    """``clerk``: the sidecar's data (mã hồ sơ, mã TTHC...); ``claim``: the inbox claim token,
    kept in the ``received`` event so a run resumed after a crash knows the row is its own;
    ``fields``: the pages' :func:`extract_fields` result if already computed."""
    review = review_for(extraction.pages, clerk, fields=fields)
    md = review.result.metadata()
    clerk = clerk or {}
    cap = md.cap.value if md.cap else None
    doc = Document(
        sha256=intake.sha256,
        file_name=intake.name,
        unit_code=intake.unit,
        level=cap,
        **{key: getattr(md, key) for key in METADATA_KEYS if key != "cap"},
        cap=cap,
        ocr_confidence=round(extraction.confidence, 2),
        type_code=review.result.value("type_code"),
        field_meta=review.result.field_meta(),
        needs_review=review.needs_review,
        clerk_data=clerk or None,
        ma_ho_so=(str(clerk.get("ma_ho_so") or "")[:64] or None),
        ma_tthc=(str(clerk.get("ma_tthc") or "")[:64] or None),
        status="archived",
        original_key=copies.original.key,
        signed_key=copies.signed.key,
        metadata_key=copies.metadata.key,
        signed_sha256=copies.signed.sha256,
        signature_level=signature_level(signer),
        signer_fingerprint=signer_fingerprint(signer),
        original_version_id=copies.original.version_id,
        signed_version_id=copies.signed.version_id,
        metadata_version_id=copies.metadata.version_id,
        maintenance=copies.retention.maintenance if copies.retention else None,
        retain_until=copies.retention.retain_until if copies.retention else None,
        received_at=received,
        archived_at=dt.datetime.now(dt.UTC),
    )
    now = dt.datetime.now(dt.UTC).isoformat()
    events = [
        (
            "received",
            AGENT,
            f"{intake.name} at {received.isoformat()}" + (f" [claim {claim}]" if claim else ""),
        ),
        ("ocr", AGENT, f"{len(extraction.pages)} page(s), confidence {extraction.confidence:.1f}"),
        ("signed", AGENT, f"signed.pdf sha256 {copies.signed.sha256}"),
        ("archived", AGENT, f"{copies.original.uri}, {copies.signed.uri} at {now}"),
        ("verified", AGENT, "read-back SHA-256 of every archived copy matched"),
    ]
    return ledger.record_document(doc, events)


def sign_archive_record(
    rt: Any,
    intake: Intake,
    doc: DocumentOcr,
    received: dt.datetime,
    *,
    clerk: dict[str, Any] | None = None,
    claim: str | None = None,
) -> ArchivedCopies:
    """The recipe after OCR, over the runtime's clients: sign and verify, archive every copy
    (read back and hashed), record the ledger row. Idempotent like each step it calls."""
    keys = keys_for(intake, archive_year(doc.extraction, received))
    signer = rt.signer
    signed = sign_and_verify(
        doc, store=rt.store, signed_key=keys["signed"], signer=signer, trust_roots=rt.trust_roots
    )
    retention = document_retention(rt.settings, keys)
    fields = doc.fields or extract_fields(doc.extraction.pages)  # for metadata.json and the ledger row
    copies = archive(rt.store, intake, doc.extraction, signed, keys, retention, fields)
    record(
        rt.ledger, intake, doc.extraction, copies, received,
        clerk=clerk, claim=claim, signer=signer, fields=fields,
    )  # fmt: skip
    return copies
