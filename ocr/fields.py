"""Metadata fields with a confidence, a source and a handwriting flag, for archivists to trust.

:func:`ocr.metadata.extract_metadata` answers the ``sohoa extract`` contract; this module says how
far each answer can be trusted. Every field carries a :class:`FieldValue` (value, confidence 0..1,
source, handwritten). Precision comes first: a field whose confidence is under its threshold, or
whose digits were written by hand (blue ink, or a number filled into the blank of a printed
``Số:      /QĐ-UBND``), is left empty and the document goes to the review queue
(``needs_review``) instead of being filed with a guess.

Confidence is the OCR engine's word confidence of the words the value was read from (the lowest
one for numbers and dates, where one wrong digit makes the value wrong), lowered when the value
contradicts another part of the document (a ``QĐ`` ký hiệu on a page whose type name reads
``KẾ HOẠCH``). Plain text input (no word boxes) gets :data:`TEXT_CONFIDENCE`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ocr import metadata as md
from ocr import subject_zone
from ocr.vntext import (
    best_phrase,
    impossible_syllables,
    is_upper_text,
    match_key,
    nfc,
    normalize_lookalikes,
    normalize_tone_placement,
    strip_accents,
    toned_open_diphthongs,
)
from schemas.documents import METADATA_KEYS, Cap, DocumentMetadata, OcrPage, OcrWord

SOURCES: tuple[str, ...] = ("ocr", "text_layer", "esign_layer", "sidecar", "clerk", "archivist")

# TT 02/2019/TT-BNV (kept by TT 05/2025) typeName codes.
TYPE_CODES: dict[str, str] = {
    "NGHỊ QUYẾT": "01", "QUYẾT ĐỊNH": "02", "CHỈ THỊ": "03", "QUY CHẾ": "04", "QUY ĐỊNH": "05",
    "THÔNG CÁO": "06", "THÔNG BÁO": "07", "HƯỚNG DẪN": "08", "CHƯƠNG TRÌNH": "09", "KẾ HOẠCH": "10",
    "PHƯƠNG ÁN": "11", "ĐỀ ÁN": "12", "DỰ ÁN": "13", "BÁO CÁO": "14", "TỜ TRÌNH": "15",
    "GIẤY ỦY QUYỀN": "16", "PHIẾU GỬI": "17", "PHIẾU CHUYỂN": "18", "PHIẾU BÁO": "19",
    "BIÊN BẢN": "20", "HỢP ĐỒNG": "21", "CÔNG VĂN": "22", "CÔNG ĐIỆN": "23", "BẢN GHI NHỚ": "24",
    "BẢN THỎA THUẬN": "25", "GIẤY MỜI": "26", "GIẤY GIỚI THIỆU": "27", "GIẤY NGHỈ PHÉP": "28",
    "THƯ CÔNG": "29", "BẢN ĐỒ": "30", "BẢN VẼ KỸ THUẬT": "31",
}  # fmt: skip
OTHER_TYPE_CODE = "32"  # Khác: certificates, permits, extracts and any other result

# The type part of a ký hiệu (NĐ 30/2020 appendix III) and the type name it stands for.
NOTATION_TYPES: dict[str, str] = {
    "NQ": "NGHỊ QUYẾT", "QĐ": "QUYẾT ĐỊNH", "CT": "CHỈ THỊ", "QC": "QUY CHẾ", "QYĐ": "QUY ĐỊNH",
    "TC": "THÔNG CÁO", "TB": "THÔNG BÁO", "HD": "HƯỚNG DẪN", "CTR": "CHƯƠNG TRÌNH", "KH": "KẾ HOẠCH",
    "PA": "PHƯƠNG ÁN", "ĐA": "ĐỀ ÁN", "DA": "DỰ ÁN", "BC": "BÁO CÁO", "BB": "BIÊN BẢN",
    "TTR": "TỜ TRÌNH", "HĐ": "HỢP ĐỒNG", "CĐ": "CÔNG ĐIỆN", "GN": "BẢN GHI NHỚ",
    "TTH": "BẢN THỎA THUẬN", "GUQ": "GIẤY ỦY QUYỀN", "GM": "GIẤY MỜI", "GGT": "GIẤY GIỚI THIỆU",
    "NP": "GIẤY NGHỈ PHÉP", "PG": "PHIẾU GỬI", "PC": "PHIẾU CHUYỂN", "PB": "PHIẾU BÁO",
    "GCN": "GIẤY CHỨNG NHẬN", "GPXD": "GIẤY PHÉP XÂY DỰNG",
}  # fmt: skip

AUTHORITIES: tuple[str, ...] = ("TM.", "KT.", "TL.", "TUQ.", "Q.")

# Minimum confidence per field; below it the field is left empty and the document reviewed. Set on
# the dev corpus (no wrong value above them there); lexicon-checked fields (the type name, an agency
# whose kind and place parsed) can go lower than digits, where one misread digit is a wrong value.
THRESHOLDS: dict[str, float] = {
    "so_ky_hieu": 0.80,
    "ngay_ban_hanh": 0.75,
    "dia_danh": 0.60,
    "co_quan_ban_hanh": 0.60,
    "co_quan_chu_quan": 0.60,
    "cap": 0.60,
    "loai_van_ban": 0.55,
    "trich_yeu": 0.65,
    "nguoi_ky": 0.65,
    "chuc_vu_nguoi_ky": 0.70,
    "so_trang": 0.0,
    "type_code": 0.70,
    "tham_quyen": 0.70,
    "tham_quyen_ky": 0.70,
    "noi_nhan": 0.90,  # lowest word: raw OCR garbles "Lưu: VT," and drops items
    "ma_tthc": 0.85,
    "ma_ho_so": 0.85,
}
# Fields whose absence sends a document to review (the archive keys and the report need them).
REQUIRED: tuple[str, ...] = ("so_ky_hieu", "ngay_ban_hanh", "co_quan_ban_hanh", "loai_van_ban")
# Fields every administrative document carries (NĐ 30/2020, Điều 8: the subject, and the signer's
# title and full name): one that is not found is a reading lost (under a seal, a streak), never a
# paper without it, so the document goes to review too, though nothing is keyed on them.
EXPECTED: tuple[str, ...] = ("trich_yeu", "nguoi_ky", "chuc_vu_nguoi_ky")
# Forms printed with no trích yếu (NĐ 30/2020, Phụ lục III: giấy giới thiệu, giấy nghỉ phép, the
# phiếu): an empty subject there is no loss.
NO_SUBJECT_TYPES: frozenset[str] = frozenset(
    {"GIẤY GIỚI THIỆU", "GIẤY NGHỈ PHÉP", "PHIẾU GỬI", "PHIẾU CHUYỂN", "PHIẾU BÁO"}
)
TEXT_CONFIDENCE = 0.9  # plain text (ground truth, a text layer): only the parser's own checks
# Extras held back without sending the document to review: nothing is filed or counted by them.
INFORMATIONAL: tuple[str, ...] = ("tham_quyen", "tham_quyen_ky", "noi_nhan")
EXTRA_KEYS: tuple[str, ...] = ("type_code", "tham_quyen", "tham_quyen_ky", "noi_nhan", "ma_tthc", "ma_ho_so")

_MA_TTHC = re.compile(r"(?<![\d.])([123]\.\d{6}(?:\.\d{3}\.\d{2}\.\d{2}\.H\d{2})?)(?![\d])")
_MA_HO_SO = re.compile(r"(?<![\w.])(\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4})(?!\d)")
_TTHC_LABEL = re.compile(r"m[aã]\s*(?:s[oố]\s*)?(?:tthc|th[uủ]\s*t[uụ]c)", re.IGNORECASE)


@dataclass(frozen=True)
class FieldValue:
    """One field's value (None when empty), how sure we are (0..1), where it came from
    (one of :data:`SOURCES`) and whether the original has it handwritten."""

    value: Any = None
    confidence: float = 0.0
    source: str = "ocr"
    handwritten: bool = False

    def json_value(self) -> Any:
        return _json_value(self.value)

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.json_value(),
            "confidence": round(float(self.confidence), 3),
            "source": self.source,
            "handwritten": self.handwritten,
        }


@dataclass(frozen=True)
class MetadataResult:
    """Every field of the contract plus ``type_code``, ``tham_quyen`` (authority prefixes, e.g.
    ``("TM.", "KT.")``), ``tham_quyen_ky`` (the signer block as printed, lines joined by " / "),
    ``noi_nhan`` (recipient lines), ``ma_tthc`` and ``ma_ho_so``; plus why review is needed."""

    fields: Mapping[str, FieldValue]
    review_reasons: tuple[str, ...] = ()
    candidates: Mapping[str, Any] = field(default_factory=dict)  # below-threshold readings

    @property
    def needs_review(self) -> bool:
        return bool(self.review_reasons)

    def value(self, key: str) -> Any:
        fv = self.fields.get(key)
        return fv.value if fv else None

    def metadata(self) -> DocumentMetadata:
        """The contract's metadata: only values that passed their thresholds."""
        return DocumentMetadata(**{k: self.value(k) for k in METADATA_KEYS})

    def review_fields(self) -> set[str]:
        """The fields named by a review reason (held back, handwritten, in conflict, not found)."""
        return {r.split(":", 1)[0] for r in self.review_reasons if ":" in r}

    def field_meta(self) -> dict[str, dict[str, Any]]:
        """Per field ``{"confidence", "source", "handwritten", "review"[, "candidate"]}`` for the
        ledger's ``field_meta``: the fields with a value or a reason to look at them (a field
        simply absent from the document, like a mã TTHC never printed, is not listed)."""
        review = self.review_fields()
        out: dict[str, dict[str, Any]] = {}
        for k, f in self.fields.items():
            if f.value is None and k not in review:
                continue
            entry: dict[str, Any] = {
                "confidence": round(float(f.confidence), 3),
                "source": f.source,
                "handwritten": f.handwritten,
                "review": k in review,
            }
            if k in self.candidates:
                entry["candidate"] = _json_value(self.candidates[k])
            out[k] = entry
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": {k: f.to_json() for k, f in self.fields.items()},
            "needs_review": self.needs_review,
            "review_reasons": list(self.review_reasons),
            "candidates": {k: _json_value(v) for k, v in self.candidates.items()},
        }


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Cap):
        return value.value
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# public API


