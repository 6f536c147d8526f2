"""The ledger's tables (SQLModel): units, archived documents, their event history, quarantined
files and the denominators of the progress report.

Types are chosen to work unchanged on SQLite and PostgreSQL. Every timestamp is a timezone-aware
UTC ``datetime`` (:class:`UtcDateTime` stores naive UTC on SQLite and ``timestamptz`` on
PostgreSQL, and always hands back aware UTC values). Text is NFC (the ledger normalizes on write).

Terms (see also ``schemas.documents``):

* ``Unit`` — an administrative unit (đơn vị hành chính) whose office returns TTHC results;
  ``level`` is ``tinh`` (province), ``huyen`` (district) or ``xa`` (commune). Units are data with a
  validity period, not an enum: Vietnam abolished the district level on 1/7/2025 and GSO codes are
  reused (24640 was thị trấn Ea T'Ling until 30/6/2025, then xã Cư Jút), so a unit row is keyed by
  ``(code, valid_from)`` and a code alone is never a key.
* ``Succession`` — one predecessor → successor link of a reorganization (merge, split, rename,
  abolition), with the day it took effect.
* ``Agency`` — an issuing agency (cơ quan) and the unit whose office it belongs to.
* ``Target`` — a plan's target percentage per year and level, for plans other than the built-in
  Plan 392 rule (``schemas.targets``).
* ``Denominator`` — how many still-valid TTHC results (kết quả giải quyết TTHC còn hiệu lực) a unit
  holds for a year, taken from the office's register (sổ theo dõi); the report's denominator.

The schema is versioned with Alembic (``storage/migrations``): a change here needs a new revision.
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
    CORRECTED = "corrected"  # an archivist corrected a metadata field (review queue)
    LEGAL_HOLD = "legal_hold"  # legal hold set or released on the archived objects (sohoa hold)
    FIXITY = "fixity"  # a fixity check found an archived object missing or changed


class UnitType(StrEnum):
    """Kind of administrative unit (loại đơn vị hành chính); the level follows from it."""

    TINH = "tinh"  # tỉnh
    THANH_PHO_TW = "thanh_pho_tw"  # thành phố trực thuộc trung ương
    HUYEN = "huyen"  # huyện
    QUAN = "quan"  # quận
    THI_XA = "thi_xa"  # thị xã
    THANH_PHO = "thanh_pho"  # thành phố thuộc tỉnh
    XA = "xa"  # xã
    PHUONG = "phuong"  # phường
    THI_TRAN = "thi_tran"  # thị trấn
    DAC_KHU = "dac_khu"  # đặc khu (from 1/7/2025)


EARLIEST = dt.date(1900, 1, 1)
"""``valid_from`` of a unit whose start date is not recorded (it existed before any report year)."""


class Unit(SQLModel, table=True):
    """One version of an administrative unit, valid from ``valid_from`` to ``valid_to`` (inclusive,
    None = still valid)."""

    code: str = Field(primary_key=True, max_length=32)
    valid_from: dt.date = Field(default=EARLIEST, primary_key=True)
    name: str
    level: str = Field(max_length=8, index=True)  # Level
    parent_code: str | None = Field(default=None, max_length=32)
    unit_type: str | None = Field(default=None, max_length=16)  # UnitType
    valid_to: dt.date | None = None
    source: str | None = Field(default=None, sa_type=Text)  # where this row came from


class Succession(SQLModel, table=True):
    """``predecessor`` ended and (all or part of) it became ``successor`` on ``effective``.

    ``kind``: ``merge`` (several into one), ``split``, ``rename``, ``abolish`` (no successor).
    """

    id: int | None = Field(default=None, primary_key=True)
    predecessor_code: str = Field(index=True, max_length=32)
    successor_code: str | None = Field(default=None, index=True, max_length=32)
    kind: str = Field(max_length=16)
    effective: dt.date
    note: str = Field(default="", sa_type=Text)


class Agency(SQLModel, table=True):
    """An issuing agency (e.g. UBND huyện Đắk Mil) and the unit whose figures its results count in."""

    code: str = Field(primary_key=True, max_length=64)  # mã định danh (QĐ 20/2020/QĐ-TTg) or local code
    name: str
    unit_code: str = Field(index=True, max_length=32)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class Target(SQLModel, table=True):
    """A plan's target share (percent) for one level in one year."""

    plan: str = Field(primary_key=True, max_length=128)
    year: int = Field(primary_key=True)
    level: str = Field(primary_key=True, max_length=8)
    percent: float = Field(ge=0, le=100)


class Document(SQLModel, table=True):
    """One archived document, keyed by the SHA-256 of the original scan as received."""

    sha256: str = Field(primary_key=True, min_length=64, max_length=64)
    file_name: str
    unit_code: str = Field(index=True, max_length=32)
    # The unit *as issued*: ``valid_from`` of the unit version valid on the document's date (codes are
    # reused, so the code alone does not say which unit); None while the unit is unknown.
    unit_valid_from: dt.date | None = None
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
