"""A number cited in the body ("Căn cứ Nghị định số 29/2015/NĐ-CP ngày …") is never filed as the
document's own số ký hiệu, which NĐ 30/2020 puts on the "Số:" line under the agency block,
above the title (word lists built here, no corpus files)."""

from __future__ import annotations

from header_words import Row
from header_words import page as _page
from header_words import words as _words

from ocr.fields import extract_fields
from schemas.documents import OcrPage


def _notice(so_row: Row, title: str, body: list[Row]) -> OcrPage:
    return _page(
        [
            _words("UBND TỈNH ĐẮK NÔNG", 320, 169),
            _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 800, 169),
            _words("SỞ TƯ PHÁP", 360, 222),
            _words("Độc lập - Tự do - Hạnh phúc", 923, 223),
            so_row,
            _words("Đắk Nông, ngày 28 tháng 3 năm 2025", 856, 314),
            _words(title, 746, 394),
            _words("Về việc đăng ký hoạt động của Văn phòng công chứng", 480, 440),
            *body,
        ]
    )


GARBLED_SO = _words(";B-STP *", 380, 315)
WRAPPED = [
    _words("Căn cứ Luật Công chứng ngày 20 tháng 6 năm 2014; Căn cứ Nghị định", 230, 600),
    _words("số 29/2015/NĐ-CP ngày 15 tháng 3 năm 2015 của Chính phủ quy định chi tiết;", 230, 640),
]


def test_wrapped_citation_under_an_unreadable_so_line_is_not_the_documents_number() -> None:
    for title in ("THÔNG BÁO", "TH0NG B4O"):  # the title read or garbled
        res = extract_fields([_notice(GARBLED_SO, title, WRAPPED)])
        assert res.value("so_ky_hieu") is None, title
        assert res.fields["so_ky_hieu"].confidence < 0.8
        assert "29/2015/NĐ-CP" not in str(res.candidates)
    # The cited line no longer passes for the Số line: the title under the real one is read.
    assert extract_fields([_notice(GARBLED_SO, "THÔNG BÁO", WRAPPED)]).value("loai_van_ban") == "THÔNG BÁO"


def test_number_after_a_document_type_word_or_with_its_own_date_is_cited() -> None:
    # No year in these numbers: the parser itself refuses them (the title is not read).
    after_type = [
        _words("đã được giao theo Công văn", 230, 600),
        _words("số 152/UBND-NC của UBND tỉnh;", 230, 640),
    ]
    dated = [_words("Số 152/UBND-NC ngày 03 tháng 3 năm 2025 của UBND tỉnh", 230, 640)]
    for body in (after_type, dated):
        assert extract_fields([_notice(GARBLED_SO, "TH0NG B4O", body)]).value("so_ky_hieu") is None


def test_own_number_is_kept_with_a_citation_below() -> None:
    res = extract_fields([_notice(_words("Số: 2910/TB-STP", 380, 315), "THÔNG BÁO", WRAPPED)])
    assert res.value("so_ky_hieu") == "2910/TB-STP"


def test_type_word_ending_an_agency_line_is_not_a_title() -> None:
    # "PHÒNG TÀI CHÍNH - / KẾ HOẠCH": a type name in capitals, in the left column above the Số,
    # with or without a speck read before it.
    for tail in ("KẾ HOẠCH", "e© KẾ HOẠCH"):
        assert extract_fields([_tckh(tail)]).value("so_ky_hieu") == "418/GCN-TCKH", tail


def _tckh(tail: str) -> OcrPage:
    return _page(
        [
            _words("UBND HUYỆN KRÔNG NÔ", 300, 169),
            _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 800, 169),
            _words("PHÒNG TÀI CHÍNH -", 300, 222),
            _words("Độc lập - Tự do - Hạnh phúc", 923, 223),
            _words(tail, 360, 268),
            _words("Số: 418/GCN-TCKH", 330, 330),
            _words("Krông Nô, ngày 12 tháng 5 năm 2024", 856, 330),
            _words("GIẤY CHỨNG NHẬN", 700, 420),
        ]
    )


def test_a_legal_act_number_of_another_year_than_the_date_is_held_back() -> None:
    res = extract_fields([_notice(_words("Số: 29/2015/NĐ-CP", 380, 315), "NGHỊ ĐỊNH", [])])
    assert res.value("so_ky_hieu") is None
    assert any("another year" in r for r in res.review_reasons)
    res = extract_fields([_notice(_words("Số: 29/2025/NĐ-CP", 380, 315), "NGHỊ ĐỊNH", [])])
    assert not any("another year" in r for r in res.review_reasons)
