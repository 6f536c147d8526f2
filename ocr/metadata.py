"""Metadata of an administrative document (NĐ 30/2020 layout) from its OCR text.

The first page's header band holds the agency block (top left), the national motto (top right),
``Số: …`` under the agency and ``<place>, ngày … tháng … năm …`` under the motto; then the type name
and trích yếu (or, for a công văn, "V/v …" under the Số line); the last page ends with the signer
block. Raw OCR merges the two header columns into one line, drops stacked tone marks in caps
("QUYT ĐNH"), reads "Số" as "S6" and puts stray spaces into "24 /TTr -UBND", so every fixed phrase
is matched accent-insensitively and fuzzily and merged lines are split at those phrases.

Precision comes first: a wrong value filed in the archive is worse than an empty one a clerk fills
in, so each field is only returned when it passes its own checks (a real date, a plausible code, a
name made of capitalised words, a place the document repeats...), else None.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

from ocr.vntext import (
    best_phrase,
    find_phrase,
    fix_admin_phrases,
    fix_digits,
    impossible_syllables,
    is_upper_text,
    is_vietnamese_word,
    match_key,
    nfc,
    normalize_lookalikes,
    normalize_tone_placement,
    similarity,
)
from schemas.documents import Cap, DocumentMetadata, OcrPage, OcrWord

MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
UBND = "ỦY BAN NHÂN DÂN"

DOC_TYPES: tuple[str, ...] = (
    "QUYẾT ĐỊNH", "KẾ HOẠCH", "THÔNG BÁO", "CHỈ THỊ", "TỜ TRÌNH", "BÁO CÁO", "GIẤY MỜI",
    "GIẤY CHỨNG NHẬN", "GIẤY PHÉP XÂY DỰNG", "GIẤY PHÉP", "NGHỊ QUYẾT", "QUY CHẾ", "QUY ĐỊNH",
    "THÔNG CÁO", "HƯỚNG DẪN", "CHƯƠNG TRÌNH", "PHƯƠNG ÁN", "ĐỀ ÁN", "DỰ ÁN", "BIÊN BẢN",
    "HỢP ĐỒNG", "CÔNG ĐIỆN", "GIẤY ỦY QUYỀN", "GIẤY GIỚI THIỆU", "GIẤY NGHỈ PHÉP", "PHIẾU GỬI",
    "PHIẾU CHUYỂN", "PHIẾU BÁO", "BẢN GHI NHỚ", "BẢN THỎA THUẬN", "THƯ CÔNG", "TRÍCH LỤC",
    "GIẤY XÁC NHẬN", "GIẤY KHAI SINH", "GIẤY CHỨNG NHẬN KẾT HÔN",
)  # fmt: skip
CONG_VAN = "CÔNG VĂN"

OFFICES: tuple[str, ...] = (
    "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG",
    "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG", "TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "CHI CỤC TRƯỞNG",
    "PHÓ CHI CỤC TRƯỞNG", "CỤC TRƯỞNG", "PHÓ CỤC TRƯỞNG", "CHÁNH THANH TRA", "PHÓ CHÁNH THANH TRA",
    "HIỆU TRƯỞNG", "PHÓ HIỆU TRƯỞNG", "GIÁM ĐỐC SỞ", "TRƯỞNG ĐOÀN", "BÍ THƯ", "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH",
)  # fmt: skip
_OFFICE_WORDS = {w for o in OFFICES for w in match_key(o).split()} | {
    "van",
    "phong",
    "ubnd",
    "so",
    "thuong",
    "truc",
}
_AUTHORITY = re.compile(r"^\s*(TM|KT|TL|TUQ|Q|QUYỀN|THỪA LỆNH|THỪA ỦY QUYỀN)\s*[.,:]\s*", re.IGNORECASE)

# Level words at the start of an agency's place part, longest first ("THỊ XÃ" before "XÃ").
_LEVELS: tuple[tuple[str, Cap], ...] = (
    ("THÀNH PHỐ HÀ NỘI", Cap.TINH), ("THÀNH PHỐ HỒ CHÍ MINH", Cap.TINH), ("THÀNH PHỐ HẢI PHÒNG", Cap.TINH),
    ("THÀNH PHỐ ĐÀ NẴNG", Cap.TINH), ("THÀNH PHỐ CẦN THƠ", Cap.TINH), ("THÀNH PHỐ HUẾ", Cap.TINH),
    ("TỈNH", Cap.TINH), ("THÀNH PHỐ", Cap.HUYEN), ("THỊ XÃ", Cap.HUYEN), ("HUYỆN", Cap.HUYEN),
    ("QUẬN", Cap.HUYEN), ("THỊ TRẤN", Cap.XA), ("PHƯỜNG", Cap.XA), ("XÃ", Cap.XA),
)  # fmt: skip
# Agencies under a People's Committee whose level follows from their kind.
_SUB_AGENCY_LEVEL: tuple[tuple[str, Cap | None], ...] = (
    ("SỞ", Cap.TINH), ("PHÒNG", Cap.HUYEN), ("BAN", None), ("CHI CỤC", None), ("CỤC", None),
    ("TRUNG TÂM", None), ("VĂN PHÒNG", None), ("THANH TRA", None), ("TRƯỜNG", None), ("BỆNH VIỆN", None),
    ("ĐÀI", None), ("HỘI ĐỒNG", None), ("KHO BẠC", None), ("CÔNG AN", None),
)  # fmt: skip

# "ngàÿ 09 tháng …": the y of "ngày" may come back with a mark a speck added.
_DATE = re.compile(
    r"(?:^|(?P<place>[^,]*?)\s*[,.])\s*\bn\w{0,3}[yÿýỳỷỹỵ]\s*(?P<d>[0-9OoIl]{1,2})\s+th\w{1,4}\s*(?P<m>[0-9OoIl]{1,2})\s+"
    r"n\w{1,3}[:.]?\s*(?P<y>[0-9OoIl]{4})\b"
)
# The place's comma lost (or the place cut off): "Ngọc ngày 06 tháng 3 năm 2024". Only after at most
# three capitalised words, so a body sentence "… địa phương ngày 19 tháng 6 năm 2015" never matches.
_DATE_NO_COMMA = re.compile(
    r"^(?:[A-ZĐÀ-Ỹ][\w']*\s+){1,3}(?P<rest>n\w{0,3}[yÿýỳỷỹỵ]\s*[0-9OoIl]{1,2}\s+th\w{1,4}\s*[0-9OoIl]{1,2}\s+"
    r"n\w{1,3}[:.]?\s*[0-9OoIl]{4}\b)"
)
# "Số:*1405/QĐ-UBND": a speck read as a symbol between the colon and the number is tolerated.
_SO_PREFIX = re.compile(
    r"(?:^|[\s\W])(s[o0ô6ố]|sỗ|sổ|sọ)\s*[:;.,]?\s*[*'\"`~^°]?\s*(?=[0-9OoIl]{0,6}\s*/)", re.IGNORECASE
)
# "s 289/BC-STTTT": the "ố" of "Số" lost in a speck; only at the start of a line, before a
# number and a capital code, which no body line looks like.
# Or the label misread whole ("ĐÓ: 18/XNTTHN", "4; 580/XNTTHN"): up to three characters and its colon.
_SO_BARE = re.compile(
    r"^\W{0,2}(?:[sS]\s*[:;.,]?\s+|(?![MmBb][ãaà]\W)\S{1,3}[:;]\s*)(?=\d{1,5}\s*/\s*[A-ZĐ]{2})"
)
# The "Số:" label of a line whose number did not parse (handwritten: "Số: 992 _/UBND-TTHC").
_SO_LABEL = re.compile(r"^\W{0,2}(?:s[o0ô6ố]|sỗ|sổ|sọ)\s*[:;]", re.IGNORECASE)
_CODE_PIECE = re.compile(r"^(?:[A-ZĐ0-9]+|TTr|CTr|TTh|QyĐ|Tr)+$")
_VV = re.compile(r"^\W*v\s*/\s*(?:v\b|%)\.?\s*", re.IGNORECASE)  # "V/%": the v of "V/v" misread
_BODY_START = (
    "can cu", "kinh gui", "thuc hien", "theo de nghi", "xet de nghi", "ngay ", "ma so", "dang ky lan dau",
    "tran trong", "chu tri", "dieu ", "noi nhan", "de ", "nham ", "qua ", "1. ", "i. ", "cap cho",
)  # fmt: skip
# Openers that never continue a trích yếu (the others may: "… thuê đất / để thực hiện dự án …").
_STRONG_BODY_START = ("can cu", "kinh gui", "theo de nghi", "xet de nghi", "tran trong", "dieu ", "noi nhan")
# "Ngày 03/01/2025, Phó Chủ tịch … chủ trì …": a body paragraph opening with a capital and a date.
# A subject's wrapped line reads "ngày 15/3/2024 của …" in lower case, so only the capital counts.
# A line of one short word read below this confidence amid a trích yếu is dust read as text.
SPECK_WORD_CONFIDENCE = 50.0
_DATED_OPENER = re.compile(r"^\W*Ngày\s+\d")


@dataclass(frozen=True)
class _Line:
    """One text line of a page; ``para`` changes where the OCR saw a paragraph or block break."""

    text: str
    para: int = 0
    words: tuple[OcrWord, ...] = ()


# ---------------------------------------------------------------------------------------------
# public API


def extract_metadata(pages: Sequence[OcrPage]) -> DocumentMetadata:
    """The contract's metadata from OCR pages (word boxes used where present).

    With boxes, each OCR line is cut where a wide horizontal gap separates the two header columns
    (Tesseract often reads "ỦY BAN NHÂN DÂN  CỘNG HÒA XÃ HỘI…" as one line) and paragraph breaks
    are kept; without boxes the page text is parsed as :func:`extract_metadata_from_text` does.
    """
    from ocr.fields import extract_fields  # the thresholds live with the confidences

    return extract_fields(pages).metadata()


def extract_metadata_from_text(page_texts: Sequence[str]) -> DocumentMetadata:
    """The contract's metadata from plain page texts (lines separated by "\\n"; blank lines break
    paragraphs). Never raises on odd text: a field it cannot read is None."""
    from ocr.fields import extract_fields_from_text

    return extract_fields_from_text(page_texts).metadata()


# ---------------------------------------------------------------------------------------------
# lines


def _clean(text: str) -> str:
    return re.sub(r"[ \t]+", " ", normalize_lookalikes(text)).strip()


def _lines_from_text(text: str) -> list[_Line]:
    out: list[_Line] = []
    para = 0
    for raw in (text or "").split("\n"):
        line = _clean(raw)
        if not line:
            para += 1
            continue
        out.append(_Line(line, para))
    return out


def _lines_from_words(page: OcrPage) -> list[_Line]:
    """Rebuild lines from word boxes, splitting a line at gaps wider than a column gutter."""
    groups: dict[tuple[int, int, int], list[OcrWord]] = {}
    for w in page.words:
        if w.text.strip():
            groups.setdefault((w.block, w.paragraph, w.line), []).append(w)
    if not groups:
        return _lines_from_text(page.text)
    heights = [w.height for ws in groups.values() for w in ws if w.height > 0]
    med_h = statistics.median(heights) if heights else 20
    gap_limit = max(3.0 * med_h, 0.06 * page.width)
    segments: list[tuple[int, int, tuple[int, int], str, tuple[OcrWord, ...]]] = []
    for (block, para, _), ws in groups.items():
        ws = _drop_double_readings(sorted(ws, key=lambda w: w.left))
        seg: list[OcrWord] = [ws[0]]
        for prev, cur in zip(ws, ws[1:], strict=False):
            if cur.left - (prev.left + prev.width) > gap_limit:
                segments.append(_segment(seg, block, para))
                seg = []
            seg.append(cur)
        segments.append(_segment(seg, block, para))
    segments = _rows_left_to_right(segments, med_h)
    out: list[_Line] = []
    para_ids: dict[tuple[int, int], int] = {}
    for _, _, key, text, words in segments:
        line = _clean(text)
        if line:
            out.append(_Line(line, para_ids.setdefault(key, len(para_ids)), words))
    return out


def _drop_double_readings(ws: list[OcrWord]) -> list[OcrWord]:
    """A line's words (sorted by ``left``) without a word that is the same ink read twice: one
    spanning two or more of the line's other words and spelling exactly what they spell together
    ("BỜY" over "BỜ" and "Y": Tesseract read an underlined "XÃ BỜ Y" both with and without its
    underline). The pieces are kept: they carry the word gaps."""
    if len(ws) < 3:
        return ws
    out = []
    for w in ws:
        inside = [
            o
            for o in ws
            if o is not w and w.left <= o.left + o.width / 2 <= w.left + w.width and o.width < w.width
        ]
        if len(inside) >= 2 and "".join(o.text for o in inside) == w.text:
            continue
        out.append(w)
    return out


def _segment(
    ws: list[OcrWord], block: int, para: int
) -> tuple[int, int, tuple[int, int], str, tuple[OcrWord, ...]]:
    top = min(w.top for w in ws)
    height = max(w.top + w.height for w in ws) - top
    return top + height // 2, ws[0].left, (block, para), " ".join(w.text for w in ws), tuple(ws)


def _rows_left_to_right(segments: list, med_h: float) -> list:  # noqa: ANN001 - _segment tuples
    """Segments in reading order: by row, and left to right within a visual row. Segments whose
    middles lie within half a line of a row's first one are on that row ("Quảng Ngãi," and
    "tháng 01 năm 2025" around a handwritten day's blank: a taller "tháng" word must not put the
    date before the place)."""
    out: list = []
    row: list = []
    for seg in sorted(segments, key=lambda s: (s[0], s[1])):
        if row and seg[0] - row[0][0] > 0.5 * med_h:
            out += sorted(row, key=lambda s: s[1])
            row = []
        row.append(seg)
    return out + sorted(row, key=lambda s: s[1])


# ---------------------------------------------------------------------------------------------
# the parser


def _extract(line_pages: Sequence[Sequence[_Line]], so_trang: int) -> DocumentMetadata:
    """The contract's values as parsed, before any confidence threshold (kept for callers that
    want the raw reading)."""
    return DocumentMetadata(**_parse(line_pages, so_trang).values)


@dataclass
class _Parsed:
    """Parsed values plus the lines each was read from (for confidence and ink checks)."""

    values: dict[str, Any]
    header: _Header
    lines: dict[str, list[_Line]]
    # The place was completed from the agency block (the date line read only its head): it is no
    # second reading of the agency's place part and must not confirm it.
    place_from_block: bool = False


def _parse(line_pages: Sequence[Sequence[_Line]], so_trang: int) -> _Parsed:
    first = list(line_pages[0]) if line_pages else []
    last = list(line_pages[-1]) if line_pages else []
    header = _parse_header(first)
    all_text = "\n".join(ln.text for page in line_pages for ln in page)
    dia_danh = _vote_spelling(_verify_place(header.place, header, all_text), all_text)
    agency, parent = _agency(header.agency_lines, dia_danh, all_text)
    if agency is None and header.so_ky_hieu:
        agency, parent = _agency_from_code(header.left_parts, header.so_ky_hieu, dia_danh) or (None, None)
    from_block = False
    if dia_danh is None and header.place_head:
        dia_danh = _place_from_head(header.place_head, (agency, parent), all_text)
        from_block = dia_danh is not None
    cap = _level(agency, parent)
    signer = _signer(last)
    subject_lines = _lines_within(first[:40], header.trich_yeu)
    subject = _vote_words(header.trich_yeu, line_pages, subject_lines) if header.trich_yeu else None
    fields = {
        "so_ky_hieu": header.so_ky_hieu,
        "ngay_ban_hanh": header.date,
        "dia_danh": dia_danh,
        "co_quan_ban_hanh": agency,
        "co_quan_chu_quan": parent,
        "cap": cap,
        "loai_van_ban": header.doc_type,
        "trich_yeu": _unlabel(fix_admin_phrases(subject)) if subject else None,
        "nguoi_ky": signer[0],
        "chuc_vu_nguoi_ky": signer[1],
        "so_trang": so_trang or None,
    }
    values = {k: nfc(v) if isinstance(v, str) else v for k, v in fields.items()}
    head = first[:40]
    lines = {
        "so_ky_hieu": [header.so_line] if header.so_line else [],
        "ngay_ban_hanh": [header.date_line] if header.date_line else [],
        "dia_danh": [header.date_line] if header.date_line else [],
        "loai_van_ban": [header.type_line] if header.type_line else [],
        "trich_yeu": subject_lines,
        "co_quan_ban_hanh": _lines_within(head, " ".join(header.agency_lines)),
        "nguoi_ky": _words_within(signer_tail(last), signer[0]),
        "chuc_vu_nguoi_ky": _words_within(signer_tail(last), signer[1]),
    }
    if agency and not lines["co_quan_ban_hanh"]:  # named from the ký hiệu: the lines that read it
        lines["co_quan_ban_hanh"] = [ln for ln in head if _strip_junk(ln.text) in header.left_parts]
    lines["co_quan_chu_quan"] = lines["cap"] = lines["co_quan_ban_hanh"]
    if from_block:
        lines["dia_danh"] = lines["co_quan_ban_hanh"]
    return _Parsed(values, header, lines, place_from_block=from_block)


def _place_from_head(head: str, names: Sequence[str | None], all_text: str) -> str | None:
    """ "Ea" (the date line's place, "H'leo," lost) under "… HUYỆN EA H'LEO": the date line names
    the unit the agency sits in (NĐ 30/2020), so the agency's (or its parent's) place part that
    starts with those words is the place, spelled as the one unit of those letters is, where the
    text also prints it so in mixed case (a second reading of the whole name)."""
    n = len(head.split())
    text = normalize_lookalikes(nfc(all_text))
    for name in names:
        part = place_part(name) if name else None
        if part is None or len(part.split()) <= n:
            continue
        if match_key(" ".join(part.split()[:n])) != match_key(head):
            continue
        units = _place_names().get(_loose_key(part), {})
        unit = units.get(_spelling_key(part)) or (next(iter(units.values())) if len(units) == 1 else None)
        if unit and re.search(r"(?<![\w'])" + re.escape(unit) + r"(?![\w'])", text):
            return unit
    return None


def _vote_spelling(place: str | None, all_text: str) -> str | None:
    """The spelling of a place name the document uses most ("Đúc Trọng" once in the date line,
    "Đức Trọng" twice in the body: the body wins). Caps occurrences do not vote (marks get lost)."""
    if not place:
        return place
    n = len(place.split())
    pkey = match_key(place)
    counts: dict[str, int] = {}
    tokens = [t.strip('.,;:()"') for t in all_text.split()]
    for i in range(len(tokens) - n + 1):
        window = " ".join(tokens[i : i + n])
        if match_key(window) == pkey and not is_upper_text(window, 0.9):
            counts[window] = counts.get(window, 0) + 1
    if place_spelling(place) == "exact":  # no unit is spelled like the others: misreadings
        counts = {w: c for w, c in counts.items() if place_spelling(w) != "variant"}
    if not counts:
        return place
    best = max(counts.values())
    if counts.get(place, 0) == best:
        return place
    winners = [w for w, c in counts.items() if c == best]
    return winners[0] if len(winners) == 1 else place


_LABEL = re.compile(r"^\W{0,2}V[eèéẻẽẹêềếểễệ]\s*vi[eèéẻẽẹêềếểễệ]c\s*:\s*(?=\S)")  # any mark misread


def _unlabel(subject: str) -> str | None:
    """ "Về việc : Giao quyền …" (older documents print "Về việc" as a label, with a colon): the
    trích yếu is what follows. "Về việc giao …" without the colon is the subject's own words."""
    m = re.match(r"^V[eề]\s*vi[eệ]c\s*:\s*(?=\S)", subject)
    if not m:
        return subject
    rest = subject[m.end() :]
    return rest or None


