"""What toner-streak residue makes Tesseract write into a header, and how the parser reads past it
(word lists built here, no corpus files): a word read twice over an underline, a dot of dust
inside the trích yếu, a short unsure word of dust between two wrapped trích yếu lines."""

from __future__ import annotations

from header_words import Row
from header_words import page as _page
from header_words import words as _words

from ocr import metadata as md
from ocr.fields import extract_fields
from schemas.documents import OcrPage


def _directive(agency: Row, subject: list[Row]) -> OcrPage:
    return _page(
        [
            _words("ỦY BAN NHÂN DÂN", 308, 168) + _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 764, 171),
            agency,
            _words("Độc lập - Tự do - Hạnh phúc", 881, 214),
            _words("Số: 180/CT-UBND", 345, 275),
            _words("Bờ Y, ngày 17 tháng 11 năm 2021", 859, 284),
            _words("CHỈ THỊ", 794, 345),
            *subject,
            _words("Các thôn, bon đã tổ chức họp dân để phổ biến chủ trương, lấy ý kiến", 311, 503),
            _words("đóng góp của Nhân dân trước khi triển khai.", 230, 540),
        ]
    )


AGENCY = _words("XÃ BỜ Y", 416, 211)
# Tesseract read the underlined "XÃ BỜ Y" twice: "BỜ" and "Y" as boxes tall with the underline,
# and "BỜY" over both of them.
DOUBLED = [
    ("XÃ", 416, 211, 45, 93.0),
    ("BỜ", 477, 207, 44, 79.0),
    ("BỜY", 478, 211, 92, 86.0),
    ("Y", 542, 207, 22, 92.0),
]
SUBJECT = [
    _words("Về chấn chỉnh công tác quản lý trật tự xây dựng trên địa", 321, 392),
    _words("bàn xã Bờ Y", 760, 434),
]


def test_a_word_read_twice_over_its_own_pieces_is_dropped() -> None:
    lines = md._lines_from_words(_page([DOUBLED]))
    assert [ln.text for ln in lines] == ["XÃ BỜ Y"]
    res = extract_fields([_directive(DOUBLED, SUBJECT)])
    assert res.value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN XÃ BỜ Y"
    # Two words that merely overlap are kept: only a word spelling its pieces together goes.
    other = [
        ("XÃ", 416, 211, 45, 93.0),
        ("BỜ", 477, 207, 44, 79.0),
        ("BẾN", 478, 211, 92, 86.0),
        ("Y", 542, 207, 22, 92.0),
    ]
    assert [ln.text for ln in md._lines_from_words(_page([other]))] == ["XÃ BỜ BẾN Y"]


def test_a_short_unsure_word_between_subject_lines_is_dust() -> None:
    dust = [("win", 373, 436, 70, 19.0)]  # toner dust left of the wrapped line's row
    res = extract_fields([_directive(AGENCY, [SUBJECT[0], dust, SUBJECT[1]])])
    assert res.value("trich_yeu") == "Về chấn chỉnh công tác quản lý trật tự xây dựng trên địa bàn xã Bờ Y"
    # Read surely, a short line is text: the subject is not glued over it.
    sure = [("win", 373, 436, 70, 90.0)]
    res = extract_fields([_directive(AGENCY, [SUBJECT[0], sure, SUBJECT[1]])])
    assert res.value("trich_yeu") != "Về chấn chỉnh công tác quản lý trật tự xây dựng trên địa bàn xã Bờ Y"


def test_a_full_stop_between_lower_case_words_of_a_subject_is_dust() -> None:
    dotted = [_words("Về chấn chỉnh công tác quản lý trật tự xây dựng trên. địa", 321, 392), SUBJECT[1]]
    res = extract_fields([_directive(AGENCY, dotted)])
    assert res.value("trich_yeu") == "Về chấn chỉnh công tác quản lý trật tự xây dựng trên địa bàn xã Bờ Y"
    assert md._drop_stray_stops("đất đối với. hộ ông Ngô Đức Nam") == "đất đối với hộ ông Ngô Đức Nam"
    for kept in ("v.v. và các xã", "tại TP. Hồ Chí Minh", "năm 2020. về", "Về việc A. B"):
        assert md._drop_stray_stops(kept) == kept
