"""ocr/native/leptonica.c: the Leptonica functions Tesseract is given in place of Leptonica's.

Each must give Leptonica's result exactly (the binary image and the line finder shape
Tesseract's layout), so every test here compares a part with Leptonica's own function, on
images drawn here, and a page read with all parts on with one read with all off.
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
        pytest.skip("libtesseract not loadable: the command line keeps Leptonica's functions")
    loaded = tesseract._load_native()
    assert loaded is not None, "ocr/_leptonica*.so missing or its self-checks failed (run make setup)"
    lib, parts = loaded
    assert parts == sum(tesseract.NATIVE_PARTS.values()), f"parts in use: {parts}"
    lib.pixSauvolaBinarizeTiled.argtypes = SIG
    lib.sohoa_sauvola_leptonica.argtypes = SIG
    for name in ("pixOpenBrick", "sohoa_open_brick_leptonica"):
        getattr(lib, name).restype = P
    lib.pixOpenBrick.argtypes = [P, P, ctypes.c_int, ctypes.c_int]
    lib.sohoa_open_brick_leptonica.argtypes = [P, ctypes.c_int, ctypes.c_int]
    lib.pixWriteMem.argtypes = [ctypes.POINTER(P), ctypes.POINTER(ctypes.c_size_t), P, ctypes.c_int]
    lib.sohoa_write_mem_leptonica.argtypes = lib.pixWriteMem.argtypes
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
    lib.pixWriteMem.argtypes = [ctypes.POINTER(P), ctypes.POINTER(ctypes.c_size_t), P, ctypes.c_int]
    lib.pixReadMem.restype = P
    lib.pixReadMem.argtypes = [P, ctypes.c_size_t]
    lib.pixGetWidth.argtypes = [P]
    lib.pixGetHeight.argtypes = [P]
    lib.pixGetDepth.argtypes = [P]
    return lib


def _words(lept: ctypes.CDLL, pix: int, h: int) -> np.ndarray:
    return np.ctypeslib.as_array(lept.pixGetData(pix), shape=(h, lept.pixGetWpl(pix))).copy()


def _pix(lept: ctypes.CDLL, image: np.ndarray, depth: int = 8) -> int:
    """A Leptonica pix holding ``image``: 8 bpp bytes, big-endian within each 32-bit word, or
    1 bpp (``image`` nonzero = on), most significant bit first."""
    h, w = image.shape
    pix = lept.pixCreate(w, h, depth)
    wpl = lept.pixGetWpl(pix)
    data = np.ctypeslib.as_array(lept.pixGetData(pix), shape=(h, wpl)).view(np.uint8)
    if depth == 8:
        rows = np.zeros((h, wpl * 4), np.uint8)
        rows[:, :w] = image
        data[:] = rows.reshape(h, wpl, 4)[:, :, ::-1].reshape(h, wpl * 4)
    elif depth == 1:
        bits = np.zeros((h, wpl * 32), bool)
        bits[:, :w] = image != 0
        data[:] = np.packbits(bits, axis=1).reshape(h, wpl, 4)[:, :, ::-1].reshape(h, wpl * 4)
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
    calls = native.sohoa_leptonica_calls(tesseract.NATIVE_PARTS["sauvola"])
    try:
        rc, out = _run(lept, native.pixSauvolaBinarizeTiled, pix, 200, 10, 0.34, 1, 1)
    finally:
        lept.pixDestroy(ctypes.byref(P(pix)))
    assert rc == 1 and out is None  # Leptonica's answer: "pixs undefined or not 8 bpp"
    assert native.sohoa_leptonica_calls(tesseract.NATIVE_PARTS["sauvola"]) == calls


def _binary(w: int, h: int, seed: int) -> np.ndarray:
    """Text-like 1 bpp content: strokes, ruled lines, a filled box and specks."""
    rng = np.random.default_rng(seed)
    img = (_page(w, h, seed) < 110).astype(np.uint8)
    img[h // 3, 3 : w - 2] = 1  # a horizontal rule
    img[2 : h - 5, w // 5 : w // 5 + 2] = 1  # a vertical rule
    img[h // 2 : h // 2 + 40, w // 2 : w // 2 + 50] = 1  # a solid block
    img |= (rng.random((h, w)) < 0.02).astype(np.uint8)
    img[:, -1] |= (rng.random(h) < 0.5).astype(np.uint8)  # ink at the right and bottom edges
    img[-1, :] |= (rng.random(w) < 0.5).astype(np.uint8)
    return img


BRICKS = [(15, 15), (1, 75), (75, 1), (2, 2), (3, 1), (1, 4), (32, 1), (33, 7), (64, 65), (400, 1), (1, 300)]
SIZES = [(603, 455), (256, 128), (97, 61), (33, 300)]


@pytest.mark.parametrize("w,h", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_open_brick_same_as_leptonica(native, lept, w, h) -> None:
    """Tesseract's line finder's openings (15 x 15, 1 x 75, 75 x 1 at 300 dpi) and others, even
    and odd, wider than a word, larger than the image; widths a multiple of 32 and not."""
    pix = _pix(lept, _binary(w, h, w + h), depth=1)
    calls = native.sohoa_leptonica_calls(tesseract.NATIVE_PARTS["open_brick"])
    try:
        for hsize, vsize in BRICKS:
            ours = native.pixOpenBrick(None, pix, hsize, vsize)
            theirs = native.sohoa_open_brick_leptonica(pix, hsize, vsize)
            try:
                a, b = _words(lept, ours, h), _words(lept, theirs, h)
                assert np.array_equal(a, b), f"{hsize}x{vsize}: {(a != b).sum()} words differ"
                assert lept.pixGetXRes(ours) == lept.pixGetXRes(theirs)
                if w == 603 and hsize < w and vsize < h and (hsize, vsize) != (64, 65):
                    assert b.any(), f"{hsize}x{vsize}: an empty opening proves little"
            finally:
                lept.pixDestroy(ctypes.byref(P(ours)))
                lept.pixDestroy(ctypes.byref(P(theirs)))
    finally:
        lept.pixDestroy(ctypes.byref(P(pix)))
    assert native.sohoa_leptonica_calls(tesseract.NATIVE_PARTS["open_brick"]) == calls + len(BRICKS)


def test_line_images_are_stored_uncompressed_and_read_back_the_same(native, lept) -> None:
    """Asked for PNG bytes of a line image, the interposer writes Leptonica's serialisation,
    which pixReadMem reads back to the pixels the PNG gives back."""
    image = _page(301, 47, 12)
    for depth, content in ((8, image), (1, image < 110)):
        pix = _pix(lept, content.astype(np.uint8), depth=depth)
        data, size = P(), ctypes.c_size_t()
        assert native.pixWriteMem(ctypes.byref(data), ctypes.byref(size), pix, 3) == 0  # IFF_PNG
        assert ctypes.string_at(data, 4) == b"spix"
        back = lept.pixReadMem(data, size.value)
        png, png_size = P(), ctypes.c_size_t()
        assert native.sohoa_write_mem_leptonica(ctypes.byref(png), ctypes.byref(png_size), pix, 3) == 0
        assert ctypes.string_at(png, 4) == b"\x89PNG"
        from_png = lept.pixReadMem(png, png_size.value)
        h = content.shape[0]
        assert (lept.pixGetWidth(back), lept.pixGetDepth(back)) == (301, depth)
        assert np.array_equal(_words(lept, back, h), _words(lept, from_png, h))
        for p in (pix, back, from_png):
            lept.pixDestroy(ctypes.byref(P(p)))


_READ = """
import json, sys
import numpy as np
from ocr import tesseract
image = np.load(sys.argv[1])
words, text = tesseract.recognize(image, dpi=300, psm=4)
print(json.dumps({"words": [[w.text, w.left, w.top, w.width, w.height, w.confidence] for w in words],
                  "text": text, "native": tesseract.native_leptonica()}))
"""


def _read_in_subprocess(image: np.ndarray, tmp_path: Path, native_on: bool) -> dict:
    path = tmp_path / f"page-{native_on}.npy"
    np.save(path, image)
    env = dict(os.environ, SOHOA_NATIVE_LEPTONICA="all" if native_on else "none", PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", _READ, str(path)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_tesseract_reads_the_same_through_it(native, tmp_path: Path) -> None:
    """Tesseract's calls reach every native part (interposed), and the words, boxes and
    confidences are those of a process where Leptonica does the work."""
    image = cv2.resize(_page(603, 455, 11), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    image[300:304, 40:1100] = 20  # a ruled line for the line finder
    on = _read_in_subprocess(image, tmp_path, True)
    off = _read_in_subprocess(image, tmp_path, False)
    assert off["native"] is None
    assert on["native"]["sauvola"] == 1 and on["native"]["open_brick"] >= 3
    assert on["native"]["line_store"] >= len(on["text"].splitlines()) > 3
    assert on["words"] and on["words"] == off["words"] and on["text"] == off["text"]
