"""Inspect an input PDF before any page is decoded: what is in it, and is it safe to open?

A scan is a few pages, each one image. Anything else a PDF can carry is either a reason to stop
(a password, an existing digital signature we must not break, JavaScript, launch actions,
embedded files) or an attack on the decoder (a page tree of thousands of pages, an image whose
header claims billions of pixels, a small deflate stream that inflates to gigabytes). This module
looks at every object once, inflating each compressed stream only up to a bound, and raises the
matching :mod:`schemas.errors` class so the file is quarantined with a precise reason. It is pure
(bytes in, facts out) and runs inside the limited extraction process (:mod:`ocr.sandbox`).
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass
from typing import Any

from schemas.errors import (
    AlreadySigned,
    CorruptFile,
    DecompressionBomb,
    EncryptedPdf,
    PdfActiveContent,
    SohoaError,
    TooManyPages,
)

# A non-image stream of a scan (page content, fonts of a stamp) is kilobytes; 64 MB is generous.
MAX_OTHER_STREAM_BYTES = 64 * 1024 * 1024
MAX_OBJECTS = 500_000
_INFLATE_CHUNK = 1024 * 1024
_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/G": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/RGB": 3}
_COMPONENTS |= {"/DeviceCMYK": 4, "/CMYK": 4, "/Lab": 3, "/Indexed": 1, "/I": 1}
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute", "/Rendition"}


@dataclass(frozen=True)
class PdfFacts:
    """What an input PDF holds. ``owner_encrypted``: restrictions only, opened without a password."""

    pages: int
    owner_encrypted: bool = False
    signed: bool = False
    javascript: bool = False
    launch: bool = False
    embedded_files: bool = False
    objects: int = 0

    @property
    def active_content(self) -> bool:
        return self.javascript or self.launch or self.embedded_files


def check_pdf(data: bytes, *, max_pages: int, max_pixels: int, allow_signed: bool = False) -> PdfFacts:
    """Inspect and refuse: raises ``EncryptedPdf``, ``TooManyPages``, ``DecompressionBomb``,
    ``PdfActiveContent``, ``AlreadySigned`` (unless ``allow_signed``) or ``CorruptFile``."""
    facts = inspect_pdf(data, max_pages=max_pages, max_pixels=max_pixels)
    if facts.active_content:
        what = [
            k for k, v in (("JavaScript", facts.javascript), ("launch action", facts.launch),
                           ("embedded file", facts.embedded_files)) if v
        ]  # fmt: skip
        raise PdfActiveContent("PDF contains " + ", ".join(what))
    if facts.signed and not allow_signed:
        raise AlreadySigned("the PDF carries a digital signature field with a value")
    return facts


def inspect_pdf(data: bytes, *, max_pages: int, max_pixels: int) -> PdfFacts:
    """Facts about a PDF; raises only for what makes further reading impossible or dangerous."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        owner_encrypted = False
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001 - unknown crypt filter, broken /Encrypt
                raise EncryptedPdf(f"cannot decrypt: {type(exc).__name__}: {exc}") from exc
            if not ok:
                raise EncryptedPdf("the PDF needs a password to open")
            owner_encrypted = True
        declared = _declared_page_count(reader)
        if declared > max_pages:
            raise TooManyPages(f"page tree declares {declared} pages, limit {max_pages}")
        facts = _walk_objects(reader, max_pixels=max_pixels)
        n = len(reader.pages)
    except SohoaError:
        raise
    except LimitReachedError as exc:
        raise DecompressionBomb(f"PDF structure over a safety limit: {exc}") from exc
    except RecursionError as exc:
        raise CorruptFile("PDF object graph nested too deeply") from exc
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure on a damaged file
        raise CorruptFile(f"PDF structure unreadable: {type(exc).__name__}: {exc}") from exc
    if n == 0:
        raise CorruptFile("PDF has no pages")
    if n > max_pages:
        raise TooManyPages(f"{n} pages, limit {max_pages}")
    return PdfFacts(
        pages=n,
        owner_encrypted=owner_encrypted,
        signed=facts["signed"],
        javascript=facts["javascript"],
        launch=facts["launch"],
        embedded_files=facts["embedded"],
        objects=facts["objects"],
    )


def _declared_page_count(reader: Any) -> int:
    """``/Root/Pages/Count``: read before flattening a page tree that may hold millions of pages."""
    try:
        count = reader.trailer["/Root"].get_object()["/Pages"].get_object().get("/Count", 0)
        return int(count)
    except Exception:  # noqa: BLE001 - a damaged tree is judged when the pages are read
        return 0


