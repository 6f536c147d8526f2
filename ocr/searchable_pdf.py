"""Searchable PDF: the original page image with an invisible, word-aligned text layer.

This is OCRmyPDF's idea without its machinery: every page shows the scan exactly as it came
(a JPEG is embedded byte for byte with ``DCTDecode``, a PNG's compressed pixel data is copied
with the PNG predictor, so nothing is resampled or re-encoded), and over it sits text drawn in
render mode 3 (invisible) in Tesseract's *GlyphLessFont*. Each word is stretched with ``Tz`` to
its OCR box, lines share one baseline, and a stretched space fills the gap between two words, so
``pdftotext``, pypdf and a viewer's search/select all see the words where they are printed, with
word breaks and line breaks, in NFC Vietnamese.

The font trick: the embedded 572-byte TrueType (``ocr/fonts/pdf.ttf``, Apache-2.0, see
``ocr/fonts/NOTICE.md``) has one blank glyph. We number the document's distinct characters as
CIDs 1..N (Identity-H, two bytes each), map every CID to that glyph, and the ``ToUnicode`` CMap
maps each CID back to its character, so any Unicode text round-trips without embedding a real
typeface (a DejaVu subset would cost tens of KB per document and buy nothing, as nothing is
drawn).

The module is pure: bytes and arrays in, PDF bytes out. The PDF objects are pypdf's generic
objects; the file structure (header, xref, trailer) is written here so the output is PDF 1.7
and deterministic: the same input gives the same bytes (the ``/ID`` is a hash of the body),
which keeps content-hash keys and reruns stable.

The file is PDF/A-2b (:mod:`ocr.pdfa`): XMP metadata mirroring the information dictionary, an
sRGB output intent with its ICC profile, the embedded font, no transparency, an ``/ID``. One
gap: a CMYK JPEG passed through unchanged uses DeviceCMYK, which an sRGB output intent does not
cover (scanners practically never produce one).
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import io
import struct
import unicodedata
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from ocr import pdfa
from schemas.documents import OcrPage, OcrWord
from schemas.errors import ConfigError, CorruptFile

FONT_PATH = Path(__file__).parent / "fonts" / "pdf.ttf"
FONT_NAME = "/GlyphLessFont"
_GLYPH_WIDTH = 500  # thousandths of an em: the font's one glyph is 1024/2048 em wide
_JPEG_QUALITY = 85
_IMAGE_FORMATS = {"jpeg": "jpeg", "jpg": "jpeg", "png": "png", "jp2": "jp2", "jpx": "jp2"}
_INFO_KEYS = {"title", "subject", "author", "keywords", "creator", "producer", "creationdate", "moddate"}


@dataclass(frozen=True)
class PdfPageInput:
    """One page to assemble.

    ``image`` is the encoded page image exactly as it will be embedded (see
    :func:`encode_page_image`); ``width_px``/``height_px`` must be its pixel size and ``dpi`` its
    resolution, which sets the page size (``pixels / dpi * 72`` points). ``ocr`` holds word boxes
    in pixels of this image (origin top left); if ``ocr.width``/``ocr.height`` differ from the
    image size (OCR run on a rescaled copy) the boxes are scaled to fit.
    """

    image: bytes
    image_format: str  # "jpeg" | "png" | "jp2"
    width_px: int
    height_px: int
    dpi: int
    ocr: OcrPage


# --- images ----------------------------------------------------------------------------------


def encode_page_image(
    image: np.ndarray,
    *,
    original: bytes | None = None,
    original_format: str | None = None,
    quality: int = _JPEG_QUALITY,
) -> tuple[bytes, str]:
    """The bytes and format to embed for one page image.

    The scanner's own file wins: ``original`` is returned untouched (a JPEG re-encoded would
    lose quality and grow), its format taken from ``original_format`` or sniffed. Otherwise the
    array (uint8, HxW gray or HxWx3 BGR as OpenCV gives it) is encoded: a bilevel page (only 0
    and 255) as a 1-bit PNG, which is lossless and smallest for black-and-white text; other gray
    as grayscale JPEG; colour as JPEG at ``quality``. A colour array whose three channels are
    equal is treated as gray (scanners often deliver gray scans as RGB), which saves the chroma.
    """
    if original is not None:
        if not original:
            raise CorruptFile("empty page image")
        fmt = _normalise_format(original_format) if original_format else _sniff_image(original)
        return original, fmt
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or arr.size == 0:
        raise ValueError(f"expected a uint8 HxW or HxWx3 image, got {arr.dtype} {arr.shape}")
    if arr.ndim == 3:
        if arr.shape[2] == 4:
            arr = arr[:, :, :3]
        elif arr.shape[2] == 1:
            arr = arr[:, :, 0]
        elif arr.shape[2] != 3:
            raise ValueError(f"expected 1, 3 or 4 channels, got {arr.shape[2]}")
    if (
        arr.ndim == 3
        and np.array_equal(arr[:, :, 0], arr[:, :, 1])
        and np.array_equal(arr[:, :, 0], arr[:, :, 2])
    ):
        arr = arr[:, :, 0]
    out = io.BytesIO()
    if arr.ndim == 2 and bool(((arr == 0) | (arr == 255)).all()):
        Image.fromarray(arr > 127).save(out, format="PNG", optimize=True)
        return out.getvalue(), "png"
    pil = Image.fromarray(np.ascontiguousarray(arr[:, :, ::-1]) if arr.ndim == 3 else arr)
    pil.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue(), "jpeg"


def _normalise_format(fmt: str) -> str:
    try:
        return _IMAGE_FORMATS[fmt.lower().lstrip(".")]
    except KeyError:
        raise ValueError(f"unsupported page image format {fmt!r} (jpeg, png or jp2)") from None


def _sniff_image(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
        return "jp2"
    raise CorruptFile(f"page image is not JPEG, PNG or JPEG 2000 (starts {data[:8]!r})")


def _image_xobject(page: PdfPageInput) -> StreamObject:
    """The image XObject for one page, embedding the given bytes without re-encoding."""
    fmt = _normalise_format(page.image_format)
    if fmt == "jpeg":
        stream, size = _jpeg_xobject(page.image)
    elif fmt == "png":
        stream, size = _png_xobject(page.image)
    else:
        stream, size = _jp2_xobject(page.image)
    if size != (page.width_px, page.height_px):
        raise ValueError(
            f"page {page.ocr.index}: image is {size[0]}x{size[1]} px but the page says "
            f"{page.width_px}x{page.height_px}"
        )
    stream[NameObject("/Type")] = NameObject("/XObject")
    stream[NameObject("/Subtype")] = NameObject("/Image")
    stream[NameObject("/Width")] = NumberObject(size[0])
    stream[NameObject("/Height")] = NumberObject(size[1])
    return stream


def _jpeg_xobject(data: bytes) -> tuple[StreamObject, tuple[int, int]]:
    try:
        with Image.open(io.BytesIO(data)) as im:  # reads the header only
            mode, size, adobe = im.mode, im.size, "adobe" in im.info
            if im.format != "JPEG":
                raise CorruptFile(f"page image declared JPEG is {im.format}")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise CorruptFile(f"page JPEG unreadable: {exc}") from exc
    spaces = {"L": "/DeviceGray", "RGB": "/DeviceRGB", "CMYK": "/DeviceCMYK"}
    if mode not in spaces:
        raise CorruptFile(f"page JPEG has unsupported mode {mode}")
    stream = _raw_stream(data, "/DCTDecode")
    stream[NameObject("/ColorSpace")] = NameObject(spaces[mode])
    stream[NameObject("/BitsPerComponent")] = NumberObject(8)
    if mode == "CMYK" and adobe:  # Photoshop/Adobe CMYK JPEGs store inverted ink values
        stream[NameObject("/Decode")] = ArrayObject([NumberObject(v) for v in (1, 0) * 4])
    return stream, size


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise CorruptFile("truncated PNG chunk")
        yield kind, body
        if kind == b"IEND":
            return
        pos += 12 + length
    raise CorruptFile("PNG without IEND")


def _png_xobject(data: bytes) -> tuple[StreamObject, tuple[int, int]]:
    """Copy the PNG's zlib data as is when PDF can read it (the usual scan PNG), else decode.

    PDF's ``FlateDecode`` with ``/Predictor 15`` is exactly PNG's compressed scanline format, so a
    non-interlaced 8/16-bit gray, RGB or palette PNG needs no recompression (img2pdf does the
    same). The data is still inflated once to check that it is complete, so a broken PNG fails
    here rather than in a reader. Interlaced PNGs, PNGs with alpha and sub-byte depths (bilevel
    scans) are decoded and deflated again without a predictor: pypdf 7 mis-decodes PNG
    predictors below 8 bits per pixel, and this file must read back right in pypdf too.
    """
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise CorruptFile("page image declared PNG is not a PNG")
    header = palette = None
    idat: list[bytes] = []
    for kind, body in _png_chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body[:13])
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat.append(body)
    if header is None or not idat:
        raise CorruptFile("PNG without IHDR or IDAT")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 3: 1}.get(colour)
    if interlace or channels is None or depth < 8 or (colour == 3 and not palette):
        return _decoded_png_xobject(data)
    compressed = b"".join(idat)
    try:
        raw_len = len(zlib.decompress(compressed))
    except zlib.error as exc:
        raise CorruptFile(f"PNG pixel data damaged: {exc}") from exc
    if raw_len != height * (1 + (width * channels * depth + 7) // 8):
        raise CorruptFile("PNG pixel data has the wrong length")
    stream = _raw_stream(compressed, "/FlateDecode")
    stream[NameObject("/DecodeParms")] = DictionaryObject(
        {
            NameObject("/Predictor"): NumberObject(15),
            NameObject("/Colors"): NumberObject(channels),
            NameObject("/BitsPerComponent"): NumberObject(depth),
            NameObject("/Columns"): NumberObject(width),
        }
    )
    stream[NameObject("/BitsPerComponent")] = NumberObject(depth)
    if colour == 3:
        assert palette is not None
        stream[NameObject("/ColorSpace")] = ArrayObject(
            [
                NameObject("/Indexed"),
                NameObject("/DeviceRGB"),
                NumberObject(len(palette) // 3 - 1),
                ByteStringObject(palette[: len(palette) // 3 * 3]),
            ]
        )
    else:
        stream[NameObject("/ColorSpace")] = NameObject("/DeviceGray" if colour == 0 else "/DeviceRGB")
    return stream, (width, height)


def _decoded_png_xobject(data: bytes) -> tuple[StreamObject, tuple[int, int]]:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode in ("1", "L", "RGB"):
                flat = im.copy()
            else:
                gray = im.mode in ("LA", "I", "I;16", "La") or (im.mode == "P" and _palette_is_gray(im))
                rgba = im.convert("RGBA")
                flat = Image.new("RGB", im.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                if gray:
                    flat = flat.convert("L")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"page PNG unreadable: {exc}") from exc
    if flat.mode == "1":
        raw, depth, space = np.packbits(np.asarray(flat), axis=1).tobytes(), 1, "/DeviceGray"
    else:
        raw, depth, space = flat.tobytes(), 8, "/DeviceGray" if flat.mode == "L" else "/DeviceRGB"
    stream = _flate_stream(raw)
    stream[NameObject("/ColorSpace")] = NameObject(space)
    stream[NameObject("/BitsPerComponent")] = NumberObject(depth)
    return stream, flat.size


def _palette_is_gray(im: Image.Image) -> bool:
    pal = im.getpalette() or []
    return all(pal[i] == pal[i + 1] == pal[i + 2] for i in range(0, len(pal) - 2, 3))


def _jp2_xobject(data: bytes) -> tuple[StreamObject, tuple[int, int]]:
    """JPEG 2000 (JP2 container) goes in as ``JPXDecode``; PDF takes colour from the codestream."""
    at = data.find(b"ihdr", 0, 4096)
    if not data.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or at < 0 or len(data) < at + 12:
        raise CorruptFile("page image declared JPEG 2000 is not a JP2 file")
    height, width = struct.unpack(">II", data[at + 4 : at + 12])
    return _raw_stream(data, "/JPXDecode"), (width, height)


def _raw_stream(data: bytes, filter_name: str | None = None) -> StreamObject:
    """A stream whose bytes are written exactly as given (already encoded with ``filter_name``)."""
    stream = StreamObject()
    stream.set_data(data)
    if filter_name:
        stream[NameObject("/Filter")] = NameObject(filter_name)
    return stream


def _flate_stream(data: bytes) -> StreamObject:
    return _raw_stream(zlib.compress(data, 9), "/FlateDecode")


# --- text layer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PlacedWord:
    text: str
    left: float  # points, from the page's left edge
    right: float


@dataclass(frozen=True)
class _PlacedLine:
    baseline: float  # points, from the page's bottom edge
    size: float  # font size in points: the line's height
    words: tuple[_PlacedWord, ...]


def _clean_text(text: str) -> str:
    """NFC, no control characters, whitespace runs collapsed: what the text layer will carry."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    return " ".join(text.split())


