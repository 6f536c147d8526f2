"""Page clean-up before OCR (OpenCV): upright, deskewed, seal ink and uneven light removed.

Two images come out with one geometry. ``display`` is the scan as the archive shows it: the
original colours, only turned upright and deskewed (never filtered, so no information is lost).
``ocr_image`` is what Tesseract reads: gray, coloured seal/stamp ink suppressed, background
flattened, upscaled for very low-dpi scans. ``scale`` maps it back: display px = ocr px / scale.
``sohoa extract`` builds no PDF and asks for no ``display`` (``prepare(..., display=False)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr import tesseract
from ocr.pages import PageImage

OSD_MIN_CONFIDENCE = 2.0
MIN_SKEW_DEG = 0.1
MAX_SKEW_DEG = 10.0
OCR_TARGET_DPI = 300
# Tesseract reads 200 dpi office scans as well as 300 dpi ones (dev corpus: CER 9.0 % vs 9.4 %
# on a 21-page subset) at 2.25x fewer pixels; only really coarse scans are upscaled.
UPSCALE_BELOW_DPI = 170
# Finer scans would be read reduced to this resolution (the preprocessing then runs on fewer
# pixels and Tesseract is ~18 % cheaper on them), but reading 300 dpi pages at 200 cost metadata
# fields on the dev cache (so_ky_hieu, loai_van_ban, chuc_vu one document each): kept at 300.
OCR_MAX_DPI = 300
# Otsu on the flattened page before Tesseract, handed over as a 1-bit image: Tesseract then skips
# its own thresholding and reads binary lines, 0.18 CPU s/page cheaper at the same dev-corpus CER
# (6.25 vs 6.38 %), but WER rose (9.9 vs 9.3 %): tone marks are lost ("của" -> "cúa", "Hlốp" ->
# "Hiếp"), and trich_yeu fell from 95 to 70 % exact on the dev cache. Off (binarising only the
# 300 dpi pages still cost four fields, one of them a wrong trich_yeu).
BINARIZE = False
# Interpolation of the deskew warp of the OCR image (cubic keeps tone marks a little sharper).
TURN_INTERPOLATION = cv2.INTER_CUBIC
# OSD only where the cheap signals are ambiguous: clearly vertical lines are turned by 90 and the
# ascender test (or the strip check) settles 90 vs 270, as it settles 0 vs 180.
LAZY_OSD = True
# Profile energy of vertical over horizontal lines below which a page is horizontal for sure
# (upright dev and real pages: 0.05-1.92, streaked pages the highest; pages turned by 90: 7.7+).
HORIZONTAL_RATIO = 0.7
# ... and above which it is vertical for sure (below it, from HORIZONTAL_RATIO, OSD is asked).
VERTICAL_RATIO = 2.0
# Ink above over below the text lines' cores at which an upright reading needs no OSD check
# (full upright dev pages scored 1.7-4.9; short last pages can score below 1, and there OSD
# and the strip check decide as before).
CLEARLY_UPRIGHT = 1.2
# Toner streak removal (:func:`remove_streaks`, sizes at 300 dpi). Tuned cleaning (band widened
# by STREAK_WIDEN columns each side; inside it only pixels darker than the page's text, at least
# STREAK_KEEP_BELOW, kept; specks < STREAK_SPECK_AREA judged in the unwidened band; a band holding
# a dark line STREAK_TALL_LINE of the page tall is a ruling or the page edge, left alone) is OFF:
# CER 20.50 -> 17.78 % on the 11 streaked dev pages, 6.05 -> 5.71 % on all 78, but Tesseract then
# drops or garbles other header words on streaked pages: dev loses so_ky_hieu (dev_007: streak
# residue joins the number token, held back as tall), dia_danh (dev_019, dev_024), co_quan_chu_quan
# (dev_019: "UBND TỈNH" and "ngày" not read at all); held-out mild loses loai_van_ban once, harsh
# loai_van_ban 42 -> 39 (other harsh fields gain, 0 wrong anywhere; real corpus unchanged).
STREAK_TUNED = False
STREAK_WIDEN = 6
STREAK_KEEP_BELOW = 80
STREAK_SPECK_AREA = 60
STREAK_TALL_LINE = 0.25


@dataclass(frozen=True, eq=False)
class Prepared:
    display: np.ndarray | None  # None when not asked for (``prepare(..., display=False)``)
    ocr_image: np.ndarray
    rotation: int  # clockwise degrees applied to the scan to make it upright
    skew: float  # degrees the page was rotated back by (counter-clockwise positive, as OpenCV)
    scale: float = 1.0  # ocr_image pixels per display pixel
    ocr_dpi: int = 300
    # The OCR image before binarisation (flattened gray, same geometry), for re-reading a zone
    # with another threshold; ``ocr_image`` itself when not binarised.
    ocr_gray: np.ndarray | None = None
    # What :meth:`clipped_gray` is made from (None: the page was not stretched).
    clipped: ClippedGray | None = None

    @property
    def gray(self) -> np.ndarray:
        """The gray OCR image, before any binarisation: what zone re-reads threshold their own way."""
        return self.ocr_gray if self.ocr_gray is not None else self.ocr_image

    def clipped_gray(self) -> np.ndarray:
        """``ocr_gray`` (same geometry) with the contrast stretch clipped at black instead of
        folded (see :func:`flatten_background`): bold strokes stay solid. Made on each call (a
        warp and the streak removal, CPU ms), for the signer zone's second reading only."""
        if self.clipped is None:
            return self.gray
        return self.clipped.image()


