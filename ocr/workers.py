"""The OCR worker processes: one pool per process, started early if the caller wants.

Kept apart from :mod:`ocr.engine` (numpy, OpenCV, Tesseract) so a command line can start the
workers before it imports any of that itself: ``sohoa extract`` spawns them first thing, and the
workers' interpreter start, imports and model loading then overlap the parent's own.

The pool uses the "spawn" start method so it is safe inside a Prefect task or any threaded
host, where forking a process that holds locks can deadlock.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

# One pool per process, reused across documents: ``sohoa extract`` over many short documents
# otherwise pays a fresh interpreter, numpy/OpenCV import and Tesseract start per document and
# worker (about a third of a CPU second each).
_POOL: tuple[int, ProcessPoolExecutor] | None = None
_POOL_LOCK = threading.Lock()


def get_pool(n: int) -> ProcessPoolExecutor:
    """The pool of ``n`` worker processes (a broken one, or one of another size, is replaced)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None and (_POOL[0] != n or getattr(_POOL[1], "_broken", False)):
            _POOL[1].shutdown(wait=False, cancel_futures=True)
            _POOL = None
        if _POOL is None:
            # A spawned worker imports numpy before its initializer runs: OpenBLAS would start
            # a thread per core in each worker, woken (and spinning) on BLAS calls.
            os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
            ctx = multiprocessing.get_context("spawn")
            _POOL = (n, ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init))
        return _POOL[1]


def start_workers(workers: int = 0, lang: str = "vie") -> None:
    """Start the worker processes now and have each import the OCR code and load Tesseract's
    ``lang`` model, while the caller still opens its first document (the workers would
    otherwise start only when the first pages are handed out). Nothing happens for a serial
    run (``workers`` 1, or 0 on one core)."""
    n = workers or os.cpu_count() or 1
    if n <= 1:
        return
    pool = get_pool(n)
    for _ in range(n):  # one task each on a fresh pool: the executor starts a process per task
        pool.submit(_warm, lang)


def _warm(lang: str) -> None:
    import ocr.engine  # noqa: F401 - what every page needs, imported before the first one
    from ocr import tesseract
    from schemas.errors import SohoaError

    with contextlib.suppress(SohoaError):  # reported where a page needs it
        tesseract.warm(lang)


def _worker_init() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        import cv2

        cv2.setNumThreads(1)
    except Exception:
        pass