def _same_line(prev: OcrWord, word: OcrWord) -> bool:
    """True when ``word`` continues ``prev``'s line: same Tesseract line key and overlapping rows.

    The geometric check keeps hand-made or flattened OCR results (all keys 0) from collapsing a
    whole page onto one baseline.
    """
    if (prev.block, prev.paragraph, prev.line) != (word.block, word.paragraph, word.line):
        return False
    overlap = min(prev.top + prev.height, word.top + word.height) - max(prev.top, word.top)
    return overlap >= 0.5 * max(1, min(prev.height, word.height))


def _layout_lines(page: PdfPageInput) -> list[_PlacedLine]:
    """Group the OCR words into lines (reading order kept) and convert pixels to points."""
    ocr = page.ocr
    sx = page.width_px / ocr.width if ocr.width > 0 else 1.0
    sy = page.height_px / ocr.height if ocr.height > 0 else 1.0
    pt = 72.0 / page.dpi
    page_h = page.height_px * pt
    groups: list[list[tuple[OcrWord, str]]] = []
    prev: OcrWord | None = None
    for word in ocr.words:
        text = _clean_text(word.text)
        if not text or word.width <= 0 or word.height <= 0:
            continue
        if prev is None or not _same_line(prev, word):
            groups.append([])
        groups[-1].append((word, text))
        prev = word
    lines = []
    for group in groups:
        top = min(w.top for w, _ in group) * sy
        bottom = max(w.top + w.height for w, _ in group) * sy
        words = tuple(_PlacedWord(text, w.left * sx * pt, (w.left + w.width) * sx * pt) for w, text in group)
        lines.append(_PlacedLine(page_h - bottom * pt, max((bottom - top) * pt, 0.5), words))
    return lines


