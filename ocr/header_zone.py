"""A second reading of page 1's agency block and "Số:" line when the page's OCR lost them.

NĐ 30/2020 puts the issuing agency (under its parent) and the "Số: …" line in the top-left
corner. A toner streak or specks over that corner can make Tesseract's page layout take the
block for a picture and drop it, or read the number token unsurely. Here only that corner is
read again, thresholded at the page's own ink level (:func:`ocr.signer_zone.ink_level`: lighter
streak and speck pixels vanish), as one block of text (psm 6), and it is merged as the signer
re-read is (:func:`ocr.signer_zone.merge_zone`), with one rule of its own for digits:

* the number is never taken from the second reading. A re-read of digits under a streak comes
  back confidently wrong ("480/…" at 88 for a blotted 460): it only confirms the page's own
  reading, raising its confidence when it spells the same ký hiệu, surely;
* agency lines are filled in only above the number's row, where the page's reading has no sure
  line; the agency lexicon and the block's structure in :mod:`ocr.metadata` judge them.

It runs only on a first page whose first reading shows no agency block, or no ký hiệu, or an
unsure one: the header parse it needs is the one :func:`ocr.fields.reread_date_line` makes.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections.abc import Callable

import numpy as np

from ocr import metadata as md
from ocr.signer_zone import (
    DISAGREE_CONFIDENCE,
    REREAD_BLOCK,
    _overlap,
    _zone_page,
    ink_level,
    merge_zone,
    zone_rows,
)
from schemas.documents import OcrWord

ENABLED = True
PSM = 6  # one uniform block: the agency lines and the Số line
SURE_NUMBER = 80.0  # a ký hiệu word read this surely needs no second reading (ocr.fields files at 0.80)
ZONE_RIGHT = 0.5  # without a date line on the Số row, the left column ends at this share of the width
ZONE_RIGHT_RANGE = (0.4, 0.6)
ZONE_BOTTOM = 0.22  # without a Số or date line, the header band ends at this share of the height
ZONE_BELOW = 1.5  # line heights below the Số/date row
GARBLED_BELOW = 60.0  # see _garbled
HEADER_BLOCK = 500  # added to the re-read's block numbers: apart from the signer re-read's lines
FIRST_BLOCK = REREAD_BLOCK + HEADER_BLOCK  # block numbers of this re-read's words start here


def page_header(image: np.ndarray, words: list[OcrWord], *, dpi: int) -> tuple[list[md._Line], md._Header]:
    """Page 1's lines and header as :mod:`ocr.metadata` parses them from ``words`` (boxes of ``image``)."""
    height, width = image.shape[:2]
    lines = md._lines_from_words(_zone_page(words, width, height, dpi))
    return lines, md._parse_header(lines)


def header_needs_reread(lines: list[md._Line], header: md._Header) -> tuple[bool, bool]:
    """``(agency missing, ký hiệu unsure)`` for page 1's parsed header, as :mod:`ocr.fields`
    would judge them. The agency is missing when no block makes a complete agency
    (:func:`ocr.metadata._agency`: a line was lost). The ký hiệu is unsure when its digit words
    are read below :data:`SURE_NUMBER` and the page does not vouch for it otherwise (a token
    whose type and agency codes agree with the page and that is typeset like its "Số:" is
    filed anyway); a number filled into a printed blank by hand is no print to read again, and
    a Số line without a number has nothing to confirm (a number is never taken from the re-read)."""
    from ocr import fields

    all_text = "\n".join(ln.text for ln in lines)
    agency = md._agency(header.agency_lines, header.place, all_text)[0]
    if agency is None and header.so_ky_hieu:  # as ocr.metadata._parse: the ký hiệu's agency code
        agency = (md._agency_from_code(header.left_parts, header.so_ky_hieu, header.place) or (None,))[0]
    so_line, so = header.so_line, header.so_ky_hieu
    if so_line is None or so is None or fields._number_in_blank(so_line):
        return agency is None, False
    digits = [w for w in so_line.words if any(c.isdigit() for c in w.text)]
    if not digits or min(w.confidence for w in digits) >= SURE_NUMBER:
        return agency is None, False
    vouched = (
        fields._notation_check(so, header.doc_type, agency) == "agree"
        and fields._token_shape(so_line, lines) == "normal"
    )
    return agency is None, not vouched


def reread_header_zone(
    image: np.ndarray,
    words: list[OcrWord],
    *,
    dpi: int,
    recognize: Callable[[np.ndarray], list[OcrWord]],
    parsed: tuple[list[md._Line], md._Header] | None = None,
) -> list[OcrWord] | None:
    """The page's words with the header zone read again, or None when no second reading was
    needed or it added nothing. ``image`` is the gray OCR image the ``words`` boxes refer to;
    ``recognize`` reads a bilevel crop as one block of text (Tesseract psm 6); ``header`` is
    the page's :func:`page_header` when the caller has it already."""
    if not ENABLED or image.ndim != 2 or not words:
        return None
    height, width = image.shape
    lines, header = parsed if parsed is not None else page_header(image, words, dpi=dpi)
    no_agency, unsure_number = header_needs_reread(lines, header)
    if not (no_agency or unsure_number):
        return None
    zone = header_zone(header, words, width, height)
    x0, y0, x1, y1 = zone
    level = ink_level(image, words)
    crop = np.where(image[y0:y1, x0:x1] < level, 0, 255).astype(np.uint8)
    if not (crop == 0).any():
        return None
    found = recognize(crop)
    if not found:
        return None
    out = list(words)
    changed = False
    if unsure_number:
        confirmed = _confirm_number(out, header, found, x0, y0)
        changed = confirmed is not None
        out = confirmed or out
    if no_agency:
        filled = _fill_agency(out, header, found, zone)
        changed = changed or filled is not None
        out = filled or out
    return out if changed else None


