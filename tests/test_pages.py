"""ocr.pages: type sniffing, decoding of each input format, and errors for bad files.

Fixtures are drawn here with Pillow (tiny images); nothing is read from outside the repo.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter

from ocr.pages import PageImage, iter_pages, load_document, load_pages, sniff_kind
from schemas.errors import CorruptFile, EmptyFile, EncryptedPdf, LimitExceeded, UnsupportedFileType


def _image(w: int = 240, h: int = 320, color: str = "white", mode: str = "RGB") -> Image.Image:
    img = Image.new(mode, (w, h), color)
    ImageDraw.Draw(img).rectangle((20, 30, 120, 50), fill="black")
    return img


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _pdf_of(images: list[Image.Image], resolution: float = 200.0) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=resolution)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [("PNG", "png"), ("JPEG", "jpeg"), ("TIFF", "tiff"), ("PDF", "pdf")],
)
def test_sniff_kind_by_content(fmt: str, kind: str) -> None:
    assert sniff_kind(_encode(_image(), fmt)) == kind


def test_sniff_rejects_empty_and_unknown() -> None:
    with pytest.raises(EmptyFile):
        sniff_kind(b"")
    with pytest.raises(UnsupportedFileType):
        sniff_kind(b"GIF89a" + b"\0" * 20)
    with pytest.raises(UnsupportedFileType):
        sniff_kind("Quyết định số 15".encode())


def test_png_gray_with_dpi() -> None:
    pages = load_pages(_encode(_image(mode="L"), "PNG", dpi=(200, 200)))
    assert len(pages) == 1
    page = pages[0]
    assert isinstance(page, PageImage)
    assert page.image.shape == (320, 240) and page.image.dtype == np.uint8
    assert page.dpi == 200  # PNG stores dots per metre: 199.9996 snaps back to 200
    assert page.encoded is None


def test_colour_is_bgr_and_default_dpi() -> None:
    img = Image.new("RGB", (50, 40), (255, 0, 0))  # pure red
    page = load_pages(_encode(img, "PNG"))[0]
    assert page.image.shape == (40, 50, 3)
    assert tuple(page.image[0, 0]) == (0, 0, 255)
    assert page.dpi == 300


def test_jpeg_keeps_original_bytes() -> None:
    data = _encode(_image(), "JPEG", dpi=(300, 300), quality=80)
    page = load_pages(data)[0]
    assert page.encoded == data and page.encoded_format == "jpeg"
    assert page.dpi == 300


def test_jpeg_exif_orientation_applied_and_bytes_dropped() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: display rotated 90 clockwise
    data = _encode(_image(240, 320), "JPEG", exif=exif)
    page = load_pages(data)[0]
    assert page.image.shape[:2] == (240, 320)
    assert page.encoded is None  # the stored pixels are not upright, so they cannot be embedded as-is


def test_multipage_tiff() -> None:
    frames = [_image(200, 300, mode="L"), _image(300, 200, mode="L"), _image(200, 300, mode="1")]
    data = _encode(frames[0], "TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300))
    pages = load_pages(data)
    assert [p.index for p in pages] == [0, 1, 2]
    assert [p.image.shape for p in pages] == [(300, 200), (200, 300), (300, 200)]
    assert all(p.dpi == 300 for p in pages)


def test_pdf_of_jpegs_gives_embedded_images_and_dpi() -> None:
    imgs = [_image(340, 480, "white"), _image(340, 480, (250, 245, 240))]
    pages = load_pages(_pdf_of(imgs, resolution=200.0))
    assert len(pages) == 2
    assert pages[0].image.shape == (480, 340, 3)
    assert pages[0].dpi == 200
    assert pages[0].encoded_format == "jpeg" and pages[0].encoded[:3] == b"\xff\xd8\xff"
    assert pages[1].index == 1


def test_pdf_without_image_is_rendered() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=144)  # 1 x 2 inches
    buf = io.BytesIO()
    writer.write(buf)
    pages = load_pages(buf.getvalue())
    assert pages[0].dpi == 300
    assert pages[0].image.shape[:2] == (600, 300)


def test_encrypted_pdf() -> None:
    reader = PdfReader(io.BytesIO(_pdf_of([_image()])))
    writer = PdfWriter()
    writer.append(reader)
    writer.encrypt(user_password="mat-khau", owner_password="chu-so-huu", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(EncryptedPdf):
        load_pages(buf.getvalue())


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_truncated_image_is_corrupt(fmt: str) -> None:
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200), dtype=np.uint8))
    data = _encode(noisy, fmt)
    with pytest.raises(CorruptFile):
        load_pages(data[: len(data) // 2])


def test_garbage_after_magic_is_corrupt() -> None:
    with pytest.raises(CorruptFile):
        load_pages(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    with pytest.raises(CorruptFile):
        load_pages(b"%PDF-1.4\n" + b"garbage " * 50)


def test_truncated_pdf_is_corrupt() -> None:
    data = _pdf_of([_image(400, 560)])
    with pytest.raises(CorruptFile):
        load_pages(data[: len(data) // 3])


def test_limits() -> None:
    frames = [_image(20, 20, mode="L")] * 4
    tiff = _encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(LimitExceeded):
        load_pages(tiff, max_pages=3)
    with pytest.raises(LimitExceeded):
        load_pages(_encode(_image(100, 100), "PNG"), max_pixels=5_000)
    with pytest.raises(LimitExceeded):
        load_pages(_pdf_of([_image(20, 20)] * 3), max_pages=2)


def test_folder_in_natural_order(tmp_path: Path) -> None:
    for n in (10, 2, 1):
        (tmp_path / f"p{n}.png").write_bytes(_encode(_image(10 * n, 30, mode="L"), "PNG"))
    (tmp_path / "notes.txt").write_text("bỏ qua")
    pages = load_document(tmp_path)
    assert [p.image.shape[1] for p in pages] == [10, 20, 100]
    assert [p.index for p in pages] == [0, 1, 2]


def test_empty_folder_and_file(tmp_path: Path) -> None:
    with pytest.raises(EmptyFile):
        load_document(tmp_path)
    (tmp_path / "scan.pdf").write_bytes(b"")
    with pytest.raises(EmptyFile):
        load_document(tmp_path / "scan.pdf")


def test_limit_reasons_are_specific() -> None:
    """Each limit has its own reason code (all are ``LimitExceeded`` for callers that group them)."""
    from schemas.errors import DecompressionBomb, TooManyPages

    frames = [_image(40, 40) for _ in range(4)]
    tiff = _encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(TooManyPages) as info:
        load_pages(tiff, max_pages=3)
    assert info.value.reason == "too_many_pages" and isinstance(info.value, LimitExceeded)
    with pytest.raises(TooManyPages):
        load_pages(_pdf_of(frames), max_pages=3)
    with pytest.raises(DecompressionBomb) as bomb:
        load_pages(_encode(_image(400, 400), "PNG"), max_pixels=100_000)
    assert bomb.value.reason == "decompression_bomb"


def test_pillow_pixel_limit_is_explicit() -> None:
    """Pillow's global bomb limit is ours, not the library default, from import on."""
    import ocr.pages

    load_pages(_encode(_image(), "PNG"), max_pixels=5_000_000)
    assert Image.MAX_IMAGE_PIXELS == 5_000_000
    assert ocr.pages.DEFAULT_MAX_PIXELS == 200_000_000


