"""The archival export form of a document's metadata (TT 02/2019/TT-BNV, kept by TT 05/2025/TT-BNV).

Archives ingest these tags unchanged, so ``metadata.json`` carries them beside the contract's
keys: ``typeName`` as the 01–32 code, ``codeNumber``/``codeNotation`` split from the số ký hiệu,
``issuedDate`` as DD/MM/YYYY, ``language`` "01" (Vietnamese), ``confidenceLevel`` "02"
(digitized from paper), ``mode`` (chế độ sử dụng) and ``maintenance`` (thời hạn bảo quản) as
configured codes. An empty field stays empty (""), never a guess. Length limits of the circular
(codeNumber ≤ 11, codeNotation ≤ 30, organName ≤ 200, subject ≤ 500) are enforced by cutting
nothing: a value over its limit is left out and reported in ``warnings``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from schemas.documents import DocumentMetadata, nfc

LANGUAGE_VI = "01"
CONFIDENCE_DIGITIZED = "02"
MODES = {"01": "công khai", "02": "sử dụng có điều kiện", "03": "mật"}
MAINTENANCE = {
    "01": "vĩnh viễn",
    "02": "70 năm",
    "03": "50 năm",
    "04": "30 năm",
    "05": "20 năm",
    "06": "10 năm",
    "07": "khác",
}
FORMATS = {"01": "tốt", "02": "bình thường", "03": "hư hỏng"}
LIMITS = {"codeNumber": 11, "codeNotation": 30, "organName": 200, "subject": 500}


@dataclass(frozen=True)
class ArchivalRecord:
    """TT 02/2019 document-level tags (văn bản). Empty string where unknown."""

    typeName: str = ""  # noqa: N815 - the circular's tag names, as archives expect them
    codeNumber: str = ""  # noqa: N815
    codeNotation: str = ""  # noqa: N815
    issuedDate: str = ""  # noqa: N815
    organName: str = ""  # noqa: N815
    subject: str = ""
    language: str = LANGUAGE_VI
    numberOfPage: int = 0  # noqa: N815
    confidenceLevel: str = CONFIDENCE_DIGITIZED  # noqa: N815
    mode: str = "01"
    maintenance: str = ""
    format: str = "01"
    autograph: str = ""
    docCode: str = ""  # noqa: N815
    fileCode: str = ""  # noqa: N815
    paperFileCode: str = ""  # noqa: N815
    description: str = ""
    warnings: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["warnings"] = list(self.warnings)
        return d


def split_so_ky_hieu(so_ky_hieu: str | None) -> tuple[str, str]:
    """``("392", "KH-UBND")`` from ``392/KH-UBND``; ``("45", "2020/NĐ-CP")`` for a legal act."""
    if not so_ky_hieu or "/" not in so_ky_hieu:
        return "", ""
    number, notation = so_ky_hieu.split("/", 1)
    number = number.strip()
    return (number, notation.strip()) if re.fullmatch(r"\d+", number) else ("", notation.strip())


def issued_date(date: dt.date | None) -> str:
    return date.strftime("%d/%m/%Y") if date else ""


def archival_record(
    md: DocumentMetadata,
    *,
    type_code: str | None,
    pages: int,
    mode: str = "01",
    maintenance: str | None = None,
    file_code: str | None = None,
    doc_code: str | None = None,
    autograph: str | None = None,
) -> ArchivalRecord:
    """The export form of ``md``. ``type_code`` is the TT 02/2019 typeName (01–32, see
    :func:`ocr.fields.type_code_of`); ``file_code`` the mã hồ sơ, also the paper file's code for a
    digitized document (``paperFileCode`` is required for those)."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {sorted(MODES)}")
    if maintenance is not None and maintenance not in MAINTENANCE:
        raise ValueError(f"maintenance {maintenance!r} is not one of {sorted(MAINTENANCE)}")
    number, notation = split_so_ky_hieu(md.so_ky_hieu)
    values = {
        "codeNumber": number,
        "codeNotation": notation,
        "organName": md.co_quan_ban_hanh or "",
        "subject": md.trich_yeu or "",
    }
    warnings = []
    for tag, limit in LIMITS.items():
        if len(values[tag]) > limit:
            warnings.append(f"{tag} longer than {limit} characters, left out")
            values[tag] = ""
    return ArchivalRecord(
        typeName=type_code or "",
        issuedDate=issued_date(md.ngay_ban_hanh),
        language=LANGUAGE_VI,
        numberOfPage=pages,
        confidenceLevel=CONFIDENCE_DIGITIZED,
        mode=mode,
        maintenance=maintenance or "",
        autograph=nfc(autograph or ""),
        docCode=doc_code or "",
        fileCode=file_code or "",
        paperFileCode=file_code or "",
        warnings=tuple(warnings),
        **{k: nfc(v) for k, v in values.items()},
    )