def _object_ids(reader: Any) -> list[tuple[int, int]]:
    ids = {(num, gen) for gen, table in reader.xref.items() for num in table}
    ids |= {(num, 0) for num in reader.xref_objStm}
    return sorted(ids)


def _walk_objects(reader: Any, *, max_pixels: int) -> dict[str, Any]:
    """Every indirect object once: flags for active content and signatures, stream bomb checks."""
    from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

    found = {"signed": False, "javascript": False, "launch": False, "embedded": False, "objects": 0}
    ids = _object_ids(reader)
    if len(ids) > MAX_OBJECTS:
        raise DecompressionBomb(f"{len(ids)} objects, limit {MAX_OBJECTS}")
    for num, gen in ids:
        try:
            obj = reader.get_object(IndirectObject(num, gen, reader))
        except (SohoaError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - one unreadable object is judged when used
            from pypdf.errors import LimitReachedError

            if isinstance(exc, LimitReachedError):
                raise
            continue
        if not isinstance(obj, DictionaryObject):
            continue
        found["objects"] += 1
        _flag(obj, found)
        if isinstance(obj, StreamObject):
            _check_stream(obj, num, max_pixels=max_pixels)
    return found


def _name(value: Any) -> str:
    try:
        return str(value.get_object()) if value is not None else ""
    except Exception:  # noqa: BLE001
        return ""


def _flag(d: Any, found: dict[str, Any]) -> None:
    keys = set(d.keys())
    action = _name(d.get("/S"))
    if "/JS" in keys or action == "/JavaScript" or "/JavaScript" in keys:
        found["javascript"] = True
    if action in _ACTIVE_ACTIONS - {"/JavaScript"}:
        found["launch"] = True
    if "/XFA" in keys:  # XFA forms carry scripts
        found["javascript"] = True
    typ, subtype = _name(d.get("/Type")), _name(d.get("/Subtype"))
    if typ in ("/EmbeddedFile", "/Filespec") and ("/EF" in keys or typ == "/EmbeddedFile"):
        found["embedded"] = True
    if "/EmbeddedFiles" in keys or subtype in ("/FileAttachment", "/RichMedia"):
        found["embedded"] = True
    if typ in ("/Sig", "/DocTimeStamp") and "/Contents" in keys and "/ByteRange" in keys:
        found["signed"] = True
    if _name(d.get("/FT")) == "/Sig" and d.get("/V") is not None:
        found["signed"] = True


def _check_stream(stream: Any, num: int, *, max_pixels: int) -> None:
    """Refuse an image claiming too many pixels, and any Flate stream inflating past its bound."""
    is_image = _name(stream.get("/Subtype")) == "/Image"
    limit = MAX_OTHER_STREAM_BYTES
    if is_image:
        try:
            w, h = int(stream.get("/Width", 0)), int(stream.get("/Height", 0))
            bpc = int(stream.get("/BitsPerComponent", 8) or 8)
        except (TypeError, ValueError):
            raise CorruptFile(f"image object {num} has a non-numeric size") from None
        if w < 0 or h < 0:
            raise CorruptFile(f"image object {num} has a negative size")
        if w * h > max_pixels:
            raise DecompressionBomb(f"image object {num} claims {w}x{h} = {w * h} pixels, limit {max_pixels}")
        cs = stream.get("/ColorSpace")
        cs_name = _name(cs[0] if isinstance(cs, list) and cs else cs)
        components = _COMPONENTS.get(cs_name, 4)
        row = (w * components * max(bpc, 1) + 7) // 8 + 1  # +1: a PNG predictor byte per row
        limit = 2 * row * h + 1024 * 1024
    filters = stream.get("/Filter")
    first = _name(filters[0] if isinstance(filters, list) and filters else filters)
    if first not in ("/FlateDecode", "/Fl"):
        return
    raw = getattr(stream, "_data", b"") or b""
    size = _inflated_size(raw, limit)
    if size > limit:
        what = "image" if is_image else "stream"
        raise DecompressionBomb(
            f"{what} object {num}: {len(raw)} compressed bytes inflate past {limit} bytes"
        )


def _inflated_size(raw: bytes, limit: int) -> int:
    """Bytes the zlib data inflates to, counted in 1 MB steps and abandoned past ``limit``."""
    d = zlib.decompressobj()
    total = 0
    data = raw
    try:
        while data:
            out = d.decompress(data, _INFLATE_CHUNK)
            total += len(out)
            if total > limit:
                return total
            data = d.unconsumed_tail
            if not out and not data:
                break
    except zlib.error:
        return total  # damaged data: the decoder will report it, not as a bomb
    return total