def extract_fields(pages: Sequence[OcrPage], images: Sequence[np.ndarray] | None = None) -> MetadataResult:
    """All fields with confidence from OCR pages; ``images`` (the display images the word boxes
    refer to, BGR) let handwritten blue-ink digits be recognised as such."""
    line_pages = [md._lines_from_words(p) if p.words else md._lines_from_text(p.text) for p in pages]
    source = pages[0].source if pages and pages[0].source in SOURCES else "ocr"
    has_boxes = any(p.words for p in pages)
    first_image = images[0] if images else None
    return _build(line_pages, len(pages), source=source, has_boxes=has_boxes, image=first_image)


def extract_fields_from_text(page_texts: Sequence[str], source: str = "ocr") -> MetadataResult:
    """All fields from plain page texts; confidence is :data:`TEXT_CONFIDENCE` where a value parsed."""
    line_pages = [md._lines_from_text(t) for t in page_texts]
    return _build(line_pages, len(page_texts), source=source, has_boxes=False, image=None)


def type_code_of(loai_van_ban: str | None) -> str | None:
    """TT 02/2019 typeName code ("02" for QUYẾT ĐỊNH, "32" for a certificate or permit)."""
    if not loai_van_ban:
        return None
    key = match_key(loai_van_ban)
    for name, code in TYPE_CODES.items():
        if match_key(name) == key:
            return code
    return OTHER_TYPE_CODE


def notation_type(so_ky_hieu: str | None) -> str | None:
    """The type name a ký hiệu's first part stands for ("392/KH-UBND" → KẾ HOẠCH), else None
    (a công văn's ký hiệu starts with the agency code)."""
    if not so_ky_hieu or "/" not in so_ky_hieu:
        return None
    parts = [p for p in re.split(r"[-/]", so_ky_hieu.split("/", 1)[1]) if p]
    if not parts or parts[0].isdigit() and len(parts) > 1:
        parts = parts[1:]  # legal acts: 45/2020/NĐ-CP
    return NOTATION_TYPES.get(normalize_lookalikes(parts[0]).upper()) if parts else None


# ---------------------------------------------------------------------------------------------
# building the result


