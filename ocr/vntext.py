"""Vietnamese text helpers for matching OCR output against the fixed phrases of NĐ 30/2020 documents.

NFC alone does not make two renderings of the same Vietnamese word equal: tone placement differs
(hòa/hoà, thủy/thuỷ), scanners and fonts bring look-alikes (Ð U+00D0 for Đ, ’ for ', en dashes,
NBSP), and Tesseract drops stacked marks in all-caps headers ("QUYẾT ĐỊNH" → "QUYT ĐNH"). Metadata
extraction therefore compares text through :func:`match_key` (accents, case and look-alikes
folded) and fuzzy scores on that key, and writes back the canonical spelling of a fixed phrase
once it is recognised, never a guess for free text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

from rapidfuzz import fuzz

_LOOKALIKES = str.maketrans(
    {
        "\u00d0": "Đ",  # Ð LATIN CAPITAL LETTER ETH
        "\u0110": "Đ",
        "\u0189": "Đ",  # Ɖ African D
        "\u00f0": "đ",  # ð eth
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u02b9": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": None,
        "\ufeff": None,
    }
)

# Old-style ("hòa") tone placement is what the corpus and most agencies print; the new style
# ("hoà") puts the mark on the second vowel of oa/oe/uy in an open syllable.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_NEW_STYLE = re.compile(r"(?i)(o|u)([aey])([" + _TONES + r"])$")
_WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")


def nfc(text: str) -> str:
    """NFC (TCVN 6909:2001): the one form Vietnamese text takes at every boundary."""
    return unicodedata.normalize("NFC", text)


def normalize_lookalikes(text: str) -> str:
    """NFC with look-alike characters mapped to the ones Vietnamese text uses.

    Ð→Đ, typographic quotes→', dashes→-, NBSP and thin spaces→space, zero-width characters removed.
    """
    return nfc(unicodedata.normalize("NFC", text).translate(_LOOKALIKES))


def normalize_tone_placement(text: str) -> str:
    """Move tone marks of open oa/oe/uy syllables to the first vowel (hoà → hòa, thuỷ → thủy).

    Only syllables ending in that vowel pair are touched (``hoàn``, ``khuyến`` keep theirs), and
    ``qu`` + y keeps its mark on y (``quý``), where u belongs to the consonant.
    """

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        hit = _NEW_STYLE.search(word)
        if not hit or word[: hit.start()].lower().endswith("q"):
            return word
        return word[: hit.start()] + hit.group(1) + hit.group(3) + hit.group(2)

    return nfc(_WORD.sub(fix, unicodedata.normalize("NFD", text)))


@lru_cache(maxsize=65536)
def strip_accents(text: str) -> str:
    """Remove every diacritic; đ/Đ become d/D. Cached: the parser asks for the same words and
    phrases hundreds of thousands of times per corpus."""
    decomposed = unicodedata.normalize("NFD", normalize_lookalikes(text))
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base.replace("đ", "d").replace("Đ", "D")


@lru_cache(maxsize=65536)
def match_key(text: str) -> str:
    """The key two spellings of the same words share: no accents, lower case, single spaces."""
    return re.sub(r"\s+", " ", strip_accents(text).lower()).strip()


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """:func:`match_key` per character (no space collapsing), with each key char's index in ``text``.

    Lets a fuzzy match found on the key be cut out of the original string.
    """
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = strip_accents(ch).lower()
        for f in folded:
            out.append(f)
            index.append(i)
    return "".join(out), index


def similarity(a: str, b: str) -> float:
    """0..1 similarity of the match keys of ``a`` and ``b``."""
    return fuzz.ratio(match_key(a), match_key(b)) / 100.0


def best_phrase(text: str, phrases: Iterable[str], threshold: float = 0.8) -> tuple[str, float] | None:
    """The phrase whose match key is most similar to ``text``'s, if at least ``threshold``."""
    key = match_key(text)
    best: tuple[str, float] | None = None
    for phrase in phrases:
        score = fuzz.ratio(key, match_key(phrase)) / 100.0
        if score >= threshold and (best is None or score > best[1]):
            best = (phrase, score)
    return best


