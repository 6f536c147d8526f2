"""The one module that runs Tesseract (through pytesseract).

Tests inject faults here and nowhere else. Every call runs with ``OMP_THREAD_LIMIT=1``: we
parallelise over pages in processes, and Tesseract's own OpenMP threads would only fight them
for the same cores. pytesseract's errors and timeouts become ``OcrError`` / ``OcrUnavailable``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache

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


def detect_orientation(image: np.ndarray, *, timeout_s: int = 60) -> tuple[int, float]:
    """Tesseract OSD: the clockwise rotation (0/90/180/270) that makes the page upright, and
    its confidence. Pages with too little text make OSD fail; that reads as (0, 0.0)."""
    _single_thread()
    try:
        osd = pytesseract.image_to_osd(
            _rgb(image),
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
    cfg = f"--psm {psm} --dpi {int(dpi)} {config}".strip()
    try:
        data = pytesseract.image_to_data(
            _rgb(image), lang=lang, config=cfg, output_type=Output.DICT, timeout=timeout_s
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


def _rgb(image: np.ndarray) -> np.ndarray:
    """pytesseract hands arrays to PIL, which reads 3 channels as RGB: flip our BGR."""
    if image.ndim == 3:
        return np.ascontiguousarray(image[:, :, ::-1])
    return image