def _build(
    line_pages: Sequence[Sequence[md._Line]],
    so_trang: int,
    *,
    source: str,
    has_boxes: bool,
    image: np.ndarray | None,
) -> MetadataResult:
    parsed = md._parse(line_pages, so_trang)
    values = dict(parsed.values)
    last = list(line_pages[-1]) if line_pages else []
    all_lines = [ln for page in line_pages for ln in page]
    conf: dict[str, float] = {}
    handwritten: dict[str, bool] = {}
    reasons: list[str] = []

    for key in METADATA_KEYS:
        lines = parsed.lines.get(key, [])
        if values.get(key) is None:
            conf[key] = 0.0
        elif key == "so_trang":
            conf[key] = 1.0
        elif not has_boxes:
            conf[key] = TEXT_CONFIDENCE
        elif key in ("so_ky_hieu", "ngay_ban_hanh"):
            conf[key] = _digit_confidence(lines, key)
        elif key == "nguoi_ky":
            # A name has no lexicon to fall back on: one misread syllable is a wrong name.
            conf[key] = min(
                (w.confidence / 100 for ln in lines for w in ln.words), default=_text_confidence(lines)
            )
        else:
            conf[key] = _text_confidence(lines)

    # Handwriting: a number filled into a printed blank, or digits in blue ink.
    # A text layer's digits are characters of the file, not ink: an e-office system sets the
    # number and day in a font size of its own, which must not read as handwriting.
    inked = source != "text_layer"
    so_line, date_line = parsed.header.so_line, parsed.header.date_line
    if inked and so_line is not None and (_number_in_blank(so_line) or _blue_digits(image, so_line, "so")):
        handwritten["so_ky_hieu"] = True
    if (
        inked
        and date_line is not None
        and (_day_handwritten(date_line) or _blue_digits(image, date_line, "date"))
    ):
        handwritten["ngay_ban_hanh"] = True

    if values.get("nguoi_ky"):
        values["nguoi_ky"] = fix_surname(values["nguoi_ky"])
        # Surnames are a small closed set: a first word none of them ("Xũ Đình Khánh" for Vũ) is
        # only trusted when read surely (ethnic names "Y Bhin …", "H'Bia …" start otherwise).
        first = values["nguoi_ky"].split()[0]
        ethnic = first == "Y" or "'" in first  # Ê-đê / M'nông / Jarai: "Y Bhin Buôn Yă", "H'Bia Mlô"
        if (
            not ethnic
            and match_key(first) not in _SURNAME_KEYS
            and first not in OTHER_SURNAMES
            and conf["nguoi_ky"] < UNKNOWN_SURNAME_CONFIDENCE
        ):
            conf["nguoi_ky"] = min(conf["nguoi_ky"], 0.6)
        if has_boxes and not ethnic and lost_surname(first):
            # "Thu Lan" of "Hoàng Thu Lan" (the seal ate the surname), "Đã Văn Khánh" for Đỗ:
            # however surely read, a name that lost or misread its surname is a wrong name; held
            # back, it is only a missed one. (A text layer spells a rare surname like "Văn" as is.)
            conf["nguoi_ky"] = min(conf["nguoi_ky"], 0.5)
        if has_boxes and toned_open_diphthongs(values["nguoi_ky"]):
            # "Niề" for the Ê-đê clan name "Niê": a stroke read as a tone mark no spelling has.
            conf["nguoi_ky"] = min(conf["nguoi_ky"], 0.5)
    office = values.get("chuc_vu_nguoi_ky")
    if office is None or conf["chuc_vu_nguoi_ky"] < THRESHOLDS["chuc_vu_nguoi_ky"]:
        # The block's structure names the office where its line was read in part (or, unsurely,
        # as the same office: "+92 Ý /⁄@y,Y) TỊCH" under "TM. ỦY BAN NHÂN DÂN").
        inferred = _deputy_after_kt(last) or (
            (
                _head_after_tm(last)
                or _deputy_from_doubled_title(last)
                or _title_on_name_axis(last, parsed, conf["nguoi_ky"])
            )
            if has_boxes
            else None
        )
        if inferred is not None and office in (None, inferred[0]):
            values["chuc_vu_nguoi_ky"] = inferred[0]
            conf["chuc_vu_nguoi_ky"] = max(conf["chuc_vu_nguoi_ky"], inferred[1])
    if office is not None and has_boxes and _office_on_axis(parsed):
        # An office name from the lexicon, on the signer block's axis (no word of it lost) and in
        # a consistent authority chain: a tone mark misread under the seal ("CHỪ TỊCH") does not
        # make it doubtful.
        conf["chuc_vu_nguoi_ky"] = max(conf["chuc_vu_nguoi_ky"], OFFICE_ON_AXIS_CONFIDENCE)
    elif office is not None and has_boxes:
        near = _office_one_letter_off(parsed, last)
        if near is not None:
            conf["chuc_vu_nguoi_ky"] = max(conf["chuc_vu_nguoi_ky"], near)
    if (
        values.get("chuc_vu_nguoi_ky")
        and has_boxes
        and _office_against_chain(values["chuc_vu_nguoi_ky"], parsed, last)
    ):
        conf["chuc_vu_nguoi_ky"] = min(conf["chuc_vu_nguoi_ky"], 0.5)
    # Free text with a word no Vietnamese spelling allows holds an OCR error somewhere.
    for key in ("trich_yeu", "nguoi_ky", "dia_danh", "co_quan_ban_hanh", "co_quan_chu_quan"):
        text = values.get(key) or ""
        if key.startswith("co_quan"):  # caps lines: judge the words, not as acronyms
            text = " ".join(w.capitalize() for w in text.split())
        if text and impossible_syllables(text):
            conf[key] = min(conf[key], 0.5)
    subject = values.get("trich_yeu") or ""
    cut_short = re.search(
        r"(?:[,\-–(]|\b(?:và|của|về|cho|với|tại|trên|năm|tháng|xã|huyện|tỉnh|phường|thôn|ông|bà))$", subject
    )  # a place word or "ông"/"bà" needs the name after it
    if cut_short or re.search(r"\S.*\b(?:Về việc|V/v)\b", subject):
        conf["trich_yeu"] = min(conf["trich_yeu"], 0.5)  # stamp or header text ran into it
    if subject and md.doubtful_subject(subject):
        conf["trich_yeu"] = min(conf["trich_yeu"], 0.5)  # a misread no trích yếu has
    subject_lines = parsed.lines.get("trich_yeu", [])
    # Read in part: text left beside or under it, a word's ink between two words, a speck read
    # as a mark (see ocr.subject_zone).
    if (
        subject
        and has_boxes
        and subject_lines
        and subject_zone.read_in_part(
            image,
            list(line_pages[0])[:40],
            parsed.header.trich_yeu or subject,
            subject,
            subject_lines,
            parsed.header.type_line,
            flush_left=values.get("loai_van_ban") == md.CONG_VAN,
        )
    ):
        conf["trich_yeu"] = min(conf["trich_yeu"], 0.5)
    # An agency whose place part is read a second time, in mixed case, in the date line (or is a
    # province name) is confirmed: its caps reading's low word confidences do not hold it back.
    # A place read with marks no unit of that name has ("Đák Wil", "Đák Nông") is misread.
    if has_boxes and inked and values.get("dia_danh") and md.place_spelling(values["dia_danh"]) == "variant":
        conf["dia_danh"] = min(conf["dia_danh"], 0.5)
    agency = values.get("co_quan_ban_hanh")
    # A place completed from the agency block is no second reading of the block's place.
    own_place = None if parsed.place_from_block else values.get("dia_danh")
    if agency and _place_confirmed(agency, own_place, conf.get("dia_danh", 0.0)):
        for key in ("co_quan_ban_hanh", "co_quan_chu_quan", "cap"):
            if values.get(key) is not None:
                conf[key] = max(conf[key], 0.85)
    # Caps header lines lose and swap marks ("NGỌC HÔI", "ĐÁK WIL") at high word confidence: an
    # OCR'd agency or parent name is only filed when a second reading confirms its spelling.
    if has_boxes and inked:
        body = "\n".join(ln.text for ln in all_lines)
        place, place_conf = own_place, conf.get("dia_danh", 0.0)
        for key, name in (("co_quan_ban_hanh", agency), ("co_quan_chu_quan", values.get("co_quan_chu_quan"))):
            if name and not _name_confirmed(name, place, place_conf, body, values.get("so_ky_hieu")):
                conf[key] = min(conf[key], 0.55)
                if key == "co_quan_ban_hanh":
                    conf["cap"] = min(conf["cap"], 0.55)
    # A printed "Số:      /QĐ-UBND" or "ngày    tháng 01 năm 2025" whose number or day could not be
    # read at all: the blank of a form, filled in by hand (or not at all).
    head = list(line_pages[0])[:30] if line_pages else []
    if so_line is None and any(_blank_notation(ln.text) for ln in head):
        handwritten["so_ky_hieu"] = True
    if date_line is None and any(_DATE_FRAME.search(ln.text) for ln in head):
        handwritten["ngay_ban_hanh"] = True
    # Consistency: the ký hiệu's type part and the printed type name must agree. The notation is
    # printed even where the number is handwritten, so it is read on its own ("Số:  /CT-UBND").
    notation, n_conf = _notation(line_pages[0] if line_pages else [], parsed, has_boxes)
    implied = notation_type(notation)
    doc_type = values.get("loai_van_ban")
    if implied and doc_type and match_key(implied) != match_key(doc_type):
        if not (implied == "GIẤY PHÉP XÂY DỰNG" and match_key(doc_type).startswith("giay phep")):
            reasons.append(f"ký hiệu {notation} does not match type {doc_type}")
            conf["so_ky_hieu"] = min(conf["so_ky_hieu"], 0.5)
            conf["loai_van_ban"] = min(conf["loai_van_ban"], 0.5)
    elif implied and doc_type:
        conf["loai_van_ban"] = max(conf["loai_van_ban"], min(0.95, n_conf))  # two readings agree
    elif implied and not doc_type:
        values["loai_van_ban"] = implied  # the ký hiệu names the type where its line was not read
        conf["loai_van_ban"] = round(0.95 * n_conf, 3)
    # The ký hiệu token itself: Tesseract's word confidence of "583/QĐ-UBND" is low even on a
    # clean print (its language model dislikes the token), so it is judged by what the document
    # says about it: a piece no notation has, a token taller than the printed "Số:" (a speck or
    # a stroke joined it) hold it back; a typeset token whose type and agency parts both agree
    # with the page is trusted over that word confidence.
    if values.get("so_ky_hieu"):
        values["so_ky_hieu"] = _undouble(values["so_ky_hieu"], values.get("loai_van_ban"))
        agency = values.get("co_quan_ban_hanh")
        if agency and conf.get("co_quan_ban_hanh", 0.0) >= THRESHOLDS["co_quan_ban_hanh"]:
            values["so_ky_hieu"] = _undouble_agency(values["so_ky_hieu"], agency)
    # A legal act's number carries its year ("29/2015/NĐ-CP"), the year it was signed: another
    # year than the page's own date is the number of a document cited in the body.
    cited_year = _notation_year(values.get("so_ky_hieu"))
    own_date = values.get("ngay_ban_hanh")
    if (
        cited_year is not None
        and own_date is not None
        and conf.get("ngay_ban_hanh", 0.0) >= THRESHOLDS["ngay_ban_hanh"]
        and cited_year != own_date.year
    ):
        reasons.append(f"ký hiệu {values['so_ky_hieu']} carries another year than the date")
        conf["so_ky_hieu"] = min(conf["so_ky_hieu"], 0.5)
    if values.get("so_ky_hieu") and has_boxes and so_line is not None:
        date = values.get("ngay_ban_hanh")
        sure = conf.get("ngay_ban_hanh", 0.0) >= THRESHOLDS["ngay_ban_hanh"] and not handwritten.get(
            "ngay_ban_hanh"
        )
        year = date.year if date and sure else None
        check = _notation_check(
            values["so_ky_hieu"], values.get("loai_van_ban"), values.get("co_quan_ban_hanh"), year
        )
        shape = _token_shape(so_line, line_pages[0])
        if check == "invalid" or shape == "tall":
            conf["so_ky_hieu"] = min(conf["so_ky_hieu"], 0.5)
        elif check == "agree" and shape == "normal" and not handwritten.get("so_ky_hieu"):
            conf["so_ky_hieu"] = max(
                conf["so_ky_hieu"], 0.85 if conf["so_ky_hieu"] >= NOTATION_FLOOR else 0.0
            )
    # A Sở's or Phòng's name from the closed list whose code, kind letter and all, the ký hiệu
    # carries ("289/BC-STTTT" under "SỞ THÔNG TIN VÀ TRUYỀN THÔNG" read through streaks): two
    # readings agree. Its parent too, where it ends on the confirmed province or district.
    agency, so = values.get("co_quan_ban_hanh"), values.get("so_ky_hieu")
    if (
        has_boxes
        and agency
        and so
        and "/" in so
        and conf["so_ky_hieu"] >= THRESHOLDS["so_ky_hieu"]
        and md.department_confirmed(agency)
    ):
        pieces = {p.upper() for p in re.split(r"[-/]", normalize_lookalikes(so.split("/", 1)[1])) if p}
        kind, dept = agency.split(" ", 1)
        if ("S" if kind == "SỞ" else "P") + md._dept_initials(dept) in pieces:
            for key in ("co_quan_ban_hanh", "cap"):
                conf[key] = max(conf[key], 0.85)
            parent = values.get("co_quan_chu_quan")
            if parent and _place_confirmed(parent, own_place, conf.get("dia_danh", 0.0)):
                conf["co_quan_chu_quan"] = max(conf["co_quan_chu_quan"], 0.85)
    if values.get("dia_danh") and not parsed.lines.get("dia_danh"):
        # Found as read: "Đắk MII," for "Đắk Mil" (I and l confused) is its reading too.
        place_lines = [
            ln
            for ln in (line_pages[0] if line_pages else [])[:40]
            if md._il_key(values["dia_danh"]) in md._il_key(ln.text)
        ]
        if place_lines and has_boxes:
            words = [
                w
                for w in place_lines[0].words
                if md._il_key(w.text).strip(",") in md._il_key(values["dia_danh"]).split()
            ]
            conf["dia_danh"] = min((w.confidence for w in words), default=0.0) / 100.0
        elif place_lines:
            conf["dia_danh"] = TEXT_CONFIDENCE

    extras = _extras(values, parsed, last, all_lines, has_boxes)
    for key, (value, c) in extras.items():
        values[key] = value
        conf[key] = c

    fields: dict[str, FieldValue] = {}
    candidates: dict[str, Any] = {}
    for key in (*METADATA_KEYS, *EXTRA_KEYS):
        value, c, hw = values.get(key), conf.get(key, 0.0), handwritten.get(key, False)
        if value is not None and (hw or c < THRESHOLDS.get(key, 0.7)):
            candidates[key] = value
            why = "handwritten" if hw else f"confidence {c:.2f}"
            if key not in INFORMATIONAL:
                reasons.append(f"{key}: {why}")
            value = None
        elif value is None and hw:
            reasons.append(f"{key}: handwritten")
        fields[key] = FieldValue(value=value, confidence=round(c, 3), source=source, handwritten=hw)
    # Fields derived from a dropped one go with it.
    if fields["co_quan_ban_hanh"].value is None:
        for key in ("cap", "co_quan_chu_quan"):
            if fields[key].value is not None:
                fields[key] = FieldValue(None, fields[key].confidence, source)
    if fields["loai_van_ban"].value is None and fields["type_code"].value is not None:
        fields["type_code"] = FieldValue(None, fields["type_code"].confidence, source)
    expected = [
        k for k in EXPECTED if not (k == "trich_yeu" and fields["loai_van_ban"].value in NO_SUBJECT_TYPES)
    ]
    for key in (*REQUIRED, *expected):
        if fields[key].value is None and not any(r.startswith(key + ":") for r in reasons):
            reasons.append(f"{key}: not found")
    return MetadataResult(fields=fields, review_reasons=tuple(reasons), candidates=candidates)