def _num(value: float) -> str:
    """A compact PDF number (2 decimals at most: 1/100 pt is far below a scan pixel; no ``-0``)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _tz(target: float, natural: float) -> str:
    """Horizontal scaling (percent) that stretches ``natural`` points of text to ``target``; never 0."""
    return _num(max(100.0 * target / natural, 0.01))


class _CidTable:
    """Numbers the document's distinct characters 1..N (CID 0 is .notdef and never shown)."""

    def __init__(self) -> None:
        self.cids: dict[str, int] = {}

    def hex(self, text: str) -> str:
        out = []
        for ch in text:
            cid = self.cids.setdefault(ch, len(self.cids) + 1)
            if cid > 0xFFFF:
                raise ValueError("more than 65535 distinct characters in one document")
            out.append(f"{cid:04X}")
        return "<" + "".join(out) + ">"


def _text_ops(lines: Sequence[_PlacedLine], cids: _CidTable, font: str) -> list[str]:
    """Content-stream operators drawing the lines as invisible text.

    Each word is placed with its own ``Tm`` and stretched with ``Tz`` to its box width; between
    two words of a line a space glyph is stretched over the gap, so extractors emit a word break
    and selection runs continuously along the line.
    """
    if not lines:
        return []
    ops = ["BT", "3 Tr"]
    unit = _GLYPH_WIDTH / 1000.0
    for line in lines:
        ops.append(f"{font} {_num(line.size)} Tf")
        em = unit * line.size
        for i, word in enumerate(line.words):
            width = max(word.right - word.left, 0.01)
            ops.append(f"{_tz(width, len(word.text) * em)} Tz")
            ops.append(f"1 0 0 1 {_num(word.left)} {_num(line.baseline)} Tm")
            ops.append(f"{cids.hex(word.text)} Tj")
            if i + 1 < len(line.words):
                gap = max(line.words[i + 1].left - word.right, 0.01)
                ops.append(f"{_tz(gap, em)} Tz")
                ops.append(f"{cids.hex(' ')} Tj")
    ops.append("ET")
    return ops


