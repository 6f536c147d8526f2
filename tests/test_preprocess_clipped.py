"""The clipped contrast stretch for the signer zone's second reading (ocr.preprocess): bold
strokes darker than the stretch's black point stay solid there, and the page's own OCR image
stays what it was (the folding stretch)."""

from __future__ import annotations

import cv2
import numpy as np

from ocr.pages import PageImage
from ocr.preprocess import (
    ClippedGray,
    _turn,
    flatten_background,
    prepare,
    remove_streaks,
    rotate_right_angle,
)


def _page() -> np.ndarray:
    """A gray 300 dpi page: paper 230, thin text strokes at 60 (~3 % of the pixels), and one
    bold bar whose 5 px core (~0.3 %, below the 0.5 % percentile) is printed at 10."""
    page = np.full((1200, 900), 230, np.uint8)
    for y in range(100, 1100, 40):
        for x in range(80, 820, 30):
            cv2.line(page, (x, y), (x + 14, y + 18), 60, 3)
    page[600:620, 100:700] = 60
    page[608:613, 100:700] = 10
    return page


def _folding_flatten(gray: np.ndarray, dpi: int) -> np.ndarray:
    """flatten_background as it was before the clipped stretch came in (the reference)."""
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, int(round(dpi / 300 * 40 / 4)) | 1)
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.resize(cv2.medianBlur(bg, 5), (w, h), interpolation=cv2.INTER_LINEAR)
    norm = cv2.divide(gray, bg, scale=255)
    lo = np.percentile(norm, 0.5)
    return cv2.convertScaleAbs(norm, alpha=255.0 / (255.0 - lo), beta=-lo * 255.0 / (255.0 - lo))


def test_the_page_image_keeps_the_folding_stretch() -> None:
    gray = _page()
    flat = flatten_background(gray, 300)
    assert np.array_equal(flat, _folding_flatten(gray, 300))
    prepared = prepare(PageImage(index=0, image=gray, dpi=300), detect_rotation=False, display=False)
    assert np.array_equal(prepared.ocr_image, flat)  # upright, no skew: the flattened page itself


def test_a_bold_stroke_darker_than_the_black_point_stays_solid_in_the_clipped_image() -> None:
    prepared = prepare(PageImage(index=0, image=_page(), dpi=300), detect_rotation=False, display=False)
    core = (slice(608, 613), slice(120, 680))
    assert prepared.ocr_gray[core].min() > 40  # folded back: the bar is hollow in the page image
    clipped = prepared.clipped_gray()
    assert clipped.shape == prepared.ocr_gray.shape
    assert clipped[core].max() == 0
    # Only the folded pixels differ: everything else is the page image, pixel for pixel.
    differ = clipped != prepared.ocr_gray
    assert differ[core].all() and differ.mean() < 0.005
    assert (clipped[differ] == 0).all()


def test_the_clipped_image_is_turned_as_the_page_image() -> None:
    gray = _page()
    norm = gray.copy()  # any "divided" page: the stretch and turn are what is checked
    lo = 40.0
    for base, skew, up, flip in [(90, 0.0, 1.0, True), (0, 2.5, 1.5, False), (270, -1.2, 1.0, False)]:
        clipped = ClippedGray(norm=norm, lo=lo, base=base, skew=skew, up=up, flip=flip).image()
        folded = cv2.convertScaleAbs(norm, alpha=255.0 / (255.0 - lo), beta=-lo * 255.0 / (255.0 - lo))
        expect = _turn(np.where(norm < lo, 0, folded).astype(np.uint8), base, skew, up)
        expect = remove_streaks(rotate_right_angle(expect, 180) if flip else expect)
        assert clipped.shape == expect.shape
        assert np.array_equal(clipped, expect)


def test_a_deskewed_page_and_its_clipped_image_line_up() -> None:
    gray = _page()
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), 2.0, 1.0)
    skewed = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=230)
    prepared = prepare(PageImage(index=0, image=skewed, dpi=300), detect_rotation=False, display=False)
    assert abs(prepared.skew) > 1.0
    clipped = prepared.clipped_gray()
    assert clipped.shape == prepared.ocr_gray.shape
    # Misaligned, every stroke would differ; lined up, only the bar's folded core (and the
    # interpolation around it) does, darker than the page image there.
    differ = clipped != prepared.ocr_gray
    assert 0 < differ.mean() < 0.01
    bar = cv2.dilate((prepared.ocr_gray < 128).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert bar[differ].all()
    assert clipped[differ].astype(int).mean() < prepared.ocr_gray[differ].astype(int).mean() - 30