def _extras(
    values: dict[str, Any],
    parsed: md._Parsed,
    last: list[md._Line],
    all_lines: list[md._Line],
    has_boxes: bool,
) -> dict[str, tuple[Any, float]]:
    out: dict[str, tuple[Any, float]] = {}
    code = type_code_of(values.get("loai_van_ban"))
    out["type_code"] = (code, 1.0 if code else 0.0)  # thresholded with loai_van_ban itself
    chain, chain_lines = _authority_chain(last, values.get("chuc_vu_nguoi_ky"))
    c = (_text_confidence(chain_lines) if has_boxes else TEXT_CONFIDENCE) if chain else 0.0
    out["tham_quyen_ky"] = (" / ".join(chain) if chain else None, c)
    prefixes = tuple(p.split()[0] for p in chain if p.split()[0] in AUTHORITIES) if chain else ()
    out["tham_quyen"] = (prefixes or None, c if prefixes else 0.0)
    recipients, r_lines = _recipients(last)
    # Every item counts: the lowest word confidence, not the mean.
    r_words = [w.confidence / 100 for ln in r_lines for w in ln.words]
    c = (min(r_words, default=0.0) if has_boxes else TEXT_CONFIDENCE) if recipients else 0.0
    out["noi_nhan"] = (recipients or None, c)
    text = "\n".join(ln.text for ln in all_lines)
    for key, (value, lines) in _identifiers(all_lines, text).items():
        c = (_digit_confidence(lines, key) if has_boxes else TEXT_CONFIDENCE) if value else 0.0
        out[key] = (value, c)
    return out


# Common surnames, one per letter key: a name read "Định Thùy Hương" is Đinh's. Keys shared by two
# surnames in use (Dương/Đường) are left out.
SURNAMES: tuple[str, ...] = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
    "Ngô", "Lý", "Đinh", "Đào", "Lương", "Trịnh", "Mai", "Tô", "Hà", "Cao", "Lâm", "Trương", "Tạ",
    "Quách", "Hứa", "Chu", "Thái", "Kiều", "Đoàn", "Vương", "Tăng", "Lưu", "Châu", "Phùng",
    "Triệu", "Thân", "Tôn", "Lục", "Nông", "Bạch", "Khổng", "Lã", "Mạc", "Giáp", "Âu",
)  # fmt: skip
_SURNAME_KEYS = {match_key(n): n for n in SURNAMES}


UNKNOWN_SURNAME_CONFIDENCE = 0.9
# Surnames in use beyond SURNAMES (shared letter keys, the peoples of the north and the Highlands,
# Khmer, rarer Kinh ones): a first word spelt exactly like one of them is a surname (filed at the
# name's usual threshold, not only at UNKNOWN_SURNAME_CONFIDENCE), and no misread common one.
OTHER_SURNAMES: tuple[str, ...] = (
    "Dương", "Đường", "Doãn", "Khúc", "Nghiêm", "Đàm", "Lại", "Kha", "Khương", "Tống", "Phí",
    "Đậu", "Chử", "Diệp", "Lạc", "Tiêu", "Nhữ", "Trình", "Ưng", "Lường", "Cầm", "Quàng", "Sầm",
    "Giàng", "Sùng", "Vàng", "Thào", "Lầu", "Mùa", "Hầu", "Thạch", "Chau", "Điểu", "Lăng", "Hạng",
    "Ksor", "Siu", "Kpă", "Rcom",
)  # fmt: skip
# First words of names that are no misread surname but too short (a speck of the seal reads as
# well) or too common as given names to be taken as a surname below UNKNOWN_SURNAME_CONFIDENCE.
OTHER_NAME_STARTS: tuple[str, ...] = (
    "La", "Mã", "Lữ", "Từ", "Ông", "Cù", "Lò", "Vi", "Bế", "Ma", "Vừ", "Ly", "Rơ", "A", "Ka", "Nay",
    "Sơn", "Danh", "Lộc", "Giang", "Quan", "Ninh", "Hàn", "Đồng",
    "Thị",  # Highlands women's names written without a family name: "Thị K'Ré", "Thị Bình"
)  # fmt: skip
# Middle and given names that are no surname: a name starting with one lost its surname
# ("Thu Lan", "Văn Quyết", "Kim Tuyết").
NOT_SURNAMES: tuple[str, ...] = (
    "Văn", "Thu", "Minh", "Thanh", "Hồng", "Ngọc", "Quang", "Đức", "Xuân", "Hữu", "Công",
    "Đình", "Bá", "Trọng", "Quốc", "Mạnh", "Anh", "Thúy", "Thùy", "Bích", "Mỹ", "Diệu", "Hoài",
    "Khánh", "Tuấn", "Hải", "Lan", "Hương", "Kim", "Như", "Phương", "Tiến", "Trung", "Việt", "Tấn",
    "Thế", "Duy", "Đăng", "Gia", "Nhật", "Phúc", "Thành", "Tuyết", "Vân", "Yến", "Hoa", "Huy",
    "Hiếu", "Hùng", "Dũng", "Nam", "Thảo", "Trang", "Linh", "Nga", "Hạnh", "Hằng", "Bình", "Long",
    "Tâm", "Thắng", "Vinh", "Hòa", "Hiền", "Loan", "Nhung", "Oanh", "Phượng", "Ánh", "Ngân", "Nguyệt",
)  # fmt: skip
_OTHER_SURNAME_KEYS = {match_key(n) for n in (*OTHER_SURNAMES, *OTHER_NAME_STARTS)}
_NOT_SURNAME_KEYS = {match_key(n) for n in NOT_SURNAMES} - set(_SURNAME_KEYS) - _OTHER_SURNAME_KEYS


def lost_surname(first: str) -> bool:
    """Whether a (non-ethnic) name whose first word is ``first`` lost its surname: the word is a
    middle or given name no surname is spelt like ("Thu", "Văn"), or one letter off a common
    surname without being another surname ("Đã" for "Đỗ", "Xũ" for "Vũ")."""
    key = match_key(first)
    if key in _SURNAME_KEYS or key in _OTHER_SURNAME_KEYS:
        return False
    return key in _NOT_SURNAME_KEYS or any(_edit1(key, s) for s in _SURNAME_KEYS)


def fix_surname(name: str) -> str:
    """The surname's marks restored when its letters name exactly one common surname."""
    first, _, rest = name.partition(" ")
    canonical = _SURNAME_KEYS.get(match_key(first))
    if canonical is None or canonical == first or not rest:
        return name
    return f"{canonical} {rest}"


# ---------------------------------------------------------------------------------------------
# confidence and handwriting


_NOTATION = re.compile(
    r"^\W{0,2}(?:s[o0ô6ốồổ]|sỗ|sọ|s(?=\s+\d))\s*[:;.,]?\s*(?P<num>[^\s/]{0,6})\s*/\s*(?P<code>[A-Za-zĐđÐ0-9]+(?:\s*-\s*[A-Za-zĐđÐ0-9]+)*)",
    re.IGNORECASE,
)


def _blank_notation(text: str) -> bool:
    """ "Số:      /QĐ-UBND" or "Số: 4† /QĐ-UBND": the number left blank or written into the blank.
    A number glued to its notation ("54Ô/GCN-TCKH", a printed 9 misread) is print, not a blank."""
    m = _NOTATION.match(text)
    if not m:
        return False
    glued = re.match(r"[^\s/]*\d[^\s/]*/", text[m.start("num") :])
    return glued is None


_DATE_FRAME = re.compile(
    r"\bng\w{0,3}y\b.{0,12}\bth\w{1,4}\b.{0,8}\bn\w{1,3}[:.]?\s*(19|20)\d\d\b", re.IGNORECASE
)


NOTATION_FLOOR = 0.35  # below it even an agreeing ký hiệu token is too garbled to trust
_AGENCY_CODES = {"uy ban nhan dan": "UBND", "hoi dong nhan dan": "HĐND"}
# Before NĐ 110/2004 a People's Committee's ký hiệu ended "UB" ("157/QĐ-NĐ-UB", 1999); later, a
# "UB" is "UBND" with letters lost.
OLD_UB_BEFORE = 2005


def _initials(name: str) -> set[str]:
    """Agency codes a ký hiệu may use for ``name``: "SỞ TƯ PHÁP" → STP; "PHÒNG TÀI CHÍNH - KẾ
    HOẠCH" → PTCKH or TCKH (a Phòng's code often leaves out its P); a People's Committee → UBND."""
    key = match_key(name)
    for words, code in _AGENCY_CODES.items():
        if key.startswith(words + " ") or key == words or key.startswith(match_key(code) + " "):
            return {code}
    letters = [
        w[0] for w in normalize_lookalikes(name).upper().split() if w[0].isalpha() and match_key(w) != "va"
    ]
    full = "".join(letters)
    return {full, full[1:]} if len(full) >= 3 else set()