def _to_unicode_cmap(cids: _CidTable) -> bytes:
    entries = [f"<{cid:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for ch, cid in cids.cids.items()]
    body = []
    for start in range(0, len(entries), 100):  # a bfchar block holds at most 100 entries
        chunk = entries[start : start + 100]
        body += [f"{len(chunk)} beginbfchar", *chunk, "endbfchar"]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<0000> <FFFF>",
            "endcodespacerange",
            *body,
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
            "",
        ]
    ).encode("ascii")


@cache
def _glyphless_font() -> bytes:
    try:
        return FONT_PATH.read_bytes()
    except OSError as exc:
        raise ConfigError(f"text-layer font missing: {FONT_PATH} ({exc}); reinstall sohoa") from exc


# --- the file --------------------------------------------------------------------------------


class _ObjectTable:
    """Indirect objects in file order; a reference is handed out before the object is known."""

    def __init__(self) -> None:
        self.objects: list[PdfObject | None] = []

    def reserve(self) -> IndirectObject:
        self.objects.append(None)
        return IndirectObject(len(self.objects), 0, None)  # type: ignore[arg-type]

    def add(self, obj: PdfObject, ref: IndirectObject | None = None) -> IndirectObject:
        ref = ref or self.reserve()
        self.objects[ref.idnum - 1] = obj
        return ref

    def serialise(self, root: IndirectObject, info: IndirectObject) -> bytes:
        out = io.BytesIO()
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for num, obj in enumerate(self.objects, start=1):
            assert obj is not None, f"object {num} reserved but never added"
            offsets.append(out.tell())
            out.write(f"{num} 0 obj\n".encode())
            obj.write_to_stream(out)
            out.write(b"\nendobj\n")
        file_id = ByteStringObject(hashlib.sha256(out.getvalue()).digest()[:16])
        xref_at = out.tell()
        out.write(f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode())
        out.write(b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets))
        trailer = DictionaryObject(
            {
                NameObject("/Size"): NumberObject(len(self.objects) + 1),
                NameObject("/Root"): root,
                NameObject("/Info"): info,
                NameObject("/ID"): ArrayObject([file_id, file_id]),
            }
        )
        out.write(b"trailer\n")
        trailer.write_to_stream(out)
        out.write(f"\nstartxref\n{xref_at}\n%%EOF\n".encode())
        return out.getvalue()


