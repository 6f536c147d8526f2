"""Synthetic sample scans of Vietnamese administrative documents, made by the project itself.

``make demo`` and the end-to-end tests need scans whose true text and metadata are known, and
no real citizen's paper may ship with an open-source repository.  So we typeset documents laid
out per Nghị định 30/2020/NĐ-CP (agency block and national motto, ``Số: …`` and the italic
place-and-date line, type name and trích yếu, body, ``Nơi nhận:`` and the signer block with a
red seal and a blue signature) in Liberation Serif 2 (Times New Roman metrics), then degrade
them like office scans (skew, noise, blur, uneven light, JPEG artefacts).

Everything here is pure and deterministic for a given spec and seed: functions return arrays or
bytes and only :func:`write_samples` touches the disk.  Line breaking is done in a fixed
reference resolution (300 dpi) so that the ground-truth text of each rendered line does not
depend on the dpi a page is rasterized at.

All names of people, businesses, numbers and dates in :func:`demo_specs` are invented.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import math
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "SampleSpec",
    "demo_specs",
    "render_pages",
    "encode_pages",
    "ground_truth",
    "write_samples",
    "sample_name",
    "UNIT_CODES",
]

# --- fonts ----------------------------------------------------------------------------------

_LIBERATION = "/usr/share/fonts/truetype/liberation2/LiberationSerif-{}.ttf"
_DEJAVU = {
    "Regular": "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "Bold": "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "Italic": "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf",
    "BoldItalic": "/usr/share/fonts/truetype/dejavu/DejaVuSerif-BoldItalic.ttf",
    "SansBold": "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
}
_STYLES = ("Regular", "Bold", "Italic", "BoldItalic")


@functools.cache
def _font_path(style: str) -> str:
    """Liberation Serif 2 (Vietnamese glyphs, Times metrics); DejaVu Serif where it is missing.

    Debian's ``fonts-liberation`` 1.07 lacks Vietnamese glyphs, hence the explicit ``liberation2``.
    """
    primary = _LIBERATION.format(style).replace("Serif-SansBold", "Sans-Bold")  # seals use a sans face
    for path in (primary, _DEJAVU[style]):
        if Path(path).is_file():
            return path
    raise FileNotFoundError(
        f"no serif font with Vietnamese glyphs for style {style}: install fonts-liberation2 or fonts-dejavu"
    )


@functools.lru_cache(maxsize=128)
def _font(style: str, px: float) -> ImageFont.FreeTypeFont:
    # BASIC layout: NFC text needs no shaping, and it keeps widths identical across raqm versions.
    return ImageFont.truetype(_font_path(style), size=px, layout_engine=ImageFont.Layout.BASIC)


# --- the spec -------------------------------------------------------------------------------

REF_DPI = 300  # layout (line breaking, positions) is computed at this resolution, then scaled
A4_MM = (210.0, 297.0)
MARGIN_MM = {"top": 20.0, "bottom": 20.0, "left": 30.0, "right": 15.0}
LEFT_COL_MM = 72.0  # width of the agency column; the motto column takes the rest


def _mm(v: float) -> float:
    """Millimetres to reference pixels."""
    return v * REF_DPI / 25.4


def _pt(v: float) -> float:
    """Points to reference pixels."""
    return v * REF_DPI / 72.0


@dataclass(frozen=True)
class SampleSpec:
    """One synthetic document: what is printed on it, in the words of NĐ 30/2020.

    ``co_quan_ban_hanh`` is the issuing agency as ONE line ("ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL"); an
    agency without a parent line that starts with "ỦY BAN NHÂN DÂN" is printed on two lines
    (``ỦY BAN NHÂN DÂN`` / ``HUYỆN ĐẮK MIL``), other names wrap to the column.  ``tham_quyen``
    holds the authority lines printed above ``chuc_vu_nguoi_ky`` ("TM. ỦY BAN NHÂN DÂN",
    "KT. CHỦ TỊCH").  Body paragraphs written all in capitals ("QUYẾT ĐỊNH:") are centred bold;
    a paragraph starting "Điều N." has those words bold.  ``pages`` is the page count the
    document must come out at: with 2, a body that fits on one page is broken before its last
    paragraph so the signer block lands on page 2.  ``unit_code`` is the GSO code of the
    administrative unit whose inbox receives the scan.
    """

    so_ky_hieu: str
    ngay_ban_hanh: dt.date
    dia_danh: str
    co_quan_chu_quan: str | None
    co_quan_ban_hanh: str
    cap: str
    loai_van_ban: str
    trich_yeu: str
    body: tuple[str, ...]
    tham_quyen: tuple[str, ...]
    chuc_vu_nguoi_ky: str
    nguoi_ky: str
    noi_nhan: tuple[str, ...] = ()
    pages: int = 1
    unit_code: str = ""
    kinh_gui: tuple[str, ...] = ()
    seal_inner: str = "T. ĐẮK NÔNG"

    def __post_init__(self) -> None:
        if self.cap not in ("tinh", "huyen", "xa"):
            raise ValueError(f"cap must be tinh, huyen or xa, not {self.cap!r}")
        if self.pages not in (1, 2):
            raise ValueError(f"pages must be 1 or 2, not {self.pages}")
        for name in ("so_ky_hieu", "dia_danh", "co_quan_ban_hanh", "loai_van_ban", "trich_yeu", "nguoi_ky"):
            object.__setattr__(self, name, _nfc(getattr(self, name)))
        if self.co_quan_chu_quan is not None:
            object.__setattr__(self, "co_quan_chu_quan", _nfc(self.co_quan_chu_quan))
        for name in ("body", "tham_quyen", "noi_nhan", "kinh_gui"):
            object.__setattr__(self, name, tuple(_nfc(s) for s in getattr(self, name)))
        object.__setattr__(self, "chuc_vu_nguoi_ky", _nfc(self.chuc_vu_nguoi_ky))
        object.__setattr__(self, "seal_inner", _nfc(self.seal_inner))

    @property
    def is_cong_van(self) -> bool:
        return self.loai_van_ban == "CÔNG VĂN"


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


# --- layout ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """One piece of text at a baseline; ``anchor`` is Pillow's ("ls" left, "ms" centred)."""

    page: int
    x: float
    y: float
    text: str
    style: str
    pt: float
    anchor: str = "ls"


@dataclass(frozen=True)
class _WordLine:
    """A body line: words with their styles, set between x0 and x1 (justified unless a last line)."""

    page: int
    x0: float
    x1: float
    y: float
    words: tuple[tuple[str, str], ...]
    pt: float
    justify: bool


@dataclass(frozen=True)
class _Rule:
    page: int
    x0: float
    x1: float
    y: float


