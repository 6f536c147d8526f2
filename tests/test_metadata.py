"""Metadata extraction from page texts and OCR word boxes (hand-written fixtures, no corpus files)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from ocr.metadata import extract_metadata, extract_metadata_from_text
from ocr.vntext import (
    find_phrase,
    fix_fixed_phrase,
    is_vietnamese_word,
    match_key,
    normalize_lookalikes,
    normalize_tone_placement,
)
from schemas.documents import Cap, DocumentMetadata, OcrPage, OcrWord

PROVINCE_QD = [
    """ỦY BAN NHÂN DÂN
TỈNH ĐẮK NÔNG
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 583/QĐ-UBND
Đắk Nông, ngày 05 tháng 9 năm 2024
QUYẾT ĐỊNH
Về việc thành lập Tổ công tác kiểm tra công tác quản lý đất đai,
trật tự xây dựng
CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;
Điều 1. Thành lập Tổ công tác."""
]

SIGNER_PAGE = """Điều 3. Quyết định này có hiệu lực kể từ ngày ký.
Nơi nhận:
- Như Điều 3;
- Lưu: VT, KGVX.
TM. ỦY BAN NHÂN DÂN
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
Trần Xuân Hải"""

DISTRICT_KH_WITH_PARENT = """UBND HUYỆN ĐẮK MIL
PHÒNG TÀI CHÍNH -
KẾ HOẠCH
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 12/KH-TCKH
Đắk Mil, ngày 1 tháng 2 năm 2021
KẾ HOẠCH
THỰC HIỆN CHƯƠNG TRÌNH MỤC TIÊU QUỐC GIA XÂY
DỰNG NÔNG THÔN MỚI NĂM 2021
Thực hiện Kế hoạch số 515/KH-UBND ngày 15/02/2021 của UBND huyện Đắk Mil về thực hiện
Chương trình mục tiêu quốc gia, Phòng Tài chính - Kế hoạch ban hành Kế hoạch như sau:"""

COMMUNE_CV = """ỦY BAN NHÂN DÂN
XÃ ĐẮK R'LA
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 15/UBND-VP
V/v đề nghị hỗ trợ kinh phí khắc phục
hậu quả thiên tai
Đắk R'La, ngày 09 tháng 10 năm 2020
Kính gửi: Ủy ban nhân dân huyện Đắk Mil.
Ủy ban nhân dân xã Đắk R'La báo cáo như sau:"""

SO_UNDER_UBND = """ỦY BAN NHÂN DÂN
TỈNH GIA LAI
SỞ KẾ HOẠCH VÀ ĐẦU TƯ
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 151/TTr-SKHĐT
Gia Lai, ngày 05 tháng 4 năm 2019
TỜ TRÌNH
Về việc đề nghị bổ sung dự toán ngân sách năm 2020
Kính gửi: Ủy ban nhân dân tỉnh Gia Lai."""

SO_SIGNER = """Nơi nhận:
- Như trên;
- Lưu: VT, TTr.
KT. GIÁM ĐỐC
PHÓ GIÁM ĐỐC
Lý Thị Ngọc Thảo"""

# Raw Tesseract reading of a two-column header: columns merged, S6 for Số, stray spaces, Ð (U+00D0),
# lost marks in the caps type name, the signer column to the right of the "Nơi nhận" items.
NOISY_PAGE_1 = """2831555210600) 0000/26
*` ỦY BAN NHÂN DÂN CỘNG HOA XÃ HỘI CHỦ NGHĨA VIẾT NAM
h HUYỆN SA THÂY Độc lập - Tự do - Hanh phúc
S6: 24 /QÐ -UBND Sa Thầy, ngày 13 tháng 11 năm 2024

. QUYT ÐNH "
Về việc cho phép chuyển mục đích sử dụng đất đối với
hộ ông Ngô Đức Nam ˆ

Căn cứ Luật Tổ chức chính quyền địa phương;
Theo đề nghị của UBND huyện Sa Thầy."""

