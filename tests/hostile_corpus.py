"""Builders for the bad-input corpus (issue 9): every hostile file is made here, in memory.

Each builder returns bytes small enough to write in a test (< 1 MB) while standing for a file that
would be huge, slow or dangerous if decoded naively. Nothing is read from outside the repository.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)


def page_image(w: int = 400, h: int = 560) -> Image.Image:
    img = Image.new("L", (w, h), 255)
    ImageDraw.Draw(img).rectangle((40, 60, 300, 90), fill=0)
    return img


def encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def plain_pdf(pages: int = 1) -> bytes:
    """An image-only PDF as a scanner makes it (Pillow's writer)."""
    imgs = [page_image() for _ in range(pages)]
    buf = io.BytesIO()
    imgs[0].save(buf, format="PDF", save_all=True, append_images=imgs[1:], resolution=72.0)
    return buf.getvalue()


def _writer_from(pdf: bytes) -> PdfWriter:
    return PdfWriter(clone_from=io.BytesIO(pdf))


def _written(writer: PdfWriter) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def truncated_pdf() -> bytes:
    data = plain_pdf()
    return data[: len(data) // 2]


def broken_xref_pdf() -> bytes:
    """Every xref offset wrong and ``startxref`` pointing nowhere: readers rebuild the table by
    scanning for ``N 0 obj``, so the document itself is intact."""
    data = plain_pdf()
    head, sep, tail = data.rpartition(b"startxref")
    xref_at = head.rfind(b"xref")
    table = head[xref_at:]
    scrambled = bytearray(table)
    for i, c in enumerate(scrambled):
        if 0x30 <= c <= 0x39 and table[max(0, i - 11) : i].count(b"\n") == 0 and i > 20:
            scrambled[i] = 0x30 + (c - 0x30 + 7) % 10
    return head[:xref_at] + bytes(scrambled) + sep + b"\n999999999\n%%EOF\n"


def garbled_pdf() -> bytes:
    """A PDF header, then nothing a reader can rebuild: no objects, no xref, no trailer."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def encrypted_pdf(user_password: str, owner_password: str = "owner-secret") -> bytes:
    """AES-256 encryption; ``user_password`` "" means restrictions only (opens without one)."""
    writer = _writer_from(plain_pdf())
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    return _written(writer)


def javascript_pdf() -> bytes:
    """Document-level JavaScript in the catalog's /Names tree (what Acrobat runs on open)."""
    writer = _writer_from(plain_pdf())
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1);")}
    )
    js_tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("x"), writer._add_object(action)])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): js_tree})
    return _written(writer)


def open_action_js_pdf() -> bytes:
    """JavaScript hidden as the document's /OpenAction rather than in the /Names tree."""
    writer = _writer_from(plain_pdf())
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): DecodedStreamObject()}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return _written(writer)


def embedded_file_pdf() -> bytes:
    writer = _writer_from(plain_pdf())
    writer.add_attachment("payload.exe", b"MZ" + b"\0" * 64)
    return _written(writer)


def many_pages_pdf(n: int = 3000) -> bytes:
    writer = PdfWriter()
    for _ in range(n):
        writer.add_blank_page(width=595, height=842)
    return _written(writer)


def lying_page_count_pdf(count: int = 10**9) -> bytes:
    """One real page, a page tree that claims a billion."""
    writer = _writer_from(plain_pdf())
    pages = writer._root_object["/Pages"].get_object()
    pages[NameObject("/Count")] = NumberObject(count)
    return _written(writer)


def _pdf_with_image_stream(width: int, height: int, raw: bytes, filters: str = "/FlateDecode") -> bytes:
    """A one-page PDF whose page is one image XObject with the given (already encoded) data."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    img = StreamObject()
    img._data = raw
    img.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(width),
            NameObject("/Height"): NumberObject(height),
            NameObject("/ColorSpace"): NameObject("/DeviceGray"),
            NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): ArrayObject([NameObject(filters)]),
            NameObject("/Length"): NumberObject(len(raw)),
        }
    )
    ref = writer._add_object(img)
    content = DecodedStreamObject()
    content.set_data(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    page[NameObject("/Contents")] = writer._add_object(content)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): ref})}
    )
    return _written(writer)


def deflate_bomb_pdf(inflated_mb: int = 1024) -> bytes:
    """A 1000x1000 gray image (1 MB of pixels) whose Flate stream inflates to ``inflated_mb`` MB.

    zlib caps at ~1030:1, so 1 GB of zeros is about 1 MB compressed. Built fast: one raw deflate
    block for 16 MB of zeros, ended by a full flush so it can be repeated, between a zlib header
    and the Adler-32 of the whole.
    """
    chunk = b"\0" * (16 * 1024 * 1024)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = raw.compress(chunk) + raw.flush(zlib.Z_FULL_FLUSH)
    end = raw.flush(zlib.Z_FINISH)
    adler = 1
    for _ in range(inflated_mb // 16):
        adler = zlib.adler32(chunk, adler)
    stream = b"\x78\xda" + block * (inflated_mb // 16) + end + struct.pack(">I", adler)
    return _pdf_with_image_stream(1000, 1000, stream)


def huge_image_pdf(side: int = 50_000) -> bytes:
    """An image XObject whose dictionary claims side x side pixels (data: one compressed row)."""
    return _pdf_with_image_stream(side, side, zlib.compress(b"\xff" * (side + 1)))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def huge_png(side: int = 50_000) -> bytes:
    """A valid PNG header claiming side x side gray pixels, with one tiny IDAT (a pixel bomb)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * (side + 1))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def huge_jpeg(side: int = 50_000) -> bytes:
    """A small real JPEG whose SOF marker is patched to claim side x side pixels."""
    data = bytearray(encode(page_image(64, 64), "JPEG"))
    at = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, side, side)
    return bytes(data)