def _lines_within(lines: Sequence[_Line], value: str | None) -> list[_Line]:
    """The lines whose text is part of ``value`` (accent-insensitively): where a value was read."""
    if not value:
        return []
    key = f" {match_key(value)} "
    out = []
    for ln in lines:
        kept = _cut_margin_junk(ln.text)
        k = match_key(_strip_trailing_junk(_strip_junk(_LABEL.sub("", kept, count=1))))
        if len(k) >= 3 and f" {k} " in key:
            cut = len(ln.text.split()) - len(kept.split())
            if cut and len(ln.words) == len(ln.text.split()):
                ln = _Line(kept, ln.para, ln.words[cut:])  # the margin junk's words are not the value's
            out.append(ln)
    return out


@dataclass
class _Header:
    agency_lines: list[str]
    so_ky_hieu: str | None = None
    date: dt.date | None = None
    place: str | None = None
    doc_type: str | None = None
    trich_yeu: str | None = None
    so_line: _Line | None = None
    date_line: _Line | None = None
    type_line: _Line | None = None
    # The first word(s) of a date line's place whose other words OCR lost ("Ea" … "ngày 01 …").
    place_head: str | None = None
    # The left-column texts above the Số line, as read (the agency block before any filtering).
    left_parts: list[str] = field(default_factory=list)


def _split_motto(text: str) -> tuple[str, str | None]:
    """``(left part, motto found)``: a line cut where a motto line starts inside it."""
    for motto in (MOTTO_1, MOTTO_2):
        if len(match_key(text)) < 0.7 * len(match_key(motto)):
            continue
        span = find_phrase(text, motto, 0.78)
        if span is None:
            continue
        left = text[: span[0]].strip()
        # "CỘNG HÒA" must start a column, not sit inside a body sentence.
        if len(match_key(text[span[0] :])) <= len(match_key(motto)) * 1.4:
            return left, motto
    return text, None


def _parse_header(lines: list[_Line]) -> _Header:
    """Read the header band of page 1: agency block, Số, place/date, type name and trích yếu."""
    head = lines[:40]
    header = _Header(agency_lines=[])
    motto_idx: int | None = None
    so_idx: int | None = None
    label_idx: int | None = None  # a "Số:" line whose number did not parse
    date_idx: int | None = None
    left_parts: list[tuple[int, str]] = []
    below = _below_header(head)
    for i, ln in enumerate(head):
        text = ln.text
        left, motto = _split_motto(text)
        if motto is not None:
            motto_idx = i if motto_idx is None else motto_idx
        so = _parse_so(left) if so_idx is None else None
        if so is not None and _cited_number(head, i, left, so[1], below):
            so = None
        if so is not None:
            so_idx = i
            header.so_ky_hieu, rest = so
            header.so_line = ln
            left = ""
            text_after = rest
        else:
            text_after = left
            if so_idx is None and label_idx is None and i < 12 and _SO_LABEL.match(left):
                label_idx = i
        near = [x for x in (so_idx, motto_idx) if x is not None]
        if date_idx is None and (not near or i <= min(near) + 8):
            parsed = _parse_date(text_after)
            # The place of a date line whose day was not read: on the Số line's row or, within
            # the header band (under the Số line or the motto), on a line of its own.
            if parsed is None and header.place is None and (so is not None or near):
                nxt = head[i + 1] if i + 1 < len(head) else None
                header.place = _parse_place_only(text_after) or _place_before_blank(ln, text_after, nxt)
            if parsed is not None:
                date_idx = i
                header.date, header.place = parsed
                header.date_line = ln
                if header.place is None:
                    header.place_head = _place_head(ln, head[i - 1] if i else None)
                if so is None:
                    left = text_after[: _date_start(text_after)].strip() if header.place is None else ""
        if so_idx is None and date_idx is None and left and not _right_column(ln, left, head):
            left_parts.append((i, left))
        if so_idx is not None and date_idx is not None and i > max(so_idx, date_idx):
            break
    anchor = (
        min(x for x in (motto_idx, so_idx, date_idx) if x is not None)
        if (motto_idx is not None or so_idx is not None or date_idx is not None)
        else None
    )
    if anchor is not None or so_idx is not None:
        header.agency_lines = _agency_block(left_parts, anchor, so_idx)
    header.left_parts = [t for i, t in left_parts if so_idx is None or i < so_idx]
    start = max(x for x in (so_idx, date_idx, motto_idx, -1) if x is not None) + 1
    if so_idx is not None or date_idx is not None or motto_idx is not None:
        # A handwritten number or date may be unreadable; the printed type name still follows,
        # and a công văn's printed "V/v" still stands under its "Số:" label.
        _type_and_subject(head, so_idx if so_idx is not None else label_idx, date_idx, start, header)
    return header