@dataclass(frozen=True, eq=False)
class ClippedGray:
    """The page divided by its background (before the stretch) and the turn that made the OCR
    image from it, kept so the clipped-stretch image is made only when a re-read wants it (most
    pages need none): one gray image of the work resolution held, no CPU spent up front."""

    norm: np.ndarray
    lo: float  # the stretch's black point (see flatten_background)
    base: int
    skew: float
    up: float
    flip: bool
    dpi: int = OCR_TARGET_DPI

    def image(self) -> np.ndarray:
        flat = _stretch(self.norm, self.lo, clip=True)
        ocr = _turn(flat, self.base, self.skew, self.up)
        if self.flip:
            ocr = rotate_right_angle(ocr, 180)
        return remove_streaks(ocr, dpi=self.dpi)


def ocr_scale(dpi: int) -> float:
    """OCR image pixels per scan pixel for a scan of ``dpi``."""
    if dpi < UPSCALE_BELOW_DPI:
        return OCR_TARGET_DPI / dpi
    if dpi > OCR_MAX_DPI:
        return OCR_MAX_DPI / dpi
    return 1.0


def prepare(
    page: PageImage, *, detect_rotation: bool = True, display: bool = True, gray: np.ndarray | None = None
) -> Prepared:
    """Clean one page for OCR; see the module docstring for what each output is for.

    Orientation is decided in two steps, because Tesseract's OSD alone is unsure on degraded
    scans (its confidence is below 2 on most pages of the dev corpus, right or wrong):
    line direction from projection profiles (0/180 vs 90/270), then up/down from OSD and the
    share of ink above vs below each text line's core (diacritics and ascenders sit above),
    with a trial OCR of a strip in both directions when those two disagree.

    Everything runs at the OCR resolution (:func:`ocr_scale`): a finer scan is reduced first,
    and the page is turned and deskewed by one warp. ``display=False`` skips the archive image
    (``sohoa extract`` builds no PDF); ``gray`` is ``ink_gray(page.image)`` when the caller
    already has it.
    """
    gray = ink_gray(page.image) if gray is None else gray
    scale = ocr_scale(page.dpi)
    work_dpi = page.dpi
    if scale < 1.0:  # reduce first; an upscale waits for the final warp
        h, w = gray.shape
        gray = cv2.resize(
            gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
        work_dpi = OCR_MAX_DPI
    norm, lo = _divide_background(gray, work_dpi)
    del gray
    flat = _stretch(norm, lo)
    ink = _ink_mask(flat)
    osd: list[tuple[int, float]] = []  # run lazily: OSD costs a few tenths of a CPU second

    def run_osd() -> tuple[int, float]:
        if not osd:
            osd.append(tesseract.detect_orientation(_binary(_at_ocr_dpi(flat, work_dpi))))
        return osd[0]

    base, osd_flip, osd_conf = 0, False, 0.0
    half = _halve(ink)
    coarse = _coarse_skew(ink, half)
    if detect_rotation:
        # Line direction from the coarse passes alone; the fine pass runs for the winner only.
        # The turned mask's coarse pass reads the halved mask turned (the same pixels as the
        # turned mask halved, without a copy and a resize of the full one).
        coarse_v = _coarse_skew(ink, rotate_right_angle(half, 90))
        ratio = _line_direction_ratio(ink, half, coarse, coarse_v)
        # OSD never called an upright dev page 90/270, but misses some rotated ones; streaks can
        # fool the profiles: either signal clearly, or both mildly. Below HORIZONTAL_RATIO the
        # lines are horizontal whatever OSD says, so OSD is only asked if up/down stays unclear.
        if ratio > VERTICAL_RATIO and LAZY_OSD:
            base = 90  # 90 or 270: the up/down check below settles which
        elif ratio > HORIZONTAL_RATIO:
            osd_rotation, conf = run_osd()
            if ratio > VERTICAL_RATIO or osd_rotation in (90, 270):
                base = osd_rotation if osd_rotation in (90, 270) else 90
                osd_conf = conf if osd_rotation in (90, 270) else 0.0
            else:
                osd_flip = osd_rotation == 180
                osd_conf = conf if osd_rotation in (0, 180) else 0.0
    skew, _ = _skew_search(rotate_right_angle(ink, 90), coarse_v) if base else _skew_search(ink, coarse)
    if abs(skew) <= MIN_SKEW_DEG:
        skew = 0.0
    up = scale if scale > 1.0 else 1.0
    ocr = _turn(flat, base, skew, up)
    ocr_dpi = OCR_TARGET_DPI if up > 1.0 else work_dpi
    flip = False
    if detect_rotation:
        ascender = _ascender_ratio(ocr)
        if not osd and LAZY_OSD and ascender < 0.7:  # clearly upside down: the strip confirms
            flip = _strip_says_upside_down(ocr, ocr_dpi)
        elif osd or ascender < CLEARLY_UPRIGHT:
            if not osd:
                osd_rotation, conf = tesseract.detect_orientation(_binary(ocr))
                osd.append((osd_rotation, conf))
                osd_flip, osd_conf = osd_rotation == 180, (conf if osd_rotation in (0, 180) else 0.0)
            flip = _upside_down(ocr, ocr_dpi, osd_flip=osd_flip, osd_conf=osd_conf, ratio=ascender)
    if flip:
        ocr = rotate_right_angle(ocr, 180)
    rotation = (base + (180 if flip else 0)) % 360

    shown = None
    if display:
        shown = rotate_right_angle(page.image, base)
        if skew:
            shown = rotate_small(shown, skew, border="replicate")
        if flip:
            shown = rotate_right_angle(shown, 180)

    ocr = remove_streaks(ocr, dpi=ocr_dpi)
    ocr_gray = ocr
    clipped = None
    if lo < STRETCH_MAX_LO:
        clipped = ClippedGray(norm=norm, lo=lo, base=base, skew=skew, up=up, flip=flip, dpi=ocr_dpi)
    if BINARIZE:
        ocr = _binary(ocr)
    return Prepared(
        display=shown,
        ocr_image=ocr,
        rotation=rotation,
        skew=skew,
        scale=scale,
        ocr_dpi=ocr_dpi,
        ocr_gray=ocr_gray,
        clipped=clipped,
    )


def _binary(gray: np.ndarray) -> np.ndarray:
    return cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]


