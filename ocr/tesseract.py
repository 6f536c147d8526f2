"""The one module that runs Tesseract (through pytesseract).

Tests inject faults here and nowhere else. Every call runs with ``OMP_THREAD_LIMIT=1``: we
parallelise over pages in processes, and Tesseract's own OpenMP threads would only fight them
for the same cores. pytesseract's errors and timeouts become ``OcrError`` / ``OcrUnavailable``.

Images reach Tesseract as uncompressed PBM/PGM/PPM files written with OpenCV, handed to
pytesseract as a path: given an array, pytesseract has PIL encode a PNG (about 0.25 CPU s for
a 300 dpi page, a third of the OCR itself) that Tesseract then decodes again. A bilevel image
(only 0 and 255) goes as 1-bit PBM: Tesseract then skips its own thresholding and feeds the
recogniser the binary lines (dev corpus: 0.58 vs 0.76 CPU s/page against the gray page with
Sauvola, CER 6.25 % vs 6.38 %).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib.machinery import EXTENSION_SUFFIXES

import cv2
import numpy as np
import pytesseract
from pytesseract import Output, TesseractError, TesseractNotFoundError

from schemas.documents import OcrWord
from schemas.errors import OcrError, OcrUnavailable

# Sauvola binarisation (thresholding_method=2) on the flattened page: Otsu measured a little
# better on the dev corpus but lost header lines of the 200 dpi demo sample. Our pages are never
# white-on-black, so the inverted re-read of weak lines (tessedit_do_invert) is skipped.
DEFAULT_CONFIG = "-c thresholding_method=2 -c tessedit_do_invert=0"

# Look-alikes and typographic variants that NFC keeps apart but a Vietnamese reader (and every
# matching key downstream) treats as one character.
_LOOKALIKES = str.maketrans(
    {
        "\u00d0": "\u0110",  # Ð (Icelandic eth) -> Đ
        "\u00f0": "\u0111",  # ð -> đ
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00a0": " ",
        "\ufb01": "fi",
        "\ufb02": "fl",
    }
)
_SPACES = re.compile(r"[ \t]+")


def normalize_text(text: str) -> str:
    """NFC plus the look-alike folding every consumer of OCR text expects."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).translate(_LOOKALIKES))


def _single_thread() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


@lru_cache(maxsize=8)
def _languages() -> frozenset[str]:
    return frozenset(pytesseract.get_languages(config=""))


def check_tesseract(lang: str = "vie") -> None:
    """Fail fast at start if the binary or a language's traineddata is missing."""
    try:
        pytesseract.get_tesseract_version()
        available = _languages()
    except TesseractNotFoundError as exc:
        raise OcrUnavailable("the tesseract binary is not on PATH") from exc
    except Exception as exc:
        raise OcrUnavailable(f"tesseract does not run: {exc}") from exc
    missing = [code for code in lang.split("+") if code not in available]
    if missing:
        raise OcrUnavailable(f"missing Tesseract language data: {', '.join(missing)}")


def warm(lang: str = "vie") -> None:
    """Load ``lang``'s model in this process and thread now (a worker's first page then does
    not wait for it); the command-line fallback has nothing to load."""
    _single_thread()
    _capi(lang)


def detect_orientation(image: np.ndarray, *, timeout_s: int = 60) -> tuple[int, float]:
    """Tesseract OSD: the clockwise rotation (0/90/180/270) that makes the page upright, and
    its confidence. Pages with too little text make OSD fail; that reads as (0, 0.0)."""
    _single_thread()
    api = _capi("osd")
    if api is not None:
        return api.orientation(image, timeout_s=timeout_s)
    try:
        with _image_file(image) as path:
            osd = pytesseract.image_to_osd(
                path,
                config="--psm 0 -c min_characters_to_try=5",
                output_type=Output.DICT,
                timeout=timeout_s,
            )
    except TesseractNotFoundError as exc:
        raise OcrUnavailable("the tesseract binary is not on PATH") from exc
    except TesseractError:
        return 0, 0.0  # "Too few characters", no osd data: not an error of the document
    except RuntimeError as exc:  # pytesseract's timeout
        raise OcrError(f"orientation detection timed out after {timeout_s} s") from exc
    return int(osd.get("rotate", 0)) % 360, float(osd.get("orientation_conf", 0.0))


