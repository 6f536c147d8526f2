"""Whether a trích yếu was read whole: layout checks on the subject's lines (NĐ 30/2020).

The subject sits under the type name (or, in a công văn, under the Số line as "V/v …"), its lines
centred (or flush) one under the other at the line pitch, a short rule or a clear gap under them
before the body. OCR that loses a line's end, a whole line or a word leaves the rest a valid,
fluent subject that no spelling check catches ("V/v xác nhận nguồn gốc, thời điểm sử" for "… sử
dụng đất của hộ ông Y Thuôn Êban"). So the subject is held back (:func:`read_in_part`) when:

* text the parser left out sits on the subject's rows or right under its last line, closer than
  a paragraph gap (:func:`_left_out_line`): a line end read as a block of its own, a wrapped line
  OCR put in another paragraph;
* a row of it holds ink that no word box covers between two words (also two pieces OCR split
  the row into) or just past its ends (:func:`_unread_ink`), or two of its words stand a line
  height and a half apart (:func:`_wide_gap`): a word or a line end Tesseract dropped, or a speck
  read as a letter;
* a word carries a stop, comma or dash glued to its front (".TÌNH", "-đất"), a lone dash starts a
  wrapped line, a quote mark is left unpaired or a wrapped row ends on a full stop after a
  lower-case word (:func:`_stray_text`, :func:`_stray_rows`): a speck read as a mark, so the word next to it is read
  from smudged ink too.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

import numpy as np

from ocr import metadata as md

INK_LEVEL = 90  # gray level (0 black, 255 paper): darker is printed ink
# Gap from a subject's last line to the next line of text, in line heights: wrapped lines of one
# paragraph are ~0.3 apart; the body, "Kính gửi" or the issuer's caps line start a line or more
# below (a rule sits between).
NEXT_LINE_GAP = 0.8
# A gap between two words of a line wider than this (line heights) is no word space (~0.3).
WORD_GAP = 1.0
# A gap this wide (line heights) between two words of a row is no word space even without ink in
# it (a word lost to a streak or blur, or a speck read as a letter beside the line: "Nhung s").
WIDE_GAP = 1.5
# Inked columns in such a gap, in line heights, that make a word ("Thị" at 300 dpi: 1.0).
INK_WIDTH = 0.6
# Past a row's ends, this many line heights are looked at, and this many inked columns there
# make a lost line end (a speck is at most 18 px, under a line height at 150 dpi and up).
END_WINDOW = 2.0
END_INK = 1.0
# Ink this close to a word box (line heights) is that word's, clipped from its box (a letter a
# streak crosses); a dropped word stands a word space off its neighbours.
EDGE = 0.25


def _box(words: Sequence) -> tuple[int, int, int, int]:
    return (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.left + w.width for w in words),
        max(w.top + w.height for w in words),
    )


def _height(lines: Sequence[md._Line]) -> float:
    return float(statistics.median(w.height for ln in lines for w in ln.words))


def _noise_line(ln: md._Line) -> bool:
    """A speck or a mark read as a line of its own (no text of a subject)."""
    text = md._strip_trailing_junk(ln.text)
    return len(re.sub(r"\W", "", text)) <= 2 or md._speck_word_line(ln)


def subject_block(subject_lines: Sequence[md._Line], type_line: md._Line | None) -> list[md._Line]:
    """The subject's own lines, top to bottom: from the type name (or "V/v") down, the first and
    those following it each within a line pitch (an agency line "XÃ BỜ Y" above, or a body line
    further down, that repeats the subject's words is no line of it)."""
    if not subject_lines or not all(ln.words for ln in subject_lines):
        return []
    start = _box(type_line.words)[1] if type_line is not None and type_line.words else 0
    lines = sorted(
        (ln for ln in subject_lines if _box(ln.words)[1] >= start), key=lambda ln: _box(ln.words)[1]
    )
    if not lines:
        return []
    h = _height(lines)
    out = [lines[0]]
    for ln in lines[1:]:
        if _box(ln.words)[1] - _box(out[-1].words)[3] > NEXT_LINE_GAP * h:
            break
        out.append(ln)
    return out


def read_in_part(
    image: np.ndarray | None,
    head: Sequence[md._Line],
    raw: str,
    subject: str,
    subject_lines: Sequence[md._Line],
    type_line: md._Line | None,
    *,
    flush_left: bool,
) -> bool:
    """Whether the subject was read only in part, by any check of this module's docstring.

    ``image``: page 1's pixels the word boxes refer to (None: the ink check is skipped);
    ``head``: the page's first lines; ``raw``: the subject as the header parse joined it, and
    ``subject`` as filed; ``flush_left``: a công văn's "V/v" block in the left column, whose rows
    the header's right column shares (only lines over the block's columns count)."""
    lines = subject_block(subject_lines, type_line)
    if not lines:
        return _stray_text(subject)
    h = _height(lines)
    # The type name's words count too: a one-word line's box may hold a speck or a streak.
    typed = [type_line] if type_line is not None and type_line.words else []
    h_typed = _height([*lines, *typed])
    return (
        _left_out_line(head, raw, lines, type_line, h, flush_left=flush_left) is not None
        or (image is not None and _unread_ink(image, lines, head, h_typed))
        or _wide_gap(lines, h_typed)
        or _stray_text(subject)
        or _stray_rows(lines, h)
    )


def _left_out_line(
    head: Sequence[md._Line],
    subject: str,
    subj: Sequence[md._Line],
    type_line: md._Line | None,
    h: float,
    *,
    flush_left: bool,
) -> md._Line | None:
    """The first line of ``head`` the subject does not hold that lies on the subject's rows
    (``subj``, line height ``h``) or under its last line closer than a paragraph gap (None: there
    is none). Specks, lines whose words the subject (``subject``, as parsed) holds, the body's
    first line and a form's label line do not count."""
    x0, top, x1, bottom = _box([w for ln in subj for w in ln.words])
    own = {id(w) for ln in (*subj, *([type_line] if type_line is not None else [])) for w in ln.words}
    key = f" {md.match_key(subject)} "
    for ln in head:
        if not ln.words or any(id(w) in own for w in ln.words) or _noise_line(ln):
            continue
        text = md._drop_stray_stops(md._strip_trailing_junk(ln.text))
        if f" {md.match_key(text)} " in key:
            continue  # read into the subject ("2024" of "… năm 2024" on a line of its own)
        if (md._is_body_start(text) and not text[:1].islower()) or ":" in " ".join(text.split()[:5]):
            continue  # the body's first line or a form's label ("Mã số hộ kinh doanh: …")
        lx0, lt, lx1, lb = _box(ln.words)
        if flush_left and (lx1 <= x0 or lx0 >= x1):
            continue
        mid = (lt + lb) / 2
        if top <= mid <= bottom or (mid > bottom and lt - bottom < NEXT_LINE_GAP * h):
            return ln
    return None


def _unread_ink(image: np.ndarray, lines: Sequence[md._Line], head: Sequence[md._Line], h: float) -> bool:
    """Whether a row of the subject (its lines on one row, as OCR may split a row into pieces)
    has ink no word box covers: a word's width between two of its words (a dropped word) or a
    line height of it just past the row's ends (a lost line end). Columns inked over the whole
    band and a line height above and below it are a toner streak, not a word; the words of
    ``head`` (the page's other lines) are read ink."""
    gray = image if image.ndim == 2 else image.mean(axis=2)
    read = [w for ln in (*lines, *head) for w in ln.words]
    for row in _rows(lines, h):
        words = sorted(row, key=lambda w: w.left)
        _, top, _, bottom = _box(words)
        for a, b in zip(words, words[1:], strict=False):
            gx0, gx1 = int(a.left + a.width + EDGE * h), int(b.left - EDGE * h)
            if (
                gx1 - gx0 >= (WORD_GAP - 2 * EDGE) * h
                and _ink_columns(gray, gx0, gx1, top, bottom, h) >= INK_WIDTH * h
            ):
                return True
        first, last = words[0], words[-1]
        for x0, x1 in (
            (int(first.left - END_WINDOW * h), int(first.left - EDGE * h)),
            (int(last.left + last.width + EDGE * h), int(last.left + last.width + END_WINDOW * h)),
        ):
            x0, x1 = max(0, x0), min(gray.shape[1], x1)
            if x1 - x0 >= END_INK * h and _ink_columns(gray, x0, x1, top, bottom, h, read) >= END_INK * h:
                return True
    return False


def _wide_gap(lines: Sequence[md._Line], h: float) -> bool:
    """Whether two neighbouring words of a subject row (each with a letter or digit) stand
    :data:`WIDE_GAP` line heights apart: no typeset row spaces its words so (a word lost without
    a trace of ink, or a speck read as a letter beside the row: "Nhung s"). Needs no image."""
    for row in _rows(lines, h):
        words = sorted(row, key=lambda w: w.left)
        for a, b in zip(words, words[1:], strict=False):
            if b.left - (a.left + a.width) >= WIDE_GAP * h and _has_letter(a.text) and _has_letter(b.text):
                return True
    return False


def _has_letter(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _rows(lines: Sequence[md._Line], h: float) -> list[list]:
    """The subject lines' words by row: lines whose middles lie within half a line are one row."""
    rows: list[tuple[float, list]] = []
    for ln in lines:
        _, top, _, bottom = _box(ln.words)
        mid = (top + bottom) / 2
        for i, (m, ws) in enumerate(rows):
            if abs(m - mid) <= 0.5 * h:
                rows[i] = (m, ws + list(ln.words))
                break
        else:
            rows.append((mid, list(ln.words)))
    return [ws for _, ws in rows]


def _ink_columns(
    gray: np.ndarray, x0: int, x1: int, top: int, bottom: int, h: float, read: Sequence = ()
) -> int:
    """Inked columns between ``x0`` and ``x1`` over the rows of a line that no word box of
    ``read`` covers and no toner streak explains."""
    band = gray[max(0, top) : bottom, x0:x1] < INK_LEVEL
    if band.size == 0:
        return 0
    for w in read:  # ink a word box covers is read
        band[
            max(0, w.top - top) : max(0, w.top + w.height - top),
            max(0, w.left - x0) : max(0, w.left + w.width - x0),
        ] = False
    cols = band.sum(axis=0) >= 2
    reach = int(h)
    above = gray[max(0, top - reach) : max(0, top - reach // 2), x0:x1] < INK_LEVEL
    below = gray[bottom + reach // 2 : bottom + reach, x0:x1] < INK_LEVEL
    if above.size and below.size:
        streak = above.any(axis=0) & below.any(axis=0) & (band.sum(axis=0) >= 0.8 * band.shape[0])
        cols &= ~streak
    return int(cols.sum())


_GLUED_FRONT = re.compile(r"(?:^|\s)[-.,;:]+[^\W\d_]")


def _stray_text(subject: str) -> bool:
    """A stop, comma or dash glued to a word's front (".TÌNH", "-đất") or an odd number of quote
    marks: no printed trích yếu has them."""
    return bool(_GLUED_FRONT.search(subject)) or sum(subject.count(q) for q in '"“”') % 2 == 1


def _stray_rows(lines: Sequence[md._Line], h: float) -> bool:
    """A lone dash starting a wrapped line, or a full stop ending a wrapped row after a
    lower-case word ("… đối với hộ bà." over "Nguyễn Thị Hồng Nhung"): a trích yếu is no
    sentence, the dot is a speck."""
    if any(ln.text.split()[:1] == ["-"] for ln in lines[1:]):
        return True
    ends = [max(ws, key=lambda w: w.left + w.width).text for ws in _rows(lines, h)[:-1]]
    return any(e.endswith(".") and e[:-1].isalpha() and e[:-1].islower() and len(e) > 2 for e in ends)
