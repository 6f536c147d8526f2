"""Header fields of OCR pages whose header band lost or garbled words (no corpus files)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from header_words import Row
from header_words import page as _page
from header_words import words as _words

from ocr.fields import extract_fields, reread_date_line
from schemas.documents import OcrPage, OcrWord


# (text, left, top, width, confidence); each row is one Tesseract line unless split by the caller.
def _ea_hleo(
    date_rows: list[Row], subject: str = "Kết luận của Chủ tịch UBND huyện Ea H'leo tại cuộc họp"
) -> OcrPage:
    return _page(
        [
            _words("ỦY BAN NHÂN DÂN", 335, 169),
            _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 800, 169),
            _words("HUYỆN EA HLEO", 349, 222),
            _words("Độc lập - Tự do - Hạnh phúc", 923, 223),
            _words("Số: 543/TB-UBND", 364, 315),
            *date_rows,
            _words("THÔNG BÁO", 746, 394),
            _words(subject, 341, 458),
            _words(
                "Ngày 28/03/2024, tại Hội trường Ủy ban nhân dân huyện, đồng chí Chủ tịch chủ trì.", 230, 664
            ),
        ]
    )


def test_date_line_place_cut_by_a_lost_word_is_completed_from_the_agency_block() -> None:
    # "Ea H'leo, ngày 01 …" read as "Ea" and, after a gap where "H'leo," was dropped, the date.
    page = _ea_hleo([_words("Ea", 856, 314), _words("ngày 01 tháng 4 năm 2024", 1012, 314)])
    res = extract_fields([page])
    assert res.value("dia_danh") == "Ea H'leo"
    assert res.value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN HUYỆN EA H'LEO"
    assert res.value("cap") == "huyen"


def test_head_on_the_date_line_itself_is_completed_too() -> None:
    page = _ea_hleo([[("Ea", 856, 314, 39, 96), *_words("ngày 01 tháng 4 năm 2024", 1012, 314)]])
    assert extract_fields([page]).value("dia_danh") == "Ea H'leo"


def test_head_with_no_gap_before_ngay_is_not_completed() -> None:
    # Nothing was lost between "Ea" and "ngày": the line says no more than "Ea", which is no place.
    page = _ea_hleo([[("Ea", 950, 314, 39, 96), *_words("ngày 01 tháng 4 năm 2024", 1003, 314)]])
    assert extract_fields([page]).value("dia_danh") is None


def test_head_is_not_completed_without_a_mixed_case_reading_of_the_whole_name() -> None:
    page = _ea_hleo(
        [_words("Ea", 856, 314), _words("ngày 01 tháng 4 năm 2024", 1012, 314)],
        subject="Kết luận của Chủ tịch UBND huyện tại cuộc họp",
    )
    assert extract_fields([page]).value("dia_danh") is None


def test_head_that_does_not_start_the_agency_place_is_not_completed() -> None:
    page = _ea_hleo([_words("Krông", 820, 314), _words("ngày 01 tháng 4 năm 2024", 1012, 314)])
    assert extract_fields([page]).value("dia_danh") is None


def _dak_mil(block_place: str, date_place: str = "Đắk MII,") -> OcrPage:
    return _page(
        [
            _words("ỦY BAN NHÂN DÂN", 335, 169),
            _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 800, 169),
            _words(f"HUYỆN {block_place}", 349, 222),
            _words("Độc lập - Tự do - Hạnh phúc", 923, 223),
            _words("Số: 1489/UBND-TNMT", 364, 315),
            _words(f"{date_place} ngày 09 tháng 10 năm 2020", 856, 314),
            _words("V/v đề nghị bố trí vốn thực hiện công trình", 341, 394),
            _words("Kính gửi: Ủy ban nhân dân tỉnh.", 600, 458),
        ]
    )


def test_place_with_i_for_l_takes_the_unit_name_the_cut_agency_line_starts() -> None:
    # "Đắk MII": Tesseract's I for l and i; "HUYỆN ĐẮK": the block's line lost "MIL" to a speck.
    res = extract_fields([_dak_mil("ĐẮK")])
    assert res.value("dia_danh") == "Đắk Mil"
    assert res.value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL"
    assert res.value("cap") == "huyen"


def test_place_the_cut_agency_line_does_not_start_is_not_taken() -> None:
    res = extract_fields([_dak_mil("KRÔNG")])
    assert res.value("dia_danh") is None
    assert res.value("co_quan_ban_hanh") is None


def test_i_for_l_in_a_place_is_read_back_only_to_a_unit_name() -> None:
    from ocr.metadata import _place_il_from_units

    assert _place_il_from_units("Đắk MII") == "Đắk Mil"
    assert _place_il_from_units("Ia HIốp") == "Ia Hlốp"
    assert _place_il_from_units("Đắk Mil") == "Đắk Mil"  # a unit's name as read: kept
    assert _place_il_from_units("Hòa BIxyz") == "Hòa BIxyz"  # no unit either way: kept as read


def _binh_phuoc(date_line: str) -> OcrPage:
    return _page(
        [
            _words("UBND TỈNH BÌNH PHƯỚC", 442, 250),
            _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1000, 250),
            _words("SỞ TƯ PHÁP", 520, 320),
            _words("Độc lập - Tự do - Hạnh phúc", 1100, 320),
            _words("Số: 289/BC-STP", 566, 467),
            _words(date_line, 1233, 469),
            _words("BÁO CÁO", 1187, 608),
            _words("Kết quả công tác tư pháp năm 2022", 513, 685),
        ]
    )


def test_place_of_a_date_line_whose_frame_words_a_streak_garbled() -> None:
    # "ngày" and "tháng" garbled, the year lost: the day and month still frame a date line.
    res = extract_fields([_binh_phuoc('"Bình Phước, ñuày 22 ding 11 năm')])
    assert res.value("dia_danh") == "Bình Phước"
    assert res.value("ngay_ban_hanh") is None


def test_comma_line_without_a_date_frame_gives_no_place() -> None:
    res = extract_fields([_binh_phuoc("Bình Phước, tổng hợp 22 đơn vị trong năm")])
    assert res.value("dia_danh") is None


def _so_block(block: list[Row], so: str, date_line: str = "Bình Phước, ngày 22 tháng 11 năm 2022") -> OcrPage:
    return _page(
        [
            *block,
            _words("Độc lập - Tự do - Hạnh phúc", 1100, 327),
            _words(f"Số: {so}", 566, 467),
            _words(date_line, 1233, 469),
            _words("BÁO CÁO", 1187, 608),
            _words("Kết quả thực hiện công tác cải cách hành chính năm 2022", 513, 685),
        ]
    )


STREAKED_STTTT = [
    [("'UBNIỆTỈNH", 442, 250, 190, 24), ("BÌNH", 650, 250, 80, 90), ("PHƯỚC", 745, 250, 110, 78)]
    + [("GỘNG", 1100, 250, 90, 78), *_words("HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1210, 250)],
    [("Ù", 617, 320, 20, 25), ("THÔNG", 650, 320, 110, 91), ("TIN", 775, 320, 60, 89)],
    [("VÀ#FRUYỀN", 514, 385, 180, 26), ("THÔNG", 710, 385, 110, 92)],
]


def test_sos_name_garbled_by_streaks_is_read_from_its_code_in_the_ky_hieu() -> None:
    res = extract_fields([_so_block(STREAKED_STTTT, "289/BC-STTTT")])
    assert res.value("co_quan_ban_hanh") == "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"
    assert res.value("co_quan_chu_quan") == "UBND TỈNH BÌNH PHƯỚC"
    assert res.value("cap") == "tinh"


def test_garbled_block_with_another_code_names_no_agency() -> None:
    res = extract_fields([_so_block(STREAKED_STTTT, "289/BC-STP")])
    assert res.value("co_quan_ban_hanh") is None
    assert res.value("cap") is None


def test_parent_on_another_place_than_the_date_line_is_not_taken() -> None:
    res = extract_fields([_so_block(STREAKED_STTTT, "289/BC-STTTT", "Đồng Nai, ngày 22 tháng 11 năm 2022")])
    assert res.value("co_quan_chu_quan") is None


def test_unsure_department_reading_is_confirmed_by_its_code_only() -> None:
    block = [
        _words("UBND TỈNH BÌNH PHƯỚC", 442, 250, conf=50)
        + _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1100, 250),
        [("SỞ", 560, 320, 40, 40), ("TƯ", 615, 320, 40, 45), ("PHÁP", 670, 320, 90, 60)],
    ]
    assert extract_fields([_so_block(block, "289/BC-STP")]).value("co_quan_ban_hanh") == "SỞ TƯ PHÁP"
    assert extract_fields([_so_block(block, "289/BC-UBND")]).value("co_quan_ban_hanh") is None


def test_ubnd_glued_to_its_level_word_is_the_parent_line() -> None:
    block = [
        _words("UBNDTỈNH ĐẮK NÔNG", 442, 250) + _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1100, 250),
        _words("SỞ TƯ PHÁP", 560, 320),
    ]
    res = extract_fields([_so_block(block, "71/TB-STP", "Đắk Nông, ngày 22 tháng 11 năm 2022")])
    assert res.value("co_quan_chu_quan") == "UBND TỈNH ĐẮK NÔNG"
    assert res.value("co_quan_ban_hanh") == "SỞ TƯ PHÁP"
    assert res.value("dia_danh") == "Đắk Nông"


def _dak_nong_date(month_conf: float) -> list[OcrWord]:
    rows = [
        _words("ỦY BAN NHÂN DÂN", 506, 253) + _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1178, 253),
        _words("TỈNH ĐẮK NÔNG", 531, 319) + _words("Độc lập - Tự do - Hạnh phúc", 1366, 328),
        _words("Số: 2494/KH-UBND", 528, 442),
        _words("Đắk Nông, ngày 12 tháng", 1272, 439)
        + [("11", 1706, 439, 40, month_conf), *_words("năm 2023", 1760, 439)],
        _words("KẾ HOẠCH", 1150, 540),
        _words("THỰC HIỆN CHƯƠNG TRÌNH NÔNG THÔN MỚI NĂM 2023", 541, 620),
    ]
    return list(_page(rows).words)


def _recognize(text: str, conf: float = 90.0, calls: list | None = None):  # noqa: ANN202
    def read(crop: np.ndarray) -> list[OcrWord]:
        if calls is not None:
            calls.append(crop.shape)
        return [OcrWord(t, 10 + 60 * i, 5, 50, 30, conf) for i, t in enumerate(text.split())]

    return read


IMAGE = np.full((2339, 2480), 255, np.uint8)


def test_unsure_date_digit_confirmed_by_a_second_reading_is_filed() -> None:
    words = _dak_nong_date(68)
    assert extract_fields([_page_of(words)]).value("ngay_ban_hanh") is None  # 68: held back
    again = reread_date_line(
        IMAGE, words, dpi=300, recognize=_recognize("Đắk Nông, ngày 12 tháng 11 năm 2023")
    )
    assert again is not None
    assert extract_fields([_page_of(again)]).value("ngay_ban_hanh") == dt.date(2023, 11, 12)


def test_second_reading_that_disagrees_or_is_unsure_changes_nothing() -> None:
    words = _dak_nong_date(68)
    other = _recognize("Đắk Nông, ngày 12 tháng 12 năm 2023")
    assert reread_date_line(IMAGE, words, dpi=300, recognize=other) is None
    unsure = _recognize("Đắk Nông, ngày 12 tháng 11 năm 2023", conf=60)
    assert reread_date_line(IMAGE, words, dpi=300, recognize=unsure) is None


def test_sure_date_is_not_read_again() -> None:
    calls: list = []
    read = _recognize("Đắk Nông, ngày 12 tháng 11 năm 2023", calls=calls)
    assert reread_date_line(IMAGE, _dak_nong_date(96), dpi=300, recognize=read) is None
    assert calls == []


def _page_of(words: list[OcrWord]) -> OcrPage:
    return OcrPage(index=0, width=2480, height=2339, dpi=300, words=tuple(words), text="", confidence=90)
