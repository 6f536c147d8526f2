"""Word lists of a page's header for the metadata tests: rows of words laid out left to right,
18 px a letter, as Tesseract's word boxes give them."""

from __future__ import annotations

from schemas.documents import OcrPage, OcrWord

Row = list[tuple[str, int, int, int, float]]


def page(rows: list[Row], height: int = 30) -> OcrPage:
    """A 200 dpi A4 page whose reading holds ``rows``, one text line each."""
    words = [
        OcrWord(text, left, top, width, height, conf, block=1, paragraph=1, line=i)
        for i, row in enumerate(rows)
        for text, left, top, width, conf in row
    ]
    text = "\n".join(" ".join(w[0] for w in row) for row in rows)
    return OcrPage(index=0, width=1654, height=2339, dpi=200, words=tuple(words), text=text, confidence=90)


def words(text: str, left: int, top: int, conf: float = 96, gap: int = 14) -> Row:
    """The words of ``text`` from ``left`` on, ``gap`` px apart, all read at ``conf``."""
    out = []
    for word in text.split():
        width = 18 * len(word)
        out.append((word, left, top, width, conf))
        left += width + gap
    return out