@dataclass(frozen=True)
class _Layout:
    runs: tuple[_Run, ...]
    word_lines: tuple[_WordLine, ...]
    rules: tuple[_Rule, ...]
    lines: tuple[tuple[str, ...], ...]  # ground-truth text lines per page, reading order
    seal: tuple[int, float, float, float] | None  # page, centre x, centre y, diameter (ref px)
    signature: tuple[int, float, float, float, float] | None  # page, x0, y0, x1, y1 (ref px)
    closing_alone: bool = False  # the signer block went to a page holding no body text

    @property
    def n_pages(self) -> int:
        return len(self.lines)


def _width(text: str, style: str, pt: float) -> float:
    return _font(style, _pt(pt)).getlength(text)


def _wrap(text: str, style: str, pt: float, max_w: float, first_w: float | None = None) -> list[str]:
    """Greedy line breaking at spaces, measured at the reference resolution."""
    words = text.split()
    lines: list[str] = []
    cur: list[str] = []
    limit = first_w if first_w is not None else max_w
    for w in words:
        trial = " ".join([*cur, w])
        if cur and _width(trial, style, pt) > limit:
            lines.append(" ".join(cur))
            cur = [w]
            limit = max_w
        else:
            cur.append(w)
    if cur:
        lines.append(" ".join(cur))
    return lines


def _agency_lines(spec: SampleSpec, pt: float, col_w: float) -> list[tuple[str, str]]:
    """The agency block as (text, style) lines: parent regular over agency bold, or UBND on two lines."""
    out: list[tuple[str, str]] = []
    if spec.co_quan_chu_quan:
        out += [(t, "Regular") for t in _split_name(spec.co_quan_chu_quan, "Regular", pt, col_w)]
        out += [(t, "Bold") for t in _split_name(spec.co_quan_ban_hanh, "Bold", pt, col_w)]
        return out
    name = spec.co_quan_ban_hanh
    for prefix in ("ỦY BAN NHÂN DÂN ", "HỘI ĐỒNG NHÂN DÂN "):
        if name.startswith(prefix):
            out.append((prefix.strip(), "Bold"))
            name = name[len(prefix) :]
            break
    out += [(t, "Bold") for t in _split_name(name, "Bold", pt, col_w)]
    return out


def _split_name(name: str, style: str, pt: float, col_w: float) -> list[str]:
    """An agency name on one line, or on two balanced lines broken where a clerk would break it.

    Typists break after a dash ("PHÒNG TÀI CHÍNH -" / "KẾ HOẠCH") or before "VÀ"
    ("SỞ TÀI NGUYÊN" / "VÀ MÔI TRƯỜNG"), not wherever the column runs out.
    """
    if _width(name, style, pt) <= col_w:
        return [name]
    words = name.split()
    best: tuple[float, list[str]] | None = None
    for k in range(1, len(words)):
        a, b = " ".join(words[:k]), " ".join(words[k:])
        wa, wb = _width(a, style, pt), _width(b, style, pt)
        if max(wa, wb) > col_w:
            continue
        score = max(wa, wb)
        if words[k - 1] == "-" or words[k] == "VÀ":
            score -= 0.25 * col_w
        elif words[k] == "-":
            score += col_w
        if best is None or score < best[0]:
            best = (score, [a, b])
    return best[1] if best else _wrap(name, style, pt, col_w)


def _date_line(spec: SampleSpec) -> str:
    d = spec.ngay_ban_hanh
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"{spec.dia_danh}, ngày {d.day:02d} tháng {month} năm {d.year}"