NOISY_PAGE_2 = """Điều 4. Chánh Văn phòng HĐND và UBND huyện chịu trách nhiệm thi hành.
Nơi nhận: TM. ỦY BAN NHÂN DÂN
- Như Điều 4; KT. CHỦ TỊCH
- Kho bạc Nhà nước huyện; PHÓ CHỦ TỊCH
- Lưu: VT, TNMT.

Trần Thị Kim Tuyết"""


def _strings(meta: DocumentMetadata) -> list[str]:
    return [v for v in meta.to_json().values() if isinstance(v, str)] + [
        v for v in vars(meta).values() if isinstance(v, str)
    ]


def test_province_quyet_dinh() -> None:
    meta = extract_metadata_from_text([PROVINCE_QD[0], SIGNER_PAGE])
    assert meta.so_ky_hieu == "583/QĐ-UBND"
    assert meta.ngay_ban_hanh == dt.date(2024, 9, 5)
    assert meta.dia_danh == "Đắk Nông"
    assert meta.co_quan_ban_hanh == "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG"
    assert meta.co_quan_chu_quan == ""
    assert meta.cap is Cap.TINH
    assert meta.loai_van_ban == "QUYẾT ĐỊNH"
    assert (
        meta.trich_yeu == "Về việc thành lập Tổ công tác kiểm tra công tác quản lý đất đai, trật tự xây dựng"
    )
    assert meta.nguoi_ky == "Trần Xuân Hải"
    assert meta.chuc_vu_nguoi_ky == "PHÓ CHỦ TỊCH"
    assert meta.so_trang == 2


def test_district_plan_with_parent_line_and_date_without_leading_zeros() -> None:
    meta = extract_metadata_from_text([DISTRICT_KH_WITH_PARENT])
    assert meta.co_quan_chu_quan == "UBND HUYỆN ĐẮK MIL"
    assert meta.co_quan_ban_hanh == "PHÒNG TÀI CHÍNH - KẾ HOẠCH"
    assert meta.cap is Cap.HUYEN
    assert meta.ngay_ban_hanh == dt.date(2021, 2, 1)
    assert meta.loai_van_ban == "KẾ HOẠCH"
    assert meta.trich_yeu == "THỰC HIỆN CHƯƠNG TRÌNH MỤC TIÊU QUỐC GIA XÂY DỰNG NÔNG THÔN MỚI NĂM 2021"
    assert meta.so_trang == 1


def test_commune_cong_van_keeps_vv() -> None:
    meta = extract_metadata_from_text([COMMUNE_CV])
    assert meta.loai_van_ban == "CÔNG VĂN"
    assert meta.trich_yeu == "V/v đề nghị hỗ trợ kinh phí khắc phục hậu quả thiên tai"
    assert meta.so_ky_hieu == "15/UBND-VP"
    assert meta.co_quan_ban_hanh == "ỦY BAN NHÂN DÂN XÃ ĐẮK R'LA"
    assert meta.dia_danh == "Đắk R'La"
    assert meta.cap is Cap.XA
    assert meta.ngay_ban_hanh == dt.date(2020, 10, 9)


# A real công văn (Quảng Ngãi, 2025) whose number is handwritten: OCR reads "992 _" for the
# written "299" over the dotted blank. Lines in the order the word boxes give them (the two header
# columns row by row; the date line's day is blank).
HANDWRITTEN_NUMBER_CV = """ỦY BAN NHÂN DÂN
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH QUẢNG NGÃI
Độc lập - Tự do - Hạnh phúc
Số: 992 _/UBND-TTHC
Quảng Ngãi, ngày tháng 01 năm 2025
V/v công bố Danh mục TTHC
và xây dựng quy trình nội bộ
giải quyết TTHC
Kính gửi:
- Sở Giao thông vận tải;
Thực hiện nội dung các Quyết định số: 1743/QĐ-BGTVT ngày 31/12/2024 của Bộ trưởng."""


def test_cong_van_under_an_unreadable_handwritten_number() -> None:
    meta = extract_metadata_from_text([HANDWRITTEN_NUMBER_CV])
    assert meta.so_ky_hieu is None  # never "992/UBND-TTHC": the number is not printed
    assert meta.loai_van_ban == "CÔNG VĂN"  # the printed "V/v" under the "Số:" label still tells
    assert meta.trich_yeu == "V/v công bố Danh mục TTHC và xây dựng quy trình nội bộ giải quyết TTHC"
    assert meta.dia_danh == "Quảng Ngãi"


