"""OCR of pages: preprocess, Tesseract, boxes mapped back to the archived page image.

``ocr_document`` spreads pages over worker processes (one Tesseract thread each). It uses the
"spawn" start method so it is safe inside a Prefect task or any threaded host, where forking a
process that holds locks can deadlock.
"""

from __future__ import annotations

import functools
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sized
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, TypeVar

import numpy as np

from ocr import tesseract
from ocr.fields import reread_date_line
from ocr.header_zone import FIRST_BLOCK as HEADER_FIRST_BLOCK
from ocr.header_zone import PSM as HEADER_PSM
from ocr.header_zone import page_header, reread_header_zone
from ocr.pages import PageImage
from ocr.preprocess import ink_gray, is_blank, prepare
from ocr.signer_zone import page_text, reread_signer_zone
from ocr.workers import get_pool as _pool
from ocr.workers import start_workers  # noqa: F401 - re-exported for callers of the engine
from schemas.documents import OcrPage, OcrWord
from schemas.errors import OcrError, SohoaError

T = TypeVar("T")
# A page's OCR, its encoded display image and format for the PDF, and (first page only) the
# display image's pixels: see :func:`ocr_page_encoded`.
EncodedPage = tuple[OcrPage, bytes, str, np.ndarray | None]

# psm 4 (one column of text of variable sizes) kept lines whole where streaks and seals made
# psm 3's layout analysis split the page into false columns; it cost nothing on clean pages
# (dev subset of 21 pages: CER 8.6 % vs 9.4 % at psm 3, same CPU).
OCR_PSM = 4


def ocr_page(
    page: PageImage, *, lang: str = "vie", timeout_s: int = 180, display: bool = True
) -> tuple[OcrPage, np.ndarray | None]:
    """OCR one page. Returns the result and the display image (upright, deskewed, original
    colours) whose pixel coordinates the word boxes, ``width`` and ``height`` refer to; with
    ``display=False`` (no PDF to build) that image is not made and None comes back instead.

    A blank page (:func:`ocr.preprocess.is_blank`: an empty back side, seal bleed-through) is
    not OCR'd, which would only read garbage out of the bleed-through: it comes back with no
    words and ``blank=True``, its image untouched. A page where Tesseract finds no word is
    flagged blank too.
    """
    gray = ink_gray(page.image)
    if is_blank(gray, page.dpi):
        h, w = page.image.shape[:2]
        blank = OcrPage(
            index=page.index, width=int(w), height=int(h), dpi=page.dpi, words=(), text="",
            confidence=0.0, blank=True,
        )  # fmt: skip
        return blank, page.image if display else None
    prepared = prepare(page, display=display, gray=gray)
    del gray
    words, text = tesseract.recognize(
        prepared.ocr_image, dpi=prepared.ocr_dpi, lang=lang, psm=OCR_PSM, timeout_s=timeout_s
    )
    # The seal over the signer block can make the page's reading lose it: read that zone again
    # (on the gray OCR image, which it thresholds its own way).
    reread = reread_signer_zone(
        prepared.gray,
        words,
        dpi=prepared.ocr_dpi,
        lang=lang,
        timeout_s=timeout_s,
        clipped=prepared.clipped_gray,
    )
    if reread is not None:
        words, text = reread, page_text(reread)
    if page.index == 0:
        parsed = page_header(prepared.gray, words, dpi=prepared.ocr_dpi)
        # A streak or specks over the agency block or the Số line: that corner is read again;
        # it fills lost agency lines and confirms an unsure ký hiệu (never a new number).
        headed = reread_header_zone(
            prepared.gray,
            words,
            dpi=prepared.ocr_dpi,
            parsed=parsed,
            recognize=lambda crop: tesseract.recognize(
                crop, dpi=prepared.ocr_dpi, lang=lang, psm=HEADER_PSM, timeout_s=timeout_s, config=""
            )[0],
        )
        if headed is not None:
            words, text, parsed = headed, page_text(headed, opening_from=HEADER_FIRST_BLOCK), None
        # An unsure digit of the date line (noise, blur) is checked by a second reading of that
        # one line; only an agreeing, sure reading raises its confidence (never a new value).
        dated = reread_date_line(
            prepared.gray,
            words,
            dpi=prepared.ocr_dpi,
            header=parsed[1] if parsed else None,
            recognize=lambda crop: tesseract.recognize(
                crop, dpi=prepared.ocr_dpi, lang=lang, psm=7, timeout_s=timeout_s
            )[0],
        )
        if dated is not None:
            words = dated
    if prepared.scale != 1.0:
        words = [_scale_word(w, 1.0 / prepared.scale) for w in words]
    h, w = page.image.shape[:2]
    if prepared.rotation % 180:
        h, w = w, h
    confidence = float(np.mean([wd.confidence for wd in words])) if words else 0.0
    result = OcrPage(
        index=page.index,
        width=int(w),
        height=int(h),
        dpi=page.dpi,
        words=tuple(words),
        text=text,
        confidence=round(confidence, 2),
        rotation=prepared.rotation,
        skew=prepared.skew,
        blank=not words,
    )
    return result, prepared.display


