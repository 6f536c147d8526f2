"""The steps of the digitize recipe as plain functions over the runtime's clients.

Each Prefect task in :mod:`flows.digitize` is a one-line adapter over one of these, so every step
can be tested without Prefect. Every step is idempotent on the document's SHA-256: a run killed at
any point and started again repeats nothing that already landed and loses nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocr.extract import DocumentOcr, build_pdf, ocr_pages
from ocr.pages import load_pages, sniff_kind
from schemas.documents import Extraction, nfc
from schemas.errors import EmptyFile, IntegrityError, SignatureInvalid
from schemas.ledger import Document
from schemas.settings import Settings
from signing.sign import sign_pdf
from signing.verify import verify_pdf
from storage.ledger import Ledger
from storage.objectstore import ObjectStore, StoredObject, archive_key, put_verified, validate_key

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


def read_intake(path: Path, *, name: str, unit: str) -> Intake:
    """Read a claimed file once. The unit code is checked first: it becomes part of archive keys,
    and a misnamed unit folder must be reported before any costly work."""
    validate_key(unit)
    data = path.read_bytes()
    if not data:
        raise EmptyFile(f"{name}: 0 bytes")
    kind = sniff_kind(data)
    return Intake(
        path=path, name=nfc(name), unit=unit, data=data, sha256=hashlib.sha256(data).hexdigest(), kind=kind
    )


def extract(intake: Intake, settings: Settings) -> DocumentOcr:
    pages = load_pages(intake.data, max_pages=settings.max_pages, max_pixels=settings.max_pixels)
    return ocr_pages(
        pages, lang=settings.ocr_lang, timeout_s=settings.ocr_timeout_s, workers=settings.ocr_workers
    )


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
    )
    report = verify_pdf(signed, trust_roots=trust_roots)
    if not report.ok:
        raise SignatureInvalid(report.bottom_line)
    return signed


def metadata_record(
    intake: Intake, extraction: Extraction, signed_sha256: str, keys: dict[str, str]
) -> bytes:
    """The ``metadata.json`` stored beside each archived document. Deterministic for a document."""
    record = {
        "sha256": intake.sha256,
        "file_name": intake.name,
        "unit": intake.unit,
        "format": intake.kind,
        "pages": len(extraction.pages),
        "ocr_confidence": round(extraction.confidence, 2),
        "metadata": extraction.metadata.to_json(),
        "signed_pdf": {"key": keys["signed"], "sha256": signed_sha256},
        "original": {"key": keys["original"], "sha256": intake.sha256},
    }
    return json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def _put_once(store: ObjectStore, key: str, data: bytes, content_type: str) -> StoredObject:
    """Store and read back; an object that an interrupted run already stored is kept as it is."""
    if store.exists(key):
        return StoredObject(
            key=key, uri=store.uri(key), sha256=store.sha256_of(key), size=-1, version_id=None
        )
    return put_verified(store, key, data, content_type)


def archive(
    store: ObjectStore, intake: Intake, extraction: Extraction, signed: bytes, keys: dict[str, str]
) -> ArchivedCopies:
    original = put_verified(store, keys["original"], intake.data, CONTENT_TYPES[intake.kind])
    if original.sha256 != intake.sha256:
        raise IntegrityError(f"{keys['original']}: archived copy hash {original.sha256} != {intake.sha256}")
    signed_obj = put_verified(store, keys["signed"], signed, "application/pdf")
    meta = _put_once(
        store,
        keys["metadata"],
        metadata_record(intake, extraction, signed_obj.sha256, keys),
        "application/json",
    )
    text = _put_once(store, keys["text"], nfc(extraction.text).encode("utf-8"), "text/plain; charset=utf-8")
    return ArchivedCopies(original=original, signed=signed_obj, metadata=meta, text=text)


def record(
    ledger: Ledger, intake: Intake, extraction: Extraction, copies: ArchivedCopies, received: dt.datetime
) -> Document:
    md = extraction.metadata
    doc = Document(
        sha256=intake.sha256,
        file_name=intake.name,
        unit_code=intake.unit,
        level=md.cap.value if md.cap else None,
        so_ky_hieu=md.so_ky_hieu,
        ngay_ban_hanh=md.ngay_ban_hanh,
        dia_danh=md.dia_danh,
        co_quan_ban_hanh=md.co_quan_ban_hanh,
        co_quan_chu_quan=md.co_quan_chu_quan,
        cap=md.cap.value if md.cap else None,
        loai_van_ban=md.loai_van_ban,
        trich_yeu=md.trich_yeu,
        nguoi_ky=md.nguoi_ky,
        chuc_vu_nguoi_ky=md.chuc_vu_nguoi_ky,
        so_trang=md.so_trang,
        ocr_confidence=round(extraction.confidence, 2),
        status="archived",
        original_key=copies.original.key,
        signed_key=copies.signed.key,
        metadata_key=copies.metadata.key,
        signed_sha256=copies.signed.sha256,
        original_version_id=copies.original.version_id,
        signed_version_id=copies.signed.version_id,
        metadata_version_id=copies.metadata.version_id,
        received_at=received,
        archived_at=dt.datetime.now(dt.UTC),
    )
    now = dt.datetime.now(dt.UTC).isoformat()
    events = [
        ("received", AGENT, f"{intake.name} at {received.isoformat()}"),
        ("ocr", AGENT, f"{len(extraction.pages)} page(s), confidence {extraction.confidence:.1f}"),
        ("signed", AGENT, f"signed.pdf sha256 {copies.signed.sha256}"),
        ("archived", AGENT, f"{copies.original.uri}, {copies.signed.uri} at {now}"),
        ("verified", AGENT, "read-back SHA-256 of every archived copy matched"),
    ]
    return ledger.record_document(doc, events)
