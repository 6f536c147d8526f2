"""ocr.tesseract / ocr.preprocess / ocr.engine with the real Tesseract on small drawn pages.

Pages are drawn here with Pillow in DejaVu Serif (which has every Vietnamese glyph).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytesseract
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr import tesseract
from ocr.engine import ocr_document, ocr_page
from ocr.pages import PageImage
from ocr.preprocess import estimate_skew, ink_gray, prepare, rotate_right_angle
from schemas.documents import OcrWord
from schemas.errors import OcrError, OcrUnavailable

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
LINES = [
    "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG",
    "Số: 15/QĐ-UBND",
    "QUYẾT ĐỊNH",
    "Về việc cấp giấy chứng nhận đăng ký",
    "hộ kinh doanh cho ông Nguyễn Văn Bình",
    "Căn cứ Luật Tổ chức chính quyền địa phương",
    "ngày 19 tháng 6 năm 2015 của Quốc hội;",
    "Điều 1. Quyết định này có hiệu lực kể từ ngày ký.",
]

pytestmark = pytest.mark.skipif(not FONT.exists(), reason="DejaVu Serif font not installed")


def _draw_page(size: int = 30, seal: bool = False) -> np.ndarray:
    """A small upright page in BGR, 300 dpi-like text size."""
    font = ImageFont.truetype(str(FONT), size)
    w, h = 1100, 120 + len(LINES) * int(size * 1.9)
    img = Image.new("RGB", (w, h), (250, 248, 244))
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(LINES):
        draw.text((60, 60 + i * int(size * 1.9)), line, font=font, fill=(20, 20, 20))
    if seal:
        draw.ellipse((600, 40, 900, 340), outline=(220, 30, 30), width=14)
        draw.text((640, 170), "ĐẮK NÔNG", font=font, fill=(220, 30, 30))
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])


@pytest.fixture(scope="module")
def page_image() -> np.ndarray:
    return _draw_page()


def _skewed(image: np.ndarray, angle: float) -> np.ndarray:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(image, m, (w, h), borderValue=(250, 248, 244))


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def test_check_tesseract() -> None:
    tesseract.check_tesseract("vie")
    with pytest.raises(OcrUnavailable):
        tesseract.check_tesseract("vie+zzz")


def test_normalize_text_folds_lookalikes() -> None:
    raw = unicodedata.normalize("NFD", "Số: 15/Q\u00d0-UBND \u2013 \u201cĐắk R\u2019Lấp\u201d")
    out = tesseract.normalize_text(raw)
    assert out == 'Số: 15/QĐ-UBND - "Đắk R\'Lấp"'
    assert unicodedata.is_normalized("NFC", out)


def test_recognize_reads_vietnamese(page_image: np.ndarray) -> None:
    words, text = tesseract.recognize(page_image, dpi=300)
    folded = _folded(text)
    assert "QUYẾT ĐỊNH" in folded
    assert "Số: 15/QĐ-UBND" in folded
    assert "Nguyễn Văn Bình" in folded
    assert len(text.split("\n")) == len(LINES)
    quyet = next(w for w in words if w.text == "QUYẾT")
    so = next(w for w in words if w.text == "Số:")
    assert (quyet.block, quyet.paragraph, quyet.line) != (so.block, so.paragraph, so.line)
    assert 50 <= quyet.left <= 80 and quyet.confidence > 50


def test_recognize_translates_failures(monkeypatch: pytest.MonkeyPatch, page_image: np.ndarray) -> None:
    monkeypatch.setattr(tesseract, "_capi", lambda lang: None)  # the command-line path

    def timeout(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Tesseract process timeout")

    monkeypatch.setattr(pytesseract, "image_to_data", timeout)
    with pytest.raises(OcrError):
        tesseract.recognize(page_image, dpi=300, timeout_s=1)

    def broken(*args: object, **kwargs: object) -> None:
        raise pytesseract.TesseractError(1, "Error opening data file /x/zzz.traineddata")

    monkeypatch.setattr(pytesseract, "image_to_data", broken)
    with pytest.raises(OcrUnavailable):
        tesseract.recognize(page_image, dpi=300, lang="zzz")


needs_libtesseract = pytest.mark.skipif(tesseract._library() is None, reason="libtesseract not loadable")


@needs_libtesseract
def test_in_process_engine_reads_as_the_command(
    monkeypatch: pytest.MonkeyPatch, page_image: np.ndarray
) -> None:
    """Same words, boxes and orientation from libtesseract in this process as from the command,
    for gray, bilevel and colour images; page settings of one call do not leak into the next."""
    gray = ink_gray(page_image)
    bilevel = np.where(gray < 128, 0, 255).astype(np.uint8)
    calls = [
        (page_image, {"psm": 4}),
        (gray, {"psm": 6, "config": ""}),
        (bilevel, {"psm": 4, "config": "-c tessedit_do_invert=0"}),
    ]
    inproc = [tesseract.recognize(img, dpi=300, **kw) for img, kw in calls]
    turned = tesseract.detect_orientation(rotate_right_angle(np.vstack([gray] * 3), 90))
    engine = tesseract._capi("vie")
    assert engine._value("thresholding_method") == "0"  # DEFAULT_CONFIG's 2 was undone
    assert engine._value("tessedit_do_invert") == "0"  # the last call's setting
    monkeypatch.setattr(tesseract, "_capi", lambda lang: None)
    assert [tesseract.recognize(img, dpi=300, **kw) for img, kw in calls] == inproc
    rotation, conf = tesseract.detect_orientation(rotate_right_angle(np.vstack([gray] * 3), 90))
    assert turned[0] == rotation == 270 and turned[1] == pytest.approx(conf, abs=0.01)


@needs_libtesseract
def test_in_process_engine_errors(page_image: np.ndarray) -> None:
    with pytest.raises(OcrError):
        tesseract.recognize(np.vstack([page_image] * 6), dpi=300, timeout_s=0.001)
    with pytest.raises(OcrUnavailable):
        tesseract.recognize(page_image, dpi=300, lang="zzz")
    assert "QUYẾT" in tesseract.recognize(page_image, dpi=300)[1]  # the engine still works


def test_red_seal_ink_is_suppressed() -> None:
    image = _draw_page(seal=True)
    gray = ink_gray(image)
    red = (image[:, :, 2] > 180) & (image[:, :, 1] < 80)
    assert red.any()
    assert gray[red].min() > 200  # seal pixels turn to paper
    text_px = image.max(axis=2) < 60
    assert gray[text_px].max() < 80  # black text stays black


@pytest.mark.parametrize("clockwise", [90, 180, 270])
def test_prepare_recovers_rotation(page_image: np.ndarray, clockwise: int) -> None:
    turned = rotate_right_angle(page_image, clockwise)
    prepared = prepare(PageImage(index=0, image=turned, dpi=300))
    assert (prepared.rotation + clockwise) % 360 == 0
    assert prepared.display.shape == page_image.shape
    assert np.array_equal(prepared.display, page_image)


def test_prepare_deskews(page_image: np.ndarray) -> None:
    prepared = prepare(PageImage(index=0, image=_skewed(page_image, 3.0), dpi=300))
    assert prepared.rotation == 0
    assert prepared.skew == pytest.approx(-3.0, abs=0.25)
    straight = prepare(PageImage(index=0, image=page_image, dpi=300))
    assert straight.skew == 0.0 and straight.rotation == 0


def test_ocr_page_on_rotated_skewed_low_dpi_scan(page_image: np.ndarray) -> None:
    """150 dpi, upside down and skewed: boxes come back in display pixels."""
    small = cv2.resize(_skewed(page_image, -2.0), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    page = PageImage(index=3, image=rotate_right_angle(small, 180), dpi=150)
    result, display = ocr_page(page)
    assert result.rotation == 180
    assert result.skew == pytest.approx(2.0, abs=0.3)
    assert (result.width, result.height) == (display.shape[1], display.shape[0])
    assert result.dpi == 150 and result.index == 3
    folded = _folded(result.text)
    assert "QUYẾT ĐỊNH" in folded and "15/QĐ-UBND" in folded
    assert 0 < result.confidence <= 100
    for w in result.words:
        assert w.left >= 0 and w.left + w.width <= result.width + 2
        assert w.top >= 0 and w.top + w.height <= result.height + 2
    quyet = next(w for w in result.words if w.text == "QUYẾT")
    assert 20 <= quyet.left <= 50  # drawn at x=60 on the 2x larger original


def test_ocr_document_keeps_order(page_image: np.ndarray) -> None:
    small = cv2.resize(page_image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    blank = np.full((300, 300), 255, np.uint8)
    pages = [PageImage(index=0, image=small, dpi=150), PageImage(index=1, image=blank, dpi=150)]
    results = ocr_document(pages, workers=2)
    assert [r.index for r, _ in results] == [0, 1]
    assert "QUYẾT" in results[0][0].text
    assert results[1][0].words == () and results[1][0].confidence == 0.0


def test_noise_words_and_lines_are_dropped() -> None:
    rows = [  # text, conf, line
        ("QUYẾT", 96, 1),
        ("ĐỊNH", 93, 1),
        ("%@", 30, 1),  # symbols at low confidence: noise
        ("Số:", 8, 1),  # anything under 10: noise
        ("-", 91, 2),
        ("Như", 90, 2),
        ("x.ẤC", 20, 3),  # a line of garbage
        ("c2@", 25, 3),
    ]
    n = len(rows)
    data = {
        "level": [5] * n,
        "text": [r[0] for r in rows],
        "conf": [r[1] for r in rows],
        "block_num": [1] * n,
        "par_num": [1] * n,
        "line_num": [r[2] for r in rows],
        "left": list(range(n)),
        "top": [0] * n,
        "width": [5] * n,
        "height": [5] * n,
    }
    words, text = tesseract._words_and_text(data)
    assert text == "QUYẾT ĐỊNH\n- Như"
    assert [w.text for w in words] == ["QUYẾT", "ĐỊNH", "-", "Như"]


def test_remove_streaks_keeps_letters(page_image: np.ndarray) -> None:
    from ocr.preprocess import ink_gray, remove_streaks

    gray = ink_gray(page_image).copy()
    assert np.array_equal(remove_streaks(gray), gray)  # nothing to do on a clean page
    rng = np.random.default_rng(1)
    streaked = gray.copy()
    band = (slice(None), slice(400, 430))
    specks = rng.random(streaked[band].shape) < 0.35
    streaked[band] = np.where(specks, rng.integers(0, 180, streaked[band].shape), streaked[band])
    cleaned = remove_streaks(streaked)
    blank_rows = (gray[:, 400:430] > 200).all(axis=1)  # rows where the band crosses no letter
    assert (cleaned[blank_rows, 400:430] > 200).mean() > 0.95
    letters = gray < 100
    assert (cleaned[letters] < 140).mean() > 0.95


def test_two_column_band_reads_left_column_first() -> None:
    def word(text: str, left: int, top: int) -> OcrWord:
        return OcrWord(text=text, left=left, top=top, width=30 * len(text), height=40, confidence=90)

    lines = [
        [word("ỦY", 100, 0), word("BAN", 200, 0), word("CỘNG", 1200, 0), word("HÒA", 1380, 0)],
        [word("TỈNH", 100, 50), word("Độc", 1200, 50), word("lập", 1320, 50)],
        [word("SỞ", 100, 100)],
        [word("QUYẾT", 600, 300), word("ĐỊNH", 800, 300)],  # centred: crosses the gap, ends the band
    ]
    text = "\n".join(" ".join(w.text for w in seg) for seg in tesseract._reading_order(lines))
    assert text == "ỦY BAN\nTỈNH\nSỞ\nCỘNG HÒA\nĐộc lập\nQUYẾT ĐỊNH"


def test_clear_pages_skip_osd(page_image: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """OSD costs about a second per page: a page whose lines are clearly horizontal and whose
    tone marks sit above the lines is upright without asking it; one whose tone marks sit
    clearly below is turned by the strip check alone."""
    calls: list[int] = []
    real = tesseract.detect_orientation

    def counting(image: np.ndarray, **kwargs: object) -> tuple[int, float]:
        calls.append(1)
        return real(image, **kwargs)

    monkeypatch.setattr(tesseract, "detect_orientation", counting)
    upright = prepare(PageImage(index=0, image=page_image, dpi=300))
    assert upright.rotation == 0 and calls == []
    flipped = prepare(PageImage(index=0, image=rotate_right_angle(page_image, 180), dpi=300))
    assert flipped.rotation == 180 and calls == []


def test_skew_search_matches_at_half_size_coarse_pass(page_image: np.ndarray) -> None:
    for angle in (-7.5, -1.2, 0.6, 4.0):
        est = estimate_skew(ink_gray(_skewed(page_image, angle)))
        assert est == pytest.approx(-angle, abs=0.3)


def _dotted_bands(image: np.ndarray, rows: range, seed: int = 2) -> np.ndarray:
    """Toner streaks as a scanner leaves them: bands of letter-sized dots from edge to edge."""
    out = image.copy()
    rng = np.random.default_rng(seed)
    w = out.shape[1]
    for y in rows:
        for x in range(0, w, 14):
            dx, dy = int(rng.integers(0, 5)), int(rng.integers(-2, 3))
            cv2.rectangle(out, (x + dx, y + dy), (x + dx + 7, y + dy + 6), (30, 30, 30), -1)
    return out


def test_prepare_turns_a_page_whose_streaks_run_across_its_lines(page_image: np.ndarray) -> None:
    """Streak bands across a turned page's lines run edge to edge, as no text line does: they
    must not make its lines look horizontal (dev corpus: a turned last page stayed turned)."""
    turned = _dotted_bands(rotate_right_angle(page_image, 90), range(40, 1100, 45))
    prepared = prepare(PageImage(index=0, image=turned, dpi=300))
    assert (prepared.rotation + 90) % 360 == 0
    upright = _dotted_bands(page_image, range(30, 700, 120))  # streaks along an upright page's lines
    assert prepare(PageImage(index=0, image=upright, dpi=300)).rotation == 0