def _text_string(value: str) -> TextStringObject:
    """A PDF text string: plain ASCII as is, anything else UTF-16BE with a BOM (NFC first)."""
    value = unicodedata.normalize("NFC", value)
    obj = TextStringObject(value)
    if not value.isascii():
        obj.autodetect_pdfdocencoding = False
        obj.autodetect_utf16 = True
        obj.utf16_bom = codecs.BOM_UTF16_BE
    return obj


def _info_entries(info: Mapping[str, str] | None, created: dt.datetime | None) -> dict[str, str]:
    """The document information entries, NFC. Dates come only from ``created`` (an ``info``
    date string could not be mirrored in the XMP reliably, which PDF/A requires)."""
    entries = {"Creator": "sohoa", "Producer": "sohoa"}
    for key, value in (info or {}).items():
        name = key.lstrip("/")
        if name.lower() in ("creationdate", "moddate"):
            continue
        if name.lower() in _INFO_KEYS:
            name = name.capitalize()
        if value is not None and str(value).strip():
            entries[name] = unicodedata.normalize("NFC", " ".join(str(value).split()))
    if created is not None:
        entries["CreationDate"] = entries["ModDate"] = pdfa.pdf_date(created)
    return entries


def _info_dict(entries: Mapping[str, str]) -> DictionaryObject:
    return DictionaryObject({NameObject("/" + k): _text_string(v) for k, v in entries.items()})


