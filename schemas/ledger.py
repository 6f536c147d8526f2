"""The ledger's tables (SQLModel): units, archived documents, their event history, quarantined
files and the denominators of the progress report.

Types are chosen to work unchanged on SQLite and PostgreSQL. Every timestamp is a timezone-aware
UTC ``datetime`` (:class:`UtcDateTime` stores naive UTC on SQLite and ``timestamptz`` on
PostgreSQL, and always hands back aware UTC values). Text is NFC (the ledger normalizes on write).

Terms (see also ``schemas.documents``):

* ``Unit`` — an administrative unit (đơn vị hành chính) whose office returns TTHC results;
  ``level`` is ``tinh`` (province), ``huyen`` (district) or ``xa`` (commune).
* ``Denominator`` — how many still-valid TTHC results (kết quả giải quyết TTHC còn hiệu lực) a unit
  holds for a year, taken from the office's register (sổ theo dõi); the report's denominator.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from typing import Any

from sqlalchemy import JSON, DateTime, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A datetime column that refuses naive values and always returns aware UTC.

    SQLite has no time zone type, so values are stored as naive UTC there; PostgreSQL gets
    ``timestamp with time zone``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: ledger timestamps must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Level(StrEnum):
    TINH = "tinh"
    HUYEN = "huyen"
    XA = "xa"


class EventKind(StrEnum):
    RECEIVED = "received"
    OCR = "ocr"
    SIGNED = "signed"
    ARCHIVED = "archived"
    VERIFIED = "verified"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"


class Unit(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=32)
    name: str
    level: str = Field(max_length=8, index=True)  # Level
    parent_code: str | None = Field(default=None, max_length=32)


class Document(SQLModel, table=True):
    """One archived document, keyed by the SHA-256 of the original scan as received."""

    sha256: str = Field(primary_key=True, min_length=64, max_length=64)
    file_name: str
    unit_code: str = Field(index=True, max_length=32)
    level: str | None = Field(default=None, max_length=8)  # the unit's level when recorded, else ``cap``

    so_ky_hieu: str | None = None
    ngay_ban_hanh: dt.date | None = None
    dia_danh: str | None = None
    co_quan_ban_hanh: str | None = None
    co_quan_chu_quan: str | None = None
    cap: str | None = Field(default=None, max_length=8)
    loai_van_ban: str | None = None
    trich_yeu: str | None = Field(default=None, sa_type=Text)
    nguoi_ky: str | None = None
    chuc_vu_nguoi_ky: str | None = None
    so_trang: int | None = None
    ocr_confidence: float | None = None
    type_code: str | None = Field(default=None, max_length=2)  # TT 02/2019 typeName 01–32
    # Per field: {"confidence": 0..1, "source": "ocr|text_layer|esign_layer|sidecar|clerk|archivist"}
    field_meta: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    needs_review: bool = Field(default=False, index=True)
    # Clerk-entered data paired with the scan (sidecar / manifest): mã hồ sơ, mã TTHC, owner...
    clerk_data: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    ma_ho_so: str | None = Field(default=None, index=True, max_length=64)
    ma_tthc: str | None = Field(default=None, max_length=64)

    status: str = Field(default="archived", max_length=16)
    original_key: str | None = None
    signed_key: str | None = None
    metadata_key: str | None = None
    original_version_id: str | None = None
    signed_version_id: str | None = None
    metadata_version_id: str | None = None
    signed_sha256: str | None = Field(default=None, max_length=64)
    signer_fingerprint: str | None = None
    signature_level: str | None = Field(default=None, max_length=16)  # PAdES B-B, B-T, B-LT, B-LTA
    maintenance: str | None = Field(default=None, max_length=2)  # thời hạn bảo quản code 01–07
    retain_until: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    legal_hold: bool = False
    received_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    archived_at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime, index=True)


class Event(SQLModel, table=True):
    """Append-only history of a document (PREMIS-style events). Never updated or deleted."""

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=16)  # EventKind
    agent: str
    at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    detail: str = Field(default="", sa_type=Text)


class Quarantine(SQLModel, table=True):
    """A file that was set aside, with the reason code of the error (``schemas.errors``)."""

    id: int | None = Field(default=None, primary_key=True)
    file_name: str
    sha256: str | None = Field(default=None, index=True, max_length=64)
    reason: str = Field(index=True, max_length=64)
    detail: str = Field(default="", sa_type=Text)
    at: dt.datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class Denominator(SQLModel, table=True):
    """The number of still-valid TTHC results of a unit in a year, from the office's register."""

    unit_code: str = Field(primary_key=True, max_length=32)
    year: int = Field(primary_key=True)
    total: int = Field(ge=0)
