"""Tests for ocr/searchable_pdf.py: the image is embedded untouched and the invisible text is exact.

Fixtures are drawn here with Pillow and DejaVu Serif (Vietnamese glyphs); the OCR words are made
by hand from Pillow's text boxes, so no Tesseract is needed. Poppler (pdftotext, pdftoppm) is the
independent reader; qpdf checks the file structure when installed.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import struct
import subprocess
import unicodedata
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader

from ocr.searchable_pdf import PdfPageInput, build_searchable_pdf, encode_page_image
from schemas.documents import OcrPage, OcrWord
from schemas.errors import CorruptFile

SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
DPI = 200
LINES = ("QUYẾT ĐỊNH", "Về việc cấp giấy chứng nhận")
NFC_TEXT = unicodedata.normalize("NFC", "\n".join(LINES))

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils not installed",
)
needs_font = pytest.mark.skipif(not SERIF.exists(), reason="DejaVu Serif not installed")


def draw_page(
    lines: tuple[str, ...] = LINES,
    *,
    size: tuple[int, int] = (1654, 560),
    mode: str = "RGB",
    keys: bool = True,
) -> tuple[Image.Image, list[OcrWord]]:
    """A page with the given lines drawn in DejaVu Serif, and its words' pixel boxes.

    Word texts are given to the builder in NFD on purpose: the PDF must still carry NFC.
    """
    img = Image.new(mode, size, "white")
    draw = ImageDraw.Draw(img)
    words: list[OcrWord] = []
    y = 90
    for number, line in enumerate(lines, start=1):
        font = ImageFont.truetype(str(SERIF), 52 if number == 1 else 38)
        x = 140.0
        for text in line.split():
            left, top, right, bottom = draw.textbbox((x, y), text, font=font)
            draw.text((x, y), text, font=font, fill="black")
            words.append(
                OcrWord(
                    unicodedata.normalize("NFD", text),
                    left,
                    top,
                    right - left,
                    bottom - top,
                    93.0,
                    block=1 if keys else 0,
                    paragraph=1 if keys else 0,
                    line=number if keys else 0,
                )
            )
            x = right + font.getlength(" ")
        y += 130
    return img, words


def jpeg_bytes(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()


def page_input(
    image: bytes, fmt: str, img: Image.Image, words: list[OcrWord], index: int = 0
) -> PdfPageInput:
    ocr = OcrPage(index, img.width, img.height, DPI, tuple(words), "", 93.0)
    return PdfPageInput(image, fmt, img.width, img.height, DPI, ocr)


@pytest.fixture(scope="module")
def page() -> tuple[Image.Image, list[OcrWord], bytes, bytes]:
    if not SERIF.exists():
        pytest.skip("DejaVu Serif not installed")
    img, words = draw_page()
    jpg = jpeg_bytes(img)
    pdf = build_searchable_pdf([page_input(jpg, "jpeg", img, words)], info={"Title": "Quyết định cấp giấy"})
    return img, words, jpg, pdf


def run(*args: str, data: bytes) -> str:
    done = subprocess.run(args, input=data, capture_output=True, check=True, timeout=60)
    assert done.stderr == b"", done.stderr.decode(errors="replace")
    return done.stdout.decode("utf-8")


def image_stream(pdf: bytes, page_no: int = 0):
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    return reader.pages[page_no]["/Resources"]["/XObject"]["/Im0"].get_object()


def test_pypdf_extracts_nfc_words_in_order_without_warnings(page, caplog) -> None:
    _, _, _, pdf = page
    with caplog.at_level(logging.WARNING):
        reader = PdfReader(io.BytesIO(pdf), strict=True)
        text = reader.pages[0].extract_text()
    assert text == NFC_TEXT
    assert unicodedata.is_normalized("NFC", text)
    assert caplog.records == []


@needs_poppler
def test_pdftotext_layout_reads_lines_and_words_in_order(page) -> None:
    _, _, _, pdf = page
    text = run("pdftotext", "-layout", "-enc", "UTF-8", "-", "-", data=pdf)
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    assert lines == [unicodedata.normalize("NFC", line) for line in LINES]
    assert unicodedata.is_normalized("NFC", text)


@needs_poppler
def test_pdftotext_bbox_matches_ocr_boxes(page) -> None:
    _, words, _, pdf = page
    html = run("pdftotext", "-bbox", "-enc", "UTF-8", "-", "-", data=pdf)
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html
    )
    assert [unicodedata.normalize("NFC", w.text) for w in words] == [f[4] for f in found]
    pt = 72 / DPI
    for number in (1, 2):
        line = [(w, f) for w, f in zip(words, found, strict=True) if w.line == number]
        line_top = min(w.top for w, _ in line) * pt
        line_bottom = max(w.top + w.height for w, _ in line) * pt
        for word, (x0, y0, x1, y1, _) in line:
            assert abs(float(x0) - word.left * pt) < 0.5
            assert abs(float(x1) - (word.left + word.width) * pt) < 0.5
            # Vertically every word of a line spans the line's box (one baseline per line, as
            # Tesseract and OCRmyPDF do), which holds the word's own box.
            assert abs(float(y0) - line_top) < 0.5
            assert abs(float(y1) - line_bottom) < 0.5
            assert float(y0) <= word.top * pt + 0.5 and float(y1) >= (word.top + word.height) * pt - 0.5


def test_mediabox_is_pixels_over_dpi(page) -> None:
    img, _, _, pdf = page
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert float(box.left) == 0 and float(box.bottom) == 0
    assert float(box.width) == pytest.approx(img.width / DPI * 72, abs=1e-3)
    assert float(box.height) == pytest.approx(img.height / DPI * 72, abs=1e-3)


def test_jpeg_is_embedded_byte_for_byte_and_file_stays_small(page) -> None:
    _, _, jpg, pdf = page
    stream = image_stream(pdf)
    assert stream["/Filter"] == "/DCTDecode"
    assert stream._data == jpg
    assert stream["/ColorSpace"] == "/DeviceRGB"
    assert len(pdf) <= 1.15 * len(jpg) + 4096


def test_info_dictionary_uses_utf16_text_strings(page) -> None:
    _, _, _, pdf = page
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta["/Title"] == "Quyết định cấp giấy"
    assert meta["/Creator"] == "sohoa"
    assert b"/Title (\\376\\377" in pdf  # UTF-16BE with its byte-order mark
    assert pdf.startswith(b"%PDF-1.7\n")


def test_same_input_gives_same_bytes(page) -> None:
    img, words, jpg, pdf = page
    again = build_searchable_pdf([page_input(jpg, "jpeg", img, words)], info={"Title": "Quyết định cấp giấy"})
    assert again == pdf


@needs_poppler
def test_rendered_page_looks_like_the_image(page) -> None:
    img, _, _, pdf = page
    out = subprocess.run(
        ["pdftoppm", "-r", "50", "-gray", "-png", "-"], input=pdf, capture_output=True, check=True, timeout=60
    ).stdout
    rendered = np.asarray(Image.open(io.BytesIO(out)).convert("L"), dtype=float)
    expected = np.asarray(
        img.convert("L").resize((rendered.shape[1], rendered.shape[0]), Image.BILINEAR), float
    )
    assert abs(rendered.mean() - expected.mean()) < 1.5
    assert np.abs(rendered - expected).mean() < 4


@needs_poppler
@needs_font
def test_invisible_text_adds_no_ink() -> None:
    """A blank page with a text layer must render blank: the words are never painted."""
    img, words = draw_page(mode="L")
    blank = Image.new("L", img.size, 255)
    png, fmt = encode_page_image(np.asarray(blank))
    pdf = build_searchable_pdf([page_input(png, fmt, blank, words)])
    assert "ĐỊNH" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    out = subprocess.run(
        ["pdftoppm", "-r", "100", "-gray", "-png", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    assert np.asarray(Image.open(io.BytesIO(out))).min() == 255


@needs_poppler
@needs_font
def test_two_pages_png_and_jpeg_share_one_font() -> None:
    img1, words1 = draw_page(LINES[:1])
    img2, words2 = draw_page(("Nơi nhận:", "Lưu: VT, UBND xã"), mode="L")
    arr2 = np.where(np.asarray(img2) < 128, 0, 255).astype(np.uint8)  # bilevel scan
    png, fmt = encode_page_image(arr2)
    assert fmt == "png"
    pdf = build_searchable_pdf(
        [page_input(jpeg_bytes(img1), "jpeg", img1, words1), page_input(png, fmt, img2, words2, index=1)]
    )
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == 2
    assert reader.pages[0].extract_text() == unicodedata.normalize("NFC", LINES[0])
    assert reader.pages[1].extract_text() == unicodedata.normalize("NFC", "Nơi nhận:\nLưu: VT, UBND xã")
    fonts = {id(p["/Resources"]["/Font"]["/F1"].get_object()) for p in reader.pages}
    assert len(fonts) == 1 and pdf.count(b"/FontFile2") == 1
    text = run("pdftotext", "-enc", "UTF-8", "-", "-", data=pdf)
    assert text.split("\f")[1].split() == unicodedata.normalize("NFC", "Nơi nhận: Lưu: VT, UBND xã").split()
    # The bilevel PNG stays 1-bit gray, and decodes back to the same pixels.
    stream = image_stream(pdf, 1)
    assert stream["/BitsPerComponent"] == 1 and stream["/ColorSpace"] == "/DeviceGray"
    decoded = reader.pages[1].images[0].image.convert("L")
    assert np.array_equal(np.asarray(decoded), arr2)
    rendered = subprocess.run(
        ["pdftoppm", "-f", "2", "-l", "2", "-r", str(DPI), "-gray", "-png", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    pixels = np.asarray(Image.open(io.BytesIO(rendered)).convert("L"), dtype=float)
    assert pixels.shape == arr2.shape
    assert np.abs(pixels - arr2).mean() < 2  # only anti-aliased edges differ


def _png_chunks(data: bytes):
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        yield data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length


@needs_font
def test_blank_words_are_skipped_and_flat_keys_still_break_lines() -> None:
    img, words = draw_page(keys=False)
    blank = OcrWord("  ", 10, 10, 30, 30, 10.0)
    empty = OcrWord("", 50, 10, 30, 30, 10.0)
    control = OcrWord("\x0c", 90, 10, 30, 30, 10.0)
    words = [blank, *words[:2], empty, control, *words[2:]]
    pdf = build_searchable_pdf([page_input(jpeg_bytes(img), "jpeg", img, words)])
    assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text() == NFC_TEXT


def test_page_without_words_has_no_font() -> None:
    img = Image.new("RGB", (400, 300), (200, 180, 160))
    jpg, fmt = encode_page_image(np.asarray(img)[:, :, ::-1].copy(), original=jpeg_bytes(img))
    pdf = build_searchable_pdf([page_input(jpg, fmt, img, [])])
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert reader.pages[0].extract_text() == ""
    assert b"/Font" not in pdf


@needs_poppler
@needs_font
def test_ocr_on_a_rescaled_copy_is_scaled_to_the_image() -> None:
    img, words = draw_page(LINES[:1])
    small = img.resize((img.width // 2, img.height // 2))
    ocr = OcrPage(0, img.width, img.height, DPI, tuple(words), "", 93.0)  # boxes of the big copy
    pdf = build_searchable_pdf(
        [PdfPageInput(jpeg_bytes(small), "jpeg", small.width, small.height, DPI // 2, ocr)]
    )
    html = run("pdftotext", "-bbox", "-enc", "UTF-8", "-", "-", data=pdf)
    x0 = float(re.search(r'<word xMin="([\d.]+)"', html).group(1))
    assert x0 == pytest.approx(words[0].left * 72 / DPI, abs=0.5)


def test_encode_page_image_keeps_original_and_picks_formats() -> None:
    original = b"\xff\xd8\xff\xe0 not decoded here"
    colour = np.zeros((40, 60, 3), np.uint8)
    colour[:, :, 2] = 200  # red in BGR
    data, fmt = encode_page_image(colour, original=original)
    assert data is original and fmt == "jpeg"

    data, fmt = encode_page_image(colour)
    assert fmt == "jpeg"
    decoded = Image.open(io.BytesIO(data))
    assert decoded.mode == "RGB" and decoded.getpixel((30, 20))[0] > 150  # BGR became RGB

    gray3 = np.repeat(np.linspace(0, 255, 60, dtype=np.uint8)[None, :, None], 40, axis=0).repeat(3, axis=2)
    data, fmt = encode_page_image(gray3)
    assert fmt == "jpeg" and Image.open(io.BytesIO(data)).mode == "L"

    bilevel = np.full((40, 60), 255, np.uint8)
    bilevel[10:20, 10:50] = 0
    data, fmt = encode_page_image(bilevel)
    assert fmt == "png" and Image.open(io.BytesIO(data)).mode == "1"

    with pytest.raises(ValueError):
        encode_page_image(np.zeros((4, 4), np.float32))


def test_gray_and_rgba_pngs_keep_gray_and_flatten_alpha() -> None:
    gray = Image.fromarray(np.repeat(np.arange(0, 250, 5, dtype=np.uint8)[None, :], 30, axis=0))
    out = io.BytesIO()
    gray.save(out, format="PNG")
    pdf = build_searchable_pdf([page_input(out.getvalue(), "png", gray, [])])
    stream = image_stream(pdf)
    assert stream["/ColorSpace"] == "/DeviceGray" and stream["/BitsPerComponent"] == 8
    idat = b"".join(body for kind, body in _png_chunks(out.getvalue()) if kind == b"IDAT")
    assert stream._data == idat  # 8-bit PNG data copied, not recompressed
    assert np.array_equal(np.asarray(PdfReader(io.BytesIO(pdf)).pages[0].images[0].image.convert("L")), gray)

    rgba = Image.new("RGBA", (20, 10), (255, 0, 0, 0))
    out = io.BytesIO()
    rgba.save(out, format="PNG")
    stream = image_stream(build_searchable_pdf([page_input(out.getvalue(), "png", rgba, [])]))
    assert stream["/ColorSpace"] == "/DeviceRGB"
    assert zlib.decompress(stream._data) == b"\xff" * (20 * 10 * 3)  # transparent became white


def test_bad_inputs_raise_clear_errors() -> None:
    img = Image.new("RGB", (100, 80), "white")
    jpg = jpeg_bytes(img)
    with pytest.raises(ValueError, match="100x80"):
        build_searchable_pdf([PdfPageInput(jpg, "jpeg", 120, 80, DPI, OcrPage(0, 120, 80, DPI, (), "", 0.0))])
    out = io.BytesIO()
    img.save(out, format="PNG")
    broken = out.getvalue()[:-30] + b"\x00" * 18 + out.getvalue()[-12:]
    with pytest.raises(CorruptFile):
        build_searchable_pdf([page_input(broken, "png", img, [])])
    with pytest.raises(CorruptFile):
        build_searchable_pdf([page_input(b"GIF89a....", "jpeg", img, [])])
    with pytest.raises(ValueError):
        build_searchable_pdf([])


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_finds_no_structural_errors(page, tmp_path) -> None:
    _, _, _, pdf = page
    (tmp_path / "page.pdf").write_bytes(pdf)
    done = subprocess.run(["qpdf", "--check", str(tmp_path / "page.pdf")], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert b"No syntax or stream encoding errors" in done.stdout


@needs_poppler
def test_tight_word_gaps_still_give_word_breaks() -> None:
    """A space glyph is stretched over every gap: boxes 2 px (0.7 pt) apart still extract as two words.

    Without it poppler joins words closer than about 0.1 em.
    """
    img = Image.new("L", (600, 100), 255)
    words = [
        OcrWord("Quyết", 50, 30, 150, 40, 90.0, 1, 1, 1),
        OcrWord("định", 202, 30, 120, 40, 90.0, 1, 1, 1),
    ]
    png, fmt = encode_page_image(np.asarray(img))
    pdf = build_searchable_pdf([page_input(png, fmt, img, words)])
    assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text() == "Quyết định"
    assert run("pdftotext", "-enc", "UTF-8", "-", "-", data=pdf).split() == ["Quyết", "định"]


@needs_poppler
def test_cmyk_jpeg_and_jpeg2000_render_in_their_colours() -> None:
    """Less common scanner outputs: an Adobe CMYK JPEG (inverted inks) and a JP2 file."""
    cmyk = Image.new("CMYK", (80, 40), (0, 255, 255, 0))  # red
    out = io.BytesIO()
    cmyk.save(out, format="JPEG", quality=95)
    jp2 = io.BytesIO()
    Image.new("RGB", (80, 40), (255, 0, 0)).save(jp2, format="JPEG2000")
    pages = [
        page_input(out.getvalue(), "jpeg", cmyk, []),
        page_input(jp2.getvalue(), "jp2", cmyk, [], index=1),
    ]
    pdf = build_searchable_pdf(pages)
    assert image_stream(pdf, 0)["/ColorSpace"] == "/DeviceCMYK"
    assert image_stream(pdf, 1)["/Filter"] == "/JPXDecode"
    for number in (1, 2):
        png = subprocess.run(
            ["pdftoppm", "-f", str(number), "-l", str(number), "-r", "36", "-png", "-"],
            input=pdf,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
        r, g, b = (
            float(c) for c in np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).mean(0)
        )
        assert r > 200 and g < 60 and b < 60, (number, r, g, b)