# Openers of a body paragraph (NĐ 30/2020: the preamble and the body sit under the title).
_BODY_OPENERS = ("can cu", "kinh gui", "theo de nghi", "xet de nghi", "thuc hien", "tran trong", "noi nhan")
# A document type word ending the text before a cited number: "… Nghị định số 29/2015/NĐ-CP".
_CITING_TYPE = re.compile(
    r"(?:nghi dinh|quyet dinh|thong tu(?: lien tich)?|luat|bo luat|phap lenh|nghi quyet|chi thi|cong van|"
    r"van ban|thong bao|ke hoach|to trinh|bao cao|giay phep|giay chung nhan|giay dang ky|ket luan|"
    r"huong dan|quy dinh|hop dong)\W*(?:so)?\W*$"
)
# "… số 29/2015/NĐ-CP ngày 15 tháng 3 năm 2015 của Chính phủ": the number of another document.
_CITED_DATE = re.compile(r"^\W*ng[aà]y\s*\d{1,2}\s*(?:th[aá]ng|[/.-])", re.IGNORECASE)


def _below_header(head: Sequence[_Line]) -> tuple[int | None, float | None]:
    """Where the header band ends: the first body opener ("Căn cứ …", "Kính gửi", "Thực hiện …")
    or, on OCR lines, title (a type name in capitals centred on the page: "KẾ HOẠCH" alone in the
    left column is the end of "PHÒNG TÀI CHÍNH - KẾ HOẠCH"), as a line index and, for OCR lines,
    as the lowest top of such a line. The document's own "Số:" stands above both (NĐ 30/2020)."""
    idx: int | None = None
    top: float | None = None
    boxes = [w for ln in head for w in ln.words]
    x0 = min((w.left for w in boxes), default=0)
    x1 = max((w.left + w.width for w in boxes), default=0)
    for i, ln in enumerate(head):
        key = match_key(ln.text.strip(" -–_*.'\"`~"))
        centred = (
            bool(ln.words)
            and abs(_centre_x(ln.words) - (x0 + x1) / 2) < 0.12 * (x1 - x0)
            and _match_type(ln.text) is not None
        )
        if not (centred or any(key.startswith(s) for s in _BODY_OPENERS)):
            continue
        idx = i if idx is None else idx
        if ln.words:
            y = min(w.top for w in ln.words)
            top = y if top is None else min(top, y)
    return idx, top


def _cites(text: str) -> bool:
    """Whether ``text`` ends with a document type word in running text ("… theo Nghị định",
    "Căn cứ Luật số"), not in the capitals of an agency line ("PHÒNG TÀI CHÍNH - KẾ HOẠCH")."""
    words = [w for w in text.split() if any(c.isalpha() for c in w)]
    return bool(words) and not words[-1].isupper() and bool(_CITING_TYPE.search(match_key(text)))


def _cited_number(
    head: Sequence[_Line], i: int, left: str, rest: str, below: tuple[int | None, float | None]
) -> bool:
    """Whether the number read on line ``i`` is another document's, cited in the body, not the
    document's own: it stands under the title or a body opener, follows a document type word
    (on its line or ending the line before: a wrapped "Căn cứ Nghị định / số 29/2015/NĐ-CP"),
    or, without the "Số:" label's colon, goes on with the date of that document."""
    ln = head[i]
    idx, top = below
    if ln.words and top is not None:
        if min(w.top for w in ln.words) > top:
            return True
    elif idx is not None and i > idx:
        return True
    m = _SO_PREFIX.search(left)
    before = left[: m.start(1)] if m else ""
    if _cites(before):
        return True
    if i > 0 and (not m or not before.strip()) and _cites(head[i - 1].text):
        return True
    labelled = bool(m) and ":" in left[m.start(1) : m.end()]
    return not labelled and bool(_CITED_DATE.match(rest))


def _right_column(line: _Line, left: str, head: Sequence[_Line]) -> bool:
    """Whether the words of ``left`` (the start of ``line``) lie in the right half of the page:
    an e-gazette or received stamp above the motto, never the agency block (top left)."""
    words = line.words[: len(left.split())]
    if not words:
        return False
    width = max((w.left + w.width for ln in head for w in ln.words), default=0)
    return width > 0 and _centre_x(words) > 0.55 * width


def _agency_block(left_parts: list[tuple[int, str]], anchor: int | None, so_idx: int | None) -> list[str]:
    """The caps lines of the agency block: left column parts above the Số line, bottom up."""
    stop = so_idx if so_idx is not None else (anchor + 4 if anchor is not None else 0)
    block: list[str] = []
    for i, text in reversed(left_parts):
        if i >= stop:
            continue
        text = _strip_junk(text)
        if not text or _motto_piece(text):
            continue  # a speck line, or a piece of the motto column cut off by a gap: not the block
        text = re.sub(r"(?<=[^\W\d_])-(?=[^\W\d_])", " - ", _strip_junk_tokens(text))  # "SỞ-TƯ PHÁP"
        text = _UBND_GLUED.sub("UBND ", text)  # "UBNDTỈNH ĐẮK NÔNG": the space lost
        letters = [c for c in text if c.isalpha()]
        if len(letters) < 4 or not is_upper_text(text, 0.9) or not _looks_like_caps_words(text):
            if block:
                break
            continue
        block.append(text)
        if len(block) >= 5:
            break
    return list(reversed(block))


_UBND_GLUED = re.compile(r"^UBND(?=(?:TỈNH|HUYỆN|XÃ|PHƯỜNG|QUẬN|THỊ|THÀNH)\b)")
_MOTTO_ONLY = {"cong", "hoa", "chu", "nghia", "viet", "nam", "doc", "lap", "hanh", "phuc"}


def _motto_piece(text: str) -> bool:
    """ "CỘNG HÒA XÃ HỘI CHỦ NGHĨA", "o - Hạnh phúc": two words or more of a motto line, in order."""
    key = re.sub(r"[^a-z ]", "", match_key(text)).split()
    if len(key) < 2 or (len(key) == 2 and not set(key) & _MOTTO_ONLY):
        return False  # "XÃ HỘI" may be the last line of "… THƯƠNG BINH VÀ / XÃ HỘI"
    joined = " ".join(key)
    for motto in (MOTTO_1, MOTTO_2):
        mkey = " ".join(re.sub(r"[^a-z ]", "", match_key(motto)).split())
        if f" {joined} " in f" {mkey} " or (len(joined) >= 8 and joined in mkey):
            return True
    return False


def _is_word_char(c: str) -> bool:
    return c.isdigit() or unicodedata.category(c) in ("Lu", "Ll")


def _strip_junk_tokens(text: str) -> str:
    """Drop trailing tokens that hold a character no agency name has ("==QQQ", "J1", "K¬")."""
    tokens = text.split()
    while tokens and not re.fullmatch(r"[^\W\d_]+(?:'[^\W\d_]+)?[,.]?|\d{1,3}|-|&", tokens[-1]):
        if re.fullmatch(r"\w+", tokens[-1]) and sum(c.isalpha() for c in tokens[-1]) >= 3:
            break  # "GLON6": a misread word of the name, not a speck; the line is not trusted
        tokens.pop()
    return " ".join(tokens)


def _looks_like_caps_words(text: str) -> bool:
    """Caps words of a name: letters (with ' , -), few one-letter tokens."""
    tokens = text.split()
    if not tokens or any(not re.fullmatch(r"[^\W\d_]+(?:'[^\W\d_]+)?[,.]?|-|&|\d{1,3}", t) for t in tokens):
        return False
    words = [t for t in tokens if not t.isdigit() and t not in {"-", "&"}]
    if any(not is_vietnamese_word(t) or t.strip(",.") != t.strip(",.").upper() for t in words):
        return False
    singles = sum(len(t) == 1 and t not in {"-", "&"} for t in tokens)
    return singles * 3 <= len(tokens) or len(tokens) <= 2 and singles <= 1


def _strip_junk(text: str) -> str:
    """Drop OCR specks around a header line: non-letter tokens and stray lower-case letters."""
    tokens = text.split()
    while tokens and (
        not any(c.isalpha() for c in tokens[0]) or (len(tokens[0]) <= 2 and tokens[0].islower())
    ):
        tokens.pop(0)
    while (
        tokens
        and tokens[-1] != "-"
        and (not any(c.isalnum() for c in tokens[-1]) or (len(tokens[-1]) <= 2 and tokens[-1].islower()))
    ):
        tokens.pop()
    text = " ".join(tokens)
    return re.sub(r"[-_=~.*]{3,}", "", text).strip(" *`'\"_~=")


def _parse_so(text: str) -> tuple[str, str] | None:
    """``(số ký hiệu, rest of the line)`` from "Số: 392/KH-UBND …", tolerant of "S6:" and stray spaces."""
    m = _SO_PREFIX.search(text) or _SO_BARE.match(text)
    if not m or m.start() > 12 or sum(c.isalpha() for c in text[: m.start()]) > 3:
        return None
    rest = text[m.end() :]
    nm = re.match(r"([0-9OoIl]{1,6})\s*/\s*", rest)
    if not nm:
        return None
    number = fix_digits(nm.group(1))
    if number is None:
        return None
    pos = nm.end()
    pieces: list[str] = []
    seps: list[str] = []
    while True:
        pm = re.match(r"([A-Za-zĐđ0-9]+)", rest[pos:])
        if not pm or not _CODE_PIECE.match(_fix_code_piece(pm.group(1))):
            break
        pieces.append(_fix_code_piece(pm.group(1)))
        pos += pm.end()
        sm = re.match(r"\s*([-/])\s*(?=[A-Za-zĐđ0-9])", rest[pos:])
        if not sm:
            break
        nxt = re.match(r"[A-Za-zĐđ0-9]+", rest[pos + sm.end() :])
        if not nxt or not _CODE_PIECE.match(_fix_code_piece(nxt.group(0))):
            break
        seps.append(sm.group(1))
        pos += sm.end()
    if not pieces:
        return None
    code = pieces[0] + "".join(s + p for s, p in zip(seps, pieces[1:], strict=False))
    return f"{number}/{code}", rest[pos:].strip(" _-.,;:")


def _fix_code_piece(piece: str) -> str:
    """ "TIr" is an OCR reading of the type code "TTr" (there is no code with "Ir")."""
    return re.sub(r"I(?=r$)", "T", piece)


def _date_start(text: str) -> int:
    m = re.search(r"\bn\w{0,3}[yÿýỳỷỹỵ]\s*[0-9OoIl]{1,2}\s+th", text)
    return m.start() if m else len(text)