def _edit1(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one inserted, dropped or changed letter."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _notation_check(
    so_ky_hieu: str, doc_type: str | None, agency: str | None, year: int | None = None
) -> str:
    """ "agree": the type part names the printed type (or a công văn starts with its agency) and
    the agency part is the agency's code; "invalid": a piece no ký hiệu has (one letter, "UBNB",
    "QĐĐ", the agency code with a letter more or less); "unknown" otherwise. ``year``: the issue
    year, where read (a People's Committee's code was "UB" before :data:`OLD_UB_BEFORE`)."""
    code = normalize_lookalikes(so_ky_hieu.split("/", 1)[1]) if "/" in so_ky_hieu else ""
    pieces = [p.upper() for p in re.split(r"[-/]", code) if p and not p.isdigit()]
    if not pieces:
        return "invalid"
    codes = _initials(agency) if agency else set()
    if "UBND" in codes and year is not None and year < OLD_UB_BEFORE:
        codes.add("UB")
    types = {k.upper() for k in NOTATION_TYPES}
    for p in pieces:
        if len(p) < 2:
            return "invalid"
        if p not in types and p != "UBND" and _edit1(p, "UBND"):
            return "invalid"
        if p not in types and re.sub(r"(.)\1", r"\1", p) in types:
            return "invalid"  # "QĐĐ": a letter read twice
        if any(len(c) >= 4 and _edit1(p, c) for c in codes) and p not in codes:
            return "invalid"
    cong_van = doc_type is not None and match_key(doc_type) == "cong van"
    implied = notation_type(so_ky_hieu)
    type_ok = (
        implied is not None and doc_type is not None and match_key(implied) == match_key(doc_type)
    ) or (cong_van and pieces[0] in codes)
    return "agree" if type_ok and any(p in codes for p in pieces) else "unknown"


def _notation_year(so_ky_hieu: str | None) -> int | None:
    """The year piece of a legal act's ký hiệu ("45/2020/NĐ-CP": 2020), None where it has none."""
    if not so_ky_hieu or "/" not in so_ky_hieu:
        return None
    m = re.match(r"(19[4-9]\d|2[01]\d\d)(?:/|$)", so_ky_hieu.split("/", 1)[1])
    return int(m.group(1)) if m else None


def _undouble_agency(so_ky_hieu: str, agency: str) -> str:
    """ "01/GM-SVHTTTDL" → "01/GM-SVHTTDL": a letter of the agency part read once too often, where
    taking it out gives the code of the agency the block names, read surely (two readings agree)."""
    if "/" not in so_ky_hieu:
        return so_ky_hieu
    head, code = so_ky_hieu.split("/", 1)
    codes = _initials(agency)
    pieces = re.split(r"([-/])", code)
    for i, p in enumerate(pieces):
        key = normalize_lookalikes(p).upper()
        if len(key) < 4 or key in codes or key in {k.upper() for k in NOTATION_TYPES}:
            continue
        for j in range(1, len(key)):
            if key[j] == key[j - 1] and key[:j] + key[j + 1 :] in codes:
                return f"{head}/{''.join([*pieces[:i], key[:j] + key[j + 1 :], *pieces[i + 1 :]])}"
    return so_ky_hieu


def _undouble(so_ky_hieu: str, doc_type: str | None) -> str:
    """ "76/QĐĐ-UBND" → "76/QĐ-UBND": Tesseract doubles a letter of the type code; no code has
    "QĐĐ", and "QĐ" is the code of the type name printed on the page (two readings agree)."""
    if "/" not in so_ky_hieu or not doc_type:
        return so_ky_hieu
    head, code = so_ky_hieu.split("/", 1)
    types = {k.upper() for k in NOTATION_TYPES}
    pieces = re.split(r"([-/])", code)
    for i, p in enumerate(pieces):
        single = re.sub(r"(.)\1", r"\1", p)
        if p.upper() in types or single == p or single.upper() not in types:
            continue
        fixed = f"{head}/{''.join([*pieces[:i], single, *pieces[i + 1 :]])}"
        implied = notation_type(fixed)
        if implied is not None and match_key(implied) == match_key(doc_type):
            return fixed
    return so_ky_hieu


def _token_shape(so_line: md._Line, page: Sequence[md._Line]) -> str | None:
    """ "tall" when the word holding the number is much taller than the printed "Số:" of its line
    (or, merged with it, than the page's words): a speck or a pen stroke is part of it, and the
    digits under it are in doubt. "normal" when it is typeset alike; None when it cannot be told."""
    words = list(so_line.words)
    tok = next((w for w in words if "/" in w.text and re.search(r"\d", w.text.split("/")[0])), None)
    if tok is None:
        return None
    i = words.index(tok)
    so = words[i - 1] if i and re.fullmatch(r"\W{0,2}[sS]\w{0,2}[:;.,]?", words[i - 1].text) else None
    if so is not None:
        ref = so.height
        low = 0.85
    else:
        heights = [w.height for ln in page for w in ln.words if sum(c.isalpha() for c in w.text) >= 3]
        ref = statistics.median(heights) if heights else 0
        low = 0.65
    if ref <= 0:
        return None
    ratio = tok.height / ref
    # A "Q" hangs its tail below the line ("157/ QĐ-NĐ-UB" stands 1.24 times its "Số:"): room for it.
    tail = 0.1 if "Q" in tok.text else 0.0
    if ratio > 1.25 + tail:
        return "tall"
    return "normal" if low <= ratio <= 1.2 + tail else None


def _name_confirmed(
    name: str, place: str | None, place_conf: float, body: str, so: str | None = None
) -> bool:
    """Whether a second reading confirms an agency name read in caps: its place part is the
    confirmed place, a province, or printed so in mixed case elsewhere in the document; a Sở or
    Phòng is one whose department name is known (its marks restored from the lexicon) and, when
    that name starts a longer one ("PHÒNG TÀI CHÍNH" / "… - KẾ HOẠCH"), whose code the ký hiệu has."""
    part = md.place_part(name)
    if part is None:
        if not md.department_confirmed(name):
            return False
        if not md.department_cut_risk(name):
            return True
        pieces = {p.upper() for p in re.split(r"[-/]", normalize_lookalikes(so or "").split("/", 1)[-1]) if p}
        return bool(so and "/" in so and pieces & _initials(name))
    if _place_confirmed(name, place, place_conf) or md.place_spelling(part) == "exact":
        return True
    # Printed in mixed case in the body, and more often so than any other spelling of it there
    # ("Ea Hleo" as often as "Ea H'leo": the apostrophe is in doubt).
    up = nfc(part).upper()
    loose = match_key(part).replace("'", "")
    n = len(part.split())
    if n < 2:
        return False  # one word ("ĐẮK" of a cut "ĐẮK GLONG") is found inside too many names
    tokens = [t.strip('.,;:()"') for t in body.split()]
    counts: dict[str, int] = {}
    for i in range(len(tokens) - n + 1):
        window = " ".join(tokens[i : i + n])
        if not is_upper_text(window, 0.6) and match_key(window).replace("'", "") == loose:
            counts[nfc(window).upper()] = counts.get(nfc(window).upper(), 0) + 1
    return counts.get(up, 0) > max((c for k, c in counts.items() if k != up), default=0)


def _place_confirmed(agency: str, place: str | None, place_conf: float) -> bool:
    """Whether the agency's last words are the confirmed place (or a province): a second reading."""
    key = match_key(agency)
    if place and place_conf >= THRESHOLDS["dia_danh"] and key.endswith(" " + match_key(place)):
        return True
    return any(key.endswith(" tinh " + match_key(p)) for p in md.PROVINCES)


def _notation(lines: Sequence[md._Line], parsed: md._Parsed, has_boxes: bool) -> tuple[str | None, float]:
    """The ký hiệu with or without its number ("/CT-UBND"), and the confidence of its words."""
    cands = [parsed.header.so_line] if parsed.header.so_line else list(lines[:25])
    for ln in cands:
        m = _NOTATION.match(ln.text)
        if not m:
            continue
        code = normalize_lookalikes(re.sub(r"\s+", "", m.group("code")))
        first = code.split("-")[0]
        if not has_boxes:
            return "/" + code, TEXT_CONFIDENCE
        words = [w for w in ln.words if first and first in normalize_lookalikes(w.text)]
        return "/" + code, (min(w.confidence for w in words) / 100.0 if words else 0.0)
    return None, 0.0


def _digit_confidence(lines: Sequence[md._Line], key: str) -> float:
    """Lowest confidence of the words holding the value's digits (one wrong digit, wrong value)."""
    words = [w for ln in lines for w in ln.words if any(c.isdigit() for c in w.text)]
    if key == "ngay_ban_hanh":
        words = [w for w in words if re.fullmatch(r"\W*[0-9OoIl]{1,4}\W*", w.text)]
    if not words:
        return TEXT_CONFIDENCE if lines and not any(ln.words for ln in lines) else 0.0
    return min(w.confidence for w in words) / 100.0


DATE_REREAD_BELOW = 75.0  # a date digit word read less surely than this is read a second time
_DATE_DIGITS = re.compile(r"\W*[0-9OoIl]{1,4}\W*")