def recognize(
    image: np.ndarray,
    *,
    dpi: int,
    lang: str = "vie",
    psm: int = 3,
    timeout_s: int = 180,
    config: str | None = None,
) -> tuple[list[OcrWord], str]:
    """Words with boxes (in ``image`` pixels) and the page text (lines joined by "\\n").

    Text is in Tesseract's reading order (block, paragraph, line), NFC, look-alikes folded.
    """
    _single_thread()
    config = DEFAULT_CONFIG if config is None else config
    api = _capi(lang)
    if api is not None:
        return _words_and_text(api.recognize(image, dpi=dpi, psm=psm, config=config, timeout_s=timeout_s))
    cfg = f"--psm {psm} --dpi {int(dpi)} {config}".strip()
    try:
        with _image_file(image) as path:
            data = pytesseract.image_to_data(
                path, lang=lang, config=cfg, output_type=Output.DICT, timeout=timeout_s
            )
    except TesseractNotFoundError as exc:
        raise OcrUnavailable("the tesseract binary is not on PATH") from exc
    except TesseractError as exc:
        if "Failed loading language" in str(exc) or "Error opening data file" in str(exc):
            raise OcrUnavailable(f"language data for {lang!r} is missing") from exc
        raise OcrError(f"tesseract failed: {exc}") from exc
    except RuntimeError as exc:
        raise OcrError(f"tesseract timed out after {timeout_s} s") from exc
    return _words_and_text(data)


# Streaks, speckle and seal remnants come out as low-confidence runs of symbols. Dropping them
# costs a few real words on bad pages but removes far more garbage (see bench/ocr_cer.py).
NOISE_WORD_CONF = 10.0
SYMBOL_WORD_CONF = 60.0
NOISE_LINE_CONF = 40.0


def _is_noise_word(text: str, confidence: float) -> bool:
    if confidence < NOISE_WORD_CONF:
        return True
    return confidence < SYMBOL_WORD_CONF and not any(ch.isalnum() for ch in text)


def _words_and_text(data: dict[str, list]) -> tuple[list[OcrWord], str]:
    """Group Tesseract's words into lines (in its reading order), dropping noise."""
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for i, level in enumerate(data["level"]):
        if int(level) != 5:
            continue
        text = normalize_text(str(data["text"][i])).strip()
        confidence = max(0.0, float(data["conf"][i]))
        if not text or _is_noise_word(text, confidence):
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        lines.setdefault(key, []).append(
            OcrWord(
                text=_SPACES.sub(" ", text),
                left=int(data["left"][i]),
                top=int(data["top"][i]),
                width=int(data["width"][i]),
                height=int(data["height"][i]),
                confidence=confidence,
                block=key[0],
                paragraph=key[1],
                line=key[2],
            )
        )
    kept = [line for line in lines.values() if sum(w.confidence for w in line) / len(line) >= NOISE_LINE_CONF]
    words = [w for line in kept for w in line]
    return words, "\n".join(" ".join(w.text for w in seg) for seg in _reading_order(kept))


def _reading_order(lines: list[list[OcrWord]]) -> list[list[OcrWord]]:
    """Text segments in reading order: in a two-column band, the left column first.

    Tesseract (psm 4) reads the agency | national-motto header and the "Nơi nhận" | signer
    block across both columns. A line splits where a gap between words exceeds four word
    heights; a band is a run of vertically close lines none of which crosses the first split.
    """
    if not lines:
        return []
    height = float(np.median([w.height for line in lines for w in line])) or 1.0
    rows = [_split_line(sorted(line, key=lambda w: w.left), 4.0 * height) for line in lines]
    out: list[list[OcrWord]] = []
    i = 0
    while i < len(rows):
        if len(rows[i]) < 2:
            out.extend(rows[i])
            i += 1
            continue
        first, second = rows[i][0], rows[i][1]
        split = (first[-1].left + first[-1].width + second[0].left) / 2.0
        band = [rows[i]]
        j = i + 1
        while j < len(rows) and not _crosses(rows[j], split):
            prev_bottom = max(w.top + w.height for seg in rows[j - 1] for w in seg)
            if min(w.top for seg in rows[j] for w in seg) - prev_bottom > 1.5 * height:
                break
            band.append(rows[j])
            j += 1
        out.extend(seg for row in band for seg in row if seg[-1].left + seg[-1].width <= split)
        out.extend(seg for row in band for seg in row if seg[0].left >= split)
        i = j
    return out


def _split_line(line: list[OcrWord], gap: float) -> list[list[OcrWord]]:
    segments = [[line[0]]]
    for prev, word in zip(line, line[1:], strict=False):
        if word.left - (prev.left + prev.width) > gap:
            segments.append([word])
        else:
            segments[-1].append(word)
    return segments


def _crosses(row: list[list[OcrWord]], x: float) -> bool:
    return any(seg[0].left < x < seg[-1].left + seg[-1].width for seg in row)


