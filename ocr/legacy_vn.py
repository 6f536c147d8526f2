"""Legacy Vietnamese 8-bit font encodings (TCVN3/ABC and VNI-Windows) to Unicode NFC.

Word files from before ~2005 set Vietnamese in ``.VnTime`` (TCVN3) or ``VNI-Times`` fonts whose
glyphs sit on Latin-1 code points, so a PDF made from them extracts as "Céng hoµ x· héi chñ
nghÜa ViÖt Nam" (TCVN3) or "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam" (VNI). The text is all
there, only mislabelled: converting it is exact and free, where OCR would cost seconds a page
and lose tone marks. :func:`best_reading` decides which reading (as is, TCVN3, VNI) looks like
Vietnamese, so ordinary Unicode or French text is never "converted".
"""

from __future__ import annotations

import re
import unicodedata

# TCVN 5712:1993 (VN3, the ".VnTime" fonts): one byte per precomposed letter. Capitals with a
# tone mark have no code point: the ".VnTimeH" fonts draw the lower-case codes as capitals.
_TCVN3 = {
    "¡": "Ă", "¢": "Â", "£": "Ê", "¤": "Ô", "¥": "Ơ", "¦": "Ư", "§": "Đ",
    "¨": "ă", "©": "â", "ª": "ê", "«": "ô", "¬": "ơ", "\u00ad": "ư", "®": "đ",
    "µ": "à", "¶": "ả", "·": "ã", "¸": "á", "¹": "ạ",
    "»": "ằ", "¼": "ẳ", "½": "ẵ", "¾": "ắ", "Æ": "ặ",
    "Ç": "ầ", "È": "ẩ", "É": "ẫ", "Ê": "ấ", "Ë": "ậ",
    "Ì": "è", "Î": "ẻ", "Ï": "ẽ", "Ð": "é", "Ñ": "ẹ",
    "Ò": "ề", "Ó": "ể", "Ô": "ễ", "Õ": "ế", "Ö": "ệ",
    "×": "ì", "Ø": "ỉ", "Ü": "ĩ", "Ý": "í", "Þ": "ị",
    "ß": "ò", "á": "ỏ", "â": "õ", "ã": "ó", "ä": "ọ",
    "å": "ồ", "æ": "ổ", "ç": "ỗ", "è": "ố", "é": "ộ",
    "ê": "ờ", "ë": "ở", "ì": "ỡ", "í": "ớ", "î": "ợ",
    "ï": "ù", "ñ": "ủ", "ò": "ũ", "ó": "ú", "ô": "ụ",
    "õ": "ừ", "ö": "ử", "÷": "ữ", "ø": "ứ", "ù": "ự",
    "ú": "ỳ", "û": "ỷ", "ü": "ỹ", "ý": "ý", "þ": "ỵ",
}  # fmt: skip
_TCVN3_TABLE = str.maketrans(_TCVN3)

# VNI-Windows: a base letter followed by one mark byte (tone, or vowel mark plus tone); a few
# letters are single bytes of their own.
_VNI_LETTERS = {
    "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư", "ñ": "đ", "Ñ": "Đ",
    "æ": "ỉ", "Æ": "Ỉ", "ò": "ị", "Ò": "Ị", "ó": "ĩ", "Ó": "Ĩ", "î": "ỵ", "Î": "Ỵ",
}  # fmt: skip
_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE = "\u0302", "\u0306"
_VNI_MARKS = {
    "ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT,
    "â": _CIRC, "ê": _BREVE,
    "á": _CIRC + _ACUTE, "à": _CIRC + _GRAVE, "å": _CIRC + _HOOK, "ã": _CIRC + _TILDE, "ä": _CIRC + _DOT,
    "é": _BREVE + _ACUTE, "è": _BREVE + _GRAVE, "ú": _BREVE + _HOOK, "ü": _BREVE + _TILDE, "ë": _BREVE + _DOT,
}  # fmt: skip
_VNI_MARKS |= {k.upper(): v for k, v in _VNI_MARKS.items()}
_VNI_VOWELS = set("aeiouyAEIOUYơƠưƯ")
_VNI_PATTERN = re.compile("([aeiouyAEIOUYôÔöÖ])([" + "".join(_VNI_MARKS) + "])")