def test_so_under_provincial_committee() -> None:
    meta = extract_metadata_from_text([SO_UNDER_UBND, SO_SIGNER])
    assert meta.co_quan_ban_hanh == "SỞ KẾ HOẠCH VÀ ĐẦU TƯ"
    assert meta.co_quan_chu_quan == "ỦY BAN NHÂN DÂN TỈNH GIA LAI"
    assert meta.cap is Cap.TINH
    assert meta.so_ky_hieu == "151/TTr-SKHĐT"
    assert meta.loai_van_ban == "TỜ TRÌNH"
    assert meta.trich_yeu == "Về việc đề nghị bổ sung dự toán ngân sách năm 2020"
    assert meta.chuc_vu_nguoi_ky == "PHÓ GIÁM ĐỐC"
    assert meta.nguoi_ky == "Lý Thị Ngọc Thảo"


def test_raw_ocr_noise_is_tolerated() -> None:
    meta = extract_metadata_from_text([NOISY_PAGE_1, NOISY_PAGE_2])
    assert meta.so_ky_hieu == "24/QĐ-UBND"
    assert meta.ngay_ban_hanh == dt.date(2024, 11, 13)
    assert meta.dia_danh == "Sa Thầy"
    # "SA THÂY" lost its grave in caps; the place confirmed in mixed case gives the spelling.
    assert meta.co_quan_ban_hanh == "ỦY BAN NHÂN DÂN HUYỆN SA THẦY"
    assert meta.cap is Cap.HUYEN
    assert meta.loai_van_ban == "QUYẾT ĐỊNH"
    assert meta.trich_yeu == "Về việc cho phép chuyển mục đích sử dụng đất đối với hộ ông Ngô Đức Nam"
    assert meta.chuc_vu_nguoi_ky == "PHÓ CHỦ TỊCH"
    assert meta.nguoi_ky == "Trần Thị Kim Tuyết"


def test_eth_lookalike_in_number_becomes_d_with_stroke() -> None:
    page = PROVINCE_QD[0].replace("Số: 583/QĐ-UBND", "Sô: 583/QÐ-UBND")
    meta = extract_metadata_from_text([page])
    assert meta.so_ky_hieu == "583/QĐ-UBND"
    assert "\u00d0" not in meta.so_ky_hieu


def test_unreadable_fields_are_none_not_guesses() -> None:
    page = (
        "ỦY BAN NHÂN DÂN\nHUYỆN ĐÄK NWIL\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Số: /QĐ-UBND\nĐắk MiI, ngày 13 tháng 11 năm 20'%\nNội dung"
    )
    meta = extract_metadata_from_text([page])
    assert meta.so_ky_hieu is None  # number left blank for handwriting
    assert meta.ngay_ban_hanh is None
    assert meta.co_quan_ban_hanh is None  # "ĐÄK" is no Vietnamese spelling
    assert meta.cap is None
    assert meta.loai_van_ban == "QUYẾT ĐỊNH"  # the printed notation "/QĐ-UBND" names the type
    assert meta.nguoi_ky is None and meta.chuc_vu_nguoi_ky is None


def test_impossible_date_is_none() -> None:
    page = PROVINCE_QD[0].replace("ngày 05 tháng 9", "ngày 31 tháng 02")
    assert extract_metadata_from_text([page]).ngay_ban_hanh is None


def test_empty_input() -> None:
    meta = extract_metadata_from_text([])
    assert meta == DocumentMetadata()
    assert extract_metadata_from_text([""]).so_trang == 1


def test_outputs_are_nfc_even_from_nfd_input() -> None:
    nfd_pages = [unicodedata.normalize("NFD", PROVINCE_QD[0]), unicodedata.normalize("NFD", SIGNER_PAGE)]
    meta = extract_metadata_from_text(nfd_pages)
    assert meta.co_quan_ban_hanh == "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG"
    for value in _strings(meta):
        assert unicodedata.is_normalized("NFC", value)