def test_iter_pages_decodes_one_page_at_a_time() -> None:
    """A long document is streamed: the opening checks (type, page count) and the first page
    happen in the call, each further page only when asked for; pages match ``load_pages``."""
    from ocr.pages import iter_pages
    from schemas.errors import TooManyPages

    frames = [_image(40 + 10 * i, 50, mode="L") for i in range(4)]
    tiff = _encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(TooManyPages):
        iter_pages(tiff, max_pages=3)  # raised before any page is iterated
    with pytest.raises(UnsupportedFileType):
        iter_pages(b"GIF89a" + b"\0" * 20)
    with pytest.raises(CorruptFile):
        iter_pages(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    for data in (tiff, _pdf_of([f.convert("RGB") for f in frames])):
        it = iter_pages(data)
        first = next(it)
        assert first.index == 0 and first.width == 40
        rest = list(it)
        assert [p.width for p in rest] == [50, 60, 70] and [p.index for p in rest] == [1, 2, 3]
        assert [p.image.shape for p in load_pages(data)] == [p.image.shape for p in (first, *rest)]


def test_iter_pages_reports_a_damaged_later_page_as_corrupt() -> None:
    from ocr.pages import iter_pages

    frames = [_image(400, 400) for _ in range(3)]
    tiff = _encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    it = iter_pages(tiff[: int(len(tiff) * 0.8)])  # the last frame is cut off
    with pytest.raises(CorruptFile):
        list(it)


def test_iter_document_over_a_folder_counts_pages_across_files(tmp_path: Path) -> None:
    from ocr.pages import iter_document
    from schemas.errors import TooManyPages

    for n in (1, 2, 3):
        (tmp_path / f"p{n}.png").write_bytes(_encode(_image(10 * n, 30, mode="L"), "PNG"))
    assert [p.index for p in iter_document(tmp_path)] == [0, 1, 2]
    it = iter_document(tmp_path, max_pages=2)
    assert [next(it).index, next(it).index] == [0, 1]
    with pytest.raises(TooManyPages):
        next(it)


def _seal_page(mode: str = "RGB") -> Image.Image:
    img = _image(mode="RGB")
    draw = ImageDraw.Draw(img)
    draw.ellipse((60, 20, 200, 160), outline=(200, 30, 40), width=6)  # a red seal over the text
    draw.rectangle((30, 200, 90, 230), fill=(20, 40, 160))  # a blue signature
    return img.convert(mode) if mode != "RGB" else img


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L"])
@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "PDF"])
def test_ink_gray_pages_equal_ink_gray_of_the_colour_pages(mode: str, fmt: str) -> None:
    from ocr.preprocess import ink_gray

    img = _seal_page(mode)
    data = (
        _pdf_of([img.convert("RGB") if mode in ("RGBA", "P") else img]) if fmt == "PDF" else _encode(img, fmt)
    )
    colour = load_pages(data)
    gray = list(iter_pages(data, ink_gray=True))
    assert len(gray) == len(colour) == 1
    assert gray[0].image.ndim == 2 and gray[0].encoded is None
    assert gray[0].dpi == colour[0].dpi
    np.testing.assert_array_equal(gray[0].image, ink_gray(colour[0].image))
    if mode != "L":  # the seal and the signature are light, the black bar stays black
        assert gray[0].image[40, 100] < 60 and gray[0].image[90, 62] > 150  # bar, seal ring
        assert gray[0].image[215, 60] > 150


def test_pdf_jpeg_page_is_read_from_its_own_bytes() -> None:
    jpeg = _encode(_seal_page(), "JPEG", quality=90)
    data = _pdf_of([Image.open(io.BytesIO(jpeg))])
    page = load_pages(data)[0]
    assert page.encoded is not None
    # The PDF's stream is the JPEG as written: decoded once, not re-encoded on the way.
    assert page.encoded in data
    expected = np.asarray(Image.open(io.BytesIO(page.encoded)).convert("RGB"))[:, :, ::-1]
    np.testing.assert_array_equal(page.image, expected)
