"""The cheaper preprocessing paths give the results of the plain ones they replace (no timing)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.preprocess import (
    BLANK_INK_LEVEL,
    BLANK_MAX_CHARS,
    _char_marks,
    _RowProfiles,
    _text_mask,
    is_blank,
    remove_streaks,
)


def _text_page(seed: int = 0) -> np.ndarray:
    """A gray ~300 dpi page of text-like lines (uint8, white paper)."""
    rng = np.random.default_rng(seed)
    page = np.full((1400, 1000), 255, np.uint8)
    for y in range(120, 1300, 45):
        x = 80
        while x < 900:
            word = "".join(rng.choice(list("abcdefghklmnopqrstuvxy"), int(rng.integers(2, 7))))
            cv2.putText(page, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2, cv2.LINE_AA)
            x += 22 * len(word) + 25
    return page


def _warp_energy(ink: np.ndarray, angle: float) -> float:
    """The row-profile energy by warping the whole mask (what :class:`_RowProfiles` replaces)."""
    h, w = ink.shape
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    d = np.diff(cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0).sum(axis=1))
    return float(np.dot(d, d))


@pytest.mark.parametrize("skew", [-3.0, 0.0, 1.7])
def test_row_profiles_follow_a_full_warp(skew: float) -> None:
    page = _text_page()
    h, w = page.shape
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), skew, 1.0)
    page = cv2.warpAffine(page, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    ink = _text_mask(cv2.threshold(page, 128, 255, cv2.THRESH_BINARY_INV)[1])
    angles = np.round(np.arange(-5.0, 5.0 + 1e-9, 0.1), 2)
    fast = np.array([_RowProfiles(ink).energy(a) for a in angles])
    slow = np.array([_warp_energy(ink, a) for a in angles])
    assert np.abs(fast - slow).max() < 0.03 * slow.max()
    assert abs(angles[int(np.argmax(fast))] - angles[int(np.argmax(slow))]) <= 0.1
    assert angles[int(np.argmax(fast))] == pytest.approx(-skew, abs=0.15)


def _streaks_whole_page(
    gray: np.ndarray, band: np.ndarray, speck_area: int = 60, keep_below: int = 140
) -> np.ndarray:
    """Speck removal with the components of the whole page (the reference for the windows)."""
    ink = cv2.threshold(gray, 139, 1, cv2.THRESH_BINARY_INV)[1]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x0 = stats[:, cv2.CC_STAT_LEFT]
    x1 = x0 + stats[:, cv2.CC_STAT_WIDTH]
    cum = np.concatenate([[0], np.cumsum(band)])
    in_band = (cum[x1] - cum[x0]) / np.maximum(1, x1 - x0)
    speck = (in_band > 0.8) & (stats[:, cv2.CC_STAT_AREA] < speck_area)
    speck[0] = False
    out = gray.copy()
    out[speck[labels]] = 255
    out[np.broadcast_to(band[None, :], gray.shape) & (gray >= keep_below)] = 255
    return out


@pytest.mark.parametrize("tuned", [False, True])
def test_streak_windows_remove_what_the_whole_page_would(tuned: bool) -> None:
    page = _text_page(1)
    rng = np.random.default_rng(2)
    streaked = page.copy()
    for lo, hi in ((300, 325), (345, 360), (820, 850)):  # two close streaks share a window
        region = streaked[:, lo:hi]
        specks = rng.random(region.shape) < 0.3
        streaked[:, lo:hi] = np.where(specks, rng.integers(0, 180, region.shape), region)
    # Specks reaching a little past a streak, and a long thin mark leaving it (not a speck).
    streaked[600:602, 846:856] = 0
    streaked[700, 826:900] = 0
    # Tuned, unwidened: the band's pixels from 80 up are whitened (the letters are black).
    keep = 80 if tuned else 140
    cleaned = remove_streaks(streaked, tuned=tuned, widen=0)
    assert not np.array_equal(cleaned, streaked)
    # The band remove_streaks found: the columns it whitened mid-gray pixels in.
    mid_gray = (streaked >= keep) & (streaked < 255)
    band = ((cleaned == 255) & mid_gray).any(axis=0)
    assert band[310] and band[835] and not band[600]
    assert np.array_equal(cleaned, _streaks_whole_page(streaked, band, keep_below=keep))


@pytest.mark.parametrize("shape", [(3508, 2480), (2339, 1654)])  # 300 and 200 dpi A4
def test_text_profile_is_the_row_sums_of_the_text_mask(shape: tuple[int, int]) -> None:
    from ocr.preprocess import _text_profile

    rng = np.random.default_rng(3)
    page = cv2.resize(_text_page(4), shape[::-1], interpolation=cv2.INTER_LINEAR)
    page[40:60, :] = 0  # a rule wider than any letter
    cv2.rectangle(page, (100, 100), (shape[1] - 100, shape[0] - 100), 0, 6)  # a frame
    dots = rng.random(page.shape) < 0.0005  # specks of one or two pixels
    page[dots] = 0
    page[np.roll(dots, 1, axis=0) & (rng.random(page.shape) < 0.5)] = 0
    prof, width = _text_profile(page, target=2000)
    # The plain way: shrink the same way, build the mask, sum its rows.
    h, w = page.shape
    k = round(max(h, w) / 2000)
    if k >= 2:
        small = cv2.resize(page, None, fx=1.0 / k, fy=1.0 / k, interpolation=cv2.INTER_AREA)
    else:
        f = 2000 / max(h, w)
        small = cv2.resize(page, (int(w * f), int(h * f)), interpolation=cv2.INTER_AREA)
    ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    mask = _text_mask(ink, np.uint8(1))
    assert width == mask.shape[1]
    assert np.array_equal(prof, mask.sum(axis=1))
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    assert (stats[1:, cv2.CC_STAT_AREA] < 3).sum() > 100  # the specks are really there
    assert mask.sum() < (ink > 0).sum() - 1000  # and the rule and frame were dropped


def _marks_whole_page(image: np.ndarray, dpi: int) -> int:
    """The character-sized marks :func:`is_blank` counts, always over the whole page."""
    f = min(1.0, 100.0 / dpi)
    small = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    h, w = small.shape
    k = max(3, int(round(0.15 * dpi * f)) | 1)
    bg = cv2.medianBlur(
        cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))), 5
    )
    norm = cv2.divide(small, bg, scale=255)
    mh, mw = int(h * 0.04), int(w * 0.04)
    return _char_marks((norm[mh : h - mh, mw : w - mw] < BLANK_INK_LEVEL).astype(np.uint8))


@pytest.mark.parametrize(
    ("rows", "strokes", "blank"),
    [((0, 4), False, False), ((9, 13), False, False), ((11, 12), False, True), ((0, 0), True, True)],
)
def test_blank_check_from_the_top_third_answers_as_the_whole_page(
    rows: tuple[int, int], strokes: bool, blank: bool
) -> None:
    # Lines of text at the top or the bottom of a 300 dpi page; or only strokes too tall for a
    # letter, across the last row of the top third (whose pieces in it are letter-sized).
    page = np.full((1400, 1000), 255, np.uint8)
    for i in range(*rows):
        cv2.putText(page, "ab cd ef gh ik", (80, 100 + i * 95), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    if strokes:
        for x in range(100, 900, 25):
            cv2.line(page, (x, 400), (x, 580), 0, 3)
    assert (_marks_whole_page(page, 300) < BLANK_MAX_CHARS) == blank
    assert is_blank(page, 300) == blank