def huge_tiff(side: int = 50_000) -> bytes:
    """A small real TIFF whose ImageWidth/ImageLength tags are patched to side x side."""
    data = bytearray(encode(page_image(64, 64), "TIFF"))
    (ifd,) = struct.unpack_from("<I", data, 4)
    (n,) = struct.unpack_from("<H", data, ifd)
    for i in range(n):
        entry = ifd + 2 + 12 * i
        tag, typ = struct.unpack_from("<HH", data, entry)
        if tag in (256, 257):
            if typ == 3:
                struct.pack_into("<H", data, entry + 8, side)
            else:
                struct.pack_into("<I", data, entry + 8, side)
    return bytes(data)


def corrupt_jpeg() -> bytes:
    """A JPEG header followed by garbage: the entropy-coded data cannot be decoded."""
    good = encode(page_image(), "JPEG", quality=80)
    return good[:200] + bytes((i * 37) % 256 for i in range(2000))


def truncated_jpeg() -> bytes:
    good = encode(page_image(), "JPEG", quality=80)
    return good[: len(good) // 3]


def corrupt_tiff() -> bytes:
    """A little-endian TIFF header whose first IFD offset points past the end of the file."""
    return b"II*\x00" + struct.pack("<I", 0x7FFFFF00) + b"\0" * 64


def truncated_tiff() -> bytes:
    good = encode(page_image(), "TIFF", compression="tiff_deflate")
    return good[: len(good) // 2]


def child_environment() -> dict[str, str]:
    """Run inside :func:`ocr.sandbox.run_limited`: the environment the child was given."""
    import os

    return dict(os.environ)


NOT_DOCUMENTS = {
    "elf": b"\x7fELF\x02\x01\x01" + b"\0" * 100,
    "zip": b"PK\x03\x04" + b"\0" * 100,
    "gif": b"GIF89a" + b"\0" * 100,
    "html": b"<!doctype html><script>alert(1)</script>",
    "exe": b"MZ\x90\x00" + b"\0" * 100,
}


def signed_pdf(workdir: Path, pdf: bytes | None = None) -> bytes:
    """``pdf`` (default: a plain scan) signed by another agency's throwaway PKI in ``workdir``;
    its root certificate is left at ``workdir/root.pem``."""
    from signing.pki import create_dev_pki
    from signing.sign import sign_pdf

    create_dev_pki(workdir, agency_name="SỞ TƯ PHÁP", password=b"another-agency")
    p12 = (workdir / "signer.p12").read_bytes()
    return sign_pdf(pdf or plain_pdf(), p12=p12, password=b"another-agency", agency_name="SỞ TƯ PHÁP")


# case -> (builder, file name, expected reason). The names lie about the type on purpose.
# ``None`` as builder: the already-signed PDF, built with :func:`signed_pdf` (needs a folder).
CASES: dict[str, tuple[Callable[[], bytes] | None, str, str]] = {
    "zero_byte": (lambda: b"", "empty.pdf", "empty_file"),
    "truncated_pdf": (truncated_pdf, "truncated.pdf", "corrupt_file"),
    "unrepairable_xref": (garbled_pdf, "garbled.pdf", "corrupt_file"),
    "encrypted_user_password": (lambda: encrypted_pdf("mat-khau"), "locked.pdf", "encrypted_pdf"),
    "already_signed": (None, "signed.pdf", "already_signed"),
    "javascript": (javascript_pdf, "js.pdf", "pdf_active_content"),
    "javascript_open_action": (open_action_js_pdf, "open.pdf", "pdf_active_content"),
    "embedded_file": (embedded_file_pdf, "attached.pdf", "pdf_active_content"),
    "elf_renamed_pdf": (lambda: NOT_DOCUMENTS["elf"], "scan.pdf", "unsupported_type"),
    "zip_renamed_pdf": (lambda: NOT_DOCUMENTS["zip"], "scan2.pdf", "unsupported_type"),
    "html_renamed_jpg": (lambda: NOT_DOCUMENTS["html"], "scan.jpg", "unsupported_type"),
    "corrupt_tiff": (corrupt_tiff, "bad.tif", "corrupt_file"),
    "truncated_tiff": (truncated_tiff, "cut.tif", "corrupt_file"),
    "corrupt_jpeg": (corrupt_jpeg, "bad.jpg", "corrupt_file"),
    "truncated_jpeg": (truncated_jpeg, "cut.jpg", "corrupt_file"),
    "png_50000x50000": (huge_png, "huge.png", "decompression_bomb"),
    "jpeg_50000x50000": (huge_jpeg, "huge.jpg", "decompression_bomb"),
    "tiff_50000x50000": (huge_tiff, "huge.tif", "decompression_bomb"),
    "pdf_image_50000x50000": (huge_image_pdf, "huge.pdf", "decompression_bomb"),
    "pdf_deflate_bomb_1gb": (deflate_bomb_pdf, "bomb.pdf", "decompression_bomb"),
    "pdf_3000_pages": (many_pages_pdf, "long.pdf", "too_many_pages"),
    "pdf_claims_1e9_pages": (lying_page_count_pdf, "liar.pdf", "too_many_pages"),
}


def build(case: str, workdir: Path) -> bytes:
    builder = CASES[case][0]
    return signed_pdf(workdir) if builder is None else builder()