def is_bilevel(image: np.ndarray) -> bool:
    """Whether a uint8 gray image holds only 0 and 255 (one histogram pass)."""
    if image.ndim != 2 or image.dtype != np.uint8 or image.size == 0:
        return False
    hist = cv2.calcHist([image], [0], None, [256], [0, 256]).ravel()
    return not hist[1:255].any()


@contextmanager
def _image_file(image: np.ndarray) -> Iterator[str]:
    """``image`` (uint8 gray, or BGR as OpenCV) written to a temporary PBM/PGM/PPM file."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"expected a uint8 HxW or HxWx3 image, got {image.dtype} {image.shape}")
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    suffix = ".ppm" if image.ndim == 3 else ".pbm" if is_bilevel(image) else ".pgm"
    with tempfile.TemporaryDirectory(prefix="sohoa-tess-") as tmp:
        path = os.path.join(tmp, "page" + suffix)
        if not cv2.imwrite(path, np.ascontiguousarray(image)):
            raise OcrError(f"could not write the OCR image to {tmp}")
        yield path


# --- Tesseract in this process (libtesseract's C API through ctypes) ---------------------------
#
# Each ``tesseract`` command loads the model and dictionaries again (about 0.06 CPU s) and the
# page image goes through a file both ways; a page's OCR makes one to three calls (the page, the
# signer zone, the orientation checks). One engine per process and thread, kept, reads the
# pixels straight from the array: the same words (dev pages compared) at ~0.06 CPU s less per
# call. Where libtesseract cannot be loaded (or SOHOA_TESSERACT_CLI=1) the command is used.

_LOCAL = threading.local()
_LIB: list = []  # [ctypes.CDLL | None], loaded once
_OPTION = re.compile(r"-c\s*([A-Za-z0-9_]+)=(\S*)")


def _library() -> ctypes.CDLL | None:
    if _LIB:
        return _LIB[0]
    lib = None
    if os.environ.get("SOHOA_TESSERACT_CLI", "") not in ("1", "true", "yes"):
        _load_native()
        name = ctypes.util.find_library("tesseract")
        try:
            lib = ctypes.CDLL(name) if name else None
        except OSError:
            lib = None
    if lib is not None:
        try:
            _declare(lib)
        except AttributeError:  # too old a libtesseract: no deadline monitor, no TSV
            lib = None
    if lib is not None:
        _quiet_leptonica()
    _LIB.append(lib)
    return lib


# ocr/native/leptonica.c holds faster versions of three Leptonica functions Tesseract spends its
# time in, each giving exactly Leptonica's result (checked against Leptonica's at load, and in
# tests/test_native_leptonica.py): the Sauvola thresholding of each page, the PNG coding of each
# text line image between layout and recogniser, and the line finder's morphological openings.
# Loaded with RTLD_GLOBAL before libtesseract, its functions are the ones libtesseract's calls
# resolve to. The ``tesseract`` command (SOHOA_TESSERACT_CLI=1, or where libtesseract cannot be
# loaded) keeps Leptonica's. SOHOA_NATIVE_LEPTONICA names the parts to use (comma-separated;
# default all, "none" for none), for comparisons.
NATIVE_PARTS = {"sauvola": 1, "line_store": 2, "open_brick": 4}
_NATIVE: list = []  # [(ctypes.CDLL, parts) | None] once _library() has run


def _native_wanted() -> int:
    value = os.environ.get("SOHOA_NATIVE_LEPTONICA", "all").strip().lower()
    if value in ("", "all", "1", "yes", "true"):
        return sum(NATIVE_PARTS.values())
    names = {n.strip() for n in value.split(",")} - {"none", "0", "no", "false", ""}
    return sum(bit for name, bit in NATIVE_PARTS.items() if name in names)


def _load_native() -> tuple[ctypes.CDLL, int] | None:
    """The native library and the parts of it in use (loaded once, before libtesseract)."""
    if _NATIVE:
        return _NATIVE[0]
    loaded = None
    wanted = _native_wanted()
    here = os.path.dirname(os.path.abspath(__file__))
    path = next(
        (p for p in (os.path.join(here, "_leptonica" + s) for s in EXTENSION_SUFFIXES) if os.path.exists(p)),
        None,
    )
    if wanted and path:
        try:
            lib = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        except OSError:
            lib = None
        if lib is not None:
            lib.sohoa_leptonica_init.argtypes = [ctypes.c_char_p, ctypes.c_int]
            lib.sohoa_leptonica_calls.argtypes = [ctypes.c_int]
            lib.sohoa_leptonica_calls.restype = ctypes.c_ulong
            lept = ctypes.util.find_library("lept") or "liblept.so.5"
            # A part whose self-check fails (another Leptonica version) passes its calls through.
            parts = lib.sohoa_leptonica_init(lept.encode(), wanted)
            loaded = (lib, parts) if parts else None
    _NATIVE.append(loaded)
    return loaded


def native_leptonica() -> dict[str, int] | None:
    """Calls answered by each native part in use in this process, or None when none is in use."""
    loaded = _NATIVE[0] if _NATIVE else None
    if loaded is None:
        return None
    lib, parts = loaded
    return {name: int(lib.sohoa_leptonica_calls(bit)) for name, bit in NATIVE_PARTS.items() if parts & bit}


def _declare(lib: ctypes.CDLL) -> None:
    p, i, c = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    sigs = {
        "TessBaseAPICreate": (p, []),
        "TessBaseAPIDelete": (None, [p]),
        "TessBaseAPIInit3": (i, [p, c, c]),
        "TessBaseAPISetVariable": (i, [p, c, c]),
        "TessBaseAPIGetStringVariable": (c, [p, c]),
        "TessBaseAPIGetIntVariable": (i, [p, c, ctypes.POINTER(i)]),
        "TessBaseAPIGetBoolVariable": (i, [p, c, ctypes.POINTER(i)]),
        "TessBaseAPIGetDoubleVariable": (i, [p, c, ctypes.POINTER(ctypes.c_double)]),
        "TessBaseAPISetPageSegMode": (None, [p, i]),
        "TessBaseAPISetImage": (None, [p, p, i, i, i, i]),
        "TessBaseAPISetSourceResolution": (None, [p, i]),
        "TessBaseAPIRecognize": (i, [p, p]),
        "TessBaseAPIGetTsvText": (p, [p, i]),
        "TessBaseAPIDetectOrientationScript": (
            i,
            [
                p,
                ctypes.POINTER(i),
                ctypes.POINTER(ctypes.c_float),
                ctypes.POINTER(c),
                ctypes.POINTER(ctypes.c_float),
            ],
        ),
        "TessBaseAPIClear": (None, [p]),
        "TessDeleteText": (None, [p]),
        "TessMonitorCreate": (p, []),
        "TessMonitorDelete": (None, [p]),
        "TessMonitorSetDeadlineMSecs": (None, [p, i]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes


def _quiet_leptonica() -> None:
    """Leptonica prints harmless warnings of Tesseract's layout code to stderr; the command
    line's went to a pipe nobody read. Keep them out of the terminal."""
    try:
        lept = ctypes.CDLL(ctypes.util.find_library("lept") or "liblept.so.5")
        lept.setMsgSeverity.argtypes = [ctypes.c_int]
        lept.setMsgSeverity(6)  # L_SEVERITY_NONE
    except (OSError, AttributeError):
        pass