def _pdfa_catalog_entries(
    table: _ObjectTable, entries: Mapping[str, str], created: dt.datetime | None
) -> dict:
    """``/Metadata`` (XMP, unfiltered so any reader finds it) and ``/OutputIntents`` (sRGB)."""
    metadata = _raw_stream(pdfa.xmp_packet(entries, created))
    metadata[NameObject("/Type")] = NameObject("/Metadata")
    metadata[NameObject("/Subtype")] = NameObject("/XML")
    profile = _flate_stream(pdfa.srgb_profile())
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject(pdfa.OUTPUT_CONDITION),
            NameObject("/RegistryName"): TextStringObject("http://www.color.org"),
            NameObject("/Info"): TextStringObject(pdfa.OUTPUT_CONDITION),
            NameObject("/DestOutputProfile"): table.add(profile),
        }
    )
    return {
        NameObject("/Metadata"): table.add(metadata),
        NameObject("/OutputIntents"): ArrayObject([table.add(intent)]),
    }


def _font_objects(table: _ObjectTable, font_ref: IndirectObject, cids: _CidTable) -> None:
    font_file = _flate_stream(_glyphless_font())
    font_file[NameObject("/Length1")] = NumberObject(len(_glyphless_font()))
    descriptor = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject(FONT_NAME),
            NameObject("/Flags"): NumberObject(5),  # fixed pitch, symbolic
            NameObject("/FontBBox"): ArrayObject([NumberObject(v) for v in (0, 0, _GLYPH_WIDTH, 1000)]),
            NameObject("/ItalicAngle"): NumberObject(0),
            # Ascent 1000 / Descent ~0: the glyph box spans baseline..baseline+size, which is the
            # OCR line box, so selection and pdftotext -bbox land on the printed words.
            NameObject("/Ascent"): NumberObject(1000),
            NameObject("/Descent"): NumberObject(-1),
            NameObject("/CapHeight"): NumberObject(1000),
            NameObject("/StemV"): NumberObject(80),
            NameObject("/FontFile2"): table.add(font_file),
        }
    )
    # Every used CID shows glyph 1 (the font's only non-.notdef glyph).
    cid_to_gid = _flate_stream(b"\x00\x00" + b"\x00\x01" * len(cids.cids))
    cid_font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType2"),
            NameObject("/BaseFont"): NameObject(FONT_NAME),
            NameObject("/CIDSystemInfo"): DictionaryObject(
                {
                    NameObject("/Registry"): TextStringObject("Adobe"),
                    NameObject("/Ordering"): TextStringObject("Identity"),
                    NameObject("/Supplement"): NumberObject(0),
                }
            ),
            NameObject("/FontDescriptor"): table.add(descriptor),
            NameObject("/DW"): NumberObject(_GLYPH_WIDTH),
            NameObject("/CIDToGIDMap"): table.add(cid_to_gid),
        }
    )
    type0 = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject(FONT_NAME),
            NameObject("/Encoding"): NameObject("/Identity-H"),
            NameObject("/DescendantFonts"): ArrayObject([table.add(cid_font)]),
            NameObject("/ToUnicode"): table.add(_flate_stream(_to_unicode_cmap(cids))),
        }
    )
    table.add(type0, font_ref)


