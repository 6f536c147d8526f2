"""ocr/native/sauvola.c: the Sauvola thresholder Tesseract is given in place of Leptonica's.

It must give Leptonica's bits exactly (the binary image shapes Tesseract's layout), so every
test here compares it with Leptonica's own function, on images drawn here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr import tesseract

ROOT = Path(__file__).resolve().parent.parent
P = ctypes.c_void_p
SIG = [P, ctypes.c_int, ctypes.c_float, ctypes.c_int, ctypes.c_int, ctypes.POINTER(P), ctypes.POINTER(P)]


@pytest.fixture(scope="module")
def native() -> ctypes.CDLL:
    if tesseract._library() is None:
        pytest.skip("libtesseract not loadable: the command line keeps Leptonica's thresholder")
    lib = tesseract._load_sauvola()
    assert lib is not None, "ocr/_sauvola*.so missing or its self-check failed (run make setup)"
    lib.pixSauvolaBinarizeTiled.argtypes = SIG
    lib.sohoa_sauvola_leptonica.argtypes = SIG
    return lib


@pytest.fixture(scope="module")
def lept() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("lept") or "liblept.so.5")
    lib.pixCreate.restype = P
    lib.pixCreate.argtypes = [ctypes.c_int] * 3
    lib.pixGetData.restype = ctypes.POINTER(ctypes.c_uint32)
    lib.pixGetData.argtypes = [P]
    lib.pixGetWpl.argtypes = [P]
    lib.pixGetXRes.argtypes = [P]
    lib.pixSetResolution.argtypes = [P, ctypes.c_int, ctypes.c_int]
    lib.pixDestroy.argtypes = [ctypes.POINTER(P)]
    return lib


def _words(lept: ctypes.CDLL, pix: int, h: int) -> np.ndarray:
    return np.ctypeslib.as_array(lept.pixGetData(pix), shape=(h, lept.pixGetWpl(pix))).copy()


def _pix(lept: ctypes.CDLL, image: np.ndarray, depth: int = 8) -> int:
    """A Leptonica pix holding ``image`` (8 bpp: bytes big-endian within each 32-bit word)."""
    h, w = image.shape
    pix = lept.pixCreate(w, h, depth)
    if depth == 8:
        wpl = lept.pixGetWpl(pix)
        rows = np.zeros((h, wpl * 4), np.uint8)
        rows[:, :w] = image
        data = np.ctypeslib.as_array(lept.pixGetData(pix), shape=(h, wpl)).view(np.uint8)
        data[:] = rows.reshape(h, wpl, 4)[:, :, ::-1].reshape(h, wpl * 4)
    lept.pixSetResolution(pix, 300, 300)
    return pix


def _run(lept: ctypes.CDLL, fn, pix: int, h: int, whsize: int, factor: float, nx: int, ny: int):
    th, bd = P(), P()
    rc = fn(pix, whsize, factor, nx, ny, ctypes.byref(th), ctypes.byref(bd))
    if rc != 0:
        return rc, None
    out = (_words(lept, th.value, h), _words(lept, bd.value, h), lept.pixGetXRes(bd.value))
    lept.pixDestroy(ctypes.byref(th))
    lept.pixDestroy(ctypes.byref(bd))
    return rc, out


def _page(w: int, h: int, seed: int) -> np.ndarray:
    """Dark text strokes on an unevenly lit, noisy background, with a gray seal-like disk."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    img = 235 - 60 * (xx / w) * (yy / h) + rng.normal(0, 6, (h, w))
    img = np.clip(img, 0, 255).astype(np.uint8)
    for i in range(8, h - 8, 24):
        cv2.putText(img, "Quyet dinh so 15/QD-UBND", (6, i), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 30, 1)
    cv2.circle(img, (w // 2, h // 2), min(w, h) // 4, 120, 9)
    return img


CASES = [
    # (name, image, whsize, factor, nx, ny)
    ("page", _page(603, 455, 1), 49, 0.34, 2, 2),  # Tesseract's window at 300 dpi, tiled
    ("page untiled", _page(603, 455, 2), 49, 0.34, 1, 1),
    ("odd window", _page(401, 377, 3), 50, 0.34, 2, 1),
    ("small window", _page(257, 131, 4), 3, 0.34, 1, 1),
    ("no variance term", _page(300, 200, 5), 10, 0.0, 1, 1),
    ("strong factor", _page(300, 200, 6), 10, 0.9, 2, 2),
    ("noise", np.random.default_rng(7).integers(0, 256, (240, 333), dtype=np.uint8), 7, 0.34, 1, 1),
    ("flat", np.full((120, 97), 200, np.uint8), 20, 0.34, 1, 1),
    ("smallest image", _page(2 * 12 + 3, 2 * 12 + 3, 8), 12, 0.34, 1, 1),
    ("too small: Leptonica refuses", _page(20, 20, 9), 12, 0.34, 1, 1),
    ("tiles too small", _page(300, 300, 10), 30, 0.34, 9, 9),
]


@pytest.mark.parametrize("name,image,whsize,factor,nx,ny", CASES, ids=[c[0] for c in CASES])
def test_same_bits_as_leptonica(native, lept, name, image, whsize, factor, nx, ny) -> None:
    h = image.shape[0]
    pix = _pix(lept, image)
    try:
        ours = _run(lept, native.pixSauvolaBinarizeTiled, pix, h, whsize, factor, nx, ny)
        theirs = _run(lept, native.sohoa_sauvola_leptonica, pix, h, whsize, factor, nx, ny)
    finally:
        lept.pixDestroy(ctypes.byref(P(pix)))
    assert ours[0] == theirs[0]
    if theirs[1] is not None:
        th_ours, bd_ours, res_ours = ours[1]
        th_theirs, bd_theirs, res_theirs = theirs[1]
        assert np.array_equal(th_ours, th_theirs), f"{(th_ours != th_theirs).sum()} threshold words differ"
        assert np.array_equal(bd_ours, bd_theirs), f"{(bd_ours != bd_theirs).sum()} binary words differ"
        assert res_ours == res_theirs
        assert bd_theirs.any() and not bd_theirs.all() or name == "flat"


def test_other_depths_go_to_leptonica(native, lept) -> None:
    pix = _pix(lept, np.zeros((200, 200), np.uint8), depth=1)
    calls = native.sohoa_sauvola_calls()
    try:
        rc, out = _run(lept, native.pixSauvolaBinarizeTiled, pix, 200, 10, 0.34, 1, 1)
    finally:
        lept.pixDestroy(ctypes.byref(P(pix)))
    assert rc == 1 and out is None  # Leptonica's answer: "pixs undefined or not 8 bpp"
    assert native.sohoa_sauvola_calls() == calls


_READ = """
import json, sys
import numpy as np
from ocr import tesseract
image = np.load(sys.argv[1])
words, text = tesseract.recognize(image, dpi=300, psm=4)
print(json.dumps({"words": [[w.text, w.left, w.top, w.width, w.height, w.confidence] for w in words],
                  "text": text, "native": tesseract.native_sauvola_pages()}))
"""


def _read_in_subprocess(image: np.ndarray, tmp_path: Path, native_on: bool) -> dict:
    path = tmp_path / f"page-{native_on}.npy"
    np.save(path, image)
    env = dict(os.environ, SOHOA_NATIVE_SAUVOLA="1" if native_on else "0", PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", _READ, str(path)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_tesseract_reads_the_same_through_it(native, tmp_path: Path) -> None:
    """Tesseract's call reaches the native thresholder (interposed), and the words, boxes and
    confidences are those of a process where Leptonica thresholds."""
    image = cv2.resize(_page(603, 455, 11), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    on = _read_in_subprocess(image, tmp_path, True)
    off = _read_in_subprocess(image, tmp_path, False)
    assert on["native"] == 1 and off["native"] is None
    assert on["words"] and on["words"] == off["words"] and on["text"] == off["text"]
