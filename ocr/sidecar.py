"""Clerk-entered data that travels with a scan, and how it is combined with what OCR read.

At the one-stop desk the clerk knows things no OCR can read reliably: the dossier number (mã hồ
sơ), the procedure (mã TTHC), whose paper it is, sometimes the number and date typed from the
paper. They come as a ``<file>.json`` sidecar beside the scan or as a row of a CSV manifest in the
folder (Excel's UTF-8-with-BOM or Windows-1258 export, "," or ";" separated).

:func:`merge` never silently picks a winner: where the clerk and OCR disagree, the field is left
empty, both readings are recorded as a :class:`Conflict`, and the document goes to review.
Pure: bytes in, frozen dataclasses out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ocr.fields import FieldValue, MetadataResult, extract_fields
from ocr.vntext import match_key, nfc, normalize_lookalikes
from schemas.archival import archival_record
from schemas.documents import METADATA_KEYS, Extraction, OcrPage
from schemas.errors import SidecarInvalid

# Accepted spellings of each key (compared through match_key with spaces/underscores removed).
_ALIASES: dict[str, tuple[str, ...]] = {
    "ma_ho_so": ("ma_ho_so", "mahoso", "ma ho so", "so ho so", "ma so ho so", "dossier", "file_code"),
    "ma_tthc": ("ma_tthc", "matthc", "ma thu tuc", "procedure", "procedure_code"),
    "owner": ("owner", "chu_ho_so", "chu ho so", "nguoi_nop", "nguoi nop", "to chuc ca nhan", "applicant"),
    "unit": ("unit", "don_vi", "don vi", "ma_don_vi", "unit_code"),
    "so_ky_hieu": ("so_ky_hieu", "so ky hieu", "so va ky hieu", "so"),
    "ngay_ban_hanh": ("ngay_ban_hanh", "ngay ban hanh", "ngay", "issued_date", "issueddate"),
    "loai_van_ban": ("loai_van_ban", "loai van ban", "ten loai", "type"),
    "co_quan_ban_hanh": ("co_quan_ban_hanh", "co quan ban hanh", "organ", "organname"),
    "trich_yeu": ("trich_yeu", "trich yeu", "subject"),
    "nguoi_ky": ("nguoi_ky", "nguoi ky", "signer"),
    "chuc_vu_nguoi_ky": ("chuc_vu_nguoi_ky", "chuc vu", "chuc vu nguoi ky"),
    "dia_danh": ("dia_danh", "dia danh"),
}
_FILE_COLUMNS = ("file", "file_name", "filename", "ten_file", "ten tep", "tep", "ten file")
CONTRACT_FIELDS = tuple(k for k in _ALIASES if k in METADATA_KEYS)


def _flat(key: str) -> str:
    return re.sub(r"[\s_\-.]+", "", match_key(key))


_LOOKUP = {_flat(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class ClerkData:
    """What the clerk typed for one scan; ``fields`` holds the contract fields they filled in
    (ngay_ban_hanh as a date), ``extra`` any other key kept as given."""

    ma_ho_so: str | None = None
    ma_tthc: str | None = None
    owner: str | None = None
    unit: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    source: str = "sidecar"  # "sidecar" (<file>.json) or "clerk" (manifest row)

    def to_json(self) -> dict[str, Any]:
        return {
            "ma_ho_so": self.ma_ho_so,
            "ma_tthc": self.ma_tthc,
            "owner": self.owner,
            "unit": self.unit,
            "fields": {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in self.fields.items()},
            "extra": dict(self.extra),
            "source": self.source,
        }


@dataclass(frozen=True)
class Conflict:
    """One field the clerk and OCR read differently; neither value was filed."""

    field: str
    ocr: Any
    clerk: Any

    def to_json(self) -> dict[str, Any]:
        conv = lambda v: v.isoformat() if isinstance(v, dt.date) else v  # noqa: E731
        return {"field": self.field, "ocr": conv(self.ocr), "clerk": conv(self.clerk)}


@dataclass(frozen=True)
class MergedMetadata:
    """OCR fields with the clerk's data folded in, plus the disagreements."""

    result: MetadataResult
    conflicts: tuple[Conflict, ...] = ()
    clerk: ClerkData | None = None

    @property
    def needs_review(self) -> bool:
        return self.result.needs_review or bool(self.conflicts)