def build_searchable_pdf(
    pages: Sequence[PdfPageInput],
    *,
    info: Mapping[str, str] | None = None,
    created: dt.datetime | None = None,
) -> bytes:
    """Assemble the searchable PDF (1.7, PDF/A-2b): one page per input, image full page, text invisible.

    Page size is ``pixels / dpi * 72`` points. The words go in the OCR result's order, lines
    separated by baseline moves and words by stretched spaces, so extracted text reads like the
    page. ``info`` fills the document information dictionary (keys such as ``Title``,
    ``Subject``, ``Author``, ``Keywords``; ``Creator`` defaults to ``sohoa``), Vietnamese as
    UTF-16BE text strings, repeated in the XMP metadata (:mod:`ocr.pdfa`); ``created`` sets the
    creation and modification dates (none when omitted, so the same input gives the same bytes).
    Raises ``CorruptFile`` for an image that cannot be embedded and
    ``ValueError`` for inputs that contradict themselves (size, dpi, format) — a caller bug.
    """
    if not pages:
        raise ValueError("a PDF needs at least one page")
    table = _ObjectTable()
    catalog_ref, pages_ref, info_ref = (table.reserve() for _ in range(3))
    cids = _CidTable()
    kids = ArrayObject()
    font_ref: IndirectObject | None = None
    for page in pages:
        if page.dpi <= 0 or page.width_px <= 0 or page.height_px <= 0:
            raise ValueError(
                f"page {page.ocr.index}: bad size {page.width_px}x{page.height_px} at {page.dpi} dpi"
            )
        width_pt = page.width_px * 72.0 / page.dpi
        height_pt = page.height_px * 72.0 / page.dpi
        image_ref = table.add(_image_xobject(page))
        ops = ["q", f"{_num(width_pt)} 0 0 {_num(height_pt)} 0 0 cm", "/Im0 Do", "Q"]
        text_ops = _text_ops(_layout_lines(page), cids, "/F1")
        resources = DictionaryObject(
            {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): image_ref})}
        )
        if text_ops:
            if font_ref is None:
                font_ref = table.reserve()
            ops += text_ops
            resources[NameObject("/Font")] = DictionaryObject({NameObject("/F1"): font_ref})
        contents_ref = table.add(_flate_stream(("\n".join(ops) + "\n").encode("ascii")))
        kids.append(
            table.add(
                DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/Page"),
                        NameObject("/Parent"): pages_ref,
                        NameObject("/MediaBox"): ArrayObject(
                            [
                                NumberObject(0),
                                NumberObject(0),
                                FloatObject(_num(width_pt)),
                                FloatObject(_num(height_pt)),
                            ]
                        ),
                        NameObject("/Resources"): resources,
                        NameObject("/Contents"): contents_ref,
                    }
                )
            )
        )
    if font_ref is not None:
        _font_objects(table, font_ref, cids)
    table.add(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Pages"),
                NameObject("/Kids"): kids,
                NameObject("/Count"): NumberObject(len(kids)),
            }
        ),
        pages_ref,
    )
    entries = _info_entries(info, created)
    catalog = DictionaryObject({NameObject("/Type"): NameObject("/Catalog"), NameObject("/Pages"): pages_ref})
    catalog.update(_pdfa_catalog_entries(table, entries, created))
    table.add(catalog, catalog_ref)
    table.add(_info_dict(entries), info_ref)
    return table.serialise(catalog_ref, info_ref)