def find_phrase(text: str, phrase: str, threshold: float = 0.8) -> tuple[int, int] | None:
    """Span ``(start, end)`` in ``text`` of a fuzzy, accent-insensitive occurrence of ``phrase``.

    Used to split a line where Tesseract read across both header columns
    ("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").
    """
    key, index = fold_with_map(text)
    pkey = match_key(phrase)
    if not key or not pkey or len(key) < len(pkey) * threshold:
        return None
    al = fuzz.partial_ratio_alignment(pkey, key)
    if al is None or al.score < threshold * 100:
        return None
    start, end = al.dest_start, al.dest_end
    if end <= start:
        return None
    return index[start], index[end - 1] + 1


def fix_fixed_phrase(text: str, phrases: Sequence[str], threshold: float = 0.8) -> str | None:
    """The canonical spelling of the fixed phrase ``text`` is an OCR reading of, else None.

    "QUYT ĐNH" → "QUYẾT ĐỊNH", "CỘNG HOA XÃ HỘI CHỦ NGHĨA VIẾT NAM" → the motto as printed.
    """
    hit = best_phrase(text, phrases, threshold)
    return hit[0] if hit else None


_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "i": "1"})


def fix_digits(token: str) -> str | None:
    """A number read with letter look-alikes (0/O, 1/l/I) fixed; None unless it has a real digit."""
    if not any(c.isdigit() for c in token):
        return None
    fixed = token.translate(_DIGIT_LOOKALIKES)
    return fixed if fixed.isdigit() else None


