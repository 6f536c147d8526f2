"""Pages from input files: type by magic bytes, then one image per page.

Scanners hand us PNG, JPEG, (multi-page) TIFF or image-only PDF. Everything downstream works on
``PageImage`` (a numpy array plus its dpi), so this is the one place that knows file formats.
For a PDF we take each page's embedded scan image as it is (no resampling, and a JPEG keeps its
original bytes so the PDF builder can embed it unchanged); only pages without one usable image
are rendered with poppler's ``pdftoppm``. Every library failure becomes an error of
``schemas.errors`` so a bad scan is quarantined with a reason instead of crashing a flow.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageOps

from schemas.errors import (
    CorruptFile,
    DecompressionBomb,
    EmptyFile,
    EncryptedPdf,
    MemoryLimitExceeded,
    ProcessingTimeout,
    SohoaError,
    TooManyPages,
    UnsupportedFileType,
)

DEFAULT_DPI = 300
RENDER_DPI = 300
PDFTOPPM_TIMEOUT_S = 120
_COMMON_DPI = (72, 96, 100, 120, 150, 200, 240, 250, 300, 350, 400, 600, 1200)
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"}
DEFAULT_MAX_PIXELS = 200_000_000

# Decompression-bomb guards, explicit rather than library defaults: Pillow refuses images over the
# limit (we make its warning an error too), and OpenCV reads its own limit once, when loaded, from
# this variable (we never decode input files with OpenCV; this covers any future use).
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(DEFAULT_MAX_PIXELS))


@dataclass(frozen=True, eq=False)
class PageImage:
    """One page as pixels.

    ``image`` is uint8, HxW (gray) or HxWx3 in BGR order (OpenCV's). ``encoded`` holds the page's
    original compressed bytes when it is a JPEG that needs no rotation, so the archived PDF can
    embed the scanner's bytes unchanged; ``encoded_format`` is then ``"jpeg"``.
    """

    index: int
    image: np.ndarray
    dpi: int
    encoded: bytes | None = None
    encoded_format: str | None = None

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


class SourcePage(PageImage):
    """A page of an OCR-only read (``ink_gray=True``) that keeps its compressed source and is
    decoded where its pixels are first read: in the OCR worker, which it reaches pickled as
    those bytes (a 300 dpi page is ~8.7 MB of gray pixels and a few hundred KB as a scan's
    JPEG, PNG or TIFF), so the parent neither decodes it nor pipes its pixels. The pixels are
    :func:`_ink_array` of the decoded page, as the parent would have made them; a damaged
    page raises the error of ``schemas.errors`` there. ``width``/``height`` come from the
    header (the size after any EXIF/``/Rotate`` turn), the pixel limit was checked on it."""

    def __init__(  # noqa: PLR0913 - the page's source, as pickled
        self, index: int, dpi: int, size: tuple[int, int], kind: str, data: bytes, frame: int,
        rotate: int, max_pixels: int,
    ) -> None:  # fmt: skip
        for name, value in (("index", index), ("dpi", dpi), ("encoded", None), ("encoded_format", None)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_source", (index, dpi, size, kind, data, frame, rotate, max_pixels))
        object.__setattr__(self, "_pixels", None)

    @property
    def image(self) -> np.ndarray:  # type: ignore[override]
        if self._pixels is None:
            object.__setattr__(self, "_pixels", _decode_source(*self._source[3:]))
        return self._pixels

    @property
    def width(self) -> int:
        return int(self._source[2][0])

    @property
    def height(self) -> int:
        return int(self._source[2][1])

    def __repr__(self) -> str:  # the dataclass's would decode the pixels
        index, dpi, size, kind = self._source[:4]
        return f"SourcePage(index={index}, dpi={dpi}, size={size}, kind={kind!r})"

    def reindexed(self, index: int) -> SourcePage:
        return SourcePage(index, *self._source[1:])

    def __reduce__(self) -> tuple:
        return SourcePage, self._source


def _decode_source(kind: str, data: bytes, frame: int, rotate: int, max_pixels: int) -> np.ndarray:
    """The ink-gray pixels of a :class:`SourcePage`: frame ``frame`` of the raster file ``data``
    (EXIF orientation applied), or a PDF page's JPEG stream turned by its ``/Rotate``."""
    with _translated(kind), warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = max_pixels
        if kind == "pdf":
            img = Image.open(io.BytesIO(data), formats=("JPEG",))
            img.load()
            if rotate:
                img = img.rotate(-rotate, expand=True)
            return _ink_array(img)
        img = Image.open(io.BytesIO(data))
        img.seek(frame)
        img.load()
        orientation = _exif_orientation(img, kind)
        return _ink_array(ImageOps.exif_transpose(img) if orientation not in (0, 1) else img)


def _exif_orientation(img: Image.Image, kind: str) -> int:
    """The EXIF orientation tag of a JPEG or TIFF frame (1, upright, when there is none)."""
    return img.getexif().get(0x0112, 1) if kind in ("jpeg", "tiff") else 1


def _worth_sending(data: bytes, size: tuple[int, int]) -> bool:
    """Whether ``data`` (the bytes a worker would get for one page) is much smaller than the
    page's gray pixels: a page of a long multi-page TIFF is sent as pixels, not as the file."""
    return 4 * len(data) <= size[0] * size[1]


def sniff_kind(data: bytes) -> str:
    """The file type from its first bytes ("pdf" | "tiff" | "jpeg" | "png"), never from its name."""
    if not data:
        raise EmptyFile("0 bytes")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    # The PDF spec lets the header sit anywhere in the first 1024 bytes.
    if b"%PDF-" in data[:1024]:
        return "pdf"
    raise UnsupportedFileType(f"unrecognised header {data[:8]!r}")


def load_pages(data: bytes, *, max_pages: int = 500, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[PageImage]:
    """Decode every page of one input file: ``list(iter_pages(...))``, with the same errors."""
    return list(iter_pages(data, max_pages=max_pages, max_pixels=max_pixels))


def iter_pages(
    data: bytes, *, max_pages: int = 500, max_pixels: int = DEFAULT_MAX_PIXELS, ink_gray: bool = False
) -> Iterator[PageImage]:
    """The pages of one input file, decoded one at a time, so a long 300 dpi document never
    holds every page's pixels at once (each is ~26 MB in colour).

    Raises as :func:`load_pages`. The file type, page count, PDF safety inspection and the first
    page are checked in this call, before it returns; a later page that is damaged or over a
    limit raises when the iteration reaches it.

    ``ink_gray=True``: every page comes as :func:`ocr.preprocess.ink_gray` of its colours (the
    brightest channel; all an OCR without a PDF to build reads), made straight from the decoded
    image, and without ``encoded`` bytes: for a colour page that is a third of the CPU time of
    building the BGR array and reducing it. Such a page (a scan file's page, or a PDF page
    that is one plain JPEG) is decoded only when its ``image`` is first read, and pickles as
    its compressed bytes (:class:`SourcePage`): an OCR worker gets those, not its pixels. Its
    header is checked here, a damaged stream raises where the pixels are read.
    """
    to_array = _ink_array if ink_gray else _to_array
    kind = sniff_kind(data)
    if kind == "pdf":
        pages = _iter_pdf(data, max_pages=max_pages, max_pixels=max_pixels, to_array=to_array)
    else:
        pages = _iter_raster(data, kind, max_pages=max_pages, max_pixels=max_pixels, to_array=to_array)
    return _primed(_translating(kind, pages))


def _translating(kind: str, pages: Iterator[PageImage]) -> Iterator[PageImage]:
    """``pages`` with every library failure translated (see :func:`_translated`)."""
    while True:
        with _translated(kind):
            page = next(pages, None)
        if page is None:
            return
        yield page


def _primed(pages: Iterator[PageImage]) -> Iterator[PageImage]:
    """Run ``pages`` up to its first page now, so what fails on opening fails in the caller."""
    first = next(pages, None)

    def rest() -> Iterator[PageImage]:
        if first is not None:
            yield first
        yield from pages

    return rest()


@contextmanager
def _translated(kind: str) -> Iterator[None]:
    """Library failures on a damaged file become the errors of ``schemas.errors``."""
    try:
        yield
    except SohoaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecompressionBomb(f"{kind}: {exc}") from exc
    except MemoryError as exc:
        raise MemoryLimitExceeded(f"{kind}: out of memory while decoding") from exc
    except RecursionError as exc:
        raise CorruptFile(f"{kind}: structure nested too deeply") from exc
    except Exception as exc:  # any library failure on a damaged file
        if type(exc).__name__ == "LimitReachedError":  # pypdf's output caps on a stream
            raise DecompressionBomb(f"{kind}: {exc}") from exc
        raise CorruptFile(f"{kind} could not be decoded: {type(exc).__name__}: {exc}") from exc


def load_document(path: Path, **limits: int) -> list[PageImage]:
    """Pages of one document: a file, or a folder of page images in natural name order (p2 < p10).

    ``limits`` are ``max_pages`` / ``max_pixels`` as for :func:`load_pages`; ``max_pages`` counts
    the whole folder.
    """
    return list(iter_document(path, **limits))


def iter_document(path: Path, *, ink_gray: bool = False, **limits: int) -> Iterator[PageImage]:
    """:func:`load_document` one page at a time (see :func:`iter_pages`, also for ``ink_gray``)."""
    path = Path(path)
    if not path.is_dir():
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CorruptFile(f"cannot read {path.name}: {exc}") from exc
        return iter_pages(data, ink_gray=ink_gray, **limits)
    files = sorted(
        (p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")),
        key=lambda p: _natural_key(p.name),
    )
    files = [p for p in files if p.suffix.lower() in _IMAGE_SUFFIXES]
    if not files:
        raise EmptyFile(f"folder {path.name} holds no page images")
    return _primed(_folder_pages(path.name, files, limits, ink_gray))


def _folder_pages(
    name: str, files: list[Path], limits: dict[str, int], ink_gray: bool = False
) -> Iterator[PageImage]:
    max_pages = limits.get("max_pages", 500)
    n = 0
    for f in files:
        for page in iter_document(f, ink_gray=ink_gray, **limits):
            if n >= max_pages:
                raise TooManyPages(f"more than {max_pages} pages in folder {name}")
            yield _reindex(page, n)
            n += 1


# --- raster images -----------------------------------------------------------------------


def _iter_raster(
    data: bytes, kind: str, *, max_pages: int, max_pixels: int, to_array: Callable | None = None
) -> Iterator[PageImage]:
    to_array = to_array or _to_array
    lazy = to_array is _ink_array
    Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
        n_frames = getattr(img, "n_frames", 1)
        if n_frames > max_pages:
            raise TooManyPages(f"{n_frames} pages, limit {max_pages}")
    # The generator body runs in the caller's ``next()``: the warning filter is set per page.
    for i in range(n_frames):
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = max_pixels
            img.seek(i)
            frame = img
            _check_pixels(frame.size, max_pixels)
            if lazy and _worth_sending(data, frame.size):
                orientation = _exif_orientation(frame, kind)
                w, h = frame.size
                size = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
                dpi = _dpi_from_info(frame.info.get("dpi"))
                page = SourcePage(i, dpi, size, kind, data, i, 0, max_pixels)
                yield page
                continue
            frame.load()  # decode now, so truncation shows up here
            orientation = _exif_orientation(frame, kind)
            upright = ImageOps.exif_transpose(frame) if orientation not in (0, 1) else frame
            dpi = _dpi_from_info(frame.info.get("dpi"))
            encoded = None
            if (
                kind == "jpeg"
                and orientation in (0, 1)
                and upright.mode in ("L", "RGB")
                and to_array is _to_array
            ):
                encoded = data
            page = PageImage(
                index=i,
                image=to_array(upright),
                dpi=dpi,
                encoded=encoded,
                encoded_format="jpeg" if encoded is not None else None,
            )
            del upright
        yield page


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    w, h = size
    if w <= 0 or h <= 0:
        raise CorruptFile(f"image has no pixels ({w}x{h})")
    if w * h > max_pixels:
        raise DecompressionBomb(f"page of {w}x{h} = {w * h} pixels, limit {max_pixels}")


def _to_array(img: Image.Image) -> np.ndarray:
    """uint8 gray for gray/bilevel scans (a third of the memory), BGR for anything with colour."""
    if img.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"):
        if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
            arr = np.asarray(img, dtype=np.float64)
            top = arr.max() or 1.0
            return np.ascontiguousarray((arr * (255.0 / top)).clip(0, 255).astype(np.uint8))
        return np.ascontiguousarray(np.asarray(img.convert("L"), dtype=np.uint8))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    import cv2  # here, not at the top: OpenCV reads OPENCV_IO_MAX_IMAGE_PIXELS when loaded

    # One copy out of Pillow, one swap into BGR: a 300 dpi colour page is ~26 MB per copy.
    rgb = np.asarray(img if img.mode == "RGB" else img.convert("RGB"), dtype=np.uint8)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _ink_array(img: Image.Image) -> np.ndarray:
    """:func:`ocr.preprocess.ink_gray` of the page (the per-pixel maximum of R, G and B: seals
    and coloured stamps turn light, black ink stays dark) straight from Pillow's bands; a gray
    page as :func:`_to_array` gives it."""
    if img.mode in ("1", "L", "I", "I;16", "I;16B", "I;16L", "F"):
        return _to_array(img)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    r, g, b = (img if img.mode == "RGB" else img.convert("RGB")).split()
    return np.ascontiguousarray(np.asarray(ImageChops.lighter(ImageChops.lighter(r, g), b), dtype=np.uint8))


def _dpi_from_info(dpi: object) -> int:
    """File metadata dpi, snapped to a common scanner value; 300 when absent or absurd."""
    try:
        x = float(dpi[0]) if isinstance(dpi, tuple | list) else float(dpi)  # type: ignore[arg-type]
    except (TypeError, ValueError, IndexError):
        return DEFAULT_DPI
    return _snap_dpi(x) if x >= 50 else DEFAULT_DPI


def _snap_dpi(x: float) -> int:
    """PNG stores dots per metre and PDFs give fractional sizes: 299.9994 means 300."""
    if not 20 <= x <= 4800:
        return DEFAULT_DPI
    for common in _COMMON_DPI:
        if abs(x - common) <= 0.02 * common:
            return common
    return int(round(x))


# --- PDF ---------------------------------------------------------------------------------


def _iter_pdf(
    data: bytes, *, max_pages: int, max_pixels: int, to_array: Callable | None = None
) -> Iterator[PageImage]:
    to_array = to_array or _to_array
    import logging

    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    from ocr.pdfsafety import inspect_pdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    # Page-tree size, claimed image sizes and inflated stream sizes, before decoding any pixel.
    inspect_pdf(data, max_pages=max_pages, max_pixels=max_pixels)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # A PDF with only an owner password (print/copy restrictions) opens with ""; we read its
            # images and build a new PDF, so that is fine. A user password is not.
            try:
                ok = reader.decrypt("")
            except Exception as exc:
                raise EncryptedPdf(f"cannot decrypt: {exc}") from exc
            if not ok:
                raise EncryptedPdf("the PDF needs a password to open")
        n = len(reader.pages)
    except SohoaError:
        raise
    except LimitReachedError as exc:
        raise DecompressionBomb(f"PDF structure over a safety limit: {exc}") from exc
    except (PdfReadError, Exception) as exc:
        raise CorruptFile(f"PDF structure unreadable: {type(exc).__name__}: {exc}") from exc
    if n == 0:
        raise CorruptFile("PDF has no pages")
    if n > max_pages:
        raise TooManyPages(f"{n} pages, limit {max_pages}")
    for i, page in enumerate(reader.pages):
        embedded = _embedded_page_image(page, i, max_pixels, to_array)
        yield embedded if embedded is not None else _render_page(data, i, max_pixels, to_array)


def _embedded_page_image(
    page: object, index: int, max_pixels: int, to_array: Callable | None = None
) -> PageImage | None:
    """The page's scan image if the page is one image filling it; None means "render instead"."""
    to_array = to_array or _to_array
    box = page.mediabox  # type: ignore[attr-defined]
    w_pt, h_pt = float(box.width), float(box.height)
    if w_pt <= 0 or h_pt <= 0:
        raise CorruptFile(f"page {index + 1} has an empty media box")
    rotate = int(page.get("/Rotate", 0) or 0) % 360  # type: ignore[attr-defined]
    jpeg = _plain_jpeg(page, max_pixels)
    if jpeg is not None and to_array is _ink_array and rotate in (0, 90, 180, 270):
        img, jpeg_bytes = jpeg
        w, h = img.size if rotate not in (90, 270) else img.size[::-1]
        dpi = _full_page_dpi(w, h, w_pt, h_pt, rotate)
        if dpi is None:
            return None
        return SourcePage(index, dpi, (w, h), "pdf", jpeg_bytes, 0, rotate, max_pixels)
    if jpeg is not None:
        img, jpeg_bytes = jpeg
    else:
        jpeg_bytes = None
        try:
            images = list(page.images)  # type: ignore[attr-defined]
        except Exception:
            return None  # odd resources: let poppler draw it
        if not images:
            return None

        def pixels(im: object) -> int:
            xobj = im.indirect_reference.get_object() if getattr(im, "indirect_reference", None) else None  # type: ignore[attr-defined]
            if xobj is not None:
                return int(xobj.get("/Width", 0)) * int(xobj.get("/Height", 0))
            return 0

        best = max(images, key=pixels)
        try:
            img = best.image
        except Exception as exc:
            from pypdf.errors import LimitReachedError

            if isinstance(exc, LimitReachedError | Image.DecompressionBombError | MemoryError):
                raise  # a bomb is not something to hand to poppler instead
            return None  # a filter Pillow cannot decode (JBIG2, JPX...): poppler can
        if img is None:
            return None
        if img.format == "JPEG" and img.mode in ("L", "RGB"):
            jpeg_bytes = best.data
    _check_pixels(img.size, max_pixels)
    img.load()
    if rotate:
        img = img.rotate(-rotate, expand=True)  # /Rotate is clockwise, PIL's rotate counter-clockwise
    dpi = _full_page_dpi(img.width, img.height, w_pt, h_pt, rotate)
    if dpi is None:
        return None
    encoded = jpeg_bytes if not rotate and to_array is _to_array else None
    return PageImage(
        index=index,
        image=to_array(img),
        dpi=dpi,
        encoded=encoded,
        encoded_format="jpeg" if encoded is not None else None,
    )


def _full_page_dpi(w: int, h: int, w_pt: float, h_pt: float, rotate: int) -> int | None:
    """The resolution of an upright ``w`` x ``h`` image filling a page of ``w_pt`` x ``h_pt``
    points turned by ``rotate``; None when its aspect is not the page's (a logo on a text page,
    not a full-page scan)."""
    page_w_in, page_h_in = (h_pt, w_pt) if rotate in (90, 270) else (w_pt, h_pt)
    page_w_in, page_h_in = page_w_in / 72.0, page_h_in / 72.0
    if abs((w / h) / (page_w_in / page_h_in) - 1.0) > 0.03:
        return None
    return _snap_dpi(w / page_w_in)


def _plain_jpeg(page: object, max_pixels: int) -> tuple[Image.Image, bytes] | None:
    """The page's largest image when it is a plain JPEG (``/DCTDecode`` only, 8-bit gray or
    RGB, no mask or decode array): opened by Pillow straight from the stream's bytes, which are
    returned too. pypdf's own route decodes such an image, encodes it again and decodes that
    (0.05 CPU s for a 300 dpi page, and the pixels of a second-generation JPEG). None: another
    kind of image, or none; the caller then takes pypdf's route."""
    try:
        xobjects = page["/Resources"]["/XObject"].get_object()  # type: ignore[index]
        candidates = []
        for ref in xobjects.values():
            x = ref.get_object()
            if x.get("/Subtype") == "/Image":
                candidates.append((int(x.get("/Width", 0)) * int(x.get("/Height", 0)), x))
        if not candidates:
            return None
        _, x = max(candidates, key=lambda c: c[0])
        filters = x.get("/Filter")
        filters = [filters] if not isinstance(filters, list) else list(filters)
        if [str(f) for f in filters] != ["/DCTDecode"] or int(x.get("/BitsPerComponent", 8)) != 8:
            return None
        if any(k in x for k in ("/SMask", "/Mask", "/Decode", "/ImageMask")):
            return None
        mode = {"/DeviceGray": "L", "/DeviceRGB": "RGB"}.get(str(x.get("/ColorSpace")))
        size = (int(x["/Width"]), int(x["/Height"]))
        if mode is None:
            return None
        _check_pixels(size, max_pixels)
        data = x.get_data()
        img = Image.open(io.BytesIO(data), formats=("JPEG",))
    except SohoaError:
        raise
    except Exception:
        return None
    if img.mode != mode or img.size != size:
        return None
    return img, bytes(data)


def _render_page(data: bytes, index: int, max_pixels: int, to_array: Callable | None = None) -> PageImage:
    """Rasterise one PDF page with poppler at 300 dpi (pages that are not one scan image)."""
    to_array = to_array or _to_array
    with tempfile.TemporaryDirectory(prefix="sohoa-pdftoppm-") as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(data)
        out_root = Path(tmp) / "page"
        cmd = ["pdftoppm", "-r", str(RENDER_DPI), "-f", str(index + 1), "-l", str(index + 1)]
        cmd += ["-png", "-singlefile", str(src), str(out_root)]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=PDFTOPPM_TIMEOUT_S, check=False)
        except FileNotFoundError as exc:
            raise CorruptFile("page needs rendering but poppler's pdftoppm is not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise ProcessingTimeout(f"rendering page {index + 1} took over {PDFTOPPM_TIMEOUT_S} s") from exc
        out = out_root.with_suffix(".png")
        if proc.returncode != 0 or not out.exists():
            err = proc.stderr.decode("utf-8", "replace").strip()[:300]
            raise CorruptFile(f"pdftoppm failed on page {index + 1}: {err}")
        img = Image.open(out)
        _check_pixels(img.size, max_pixels)
        img.load()
        return PageImage(index=index, image=to_array(img), dpi=RENDER_DPI)


# --- helpers -----------------------------------------------------------------------------


def _natural_key(name: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name.casefold())]


def _reindex(page: PageImage, index: int) -> PageImage:
    if page.index == index:
        return page
    if isinstance(page, SourcePage):
        return page.reindexed(index)
    return PageImage(
        index=index, image=page.image, dpi=page.dpi, encoded=page.encoded, encoded_format=page.encoded_format
    )