def header_zone(
    header: md._Header, words: list[OcrWord], width: int, height: int
) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the top-left corner of page 1 down to just under the Số row (the
    Số line's or the date line's, whichever the first reading found), and across to where the
    date line starts (or :data:`ZONE_RIGHT` of the width)."""
    h = statistics.median(w.height for w in words if w.height > 0)
    row = header.so_line or header.date_line
    if row is not None and row.words:
        y1 = int(max(w.top + w.height for w in row.words) + ZONE_BELOW * h)
    else:
        y1 = int(ZONE_BOTTOM * height)
    right = ZONE_RIGHT * width
    date = header.date_line
    if date is not None and date.words:
        right_words = [w.left for w in date.words if w.left > ZONE_RIGHT_RANGE[0] * width]
        if right_words:
            right = min(right_words) - 0.5 * h
    lo, hi = (f * width for f in ZONE_RIGHT_RANGE)
    x1 = int(min(max(right, lo), hi))
    return 0, 0, x1, min(height, y1)


def _notation_key(text: str) -> str:
    return re.sub(r"\s+", "", md.normalize_lookalikes(text)).upper()


def _confirm_number(
    words: list[OcrWord], header: md._Header, found: list[OcrWord], x0: int, y0: int
) -> list[OcrWord] | None:
    """``words`` with the ký hiệu's digit words as sure as a second reading of the Số row that
    spells the same ký hiệu, every digit word of it read at least :data:`SURE_NUMBER`; None when
    no such reading (the number itself is never taken from it)."""
    so_line = header.so_line
    if so_line is None or header.so_ky_hieu is None:
        return None
    top = min(w.top for w in so_line.words)
    bottom = max(w.top + w.height for w in so_line.words)
    for row in (sorted(ws, key=lambda w: w.left) for ws in zone_rows(found, x0, y0).values()):
        mid = statistics.median(w.top + w.height / 2 for w in row)
        if not top <= mid <= bottom:
            continue
        parsed = md._parse_so(" ".join(w.text for w in row))
        if parsed is None or _notation_key(parsed[0]) != _notation_key(header.so_ky_hieu):
            continue
        digits = [w for w in row if any(c.isdigit() for c in w.text)]
        if not digits or min(w.confidence for w in digits) < SURE_NUMBER:
            continue
        sure = min(w.confidence for w in digits)
        mine = {(w.text, w.left, w.top) for w in so_line.words if any(c.isdigit() for c in w.text)}
        return [
            dataclasses.replace(w, confidence=max(w.confidence, sure))
            if (w.text, w.left, w.top) in mine
            else w
            for w in words
        ]
    return None


def _fill_agency(
    words: list[OcrWord], header: md._Header, found: list[OcrWord], zone: tuple[int, int, int, int]
) -> list[OcrWord] | None:
    """``words`` with the zone's rows above the Số row read again (:func:`ocr.signer_zone.merge_zone`:
    the page's sure lines stay), or None when the second reading has no line there. A word with
    a digit is held unsure: a number is never taken from the second reading."""
    x0, y0, x1, y1 = zone
    row = header.so_line or header.date_line
    if row is not None and row.words:
        y1 = min(w.top for w in row.words)
    # Words cut by the zone's right edge are dropped, as merge_zone drops those cut by its left.
    above = [w for w in found if w.top + y0 + w.height <= y1 and w.left + w.width < x1 - x0 - 2]
    if not above or any(_garbled(w) for w in above):
        return None
    above = [
        dataclasses.replace(
            w,
            block=w.block + HEADER_BLOCK,
            confidence=min(w.confidence, DISAGREE_CONFIDENCE)
            if any(c.isdigit() for c in w.text)
            else w.confidence,
        )
        for w in above
    ]
    merged = merge_zone(words, above, (x0, y0, x1, y1))
    if merged is None:
        return None
    # A re-read word over a first-pass word left standing outside the zone (the motto's "CỘNG"
    # the zone's right edge cut into "C{") is no reading of the agency block.
    mine = {id(w) for w in words}
    standing = [w for w in merged if id(w) in mine]
    merged = [w for w in merged if id(w) in mine or not any(_overlap(w, s) for s in standing)]
    if not any(w.block >= REREAD_BLOCK for w in merged):
        return None
    return merged


def _garbled(w: OcrWord) -> bool:
    """A word of three letters or more the second reading could not read surely: part of an
    agency line is lost under the streak ("TÀÄÊHÍNH" at 26 for "TÀI CHÍNH"). The issuing agency
    is the block's last line, so a block filled around a lost line would file its parent."""
    return sum(c.isalpha() for c in w.text) >= 3 and w.confidence < GARBLED_BELOW