def _parse_date(text: str) -> tuple[dt.date, str | None] | None:
    """``(date, place)`` from "<place>, ngày DD tháng MM năm YYYY"; the date must exist."""
    m = _DATE.search(text)
    if not m:
        loose = _DATE_NO_COMMA.match(text.strip())
        if loose is None:
            return None
        parsed = _parse_date(loose.group("rest"))
        return (parsed[0], None) if parsed else None
    parts = [fix_digits(m.group(x)) for x in ("d", "m", "y")]
    if any(p is None for p in parts):
        return None
    d, mo, y = (int(p) for p in parts)  # type: ignore[arg-type]
    if not 1945 <= y <= 2100:
        return None
    try:
        date = dt.date(y, mo, d)
    except ValueError:
        return None
    # The key words must really be ngày/tháng/năm, allowing one lost mark each.
    segment = match_key(m.group(0)[len(m.group("place") or "") :])
    if not re.search(r"ng\w?y \S+ th\w{2,3}g? \S+ n\w{1,2}m?", segment):
        return None
    place = _clean_place(m.group("place") or "")
    return date, place


def _parse_place_only(text: str) -> str | None:
    """The place of a "<place>, ngày …" line whose date digits could not be read, or whose frame
    words a streak garbled where its digits stand as a date's do ("Bình Phước, ñuày 22 ding 11
    năm", the year lost)."""
    m = re.search(r"^(?P<place>[^,]{2,40}),\s*ng\w{0,2}y\b", text) or re.search(
        r"^(?P<place>[^,]{2,40}),\s*\S{3,5}\s+[0-9OoIl]{1,2}\s+\S{2,6}\s+[0-9OoIl]{1,2}\s+n\w{1,3}\b", text
    )
    return _clean_place(m.group("place")) if m else None


def _place_before_blank(line: _Line, text: str, nxt: _Line | None) -> str | None:
    """ "Quảng Ngãi," | "tháng 01 năm 2025": the place of a date line whose "ngày …" was left blank
    for a handwritten day, and OCR cut the line at the blank. The place stands alone, ending on
    its comma, and the printed "tháng MM năm YYYY" follows on the same row, to its right."""
    m = re.fullmatch(r"(?P<place>[^,]{2,40}),", text.strip())
    if m is None or nxt is None or not line.words or not nxt.words:
        return None
    if not re.match(
        r"^\W{0,2}(?:ng\w{0,2}y\W*)?th\w{1,4}\s*[0-9OoIl]{1,2}\s+n\w{1,3}\s*[0-9OoIl]{4}\b", nxt.text
    ):
        return None
    h = statistics.median(w.height for w in (*line.words, *nxt.words))
    right_of = min(w.left for w in nxt.words) > max(w.left + w.width for w in line.words)
    if not right_of or abs(_middle(line.words) - _middle(nxt.words)) > 0.5 * h:
        return None
    return _clean_place(m.group("place"))


_NGAY_WORD = re.compile(r"\W{0,2}n\w{0,3}[yÿýỳỷỹỵ]")
_HEAD_WORD = re.compile(r"\W{0,2}(?P<w>[A-ZĐÀ-Ỹ][^\W\d_]*(?:'[^\W\d_]+)?)")


def _place_head(line: _Line, prev: _Line | None) -> str | None:
    """ "Ea" … "ngày 01 tháng 4 năm 2024": the capitalised word(s) before "ngày" of a date line
    whose place did not parse, where a gap of a word or more (OCR dropped "H'leo,") lies between
    them and "ngày". On the date line itself or, cut off by that gap, on a line of its own to its
    left on the same row. Only a head: whether a place starts so is for the agency block to say."""
    words = list(line.words)
    k = next((j for j, w in enumerate(words) if _NGAY_WORD.fullmatch(w.text)), None)
    if k is None:
        return None
    before = words[:k]
    if not before and prev is not None and prev.words:
        h = statistics.median(w.height for w in (*prev.words, *words))
        if abs(_middle(prev.words) - _middle(words)) <= 0.5 * h:
            before = list(prev.words)
    if not 1 <= len(before) <= 2:
        return None
    heads = [_HEAD_WORD.fullmatch(w.text) for w in before]
    if not all(heads) or not all(is_vietnamese_word(m.group("w")) for m in heads if m):
        return None
    h = statistics.median(w.height for w in words)
    gap = words[k].left - (before[-1].left + before[-1].width)
    if gap < 1.5 * h:
        return None  # nothing lost between them: "Ea ngày" says no more than "Ea"
    return " ".join(m.group("w") for m in heads if m)


def _centre_x(words: Sequence[OcrWord]) -> float:
    return (min(w.left for w in words) + max(w.left + w.width for w in words)) / 2


def _middle(words: Sequence[OcrWord]) -> float:
    return (min(w.top for w in words) + max(w.top + w.height for w in words)) / 2


def _clean_place(text: str) -> str | None:
    text = text.strip(" ,.;:-_*'\"")
    tokens = text.split()
    # Keep the capitalised words right before ", ngày".
    kept: list[str] = []
    for tok in reversed(tokens):
        if re.fullmatch(r"[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ-ỹ][\w']*|\d{1,3}", tok) and (tok[0].isupper() or tok.isdigit()):
            kept.append(tok)
        elif kept and re.fullmatch(r"[1l][a-zà-ỹ]{1,5}", tok) and is_vietnamese_word("I" + tok[1:]):
            kept.append("I" + tok[1:])  # "1a Hlốp", "la Grai": the capital I of Ia, Ia read as 1 or l
            break
        else:
            break
    while kept and kept[-1].isdigit():
        kept.pop()
    if not kept or len(kept) > 5 or not all(t.isdigit() or is_vietnamese_word(t) for t in kept):
        return None
    place = re.sub(
        r"(?<=[^\W\d_])I",
        lambda m: "l" if m.string[m.start() - 1].islower() else "I",
        " ".join(reversed(kept)),
    )
    return place if any(c.islower() for c in place) else None


def _type_and_subject(
    head: list[_Line], so_idx: int | None, date_idx: int | None, start: int, h: _Header
) -> None:
    """Find the type name (or a công văn's "V/v") and join the trích yếu lines."""
    # Công văn: "V/v …" right under the Số line (possibly interleaved with the date line).
    if so_idx is not None:
        for i in range(so_idx + 1, min(so_idx + 4, len(head))):
            text = head[i].text
            vv = _VV.match(text)
            if vv:
                h.doc_type = CONG_VAN
                h.type_line = head[i]
                body = [_strip_trailing_junk(text[vv.end() :])]
                para = head[i].para
                for ln in head[i + 1 : i + 6]:
                    if _parse_date(ln.text) is not None or _other_column(ln.text):
                        continue
                    if ln.words and not _strip_trailing_junk(ln.text):
                        continue  # a speck read as a line of its own
                    if ln.para != para or _is_body_start(ln.text) or _is_upper_line(ln.text):
                        break
                    if match_key(ln.text).startswith("kinh gui"):
                        break
                    if ln.words and head[i].words and not _aligned(ln, head[i]):
                        return  # a wrapped line neither centred nor flush with "V/v": words were lost
                    body.append(_strip_trailing_junk(ln.text))
                subject = _join(body)
                h.trich_yeu = f"V/v {subject}" if subject else None
                return
    for i in range(start, min(start + 6, len(head))):
        text = _strip_junk(head[i].text)
        doc_type = _match_type(text)
        if doc_type is None:
            continue
        h.doc_type = doc_type
        h.type_line = head[i]
        h.trich_yeu = _subject(head[i + 1 : i + 8])
        return


# A date line whose handwritten day is blank ("Quảng Ngãi, ngày tháng 01 năm 2025").
_DATE_FRAME_LINE = re.compile(r"\bn\w{0,3}[yÿýỳỷỹỵ]\b.*\bth\w{1,4}\b.*\bn\w{1,3}[:.]?\s*[0-9OoIl]{4}\b")


def _other_column(text: str) -> bool:
    """A line of the header's right column read between a công văn's "V/v" lines: the motto's
    second line, or a date line whose day was not read."""
    return find_phrase(text, MOTTO_2, 0.8) is not None or _DATE_FRAME_LINE.search(text) is not None


def _match_type(text: str) -> str | None:
    text = text.strip(" -–_*'\"`~")  # "-GIAY XÁC NHẠN": a speck glued to the line
    if not text or not _is_upper_line(text) or len(text) > 60:
        return None
    key = match_key(text).rstrip(" :.")
    # "GIẤY XÁC NHẬ": the last letter lost; the reading starts one type name and nearly spans it.
    cut = [
        t for t in DOC_TYPES if len(key) >= 6 and match_key(t).startswith(key) and len(key) >= 0.85 * len(t)
    ]
    if len(cut) == 1:
        return cut[0]
    for t in sorted(DOC_TYPES, key=len, reverse=True):
        tk = match_key(t)
        if key == tk or key.startswith(tk + " cua "):  # older style: "QUYẾT ĐỊNH CỦA UBND TỈNH"
            return t
        if key.startswith(tk + " ") and t.startswith("GIẤY"):
            if match_key(text[: len(t)]) != tk:
                return None
            rest = _strip_trailing_junk(text[len(t) :])  # "GIẤY CHỨNG NHẬN ˆ": a speck, not a word
            return f"{t} {rest}" if rest else t
    hit = best_phrase(text.rstrip(" :."), DOC_TYPES, 0.8)
    if hit is None:
        return None
    # A lost-letter reading must keep the consonant skeleton of the type name.
    skeleton = re.sub(r"[aeiouy ]", "", key)
    if re.sub(r"[aeiouy ]", "", match_key(hit[0])) != skeleton:
        return None
    return hit[0]


def _is_upper_line(text: str) -> bool:
    return is_upper_text(text, 0.9) and sum(c.isalpha() for c in text) >= 3


def _is_body_start(text: str) -> bool:
    key = match_key(text)
    return any(key.startswith(s) for s in _BODY_START) or text.rstrip().endswith(":")


def _subject(lines: Sequence[_Line]) -> str | None:
    """Trích yếu lines after the type name: same case style, no body opener, wrapped not ended."""
    out: list[str] = []
    caps: bool | None = None
    width = 0
    lines = list(lines)
    while lines and lines[0].words and len(_strip_trailing_junk(lines[0].text)) <= 2:
        lines.pop(0)  # a speck between the type name and the subject
    for ln in lines:
        # "Về việc : Giao quyền …": older documents print "Về việc" as a label (the colon, a token
        # of its own, would go with the junk below).
        raw = ln.text if out else _LABEL.sub("", _cut_margin_junk(ln.text), count=1)
        text = _strip_trailing_junk(raw)
        if out and ln.words and (len(text) <= 2 or _speck_word_line(ln)):
            continue  # a speck in the margin read as a line of its own
        if not text:
            break
        upper = _is_upper_line(text)
        if out:
            if ln.para != lines[0].para:
                # OCR may put the short last line of a centred subject in a paragraph of its own.
                short_tail = len(text) < width * 0.8 and not out[-1].endswith((".", ";", ":"))
                if not (short_tail and ln.words and lines[0].words and _centred_alike(ln, lines[0])):
                    break
            if upper != caps:
                break
            if not upper and _is_body_start(text):
                # "để thực hiện dự án …", "thực hiện …" also continue a subject: a line on the
                # subject's axis, in its paragraph, not wider than it, is its next line.
                weak = not any(match_key(text).startswith(s) for s in _STRONG_BODY_START)
                weak = weak and not _DATED_OPENER.match(text)
                same_block = ln.para == lines[0].para and ln.words and lines[0].words
                if not (weak and same_block and _centred_alike(ln, lines[0]) and len(text) <= width * 1.05):
                    break
            # A line well short of the widest subject line ended the subject; a longer one is body.
            if len(out[-1]) + 1 + len(text.split()[0]) <= width * 0.85:
                break
            # With boxes a longer line still belongs to the subject when centred like its first line.
            longer = len(text) > width * 1.1 + 2
            if longer and not (ln.words and lines[0].words and _centred_alike(ln, lines[0])):
                break
        else:
            if (not upper and _is_body_start(text)) or _match_type(text):
                return None
            caps = upper
        out.append(text)
        width = max(width, len(text))
    words = " ".join(out).split()
    if len(words) >= 3 and sum(w.isupper() for w in words[1:]) >= len(words) - 2:
        # A caps subject read with one word in title case ("Tình TRẠNG HÔN NHÂN"): it is printed in caps.
        out = [
            " ".join(
                t.upper() if t[:1].isupper() and t[1:].islower() and _has_vowel(t) else t for t in o.split()
            )
            for o in out
        ]
    subject = _drop_stray_stops(_join(out))
    # A trích yếu never ends a sentence: a full stop means OCR lost it and this is the body.
    if subject.endswith(".") and not subject.endswith("./."):
        return None
    return subject or None