def _capi(lang: str) -> _Engine | None:
    """This thread's engine for ``lang`` (created on first use), or None to use the command."""
    lib = _library()
    if lib is None:
        return None
    engines = getattr(_LOCAL, "engines", None)
    if engines is None:
        engines = _LOCAL.engines = {}
    if lang not in engines:
        engines[lang] = _Engine(lib, lang)
    return engines[lang]


class _Engine:
    """One initialised ``TessBaseAPI``; page settings and ``-c`` variables are set per call and
    variables a call does not name go back to their initial values."""

    def __init__(self, lib: ctypes.CDLL, lang: str) -> None:
        self.lib = lib
        self.handle = lib.TessBaseAPICreate()
        # Init's own messages (and later tprintf output) go to debug_file.
        if lib.TessBaseAPIInit3(self.handle, None, lang.encode()) != 0:
            lib.TessBaseAPIDelete(self.handle)
            self.handle = None
            raise OcrUnavailable(f"language data for {lang!r} is missing")
        lib.TessBaseAPISetVariable(self.handle, b"debug_file", os.devnull.encode())
        self.initial: dict[str, str] = {}
        self.current: dict[str, str] = {}

    def __del__(self) -> None:
        if getattr(self, "handle", None):
            self.lib.TessBaseAPIDelete(self.handle)
            self.handle = None

    def _value(self, name: str) -> str:
        lib, h, key = self.lib, self.handle, name.encode()
        iv, dv = ctypes.c_int(), ctypes.c_double()
        if lib.TessBaseAPIGetIntVariable(h, key, ctypes.byref(iv)):
            return str(iv.value)
        if lib.TessBaseAPIGetBoolVariable(h, key, ctypes.byref(iv)):
            return str(iv.value)
        if lib.TessBaseAPIGetDoubleVariable(h, key, ctypes.byref(dv)):
            return repr(dv.value)
        sv = lib.TessBaseAPIGetStringVariable(h, key)
        if sv is None:
            raise OcrError(f"unknown Tesseract variable {name!r}")
        return sv.decode()

    def _configure(self, config: str) -> None:
        wanted = dict(_OPTION.findall(config))
        leftover = _OPTION.sub("", config).strip()
        if leftover:
            raise OcrError(f"unsupported Tesseract options for the in-process engine: {leftover!r}")
        for name in set(wanted) | set(self.current):
            if name not in self.initial:
                self.initial[name] = self._value(name)
            value = wanted.get(name, self.initial[name])
            changed = self.current.get(name, self.initial[name]) != value
            if changed and not self.lib.TessBaseAPISetVariable(self.handle, name.encode(), value.encode()):
                raise OcrError(f"Tesseract refused {name}={value}")
            self.current[name] = value

    def _set_image(self, image: np.ndarray, dpi: int) -> np.ndarray:
        """Hand ``image`` to Tesseract (which copies it); returns the buffer to keep alive."""
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or image.size == 0:
            raise ValueError(f"expected a uint8 HxW or HxWx3 image, got {image.dtype} {image.shape}")
        h, w = image.shape[:2]
        if image.ndim == 3:
            buf = np.ascontiguousarray(image[:, :, 2::-1])  # BGR(A) -> RGB
            bpp, stride = 3, 3 * w
        elif is_bilevel(image):
            buf = np.ascontiguousarray(np.packbits(image > 127, axis=1))  # 1 bit, set = paper
            bpp, stride = 0, buf.shape[1]
        else:
            buf = np.ascontiguousarray(image)
            bpp, stride = 1, w
        self.lib.TessBaseAPISetImage(self.handle, buf.ctypes.data, w, h, bpp, stride)
        self.lib.TessBaseAPISetSourceResolution(self.handle, int(dpi))
        return buf

    def recognize(self, image: np.ndarray, *, dpi: int, psm: int, config: str, timeout_s: int) -> dict:
        lib, h = self.lib, self.handle
        self._configure(config)
        lib.TessBaseAPISetPageSegMode(h, int(psm))
        monitor = lib.TessMonitorCreate()
        try:
            self._set_image(image, dpi)
            lib.TessMonitorSetDeadlineMSecs(monitor, int(timeout_s * 1000))
            if lib.TessBaseAPIRecognize(h, monitor) != 0:
                raise OcrError(f"tesseract failed or timed out after {timeout_s} s")
            ptr = lib.TessBaseAPIGetTsvText(h, 0)
            if not ptr:
                raise OcrError("tesseract returned no result")
            try:
                tsv = ctypes.string_at(ptr).decode("utf-8", "replace")
            finally:
                lib.TessDeleteText(ptr)
        finally:
            lib.TessMonitorDelete(monitor)
            lib.TessBaseAPIClear(h)
        return _parse_tsv(tsv)

    def orientation(self, image: np.ndarray, *, timeout_s: int) -> tuple[int, float]:
        lib, h = self.lib, self.handle
        self._configure("-c min_characters_to_try=5")
        lib.TessBaseAPISetPageSegMode(h, 0)
        deg, conf = ctypes.c_int(), ctypes.c_float()
        script, script_conf = ctypes.c_char_p(), ctypes.c_float()
        try:
            self._set_image(image, 300)
            ok = lib.TessBaseAPIDetectOrientationScript(
                h, ctypes.byref(deg), ctypes.byref(conf), ctypes.byref(script), ctypes.byref(script_conf)
            )
        finally:
            lib.TessBaseAPIClear(h)
        if not ok:
            return 0, 0.0  # too few characters: not an error of the document
        return (360 - deg.value) % 360, round(float(conf.value), 2)


_TSV_INT = (
    "level",
    "page_num",
    "block_num",
    "par_num",
    "line_num",
    "word_num",
    "left",
    "top",
    "width",
    "height",
)


def _parse_tsv(tsv: str) -> dict[str, list]:
    """Tesseract's TSV rows (no header) as pytesseract's ``Output.DICT`` has them."""
    data: dict[str, list] = {k: [] for k in (*_TSV_INT, "conf", "text")}
    for row in tsv.splitlines():
        cols = row.split("\t")
        if len(cols) < 12 or not cols[0].isdigit():
            continue
        for k, v in zip(_TSV_INT, cols, strict=False):
            data[k].append(int(v))
        data["conf"].append(int(float(cols[10])))  # whole numbers, as pytesseract gives them
        data["text"].append("\t".join(cols[11:]))
    return data