def ocr_document(
    pages: list[PageImage], *, lang: str = "vie", timeout_s: int = 180, workers: int = 0
) -> list[tuple[OcrPage, np.ndarray]]:
    """OCR every page, in page order, with ``workers`` processes (0 = one per core, 1 = serial)."""
    return _map_pages(ocr_page, pages, lang=lang, timeout_s=timeout_s, workers=workers)


def ocr_page_encoded(
    page: PageImage, *, lang: str = "vie", timeout_s: int = 180, encode: bool = True
) -> EncodedPage:
    """OCR one page and encode its display image for the PDF (see ``encode_page_image``).

    Run in the worker so only the compressed image crosses back to the parent: a 300 dpi
    colour page is ~26 MB as pixels and well under 1 MB as JPEG, which keeps a 20-page
    document's peak memory in the parent at its decoded input. A JPEG page that needed no
    rotation or deskew keeps the scanner's own bytes. ``encode=False`` (no PDF to build, as in
    ``sohoa extract``) makes no display image for the PDF and returns ``b""`` and ``""``.

    The fourth item is the display image itself for a document's first page (``page.index`` 0),
    else None: the metadata checks that look at the ink of page 1's header (blue handwritten
    digits, a trích yếu line Tesseract left unread; :func:`ocr.fields.extract_fields`) need its
    pixels, at the coordinates of the word boxes. One page's pixels per document come back.
    """
    first = page.index == 0
    ocr, display = ocr_page(page, lang=lang, timeout_s=timeout_s, display=encode or first)
    header_image = display if first else None
    if not encode:
        return ocr, b"", "", header_image
    # Imported here: a worker of ``sohoa extract`` never encodes, and pypdf & co. cost every
    # worker process a tenth of a CPU second to import.
    from ocr.searchable_pdf import encode_page_image

    untouched = ocr.rotation == 0 and abs(ocr.skew) < 1e-6
    original = page.encoded if untouched else None
    data, fmt = encode_page_image(
        display, original=original, original_format=page.encoded_format if original else None
    )
    return ocr, data, fmt, header_image


def ocr_document_encoded(
    pages: Iterable[PageImage],
    *,
    lang: str = "vie",
    timeout_s: int = 180,
    workers: int = 0,
    encode: bool = True,
) -> list[EncodedPage]:
    """:func:`ocr_page_encoded` for every page, in page order, over ``workers`` processes."""
    fn = ocr_page_encoded if encode else functools.partial(ocr_page_encoded, encode=False)
    return _map_pages(fn, pages, lang=lang, timeout_s=timeout_s, workers=workers)


