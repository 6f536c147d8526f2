"""Text layers already in an input PDF: use the page text when it is real, OCR when it is not.

A born-digital PDF (a Word file exported and e-signed) carries its exact text; reading it is
instant and error-free, so OCR would only make it worse. But the scans of this domain carry
text layers that are *not* the page text: the tiny layer of an e-signature stamp ("Ký bởi: ...
Cơ quan: ... Thời gian ký: ...") or of the e-gazette's stamp ("TRUNG TÂM CÔNG BÁO VÀ TIN HỌC
ttcbth@... 09.01.2025 10:21:11 +07:00") laid over a scanned image. And old Word files set in
TCVN3/VNI fonts extract as mis-encoded Latin-1, which :mod:`ocr.legacy_vn` converts.

``pdftotext -bbox-layout`` (poppler, already needed for rendering) gives every word with its box
in one call for the whole document; it runs under a timeout, and any failure means "no usable
text layer" (the page is OCR'd), never an error of the document.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ocr.legacy_vn import best_reading
from ocr.tesseract import normalize_text
from schemas.documents import OcrPage, OcrWord

PDFTOTEXT_TIMEOUT_S = 60
# A page whose non-stamp text has fewer words than this is OCR'd: a caption or a page number
# is not worth trusting over the image.
MIN_WORDS = 15
MIN_LETTER_SHARE = 0.6

# Lines of e-signature and e-gazette stamps: never the page's own text.
_STAMP_LINE = re.compile(
    r"(ký\s*bởi|ky\s*boi|signed\s*by|thời\s*gian\s*ký|cơ\s*quan\s*:|"
    r"@[\w.-]*\.(gov|vn)|\d{1,2}[./]\d{1,2}[./]\d{4}\s+\d{1,2}:\d{2}|[+-]0\d:00|"
    r"công\s*báo|tin\s*học|email\s*:)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class TextLayer:
    """One page's text layer as read from the PDF.

    ``kind``: ``"text"`` (real page text, Unicode), ``"legacy"`` (TCVN3/VNI, converted),
    ``"stamp"`` (only signature/gazette stamp text), ``"none"`` (no or too little text,
    or garbage). ``lines`` hold words with boxes in PDF points, origin top left.
    """

    index: int
    kind: str
    width_pt: float
    height_pt: float
    lines: tuple[tuple[_Word, ...], ...] = ()
    encoding: str = "unicode"

    @property
    def usable(self) -> bool:
        return self.kind in ("text", "legacy")

    @property
    def text(self) -> str:
        return "\n".join(" ".join(w.text for w in line) for line in self.lines)


def read_text_layers(pdf: bytes) -> list[TextLayer]:
    """Every page's text layer, classified; ``[]`` when poppler cannot read the file."""
    with tempfile.TemporaryDirectory(prefix="sohoa-text-") as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        try:
            res = subprocess.run(
                ["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(src), "-"],
                capture_output=True,
                timeout=PDFTOTEXT_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return []
    if res.returncode != 0 or not res.stdout:
        return []
    return parse_bbox_layout(res.stdout.decode("utf-8", "replace"))


def parse_bbox_layout(xhtml: str) -> list[TextLayer]:
    """Parse ``pdftotext -bbox-layout`` output into classified pages."""
    try:
        root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xhtml))
    except ET.ParseError:
        return []
    layers = []
    for index, page in enumerate(e for e in root.iter() if _tag(e) == "page"):
        blocks = []
        for block in (e for e in page.iter() if _tag(e) == "block"):
            lines = []
            for line in (e for e in block if _tag(e) == "line"):
                words = tuple(
                    _Word(
                        unicodedata.normalize("NFC", w.text or ""),
                        float(w.get("xMin", 0)),
                        float(w.get("yMin", 0)),
                        float(w.get("xMax", 0)),
                        float(w.get("yMax", 0)),
                    )
                    for w in line
                    if _tag(w) == "word" and (w.text or "").strip()
                )
                if words:
                    lines.append(words)
            if lines:
                blocks.append(lines)
        layers.append(classify(index, float(page.get("width", 0)), float(page.get("height", 0)), blocks))
    return layers


def classify(
    index: int, width_pt: float, height_pt: float, blocks: list[list[tuple[_Word, ...]]]
) -> TextLayer:
    """Drop stamp blocks, convert legacy encodings, and decide whether the rest is page text."""
    content: list[tuple[_Word, ...]] = []
    had_stamp = False
    for block in blocks:
        if any(_STAMP_LINE.search(" ".join(w.text for w in line)) for line in block):
            had_stamp = True
        else:
            content.extend(block)
    words = [w for line in content for w in line]
    if len(words) < MIN_WORDS:
        return TextLayer(index, "stamp" if had_stamp else "none", width_pt, height_pt)
    raw = "\n".join(" ".join(w.text for w in line) for line in content)
    if _garbled(raw, len(words)):
        return TextLayer(index, "none", width_pt, height_pt)
    encoding, _ = best_reading(raw)
    if encoding != "unicode":
        convert = _converter(encoding)
        content = [tuple(_Word(convert(w.text), w.x0, w.y0, w.x1, w.y1) for w in line) for line in content]
    lines = tuple(
        tuple(_Word(normalize_text(w.text), w.x0, w.y0, w.x1, w.y1) for w in line) for line in content
    )
    kind = "text" if encoding == "unicode" else "legacy"
    return TextLayer(index, kind, width_pt, height_pt, lines, encoding)


def _garbled(raw: str, n_words: int) -> bool:
    """Text a font without a usable ``ToUnicode`` map gives: ``(cid:12)`` soup, replacement
    or private-use characters, or mostly symbols."""
    chars = [c for c in raw if not c.isspace()]
    if not chars:
        return True
    odd = sum(c == "\ufffd" or unicodedata.category(c) in ("Co", "Cn", "Cc") for c in chars)
    if raw.count("(cid:") > 0.1 * n_words or odd > 0.05 * len(chars):
        return True
    return sum(c.isalnum() for c in chars) / len(chars) < MIN_LETTER_SHARE


def to_ocr_page(layer: TextLayer, *, index: int, width_px: int, height_px: int, dpi: int) -> OcrPage:
    """The text layer as an ``OcrPage`` in the page image's pixels (confidence 100)."""
    sx = width_px / layer.width_pt if layer.width_pt > 0 else dpi / 72.0
    sy = height_px / layer.height_pt if layer.height_pt > 0 else dpi / 72.0
    words = []
    for n, line in enumerate(layer.lines, start=1):
        for w in line:
            left, top = int(round(w.x0 * sx)), int(round(w.y0 * sy))
            words.append(
                OcrWord(
                    text=w.text,
                    left=left,
                    top=top,
                    width=max(1, int(round(w.x1 * sx)) - left),
                    height=max(1, int(round(w.y1 * sy)) - top),
                    confidence=100.0,
                    block=1,
                    paragraph=1,
                    line=n,
                )
            )
    return OcrPage(
        index=index,
        width=width_px,
        height=height_px,
        dpi=dpi,
        words=tuple(words),
        text=layer.text,
        confidence=100.0,
        source="text_layer",
    )


def _converter(encoding: str):  # noqa: ANN202 - a str -> str function
    from ocr.legacy_vn import tcvn3_to_unicode, vni_to_unicode

    return tcvn3_to_unicode if encoding == "tcvn3" else vni_to_unicode


def _tag(e: ET.Element) -> str:
    return e.tag.rsplit("}", 1)[-1]