def _words_for(lines: list[list[tuple[str, int]]], line_h: int = 40) -> tuple[OcrWord, ...]:
    """Boxes for rows of (text, x) segments, one Tesseract line per row as raw OCR merges them."""
    words: list[OcrWord] = []
    for row, segments in enumerate(lines):
        for text, x in segments:
            left = x
            for word in text.split():
                width = 22 * len(word)
                words.append(OcrWord(word, left, 100 + row * line_h, width, 30, 90.0, 1, row + 1, 1))
                left += width + 15
    return tuple(words)


def test_word_boxes_split_merged_header_columns() -> None:
    rows = [
        [("ỦY BAN NHÂN DÂN", 100), ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 1100)],
        [("HUYỆN ĐẮK MIL", 130), ("Độc lập - Tự do - Hạnh phúc", 1200)],
        [("Số: 1489/QĐ-UBND", 110), ("Đắk Mil, ngày 09 tháng 10 năm 2020", 1150)],
        [("QUYẾT ĐỊNH", 900)],
        [("Về việc phê duyệt kế hoạch", 800)],
        [("Căn cứ Luật Tổ chức chính quyền địa phương;", 200)],
        [("Theo đề nghị của UBND huyện Đắk Mil.", 200)],
    ]
    words = _words_for(rows)
    page = OcrPage(index=0, width=2480, height=3508, dpi=300, words=words, text="", confidence=90.0)
    meta = extract_metadata([page])
    assert meta.co_quan_ban_hanh == "ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL"
    assert meta.so_ky_hieu == "1489/QĐ-UBND"
    assert meta.dia_danh == "Đắk Mil"
    assert meta.ngay_ban_hanh == dt.date(2020, 10, 9)
    assert meta.loai_van_ban == "QUYẾT ĐỊNH"
    assert meta.trich_yeu == "Về việc phê duyệt kế hoạch"
    assert meta.so_trang == 1


def test_pages_without_boxes_use_their_text() -> None:
    page = OcrPage(index=0, width=10, height=10, dpi=300, words=(), text=PROVINCE_QD[0], confidence=0.0)
    assert extract_metadata([page]).so_ky_hieu == "583/QĐ-UBND"


def test_vntext_keys_and_fixes() -> None:
    assert normalize_lookalikes("\u00d0ắk\u00a0Nông – 2’") == "Đắk Nông - 2'"
    assert normalize_tone_placement("hoà thuỷ quý hoàn") == "hòa thủy quý hoàn"
    assert match_key("CỘNG HOÀ") == match_key("Cộng Hòa") == "cong hoa"
    assert fix_fixed_phrase("QUYT ĐNH", ["QUYẾT ĐỊNH", "KẾ HOẠCH"]) == "QUYẾT ĐỊNH"
    assert fix_fixed_phrase("BIÊN BẢN", ["QUYẾT ĐỊNH", "KẾ HOẠCH"]) is None
    text = "ỦY BAN NHÂN DÂN CỘNG HOA XÃ HỘI CHỦ NGHĨA VIẾT NAM"
    span = find_phrase(text, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert span is not None and text[: span[0]].strip() == "ỦY BAN NHÂN DÂN"
    assert is_vietnamese_word("ĐẮK") and not is_vietnamese_word("ĐÄK") and not is_vietnamese_word("Hươn§")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=400), max_size=3))
def test_never_raises_on_arbitrary_text(pages: list[str]) -> None:
    meta = extract_metadata_from_text(pages)
    assert isinstance(meta, DocumentMetadata)
    for value in _strings(meta):
        assert unicodedata.is_normalized("NFC", value)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(PROVINCE_QD[0].split("\n") + NOISY_PAGE_1.split("\n") + ["", "Số:", "ngày", "V/v"]),
        max_size=25,
    )
)
def test_never_raises_on_shuffled_header_lines(lines: list[str]) -> None:
    assert isinstance(extract_metadata_from_text(["\n".join(lines)]), DocumentMetadata)