def _turn(gray: np.ndarray, base: int, skew: float, up: float = 1.0) -> np.ndarray:
    """``gray`` turned clockwise by ``base`` (a right angle), then by ``skew`` degrees
    counter-clockwise about the centre (one warp, paper-white border), then enlarged by ``up``.

    The same geometry as :func:`rotate_right_angle` then :func:`rotate_small` on the display
    image, times ``up``.
    """
    turned = rotate_right_angle(gray, base) if not skew else None
    if turned is None:
        h, w = gray.shape
        tw, th = (w, h) if base % 180 == 0 else (h, w)
        m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), skew - base, 1.0)
        m[0, 2] += tw / 2.0 - w / 2.0
        m[1, 2] += th / 2.0 - h / 2.0
        turned = cv2.warpAffine(
            gray, m, (tw, th), flags=TURN_INTERPOLATION, borderMode=cv2.BORDER_CONSTANT, borderValue=255
        )
    if up == 1.0:
        return turned
    # A coarse scan is enlarged after the turn, as its own step: one combined warp read the
    # 150 dpi test page's "QĐ" as "QĐĐ".
    return cv2.resize(turned, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)


_ONE = np.float32(1.0)

BLANK_MAX_CHARS = 25  # character-sized dark marks at 100 dpi; text pages of the corpus have 280+
BLANK_INK_LEVEL = 185  # darker than ~72 % of the local paper brightness counts as ink