def _is_heading(par: str) -> bool:
    letters = [c for c in par if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


_DIEU = re.compile(r"^(Điều \d+\.)\s")


class _Writer:
    """Accumulates runs and ground-truth lines page by page."""

    def __init__(self) -> None:
        self.runs: list[_Run] = []
        self.word_lines: list[_WordLine] = []
        self.rules: list[_Rule] = []
        self.lines: list[list[str]] = [[]]

    @property
    def page(self) -> int:
        return len(self.lines) - 1

    def new_page(self) -> float:
        """Start the next page with its centred page number; return the first baseline."""
        self.lines.append([])
        n = str(self.page + 1)
        cx = _mm(MARGIN_MM["left"] + (A4_MM[0] - MARGIN_MM["left"] - MARGIN_MM["right"]) / 2)
        y = _mm(12.0) + _pt(13)
        self.text(n, cx, y, "Regular", 13, "ms")
        return _mm(MARGIN_MM["top"]) + _pt(14) * 1.5

    def text(self, text: str, x: float, y: float, style: str, pt: float, anchor: str = "ls") -> None:
        self.runs.append(_Run(self.page, x, y, text, style, pt, anchor))
        self.lines[-1].append(text)

    def words(
        self, words: Sequence[tuple[str, str]], x0: float, x1: float, y: float, pt: float, justify: bool
    ) -> None:
        """One body line of (word, style) pairs, justified between x0 and x1 unless it is a last line.

        Word positions are computed when drawing, with the fonts at the target dpi: hinted widths
        differ from the reference ones, and spacing from those would squeeze some gaps shut.
        """
        self.word_lines.append(_WordLine(self.page, x0, x1, y, tuple(words), pt, justify))
        self.lines[-1].append(" ".join(w for w, _ in words))

    def rule(self, x0: float, x1: float, y: float) -> None:
        self.rules.append(_Rule(self.page, x0, x1, y))


def _layout(spec: SampleSpec, break_before: int | None = None) -> _Layout:
    """Place every line of the document at the reference resolution."""
    left = _mm(MARGIN_MM["left"])
    right = _mm(A4_MM[0] - MARGIN_MM["right"])
    bottom = _mm(A4_MM[1] - MARGIN_MM["bottom"])
    col_split = left + _mm(LEFT_COL_MM)
    lcx = (left + col_split) / 2
    rcx = (col_split + right) / 2
    pcx = (left + right) / 2
    out = _Writer()

    # Band 1: agency block (left) and national motto (right).
    head_pt = 12.5
    lh = _pt(head_pt) * 1.12
    y = _mm(MARGIN_MM["top"]) + _pt(head_pt)
    agency = _agency_lines(spec, head_pt, _mm(LEFT_COL_MM) - _mm(4))
    for i, (t, s) in enumerate(agency):
        out.text(t, lcx, y + i * lh, s, head_pt, "ms")
    last_agency = agency[-1]
    rule_w = max(_mm(18), _width(last_agency[0], last_agency[1], head_pt) * 0.4)
    left_bottom = y + (len(agency) - 1) * lh + _pt(head_pt) * 0.45
    out.rule(lcx - rule_w / 2, lcx + rule_w / 2, left_bottom)
    out.text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", rcx, y, "Bold", 12, "ms")
    motto = "Độc lập - Tự do - Hạnh phúc"
    out.text(motto, rcx, y + lh, "Bold", 13, "ms")
    mw = _width(motto, "Bold", 13)
    right_bottom = y + lh + _pt(13) * 0.45
    out.rule(rcx - mw / 2, rcx + mw / 2, right_bottom)

    # Band 2: Số (and V/v for a công văn) left, place and date right.
    y = max(left_bottom, right_bottom) + _pt(13) * 1.35
    out.text(f"Số: {spec.so_ky_hieu}", lcx, y, "Regular", 13, "ms")
    yl = y
    if spec.is_cong_van:
        for t in _wrap(spec.trich_yeu, "Regular", 12, _mm(LEFT_COL_MM) - _mm(2)):
            yl += _pt(12) * 1.15
            out.text(t, lcx, yl, "Regular", 12, "ms")
    out.text(_date_line(spec), rcx, y, "Italic", 13.5, "ms")
    y = max(yl, y)

    body_pt = 14.0
    blh = _pt(body_pt) * 1.3
    if not spec.is_cong_van:
        y += _pt(14) * 2.2
        out.text(spec.loai_van_ban, pcx, y, "Bold", 14, "ms")
        widest = 0.0
        for t in _wrap(spec.trich_yeu, "Bold", 14, _mm(140)):
            y += _pt(14) * 1.2
            out.text(t, pcx, y, "Bold", 14, "ms")
            widest = max(widest, _width(t, "Bold", 14))
        rw = max(_mm(30), widest * 0.35)
        y += _pt(14) * 0.45
        out.rule(pcx - rw / 2, pcx + rw / 2, y)
        y += _pt(14) * 0.6
    else:
        y += _pt(14) * 0.9
    if spec.kinh_gui:
        label = "Kính gửi:"
        kx = left + _mm(22)
        y += blh
        if len(spec.kinh_gui) == 1:
            lab_w = _width(label + " ", "Regular", body_pt)
            for i, t in enumerate(_wrap(spec.kinh_gui[0], "Regular", body_pt, right - kx - lab_w)):
                out.text(
                    (label + " " + t) if i == 0 else t, kx if i == 0 else kx + lab_w, y, "Regular", body_pt
                )
                y += blh
        else:
            out.text(label, kx, y, "Regular", body_pt)
            for t in spec.kinh_gui:
                y += blh
                out.text(t, kx + _mm(28), y, "Regular", body_pt)
            y += blh
        y -= blh * 0.4

    # Body.
    indent = _mm(12.7)
    par_gap = _pt(4)
    for k, par in enumerate(spec.body):
        if break_before is not None and k == break_before:
            y = out.new_page() - blh
        y += par_gap
        if _is_heading(par):
            for t in _wrap(par, "Bold", body_pt, right - left):
                y += blh
                if y > bottom:
                    y = out.new_page()
                out.text(t, pcx, y, "Bold", body_pt, "ms")
            continue
        bold_n = 0
        m = _DIEU.match(par)
        if m:
            bold_n = len(m.group(1).split())
        tokens = par.split()
        styled = [(w, "Bold" if i < bold_n else "Regular") for i, w in enumerate(tokens)]
        lines = _wrap_styled(styled, body_pt, right - left, right - left - indent)
        if len(lines) <= 4 and y + blh * len(lines) > bottom:
            y = out.new_page() - blh  # a short paragraph is not split across pages
        for i, line in enumerate(lines):
            y += blh
            if y > bottom:
                y = out.new_page()
            x0 = left + (indent if i == 0 else 0)
            out.words(line, x0, right, y, body_pt, justify=i < len(lines) - 1)

    # Closing block: Nơi nhận (left) and signer (right), kept together on one page.
    sig_pt = 13.5
    slh = _pt(sig_pt) * 1.2
    sign_gap = _mm(27)
    n_lh = _pt(11) * 1.2
    sig_h = slh * (len(spec.tham_quyen) + 1) + sign_gap + slh
    noi_h = (_pt(12) * 1.3 + n_lh * len(spec.noi_nhan)) if spec.noi_nhan else 0.0
    top = y + _mm(6)
    closing_alone = False
    if top + max(sig_h, noi_h) > bottom:
        top = out.new_page() - _pt(14)
        closing_alone = True
    if spec.noi_nhan:
        ny = top + _pt(12)
        out.text("Nơi nhận:", left, ny, "BoldItalic", 12)
        ny += _pt(12) * 0.3
        for t in spec.noi_nhan:
            ny += n_lh
            out.text(t, left, ny, "Regular", 11)
    sy = top + _pt(sig_pt)
    for t in (*spec.tham_quyen, spec.chuc_vu_nguoi_ky):
        out.text(t, rcx, sy, "Bold", sig_pt, "ms")
        sy += slh
    office_y = sy - slh
    name_y = office_y + sign_gap + slh
    out.text(spec.nguoi_ky, rcx, name_y, "Bold", sig_pt, "ms")
    seal_d = _mm(38 if spec.cap == "tinh" else 35)
    seal = (out.page, rcx - _mm(17), office_y + _mm(11), seal_d)
    signature = (out.page, rcx - _mm(12), office_y + _mm(6), rcx + _mm(22), name_y - _mm(7))
    return _Layout(
        runs=tuple(out.runs),
        word_lines=tuple(out.word_lines),
        rules=tuple(out.rules),
        lines=tuple(tuple(p) for p in out.lines),
        seal=seal,
        signature=signature,
        closing_alone=closing_alone,
    )


def _wrap_styled(
    words: list[tuple[str, str]], pt: float, max_w: float, first_w: float
) -> list[list[tuple[str, str]]]:
    space = _width(" ", "Regular", pt)
    lines: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    cur_w = 0.0
    limit = first_w
    for w, s in words:
        ww = _width(w, s, pt)
        need = ww if not cur else cur_w + space + ww
        if cur and need > limit:
            lines.append(cur)
            cur, cur_w, limit = [(w, s)], ww, max_w
        else:
            cur.append((w, s))
            cur_w = need
    if cur:
        lines.append(cur)
    return lines


@functools.lru_cache(maxsize=32)
def _layout_for(spec: SampleSpec) -> _Layout:
    """The layout with the page count the spec asks for (a forced break if it fits on one page)."""
    lay = _layout(spec)
    if (lay.n_pages < spec.pages or lay.closing_alone) and len(spec.body) >= 1:
        lay = _layout(spec, break_before=len(spec.body) - 1)
    if lay.n_pages != spec.pages:
        raise ValueError(
            f"{spec.so_ky_hieu}: the text fills {lay.n_pages} page(s) but the spec says pages={spec.pages}"
        )
    return lay


# --- rendering ------------------------------------------------------------------------------


def _page_size(dpi: int) -> tuple[int, int]:
    return round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)