def reread_date_line(
    image: np.ndarray,
    words: Sequence[OcrWord],
    *,
    dpi: int,
    recognize: Callable[[np.ndarray], list[OcrWord]],
    header: md._Header | None = None,
) -> list[OcrWord] | None:
    """The page's words with the date line's digit confidences raised where a second reading of
    that line agrees, or None when none was needed or it did not agree.

    "Đắk Nông, ngày 12 tháng 11 năm 2023" whose "11" came back at 68 (noise and blur): the line,
    cut out of ``image`` (the gray OCR image the boxes refer to) and median-filtered, is read again
    (``recognize``: one text line, e.g. Tesseract psm 7). Only a reading that parses to the same
    date, with as many digit words, each read surely, confirms: a digit word's confidence becomes
    the better of its two readings. It never changes a value: a second reading of digits under a
    speck or streak came back confidently wrong in tests ("480/…" at 88 for a specked 460), so a
    disagreeing or new reading is not used. ``header``: the page's parsed header of ``words``,
    when the caller has it. Costs a header parse per page and one small Tesseract
    call on the few pages whose parsed date has an unsure digit (dev corpus: 2 of 40 first pages
    read again; 0.14 CPU s in all over its 78 pages, 0.0018 s/page).
    """
    if image.ndim != 2 or not words:
        return None
    page = OcrPage(
        index=0,
        width=image.shape[1],
        height=image.shape[0],
        dpi=dpi,
        words=tuple(words),
        text="",
        confidence=0,
    )
    if header is None:
        header = md._parse_header(md._lines_from_words(page))
    line = header.date_line
    if line is None or header.date is None:
        return None
    digits = [w for w in line.words if _DATE_DIGITS.fullmatch(w.text)]
    if not digits or min(w.confidence for w in digits) >= DATE_REREAD_BELOW:
        return None
    import cv2  # noqa: PLC0415 - only for the rare second reading

    h = int(statistics.median(w.height for w in line.words))
    x0 = max(0, min(w.left for w in line.words) - h)
    x1 = min(image.shape[1], max(w.left + w.width for w in line.words) + 3 * h)
    y0 = max(0, min(w.top for w in line.words) - h // 2)
    y1 = min(image.shape[0], max(w.top + w.height for w in line.words) + h // 2)
    if x1 - x0 < 2 * h or y1 - y0 < h:
        return None
    found = recognize(cv2.medianBlur(np.ascontiguousarray(image[y0:y1, x0:x1]), 3))
    again = md._parse_date(" ".join(w.text for w in found))
    re_digits = [w for w in found if _DATE_DIGITS.fullmatch(w.text)]
    if again is None or again[0] != header.date or len(re_digits) != len(digits):
        return None
    if min(w.confidence for w in re_digits) < DATE_REREAD_BELOW:
        return None
    better = {
        (w.text, w.left, w.top): max(w.confidence, r.confidence)
        for w, r in zip(digits, re_digits, strict=True)
    }
    return [
        dataclasses.replace(w, confidence=better.get((w.text, w.left, w.top), w.confidence)) for w in words
    ]


def _text_confidence(lines: Sequence[md._Line]) -> float:
    """Mean word confidence of the lines a text value was read from, pulled toward the worst word."""
    words = [w for ln in lines for w in ln.words if w.text.strip()]
    if not words:
        return TEXT_CONFIDENCE if lines else 0.0
    confs = [w.confidence / 100.0 for w in words]
    return 0.7 * (sum(confs) / len(confs)) + 0.3 * min(confs)


def _number_in_blank(line: md._Line) -> bool:
    """ "Số: 47 /QĐ-UBND": the number is a word of its own before a word starting with "/" — a
    printed form whose number was filled in by hand — unless it is typeset like the notation
    (same height and baseline, confidently read), as e-office systems stamp the number."""
    words = list(line.words)
    for a, b in zip(words, words[1:], strict=False):
        if b.text.startswith("/") and re.search(r"[0-9OoIl]$", a.text) and not a.text.endswith("/"):
            return not _typeset_like(a, b)
    return False


def _typeset_like(word: OcrWord, printed: OcrWord) -> bool:
    """Same height and baseline as a printed word of the line, and read with high confidence
    (or, set exactly alike — a pen never matches type to a tenth of a line — fairly high)."""
    if printed.height <= 0 or word.confidence < 80:
        return False
    ratio = word.height / printed.height
    # A "/" reaches below the baseline: a printed number ends a little above the notation word.
    drop = (word.top + word.height) - (printed.top + printed.height)
    if word.confidence < 90:
        return (
            0.93 <= ratio <= 1.07 and abs(drop) <= 0.1 * printed.height and not printed.text.startswith("/")
        )
    low = -0.3 if printed.text.startswith("/") else -0.2
    return 0.85 <= ratio <= 1.15 and low * printed.height <= drop <= 0.2 * printed.height


def _day_handwritten(line: md._Line) -> bool:
    """The day after "ngày" (or the month) set apart from the printed year by size or baseline."""
    words = list(line.words)
    year = next((w for w in words if re.fullmatch(r"(19|20)\d\d\W?", w.text)), None)
    if year is None:
        return False
    # The printed word "năm" (no descender) is a second reference: a speck that enlarges the
    # year's box must not make a printed day look written.
    nam = next((w for w in words if match_key(w.text) == "nam" and w.confidence >= 80), None)
    for i, w in enumerate(words[:-1]):
        if match_key(w.text) in ("ngay", "thang"):
            nxt = words[i + 1]
            if not re.fullmatch(r"\W*[0-9OoIl]{1,2}\W*", nxt.text) or _typeset_like(nxt, year):
                continue
            if nam is None or not _same_type(nxt, nam):
                return True
    return False


def _same_type(word: OcrWord, printed: OcrWord) -> bool:
    """Set to a tenth of a line like ``printed`` (height and baseline), read fairly sure."""
    if printed.height <= 0 or word.confidence < 80:
        return False
    drop = (word.top + word.height) - (printed.top + printed.height)
    return 0.88 <= word.height / printed.height <= 1.12 and abs(drop) <= 0.1 * printed.height


def _blue_digits(image: np.ndarray | None, line: md._Line, what: str) -> bool:
    """Whether the digit words of the Số or date line are written in blue (or other coloured) ink."""
    if image is None or image.ndim != 3 or not line.words:
        return False
    words = [w for w in line.words if any(c.isdigit() for c in w.text)]
    if what == "date":
        words = [w for w in words if re.fullmatch(r"\W*[0-9OoIl]{1,2}\W*", w.text)]
    else:
        words = words[:1]
    return any(_is_blue(image, w) for w in words)


def _is_blue(image: np.ndarray, w: OcrWord) -> bool:
    if image.ndim != 3 or image.shape[2] < 3:
        return False
    h, wd = image.shape[:2]
    crop = image[..., :3][
        max(0, w.top) : min(h, w.top + w.height), max(0, w.left) : min(wd, w.left + w.width)
    ]
    if crop.size == 0:
        return False
    px = crop.reshape(-1, 3).astype(np.int16)
    ink = px[px.min(axis=1) < 170]
    if len(ink) < 10:
        return False
    b, g, r = ink[:, 0], ink[:, 1], ink[:, 2]
    blue = (b - r > 35) & (b - g > 10)
    return float(blue.mean()) > 0.35


# ---------------------------------------------------------------------------------------------
# signer authority, recipients, identifiers

_AUTH = re.compile(r"^\s*(TM|KT|TL|TUQ|Q)\s*[.,:]\s*(.+)$")
_AUTH_BODIES = (*md.OFFICES, "ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN", "BỘ TRƯỞNG", "THỦ TRƯỞNG")


def _authority_chain(lines: list[md._Line], office: str | None) -> tuple[list[str], list[md._Line]]:
    """ "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", then the signer's office, as printed; [] unless the
    office was read (the chain without its last line would name the wrong person's authority)."""
    if not office:
        return [], []
    tail = md.signer_tail(lines)
    chain: list[str] = []
    used: list[md._Line] = []
    for ln in tail:
        right = md._right_part(ln.text)
        m = _AUTH.match(right)
        if not m:
            continue
        body = md._strip_junk(m.group(2))
        hit = best_phrase(body, _AUTH_BODIES, 0.8)
        if hit is None:
            return [], []
        chain.append(f"{m.group(1)}. {hit[0]}")
        used.append(ln)
    chain.append(office)
    used += md._lines_within(tail, office)
    if len(chain) > 3 or (len(chain) >= 2 and chain[-2].startswith("KT.") and not office.startswith("PHÓ ")):
        return [], []
    if office.startswith("PHÓ ") and not any(c.startswith("KT.") for c in chain):
        return [], []  # a deputy signs "KT." for the head: that line was lost, the chain is partial
    return [normalize_tone_placement(c) for c in chain], used


OFFICE_ON_AXIS_CONFIDENCE = 0.85
OFFICE_AXIS_TOLERANCE = 0.25  # line heights; complete office lines of the dev corpus are within 0.12


def _office_on_axis(parsed: md._Parsed) -> bool:
    """Whether the office line is centred on the name line's axis, as a complete title is."""
    office, name = parsed.values.get("chuc_vu_nguoi_ky"), parsed.values.get("nguoi_ky")
    o_lines, n_lines = parsed.lines.get("chuc_vu_nguoi_ky"), parsed.lines.get("nguoi_ky")
    if not (office and name and o_lines and n_lines and o_lines[-1].words and n_lines[-1].words):
        return False
    return md.signer_axis_offset(o_lines[-1], n_lines[-1], office, name) <= OFFICE_AXIS_TOLERANCE


NEAR_OFFICE_WORD_CONFIDENCE = 80.0


def _office_one_letter_off(parsed: md._Parsed, last: list[md._Line]) -> float | None:
    """The confidence of an office read with one letter wrong under the seal ("CHƯYỊCH" for
    "CHỦ TỊCH", its space lost), or None. It counts as read when the line's letters are the
    office's but for one, its words are read surely, and it is centred on the name's axis: a
    title that lost a word ("PHÓ" of "PHÓ CHỦ TỊCH") sits off it, and no two offices of the
    lexicon are one letter apart."""
    office, name = parsed.values.get("chuc_vu_nguoi_ky"), parsed.values.get("nguoi_ky")
    n_lines = parsed.lines.get("nguoi_ky")
    if not (office and name and n_lines and n_lines[-1].words) or parsed.lines.get("chuc_vu_nguoi_ky"):
        return None
    okey = re.sub(r"[^a-z]", "", strip_accents(match_key(office)).replace("đ", "d"))
    for ln in md.signer_tail(last):
        right = md._right_part(ln.text)
        if not right or md._office(right) != office:
            continue
        tokens = right.split()
        words = [w for w in ln.words if w.text in tokens]
        key = re.sub(r"[^a-z]", "", strip_accents(match_key(right)).replace("đ", "d"))
        if not words or not (key == okey or _edit1(key, okey)):
            return None
        if min(w.confidence for w in words) < NEAR_OFFICE_WORD_CONFIDENCE:
            return None
        line = md._Line(right, ln.para, tuple(words))
        if md.signer_axis_offset(line, n_lines[-1], right, name) > OFFICE_AXIS_TOLERANCE:
            return None
        return min(min(w.confidence for w in words) / 100, OFFICE_ON_AXIS_CONFIDENCE)
    return None


def _deputy_after_kt(lines: list[md._Line]) -> tuple[str, float] | None:
    """ "KT. CHỦ TỊCH" read cleanly, then a caps fragment ending like "PHÓ CHỦ TỊCH" ("Ủ TỊCH", the
    seal ate the rest): who signs for (ký thay) a head is that head's deputy (NĐ 30/2020)."""
    tail = md.signer_tail(lines)
    for i, ln in enumerate(tail):
        m = _AUTH.match(md._right_part(ln.text))
        if not m or m.group(1) != "KT":
            continue
        body = md._strip_junk(m.group(2))
        hit = best_phrase(body, md.OFFICES, 0.9)
        if hit is None or hit[0].startswith("PHÓ "):
            return None
        deputy = "PHÓ " + hit[0]
        if deputy not in md.OFFICES:
            return None
        dkey = match_key(deputy).replace(" ", "")
        for later in tail[i + 1 :]:
            frag = md._strip_junk(md._right_part(later.text))
            fkey = match_key(frag).replace(" ", "")
            if len(fkey) >= 5 and is_upper_text(frag, 0.9) and dkey.endswith(fkey):
                words = [w.confidence / 100 for w in (*ln.words, *later.words)]
                c = min(words) if words else TEXT_CONFIDENCE
                return deputy, min(c, 0.85)
        return None
    return None


_PREFIX_REMNANT = re.compile(r"^[A-ZĐ]{1,3}[.,]$")  # "T." of "KT.", "M." of "TM."


def _title_suffix(words: Sequence[OcrWord]) -> list[OcrWord]:
    """A title line's words without what the seal left before them: unsure words (its ring
    letters) and a remnant of an authority prefix ("T." of "KT.")."""
    ws = list(words)
    while ws and ws[0].confidence < JUNK_WORD_CONFIDENCE:
        ws.pop(0)
    if ws and _PREFIX_REMNANT.match(ws[0].text):
        ws.pop(0)
    return ws


def _deputy_from_doubled_title(lines: list[md._Line]) -> tuple[str, float] | None:
    """Two lines in a row of the signer column, each ending like the same head's title X and
    ending at the same place ("T. CHỦ TỊCH" / '"HỦ TỊCH': the seal ate their starts): they are
    "KT. X" and "PHÓ X", of one length, centred on one axis. No chain of NĐ 30/2020 prints a
    head's title on two lines in a row otherwise (under "TL. X" a chief of office signs)."""
    tail = md.signer_tail(lines)
    for i in range(len(tail) - 1):
        a, b = (
            _title_suffix([w for w in ln.words if sum(_is_alpha(c) for c in w.text) >= 1])
            for ln in (tail[i], tail[i + 1])
        )
        if not a or not b:
            continue
        ka, kb = (
            re.sub(r"[^a-z]", "", match_key("".join(md._clean_token(w.text) for w in ws))) for ws in (a, b)
        )
        texts = (" ".join(w.text for w in a), " ".join(w.text for w in b))
        if min(len(ka), len(kb)) < 5 or not all(is_upper_text(t, 0.9) for t in texts):
            continue
        heads = [
            o
            for o in md.OFFICES
            if not o.startswith("PHÓ ")
            and "PHÓ " + o in md.OFFICES
            and all(match_key(o).replace(" ", "").endswith(k) for k in (ka, kb))
        ]
        if len(heads) != 1:
            continue
        h = statistics.median(w.height for w in (*a, *b))
        end_a, end_b = (max(w.left + w.width for w in ws) for ws in (a, b))
        if abs(end_a - end_b) > HEAD_EDGE_TOLERANCE * h:
            continue
        if min(w.top for w in b) - max(w.top + w.height for w in a) > 1.5 * h:
            continue  # not the next line: a line between them was lost
        rest = [[w for w in ln.words if w.left >= min(w.left for w in a) - 2 * h] for ln in tail[i + 2 :]]
        if _more_titles([ws for ws in rest if ws]):
            continue  # a title line follows: not the chain's last two lines
        c = min(w.confidence for w in (*a, *b)) / 100
        return "PHÓ " + heads[0], min(c, 0.85)
    return None


def _is_alpha(c: str) -> bool:
    return c.isalpha()


TITLE_ECHO_GAP = 1.5  # line heights between two lines of a chain printed one under the other


def _office_against_chain(office: str, parsed: md._Parsed, lines: list[md._Line]) -> bool:
    """Whether the block's structure contradicts the head's title X read as the office: a line
    right above or under X's ending like X at the same place ("GIÁM ĐỐC" over "-ÁM ĐỐC") makes
    the two "KT. X" / "PHÓ X", printed of one length on one axis (NĐ 30/2020 Điều 13: who signs
    for a head is the deputy), each read without its first word. The parser already refuses a
    head's title under a "KT." line read as such; here that line lost its prefix."""
    o_lines = (
        parsed.lines.get("chuc_vu_nguoi_ky") if parsed.values.get("chuc_vu_nguoi_ky") == office else None
    )
    if office.startswith("PHÓ ") or "PHÓ " + office not in md.OFFICES or not (o_lines and o_lines[-1].words):
        return False
    okey = re.sub(r"[^a-z]", "", match_key(office))
    tail = md.signer_tail(lines)
    own = o_lines[-1].words
    own_ids = {id(w) for w in own}
    h = statistics.median(w.height for w in own)
    top, bottom = min(w.top for w in own), max(w.top + w.height for w in own)
    x0, end = min(w.left for w in own), max(w.left + w.width for w in own)
    for ln in tail:
        ws = [w for w in ln.words if w.left >= x0 - 3 * h and any(c.isalpha() for c in w.text)]
        if not ws or any(id(w) in own_ids for w in ws):
            continue
        w_top, w_bottom = min(w.top for w in ws), max(w.top + w.height for w in ws)
        below = -0.3 * h <= w_top - bottom <= TITLE_ECHO_GAP * h
        above = -0.3 * h <= top - w_bottom <= TITLE_ECHO_GAP * h
        text = " ".join(w.text for w in ws)
        key = re.sub(r"[^a-z]", "", match_key(text))
        if (
            (below or above)
            and len(key) >= 3
            and okey.endswith(key)
            and is_upper_text(text, 0.9)
            and abs(max(w.left + w.width for w in ws) - end) <= HEAD_EDGE_TOLERANCE * h
        ):
            return True
    return False


# The head who signs for (thay mặt) a collective body (NĐ 30/2020): "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH".
_HEADS = {"ỦY BAN NHÂN DÂN": "CHỦ TỊCH", "HỘI ĐỒNG NHÂN DÂN": "CHỦ TỊCH"}
TM_WORD_MIN = 60.0  # the least sure word of a "TM. ỦY BAN NHÂN DÂN" line that places the axis
JUNK_WORD_CONFIDENCE = 50.0  # a word before a title fragment read less surely is the seal's
HEAD_EDGE_TOLERANCE = 0.5  # line heights; "KT. CHỦ TỊCH" or "PHÓ CHỦ TỊCH" ends 1.3 further right


def _head_after_tm(lines: list[md._Line]) -> tuple[str, float] | None:
    """ "TM. ỦY BAN NHÂN DÂN" read cleanly, and right under it a caps fragment ending like the
    head's title ("TỊCH": the seal ate "CHỦ"), whose right end is where that title, centred on the
    block's axis, ends: the head signs. A deputy's lines ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH") are
    longer and end further right, and a title line read below the fragment means a longer chain."""
    tail = md.signer_tail(lines)
    for i, ln in enumerate(tail):
        m = _AUTH.match(md._right_part(ln.text))
        if not m or m.group(1) != "TM" or not ln.words:
            continue
        hit = best_phrase(md._strip_junk(m.group(2)), tuple(_HEADS), 0.9)
        if hit is None or len(tail) <= i + 1:
            return None
        head = _HEADS[hit[0]]
        right = md._right_part(ln.text).split()
        tm_words = [w for w in ln.words if w.text in right]
        # Read surely but for a speck of the seal in the prefix ("TM..ỦY" at 77): the line's
        # boxes place the block's axis.
        confs = [w.confidence for w in tm_words]
        if not tm_words or min(confs) < TM_WORD_MIN or statistics.median(confs) < 85:
            return None
        h = statistics.median(w.height for w in tm_words)
        x0, x1 = min(w.left for w in tm_words), max(w.left + w.width for w in tm_words)
        per_char = (x1 - x0) / max(1, len(" ".join(w.text for w in tm_words)))
        axis = (x0 + x1) / 2
        bottom = max(w.top + w.height for w in tm_words)
        # The signer column's lines below (raw OCR interleaves the "Nơi nhận" items with them).
        column = [
            [w for w in later.words if w.left >= x0 - 2 * h and sum(c.isalpha() for c in w.text) >= 2]
            for later in tail[i + 1 :]
        ]
        column = [ws for ws in column if ws]
        if not column:
            return None
        geometry = (match_key(head).replace(" ", ""), axis, per_char, h)
        frag = _ends_like(column[0], head, bottom, geometry)
        if frag:
            if _more_titles(column[1:]):
                return None
            c = min(w.confidence for w in (*tm_words, *frag)) / 100
            return head, min(c, 0.85)
        # The head's title read twice, each line ending where "KT. CHỦ TỊCH" and then "PHÓ CHỦ
        # TỊCH" end: the seal ate both prefixes of the deputy's chain (who signs for the head).
        deputy = "PHÓ " + head
        if deputy not in md.OFFICES or len(column) < 2:
            return None
        first = _ends_like(column[0], "KT. " + head, bottom, geometry)
        second = first and _ends_like(column[1], deputy, max(w.top + w.height for w in first), geometry)
        if first and second and not _more_titles(column[2:]):
            c = min(w.confidence for w in (*tm_words, *first, *second)) / 100
            return deputy, min(c, 0.85)
        return None
    return None


TITLE_BLOCK_ROWS = 6.0  # line heights above a title fragment where the block's other title lines sit


def _title_on_name_axis(
    lines: list[md._Line], parsed: md._Parsed, name_conf: float
) -> tuple[str, float] | None:
    """The office from the caps fragment of the last title line above a surely read name ("J
    TỊCH", "'Ũ TỊCH": the seal ate "CHỦ"), where one office of the lexicon ends like it and, centred
    on the name's axis (NĐ 30/2020 centres the block's lines on one axis), ends where the fragment
    ends, and no other office that ends like it would ("PHÓ CHỦ TỊCH" ends 2 letters further
    right). A title line with an authority prefix right above it (KT./TL.: the chain names
    another signer) or a title line between it and the name makes it no answer."""
    name, n_lines = parsed.values.get("nguoi_ky"), parsed.lines.get("nguoi_ky")
    if not (name and n_lines and n_lines[-1].words) or name_conf < THRESHOLDS["nguoi_ky"]:
        return None
    name_words = n_lines[-1].words
    name_top = min(w.top for w in name_words)
    h = statistics.median(w.height for w in name_words)
    x0 = min(w.left for w in name_words)
    axis = (x0 + max(w.left + w.width for w in name_words)) / 2
    tail = md.signer_tail(lines)
    column = [
        [w for w in ln.words if w.left >= x0 - 3 * h and sum(c.isalpha() for c in w.text) >= 1]
        for ln in tail
        if ln.words and max(w.top + w.height for w in ln.words) <= name_top
    ]
    column = [ws for ws in column if ws and max(w.confidence for w in ws) >= JUNK_WORD_CONFIDENCE]
    if not column:
        return None
    ws = column[-1]
    for start in range(len(ws)):
        frag = ws[start:]
        text = " ".join(w.text for w in frag)
        key = match_key(" ".join(md._clean_token(w.text) for w in frag)).replace(" ", "")
        if len(key) >= 4 and is_upper_text(text, 0.9):
            candidates = [o for o in md.OFFICES if match_key(o).replace(" ", "").endswith(key)]
            if candidates:
                break
    else:
        return None
    before = " ".join(
        match_key(md._clean_token(w.text)) for w in ws[:start] if w.confidence >= JUNK_WORD_CONFIDENCE
    )
    if any(t in ("pho", "kt", "tm", "tl", "tuq") for t in before.split()):
        return None  # a prefix or "PHÓ" read before it: the fragment is no whole title's end
    if min(w.confidence for w in frag) < TM_WORD_MIN:
        return None
    # The first caps line of the block: a title or authority line read above it (even without
    # its prefix: "CHỦ TỊCH" ending like "KT. CHỦ TỊCH", "BAN NHÂN DÂN" of a TM. line) makes the
    # chain longer than one title, and a TM. line's own geometry is :func:`_head_after_tm`'s.
    frag_top = min(w.top for w in frag)
    for prior in column[:-1]:
        text = " ".join(w.text for w in prior)
        near = min(w.top for w in prior) >= frag_top - TITLE_BLOCK_ROWS * h
        if near and sum(c.isalpha() for c in text) >= 4 and is_upper_text(text, 0.9):
            return None
    end = max(w.left + w.width for w in frag)
    per_char = (end - min(w.left for w in frag)) / max(
        1, len(" ".join(md._clean_token(w.text) for w in frag))
    )
    fh = statistics.median(w.height for w in frag)
    fits = [o for o in candidates if abs(axis + per_char * len(o) / 2 - end) <= HEAD_EDGE_TOLERANCE * fh]
    if len(fits) != 1 or any(
        abs(axis + per_char * len(o) / 2 - end) <= 2 * HEAD_EDGE_TOLERANCE * fh
        for o in candidates
        if o != fits[0]
    ):
        return None
    c = min(min(w.confidence for w in frag) / 100, name_conf)
    return fits[0], min(c, 0.85)


def _ends_like(
    ws: list[OcrWord], title: str, above: float, geometry: tuple[str, float, float, float]
) -> list[OcrWord] | None:
    """A caps fragment of the head's title (key ``geometry[0]``) on the next line below ``above``,
    ending where the whole ``title``, centred on the block's axis, ends. Unsure words before it
    ("+92 Ý TỊCH": the seal's ring letters over the title's start) are no part of it."""
    head_key, axis, per_char, h = geometry
    for start in range(len(ws)):
        if start and ws[start - 1].confidence >= JUNK_WORD_CONFIDENCE:
            return None
        text = " ".join(w.text for w in ws[start:])
        key = match_key(text).replace(" ", "")
        if is_upper_text(text, 0.9) and len(key) >= 4 and head_key.endswith(key):
            break
    else:
        return None
    frag = ws[start:]
    if max(w.top + w.height for w in frag) - above > 2.8 * h:
        return None  # not the next line: a line between them was lost
    expected = axis + per_char * len(title) / 2
    if abs(max(w.left + w.width for w in frag) - expected) > HEAD_EDGE_TOLERANCE * h:
        return None
    return frag


def _more_titles(rest: list[list[OcrWord]]) -> bool:
    """Whether a title line follows (the chain is longer than the one matched)."""
    for ws in rest:
        later = " ".join(w.text for w in ws)
        if _AUTH.match(later) or md._office(later) or md._holds_office(later):
            return True
    return False


def _recipients(lines: list[md._Line]) -> tuple[tuple[str, ...], list[md._Line]]:
    """The "- …;" lines under "Nơi nhận:", as printed (left column only)."""
    start = None
    for i, ln in enumerate(lines):
        if match_key(ln.text).startswith("noi nhan"):
            start = i
    if start is None:
        return (), []
    items: list[str] = []
    used: list[md._Line] = []
    for ln in lines[start + 1 : start + 25]:
        text = ln.text.strip()
        if not re.match(r"^[-–—+•]\s*\S", text):
            if items and _AUTH.match(text):
                continue
            if items and (is_upper_text(text, 0.9) or md._name(text)):
                continue  # the signer column, read as lines of their own
            break
        item = re.sub(r"^[-–—+•]\s*", "- ", text)
        # Raw OCR may run the item into the signer column: cut at an authority prefix.
        cut = re.search(r"\s(?:TM|KT|TL|TUQ)\s*\.\s", item)
        if cut:
            item = item[: cut.start()]
        if not re.search(r"[;.,:)]$", item):
            return (), []  # an item cut short or run together: not trusted
        items.append(item)
        used.append(ln)
    if not items or not match_key(items[-1]).startswith("- luu"):
        return (), []  # the list ends with "- Lưu: VT, …" (NĐ 30/2020): else items were lost
    return tuple(items), used


def _identifiers(lines: list[md._Line], text: str) -> dict[str, tuple[str | None, list[md._Line]]]:
    """Mã TTHC (``1.001193``, labelled as such) and mã số hồ sơ (``000.00.00.H17-210615-0001``)."""
    out: dict[str, tuple[str | None, list[md._Line]]] = {"ma_tthc": (None, []), "ma_ho_so": (None, [])}
    for ln in lines:
        flat = re.sub(r"(?<=[\d.])\s+(?=[\d.])", "", ln.text)
        m = _MA_HO_SO.search(flat)
        if m and out["ma_ho_so"][0] is None:
            out["ma_ho_so"] = (m.group(1), [ln])
        label = _TTHC_LABEL.search(strip_accents(flat))
        if label and out["ma_tthc"][0] is None:
            m = _MA_TTHC.search(flat, label.start())
            if m:
                out["ma_tthc"] = (m.group(1), [ln])
    return out