def is_blank(image: np.ndarray, dpi: int) -> bool:
    """Whether a page holds no text worth OCR: an empty back page, or one that only shows a
    seal and text bleeding through from the other side.

    Measured at 100 dpi on the seal-free gray (:func:`ink_gray`) divided by the paper's own
    brightness, *before* any contrast stretch (which would turn faint bleed-through into ink):
    bleed-through stays lighter than printed ink. Scanner edges and punch holes (the outer 4 %)
    and marks too large or too small for a letter are not counted. On the real corpus blank
    back pages have 0-18 such marks, the emptiest text page (a signature block) 280.
    """
    gray = ink_gray(image)
    f = min(1.0, 100.0 / max(dpi, 1))
    small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else gray
    h, w = small.shape
    k = max(3, int(round(0.15 * dpi * f)) | 1)  # 15 px at 100 dpi: wider than any stroke
    bg = cv2.medianBlur(
        cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))), 5
    )
    norm = cv2.divide(small, bg, scale=255)
    mh, mw = int(h * 0.04), int(w * 0.04)
    ink = (norm[mh : h - mh, mw : w - mw] < BLANK_INK_LEVEL).astype(np.uint8)
    # A text page shows enough marks in its top third already: the marks lying wholly in it
    # (clear of its last row, so no mark goes on below) are marks of the whole page too, so
    # only a page with fewer there is counted in full (the same answer, a third of the work).
    top = ink[: ink.shape[0] // 3]
    if top.size and _char_marks(top, open_below=True) >= BLANK_MAX_CHARS:
        return False
    return _char_marks(ink) < BLANK_MAX_CHARS


def _char_marks(ink: np.ndarray, *, open_below: bool = False) -> int:
    """Character-sized components of an ink mask at 100 dpi (see :func:`is_blank`); with
    ``open_below``, those touching its last row (which may go on below it) are not counted."""
    n, _, stats, _ = _components(ink)
    bw, bh, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    char = (bh >= 3) & (bh <= 40) & (bw <= 60) & (area >= 4)
    if open_below:
        char &= stats[1:, cv2.CC_STAT_TOP] + bh < ink.shape[0]
    return int(char.sum())


def ink_gray(image: np.ndarray) -> np.ndarray:
    """Gray where only dark (black/gray) ink stays dark.

    The per-pixel maximum over B, G, R (HSV's V) is high for red seals, blue signatures and
    coloured stamps and low only for black text, so the seal over the signer block vanishes.
    """
    if image.ndim == 2:
        return image
    b, g, r = cv2.split(image[:, :, :3])
    return cv2.max(cv2.max(b, g), r)


def flatten_background(gray: np.ndarray, dpi: int) -> np.ndarray:
    """Divide by a background estimate: evens out lighting, lifts faded/low-contrast ink, whitens
    dark scanner borders and punch holes' shadows (large dark areas count as background)."""
    return _stretch(*_divide_background(gray, dpi))


STRETCH_MAX_LO = 250  # a page whose darkest ink is lighter than this is not stretched


def _divide_background(gray: np.ndarray, dpi: int) -> tuple[np.ndarray, float]:
    """The page divided by its background, and its darkest ink (the 0.5 % percentile), where
    :func:`_stretch` puts black."""
    h, w = gray.shape
    f = 4
    small = cv2.resize(gray, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    # A closing wider than any stroke removes the text, leaving paper (and large dark areas).
    k = max(3, int(round(dpi / 300 * 40 / f)) | 1)
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.medianBlur(bg, 5)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    norm = cv2.divide(gray, bg, scale=255)
    return norm, _percentile(norm, 0.5)


def _stretch(norm: np.ndarray, lo: float, *, clip: bool = False) -> np.ndarray:
    """Stretch so the darkest ink (``lo``) is black: faded and low-contrast scans get their
    contrast back.

    ``convertScaleAbs`` takes the absolute value, so the pixels darker than ``lo`` (the centres
    of bold strokes) fold back to a lighter gray and such strokes come out hollow. The page's
    own OCR reads that image: clipping there was measured worse (dev CER 6.08 vs 6.07 %, header
    fields lost on 4 of 40 documents, as Tesseract's page read shifts). ``clip=True`` puts those
    pixels at black instead, for the signer zone's second reading (:meth:`Prepared.clipped_gray`)."""
    if lo >= STRETCH_MAX_LO:
        return norm
    out = cv2.convertScaleAbs(norm, alpha=255.0 / (255.0 - lo), beta=-lo * 255.0 / (255.0 - lo))
    if clip:
        out[norm < lo] = 0
    return out


def _percentile(gray: np.ndarray, q: float) -> float:
    """``np.percentile(gray, q)`` of a uint8 image from its histogram (no sort of the pixels)."""
    cum = np.cumsum(cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel())
    rank = q / 100.0 * (gray.size - 1)
    lo = int(np.searchsorted(cum, np.floor(rank) + 1))
    hi = int(np.searchsorted(cum, np.floor(rank) + 2))
    return lo + (min(hi, 255) - lo) * (rank - np.floor(rank))


def rotate_right_angle(image: np.ndarray, clockwise: int) -> np.ndarray:
    """Exact (lossless) rotation by a multiple of 90 degrees clockwise."""
    k = (clockwise // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=-k)) if k else image


def rotate_small(image: np.ndarray, angle: float, *, border: str | int) -> np.ndarray:
    """Rotate by ``angle`` degrees (counter-clockwise positive) about the centre, same size."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    if border == "replicate":
        return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    value = (border,) * (image.shape[2] if image.ndim == 3 else 1)
    return cv2.warpAffine(
        image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=value
    )


def estimate_skew(gray: np.ndarray) -> float:
    """Angle (degrees, OpenCV sense: counter-clockwise positive) that makes text lines horizontal."""
    angle, _ = _skew_search(_ink_mask(gray))
    return angle


def _ink_mask(gray: np.ndarray, target: int = 1000, on: np.generic = _ONE) -> np.ndarray:
    """Text-sized ink components of a page shrunk to ``target`` px, as 0/``on`` (float 0/1)."""
    h, w = gray.shape
    f = min(1.0, target / max(h, w))
    small = cv2.resize(gray, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return _text_mask(ink, on)


def _text_profile(gray: np.ndarray, target: int) -> tuple[np.ndarray, int]:
    """Row sums of the text-sized ink of a page shrunk to about ``target`` px (the mask of
    :func:`_ink_mask`), and the shrunk width.

    Where the page is about twice ``target`` or more (300 dpi pages: 3508 px), it is shrunk by an
    integer factor (block means, OpenCV's fast path: 18 ms less than the area resize to exactly
    ``target``); on the 100 dev and real text pages the upside-down decisions stayed the same
    (one 300 dpi page's ascender ratio fell from 1.21 to 1.02, so OSD confirmed it upright).
    The mask itself is never built: all ink's row sums less those of the components it drops.
    Specks under 3 px lie on rows their stats tell, and only the few components too large for a
    letter are looked up in the labels, within their boxes (the same sums, 7 ms less).
    """
    h, w = gray.shape
    k = round(max(h, w) / target)
    if k >= 2:
        small = cv2.resize(gray, None, fx=1.0 / k, fy=1.0 / k, interpolation=cv2.INTER_AREA)
    else:
        f = min(1.0, target / max(h, w))
        small = cv2.resize(gray, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    sh, sw = ink.shape
    prof = cv2.reduce(ink, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel().astype(np.int64)
    n, labels, stats, _ = _components(ink)
    if n <= 1:
        return prof, sw
    limit = 0.03 * max(sh, sw)
    x0, y0 = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    bw, bh, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    large = (bw >= limit) | (bh >= limit)
    large[0] = False
    if int((bw[large].astype(np.int64) * bh[large]).sum()) > sh * sw:  # boxes cover more than the page
        keep = ~large & (area >= 3)
        keep[0] = False
        return cv2.reduce(keep.astype(np.uint8)[labels], 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel(), sw
    # Specks of 1 or 2 px: on their top row, or one px on each of two rows.
    speck = ~large & (area < 3)
    speck[0] = False
    prof -= np.bincount(y0[speck], weights=np.where(bh[speck] == 1, area[speck], 1), minlength=sh).astype(
        np.int64
    )
    two = speck & (bh == 2)
    prof -= np.bincount(y0[two] + 1, minlength=sh)[:sh]
    for i in np.flatnonzero(large):
        box = labels[y0[i] : y0[i] + bh[i], x0[i] : x0[i] + bw[i]]
        prof[y0[i] : y0[i] + bh[i]] -= np.count_nonzero(box == i, axis=1)
    return prof, sw


def _halve(ink: np.ndarray) -> np.ndarray:
    return cv2.resize(
        ink, (max(1, ink.shape[1] // 2), max(1, ink.shape[0] // 2)), interpolation=cv2.INTER_AREA
    )


def _coarse_skew(ink: np.ndarray, half: np.ndarray | None = None) -> tuple[float, float]:
    """The coarse pass of :func:`_skew_search`: best angle on a 0.5 degree grid and its score.

    It runs at half size (a quarter of the pixels): a 0.5 degree step needs no more. The grid
    is walked at 1 degree, then the two half-steps beside the best are tried (the energy peak
    of text lines is wider than a degree). Its score also tells horizontal from vertical lines.
    """
    if float(ink.sum()) < 50:
        return 0.0, 0.0
    energy = _RowProfiles(_halve(ink) if half is None else half).energy
    scored = {round(float(a), 2): energy(a) for a in np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, 1.0)}
    mid = max(scored, key=scored.__getitem__)
    for a in (round(mid - 0.5, 2), round(mid + 0.5, 2)):
        if abs(a) <= MAX_SKEW_DEG:
            scored[a] = energy(a)
    angle = max(scored, key=scored.__getitem__)
    return angle, scored[angle]


# The share of the page's width (height) at each side that a band must reach into on both sides
# to count as running from edge to edge (:func:`_edge_to_edge`).
EDGE_BAND = 0.05


def _line_direction_ratio(
    ink: np.ndarray, half: np.ndarray, coarse: tuple[float, float], coarse_v: tuple[float, float]
) -> float:
    """The coarse passes' score of vertical over horizontal lines, each without the bands that
    run from edge to edge of the page along it.

    A scanner's toner streak runs the whole length of the scan, across the margins; text lines
    keep off the margins. A dotted streak passes the letter-size filter (:func:`_text_mask`) dot
    by dot, and on a page turned by 90 degrees, streaks across its (vertical) lines scored as
    horizontal lines: dev_002's turned page came out at 0.08 (lines horizontal, so never
    turned), 6.2 with its 54 streak rows left out. On upright streaked pages the streak columns
    had raised the vertical score into the range where OSD is asked (0.73-1.79 on four dev
    pages, 0.11-0.65 without them). Pages without such bands keep their score (one check).
    """
    mask = half > 0
    horizontal, vertical = coarse[1], coarse_v[1]
    rows, cols = _streak_bands(mask)
    if rows.any():
        clean = half.copy()
        clean[rows, :] = 0
        horizontal = _coarse_skew(ink, clean)[1]
    if cols.any():
        clean = half.copy()
        clean[:, cols] = 0
        vertical = _coarse_skew(ink, rotate_right_angle(clean, 90))[1]
    return vertical / max(horizontal, 1e-9)


def _streak_bands(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of a boolean page mask that run from edge to edge (:func:`_edge_to_edge`).

    Streaks along one side of the page also put ink at both ends of every line across them (a
    band along the top and one along the bottom reach every column's ends). So the bands are
    read one axis first, the other on what is left, both ways round, and the reading that
    leaves more ink is kept.
    """
    rows0, cols0 = _edge_to_edge(mask), _edge_to_edge(mask.T)
    if not rows0.any() and not cols0.any():
        return rows0, cols0
    cols1 = _edge_to_edge((mask & ~rows0[:, None]).T)
    rows1 = _edge_to_edge(mask & ~cols0[None, :])
    kept_a = int((mask & ~rows0[:, None] & ~cols1[None, :]).sum())
    kept_b = int((mask & ~rows1[:, None] & ~cols0[None, :]).sum())
    return (rows0, cols1) if kept_a >= kept_b else (rows1, cols0)


def _edge_to_edge(mask: np.ndarray) -> np.ndarray:
    """Rows of a boolean page mask with ink in both outer :data:`EDGE_BAND` strips (left and
    right), widened by two rows each way (a streak is a few rows thick, its dots uneven)."""
    w = mask.shape[1]
    e = max(1, int(w * EDGE_BAND))
    both = mask[:, :e].any(axis=1) & mask[:, w - e :].any(axis=1)
    if not both.any():
        return both
    return np.convolve(both.astype(np.int32), np.ones(5, np.int32), mode="same") > 0


FINE_WARPS = 3  # grid angles of the fine skew pass measured by a real warp


def _skew_search(ink: np.ndarray, coarse: tuple[float, float] | None = None) -> tuple[float, float]:
    """Projection-profile deskew: the angle maximising the energy of the row-sum profile.

    Robust to the stamps, borders and streaks that fool line-fit estimators: only long
    horizontal runs of text produce sharp row peaks. Coarse search (``coarse`` if already
    done), then fine around the best. Returns (angle, score).
    """
    if float(ink.sum()) < 50:
        return 0.0, 0.0
    best = (coarse or _coarse_skew(ink))[0]
    # 0.1 degree steps, then the two half-steps beside the best: 13 rotations instead of 21.
    # These are real warps: the OCR of a few dev pages moved with a 0.05 degree change (one
    # signer's name lost) when the fine pass took the strip profiles' estimate too.
    grid = [round(float(a), 2) for a in np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)]
    # Only the grid's best few by the strip profiles are warped (3 instead of 11): the warps'
    # best was the profiles' best on 155 of 156 dev cases (78 pages, both line directions) and
    # second on the last, so the result is the all-warp one.
    approx = _RowProfiles(ink).energy
    ranked = sorted(grid, key=approx, reverse=True)[:FINE_WARPS]
    scored = {a: _profile_energy(ink, a) for a in grid if a in ranked}
    mid = max(scored, key=scored.__getitem__)
    for a in (round(mid - 0.05, 2), round(mid + 0.05, 2)):
        scored[a] = _profile_energy(ink, a)
    angle = max(scored, key=scored.__getitem__)
    return angle, scored[angle]


def _profile_energy(ink: np.ndarray, angle: float) -> float:
    sh, sw = ink.shape
    m = cv2.getRotationMatrix2D((sw / 2.0, sh / 2.0), float(angle), 1.0)
    rot = cv2.warpAffine(ink, m, (sw, sh), flags=cv2.INTER_LINEAR, borderValue=0)
    d = np.diff(rot.sum(axis=1))
    return float(np.dot(d, d))


class _RowProfiles:
    """Row-sum profile of an ink mask as if rotated about its centre (OpenCV's sense), without
    warping the mask: the row sums of 8 px wide column strips are computed once, and each angle
    only shifts every strip's profile by where its centre lands (linear interpolation).

    Within a strip the shift differs by at most 4 px * sin(angle) (0.07 px at 1 degree), so
    the energies follow a full warp's closely: the coarse passes pick the same angles as with
    warps on the 78 dev pages, at a fifth of the cost (82 of the ~95 warps per page).
    """

    STRIP = 8

    def __init__(self, ink: np.ndarray) -> None:
        h, w = ink.shape
        starts = np.arange(0, w, self.STRIP)
        ends = np.minimum(starts + self.STRIP, w)
        prof = np.zeros((len(starts), h + 2), np.float32)  # one zero row either side
        prof[:, 1:-1] = np.add.reduceat(ink, starts, axis=1).T
        self._flat = prof.ravel()
        # Each row's step to the next, so an interpolation takes one lookup per end, not two.
        self._step = np.zeros_like(self._flat)
        self._step[:-1] = np.diff(self._flat)
        self._offset = (np.arange(len(starts), dtype=np.int32) * (h + 2))[:, None]
        self._dx = ((starts + ends - 1) / 2.0 - w / 2.0).astype(np.float32)[:, None]
        self._rows = (np.arange(h, dtype=np.float32) - h / 2.0)[None, :]
        self._h = h

    def energy(self, angle: float) -> float:
        """Sum of squared differences of neighbouring rows of the profile turned by ``angle``."""
        a = np.deg2rad(float(angle))
        cos, sin = float(np.cos(a)), float(np.sin(a))
        # Source row of each strip that lands on each output row (+1: the zero row in front).
        y = (self._rows + sin * self._dx) * np.float32(1.0 / cos) + np.float32(self._h / 2.0 + 1.0)
        np.clip(y, 0.0, self._h + 0.999, out=y)
        i0 = y.astype(np.int32)
        y -= i0.astype(np.float32)  # the fraction, in float32 (was float64: the same angles, 20 % less time)
        i0 += self._offset
        v = self._step[i0]
        v *= y
        v += self._flat[i0]
        d = np.diff(v.sum(axis=0, dtype=np.float64) / cos)
        return float(np.dot(d, d))


def _ascender_ratio(gray: np.ndarray) -> float:
    """Ink above each text line's core band over ink below it, on a deskewed page.

    Vietnamese puts tone marks and ascenders above the x-height far more often than descenders
    and dots below it, so an upright page scores above 1 and an upside-down one below.
    """
    prof, width = _text_profile(gray, target=2000)
    on = prof > 0.01 * width
    above = below = 0.0
    i, n = 0, len(prof)
    while i < n:
        if not on[i]:
            i += 1
            continue
        j = i
        while j < n and on[j]:
            j += 1
        if j - i >= 4:
            p = prof[i:j]
            core = np.nonzero(p >= 0.5 * p.max())[0]
            above += float(p[: core[0]].sum())
            below += float(p[core[-1] + 1 :].sum())
        i = j
    return above / max(below, 1e-9)


def remove_streaks(
    gray: np.ndarray,
    *,
    dpi: int = OCR_TARGET_DPI,
    excess: float = 0.06,
    speck_area: int = STREAK_SPECK_AREA,
    widen: int = STREAK_WIDEN,
    keep_below: int = STREAK_KEEP_BELOW,
    tall: float = STREAK_TALL_LINE,
    tuned: bool | None = None,
) -> np.ndarray:
    """Whiten vertical toner streaks (scanner glass dirt) in a deskewed page of ``dpi``.

    Streak columns hold clearly more ink than their neighbourhood. Inside them, specks (small
    components lying within the band) and mid-gray speckle (from 140 up) are erased; letters
    crossing the band are larger than a speck and survive. On the dev corpus this cut streaked
    pages' CER by a fifth; pages without streaks come out unchanged.

    ``tuned`` (default :data:`STREAK_TUNED`, off: see there why) cleans harder: the band found is widened by
    ``widen`` columns each side (a streak's lighter rim escapes the column test); inside it only
    pixels darker than the page's text (the median gray of its ink outside the bands, or
    ``keep_below`` if that is darker) are kept, and specks (small components lying within the
    band) are erased: letters crossing the band are as dark as the text and larger than a speck.
    A band holding a dark line ``tall`` of the page height or more is a ruling or the scan's
    edge, not a streak, and is left alone. Sizes are for 300 dpi and scaled to ``dpi`` below it
    (a colon's dot at 200 dpi is smaller than the speck size at 300). Pages without streaks come
    out unchanged.
    """
    ink = cv2.threshold(gray, 139, 1, cv2.THRESH_BINARY_INV)[1]  # gray < 140
    h, w = ink.shape
    share = cv2.reduce(ink, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() / h  # column means
    col = cv2.blur(share.astype(np.float32).reshape(1, -1), (9, 1)).ravel()
    # Baseline: the larger of the medians beside the column (150 px each side, 20 px gap), so the
    # edge of the text block next to an empty margin does not count as a streak.
    reach, gap = 170, 20
    padded = np.pad(col, reach, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, reach - gap)[:, ::3]
    # The right-hand windows are the left-hand ones shifted by reach + gap: one median each.
    medians = np.median(windows[: reach + gap + w], axis=1).astype(np.float32)
    left, right = medians[:w], medians[reach + gap :]
    band = (col - np.maximum(left, right)) > excess
    if not band.any():
        return gray
    if not (STREAK_TUNED if tuned is None else tuned):
        widen, keep_below, tall, dpi = 0, 140, 0.0, OCR_TARGET_DPI
    if dpi < OCR_TARGET_DPI:
        widen = round(widen * dpi / OCR_TARGET_DPI)
        speck_area = round(speck_area * (dpi / OCR_TARGET_DPI) ** 2)
    core = band  # the columns the test found: specks are judged against these
    if widen:
        band = (
            cv2.dilate(band.view(np.uint8).reshape(1, -1), np.ones((1, 2 * widen + 1), np.uint8)).ravel() > 0
        )
    cols = np.flatnonzero(band)
    if tall:  # a dark line a quarter of the page tall in a band: a ruling or the page's edge
        runs = np.flatnonzero(np.diff(cols) > 1)
        dark = cv2.threshold(gray, keep_below - 1, 1, cv2.THRESH_BINARY_INV)[1]
        for a, b in zip(cols[np.r_[0, runs + 1]], cols[np.r_[runs, len(cols) - 1]] + 1, strict=True):
            stats = _components(np.ascontiguousarray(dark[:, a:b]))[2]
            if (stats[1:, cv2.CC_STAT_HEIGHT] >= tall * h).any():
                band[a:b] = False
        if not band.any():
            return gray
        core = core & band
    # The page's text darkness: the median gray of its ink (< 140) beside the bands.
    beside = np.ascontiguousarray(np.broadcast_to(~band[None, :], gray.shape)).view(np.uint8)
    hist = cv2.calcHist([gray], [0], beside, [140], [0, 140]).ravel() if keep_below < 140 else None
    if hist is not None and hist.sum():
        keep_below = max(keep_below, int(np.searchsorted(np.cumsum(hist), hist.sum() / 2)) + 1)
    out = gray.copy()
    # Specks are found in column windows around the streaks only. A speck is narrower than its
    # area and lies over 80 % in the band, so it reaches less than speck_area / 5 columns past
    # it: with that margin every speck is whole in its window, and a piece of something larger
    # cut by a window's edge reaches as far past the band, so it cannot pass for one either.
    # Same result as the components of the whole page, on a fraction of the pixels.
    margin = speck_area // 5 + 2
    cols = np.flatnonzero(core)
    breaks = np.flatnonzero(np.diff(cols) > 2 * margin)
    for a, b in zip(cols[np.r_[0, breaks + 1]], cols[np.r_[breaks, len(cols) - 1]], strict=True):
        lo, hi = max(0, int(a) - margin), min(w, int(b) + 1 + margin)
        n, labels, stats, _ = _components(np.ascontiguousarray(ink[:, lo:hi]))
        x0 = stats[:, cv2.CC_STAT_LEFT]
        x1 = x0 + stats[:, cv2.CC_STAT_WIDTH]
        cum = np.concatenate([[0], np.cumsum(core[lo:hi])])
        in_band = (cum[x1] - cum[x0]) / np.maximum(1, x1 - x0)
        speck = (in_band > 0.8) & (stats[:, cv2.CC_STAT_AREA] < speck_area)
        speck[0] = False
        out[:, lo:hi][speck[labels]] = 255
    out[np.broadcast_to(band[None, :], gray.shape) & (gray >= keep_below)] = 255
    return out


def _at_ocr_dpi(gray: np.ndarray, dpi: int) -> np.ndarray:
    if dpi >= UPSCALE_BELOW_DPI:
        return gray
    s = OCR_TARGET_DPI / dpi
    return cv2.resize(gray, None, fx=s, fy=s, interpolation=cv2.INTER_CUBIC)


def _upside_down(
    flat: np.ndarray, dpi: int, *, osd_flip: bool, osd_conf: float, ratio: float | None = None
) -> bool:
    """Whether a deskewed page with horizontal lines needs turning by 180 degrees."""
    ratio = _ascender_ratio(flat) if ratio is None else ratio
    if osd_flip and osd_conf >= OSD_MIN_CONFIDENCE and ratio < 1.0:
        return True
    if not osd_flip and ratio >= 0.7:
        return False
    # The signals disagree or are weak: read a strip both ways and trust Tesseract's confidence.
    return _strip_says_upside_down(flat, dpi)


def _strip_says_upside_down(flat: np.ndarray, dpi: int) -> bool:
    """Read the inkiest strip both ways and trust Tesseract's confidence."""
    img = _at_ocr_dpi(flat, dpi)
    ocr_dpi = OCR_TARGET_DPI if dpi < UPSCALE_BELOW_DPI else dpi
    return _strip_confidence(img, 180, ocr_dpi) > _strip_confidence(img, 0, ocr_dpi) + 5.0


def _strip_confidence(img: np.ndarray, rotation: int, dpi: int = OCR_TARGET_DPI) -> float:
    """Mean word confidence of the inkiest 15 % band of the page, read turned by ``rotation``.

    The band is chosen by ink, not at a fixed height, so a short last page (a signature block at
    the top) is still read on text rather than on empty paper.
    """
    h = img.shape[0]
    band = max(1, int(h * 0.15))
    rows = (img < 128).sum(axis=1, dtype=np.int64)
    sums = np.convolve(rows, np.ones(band, dtype=np.int64), mode="valid")
    y0 = int(np.argmax(sums)) if sums.size else 0
    strip = rotate_right_angle(np.ascontiguousarray(img[y0 : y0 + band]), rotation)
    words, _ = tesseract.recognize(strip, dpi=dpi, psm=6)
    confident = [w.confidence for w in words if len(w.text) > 1]
    return float(np.mean(confident)) if confident else 0.0


def _components(ink: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """8-connected components with stats. Grana's algorithm labels the same components as
    OpenCV's default (only the label numbers may differ) at a third of the CPU time here."""
    return cv2.connectedComponentsWithStatsWithAlgorithm(ink, 8, cv2.CV_32S, cv2.CCL_GRANA)


def _text_mask(ink: np.ndarray, on: np.generic = _ONE) -> np.ndarray:
    """Keep character-sized components only: borders, punch holes, seals' rings and toner
    streaks are larger than any letter, and would otherwise dominate the profiles. Kept pixels
    are ``on``, the rest 0 (one lookup of the component labels, no further passes)."""
    n, labels, stats, _ = _components(ink)
    if n <= 1:
        return (ink > 0).astype(type(on)) * on
    limit = 0.03 * max(ink.shape)
    bw, bh = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    keep = (bw < limit) & (bh < limit) & (stats[:, cv2.CC_STAT_AREA] >= 3)
    keep[0] = False
    return np.where(keep, on, type(on)(0))[labels]