def stream_pages_encoded(
    tagged: Iterable[tuple[T, PageImage]],
    *,
    lang: str = "vie",
    timeout_s: int = 180,
    workers: int = 0,
    encode: bool = True,
) -> Iterator[tuple[T, EncodedPage | SohoaError]]:
    """:func:`ocr_page_encoded` over a stream of ``(tag, page)`` from many documents, results
    (or the page's error) yielded with their tag in the stream's order.

    Every worker stays busy across document boundaries: a new page is handed out as soon as one
    finishes, not when the oldest does, while at most one page more than there are workers is
    unfinished (so a lazy stream is decoded, and held, only a few pages at a time). A page's
    :class:`SohoaError` is yielded in its place; a worker that died becomes an ``OcrError`` for
    the pages it took down with it, and a fresh pool serves the rest.
    """
    fn = ocr_page_encoded if encode else functools.partial(ocr_page_encoded, encode=False)
    return _stream_pages(fn, tagged, lang=lang, timeout_s=timeout_s, workers=workers)


def _stream_pages(fn, tagged, *, lang: str, timeout_s: int, workers: int) -> Iterator:  # noqa: ANN001
    """``fn`` over ``(tag, page)`` pairs as :func:`stream_pages_encoded` describes."""
    n = workers or os.cpu_count() or 1
    if n <= 1:
        for tag, page in tagged:
            try:
                yield tag, fn(page, lang=lang, timeout_s=timeout_s)
            except SohoaError as exc:
                yield tag, exc
        return
    order: deque[tuple[object, Future]] = deque()
    running: set[Future] = set()

    def ready(block: bool) -> Iterator:
        while order and (block or order[0][1].done()):
            tag, fut = order.popleft()
            yield tag, _outcome(fut)

    items = iter(tagged)
    try:
        while True:
            while len(running) > n:  # n at work and one queued: wait for any to finish
                _, running = wait(running, return_when=FIRST_COMPLETED)
            yield from ready(block=False)
            item = next(items, None)
            if item is None:
                break
            tag, page = item
            fut = _pool(n).submit(fn, page, lang=lang, timeout_s=timeout_s)
            del item, page
            order.append((tag, fut))
            running.add(fut)
        yield from ready(block=True)
    finally:
        for _, fut in order:
            fut.cancel()


def _outcome(fut: Future) -> Any:
    try:
        return fut.result()
    except SohoaError as exc:
        return exc
    except Exception as exc:  # a worker died (out of memory, killed): not the document's fault
        # The broken pool is replaced by ``_pool`` at the next submit, not dropped here: later
        # pages may already run in its successor.
        return OcrError(f"OCR worker failed: {type(exc).__name__}: {exc}")


def _map_pages(fn, pages, *, lang: str, timeout_s: int, workers: int):  # noqa: ANN001, ANN202
    """``fn`` over ``pages`` (any iterable), results in page order; the first page's error is
    raised. Pages are handed out as :func:`stream_pages_encoded` does."""
    n = workers or os.cpu_count() or 1
    if isinstance(pages, Sized):
        n = min(n, len(pages))
    if n <= 1:
        return [fn(p, lang=lang, timeout_s=timeout_s) for p in pages]
    results = []
    stream = _stream_pages(fn, ((None, p) for p in pages), lang=lang, timeout_s=timeout_s, workers=n)
    try:
        for _, result in stream:
            if isinstance(result, SohoaError):
                raise result
            results.append(result)
    finally:
        stream.close()
    return results


def _scale_word(w: OcrWord, f: float) -> OcrWord:
    left, top = int(round(w.left * f)), int(round(w.top * f))
    right, bottom = int(round((w.left + w.width) * f)), int(round((w.top + w.height) * f))
    return OcrWord(
        text=w.text,
        left=left,
        top=top,
        width=max(1, right - left),
        height=max(1, bottom - top),
        confidence=w.confidence,
        block=w.block,
        paragraph=w.paragraph,
        line=w.line,
    )