# A full stop between two lower-case words ("đất đối với. hộ ông"): a sentence never goes on in
# lower case after one, so it is a speck read as a dot (abbreviations: "v.v.", "TP.", one letter
# or capitals before the dot, are left alone).
_STRAY_STOP = re.compile(r"(?<=[^\W\d_]{2})\.(?=\s)")


def _drop_stray_stops(text: str) -> str:
    return _STRAY_STOP.sub(
        lambda m: (
            "" if _word_before(text, m.start()).islower() and text[m.end() :].lstrip()[:1].islower() else "."
        ),
        text,
    )


def _word_before(text: str, end: int) -> str:
    return text[:end].rsplit(None, 1)[-1] if text[:end].strip() else ""


def _speck_word_line(ln: _Line) -> bool:
    """A line of one short word read unsurely (toner dust beside a wrapped subject read "win" at
    19): no line of a trích yếu."""
    return len(ln.words) == 1 and len(ln.text) <= 4 and ln.words[0].confidence < SPECK_WORD_CONFIDENCE


def _tone_off_the_marked_vowel(word: str) -> bool:
    """A tone mark on a plain vowel of a syllable that has a vowel with a circumflex, breve or
    horn ("hôỹ", "tiến" is fine): Vietnamese puts the tone on the marked vowel."""
    marked, toned_plain = False, False
    for ch in unicodedata.normalize("NFC", word.lower()):
        parts = unicodedata.normalize("NFD", ch)
        base, marks = parts[0], set(parts[1:])
        if base not in "aeiouy":
            continue
        hat = bool(marks & {"\u0302", "\u0306", "\u031b"})
        marked = marked or hat
        toned_plain = toned_plain or (
            not hat and bool(marks & {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"})
        )
    return marked and toned_plain


def _has_vowel(token: str) -> bool:
    return re.search(r"[aeiouy]", match_key(token)) is not None


def doubtful_subject(subject: str) -> bool:
    """A trích yếu with a reading no printed one has: a lower-case start ("vạ việc …", "ê việc"),
    a letter no Vietnamese word uses ("nguön", "HÔÑ", "đãŸ"), a capital inside a word
    ("NguyertXanh", "vớÊ"), a word without a vowel ("Jnn") or junk glued into a word ("nguồn*gốc")."""
    first = subject.lstrip("(\"'")
    if first and first[0].islower():
        return True
    for token in subject.split():
        core = token.strip(".,;:()\"'-–")
        if not core or any(c.isdigit() for c in core) or "/" in core:
            continue  # numbers, "V/v", "2269/QĐ-TTg", "(b/c)"
        letters = core.replace("'", "").replace("-", "")
        if not letters.isalpha() or not is_vietnamese_word(core):
            return True
        bare = re.sub(r"[\u0302\u0306\u031b]", "", unicodedata.normalize("NFD", core))  # vowel marks off
        if re.search(r"[^aeiouyAEIOUY][\u0300\u0301\u0303\u0309\u0323]", bare):
            return True  # a tone mark on a consonant: "HÔÑ"
        if _tone_off_the_marked_vowel(core):
            return True  # "HÔỸ": with a â/ă/ê/ô/ơ/ư, the tone sits on that vowel
        if any(c.isupper() for c in core[1:]) and not core.isupper() and "'" not in core:
            return True  # "NguyertXanh"; acronyms (UBND) and "H'Bia" pass
        key = match_key(letters)
        if (
            len(key) > 1
            and not core.isupper()
            and (not re.search(r"[aeiouy]", key) or re.search(r"[^aeiouy]{4}", key))
        ):
            return True
    return False


def _centred_alike(a: _Line, b: _Line) -> bool:
    """Both lines centred on the same axis (a wrapped, centred trích yếu), within a line height."""

    h = statistics.median(w.height for w in (*a.words, *b.words))
    return abs(_centre_x(a.words) - _centre_x(b.words)) <= 1.0 * h


def _cut_margin_junk(text: str) -> str:
    """ "BẢO &-TÍM HỌC 0.NG ÃIj Về việc tăng cường …" → "Về việc tăng cường …": a received stamp
    ("CV ĐẾN") or margin note read on the subject's first line. Cut only where a capitalised
    "Về"/"V/v" follows tokens that hold a reading no Vietnamese word has."""
    m = re.search(r"\s(?=(?:V[eề]|V/v)\s+[a-zà-ỹđ])", text)
    if not m:
        return text
    before = [t.strip(".,;:-&'\"") for t in text[: m.start()].split()]
    if any(t and (not is_vietnamese_word(t) or any(c.isdigit() for c in t)) for t in before):
        return text[m.end() :]
    return text


def _aligned(a: _Line, b: _Line) -> bool:
    """A wrapped line of a công văn's "V/v …" block: centred like it or flush left with it."""
    h = statistics.median(w.height for w in (*a.words, *b.words))
    flush = abs(min(w.left for w in a.words) - min(w.left for w in b.words)) <= 1.0 * h
    return flush or _centred_alike(a, b)


def _strip_trailing_junk(text: str) -> str:
    """Drop OCR specks: tokens without a letter or digit ("ˆ", "# $"), keeping - / & ( )."""
    keep = {"-", "/", "&", "(", ")", "+"}
    tokens = [t for t in text.split() if any(_is_word_char(c) for c in t) or t in keep]
    while tokens and tokens[-1] in keep - {")"}:
        tokens.pop()
    return " ".join(tokens)


def _join(parts: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(p.strip() for p in parts)).strip()


_EDGE_PUNCT = ".,;:()\"'/*"


def _vote_words(subject: str, line_pages: Sequence[Sequence[_Line]], subject_lines: Sequence[_Line]) -> str:
    """The trích yếu with a misread word replaced by the spelling the document itself uses.

    A trích yếu's words usually come back in the body ("… bản đồ hiện trạng sử dụng đất …").
    A subject word is compared with every other word of the document that has the same
    neighbours (accent-insensitively) and differs from it by its marks or by one letter: the
    spelling read more often wins; on a tie, a reading that is no Vietnamese syllable, or one read
    with clearly lower OCR confidence, gives way. A spelling with other marks only (same letters)
    also counts where one neighbour matches, but then only a clear majority changes the word.
    Words with digits, I/l look-alikes (OCR confuses them both ways; see :func:`_fix_il`) and
    caps lines (which lose stacked marks) never vote.
    """
    from rapidfuzz.distance import Levenshtein

    own = {id(ln) for ln in subject_lines}
    conf: dict[str, float] = {}
    for ln in subject_lines:
        for w in ln.words:
            core = w.text.strip(_EDGE_PUNCT)
            conf[core] = min(conf.get(core, 100.0), w.confidence)
    stream: list[tuple[str, float | None]] = [("", None)]  # (core, confidence) of the other lines
    for page in line_pages:
        for ln in page:
            if id(ln) in own or is_upper_text(ln.text, 0.9):
                continue
            if ln.words:
                stream += [(w.text.strip(_EDGE_PUNCT), w.confidence) for w in ln.words]
            else:
                stream += [(t.strip(_EDGE_PUNCT), None) for t in ln.text.split()]
            if ln.text.rstrip().endswith((".", ";", ":")):
                stream.append(("", None))
    tokens = subject.split()
    cores = [t.strip(_EDGE_PUNCT) for t in tokens]
    # Each word's key, and whether it may vote at all (None: empty or with a digit) and in which
    # case, worked out once: the subject's words are each compared with the whole document.
    sep = ("", None)
    stream_keys = [match_key(c) for c, _ in stream]
    stream_case = [_vote_case(c) for c, _ in stream]
    core_keys = [match_key(c) for c in cores]
    core_case = [_vote_case(c) for c in cores]
    for i, core in enumerate(cores):
        if len(core) < 2 or any(c.isdigit() for c in core):
            continue
        left = core_keys[i - 1] if i > 0 else None
        right = core_keys[i + 1] if i + 1 < len(cores) else None
        key, key_il, upper = core_keys[i], _il(core_keys[i]), core_case[i]
        rest = [j for j in range(len(cores)) if j != i]
        others = [*stream, sep, *[(cores[j], conf.get(cores[j])) for j in rest], sep]
        keys = [*stream_keys, "", *[core_keys[j] for j in rest], ""]
        case = [*stream_case, None, *[core_case[j] for j in rest], None]
        votes: dict[str, list[float | None]] = {}
        both = left is not None and right is not None
        for j in range(1, len(others) - 1):
            if case[j] is not upper:
                continue
            cand, ckey = others[j][0], keys[j]
            if ckey != key and (
                abs(len(ckey) - len(key)) > 1 or _il(ckey) == key_il or Levenshtein.distance(ckey, key) > 1
            ):
                continue
            l_ok = left is not None and keys[j - 1] == left
            r_ok = right is not None and keys[j + 1] == right
            if (l_ok and r_ok) or (not both and (l_ok or r_ok)):
                votes.setdefault(cand, []).append(others[j][1])
            elif (l_ok or r_ok) and ckey == key:
                votes.setdefault(cand, []).append(None)  # one-sided, marks only: never breaks a tie
        mine = 1 + len(votes.pop(core, []))
        if not votes:
            continue
        alt, seen = max(votes.items(), key=lambda kv: len(kv[1]))
        if len(seen) < mine or sum(len(v) == len(seen) for v in votes.values()) > 1:
            continue
        if len(seen) == mine:
            alt_conf = [c for c in seen if c is not None]
            weaker = core in conf and len(alt_conf) == len(seen) and conf[core] + 10 <= min(alt_conf)
            invalid = not is_vietnamese_word(core) and is_vietnamese_word(alt) and len(alt_conf) == len(seen)
            if not (weaker or invalid):
                continue
        lead = tokens[i][: tokens[i].index(core)]
        alt = alt.upper() if core.isupper() and len(core) > 1 else alt  # a caps subject stays in caps
        tokens[i] = lead.strip("/*") + alt + tokens[i][len(lead) + len(core) :]
    return _fix_il(" ".join(tokens))


# A place name follows its level word and is capitalised: "xã la Hlốp" is "xã Ia Hlốp" misread.
_PLACE_WORDS = (
    r"(?:xã|Xã|huyện|Huyện|tỉnh|Tỉnh|phường|Phường|thôn|Thôn|buôn|Buôn|bon|Bon|làng|Làng|ấp|Ấp|sông|Sông)"
)


def _fix_il(text: str) -> str:
    """ "xã la Hlốp" → "xã Ia Hlốp": a lower-case "l…" word inside a place name (after a level
    word, before a capitalised word) is a capital I read as l (Tesseract confuses them)."""
    return re.sub(rf"\b({_PLACE_WORDS}) l(?=[a-zà-ỹ]{{0,3}} [A-ZĐÀ-Ỹ])", r"\1 I", text)


def _vote_case(word: str) -> bool | None:
    """Whether ``word`` starts with a capital, or None where it cannot vote in :func:`_vote_words`
    (empty, or with a digit)."""
    if not word or any(c.isdigit() for c in word):
        return None
    return word[0].isupper()


def _il(key: str) -> str:
    return key.replace("l", "i")


# ---------------------------------------------------------------------------------------------
# agency, place, level


def _place_il_from_block(place: str, agency_lines: Sequence[str]) -> str:
    """ "Đắk MII" → "Đắk Mil" where the agency block reads "ĐẮK MIL": Tesseract confuses I and l, and
    where the two readings of the place differ only there, the one giving a real syllable wins.

    Only I/l/1 letters change; a word the block reads no better (or not at all) is kept as read.
    """
    words = place.split()
    block = [w.strip(",.;:") for w in " ".join(agency_lines).split()]
    n = len(words)
    pkey = _il_key(place)
    for i in range(len(block) - n + 1):
        window = block[i : i + n]
        if _il_key(" ".join(window)) != pkey:
            continue
        fixed = []
        for word, caps in zip(words, window, strict=True):
            w, c = nfc(word), nfc(caps)
            # A capital I (or 1) inside a mixed-case place word is a misread l or i.
            odd = any(ch in "I1" and w[j - 1] != "'" for j, ch in enumerate(w) if j)
            if len(w) != len(c) or not odd:
                fixed.append(word)
                continue
            out = "".join(
                (b.lower() if j else a) if a in "Il1i" and b in "IL1" else a
                for j, (a, b) in enumerate(zip(w, c, strict=True))
            )
            fixed.append(word if impossible_syllables(out) else out)
        return " ".join(fixed)
    return place


def _verify_place(place: str | None, header: _Header, all_text: str) -> str | None:
    """Keep the place only if the document confirms it (agency block or repeated in the text)."""
    if not place:
        return None
    place = _place_from_block(_place_il_from_block(place, header.agency_lines), header.agency_lines)
    place = _place_il_from_units(place)
    pkey = match_key(place)
    if len(pkey) < 2:
        return None
    block_key = match_key(" ".join(header.agency_lines))
    levels = ("tinh", "huyen", "xa", "phuong", "tran", "pho", "quan", "ubnd")
    padded = f" {block_key} "
    if f" {pkey} " in padded:
        # "XÃ IA HLỐP" read as the place "Hlốp": a place cut short is not the place.
        before = padded[: padded.index(f" {pkey} ")].split()
        if before and before[-1] not in levels:
            return None
        return place
    # Repeated in the text as a name of its own: "Jút" inside "Cư Jút" is not the place "Jút".
    whole = re.compile(r"(?<![\w'])" + re.escape(place) + r"(?![\w'])", re.IGNORECASE)
    count = sum(1 for m in whole.finditer(all_text) if not _after_name_word(all_text, m.start()))
    if count >= 2 or _block_place_cut(place, header.agency_lines):
        return place
    return _block_place_near(place, header.agency_lines)


def _place_il_from_units(place: str) -> str:
    """ "Đắk MII" → "Đắk Mil": a capital I (or 1) inside a word of the date line's place is an l or
    an i misread (Tesseract confuses them); where exactly one choice of l or i for those letters
    gives a unit's exact name, and the reading as it stands names none, that name is the place."""
    if place_spelling(place) is not None:
        return place
    slots = [
        (wi, j)
        for wi, word in enumerate(place.split())
        for j, ch in enumerate(word)
        if j and ch in "I1l" and word[j - 1] != "'" and (ch != "l" or "I" in word or "1" in word)
    ]
    if not slots or len(slots) > 4:
        return place
    found = set()
    for choice in itertools.product("il", repeat=len(slots)):
        words = [list(w) for w in place.split()]
        for (wi, j), ch in zip(slots, choice, strict=True):
            words[wi][j] = ch
        cand = " ".join("".join(w) for w in words)
        if place_spelling(cand) == "exact":
            found.add(cand)  # as printed: the list's casing is the GSO's ("Ia HLốp")
    return found.pop() if len(found) == 1 else place


def _block_place_cut(place: str, agency_lines: Sequence[str]) -> bool:
    """ "HUYỆN ĐẮK" over "Đắk Mil, ngày …": the agency line lost its last word(s) and the date line,
    which names the unit the agency sits in (NĐ 30/2020), starts with what is left of it. Only for
    a unit's exact name, and a head of three letters or more."""
    if place_spelling(place) != "exact":
        return False
    words = match_key(place).split()
    for name in _block_places(agency_lines):
        head = match_key(name).split()
        if 0 < len(head) < len(words) and words[: len(head)] == head and len("".join(head)) >= 3:
            return True
    return False


def _block_place_near(place: str, agency_lines: Sequence[str]) -> str | None:
    """ "Cuo Bằng" (a letter misread) under "TỈNH CAO BẰNG": the date line names the place the
    agency sits in (NĐ 30/2020), so a reading one letter off the block's place, where that place
    is a unit's exact name, is that place."""
    key = _loose_key(place)
    if len(key) < 6:
        return None
    for name in _block_places(agency_lines):
        if place_spelling(name) == "exact" and Levenshtein.distance(key, _loose_key(name)) <= 1:
            return _place_names()[_loose_key(name)][_spelling_key(name)]
    return None


def _after_name_word(text: str, pos: int) -> bool:
    """Whether the word right before ``pos`` is a capitalised word (so a name goes on before it)."""
    before = text[:pos].rstrip(" ")
    if len(before) == len(text[:pos]):
        return False
    prev = before.split()[-1] if before.split() else ""
    return (
        bool(prev) and prev[0].isupper() and prev[-1].isalpha() and match_key(prev) not in _PLACE_LEVEL_KEYS
    )


_PLACE_LEVEL_KEYS = {"tinh", "huyen", "xa", "phuong", "quan", "thi", "tran", "pho", "ubnd", "tp", "tx"}


def _canonical_agency_line(text: str) -> str:
    text = normalize_tone_placement(text)
    key = match_key(text)
    if key.startswith("ubnd"):
        return "UBND" + text[4:]
    words = text.split()
    for n in (4, 3, 5):
        if len(words) >= n and best_phrase(" ".join(words[:n]), [UBND], 0.8):
            rest = " ".join(words[n:])
            return f"{UBND} {_canonical_level(rest)}".strip()
    return text


def _canonical_level(text: str) -> str:
    words = text.split()
    for level, _ in _LEVELS:
        n = len(level.split())
        if n > 1 and level.startswith("THÀNH PHỐ ") and len(level.split()) > 2:
            continue
        head = " ".join(words[:n])
        exact = match_key(head) == match_key(level)
        if len(words) > n and (exact or (len(match_key(level)) >= 4 and best_phrase(head, [level], 0.8))):
            return " ".join([level, *words[n:]])
    return text


def _agency(lines: list[str], dia_danh: str | None, all_text: str = "") -> tuple[str | None, str | None]:
    """``(co_quan_ban_hanh, co_quan_chu_quan)``: the parent UBND line(s) split off a Sở/Phòng."""
    if not lines:
        return None, None
    split = None
    for i in range(1, len(lines)):
        first = match_key(lines[i]).split()
        if first and any(
            match_key(kind).split() == first[: len(kind.split())] for kind, _ in _SUB_AGENCY_LEVEL
        ):
            parent_key = match_key(" ".join(lines[:i]))
            if parent_key.startswith(("uy ban", "ubnd")):
                split = i
                break
    lines = [ln.rstrip(" ,.;:") for ln in lines]
    if split is None:
        agency = _canonical_agency_line(_join(lines))
        parent = ""
        if match_key(agency).startswith("ubnd "):
            # Only a parent line is abbreviated (NĐ 30/2020): the issuing agency's line was lost.
            return None, None
    else:
        agency = _canonical_kind(_join(lines[split:]))
        parent = _canonical_agency_line(_join(lines[:split]))
    agency = _unit_spelling(fix_admin_phrases(_fix_province(_fix_place_part(agency, dia_danh))), all_text)
    parent = fix_admin_phrases(_fix_province(_fix_place_part(parent, dia_danh))) if parent else parent
    parent = _unit_spelling(parent, all_text) if parent else parent
    if not _complete_agency(agency) or (parent and not _complete_agency(parent)):
        return None, None
    if not parent and agency.split()[0] in ("SỞ", "PHÒNG"):
        return agency, None  # a Sở or Phòng prints its parent above it (NĐ 30/2020): that line was lost
    return agency, parent


def _canonical_kind(name: str) -> str:
    """ "SƠ GIÁO DỤC…" → "SỞ GIÁO DỤC…": the kind word's marks are fixed, the rest is kept."""
    name = re.sub(r"(?<=[^\W\d_])-(?=[^\W\d_])", " - ", name)  # "SỞ-TƯ PHÁP": a hyphen glued on
    words = name.split()
    for kind, _ in _SUB_AGENCY_LEVEL:
        n = len(kind.split())
        if match_key(" ".join(words[:n])) == match_key(kind):
            rest = " ".join(words[n:]).lstrip(" -")
            # A Sở's or Phòng's department is one of a closed list: its letters name it, whatever
            # marks, hyphens or commas OCR lost or added ("TÀI CHÍNH KẾ HOẠCH"). A name ending on
            # a hyphen lost its last line ("TÀI CHÍNH -" of TÀI CHÍNH - KẾ HOẠCH): kept as cut.
            if kind in ("SỞ", "PHÒNG") and not rest.endswith(("-", ",")):
                dept = _DEPARTMENT_KEYS.get(re.sub(r"[^a-z]", "", match_key(rest)))
                if dept is not None:
                    return f"{kind} {dept.upper()}"
            return " ".join([kind, *rest.split()])
    return name


def _complete_agency(name: str) -> bool:
    """A People's Committee needs its level and place; anything else must start with a known kind."""
    key = match_key(name)
    if re.search(r"(?:[-,&]|\bva)$", key):
        return False  # "PHÒNG TÀI CHÍNH -": the name's last line was lost
    for prefix in ("uy ban nhan dan ", "ubnd "):
        if key.startswith(prefix):
            rest = key[len(prefix) :]
            return any(rest.startswith(match_key(level) + " ") for level, _ in _LEVELS)
    kinds = [match_key(kind) for kind, _ in _SUB_AGENCY_LEVEL] + ["hoi dong nhan dan"]
    return any(key.startswith(k + " ") for k in kinds) and len(key.split()) >= 2


# Departments of a province (Sở) and a district (Phòng) under NĐ 24/2014, 37/2014, 45/2025 and
# 150/2025: the name after the kind word, in lower case.
DEPARTMENTS: frozenset[str] = frozenset(
    (
        "nội vụ", "tư pháp", "kế hoạch và đầu tư", "tài chính", "công thương", "xây dựng", "y tế",
        "nông nghiệp và phát triển nông thôn", "nông nghiệp và môi trường", "giao thông vận tải",
        "tài nguyên và môi trường", "thông tin và truyền thông", "lao động - thương binh và xã hội",
        "văn hóa, thể thao và du lịch", "văn hóa và thể thao", "du lịch", "khoa học và công nghệ",
        "giáo dục và đào tạo", "ngoại vụ", "dân tộc và tôn giáo", "quy hoạch - kiến trúc",
        "tài chính - kế hoạch", "văn hóa và thông tin", "văn hóa - thông tin", "kinh tế",
        "kinh tế và hạ tầng", "kinh tế, hạ tầng và đô thị", "quản lý đô thị", "dân tộc",
        "văn hóa - xã hội", "giáo dục", "y tế",
    )
)  # fmt: skip
_DEPARTMENT_KEYS = {re.sub(r"[^a-z]", "", match_key(d)): d for d in DEPARTMENTS}
_LEVEL_WORDS = ("THÀNH PHỐ", "THỊ XÃ", "THỊ TRẤN", "TỈNH", "HUYỆN", "QUẬN", "PHƯỜNG", "XÃ", "TP.", "TX.")


def place_part(name: str) -> str | None:
    """The place words of a People's Committee or Council name ("… HUYỆN NGỌC HỒI" → "NGỌC HỒI")."""
    words = name.split()
    key = match_key(name)
    for prefix in ("uy ban nhan dan ", "ubnd ", "hoi dong nhan dan ", "hdnd "):
        if not key.startswith(prefix):
            continue
        rest = words[len(prefix.split()) :]
        for level in _LEVEL_WORDS:
            n = len(level.split())
            if len(rest) > n and match_key(" ".join(rest[:n])) == match_key(level):
                return " ".join(rest[n:])
    return None


def _spelling_key(text: str) -> str:
    """Upper case with marks, one tone placement, ' for every apostrophe, none of the spaces after it."""
    text = normalize_tone_placement(nfc(normalize_lookalikes(text)))
    return re.sub(r"'\s+", "'", re.sub(r"\s+", " ", text)).strip().upper()


def _loose_key(text: str) -> str:
    return re.sub(r"[\s'-]", "", match_key(normalize_lookalikes(text)))


@functools.cache
def _place_names() -> dict[str, dict[str, str]]:
    """Loose key → {spelling key: name} of Vietnam's administrative units (ocr/place_names.json)."""
    path = Path(__file__).with_name("place_names.json")
    out: dict[str, dict[str, str]] = {}
    for name in json.loads(path.read_text("utf-8"))["names"]:
        out.setdefault(_loose_key(name), {})[_spelling_key(name)] = name
    return out


def place_spelling(name: str) -> str | None:
    """ "exact" when some administrative unit is spelled so (marks and all), "variant" when one has
    the same letters with other marks ("NGỌC HÔI" for Ngọc Hồi: a misread mark), else None."""
    spellings = _place_names().get(_loose_key(name))
    if not spellings:
        return None
    return "exact" if _spelling_key(name) in spellings else "variant"


def _unit_spelling(name: str, all_text: str) -> str:
    """ "… HUYỆN EA HLEO" where no unit is spelled so, one unit has these letters ("Ea H'leo")
    and the text prints that unit's spelling in mixed case: the list and the text agree against
    the caps reading, whose marks and apostrophes Tesseract drops."""
    part = place_part(name)
    if part is None or place_spelling(part) != "variant":
        return name
    units = _place_names()[_loose_key(part)]
    if len(units) != 1:
        return name
    unit = next(iter(units.values()))
    mixed = re.search(r"(?<![\w'])" + re.escape(unit) + r"(?![\w'])", normalize_lookalikes(nfc(all_text)))
    if mixed is None:
        return name
    return name[: len(name) - len(part)] + _spelling_key(unit)


def _place_from_block(place: str, agency_lines: Sequence[str]) -> str:
    """ "Đák Wil" (no unit is spelled so) where the agency block reads "ĐẮK WIL" (one is): the
    caps reading and the list of units agree against the date line, so the unit's name is taken."""
    if place_spelling(place) != "variant":
        return place
    for name in _block_places(agency_lines):
        if _loose_key(name) == _loose_key(place) and place_spelling(name) == "exact":
            return _place_names()[_loose_key(name)][_spelling_key(name)]
    return place


def _block_places(agency_lines: Sequence[str]) -> list[str]:
    """The place names of the agency block's lines: what follows a level word ("TỈNH ĐẮK NÔNG",
    "UBND HUYỆN CƯ JÚT" → "ĐẮK NÔNG", "CƯ JÚT")."""
    out = []
    for line in agency_lines:
        words = line.strip(" ,.;:").split()
        while words and match_key(words[0]) in ("ubnd", "uy", "ban", "nhan", "dan"):
            words = words[1:]
        for level in _LEVEL_WORDS:
            n = len(level.split())
            if len(words) > n and match_key(" ".join(words[:n])) == match_key(level):
                out.append(" ".join(words[n:]))
                break
    return out


def _dept_initials(dept: str) -> str:
    return "".join(w[0] for w in normalize_lookalikes(dept).upper().split() if w[0].isalpha() and w != "VÀ")


def _agency_from_code(left_parts: Sequence[str], so: str, place: str | None) -> tuple[str, str | None] | None:
    """ "289/BC-STTTT" over a block read "Ù THÔNG TIN" | "VÀ#FRUYỀN THÔNG" (streaks): the ký hiệu's
    agency part is the code of one Sở or Phòng of the closed list (its kind letter and the
    initials of its department), and the left column above the Số line reads that name nearly
    (one to three lines, accents aside): the agency. Its parent is the line above when that line
    ends with "TỈNH"/"HUYỆN" and the date line's place ("UBNIỆTỈNH BÌNH PHƯỚC": "UBND TỈNH BÌNH
    PHƯỚC"), abbreviated as its few letters before the level word say."""
    if "/" not in so:
        return None
    pieces = {p.upper() for p in re.split(r"[-/]", normalize_lookalikes(so.split("/", 1)[1])) if p}
    found = {
        (kind, dept)
        for kind, letter in (("SỞ", "S"), ("PHÒNG", "P"))
        for dept in DEPARTMENTS
        if letter + _dept_initials(dept) in pieces
    }
    if len(found) != 1:
        return None
    kind, dept = found.pop()
    name = f"{kind} {dept.upper()}"
    parts = [_strip_junk(t) for t in left_parts]
    for i in range(len(parts)):
        for j in range(i + 1, min(i + 3, len(parts)) + 1):
            text = re.sub(r"[^\w\s-]", " ", " ".join(parts[i:j]))
            if similarity(text, name) >= 0.8 and similarity(" ".join(parts[i : j - 1]), name) < 0.8:
                return name, (_parent_line(parts[i - 1], kind, place) if i else None)
    return None


def _parent_line(text: str, kind: str, place: str | None) -> str | None:
    """The parent People's Committee line of a Sở/Phòng, read with its level word glued on or its
    abbreviation garbled: kept only where it ends on that level word and the confirmed place."""
    if not place:
        return None
    level = "TỈNH" if kind == "SỞ" else "HUYỆN"
    up = nfc(place).upper()
    m = re.search(r"(?<![\w'])" + re.escape(up) + r"(?![\w'])", nfc(text))
    if m is None:
        return None
    head = re.sub(r"[^a-z]", "", match_key(text[: m.start()]))
    if not head.endswith(match_key(level)):
        return None
    head = head[: -len(match_key(level))]
    if head.startswith("ubn") and len(head) <= 6:
        return f"UBND {level} {up}"
    if Levenshtein.normalized_similarity(head, "uybannhandan") >= 0.85:
        return f"{UBND} {level} {up}"
    return None


def department_cut_risk(name: str) -> bool:
    """Whether a Sở/Phòng's department is the start of a longer one ("TÀI CHÍNH" of "TÀI CHÍNH -
    KẾ HOẠCH"): with its second line lost it would read as the shorter name."""
    words = name.split()
    if not words or words[0] not in ("SỞ", "PHÒNG"):
        return False
    key = re.sub(r"[^a-z ]", "", match_key(" ".join(words[1:]))).split()
    for dept in DEPARTMENTS:
        other = re.sub(r"[^a-z ]", "", match_key(dept)).split()
        if len(other) > len(key) and other[: len(key)] == key:
            return True
    return False


def department_confirmed(name: str) -> bool:
    """A Sở or Phòng whose department name, marks included, is one of :data:`DEPARTMENTS`."""
    words = name.split()
    for kind in ("SỞ", "PHÒNG"):
        if words and words[0] == kind:
            rest = normalize_tone_placement(" ".join(words[1:])).lower()
            return re.sub(r"\s*-\s*", " - ", rest) in DEPARTMENTS
    return False


def _il_key(text: str) -> str:
    return match_key(text).replace("l", "i").replace("1", "i")


def _fix_place_part(agency: str, dia_danh: str | None) -> str:
    """Use the confirmed place name's spelling where the caps agency line reads it nearly alike.

    Tesseract drops stacked marks in caps ("SA THÂY") and confuses I/l; when the agency's last words
    and the place differ only so, the place (read in mixed case, more reliably) gives the spelling.
    """
    if not dia_danh:
        return agency
    if place_spelling(dia_danh) == "variant":
        return agency  # "Đák Wil" is no unit's spelling: it must not overwrite the caps reading
    place_up = dia_danh.upper()
    for prefix in (UBND, "UBND"):
        if agency.startswith(prefix + " "):
            rest = _il_key(agency[len(prefix) :]).replace(" ", "")
            for level, _ in _LEVELS:
                if rest == _il_key(level + place_up).replace(" ", ""):
                    return f"{prefix} {level} {place_up}"
    part = place_part(agency)
    if part and place_spelling(dia_danh) == "exact" and _block_place_cut(dia_danh, [agency]):
        # "… HUYỆN ĐẮK" (its last word lost) under the date line's "Đắk Mil": the unit it names.
        return agency[: len(agency) - len(part)] + place_up
    n = len(place_up.split())
    words = agency.split()
    if len(words) <= n:
        return agency
    tail = " ".join(words[-n:])
    if tail != place_up and _il_key(tail) == _il_key(place_up):
        return " ".join([*words[:-n], place_up])
    return agency


# Province-level names (before and after the 2025 mergers), to restore the marks Tesseract drops in caps.
PROVINCES: tuple[str, ...] = (
    "An Giang", "Bà Rịa - Vũng Tàu", "Bạc Liêu", "Bắc Giang", "Bắc Kạn", "Bắc Ninh", "Bến Tre",
    "Bình Dương", "Bình Định", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng",
    "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam",
    "Hà Nội", "Hà Tĩnh", "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa",
    "Kiên Giang", "Kon Tum", "Lai Châu", "Lạng Sơn", "Lào Cai", "Lâm Đồng", "Long An", "Nam Định",
    "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam",
    "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình",
    "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Huế", "Tiền Giang", "Hồ Chí Minh", "Trà Vinh",
    "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
)  # fmt: skip
_PROVINCE_KEYS = {_il_key(p).replace(" ", ""): p.upper() for p in PROVINCES}


def _fix_province(name: str) -> str:
    """ "ỦY BAN NHÂN DÂN TỈNH QUANG NGAI" → "… TỈNH QUẢNG NGÃI": a province name read without its
    marks (same letters, accents aside) takes its one true spelling."""
    m = re.search(r"\b(TỈNH|TINH|THÀNH PHỐ|THANH PHO)\s+(.+)$", name)
    if not m:
        return name
    canonical = _PROVINCE_KEYS.get(_il_key(m.group(2)).replace(" ", ""))
    if canonical is None:
        return name
    level = "TỈNH" if match_key(m.group(1)) == "tinh" else "THÀNH PHỐ"
    return f"{name[: m.start()]}{level} {canonical}"


def _level(agency: str | None, parent: str | None) -> Cap | None:
    if not agency:
        return None
    key = match_key(agency)
    for kind, cap in _SUB_AGENCY_LEVEL:
        if key.startswith(match_key(kind) + " "):
            if cap is not None:
                return cap
            return _level(parent, None) if parent else None
    for prefix in ("uy ban nhan dan ", "ubnd ", "hoi dong nhan dan "):
        if key.startswith(prefix):
            rest = key[len(prefix) :]
            for level, cap in _LEVELS:
                if rest.startswith(match_key(level) + " "):
                    return cap
    return None


# ---------------------------------------------------------------------------------------------
# signer


def _signer(lines: list[_Line]) -> tuple[str | None, str | None]:
    """``(nguoi_ky, chuc_vu_nguoi_ky)`` from the signer block at the end of the last page.

    Raw OCR puts the signer column to the right of the "Nơi nhận" items, so the office line is
    looked for in the right part of each of the last lines, not only right above the name. The
    office is the last title line that has no authority prefix (TM./KT./TL.); after "KT. X" it must
    be a deputy's title, and a second bare title line means a prefix was lost, so the reading is
    only trusted when it is consistent.
    """
    tail_lines = signer_tail(lines)
    tail = [ln.text for ln in tail_lines]
    name = None
    name_idx = len(tail)
    for i in range(len(tail) - 1, max(-1, len(tail) - 5), -1):
        candidate = _name(tail[i])
        if candidate:
            name_idx, name = i, candidate
            break
        if _office(_right_part(tail[i])) is not None:
            break
    if name is not None and not _name_on_axis(tail_lines, name_idx, name):
        name = None  # keep name_idx: the lines above are still the titles
    titles: list[tuple[str, str | None]] = []  # (authority prefix or "", office)
    title_at: list[int] = []
    office_at = -1
    for i, text in enumerate(tail[:name_idx]):
        title_at += [i - 1] * (len(titles) - len(title_at))  # the lines titles were read from
        right = _right_part(text)
        if not right:
            continue
        auth = _AUTHORITY.match(right)
        if auth:
            titles.append((auth.group(1).upper(), None))
            continue
        office = _office(right)
        if office:
            titles.append(("", office))
            office_at = i
        elif _holds_office(right) or _garbled_title(right):
            # "F _x KT CHỦ TỊCH": an authority line behind specks; "u HUy£ T, CHỦ TỊCH": a title
            # line read with junk, whose prefix (if any) is lost.
            inner = _AUTHORITY_INSIDE.search(right)
            titles.append((inner.group(1).upper(), None) if inner else ("?", None))
    title_at += [min(name_idx, len(tail)) - 1] * (len(titles) - len(title_at))
    # A garbled line only counts within the signer block: after its first clean title line, or
    # right above the office (a body line "TIỆM VÀNG BẠC TRƯỜNG SƠN" far above is no title).
    first_clean = next((title_at[k] for k, t in enumerate(titles) if t[0] != "?"), name_idx)
    titles = [
        t
        for k, t in enumerate(titles)
        if t[0] != "?" or title_at[k] > first_clean or 0 <= office_at - title_at[k] <= 2
    ]
    if not titles or titles[-1][1] is None:
        return name, None
    office = titles[-1][1]
    if any(t[0] == "?" for t in titles) and not office.startswith("PHÓ "):
        return name, None  # a garbled title line ("KT. CHỦ TỊCH"?) may change whose office it is
    before = titles[-2] if len(titles) >= 2 else None
    if before is not None:
        deputy = office.startswith(("PHÓ ", "CHÁNH ")) or before[0] in ("TL", "TUQ")
        if before[0] == "KT" and not office.startswith("PHÓ "):
            return name, None
        if before[0] == "" and not deputy:
            return name, None
    if (
        name is not None
        and signer_axis_offset(tail_lines[office_at], tail_lines[name_idx], office, name) > 0.5
    ):
        return name, None  # the office line is off the block's axis: words of it were lost
    return name, office


def _garbled_title(text: str) -> bool:
    """A caps line that reads as part of a title ("PHO …"; "NÑ PHÒNG": "CHÁNH VĂN PHÒNG" under the
    seal): a word of an office name of four letters or more, in a line of at most six words."""
    if not _is_upper_line(text):
        return False
    words = re.sub(r"[^a-z ]", " ", match_key(text)).split()
    if words[:1] == ["pho"]:
        return True
    return len(words) <= 6 and any(len(w) >= 4 and w in _OFFICE_WORDS for w in words)


def _holds_caps_title(text: str) -> bool:
    """A caps line holding an office or "ỦY BAN NHÂN DÂN" (read with junk around it)."""
    return (
        bool(text)
        and _is_upper_line(text)
        and (_holds_office(text) or find_phrase(text, UBND, 0.85) is not None)
    )


def _name_on_axis(tail_lines: Sequence[_Line], name_idx: int, name: str) -> bool:
    """Whether the name line is centred like a title line of its block (TM./KT. line or office):
    a name that lost a word under the signature ("Văn Quyết" for "Hoàng Văn Quyết") sits off it.
    True when no title line with boxes is there to tell."""
    name_line = tail_lines[name_idx]
    checked = False
    titles = [
        ln
        for ln in tail_lines[:name_idx]
        if _AUTHORITY.match(_right_part(ln.text)) or _office(_right_part(ln.text))
    ]
    if not titles:  # no clean title line: a caps line of the block ("M ỦY BAN NHÂN DÂN") tells
        titles = [
            ln
            for ln in tail_lines[max(0, name_idx - 6) : name_idx]
            if _holds_caps_title(_right_part(ln.text))
        ]
    for ln in titles:
        right = _right_part(ln.text)
        if signer_axis_offset(ln, name_line, right, name) <= 0.5:
            return True
        checked = checked or bool(_words_within([ln], right)) and bool(ln.words)
    return not checked


# An authority prefix inside a line, after specks, and followed by a title in caps.
_AUTHORITY_INSIDE = re.compile(r"(?:^|\s)(TM|KT|TL|TUQ)\s*[.,:]?\s+(?=[A-ZĐÀ-Ỹ]{2,})")


def signer_axis_offset(office_line: _Line, name_line: _Line, office: str, name: str) -> float:
    """How far (in line heights) the office's words are centred off the name's: the lines of a
    signer block are centred on one axis (NĐ 30/2020), so a title that lost a word ("PHÓ" under
    the seal) sits off it. 0.0 when the lines have no boxes to tell."""
    office_words = _words_within([office_line], office)
    name_words = _words_within([name_line], name)
    if not office_words or not name_words:
        return 0.0
    a, b = office_words[0].words, name_words[0].words
    if not a or not b:
        return 0.0

    h = statistics.median(w.height for w in (*a, *b)) or 1
    return abs(_centre_x(a) - _centre_x(b)) / h


def signer_tail(lines: Sequence[_Line], n: int = 16) -> list[_Line]:
    """The last ``n`` lines of the last page that are not OCR specks: a seal, a signature or
    bleed-through under the signer block come out as runs of one- or two-letter "lines" that
    would push the block out of a fixed window. Pieces of one printed line that OCR read as two
    lines side by side ("Hoàng" | "Văn Quyết") are joined."""
    kept = [ln for ln in lines if not _is_speck_line(ln)][-n - 4 :]
    out: list[_Line] = []
    for ln in kept:
        for j in range(len(out) - 1, max(-1, len(out) - 4), -1):
            if _same_row_pieces(out[j], ln):
                words = tuple(sorted((*out[j].words, *ln.words), key=lambda w: w.left))
                out[j] = _Line(_clean(" ".join(w.text for w in words)), out[j].para, words)
                break
        else:
            out.append(ln)
    return out[-n:]


def _same_row_pieces(a: _Line, b: _Line) -> bool:
    """Two word runs on one row with no more than a word gap between them."""
    if not a.words or not b.words:
        return False
    h = statistics.median(w.height for w in (*a.words, *b.words))
    top = max(min(w.top for w in a.words), min(w.top for w in b.words))
    bottom = min(max(w.top + w.height for w in a.words), max(w.top + w.height for w in b.words))
    if bottom - top < 0.5 * h:
        return False
    a0, a1 = min(w.left for w in a.words), max(w.left + w.width for w in a.words)
    b0, b1 = min(w.left for w in b.words), max(w.left + w.width for w in b.words)
    gap = max(b0 - a1, a0 - b1)
    return 0 <= gap <= 1.0 * h


def _is_speck_line(ln: _Line) -> bool:
    letters = sum(c.isalpha() for c in _strip_trailing_junk(ln.text))
    if letters < 3:
        return True
    # Words of a seal's ring or a signature's strokes: all read with low confidence.
    return bool(ln.words) and max(w.confidence for w in ln.words) < 50


def _name(text: str) -> str | None:
    text = _strip_trailing_junk(text).strip(" .\"'“”‘’`*")
    words = text.split()
    if not 2 <= len(words) <= 6:
        return None
    if any(not _is_name_word(w) for w in words):
        return None
    # Words of a name are Vietnamese syllables; a caps office line or "Lưu: VT" is not a name.
    if is_upper_text(text, 0.8) or ":" in text:
        return None
    return text


def _is_name_word(word: str) -> bool:
    """A capitalised syllable: "Thị", "Yă", or with an apostrophe "H'Bia", "K'Ré"."""
    parts = word.split("'")
    if len(parts) > 2 or not all(p.isalpha() for p in parts if p) or not parts[-1]:
        return False
    if not word[0].isupper() or not is_vietnamese_word(word):
        return False
    # A vowel, and no run of more than three consonants ("Nghiêm", "Mdrang", "Êban" are names):
    # "Smsmff" is a signature's strokes read as letters.
    for p in parts:
        key = match_key(p).replace("đ", "d")
        if len(key) > 1 and (not re.search(r"[aeiouy]", key) or re.search(r"[^aeiouy]{4}", key)):
            return False
    return all(p[1:].islower() or len(p) <= 1 for p in parts if p)


def _words_within(lines: Sequence[_Line], value: str | None) -> list[_Line]:
    """Like :func:`_lines_within`, but each line cut to the words that spell part of ``value``
    ("ˆ PHÓ GIÁM ĐỐC": the speck's confidence is not the office's)."""
    if not value:
        return []
    key = f" {match_key(' '.join(_clean_token(t) for t in value.split()))} "
    out = []
    for ln in lines:
        words = tuple(
            w for w in ln.words if f" {match_key(_clean_token(w.text))} " in key and _clean_token(w.text)
        )
        k = match_key(" ".join(_clean_token(w.text) for w in words))
        real = [w for w in ln.words if sum(_is_word_char(c) for c in w.text) >= 2]
        if words and len(k) >= 3 and f" {k} " in key and len(words) >= 0.6 * len(real):
            out.append(_Line(" ".join(w.text for w in words), ln.para, words))
        elif not ln.words:
            out += _lines_within([ln], value)
    return out


def _clean_token(token: str) -> str:
    """A word without the specks OCR glued to its ends ('"TL.', "*CHÁNH", "Tuyết,")."""
    start, end = 0, len(token)
    while start < end and not _is_word_char(token[start]):
        start += 1
    while end > start and not _is_word_char(token[end - 1]) and token[end - 1] != "'":
        end -= 1
    return token[start:end]


def _right_part(text: str) -> str:
    """The signer-column part of a line that may start with a "Nơi nhận" item (and without the
    specks OCR put before it)."""
    key = match_key(text)
    if key.startswith(("noi nhan", "luu")) or text.lstrip().startswith(("-", "=", "+")):
        m = re.search(r"[;:.]\s*(?=[^;:]*$)", text)
        if not m:
            rest = text.lstrip("-=+ ~")
            return rest if _is_upper_line(rest) and not key.startswith(("noi nhan", "luu")) else ""
        right = text[m.end() :]
        right = re.sub(r"^[^A-ZĐÀ-Ỹ]*(?=[A-ZĐÀ-Ỹ])", "", right)
        return right.strip(" >")
    # '"TL. CHỦ TỊCH', "ˆ PHÓ GIÁM ĐỐC": specks before the line's first letter.
    start = 0
    while start < len(text) and not _is_word_char(text[start]):
        start += 1
    return text[start:].strip()


def _holds_office(text: str) -> bool:
    """An office name in caps inside a line with other readings around it (a garbled title line)."""
    for o in OFFICES:
        if len(o) < 8:
            continue
        span = find_phrase(text, o, 0.85)
        if span is not None and is_upper_text(text[span[0] : span[1]], 0.9):
            return True
    return False


def _office(text: str) -> str | None:
    text = _strip_junk(_strip_trailing_junk(text))
    if not text or not _is_upper_line(text):
        return None
    hit = best_phrase(text, OFFICES, 0.75)
    # A reading that lost its first letters may have lost a "PHÓ" too: only trust a clean start.
    if hit and match_key(text)[:2] == match_key(hit[0])[:2]:
        return hit[0]
    words = match_key(text).split()
    if 2 <= len(words) <= 6 and all(w in _OFFICE_WORDS for w in words):  # "TỊCH" alone lost a word
        return normalize_tone_placement(text)
    return None