# ---------------------------------------------------------------------------------------------
# parsing


def parse_sidecar_json(data: bytes) -> ClerkData:
    """A ``<file>.json`` sidecar: one JSON object; keys in Vietnamese or English, any case/accents.

    Raises :class:`SidecarInvalid` for bytes that are not a JSON object, so the clerk is told.
    """
    try:
        obj = json.loads(_decode(data))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SidecarInvalid(f"not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise SidecarInvalid(f"expected a JSON object, got {type(obj).__name__}")
    return _clerk_data(obj, source="sidecar")


def parse_manifest_csv(data: bytes, file_name: str) -> ClerkData | None:
    """The manifest row for ``file_name`` (matched on the base name, NFC, case-insensitive), or None.

    The manifest needs a file-name column (``file``, ``ten_file``...). Raises
    :class:`SidecarInvalid` when it has none or cannot be read as CSV.
    """
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.DictReader(io.StringIO(text), dialect=dialect))
    except csv.Error as exc:
        raise SidecarInvalid(f"manifest is not CSV: {exc}") from exc
    if not rows:
        return None
    columns = {_flat(c): c for c in rows[0] if c}
    file_col = next((columns[_flat(c)] for c in _FILE_COLUMNS if _flat(c) in columns), None)
    if file_col is None:
        raise SidecarInvalid(f"manifest has no file-name column (one of {', '.join(_FILE_COLUMNS)})")
    want = _name_key(file_name)
    for row in rows:
        if _name_key(row.get(file_col) or "") == want:
            return _clerk_data({k: v for k, v in row.items() if k and k != file_col}, source="clerk")
    return None


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1258"):
        try:
            return nfc(data.decode(enc))
        except UnicodeDecodeError:
            continue
    raise SidecarInvalid("neither UTF-8 nor Windows-1258 text")


def _name_key(name: str) -> str:
    base = re.split(r"[\\/]", name.strip())[-1]
    return unicodedata.normalize("NFC", base).casefold()


def _clerk_data(obj: Mapping[str, Any], source: str) -> ClerkData:
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, str):
            value = normalize_lookalikes(value).strip()
            if not value:
                continue
        if value is None:
            continue
        name = _LOOKUP.get(_flat(str(key)))
        if name is None:
            extra[str(key)] = value
        else:
            known[name] = value
    fields: dict[str, Any] = {}
    for name in CONTRACT_FIELDS:
        if name not in known:
            continue
        value = known[name]
        if name == "ngay_ban_hanh":
            date = parse_date(str(value))
            if date is None:
                raise SidecarInvalid(f"ngay_ban_hanh {value!r} is not a date (DD/MM/YYYY or YYYY-MM-DD)")
            value = date
        elif name == "so_ky_hieu":
            value = re.sub(r"\s+", "", str(value))
        fields[name] = value if not isinstance(value, str) else nfc(value)
    text = lambda k: nfc(str(known[k])) if k in known else None  # noqa: E731
    return ClerkData(
        ma_ho_so=text("ma_ho_so"),
        ma_tthc=text("ma_tthc"),
        owner=text("owner"),
        unit=text("unit"),
        fields=fields,
        extra=extra,
        source=source,
    )


def parse_date(text: str) -> dt.date | None:
    """DD/MM/YYYY (also with - or .), or ISO YYYY-MM-DD; None if not a real date."""
    text = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        y, mo, d = (int(x) for x in m.groups())
    else:
        m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
        if not m:
            return None
        d, mo, y = (int(x) for x in m.groups())
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# merging


def _same(name: str, a: Any, b: Any) -> bool:
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return a == b
    ka, kb = match_key(str(a)), match_key(str(b))
    if name == "so_ky_hieu":
        return ka.replace(" ", "") == kb.replace(" ", "") and str(a).upper().replace(" ", "") == str(
            b
        ).upper().replace(" ", "")
    return nfc(str(a)).casefold().split() == nfc(str(b)).casefold().split()