def is_upper_text(text: str, min_ratio: float = 0.85) -> bool:
    """Whether at least ``min_ratio`` of the letters are capitals (an all-caps header line)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    return sum(c.isupper() for c in letters) / len(letters) >= min_ratio


_VI_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b"}
_VI_TONE_MARKS = set(_TONES)


def is_vietnamese_word(token: str) -> bool:
    """Whether ``token`` is spelled with Vietnamese letters only and at most one tone mark.

    Rejects OCR readings such as "ĐÄK" (diaeresis), "TÀƒÊHÍNH" or "Hươn§"; punctuation ' , . - is
    allowed around the letters.
    """
    word = token.strip(",.;:-'")
    if not word:
        return False
    tones = 0
    for c in unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D")):
        if unicodedata.combining(c):
            if c not in _VI_MARKS:
                return False
            tones += c in _VI_TONE_MARKS
        elif not (c.isascii() and c.isalpha()) and c != "'":
            return False
    return tones <= 1


_CHECKED_TONES = {"\u0301", "\u0323"}  # sắc, nặng
# The diphthongs iê/yê, uô and ươ, decomposed (the circumflex U+0302, the horn U+031B kept).
_OPEN_DIPHTHONG = re.compile("(?:[iy]e\u0302|uo\u0302|u\u031bo\u031b)$")


def toned_open_diphthongs(text: str) -> list[str]:
    """Words ending on the diphthong iê (yê), uô or ươ and carrying a tone mark ("Niề", "Muố").

    Vietnamese spells these diphthongs only before a final consonant ("tiền", "muốn", "người");
    without one they are written ia, ua, ưa ("mía", "múa", "mưa"). Open and without a tone they
    spell names of the Highlands' peoples ("Niê", "Mlô" is no diphthong), whose languages have no
    tones: open and toned, the word is no spelling at all, an OCR reading of a stroke as a mark.
    """
    bad = []
    for token in text.split():
        word = token.strip(".,;:()\"'-/")
        if not word.isalpha():
            continue
        decomposed = unicodedata.normalize("NFD", word.lower())
        base = "".join(c for c in decomposed if c not in _TONES)
        if base != decomposed and _OPEN_DIPHTHONG.search(base):
            bad.append(token)
    return bad


def impossible_syllables(text: str) -> list[str]:
    """Words no Vietnamese spelling allows, as OCR produces them when it drops or swaps a tone mark.

    A syllable closed by p, t, c or ch only takes the sắc or nặng tone ("quyết", "Tết", "tập"), so
    "quyêt", "Têt" or "tâp" are misreadings; no syllable has "ii" ("MII" is a reading of "Mil").
    Acronyms and tokens with digits are not judged.
    """
    bad = []
    for token in text.split():
        word = token.strip(".,;:()\"'-/")
        if not word or any(c.isdigit() for c in word):
            continue
        if sum(c.isupper() for c in word) >= 2 and "II" not in word:
            continue
        if not word.isalpha():
            continue
        decomposed = unicodedata.normalize("NFD", word.lower())
        base = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")
        if "ii" in base:
            bad.append(token)  # "MII" for "Mil": no Vietnamese syllable doubles i
            continue
        if not re.search(r"[aeiouy](p|t|c|ch)$", base):
            continue
        tones = {c for c in decomposed if c in _TONES}
        if not tones & _CHECKED_TONES:
            bad.append(token)
    return bad


# Multi-word phrases of administrative documents whose letters alone identify them: an OCR
# reading with the same letters but other marks ("bô sung", "giải quyêt") is that phrase.
ADMIN_PHRASES: tuple[str, ...] = (
    "bổ sung", "sửa đổi", "công bố", "bổ nhiệm", "miễn nhiệm", "giải quyết", "cổ phần hóa",
    "thủ tục hành chính", "trên địa bàn", "ủy ban nhân dân", "triển khai", "thực hiện", "tăng cường",
    "phê duyệt", "điều chỉnh", "quy hoạch", "quyền sử dụng đất", "cải cách", "tết nguyên đán",
    "ất tỵ", "hướng dẫn", "kiểm tra", "xây dựng", "thành lập", "ban hành", "chức danh", "xếp lương",
    "hỗ trợ", "danh mục", "quy trình nội bộ", "dịch vụ", "viễn thông", "công ích", "thi hành án",
    "đề nghị", "chuẩn bị", "chấn chỉnh", "đăng ký", "về việc", "hộ kinh doanh",
    "hóa đơn điện tử", "chuyển mục đích", "nông thôn mới", "cấp giấy chứng nhận", "tổ công tác", "nhà nước",
    # names of departments (Sở, Phòng), read in caps where stacked marks get lost
    "tài nguyên và môi trường", "giáo dục và đào tạo", "kế hoạch và đầu tư", "giao thông vận tải",
    "thương binh và xã hội", "nông nghiệp và phát triển nông thôn", "thông tin và truyền thông",
    "thể thao và du lịch", "khoa học và công nghệ", "tài chính - kế hoạch", "kinh tế và hạ tầng",
    "quản lý đô thị", "văn hóa và thông tin", "công thương", "tư pháp", "nội vụ",
)  # fmt: skip


def _with_case_of(canonical: str, original: str) -> str:
    return "".join(c.upper() if o.isupper() else c for c, o in zip(canonical, original, strict=False))


def fix_admin_phrases(text: str) -> str:
    """Restore the marks of :data:`ADMIN_PHRASES` read with the same letters (case kept)."""
    words = text.split(" ")
    keys = [match_key(w.strip(".,;:()")) for w in words]
    for phrase in ADMIN_PHRASES:
        pw = phrase.split()
        pk = [match_key(p) for p in pw]
        n = len(pw)
        for i in range(len(words) - n + 1):
            if keys[i : i + n] != pk:
                continue
            for j in range(n):
                w = words[i + j]
                core = w.strip(".,;:()")
                if len(core) != len(pw[j]) or nfc(core) == pw[j]:
                    continue
                start = w.index(core)
                words[i + j] = w[:start] + _with_case_of(pw[j], core) + w[start + len(core) :]
    return " ".join(words)
