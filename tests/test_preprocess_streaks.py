"""Tuned toner streak removal (``remove_streaks(..., tuned=True)``, off by default: see
ocr.preprocess.STREAK_TUNED): what a streak band keeps (letters, rulings) and what it whitens."""

from __future__ import annotations

import cv2
import numpy as np

from ocr.preprocess import remove_streaks


def _page(ink: int = 0, seed: int = 0) -> np.ndarray:
    """A gray ~300 dpi page of text-like lines drawn in gray level ``ink`` on white paper."""
    rng = np.random.default_rng(seed)
    page = np.full((1400, 1000), 255, np.uint8)
    for y in range(120, 1300, 45):
        x = 80 + int(rng.integers(0, 60))  # ragged: an aligned margin would itself stand out
        while x < 900:
            word = "".join(rng.choice(list("abcdefghklmnopqrstuvxy"), int(rng.integers(2, 7))))
            cv2.putText(page, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, ink, 3)
            x += 22 * len(word) + 25
    return page


def _streak(page: np.ndarray, lo: int, hi: int, levels: tuple[int, int], seed: int = 1) -> np.ndarray:
    """Toner dust over columns lo:hi, gray levels in ``levels``, darkening the page under it."""
    rng = np.random.default_rng(seed)
    out = page.copy()
    region = out[:, lo:hi]
    dust = rng.random(region.shape) < 0.35
    out[:, lo:hi] = np.where(dust, np.minimum(region, rng.integers(*levels, region.shape)), region)
    return out


def test_mid_gray_toner_in_a_band_is_whitened_on_a_black_text_page() -> None:
    page = _page()
    streaked = _streak(page, 400, 420, (95, 135))
    cleaned = remove_streaks(streaked, tuned=True)
    band = cleaned[:, 400:420]
    # Gray dust darker than 140 was kept by the old rule; the letters are black, the dust goes.
    assert ((band >= 80) & (band < 255)).sum() == 0
    letters = page[:, 400:420] < 80
    assert (cleaned[:, 400:420][letters] < 80).mean() > 0.95


def test_a_streak_rim_beside_the_band_is_whitened() -> None:
    page = _page()
    streaked = _streak(page, 400, 420, (40, 120))
    streaked[:, 396:400] = np.minimum(streaked[:, 396:400], 200)  # the lighter rim
    cleaned = remove_streaks(streaked, tuned=True)
    rim = cleaned[:, 396:400]
    assert ((rim >= 80) & (rim < 255)).sum() == 0


def test_faded_letters_across_a_band_are_kept() -> None:
    page = _page(ink=115)  # faded ink: the text itself is lighter than the fixed keep level
    streaked = _streak(page, 400, 420, (120, 139))
    cleaned = remove_streaks(streaked, tuned=True)
    cores = page[:, 400:420] <= 115  # the letters' own gray (their drawn edges are lighter)
    assert cores.sum() > 500
    assert (cleaned[:, 400:420][cores] == 115).all()
    assert (cleaned[:, 400:420][page[:, 400:420] == 255] == 255).all()  # the dust is gone


def test_a_ruling_a_quarter_of_the_page_tall_is_not_a_streak() -> None:
    page = _page()
    page[100:1300, 500:503] = 0  # a table ruling, with a gray antialiased rim
    page[100:1300, 499] = 170
    page[100:1300, 503] = 170
    assert np.array_equal(remove_streaks(page, tuned=True)[:, 480:520], page[:, 480:520])
