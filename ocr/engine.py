"""OCR of pages: preprocess, Tesseract, boxes mapped back to the archived page image.

``ocr_document`` spreads pages over worker processes (one Tesseract thread each). It uses the
"spawn" start method so it is safe inside a Prefect task or any threaded host, where forking a
process that holds locks can deadlock.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ocr import tesseract
from ocr.pages import PageImage
from ocr.preprocess import prepare
from schemas.documents import OcrPage, OcrWord
from schemas.errors import OcrError, SohoaError

# psm 4 (one column of text of variable sizes) kept lines whole where streaks and seals made
# psm 3's layout analysis split the page into false columns; it cost nothing on clean pages.
OCR_PSM = 4


def ocr_page(page: PageImage, *, lang: str = "vie", timeout_s: int = 180) -> tuple[OcrPage, np.ndarray]:
    """OCR one page. Returns the result and the display image (upright, deskewed, original
    colours) whose pixel coordinates the word boxes, ``width`` and ``height`` refer to."""
    prepared = prepare(page)
    words, text = tesseract.recognize(
        prepared.ocr_image, dpi=prepared.ocr_dpi, lang=lang, timeout_s=timeout_s
    )
    if prepared.scale != 1.0:
        words = [_scale_word(w, 1.0 / prepared.scale) for w in words]
    display = prepared.display
    h, w = display.shape[:2]
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
    )
    return result, display


def ocr_document(
    pages: list[PageImage], *, lang: str = "vie", timeout_s: int = 180, workers: int = 0
) -> list[tuple[OcrPage, np.ndarray]]:
    """OCR every page, in page order, with ``workers`` processes (0 = one per core, 1 = serial)."""
    n = workers or os.cpu_count() or 1
    n = max(1, min(n, len(pages)))
    if n == 1:
        return [ocr_page(p, lang=lang, timeout_s=timeout_s) for p in pages]
    ctx = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init) as pool:
            futures = [pool.submit(ocr_page, p, lang=lang, timeout_s=timeout_s) for p in pages]
            return [f.result() for f in futures]
    except SohoaError:
        raise
    except Exception as exc:  # a worker died (out of memory, killed): not the document's fault
        raise OcrError(f"OCR worker failed: {type(exc).__name__}: {exc}") from exc


def _worker_init() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        import cv2

        cv2.setNumThreads(1)
    except Exception:
        pass


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
