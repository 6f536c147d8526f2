"""Blank-page detection (ocr.preprocess.is_blank) and how the engine and extraction treat blank pages.

Pages are drawn here: A4 at 150 dpi, text in DejaVu Serif, bleed-through as light mirrored text.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr import tesseract
from ocr.engine import ocr_page
from ocr.extract import ocr_pages
from ocr.pages import PageImage
from ocr.preprocess import is_blank
from schemas.errors import BlankDocument

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="DejaVu Serif font not installed")
DPI = 150
W, H = 1240, 1754
PAPER = (238, 240, 242)


def _text_page(
    ink: tuple[int, int, int], paper: tuple[int, int, int] = PAPER, lines: int = 12
) -> Image.Image:
    img = Image.new("RGB", (W, H), paper)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), 26)
    for i in range(lines):
        draw.text(
            (120, 150 + i * 50), "Căn cứ Luật Tổ chức chính quyền địa phương năm 2015;", font=font, fill=ink
        )
    return img


def _seal(img: Image.Image) -> Image.Image:
    draw = ImageDraw.Draw(img)
    draw.ellipse((700, 1200, 1000, 1500), outline=(210, 40, 50), width=12)
    draw.text((760, 1330), "ỦY BAN", font=ImageFont.truetype(str(FONT), 40), fill=(210, 40, 50))
    return img


def _bgr(img: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])


def _back_page() -> np.ndarray:
    """The back of a sealed page: the front's text shows through mirrored and light, the seal pink."""
    front = _text_page((205, 207, 210))
    back = np.asarray(front)[:, ::-1].copy()
    img = _seal(Image.fromarray(back))
    arr = np.asarray(img).astype(np.int16)
    arr = np.where(arr < 235, (arr + 2 * np.array(PAPER)) // 3, arr).astype(np.uint8)  # seal faded
    out = _bgr(Image.fromarray(arr))
    # Scanner edge and two punch holes: large dark marks, not text.
    out[:, :25] = 40
    for y in (600, 1100):
        cv2.circle(out, (70, y), 18, (30, 30, 30), -1)
    return out


def test_empty_and_bleed_through_pages_are_blank() -> None:
    assert is_blank(_bgr(Image.new("RGB", (W, H), PAPER)), DPI)
    assert is_blank(_back_page(), DPI)
    assert is_blank(cv2.cvtColor(_back_page(), cv2.COLOR_BGR2GRAY), DPI)


def test_text_pages_are_not_blank_even_faint_or_sealed() -> None:
    assert not is_blank(_bgr(_seal(_text_page((25, 25, 25)))), DPI)
    assert not is_blank(_bgr(_text_page((150, 150, 150), paper=(215, 215, 215))), DPI)  # low contrast
    assert not is_blank(_bgr(_text_page((30, 30, 30), lines=2)), DPI)  # a short last page
    small = cv2.resize(_bgr(_text_page((30, 30, 30))), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    assert not is_blank(small, DPI // 2)  # 75 dpi


def test_blank_page_is_not_ocrd(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_ocr(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a blank page must not reach Tesseract")

    monkeypatch.setattr(tesseract, "recognize", no_ocr)
    monkeypatch.setattr(tesseract, "detect_orientation", no_ocr)
    image = _back_page()
    result, display = ocr_page(PageImage(3, image, DPI))
    assert result.blank and result.words == () and result.text == "" and result.index == 3
    assert display is image and (result.width, result.height) == (W, H)


def test_document_of_blank_pages_raises_blank_document() -> None:
    pages = [PageImage(i, _back_page(), DPI) for i in range(2)]
    with pytest.raises(BlankDocument):
        ocr_pages(pages, workers=1)


def test_lazy_pages_are_consumed_a_few_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A generator of pages is not drained ahead of the workers: peak memory stays a few pages."""
    from ocr import engine

    drawn: list[int] = []
    done: list[int] = []

    def fake_encoded(page: PageImage, **kwargs: object):  # noqa: ANN202 - stands in for the OCR
        assert len(drawn) - len(done) <= 3  # n workers + 1 queued, whatever the page count
        done.append(page.index)
        return ocr_page(page)[0], b"", "png", None

    def pages():  # noqa: ANN202
        for i in range(6):
            drawn.append(i)
            yield PageImage(i, _back_page() if i % 2 else _bgr(_text_page((25, 25, 25))), DPI)

    monkeypatch.setattr(engine, "ocr_page_encoded", fake_encoded)
    monkeypatch.setattr(tesseract, "recognize", lambda *a, **k: ([], ""))
    monkeypatch.setattr(tesseract, "detect_orientation", lambda *a, **k: (0, 0.0))
    results = engine.ocr_document_encoded(pages(), workers=1)
    assert [r[0].index for r in results] == list(range(6))


def _mark_done(page: PageImage, *, lang: str, timeout_s: int) -> int:
    """A picklable stand-in for the OCR of one page (runs in a spawned worker)."""
    import time

    time.sleep(0.3)
    Path(lang, f"{page.index}.done").touch()  # ``lang`` carries the folder: no other channel
    return page.index


def test_pool_draws_pages_only_as_workers_free_up(tmp_path: Path) -> None:
    from ocr import engine

    def pages():  # noqa: ANN202
        for i in range(7):
            finished = len(list(tmp_path.glob("*.done")))
            assert i - finished <= 3, f"page {i} drawn with only {finished} done"
            yield PageImage(i, np.zeros((4, 4), np.uint8), DPI)

    results = engine._map_pages(_mark_done, pages(), lang=str(tmp_path), timeout_s=1, workers=2)
    assert results == list(range(7))
