"""ocr.header_zone: the second reading of page 1's agency block and Số line.

The first readings are word lists in the geometry of an A4 page at 200 dpi; the second reading
is a stand-in for Tesseract that returns given words (crop coordinates: the zone starts at the
page's top-left corner, so they are page coordinates too). The image is white with dark boxes
where the words are, so the zone has ink to read and the page an ink level.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ocr import header_zone as hz
from ocr.fields import extract_fields
from ocr.signer_zone import REREAD_BLOCK, page_text
from schemas.documents import OcrPage, OcrWord

W, H = 1654, 2339


def _row(text: str, left: int, top: int, line: int, conf: float = 96.0, block: int = 1) -> list[OcrWord]:
    out = []
    for t in text.split():
        width = 18 * len(t)
        out.append(OcrWord(t, left, top, width, 30, conf, block=block, paragraph=1, line=line))
        left += width + 14
    return out


AGENCY = _row("ỦY BAN NHÂN DÂN", 250, 170, 1) + _row("TỈNH ĐẮK NÔNG", 280, 215, 2)


def _first_pass(agency: list[OcrWord], number: list[OcrWord]) -> list[OcrWord]:
    return [
        *agency,
        *_row("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 820, 170, 3),
        *_row("Độc lập - Tự do - Hạnh phúc", 900, 215, 4),
        *number,
        *_row("Đắk Nông, ngày 12 tháng 11 năm 2023", 850, 290, 6),
        *_row("KẾ HOẠCH", 750, 380, 7),
        *_row("Thực hiện chương trình nông thôn mới năm 2023", 400, 430, 8),
    ]


def _number(conf: float, so_height: int = 30) -> list[OcrWord]:
    """ "Số: 2494/KH-UBND" whose token was read at ``conf``; a streak over the label makes it
    ``so_height`` tall (then the page cannot vouch for the token by its typesetting)."""
    so, token = _row("Số: 2494/KH-UBND", 300, 290, 5)
    so = dataclasses.replace(so, confidence=96.0, top=290 - (so_height - 30) // 2, height=so_height)
    return [so, dataclasses.replace(token, confidence=conf)]


def _image(words: list[OcrWord]) -> np.ndarray:
    img = np.full((H, W), 250, np.uint8)
    for w in words:
        img[w.top + 5 : w.top + w.height - 5, w.left + 2 : w.left + w.width - 2] = 30
    return img


def _reader(rows: list[list[OcrWord]], calls: list | None = None):  # noqa: ANN202
    def read(crop: np.ndarray) -> list[OcrWord]:
        if calls is not None:
            calls.append(crop.shape)
        return [dataclasses.replace(w, block=1) for row in rows for w in row]

    return read


def _fields(words: list[OcrWord]):  # noqa: ANN202
    page = OcrPage(index=0, width=W, height=H, dpi=200, words=tuple(words), text="", confidence=90)
    return extract_fields([page])


def _reread(words: list[OcrWord], read) -> list[OcrWord] | None:  # noqa: ANN001
    return hz.reread_header_zone(_image(words), words, dpi=200, recognize=read)


def test_unsure_number_confirmed_by_an_agreeing_sure_reading_is_filed() -> None:
    words = _first_pass(AGENCY, _number(70, so_height=45))
    assert _fields(words).value("so_ky_hieu") is None  # 70, and the tall label vouches for nothing
    again = _reread(words, _reader([_row("Số: 2494/KH-UBND", 302, 291, 1, conf=91)]))
    assert again is not None
    assert _fields(again).value("so_ky_hieu") == "2494/KH-UBND"
    assert {w.text for w in again} == {w.text for w in words}  # confidences only, no new word


def test_a_disagreeing_or_unsure_number_reading_changes_nothing() -> None:
    words = _first_pass(AGENCY, _number(70, so_height=45))
    other = _reader([_row("Số: 2484/KH-UBND", 302, 291, 1, conf=91)])  # a blotted digit read otherwise
    assert _reread(words, other) is None
    unsure = _reader([_row("Số: 2494/KH-UBND", 302, 291, 1, conf=70)])
    assert _reread(words, unsure) is None


def test_lost_agency_lines_are_filled_but_a_number_is_never_taken() -> None:
    # The streak took the agency block and the number: only the "Số:" label is left.
    words = _first_pass(
        [OcrWord("ỳ", 260, 180, 20, 20, 30.0, block=1, paragraph=1, line=1)], _row("Số:", 300, 290, 5)
    )
    res = _fields(words)
    assert res.value("co_quan_ban_hanh") is None and res.value("so_ky_hieu") is None
    edge = [  # the motto's "CỘNG" (x 820-892), cut by the zone's right edge (x 835)
        OcrWord("C{", 820, 170, 15, 30, 40.0, block=1, paragraph=1, line=1),
        OcrWord("{", 822, 172, 8, 26, 40.0, block=1, paragraph=1, line=1),
    ]
    read = _reader([AGENCY[:4] + edge, AGENCY[4:], _row("Số: 2494/KH-UBND", 302, 291, 3, conf=95)])
    again = _reread(words, read)
    assert again is not None
    res = _fields(again)
    assert res.value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG"
    assert res.value("so_ky_hieu") is None  # the Số row is not filled from the second reading
    assert "ỳ" not in {w.text for w in again}
    assert all(w.block >= REREAD_BLOCK for w in again if w.text in ("ỦY", "TỈNH"))
    assert not {"C{", "{"} & {w.text for w in again}
    # The filled lines open the page's text, in its reading order.
    assert page_text(again, opening_from=hz.FIRST_BLOCK).startswith("ỦY BAN NHÂN DÂN")


def test_a_garbled_agency_line_fills_nothing() -> None:
    # "PHÒNG TÀI CHÍNH - KẾ HOẠCH" half under a streak: the parent alone would be filed as the agency.
    words = _first_pass(_row("- KẾ HOẠCH", 420, 255, 2), _number(96))
    read = _reader([AGENCY[:4], AGENCY[4:], _row("TÀÄÊHÍNH - KẾ HOẠCH", 300, 255, 3, conf=26)])
    assert _reread(words, read) is None


def test_a_clean_header_is_not_read_again() -> None:
    calls: list = []
    words = _first_pass(AGENCY, _number(96))
    assert hz.reread_header_zone(_image(words), words, dpi=200, recognize=_reader([], calls)) is None
    # An unsure token the page vouches for (type and agency codes agree, typeset like "Số:").
    words = _first_pass(AGENCY, _number(60))
    assert _fields(words).value("so_ky_hieu") == "2494/KH-UBND"
    assert hz.reread_header_zone(_image(words), words, dpi=200, recognize=_reader([], calls)) is None
    assert calls == []


def test_zone_is_the_left_column_down_to_the_so_row() -> None:
    words = _first_pass(AGENCY, _number(70))
    lines, header = hz.page_header(_image(words), words, dpi=200)
    x0, y0, x1, y1 = hz.header_zone(header, words, W, H)
    assert (x0, y0) == (0, 0)
    assert 0.4 * W <= x1 < 850  # stops before the date line
    assert 320 <= y1 < 380  # under the Số row, above the type name


def test_a_number_filled_in_by_hand_or_missing_is_not_read_again() -> None:
    calls: list = []
    # "Số: 47 /QĐ-UBND": a number written into a printed blank (its own word before the "/").
    so, number, code = _row("Số: 47 /KH-UBND", 300, 290, 5)
    hand = [
        so,
        dataclasses.replace(number, confidence=55, height=40),
        dataclasses.replace(code, confidence=55),
    ]
    words = _first_pass(AGENCY, hand)
    assert hz.reread_header_zone(_image(words), words, dpi=200, recognize=_reader([], calls)) is None
    # A Số label without a number: nothing to confirm, and a number is never taken from a re-read.
    words = _first_pass(AGENCY, _row("Số:", 300, 290, 5))
    assert hz.reread_header_zone(_image(words), words, dpi=200, recognize=_reader([], calls)) is None
    assert calls == []