# Frequent Vietnamese words (syllables) of administrative text: their share among a text's
# tokens tells Vietnamese from mis-encoded Vietnamese, and survives OCR-free extraction noise.
_COMMON = frozenset(
    [
        "của",
        "và",
        "các",
        "cho",
        "theo",
        "ngày",
        "tháng",
        "năm",
        "được",
        "có",
        "về",
        "việc",
        "tại",
        "những",
        "này",
        "với",
        "không",
        "người",
        "đã",
        "trong",
        "quyết",
        "định",
        "nhân",
        "dân",
        "cộng",
        "hòa",
        "hoà",
        "xã",
        "hội",
        "chủ",
        "nghĩa",
        "việt",
        "độc",
        "lập",
        "tự",
        "hạnh",
        "phúc",
        "số",
        "ủy",
        "uỷ",
        "ban",
        "điều",
        "luật",
        "căn",
        "cứ",
        "thực",
        "hiện",
        "quản",
        "lý",
        "đất",
        "tỉnh",
        "huyện",
        "thành",
        "phố",
        "phường",
        "sở",
        "tổ",
        "chức",
        "đơn",
        "vị",
        "báo",
        "cáo",
        "thông",
        "tư",
        "nghị",
        "nơi",
        "nhận",
        "lưu",
        "văn",
        "bản",
        "kế",
        "hoạch",
        "một",
        "để",
        "là",
        "trên",
        "đến",
        "từ",
        "khi",
        "thì",
        "đồng",
        "triển",
        "khai",
    ]
)
_WORD = re.compile(r"\w+", re.UNICODE)


def tcvn3_to_unicode(text: str) -> str:
    """TCVN3 (ABC) text to Unicode NFC. A word written all in capitals (a ``.VnTimeH`` heading)
    is upper-cased after conversion, since its toned letters came out as lower-case codes."""
    out = []
    for token in re.split(r"(\s+)", text):
        converted = token.translate(_TCVN3_TABLE)
        ascii_letters = [c for c in token if c.isascii() and c.isalpha()]
        if len(ascii_letters) >= 2 and all(c.isupper() for c in ascii_letters) and converted != token:
            converted = converted.upper()
        out.append(converted)
    return unicodedata.normalize("NFC", "".join(out))


def vni_to_unicode(text: str) -> str:
    """VNI-Windows text to Unicode NFC."""

    def mark(m: re.Match[str]) -> str:
        base = _VNI_LETTERS.get(m.group(1), m.group(1))
        return base + _VNI_MARKS[m.group(2)]

    # Marks attach to the vowel before them (ơ/ư written as ô/ö first); then the single letters.
    text = _VNI_PATTERN.sub(mark, text)
    text = "".join(_VNI_LETTERS.get(c, c) for c in text)
    return unicodedata.normalize("NFC", text)


def vietnamese_score(text: str) -> float:
    """Share of word tokens that are frequent Vietnamese words (0..1)."""
    words = [w.lower() for w in _WORD.findall(unicodedata.normalize("NFC", text))]
    if not words:
        return 0.0
    return sum(w in _COMMON for w in words) / len(words)


def best_reading(text: str, *, margin: float = 0.08) -> tuple[str, str]:
    """``(encoding, unicode_text)``: ``"unicode"`` when the text reads as it is, else
    ``"tcvn3"``/``"vni"`` when that conversion reads clearly more like Vietnamese."""
    candidates = {"unicode": unicodedata.normalize("NFC", text)}
    if any(c in _TCVN3 for c in text):
        candidates["tcvn3"] = tcvn3_to_unicode(text)
    if _VNI_PATTERN.search(text) or any(c in _VNI_LETTERS for c in text):
        candidates["vni"] = vni_to_unicode(text)
    scores = {k: vietnamese_score(v) for k, v in candidates.items()}
    best = max(scores, key=lambda k: scores[k])
    if best != "unicode" and scores[best] < scores["unicode"] + margin:
        best = "unicode"
    return best, candidates[best]