def _draw_ink(lay: _Layout, page: int, dpi: int) -> Image.Image:
    """Black text and rules as an 8-bit coverage image (255 = paper)."""
    w, h = _page_size(dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    s = dpi / REF_DPI
    for r in lay.runs:
        if r.page == page:
            draw.text(
                (r.x * s, r.y * s), r.text, font=_font(r.style, r.pt * dpi / 72), fill=18, anchor=r.anchor
            )
    for line in lay.word_lines:
        if line.page != page:
            continue
        fonts = [_font(st, line.pt * dpi / 72) for _, st in line.words]
        widths = [f.getlength(w) for f, (w, _) in zip(fonts, line.words, strict=True)]
        space = fonts[0].getlength(" ")
        gap = space
        if line.justify and len(widths) > 1:
            gap = max(space * 0.6, ((line.x1 - line.x0) * s - sum(widths)) / (len(widths) - 1))
        x = line.x0 * s
        for f, (w, _), wd in zip(fonts, line.words, widths, strict=True):
            draw.text((x, line.y * s), w, font=f, fill=18, anchor="ls")
            x += wd + gap
    lw = max(1, round(0.28 / 25.4 * dpi))
    for r in lay.rules:
        if r.page == page:
            y = round(r.y * s)
            draw.line([(r.x0 * s, y), (r.x1 * s, y)], fill=18, width=lw)
    return img


def _seal_mask(text: str, inner: str, diameter_px: int, rng: np.random.Generator) -> np.ndarray:
    """Coverage (0..1) of a round red seal: double outer ring, ring text, inner ring, star, inner text."""
    size = diameter_px + 8
    c = size / 2
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    r_out = diameter_px / 2
    ring = max(2, round(diameter_px * 0.022))
    draw.ellipse([c - r_out, c - r_out, c + r_out, c + r_out], outline=255, width=ring)
    r2 = r_out - ring * 2.2
    draw.ellipse([c - r2, c - r2, c + r2, c + r2], outline=255, width=max(1, ring // 2))
    r_in = r_out * 0.56
    draw.ellipse([c - r_in, c - r_in, c + r_in, c + r_in], outline=255, width=max(1, ring // 2))
    # Ring text, upright letters outward, spread over ~300° starting bottom left.
    r_txt = (r2 + r_in) / 2
    chars = list(text)
    span = min(300.0, 10.5 * len(chars))
    arc = math.radians(span / max(1, len(chars) - 1)) * r_txt  # room per letter along the ring
    font = _font("SansBold", min(diameter_px * 0.11, arc * 1.45))
    step = span / max(1, len(chars) - 1)
    start = 180 + (360 - span) / 2  # degrees clockwise from the top
    for i, ch in enumerate(chars):
        if ch == " ":
            continue
        theta = start + i * step
        tile = Image.new("L", (int(font.size * 1.6), int(font.size * 1.6)), 0)
        ImageDraw.Draw(tile).text((tile.width / 2, tile.height / 2), ch, font=font, fill=255, anchor="mm")
        tile = tile.rotate(-theta, resample=Image.Resampling.BILINEAR, expand=True)
        tx = c + r_txt * math.sin(math.radians(theta)) - tile.width / 2
        ty = c - r_txt * math.cos(math.radians(theta)) - tile.height / 2
        img.paste(255, (round(tx), round(ty)), tile)
    # Star.
    rs, ri = r_in * 0.42, r_in * 0.17
    cy_star = c - r_in * 0.18
    pts = []
    for k in range(10):
        a = math.radians(-90 + 36 * k)
        rr = rs if k % 2 == 0 else ri
        pts.append((c + rr * math.cos(a), cy_star + rr * math.sin(a)))
    draw.polygon(pts, fill=255)
    if inner:
        draw.text((c, c + r_in * 0.48), inner, font=_font("Bold", diameter_px * 0.062), fill=255, anchor="mm")
    mask = np.asarray(img, dtype=np.float32) / 255.0
    # Uneven inking: a blotchy field so the seal looks stamped, not printed.
    blot = cv2.resize(
        rng.uniform(0.55, 1.0, (8, 8)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC
    )
    return np.clip(mask * blot, 0, 1)


def _signature_mask(w: int, h: int, dpi: int, rng: np.random.Generator) -> np.ndarray:
    """Coverage of a hand signature: a smooth random scribble with a flourish underline."""
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    n = int(rng.integers(12, 18))
    # A hand moves right while looping up and down; some points step back to make loops.
    xs = (np.linspace(0.05, 0.8, n) + rng.uniform(-0.09, 0.09, n)) * w
    ys = np.where(np.arange(n) % 2 == 0, rng.uniform(0.1, 0.4, n), rng.uniform(0.5, 0.8, n)) * h
    pts = np.stack([xs, ys], axis=1)
    curve = []
    for i in range(len(pts) - 1):  # Catmull-Rom through the points
        p0, p1, p2, p3 = pts[max(i - 1, 0)], pts[i], pts[i + 1], pts[min(i + 2, len(pts) - 1)]
        for t in np.linspace(0, 1, 12, endpoint=False):
            t2, t3 = t * t, t * t * t
            curve.append(
                0.5
                * (
                    (2 * p1)
                    + (-p0 + p2) * t
                    + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                    + (-p0 + 3 * p1 - 3 * p2 + p3) * t3
                )
            )
    width = max(2, round(0.45 / 25.4 * dpi))
    draw.line([tuple(p) for p in curve], fill=255, width=width, joint="curve")
    y_u = h * rng.uniform(0.7, 0.85)
    draw.line(
        [(w * 0.1, y_u), (w * 0.55, y_u + h * 0.05), (w * 0.95, y_u - h * 0.08)], fill=255, width=width - 1
    )
    return np.asarray(img, dtype=np.float32) / 255.0


def _blend(
    page: np.ndarray, mask: np.ndarray, x: int, y: int, rgb: tuple[int, int, int], alpha: float
) -> None:
    """Multiply a coloured ink (coverage ``mask``) onto ``page`` in place, clipped at the edges."""
    h, w = mask.shape
    H, W = page.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x0 >= x1 or y0 >= y1:
        return
    m = mask[y0 - y : y1 - y, x0 - x : x1 - x, None] * alpha
    ink = np.asarray(rgb, dtype=np.float32) / 255.0
    region = page[y0:y1, x0:x1]
    region *= 1.0 - m * (1.0 - ink)


def _degrade(page: np.ndarray, dpi: int, rng: np.random.Generator, paper: np.ndarray) -> np.ndarray:
    """Office-scanner look: uneven light, skew, blur, noise, JPEG artefacts — still readable."""
    h, w = page.shape[:2]
    # Uneven lighting: a smooth gain field from a few random gradients, 0.84..1.
    gy, gx = np.mgrid[0:1:24j, 0:1:17j].astype(np.float32)
    a = rng.uniform(0, 2 * np.pi)
    field_ = np.cos(a) * gx + np.sin(a) * gy
    field_ = (field_ - field_.min()) / max(1e-6, float(np.ptp(field_)))
    cx, cy = rng.uniform(0.2, 0.8, 2)
    vign = ((gx - cx) ** 2 + (gy - cy) ** 2).astype(np.float32)
    gain = (
        1.0 - rng.uniform(0.05, 0.12) * field_ - rng.uniform(0.02, 0.06) * vign / max(1e-6, float(vign.max()))
    )
    gain = cv2.resize(gain.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    page *= gain[..., None]
    # Skew.
    angle = float(rng.uniform(0.3, 2.0) * rng.choice([-1.0, 1.0]))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    border = tuple(float(v) for v in paper * float(gain.mean()))
    page = cv2.warpAffine(
        page, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )
    # Slight optical blur.
    sigma = float(rng.uniform(0.45, 0.8)) * dpi / 200
    page = cv2.GaussianBlur(page, (0, 0), sigma)
    # Sensor noise: mostly luminance, a little per channel.
    lum = rng.standard_normal((h, w), dtype=np.float32) * float(rng.uniform(3.0, 6.0))
    page += lum[..., None]
    page = np.clip(page, 0, 255).astype(np.uint8)
    # JPEG artefacts from the scanner's own compression.
    q = int(rng.integers(55, 80))
    ok, enc = cv2.imencode(".jpg", page[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
    if ok:
        page = cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(page)


def _seal_ring_text(spec: SampleSpec) -> str:
    """The seal's ring: the agency, followed by its locality when a parent line names it."""
    if not spec.co_quan_chu_quan:
        return spec.co_quan_ban_hanh
    parent = re.sub(r"^(UBND|ỦY BAN NHÂN DÂN)\s+", "", spec.co_quan_chu_quan)
    return f"{spec.co_quan_ban_hanh} - {parent}"


def _spec_seed(spec: SampleSpec, seed: int) -> int:
    return zlib.crc32(f"{spec.so_ky_hieu}|{spec.ngay_ban_hanh.isoformat()}|{seed}".encode())


def render_pages(
    spec: SampleSpec, *, dpi: int = 200, seed: int = 0, degrade: bool = True
) -> list[np.ndarray]:
    """Rasterize ``spec`` as A4 RGB uint8 pages at ``dpi``; the same spec, dpi and seed give the same pixels.

    With ``degrade=False`` the page is clean (paper colour, seal and signature included), which
    is what a test needs to check the typesetting itself.
    """
    if dpi < 72 or dpi > 600:
        raise ValueError(f"dpi must be within 72..600, not {dpi}")
    lay = _layout_for(spec)
    rng = np.random.default_rng(_spec_seed(spec, seed))
    paper = np.array([rng.uniform(238, 250), rng.uniform(238, 249), rng.uniform(232, 246)], dtype=np.float32)
    s = dpi / REF_DPI
    pages: list[np.ndarray] = []
    for p in range(lay.n_pages):
        ink = np.asarray(_draw_ink(lay, p, dpi), dtype=np.float32) / 255.0
        page = ink[..., None] * paper  # multiply: toner on tinted paper
        if lay.signature and lay.signature[0] == p:
            _, x0, y0, x1, y1 = lay.signature
            sig = _signature_mask(round((x1 - x0) * s), round((y1 - y0) * s), dpi, rng)
            _blend(page, sig, round(x0 * s), round(y0 * s), (28, 48, 150), 0.9)
        if lay.seal and lay.seal[0] == p:
            _, cx, cy, d = lay.seal
            mask = _seal_mask(_seal_ring_text(spec), spec.seal_inner, round(d * s), rng)
            mh = mask.shape[0]
            _blend(page, mask, round(cx * s - mh / 2), round(cy * s - mh / 2), (214, 28, 36), 0.92)
        if degrade:
            pages.append(_degrade(page, dpi, rng, paper))
        else:
            pages.append(np.clip(page + 0.5, 0, 255).astype(np.uint8))
    return pages


# --- encoding -------------------------------------------------------------------------------

_SINGLE_PAGE = ("png", "jpeg")
_EXT = {"png": "png", "jpeg": "jpg", "tiff": "tif", "pdf": "pdf"}


def encode_pages(
    pages: Sequence[np.ndarray], fmt: str, dpi: int, *, quality: int = 85, created: dt.date | None = None
) -> bytes:
    """Encode pages as a scanner would save them: PNG/JPEG (one page), multi-page TIFF, image-only PDF.

    TIFF uses JPEG compression inside the TIFF (as office scanners do; LZW on a noisy colour page
    would be ~10 MB).  The PDF holds one JPEG image per page sized for ``dpi``, no text layer; its
    creation date is ``created`` (default 2000-01-01) rather than the clock, so bytes are reproducible.
    """
    fmt = fmt.lower()
    if fmt == "jpg":
        fmt = "jpeg"
    if fmt not in _EXT:
        raise ValueError(f"unknown format {fmt!r}: use png, jpeg, tiff or pdf")
    if not pages:
        raise ValueError("no pages to encode")
    if fmt in _SINGLE_PAGE and len(pages) != 1:
        raise ValueError(f"{fmt} holds one page, got {len(pages)}: use tiff or pdf")
    images = [Image.fromarray(np.ascontiguousarray(p), "RGB") for p in pages]
    stamp = (created or dt.date(2000, 1, 1)).timetuple()
    buf = io.BytesIO()
    if fmt == "png":
        images[0].save(buf, "PNG", dpi=(dpi, dpi), compress_level=6)
    elif fmt == "jpeg":
        images[0].save(buf, "JPEG", dpi=(dpi, dpi), quality=quality, subsampling=2)
    elif fmt == "tiff":
        images[0].save(
            buf,
            "TIFF",
            save_all=True,
            append_images=images[1:],
            dpi=(dpi, dpi),
            compression="jpeg",
            quality=quality,
        )
    else:
        images[0].save(
            buf,
            "PDF",
            save_all=True,
            append_images=images[1:],
            resolution=float(dpi),
            quality=quality,
            producer="sohoa samples",
            creationDate=stamp,
            modDate=stamp,
        )
    return buf.getvalue()


# --- ground truth ---------------------------------------------------------------------------


def ground_truth(spec: SampleSpec) -> dict:
    """The ``sohoa extract`` contract fields plus the exact text of each page (one rendered line per line).

    Follows the dev corpus conventions: ``co_quan_chu_quan`` is "" when there is no parent line,
    ``ngay_ban_hanh`` is ISO, page text lists each two-column band left column first, and the
    seal's ring text is not page text.
    """
    lay = _layout_for(spec)
    gt = {
        "so_ky_hieu": spec.so_ky_hieu,
        "ngay_ban_hanh": spec.ngay_ban_hanh.isoformat(),
        "dia_danh": spec.dia_danh,
        "co_quan_ban_hanh": spec.co_quan_ban_hanh,
        "co_quan_chu_quan": spec.co_quan_chu_quan or "",
        "cap": spec.cap,
        "loai_van_ban": spec.loai_van_ban,
        "trich_yeu": spec.trich_yeu,
        "nguoi_ky": spec.nguoi_ky,
        "chuc_vu_nguoi_ky": spec.chuc_vu_nguoi_ky,
        "so_trang": lay.n_pages,
        "tham_quyen_ky": " / ".join((*spec.tham_quyen, spec.chuc_vu_nguoi_ky)),
        "kinh_gui": list(spec.kinh_gui),
        "noi_nhan": list(spec.noi_nhan),
        "unit_code": spec.unit_code,
        "pages": ["\n".join(lines) for lines in lay.lines],
    }
    return {k: (_nfc(v) if isinstance(v, str) else v) for k, v in gt.items()}


# --- files ----------------------------------------------------------------------------------


def sample_name(index: int, spec: SampleSpec) -> str:
    """An ASCII file stem such as ``03_quyet-dinh_1523`` (no diacritics: scanners' file names have none)."""
    kind = unicodedata.normalize("NFKD", spec.loai_van_ban.replace("Đ", "D").replace("đ", "d"))
    kind = "".join(c for c in kind if not unicodedata.combining(c)).lower()
    kind = re.sub(r"[^a-z0-9]+", "-", kind).strip("-")
    number = re.sub(r"[^0-9A-Za-z]+", "", spec.so_ky_hieu.split("/")[0]) or "x"
    return f"{index + 1:02d}_{kind}_{number}"


def write_samples(
    out_dir: Path,
    specs: Iterable[SampleSpec] | None = None,
    *,
    formats: Sequence[str] = ("png", "jpeg", "tiff", "pdf"),
    dpi: int = 200,
    seed: int = 0,
    gt_dir: Path | None = None,
) -> list[Path]:
    """Render each spec into ``out_dir/<unit_code>/<name>.<ext>`` (one inbox per unit); return the scan paths.

    Formats cycle through ``formats``; a multi-page document that falls on a single-page format
    (png, jpeg) takes the next multi-page one in ``formats`` (or pdf).  Ground truth goes to
    ``gt_dir/<unit_code>/<name>.gt.json`` when ``gt_dir`` is given, never next to the scan, because
    a ``.json`` in an inbox would be read as a clerk's sidecar.  Each document gets its own seed
    (``seed + index``) so the batch is varied yet reproducible.
    """
    specs = list(demo_specs() if specs is None else specs)
    if not formats:
        raise ValueError("formats is empty")
    multi = [f for f in formats if f not in _SINGLE_PAGE] or ["pdf"]
    written: list[Path] = []
    for i, spec in enumerate(specs):
        fmt = formats[i % len(formats)].lower().replace("jpg", "jpeg")
        if spec.pages > 1 and fmt in _SINGLE_PAGE:
            fmt = multi[i % len(multi)]
        pages = render_pages(spec, dpi=dpi, seed=seed + i)
        data = encode_pages(pages, fmt, dpi, created=spec.ngay_ban_hanh)
        unit = spec.unit_code or "unknown"
        name = sample_name(i, spec)
        target = Path(out_dir) / unit / f"{name}.{_EXT[fmt]}"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_bytes(data)
        tmp.replace(target)  # an inbox watcher never sees a half-written scan
        written.append(target)
        if gt_dir is not None:
            gt = ground_truth(spec) | {"file": target.name, "format": fmt, "dpi": dpi, "seed": seed + i}
            gpath = Path(gt_dir) / unit / f"{name}.gt.json"
            gpath.parent.mkdir(parents=True, exist_ok=True)
            gpath.write_text(json.dumps(gt, ensure_ascii=False, indent=1), encoding="utf-8")
    return written


# --- the demo set ---------------------------------------------------------------------------

# GSO codes (2021 units of Đắk Nông): province 67 and districts 660 Gia Nghĩa, 662 Cư Jút,
# 663 Đắk Mil are the official codes; 24667 (xã Đắk Lao, Đắk Mil) was checked against a public
# ward table; 24611 for phường Nghĩa Đức is from memory and may be off — treat it as invented.
UNIT_CODES = {
    "TỈNH ĐẮK NÔNG": "67",
    "THÀNH PHỐ GIA NGHĨA": "660",
    "HUYỆN CƯ JÚT": "662",
    "HUYỆN ĐẮK MIL": "663",
    "PHƯỜNG NGHĨA ĐỨC": "24611",
    "XÃ ĐẮK LAO": "24667",
}

_UBND_KT = ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH")


def demo_specs() -> list[SampleSpec]:
    """Six one-stop-office results of Đắk Nông at the three levels, 2021–2025; every person is invented."""
    return [
        SampleSpec(
            so_ky_hieu="286/GCN-TCKH",
            ngay_ban_hanh=dt.date(2022, 5, 17),
            dia_danh="Cư Jút",
            co_quan_chu_quan="UBND HUYỆN CƯ JÚT",
            co_quan_ban_hanh="PHÒNG TÀI CHÍNH - KẾ HOẠCH",
            cap="huyen",
            loai_van_ban="GIẤY CHỨNG NHẬN",
            trich_yeu="ĐĂNG KÝ HỘ KINH DOANH",
            body=(
                "Mã số hộ kinh doanh: 67D8002417",
                "Đăng ký lần đầu: ngày 17 tháng 5 năm 2022",
                "1. Tên hộ kinh doanh: HỘ KINH DOANH TẠP HÓA THANH BÌNH",
                "2. Địa điểm kinh doanh: số 112 đường Nguyễn Tất Thành, tổ dân phố 3, thị trấn Ea T'Ling, "
                "huyện Cư Jút, tỉnh Đắk Nông",
                "Điện thoại: 0261 3684 215",
                "3. Ngành, nghề kinh doanh: Bán lẻ lương thực, thực phẩm, đồ uống trong các cửa hàng "
                "kinh doanh "
                "tổng hợp",
                "4. Vốn kinh doanh: 350.000.000 đồng (Ba trăm năm mươi triệu đồng)",
                "5. Số lượng lao động: 03 người",
                "6. Họ và tên đại diện hộ kinh doanh: PHAN THỊ THANH BÌNH. Giới tính: Nữ",
                "Sinh ngày: 14/09/1986. Dân tộc: Kinh. Quốc tịch: Việt Nam",
                "Số định danh cá nhân: 067186004512",
                "Nơi thường trú: tổ dân phố 3, thị trấn Ea T'Ling, huyện Cư Jút, tỉnh Đắk Nông",
            ),
            tham_quyen=("KT. TRƯỞNG PHÒNG",),
            chuc_vu_nguoi_ky="PHÓ TRƯỞNG PHÒNG",
            nguoi_ky="Hoàng Văn Quyết",
            unit_code=UNIT_CODES["HUYỆN CƯ JÚT"],
            seal_inner="H. CƯ JÚT",
        ),
        SampleSpec(
            so_ky_hieu="57/XNTTHN",
            ngay_ban_hanh=dt.date(2023, 2, 6),
            dia_danh="Nghĩa Đức",
            co_quan_chu_quan=None,
            co_quan_ban_hanh="ỦY BAN NHÂN DÂN PHƯỜNG NGHĨA ĐỨC",
            cap="xa",
            loai_van_ban="GIẤY XÁC NHẬN",
            trich_yeu="TÌNH TRẠNG HÔN NHÂN",
            body=(
                "Xét đề nghị của ông Lê Minh Khôi về việc cấp Giấy xác nhận tình trạng hôn nhân,",
                "ỦY BAN NHÂN DÂN PHƯỜNG NGHĨA ĐỨC XÁC NHẬN:",
                "Họ, chữ đệm, tên: LÊ MINH KHÔI",
                "Ngày, tháng, năm sinh: 23/07/1995. Giới tính: Nam. Dân tộc: Kinh. Quốc tịch: Việt Nam",
                "Số định danh cá nhân: 067095001836",
                "Nơi cư trú: tổ dân phố 2, phường Nghĩa Đức, thành phố Gia Nghĩa, tỉnh Đắk Nông",
                "Trong thời gian cư trú tại phường Nghĩa Đức, thành phố Gia Nghĩa, tỉnh Đắk Nông từ ngày "
                "15/03/2013 đến ngày 06/02/2023.",
                "Tình trạng hôn nhân: Hiện tại chưa đăng ký kết hôn với ai.",
                "Giấy này được cấp để làm thủ tục đăng ký kết hôn, có giá trị sử dụng trong thời hạn "
                "06 tháng "
                "kể từ ngày cấp.",
            ),
            tham_quyen=("TM. ỦY BAN NHÂN DÂN",),
            chuc_vu_nguoi_ky="CHỦ TỊCH",
            nguoi_ky="Nguyễn Thị Thu Hà",
            unit_code=UNIT_CODES["PHƯỜNG NGHĨA ĐỨC"],
            seal_inner="TP. GIA NGHĨA",
        ),
        SampleSpec(
            so_ky_hieu="1523/QĐ-UBND",
            ngay_ban_hanh=dt.date(2023, 8, 14),
            dia_danh="Đắk Mil",
            co_quan_chu_quan=None,
            co_quan_ban_hanh="ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL",
            cap="huyen",
            loai_van_ban="QUYẾT ĐỊNH",
            trich_yeu="Về việc cho phép chuyển mục đích sử dụng đất đối với hộ bà Nguyễn Thị Hồng Nhung",
            body=(
                "ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL",
                "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
                "Căn cứ Luật Đất đai ngày 29 tháng 11 năm 2013;",
                "Căn cứ Nghị định số 43/2014/NĐ-CP ngày 15 tháng 5 năm 2014 của Chính phủ quy định chi tiết "
                "thi hành một số điều của Luật Đất đai;",
                "Căn cứ Quyết định số 1174/QĐ-UBND ngày 28 tháng 7 năm 2022 của UBND tỉnh Đắk Nông về việc "
                "phê duyệt kế hoạch sử dụng đất năm 2022 của huyện Đắk Mil;",
                "Theo đề nghị của Trưởng phòng Tài nguyên và Môi trường tại Tờ trình số 412/TTr-TNMT ngày "
                "04/8/2023.",
                "QUYẾT ĐỊNH:",
                "Điều 1. Cho phép hộ bà Nguyễn Thị Hồng Nhung, địa chỉ thường trú tại thôn Xuân Lộc 1, xã "
                "Đắk Lao, huyện Đắk Mil, tỉnh Đắk Nông, được chuyển mục đích sử dụng 200 m2 đất trồng cây "
                "lâu năm sang đất ở tại nông thôn.",
                "- Vị trí thửa đất: thửa đất số 318, tờ bản đồ số 27, tại xã Đắk Lao, huyện Đắk Mil.",
                "- Thời hạn sử dụng đất: lâu dài.",
                "- Hình thức sử dụng đất: Nhà nước giao đất có thu tiền sử dụng đất.",
                "- Giá đất tính tiền sử dụng đất: 1.250.000 đồng/m2.",
                "Điều 2. Hộ bà Nguyễn Thị Hồng Nhung có trách nhiệm nộp tiền sử dụng đất theo thông báo của "
                "cơ quan thuế; sử dụng đất đúng mục đích, đúng ranh giới được chuyển mục đích.",
                "Chi nhánh Văn phòng Đăng ký đất đai huyện Đắk Mil có trách nhiệm chỉnh lý hồ sơ địa chính, "
                "cập nhật biến động và trao Giấy chứng nhận sau khi người sử dụng đất hoàn thành "
                "nghĩa vụ tài "
                "chính.",
                "Điều 3. Quyết định này có hiệu lực kể từ ngày ký.",
                "Chánh Văn phòng HĐND và UBND huyện, Trưởng phòng Tài nguyên và Môi trường, Giám đốc Chi "
                "nhánh Văn phòng Đăng ký đất đai huyện, Chủ tịch UBND xã Đắk Lao, bà Nguyễn Thị Hồng Nhung "
                "và các tổ chức, cá nhân có liên quan chịu trách nhiệm thi hành Quyết định này./.",
            ),
            tham_quyen=_UBND_KT,
            chuc_vu_nguoi_ky="PHÓ CHỦ TỊCH",
            nguoi_ky="Lê Quang Vinh",
            noi_nhan=(
                "- Như Điều 3;",
                "- Chi cục Thuế khu vực Đắk Mil - Cư Jút;",
                "- Chi nhánh VPĐKĐĐ huyện;",
                "- UBND xã Đắk Lao;",
                "- Lưu: VT, TNMT.",
            ),
            pages=2,
            unit_code=UNIT_CODES["HUYỆN ĐẮK MIL"],
            seal_inner="T. ĐẮK NÔNG",
        ),
        SampleSpec(
            so_ky_hieu="812/QĐ-UBND",
            ngay_ban_hanh=dt.date(2021, 6, 23),
            dia_danh="Đắk Nông",
            co_quan_chu_quan=None,
            co_quan_ban_hanh="ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG",
            cap="tinh",
            loai_van_ban="QUYẾT ĐỊNH",
            trich_yeu="Về việc cho Công ty TNHH Nông sản Tây Nguyên Xanh thuê đất để thực hiện dự án "
            "Nhà máy sơ chế, bảo quản nông sản tại xã Nhân Cơ, huyện Đắk R'Lấp",
            body=(
                "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG",
                "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
                "Căn cứ Luật Đất đai ngày 29 tháng 11 năm 2013;",
                "Căn cứ Nghị định số 46/2014/NĐ-CP ngày 15 tháng 5 năm 2014 của Chính phủ quy định về thu "
                "tiền thuê đất, thuê mặt nước;",
                "Căn cứ Quyết định chủ trương đầu tư số 355/QĐ-UBND ngày 12 tháng 3 năm 2021 của UBND tỉnh "
                "Đắk Nông;",
                "Theo đề nghị của Giám đốc Sở Tài nguyên và Môi trường tại Tờ trình số 268/TTr-STNMT ngày "
                "15/6/2021.",
                "QUYẾT ĐỊNH:",
                "Điều 1. Cho Công ty TNHH Nông sản Tây Nguyên Xanh thuê 24.615,3 m2 đất tại xã Nhân "
                "Cơ, huyện "
                "Đắk R'Lấp để xây dựng Nhà máy sơ chế, bảo quản nông sản.",
                "- Vị trí, ranh giới khu đất được xác định theo Trích lục bản đồ địa chính số 86/TL-VPĐK do "
                "Văn phòng Đăng ký đất đai lập ngày 02/6/2021.",
                "- Hình thức thuê đất: Nhà nước cho thuê đất trả tiền thuê đất hằng năm.",
                "- Thời hạn thuê đất: 50 năm kể từ ngày ký Quyết định này.",
                "Điều 2. Giao Sở Tài nguyên và Môi trường ký hợp đồng thuê đất, bàn giao đất trên "
                "thực địa và "
                "cấp Giấy chứng nhận quyền sử dụng đất cho Công ty theo quy định.",
                "Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng UBND tỉnh, Giám đốc các "
                "Sở: Tài nguyên và Môi trường, Tài chính, Kế hoạch và Đầu tư; Cục trưởng Cục Thuế tỉnh; Chủ "
                "tịch UBND huyện Đắk R'Lấp và Giám đốc Công ty TNHH Nông sản Tây Nguyên Xanh chịu "
                "trách nhiệm "
                "thi hành Quyết định này./.",
            ),
            tham_quyen=_UBND_KT,
            chuc_vu_nguoi_ky="PHÓ CHỦ TỊCH",
            nguoi_ky="Đinh Văn Tuấn",
            noi_nhan=(
                "- Như Điều 3;",
                "- CT, các PCT UBND tỉnh;",
                "- Cổng Thông tin điện tử tỉnh;",
                "- Lưu: VT, KT, NNTNMT.",
            ),
            pages=2,
            unit_code=UNIT_CODES["TỈNH ĐẮK NÔNG"],
            seal_inner="",
        ),
        SampleSpec(
            so_ky_hieu="94/UBND-ĐC",
            ngay_ban_hanh=dt.date(2024, 10, 3),
            dia_danh="Đắk Lao",
            co_quan_chu_quan=None,
            co_quan_ban_hanh="ỦY BAN NHÂN DÂN XÃ ĐẮK LAO",
            cap="xa",
            loai_van_ban="CÔNG VĂN",
            trich_yeu="V/v xác nhận nguồn gốc, thời điểm sử dụng đất của hộ ông Y Thuôn Êban",
            body=(
                "Thực hiện Văn bản số 2215/CNVPĐK-ĐK ngày 20/9/2024 của Chi nhánh Văn phòng Đăng ký đất đai "
                "huyện Đắk Mil về việc xác minh nguồn gốc sử dụng đất, UBND xã Đắk Lao có ý kiến như sau:",
                "Thửa đất số 145, tờ bản đồ số 12, diện tích 1.860 m2 tại bon Jun Juh, xã Đắk Lao do hộ ông "
                "Y Thuôn Êban khai hoang, sử dụng ổn định, liên tục từ năm 2001 để trồng cây cà phê.",
                "Đến nay thửa đất không có tranh chấp, phù hợp với quy hoạch sử dụng đất của xã và không "
                "thuộc trường hợp Nhà nước thu hồi đất.",
                "UBND xã Đắk Lao đề nghị Chi nhánh Văn phòng Đăng ký đất đai huyện Đắk Mil xem xét, "
                "giải quyết "
                "hồ sơ theo quy định./.",
            ),
            tham_quyen=("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"),
            chuc_vu_nguoi_ky="PHÓ CHỦ TỊCH",
            nguoi_ky="Vũ Đình Khánh",
            noi_nhan=("- Như trên;", "- Hộ ông Y Thuôn Êban;", "- Lưu: VT, ĐC."),
            unit_code=UNIT_CODES["XÃ ĐẮK LAO"],
            kinh_gui=("Chi nhánh Văn phòng Đăng ký đất đai huyện Đắk Mil.",),
            seal_inner="H. ĐẮK MIL",
        ),
        SampleSpec(
            so_ky_hieu="203/TB-STP",
            ngay_ban_hanh=dt.date(2025, 3, 11),
            dia_danh="Đắk Nông",
            co_quan_chu_quan="UBND TỈNH ĐẮK NÔNG",
            co_quan_ban_hanh="SỞ TƯ PHÁP",
            cap="tinh",
            loai_van_ban="THÔNG BÁO",
            trich_yeu="Về việc đăng ký hoạt động của Văn phòng công chứng Gia Nghĩa",
            body=(
                "Căn cứ Luật Công chứng ngày 20 tháng 6 năm 2014;",
                "Căn cứ Nghị định số 29/2015/NĐ-CP ngày 15 tháng 3 năm 2015 của Chính phủ quy định chi tiết "
                "và hướng dẫn thi hành một số điều của Luật Công chứng;",
                "Xét hồ sơ đề nghị đăng ký hoạt động của Văn phòng công chứng Gia Nghĩa nộp tại Bộ phận Một "
                "cửa ngày 24/02/2025, Sở Tư pháp thông báo:",
                "1. Văn phòng công chứng Gia Nghĩa, trụ sở tại số 18 đường Lê Duẩn, phường Nghĩa Tân, thành "
                "phố Gia Nghĩa, tỉnh Đắk Nông, đã được cấp Giấy đăng ký hoạt động số 41.02/TP-ĐKHĐ.",
                "2. Trưởng Văn phòng: công chứng viên Trịnh Thị Mai Anh.",
                "3. Văn phòng công chứng Gia Nghĩa được hoạt động kể từ ngày được cấp Giấy đăng ký hoạt động "
                "và có trách nhiệm niêm yết công khai thời gian làm việc, lệ phí, thù lao công chứng "
                "tại trụ sở.",
                "Sở Tư pháp thông báo để các cơ quan, tổ chức, cá nhân có liên quan biết, thực hiện./.",
            ),
            tham_quyen=("KT. GIÁM ĐỐC",),
            chuc_vu_nguoi_ky="PHÓ GIÁM ĐỐC",
            nguoi_ky="Bùi Thị Ngọc Lan",
            noi_nhan=(
                "- UBND tỉnh (b/c);",
                "- UBND thành phố Gia Nghĩa;",
                "- Văn phòng công chứng Gia Nghĩa;",
                "- Cổng Thông tin điện tử Sở;",
                "- Lưu: VT, BTTP.",
            ),
            unit_code=UNIT_CODES["TỈNH ĐẮK NÔNG"],
            seal_inner="T. ĐẮK NÔNG",
        ),
    ]
