"""Frozen result shapes passed between the pure core and the flows.

Vietnamese domain terms keep their Vietnamese names where no English word is exact:

* ``so_ky_hieu`` — số và ký hiệu, the document's number and notation, e.g. ``392/KH-UBND``;
* ``ngay_ban_hanh`` — ngày ban hành, date of issue (ISO ``YYYY-MM-DD`` in JSON);
* ``dia_danh`` — địa danh, the place name printed before the date;
* ``co_quan_ban_hanh`` — cơ quan ban hành, the issuing agency (one line, caps as printed);
* ``co_quan_chu_quan`` — cơ quan chủ quản, the parent agency line above it (or None);
* ``cap`` — administrative level of the issuer: ``tinh`` (province), ``huyen`` (district), ``xa`` (commune);
* ``loai_van_ban`` — tên loại, the document type (``QUYẾT ĐỊNH``; ``CÔNG VĂN`` for a công văn);
* ``trich_yeu`` — trích yếu, the one-line summary of the subject;
* ``nguoi_ky`` / ``chuc_vu_nguoi_ky`` — the signer's name and office (``PHÓ CHỦ TỊCH``);
* ``so_trang`` — number of pages.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

METADATA_KEYS: tuple[str, ...] = (
    "so_ky_hieu",
    "ngay_ban_hanh",
    "dia_danh",
    "co_quan_ban_hanh",
    "co_quan_chu_quan",
    "cap",
    "loai_van_ban",
    "trich_yeu",
    "nguoi_ky",
    "chuc_vu_nguoi_ky",
    "so_trang",
)


def nfc(text: str) -> str:
    """Vietnamese text is stored in NFC at every boundary (TCVN 6909:2001)."""
    return unicodedata.normalize("NFC", text)


class Cap(StrEnum):
    """Administrative level of an issuing agency, as Plan 392/KH-UBND counts them."""

    TINH = "tinh"
    HUYEN = "huyen"
    XA = "xa"


@dataclass(frozen=True)
class OcrWord:
    """One recognised word with its box in page pixels (origin top left) and confidence 0–100."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    block: int = 0
    paragraph: int = 0
    line: int = 0


@dataclass(frozen=True)
class OcrPage:
    """The OCR result of one page, in the coordinates of the page image it was run on.

    ``width``/``height`` are the pixel size of that image and ``dpi`` its resolution, so the
    text layer can be placed on the archived page image exactly.
    """

    index: int
    width: int
    height: int
    dpi: int
    words: tuple[OcrWord, ...]
    text: str
    confidence: float
    rotation: int = 0
    skew: float = 0.0
    source: str = "ocr"  # "ocr" or "text_layer"
    blank: bool = False  # no text on the page (e.g. a back page with seal bleed-through)


@dataclass(frozen=True)
class DocumentMetadata:
    """The fields of the ``sohoa extract`` contract; None where not found."""

    so_ky_hieu: str | None = None
    ngay_ban_hanh: dt.date | None = None
    dia_danh: str | None = None
    co_quan_ban_hanh: str | None = None
    co_quan_chu_quan: str | None = None
    cap: Cap | None = None
    loai_van_ban: str | None = None
    trich_yeu: str | None = None
    nguoi_ky: str | None = None
    chuc_vu_nguoi_ky: str | None = None
    so_trang: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON form: ISO date, plain strings in NFC, every key present."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, Cap):
                value = value.value
            elif isinstance(value, str):
                value = nfc(value)
            out[key] = value
        return out


@dataclass(frozen=True)
class Extraction:
    """What ``sohoa extract`` produces for one document: text per page, OCR detail and metadata."""

    pages: tuple[OcrPage, ...]
    metadata: DocumentMetadata

    @property
    def text(self) -> str:
        return "\f".join(p.text for p in self.pages)

    @property
    def confidence(self) -> float:
        scored = [p.confidence for p in self.pages if p.words]
        return sum(scored) / len(scored) if scored else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"text": nfc(self.text), "metadata": self.metadata.to_json(), "pages": len(self.pages)}


class Outcome(StrEnum):
    ARCHIVED = "archived"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    DEFERRED = "deferred"  # a transient failure: the file went back to the inbox for a later pass


@dataclass(frozen=True)
class ProcessResult:
    """The outcome of one input file, as ``sohoa process --json`` prints it."""

    file: str
    status: Outcome
    sha256: str | None = None
    signed_pdf: str | None = None
    reason: str | None = None
    message: str | None = None
    metadata: dict[str, Any] | None = field(default=None)
    unit: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        return d