def merge(result: MetadataResult, clerk: ClerkData | None) -> MergedMetadata:
    """Fold the clerk's data into the OCR result.

    * clerk value, OCR empty → the clerk's value, confidence 1.0, source ``sidecar``/``clerk``
      (a value OCR held back as unsure or handwritten is still compared: if it disagrees, conflict);
    * both equal → OCR's value, confidence 1.0 (confirmed by a person);
    * both filled and different → the field is emptied, a :class:`Conflict` recorded, review.
    ``ma_ho_so``/``ma_tthc`` follow the same rule against the identifiers printed on the paper.
    """
    if clerk is None:
        return MergedMetadata(result=result)
    fields = dict(result.fields)
    conflicts: list[Conflict] = []
    typed = dict(clerk.fields)
    if clerk.ma_ho_so:
        typed["ma_ho_so"] = clerk.ma_ho_so
    if clerk.ma_tthc:
        typed["ma_tthc"] = clerk.ma_tthc
    for name, value in typed.items():
        current = fields.get(name, FieldValue())
        ocr_value = current.value if current.value is not None else result.candidates.get(name)
        if ocr_value is not None and not _same(name, ocr_value, value):
            conflicts.append(Conflict(name, ocr_value, value))
            fields[name] = replace(current, value=None, confidence=0.0)
        elif current.value is not None:
            fields[name] = replace(current, confidence=1.0)
        else:
            fields[name] = FieldValue(
                value=value, confidence=1.0, source=clerk.source, handwritten=current.handwritten
            )
    reasons = [
        r
        for r in result.review_reasons
        if r.split(":")[0] not in typed or r.split(":")[0] in {c.field for c in conflicts}
    ]
    reasons += [f"{c.field}: clerk {c.clerk!r} != OCR {c.ocr!r}" for c in conflicts]
    candidates = dict(result.candidates) | {c.field: c.ocr for c in conflicts}
    merged = MetadataResult(fields=fields, review_reasons=tuple(reasons), candidates=candidates)
    return MergedMetadata(result=merged, conflicts=tuple(conflicts), clerk=clerk)


def review_for(
    pages: Sequence[OcrPage],
    clerk: Mapping[str, Any] | ClerkData | None = None,
    *,
    fields: MetadataResult | None = None,
) -> MergedMetadata:
    """The fields of an extraction's pages with the clerk's data folded in, for the ledger and
    ``metadata.json``. ``clerk`` may be the raw sidecar/manifest mapping; a value in it that cannot
    be read (a bad date) is left out here rather than failing a document already archived — the
    inbox rejects such sidecars before any work (:func:`parse_sidecar_json`). ``fields``: the
    pages' :func:`extract_fields` result when the caller already has it (it is not cheap)."""
    result = fields if fields is not None else extract_fields(pages)
    if clerk is None or isinstance(clerk, ClerkData):
        return merge(result, clerk)
    try:
        data = _clerk_data(clerk, source=str(clerk.get("source") or "sidecar"))
    except SidecarInvalid:
        data = _clerk_data(
            {k: v for k, v in clerk.items() if _LOOKUP.get(_flat(str(k))) != "ngay_ban_hanh"}, "sidecar"
        )
    if data.source not in ("sidecar", "clerk"):
        data = replace(data, source="sidecar")
    return merge(result, data)


def archival_fields(
    extraction: Extraction, clerk: Mapping[str, Any] | None = None, *, fields: MetadataResult | None = None
) -> dict[str, Any]:
    """What ``metadata.json`` adds to the contract's keys: per-field confidence/source, the review
    flag and its reasons, the clerk conflicts and the TT 02/2019 export form (``archival``)."""
    review = review_for(extraction.pages, clerk, fields=fields)
    res = review.result
    md = extraction.metadata
    ma_ho_so = res.value("ma_ho_so")
    record = archival_record(
        md, type_code=res.value("type_code"), pages=len(extraction.pages), file_code=ma_ho_so
    )
    return {
        "fields": res.to_json()["fields"],
        "needs_review": review.needs_review,
        "review_reasons": list(res.review_reasons),
        "conflicts": [c.to_json() for c in review.conflicts],
        "archival": record.to_json(),
    }
