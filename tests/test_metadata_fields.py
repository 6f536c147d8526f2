"""Fields with confidence, handwriting flags, sidecars and the archival export form (no corpus files)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pytest

from ocr.fields import extract_fields, extract_fields_from_text, notation_type, type_code_of
from ocr.metadata import extract_metadata
from ocr.sidecar import merge, parse_manifest_csv, parse_sidecar_json
from schemas.archival import archival_record, split_so_ky_hieu
from schemas.documents import DocumentMetadata, OcrPage, OcrWord
from schemas.errors import SidecarInvalid

PAGE = """ỦY BAN NHÂN DÂN
TỈNH ĐẮK NÔNG
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 392/KH-UBND
Đắk Nông, ngày 02 tháng 6 năm 2021
KẾ HOẠCH
Thực hiện Quyết định số 468/QĐ-TTg
Căn cứ Luật Tổ chức chính quyền địa phương;
Nơi nhận:
- Văn phòng Chính phủ;
- Lưu: VT, KSTT.
TM. ỦY BAN NHÂN DÂN
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
Trần Xuân Hải"""
# PAGE with a trích yếu under its type name: nothing in it is missing or unsure.
FULL_PAGE = PAGE.replace("KẾ HOẠCH\n", "KẾ HOẠCH\nSố hóa kết quả giải quyết thủ tục hành chính\n")


def _page_from_rows(rows: list[list[tuple[str, int, int, float]]], height: int = 40) -> OcrPage:
    """An OCR page from rows of (text, left, width, confidence) words; one Tesseract line per row."""
    words = []
    for i, row in enumerate(rows):
        for text, left, width, conf in row:
            words.append(OcrWord(text, left, 100 + i * 60, width, height, conf, block=1, paragraph=1, line=i))
    text = "\n".join(" ".join(w[0] for w in row) for row in rows)
    return OcrPage(index=0, width=2400, height=3400, dpi=300, words=tuple(words), text=text, confidence=90)


def _header_rows(number_words: list[tuple[str, int, int, float]]) -> list[list[tuple[str, int, int, float]]]:
    return [
        [("ỦY", 100, 60, 96), ("BAN", 170, 90, 96), ("NHÂN", 270, 110, 96), ("DÂN", 390, 90, 96)],
        [("TỈNH", 100, 90, 96), ("ĐẮK", 200, 90, 96), ("NÔNG", 300, 110, 96)],
        [("Số:", 100, 70, 96), *number_words],
        [("Đắk", 1200, 80, 96), ("Nông,", 1290, 110, 96), ("ngày", 1410, 90, 96), ("02", 1510, 50, 96)]
        + [("tháng", 1570, 110, 96), ("6", 1690, 25, 96), ("năm", 1725, 80, 96), ("2021", 1815, 90, 96)],
        [("KẾ", 1000, 60, 96), ("HOẠCH", 1070, 150, 96)],
        [("Thực", 200, 90, 96), ("hiện", 300, 80, 96), ("Quyết", 390, 110, 96), ("định.", 510, 100, 96)],
    ]


def test_text_fields_carry_confidence_source_and_extras() -> None:
    res = extract_fields_from_text([FULL_PAGE])
    assert res.value("so_ky_hieu") == "392/KH-UBND"
    assert res.value("type_code") == "10"
    assert res.value("tham_quyen") == ("TM.", "KT.")
    assert res.value("tham_quyen_ky") == "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    assert res.value("noi_nhan") == ("- Văn phòng Chính phủ;", "- Lưu: VT, KSTT.")
    assert res.fields["so_ky_hieu"].source == "ocr"
    assert 0 < res.fields["so_ky_hieu"].confidence <= 1
    assert not res.needs_review
    assert res.metadata().ngay_ban_hanh == dt.date(2021, 6, 2)


def test_typed_number_is_kept_handwritten_number_is_flagged_and_left_empty() -> None:
    typed = extract_fields([_page_from_rows(_header_rows([("392/KH-UBND", 180, 240, 95)]))])
    assert typed.value("so_ky_hieu") == "392/KH-UBND"
    assert not typed.fields["so_ky_hieu"].handwritten
    # A number written into the blank of "Số:      /KH-UBND": its own word, taller, read unsure.
    rows = _header_rows([("392", 190, 80, 80), ("/KH-UBND", 330, 200, 93)])
    page = _page_from_rows(rows)
    words = tuple(
        OcrWord(w.text, w.left, w.top - 15, w.width, 70, w.confidence, w.block, w.paragraph, w.line)
        if w.text == "392"
        else w
        for w in page.words
    )
    hand = extract_fields([OcrPage(0, 2400, 3400, 300, words, page.text, 90)])
    assert hand.value("so_ky_hieu") is None
    assert hand.fields["so_ky_hieu"].handwritten
    assert hand.needs_review
    assert any(r.startswith("so_ky_hieu") for r in hand.review_reasons)
    # The contract function applies the same rule.
    assert extract_metadata([OcrPage(0, 2400, 3400, 300, words, page.text, 90)]).so_ky_hieu is None


def test_low_confidence_number_is_left_empty() -> None:
    # The agency part "SNV" is not this People's Committee's code: nothing confirms the reading.
    res = extract_fields([_page_from_rows(_header_rows([("392/KH-SNV", 180, 240, 55)]))])
    assert res.value("so_ky_hieu") is None
    assert res.candidates["so_ky_hieu"] == "392/KH-SNV"
    assert res.needs_review
    # Confirmed parts do not save a token read too unsure.
    garbled = extract_fields([_page_from_rows(_header_rows([("392/KH-UBND", 180, 240, 30)]))])
    assert garbled.value("so_ky_hieu") is None


def test_notation_confirmed_by_type_and_agency_outweighs_tesseract_word_confidence() -> None:
    # Tesseract scores "392/KH-UBND" low even on a clean print; its type part names the printed
    # KẾ HOẠCH and its agency part the ỦY BAN NHÂN DÂN of the block: the reading is kept.
    res = extract_fields([_page_from_rows(_header_rows([("392/KH-UBND", 180, 240, 45)]))])
    assert res.value("so_ky_hieu") == "392/KH-UBND"
    # The same token taller than the printed "Số:" (a speck or a stroke joined it): held back.
    page = _page_from_rows(_header_rows([("392/KH-UBND", 180, 240, 95)]))
    words = tuple(
        OcrWord(w.text, w.left, w.top - 15, w.width, 70, w.confidence, w.block, w.paragraph, w.line)
        if w.text == "392/KH-UBND"
        else w
        for w in page.words
    )
    tall = extract_fields([OcrPage(0, 2400, 3400, 300, words, page.text, 90)])
    assert tall.value("so_ky_hieu") is None and tall.candidates["so_ky_hieu"] == "392/KH-UBND"


@pytest.mark.parametrize(
    ("so", "doc_type", "agency", "expected"),
    [
        ("583/QĐ-UBND", "QUYẾT ĐỊNH", "ỦY BAN NHÂN DÂN TỈNH GIA LAI", "agree"),
        ("289/BC-STTTT", "BÁO CÁO", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "agree"),
        ("25/GCN-TCKH", "GIẤY CHỨNG NHẬN", "PHÒNG TÀI CHÍNH - KẾ HOẠCH", "agree"),
        ("94/UBND-ĐC", "CÔNG VĂN", "ỦY BAN NHÂN DÂN XÃ ĐẮK LAO", "agree"),
        ("1211/UBNB-ĐC", "CÔNG VĂN", "ỦY BAN NHÂN DÂN XÃ ĐẮK LAO", "invalid"),  # D read as B
        ("157/QĐĐ-NĐ-UB", "QUYẾT ĐỊNH", "ỦY BAN NHÂN DÂN TỈNH CAO BẰNG", "invalid"),  # Đ read twice
        ("01/GM-SVHTTTDL", "GIẤY MỜI", "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "invalid"),  # T read twice
        ("524/TB-S", "THÔNG BÁO", "SỞ TƯ PHÁP", "invalid"),  # the rest of STP lost
        ("57/XNTTHN", "GIẤY XÁC NHẬN", "ỦY BAN NHÂN DÂN PHƯỜNG NGHĨA ĐỨC", "unknown"),
        ("392/KH-UBND", "QUYẾT ĐỊNH", "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG", "unknown"),
    ],
)
def test_notation_check(so: str, doc_type: str, agency: str, expected: str) -> None:
    from ocr.fields import _notation_check

    assert _notation_check(so, doc_type, agency) == expected


def test_blue_ink_digits_are_handwritten() -> None:
    page = _page_from_rows(_header_rows([("392/KH-UBND", 180, 240, 97)]))
    image = np.full((3400, 2400, 3), 255, np.uint8)
    image[100 + 3 * 60 : 140 + 3 * 60, 1500:1570] = (200, 60, 30)  # BGR blue ink over the day "02"
    res = extract_fields([page], images=[image])
    assert res.fields["ngay_ban_hanh"].handwritten
    assert res.value("ngay_ban_hanh") is None
    black = np.full((3400, 2400, 3), 255, np.uint8)
    black[100 + 3 * 60 : 140 + 3 * 60, 1500:1570] = (20, 20, 20)
    assert extract_fields([page], images=[black]).value("ngay_ban_hanh") == dt.date(2021, 6, 2)


def test_notation_and_type_name_must_agree() -> None:
    res = extract_fields_from_text([PAGE.replace("392/KH-UBND", "392/QĐ-UBND")])
    assert res.value("so_ky_hieu") is None and res.value("loai_van_ban") is None
    assert res.needs_review


@pytest.mark.parametrize(
    ("so", "expected"),
    [("392/KH-UBND", "KẾ HOẠCH"), ("24/TTr-UBND", "TỜ TRÌNH"), ("45/2020/NĐ-CP", None), ("15/UBND-VP", None)],
)
def test_notation_type(so: str, expected: str | None) -> None:
    assert notation_type(so) == expected


def test_type_codes() -> None:
    assert type_code_of("QUYẾT ĐỊNH") == "02"
    assert type_code_of("CÔNG VĂN") == "22"
    assert type_code_of("GIẤY CHỨNG NHẬN") == "32"
    assert type_code_of(None) is None


def test_identifiers_where_printed() -> None:
    page = PAGE + "\nMã TTHC: 1.001193\nMã hồ sơ: 000.00.17.H17-210615-0001"
    res = extract_fields_from_text([page])
    assert res.value("ma_tthc") == "1.001193"
    assert res.value("ma_ho_so") == "000.00.17.H17-210615-0001"
    assert extract_fields_from_text([PAGE + "\n1.001193"]).value("ma_tthc") is None  # unlabelled


def test_sidecar_json_and_manifest() -> None:
    data = json.dumps(
        {"Mã hồ sơ": "000.00.17.H17-210615-0001", "maTTHC": "1.001193", "chu_ho_so": "Nguyễn Văn A",
         "ngay_ban_hanh": "02/06/2021", "so_ky_hieu": "392 /KH-UBND", "ghi_chu": "x"}
    ).encode()  # fmt: skip
    cd = parse_sidecar_json(data)
    assert cd.ma_ho_so == "000.00.17.H17-210615-0001" and cd.ma_tthc == "1.001193"
    assert cd.owner == "Nguyễn Văn A"
    assert cd.fields["ngay_ban_hanh"] == dt.date(2021, 6, 2)
    assert cd.fields["so_ky_hieu"] == "392/KH-UBND"
    assert cd.extra == {"ghi_chu": "x"}
    with pytest.raises(SidecarInvalid):
        parse_sidecar_json(b"[1, 2]")
    with pytest.raises(SidecarInvalid):
        parse_sidecar_json(json.dumps({"ngay_ban_hanh": "31/02/2021"}).encode())
    csv_bytes = "\ufeffTên file;Mã hồ sơ;Chủ hồ sơ\nscan1.pdf;H17-1;Lê B\nSCAN2.PDF;H17-2;Trần C\n".encode()
    row = parse_manifest_csv(csv_bytes, "in/scan2.pdf")
    assert row is not None and row.ma_ho_so == "H17-2" and row.owner == "Trần C" and row.source == "clerk"
    assert parse_manifest_csv(csv_bytes, "other.pdf") is None
    cp1258 = "file,owner\na.pdf,Lê\n".encode("cp1258")
    assert parse_manifest_csv(cp1258, "a.pdf").owner == "Lê"
    with pytest.raises(SidecarInvalid):
        parse_manifest_csv(b"name,owner\na.pdf,x\n", "a.pdf")


def test_merge_fills_confirms_and_flags_conflicts() -> None:
    res = extract_fields_from_text([FULL_PAGE])
    agree = merge(res, parse_sidecar_json(b'{"so_ky_hieu": "392/KH-UBND", "ma_ho_so": "X-1"}'))
    assert agree.result.fields["so_ky_hieu"].confidence == 1.0
    assert agree.result.value("ma_ho_so") == "X-1" and agree.result.fields["ma_ho_so"].source == "sidecar"
    assert not agree.conflicts and not agree.needs_review
    clash = merge(res, parse_sidecar_json(b'{"ngay_ban_hanh": "2021-06-03"}'))
    assert clash.result.value("ngay_ban_hanh") is None
    assert clash.conflicts[0].field == "ngay_ban_hanh" and clash.conflicts[0].ocr == dt.date(2021, 6, 2)
    assert clash.needs_review
    # A reading held back as unsure still counts against a different clerk value.
    unsure = extract_fields([_page_from_rows(_header_rows([("392/KH-UBND", 180, 240, 55)]))])
    assert merge(unsure, parse_sidecar_json(b'{"so_ky_hieu": "39/KH-UBND"}')).conflicts
    filled = merge(unsure, parse_sidecar_json(b'{"so_ky_hieu": "392/KH-UBND"}'))
    assert filled.result.value("so_ky_hieu") == "392/KH-UBND" and not filled.conflicts


def test_archival_record() -> None:
    md = DocumentMetadata(
        so_ky_hieu="392/KH-UBND",
        ngay_ban_hanh=dt.date(2021, 6, 2),
        co_quan_ban_hanh="ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG",
        trich_yeu="x" * 501,
    )
    rec = archival_record(md, type_code="10", pages=3, file_code="H17.01", maintenance="01").to_json()
    assert rec["typeName"] == "10" and rec["codeNumber"] == "392" and rec["codeNotation"] == "KH-UBND"
    assert rec["issuedDate"] == "02/06/2021" and rec["language"] == "01" and rec["confidenceLevel"] == "02"
    assert rec["numberOfPage"] == 3 and rec["paperFileCode"] == "H17.01" and rec["maintenance"] == "01"
    assert rec["subject"] == "" and rec["warnings"]
    assert split_so_ky_hieu("45/2020/NĐ-CP") == ("45", "2020/NĐ-CP")
    with pytest.raises(ValueError):
        archival_record(md, type_code=None, pages=1, mode="09")


def test_impossible_syllables_and_admin_phrases() -> None:
    from ocr.vntext import fix_admin_phrases, impossible_syllables

    assert impossible_syllables("giải quyêt TTHC dịp Têt, Đắk MII") == ["quyêt", "Têt,", "MII"]
    assert impossible_syllables("Về việc tăng cường công tác thi hành án tại Đắk Mil") == []
    fixed = fix_admin_phrases("V/v công bô Danh mục, sửa đôi, bô sung; SỞ TÀI NGUYÊN VÀ MỖI TRƯỜNG")
    assert fixed == "V/v công bố Danh mục, sửa đổi, bổ sung; SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"
    assert fix_admin_phrases("có phần đúng") == "có phần đúng"  # letters alone do not decide here


def test_free_text_with_an_impossible_word_is_held_back() -> None:
    page = PAGE.replace("KẾ HOẠCH\n", "KẾ HOẠCH\nVề việc trực ban dịp Têt\n\n")
    res = extract_fields_from_text([page])
    assert res.value("trich_yeu") is None
    assert res.candidates["trich_yeu"] == "Về việc trực ban dịp Têt"
    assert any(r.startswith("trich_yeu") for r in res.review_reasons)


def test_province_spelling_restored_and_cut_place_rejected() -> None:
    from ocr.metadata import _fix_province

    assert _fix_province("ỦY BAN NHÂN DÂN TINH QUANG NGAI") == "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"
    assert _fix_province("ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL") == "ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL"
    commune = (
        "ỦY BAN NHÂN DÂN\nXÃ IA HLỐP\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "Số: 15/TB-UBND\nla Hlốp, ngày 03 tháng 4 năm 2023\nTHÔNG BÁO\nVề việc tiếp dân"
    )
    # "la"/"1a" is the capital I of "Ia" misread: the whole name, confirmed by the agency block.
    assert extract_fields_from_text([commune]).value("dia_danh") == "Ia Hlốp"
    cut = commune.replace("la Hlốp, ngày", "# Hlốp, ngày")
    assert extract_fields_from_text([cut]).value("dia_danh") is None  # "Hlốp" is not "Ia Hlốp"


def test_type_from_notation_when_the_type_line_is_unread() -> None:
    page = PAGE.replace("KẾ HOẠCH\n", "K# H@\n")
    res = extract_fields_from_text([page])
    assert res.value("loai_van_ban") == "KẾ HOẠCH" and res.value("type_code") == "10"


def test_surname_marks_restored_only_for_a_known_surname() -> None:
    from ocr.fields import fix_surname

    assert fix_surname("Định Thùy Hương") == "Đinh Thùy Hương"
    assert fix_surname("Y Bhin Buôn Yă") == "Y Bhin Buôn Yă"
    assert fix_surname("Trần Xuân Hải") == "Trần Xuân Hải"


def test_field_meta_lists_values_and_fields_to_review() -> None:
    res = extract_fields([_page_from_rows(_header_rows([("392/KH-SNV", 180, 240, 55)]))])
    meta = res.field_meta()
    assert meta["so_ky_hieu"]["review"] and meta["so_ky_hieu"]["candidate"] == "392/KH-SNV"
    assert meta["co_quan_ban_hanh"]["review"] is False and meta["co_quan_ban_hanh"]["source"] == "ocr"
    assert "ma_tthc" not in meta  # never printed: nothing to review
    clash = merge(res, parse_sidecar_json(b'{"co_quan_ban_hanh": "UBND HUYEN KHAC"}')).result.field_meta()
    assert clash["co_quan_ban_hanh"]["review"] and clash["co_quan_ban_hanh"]["candidate"]


def test_deputy_inferred_after_kt_when_the_seal_ate_the_office_line() -> None:
    page = PAGE.replace("PHÓ CHỦ TỊCH\n", "Ủ TỊCH\n")
    res = extract_fields_from_text([page])
    assert res.value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"
    no_kt = PAGE.replace("KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n", "Ủ TỊCH\n")
    assert extract_fields_from_text([no_kt]).value("chuc_vu_nguoi_ky") is None


def test_subject_label_with_colon_is_dropped() -> None:
    page = PAGE.replace("KẾ HOẠCH\n", "KẾ HOẠCH\nVề việc: Giao quyền sử dụng đất ở dân cư\n\n")
    assert extract_fields_from_text([page]).value("trich_yeu") == "Giao quyền sử dụng đất ở dân cư"


Row = list[tuple[str, int, int, float]]


def _agency_page(place_line: Row, date_place: Row) -> OcrPage:
    """The header of :func:`_header_rows` with another place line and date-line place."""
    rows = _header_rows([("392/KH-UBND", 180, 240, 95)])
    rows[1] = place_line
    rows[3] = date_place + rows[3][2:]
    return _page_from_rows(rows)


def test_caps_agency_needs_a_second_reading_of_its_place() -> None:
    # "NGỌC HÔI": Tesseract lost the grave of HỒI at high confidence; no mixed-case reading and
    # no administrative unit is spelled so: held back. "NGỌC HỒI" is a unit's name: filed.
    dateless = [("#", 1200, 20, 40), ("#", 1230, 20, 40)]
    district = [("HUYỆN", 100, 120, 95), ("NGỌC", 230, 110, 95)]
    wrong = extract_fields([_agency_page([*district, ("HÔI", 350, 80, 95)], dateless)])
    assert wrong.value("co_quan_ban_hanh") is None
    assert wrong.candidates["co_quan_ban_hanh"] == "ỦY BAN NHÂN DÂN HUYỆN NGỌC HÔI"
    assert wrong.value("cap") is None
    right = extract_fields([_agency_page([*district, ("HỒI", 350, 80, 95)], dateless)])
    assert right.value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN HUYỆN NGỌC HỒI"
    # A plain text (a text layer, the ground truth) is exact: no second reading needed.
    text = PAGE.replace("TỈNH ĐẮK NÔNG\n", "XÃ QUẢNG KRIỆ\n").replace("Đắk Nông, ngày", "Hà Nội, ngày")
    assert extract_fields_from_text([text]).value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN XÃ QUẢNG KRIỆ"


def test_date_line_place_misread_is_taken_from_the_caps_block_and_the_unit_list() -> None:
    # "Đák Wil" is no unit's spelling; the block reads "ĐẮK WIL", which is one: both agree.
    page = _agency_page(
        [("XÃ", 100, 60, 95), ("ĐẮK", 170, 90, 95), ("WIL", 270, 80, 95)],
        [("Đák", 1200, 80, 95), ("Wil,", 1290, 80, 95)],
    )
    res = extract_fields([page])
    assert res.value("dia_danh") == "Đắk Wil"
    assert res.value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN XÃ ĐẮK WIL"


def test_place_spelling_against_the_list_of_units() -> None:
    from ocr.metadata import place_spelling

    assert place_spelling("NGỌC HỒI") == "exact" and place_spelling("Ea H’leo") == "exact"
    assert place_spelling("Ia H'Drai") == "exact"  # the list writes "Ia H' Drai"
    assert place_spelling("ĐÁK WIL") == "variant" and place_spelling("Đák Nông") == "variant"
    assert place_spelling("QUẢNG KRIỆ") is None


def test_place_letters_i_and_l_restored_from_the_agency_block() -> None:
    page = PAGE.replace("TỈNH ĐẮK NÔNG", "HUYỆN ĐẮK MIL").replace("Đắk Nông, ngày", "Đắk MII, ngày")
    res = extract_fields_from_text([page])
    assert res.value("dia_danh") == "Đắk Mil"
    assert res.value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL"


def test_place_cut_from_a_longer_name_is_not_the_place() -> None:
    page = PAGE.replace("Đắk Nông, ngày", "(Ca Jút, ngày") + "\nhuyện Cư Jút\nxã Nam Dong, huyện Cư Jút"
    assert extract_fields_from_text([page]).value("dia_danh") is None


def test_agency_whose_own_line_was_lost_is_not_filed() -> None:
    # Only a parent line is abbreviated "UBND …": alone, the issuing agency's line was lost.
    page = PAGE.replace("ỦY BAN NHÂN DÂN\nTỈNH ĐẮK NÔNG", "UBND TỈNH ĐẮK NÔNG")
    assert extract_fields_from_text([page]).value("co_quan_ban_hanh") is None
    # A name ending on its hyphen lost its last line.
    cut = PAGE.replace("ỦY BAN NHÂN DÂN\nTỈNH ĐẮK NÔNG", "UBND HUYỆN CƯ JÚT\nPHÒNG TÀI CHÍNH -")
    assert extract_fields_from_text([cut]).value("co_quan_ban_hanh") is None
    whole = PAGE.replace("ỦY BAN NHÂN DÂN\nTỈNH ĐẮK NÔNG", "UBND HUYỆN CƯ JÚT\nPHÒNG TÀI CHÍNH -\nKẾ HOẠCH")
    res = extract_fields_from_text([whole.replace("392/KH-UBND", "392/KH-TCKH")])
    assert res.value("co_quan_ban_hanh") == "PHÒNG TÀI CHÍNH - KẾ HOẠCH"
    assert res.value("co_quan_chu_quan") == "UBND HUYỆN CƯ JÚT"
    # A Phòng always prints its parent above it: without that line the parent is unknown, not "".
    orphan = extract_fields_from_text([whole.replace("UBND HUYỆN CƯ JÚT\n", "")])
    assert orphan.value("co_quan_ban_hanh") == "PHÒNG TÀI CHÍNH - KẾ HOẠCH"
    assert orphan.value("co_quan_chu_quan") is None


def test_text_layer_digits_are_never_handwritten() -> None:
    # An e-office system stamps the number and day in a smaller font: in the image that is how a
    # handwritten number looks, in a text layer it is typed characters.
    rows = _header_rows([("392", 190, 80, 100), ("/KH-UBND", 330, 200, 100)])
    page = _page_from_rows(rows)
    words = tuple(
        OcrWord(w.text, w.left, w.top - 15, w.width, 70, w.confidence, w.block, w.paragraph, w.line)
        if w.text == "392"
        else w
        for w in page.words
    )
    scanned = OcrPage(0, 2400, 3400, 300, words, page.text, 90)
    assert extract_fields([scanned]).fields["so_ky_hieu"].handwritten
    layer = OcrPage(0, 2400, 3400, 300, words, page.text, 100, source="text_layer")
    res = extract_fields([layer])
    assert res.value("so_ky_hieu") == "392/KH-UBND" and not res.fields["so_ky_hieu"].handwritten
    assert res.fields["so_ky_hieu"].source == "text_layer"


def test_type_name_keeps_no_speck() -> None:
    from ocr.metadata import _match_type

    assert _match_type("GIẤY CHỨNG NHẬN ˆ") == "GIẤY CHỨNG NHẬN"
    assert _match_type("GIẤY PHÉP LÁI XE") == "GIẤY PHÉP LÁI XE"


def test_subject_word_misread_takes_the_spelling_the_body_repeats() -> None:
    # "biện trạng" in the subject, "hiện trạng" twice in the body (same neighbours): the body wins.
    page = PAGE.replace(
        "KẾ HOẠCH\nThực hiện Quyết định số 468/QĐ-TTg\n",
        "KẾ HOẠCH\nKiểm kê đất đai, lập bản đồ biện trạng sử dụng đất năm 2024\n\n"
        "Lập bản đồ hiện trạng sử dụng đất cấp xã; bản đồ hiện trạng sử dụng đất cấp huyện.\n",
    )
    assert extract_fields_from_text([page]).value("trich_yeu") == (
        "Kiểm kê đất đai, lập bản đồ hiện trạng sử dụng đất năm 2024"
    )
    # A word the body uses once with other neighbours is no evidence: the subject stays as read.
    other = page.replace("bản đồ hiện trạng sử dụng đất cấp xã; bản đồ hiện trạng", "hiện nay; bản đồ")
    assert "biện trạng" in extract_fields_from_text([other]).value("trich_yeu")


def test_subject_place_name_i_read_as_l_and_admin_phrase_marks() -> None:
    page = PAGE.replace(
        "KẾ HOẠCH\nThực hiện Quyết định số 468/QĐ-TTg\n",
        "KẾ HOẠCH\nVề việc để nghị hỗ trợ xã la Hlốp chuấn bị năm học mới\n\n",
    )
    assert extract_fields_from_text([page]).value("trich_yeu") == (
        "Về việc đề nghị hỗ trợ xã Ia Hlốp chuẩn bị năm học mới"
    )


def test_subject_received_stamp_in_the_margin_is_cut_off() -> None:
    # A "CV ĐẾN" stamp beside the subject is read into its first line.
    page = PAGE.replace(
        "KẾ HOẠCH\nThực hiện Quyết định số 468/QĐ-TTg\n",
        "KẾ HOẠCH\nBẢO &-TÍM 0.NG ÃIj Về việc tăng cường công tác thi hành án\n\n",
    )
    assert extract_fields_from_text([page]).value("trich_yeu") == "Về việc tăng cường công tác thi hành án"
    # Real words before "Về" are not cut (and a "Về việc" inside the subject holds it back).
    kept = extract_fields_from_text([page.replace("BẢO &-TÍM 0.NG ÃIj Về việc", "Kết luận Về việc")])
    assert kept.value("trich_yeu") is None and kept.candidates["trich_yeu"].startswith("Kết luận")


def _cv_page(rows_after_vv: list[Row]) -> OcrPage:
    rows: list[Row] = [
        [("ỦY", 100, 60, 96), ("BAN", 170, 90, 96), ("NHÂN", 270, 110, 96), ("DÂN", 390, 90, 96)],
        [("TỈNH", 100, 90, 96), ("ĐẮK", 200, 90, 96), ("NÔNG", 300, 110, 96)],
        [("Số:", 100, 70, 96), ("12/UBND-KT", 180, 240, 96)],
        [("V/v", 100, 60, 96), ("bố", 170, 40, 96), ("trí", 220, 60, 96), ("vốn", 290, 70, 96)]
        + [("thực", 370, 80, 96), ("hiện", 460, 80, 96), ("công", 550, 80, 96), ("trình", 640, 90, 96)],
        *rows_after_vv,
        [("Kính", 900, 80, 96), ("gửi:", 990, 80, 96), ("Sở", 1080, 50, 96), ("Tài", 1140, 60, 96)],
    ]
    return _page_from_rows(rows)


def test_cong_van_subject_line_out_of_the_block_is_not_joined() -> None:
    # The V/v block is centred (or flush left); a wrapped line far off its axis means words were lost.
    centred = _cv_page(
        [[("trường", 250, 110, 96), ("học", 370, 70, 96), ("xã", 450, 40, 96), ("Ea", 500, 40, 96)]]
    )
    assert (
        extract_fields([centred]).value("trich_yeu") == "V/v bố trí vốn thực hiện công trình trường học xã Ea"
    )
    off_axis = _cv_page(
        [[("trường", 600, 110, 96), ("học", 720, 70, 96), ("xã", 800, 40, 96), ("Ea", 850, 40, 96)]]
    )
    res = extract_fields([off_axis])
    assert res.value("trich_yeu") is None
    assert res.value("loai_van_ban") == "CÔNG VĂN"


SIGNER_TAIL = """Nơi nhận:
- Như trên;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
"Lê Văn Hùng
tà
vã
Ỳ
đà"""


def test_signer_found_above_seal_specks_and_name_quote_dropped() -> None:
    page = PAGE[: PAGE.index("Nơi nhận:")] + SIGNER_TAIL + "\n" + "\n".join(["x ;", "Ỷ"] * 8)
    res = extract_fields_from_text([page])
    assert res.value("nguoi_ky") == "Lê Văn Hùng"
    assert res.value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"


def test_garbled_title_line_leaves_the_office_empty() -> None:
    # "KT. CHỦ TỊCH" read with junk and "PHÓ" lost: "CHỦ TỊCH" alone would name the wrong office.
    page = PAGE.replace("KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n", "u HUy£ T, CHỦ TỊCH\nCHỦ TICH\n")
    res = extract_fields_from_text([page])
    assert res.value("chuc_vu_nguoi_ky") is None
    assert res.value("nguoi_ky") == "Trần Xuân Hải"
    # Specks glued to a title line's start do not hide it.
    specks = PAGE.replace("KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n", '"KT. CHỦ TỊCH\nˆ PHÓ CHỦ TỊCH\n')
    assert extract_fields_from_text([specks]).value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"


def test_office_confidence_ignores_a_speck_on_its_line() -> None:
    rows: list[Row] = [
        [("ỦY", 100, 60, 96), ("BAN", 170, 90, 96), ("NHÂN", 270, 110, 96), ("DÂN", 390, 90, 96)],
        [("TỈNH", 100, 90, 96), ("ĐẮK", 200, 90, 96), ("NÔNG", 300, 110, 96)],
        [("Nơi", 100, 60, 96), ("nhận:", 170, 90, 96), ("KT.", 1400, 60, 95), ("GIÁM", 1470, 100, 95)]
        + [("ĐỐC", 1580, 80, 95)],
        [("-", 100, 20, 90), ("Lưu:", 130, 70, 93), ("VT.", 210, 60, 92), ("ˆ", 1300, 20, 19)]
        + [("PHÓ", 1400, 80, 92), ("GIÁM", 1490, 100, 94), ("ĐỐC", 1600, 80, 95)],
        [("Phan", 1420, 90, 96), ("Văn", 1520, 70, 96), ("Việt", 1600, 80, 96)],
    ]
    res = extract_fields([_page_from_rows(rows)])
    assert res.value("chuc_vu_nguoi_ky") == "PHÓ GIÁM ĐỐC"
    assert res.fields["chuc_vu_nguoi_ky"].confidence > 0.9


def test_speck_lost_so_mark_still_reads_the_number_and_its_type() -> None:
    page = PAGE.replace("Số: 392/KH-UBND", "s 392/KH-UBND").replace("KẾ HOẠCH\n", "K# H@\n")
    res = extract_fields_from_text([page])
    assert res.value("so_ky_hieu") == "392/KH-UBND"
    assert res.value("loai_van_ban") == "KẾ HOẠCH"  # named by the ký hiệu's type part
    body = PAGE.replace("Số: 392/KH-UBND", "s ông 392/KH-UBND")
    assert extract_fields_from_text([body]).value("so_ky_hieu") is None


def test_day_set_exactly_like_the_year_is_printed_even_if_read_less_sure() -> None:
    def page(day_top: int, day_height: int) -> OcrPage:
        p = _page_from_rows(_header_rows([("392/KH-UBND", 180, 240, 95)]))
        words = tuple(
            OcrWord(w.text, w.left, w.top + day_top, w.width, day_height, 85, w.block, w.paragraph, w.line)
            if w.text == "02"
            else w
            for w in p.words
        )
        return OcrPage(0, 2400, 3400, 300, words, p.text, 90)

    printed = extract_fields([page(0, 40)])
    assert printed.value("ngay_ban_hanh") == dt.date(2021, 6, 2)
    assert not printed.fields["ngay_ban_hanh"].handwritten
    # Read as unsure and a little off the year's size and baseline: a pen, not type.
    written = extract_fields([page(-6, 46)])
    assert written.fields["ngay_ban_hanh"].handwritten and written.value("ngay_ban_hanh") is None


def test_caps_place_without_its_apostrophe_takes_the_unit_spelling_the_text_prints() -> None:
    page = PAGE.replace("TỈNH ĐẮK NÔNG\n", "HUYỆN EA HLEO\n").replace("Đắk Nông, ngày", "Ea, ngày")
    page += "\nChủ tịch UBND huyện Ea H'leo chỉ đạo."
    res = extract_fields_from_text([page])
    assert res.value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN HUYỆN EA H'LEO"
    # Without the mixed-case reading the list alone does not rewrite what was read.
    alone = extract_fields_from_text([page.replace("huyện Ea H'leo", "huyện")])
    assert alone.value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN HUYỆN EA HLEO"


def test_date_line_place_one_letter_off_the_agency_place() -> None:
    page = PAGE.replace("TỈNH ĐẮK NÔNG", "TỈNH CAO BẰNG").replace("Đắk Nông, ngày", "Cuo Bằng, ngày")
    assert extract_fields_from_text([page]).value("dia_danh") == "Cao Bằng"
    far = page.replace("Cuo Bằng, ngày", "Cun Bằng, ngày")  # two letters off: not trusted
    assert extract_fields_from_text([far]).value("dia_danh") is None


def _signer_rows(office: Row, name: Row) -> list[Row]:
    return [
        [("ỦY", 100, 60, 96), ("BAN", 170, 90, 96), ("NHÂN", 270, 110, 96), ("DÂN", 390, 90, 96)],
        [("TỈNH", 100, 90, 96), ("ĐẮK", 200, 90, 96), ("NÔNG", 300, 110, 96)],
        [("Nơi", 100, 60, 96), ("nhận:", 170, 90, 96), ("TM.", 1350, 60, 95), ("ỦY", 1420, 50, 95)]
        + [("BAN", 1480, 80, 95), ("NHÂN", 1570, 100, 95), ("DÂN", 1680, 80, 95)],
        [("-", 100, 20, 90), ("Lưu:", 130, 70, 93), ("VT.", 210, 60, 92), *office],
        name,
    ]


def test_office_read_under_the_seal_is_trusted_only_on_the_block_axis() -> None:
    name: Row = [("Lê", 1420, 50, 96), ("Văn", 1480, 80, 96), ("Hùng", 1570, 100, 96)]  # centre 1545
    # "CHỦ TỊCH" centred like the name, its first word misread with low confidence: complete.
    centred: Row = [("CHỪ", 1455, 80, 31), ("TỊCH", 1545, 90, 95)]  # centre 1545
    res = extract_fields([_page_from_rows(_signer_rows(centred, name))])
    assert res.value("chuc_vu_nguoi_ky") == "CHỦ TỊCH"
    assert res.value("nguoi_ky") == "Lê Văn Hùng"
    # The same words two line heights right of the axis: "PHÓ" (and "KT." line?) lost under the seal.
    shifted: Row = [("CHỦ", 1535, 80, 95), ("TỊCH", 1625, 90, 95)]
    res = extract_fields([_page_from_rows(_signer_rows(shifted, name))])
    assert res.value("chuc_vu_nguoi_ky") is None
    assert res.value("nguoi_ky") == "Lê Văn Hùng"


def test_authority_prefix_behind_specks_is_still_an_authority() -> None:
    page = PAGE.replace("KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n", "F _x KT CHỦ TỊCH\nPHO CHỦ TỊCH\n")
    res = extract_fields_from_text([page])
    assert res.value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"


def test_speck_on_the_year_does_not_make_a_printed_day_handwritten() -> None:
    p = _page_from_rows(_header_rows([("392/KH-UBND", 180, 240, 95)]))
    words = tuple(
        OcrWord(w.text, w.left, w.top, w.width, 62, w.confidence, w.block, w.paragraph, w.line)
        if w.text == "2021"
        else w
        for w in p.words
    )  # the year's box reaches a speck under it; the day sits exactly like the printed "năm"
    res = extract_fields([OcrPage(0, 2400, 3400, 300, words, p.text, 90)])
    assert not res.fields["ngay_ban_hanh"].handwritten
    assert res.value("ngay_ban_hanh") == dt.date(2021, 6, 2)


def test_date_line_place_misread_is_taken_from_the_parent_line_of_a_department() -> None:
    page = PAGE.replace("ỦY BAN NHÂN DÂN\nTỈNH ĐẮK NÔNG", "UBND TỈNH ĐẮK NÔNG\nSỞ TƯ PHÁP")
    page = page.replace("Đắk Nông, ngày", "Đák Nông, ngày").replace("392/KH-UBND", "392/KH-STP")
    res = extract_fields_from_text([page])
    assert res.value("dia_danh") == "Đắk Nông"
    assert res.value("co_quan_ban_hanh") == "SỞ TƯ PHÁP"
    assert res.value("co_quan_chu_quan") == "UBND TỈNH ĐẮK NÔNG"


def test_speck_between_type_name_and_subject_is_skipped() -> None:
    rows: list[Row] = [
        [("ỦY", 100, 60, 96), ("BAN", 170, 90, 96), ("NHÂN", 270, 110, 96), ("DÂN", 390, 90, 96)],
        [("HUYỆN", 100, 120, 96), ("ĐỨC", 230, 90, 96), ("TRỌNG", 330, 130, 96)],
        [("Số:", 100, 70, 96), ("12/GCN-UBND", 180, 260, 96)],
        [("GIẤY", 900, 100, 90), ("CHỨNG", 1010, 140, 90), ("NHẬN", 1160, 110, 90)],
        [('"', 700, 10, 70)],
        [("Đăng", 930, 90, 90), ("ky", 1030, 40, 88), ("hộ", 1080, 40, 95), ("kinh", 1130, 70, 95)]
        + [("doanh", 1210, 100, 95)],
        [("Mã", 300, 50, 95), ("số", 360, 40, 95), ("hộ", 410, 40, 95), ("kinh", 460, 70, 95)]
        + [("doanh:", 540, 100, 95), ("67H8003181", 650, 200, 95)],
    ]
    assert extract_fields([_page_from_rows(rows)]).value("trich_yeu") == "Đăng ký hộ kinh doanh"


def test_speck_before_so_is_neither_the_reference_word_nor_a_break_in_the_number() -> None:
    from ocr.metadata import _parse_so

    assert _parse_so("Số:*1405/QĐ-UBND") == ("1405/QĐ-UBND", "")
    # A speck read as "-Ổ" before "Số:" must not serve as the printed height the number is held to.
    rows = _header_rows([("392/KH-UBND", 180, 240, 45)])
    rows[2] = [("-Ổ", 40, 20, 16), *rows[2]]
    page = _page_from_rows(rows)
    words = tuple(
        OcrWord(w.text, w.left, w.top + 30, w.width, 8, w.confidence, w.block, w.paragraph, w.line)
        if w.text == "-Ổ"
        else w
        for w in page.words
    )
    res = extract_fields([OcrPage(0, 2400, 3400, 300, words, page.text, 90)])
    assert res.value("so_ky_hieu") == "392/KH-UBND"


def test_agency_block_skips_cut_motto_pieces_and_speck_lines() -> None:
    page = PAGE.replace(
        "ỦY BAN NHÂN DÂN\nTỈNH ĐẮK NÔNG\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n",
        "ỦY BAN NHÂN DÂN\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA\nTỈNH ĐẮK NÔNG\no - Hạnh phúc\n",
    )
    assert extract_fields_from_text([page]).value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG"
    speck = PAGE.replace("ỦY BAN NHÂN DÂN\nTỈNH ĐẮK NÔNG", "ỦY BAN NHÂN DÂN\n: *\nTỈNH ĐẮK NÔNG")
    assert extract_fields_from_text([speck]).value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG"
    # The last line of a department's name is not a piece of the motto.
    from ocr.metadata import _motto_piece

    assert not _motto_piece("XÃ HỘI") and _motto_piece("HỦ NGHĨA VIỆT NAM")


def test_subject_label_with_a_misread_mark_is_still_a_label() -> None:
    page = PAGE.replace("KẾ HOẠCH\n", "KẾ HOẠCH\nVẻ việc : Giao quyền sử dụng đất ở dân cư\n\n")
    assert extract_fields_from_text([page]).value("trich_yeu") == "Giao quyền sử dụng đất ở dân cư"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GIẤY XÁC NHẬ", "GIẤY XÁC NHẬN"),  # last letter lost
        ("-GIAY XÁC NHẠN", "GIẤY XÁC NHẬN"),  # a speck glued on, marks misread
        ("THÔNG BÁ", "THÔNG BÁO"),
        ("THÔNG CÁO", "THÔNG CÁO"),
        ("THÔNG", None),  # too little left to name one type
    ],
)
def test_type_name_read_with_a_lost_letter_or_a_speck(line: str, expected: str | None) -> None:
    from ocr.metadata import _match_type

    assert _match_type(line) == expected


def test_cong_van_whose_vv_was_misread() -> None:
    typed = "KẾ HOẠCH\nThực hiện Quyết định số 468/QĐ-TTg"
    page = PAGE.replace("392/KH-UBND", "392/UBND-VP").replace(typed, "V/% triển khai Quyết định 468/QĐ-TTg")
    assert extract_fields_from_text([page]).value("loai_van_ban") == "CÔNG VĂN"


def test_date_whose_ngay_took_a_speck_mark() -> None:
    page = PAGE.replace("Đắk Nông, ngày 02", "Đắk Nông, ngàÿ 02")
    assert extract_fields_from_text([page]).value("ngay_ban_hanh") == dt.date(2021, 6, 2)


def test_e_gazette_stamp_at_the_top_right_is_not_part_of_the_agency() -> None:
    stamp = [
        [("TRUNG", 1800, 120, 90), ("TÂM", 1930, 90, 96), ("CÔNG", 2030, 110, 96), ("BÁO", 2150, 90, 96)],
        [("VÀ", 1850, 60, 93), ("TIN", 1920, 70, 96), ("HỌC", 2000, 90, 96)],
        [("2", 1780, 20, 54), ("+07:00", 1865, 120, 66)],
    ]
    rows = [*stamp, *_header_rows([("392/KH-UBND", 180, 240, 95)])]
    res = extract_fields([_page_from_rows(rows)])
    assert res.value("co_quan_ban_hanh") == "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG"


def test_signature_strokes_read_as_letters_are_no_name() -> None:
    page = PAGE.replace("Trần Xuân Hải", "Smsmff Lam")
    assert extract_fields_from_text([page]).value("nguoi_ky") is None
    ede = PAGE.replace("Trần Xuân Hải", "Y Ngông Êban")
    assert extract_fields_from_text([ede]).value("nguoi_ky") == "Y Ngông Êban"


def test_department_names_come_from_their_closed_list() -> None:
    from ocr.metadata import _canonical_kind

    assert _canonical_kind("SỞ-TƯ PHÁP") == "SỞ TƯ PHÁP"  # hyphen glued on by a speck
    assert _canonical_kind("PHÒNG TÀI CHÍNH KẾ HOẠCH") == "PHÒNG TÀI CHÍNH - KẾ HOẠCH"
    assert _canonical_kind("SƠ VĂN HOÁ THỂ THAO VÀ DU LỊCH") == "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"
    assert _canonical_kind("PHÒNG TÀI CHÍNH -") == "PHÒNG TÀI CHÍNH -"  # cut: left to fail as such
    assert _canonical_kind("TRUNG TÂM Y TẾ") == "TRUNG TÂM Y TẾ"


def test_department_that_starts_a_longer_name_needs_its_code_in_the_notation() -> None:
    # "PHÒNG TÀI CHÍNH" may be "PHÒNG TÀI CHÍNH - / KẾ HOẠCH" with its second line lost: the
    # ký hiệu's TCKH says so; a Sở Tài chính's own STC confirms it.
    base = PAGE.replace("ỦY BAN NHÂN DÂN\nTỈNH ĐẮK NÔNG", "UBND HUYỆN CƯ JÚT\nPHÒNG TÀI CHÍNH")
    rows = _header_rows([("392/KH-TCKH", 180, 240, 95)])
    rows[0] = [("UBND", 100, 90, 96), ("HUYỆN", 200, 120, 96), ("CƯ", 330, 50, 96), ("JÚT", 390, 70, 96)]
    rows[1] = [("PHÒNG", 100, 130, 96), ("TÀI", 240, 70, 96), ("CHÍNH", 320, 120, 96)]
    rows[3] = [("Cư", 1200, 50, 96), ("Jút,", 1260, 80, 96), *rows[3][2:]]
    cut = extract_fields([_page_from_rows(rows)])
    assert cut.value("co_quan_ban_hanh") is None and cut.candidates["co_quan_ban_hanh"] == "PHÒNG TÀI CHÍNH"
    assert extract_fields_from_text([base]).value("co_quan_ban_hanh") == "PHÒNG TÀI CHÍNH"  # a text is exact
    rows[2] = [("Số:", 100, 70, 96), ("392/KH-PTC", 180, 240, 95)]
    assert extract_fields([_page_from_rows(rows)]).value("co_quan_ban_hanh") == "PHÒNG TÀI CHÍNH"


def test_so_label_misread_whole_before_its_colon() -> None:
    from ocr.metadata import _parse_so

    assert _parse_so("ĐÓ: 18/XNTTHN") == ("18/XNTTHN", "")
    assert _parse_so("Mã: 12/QĐ-UBND") is None  # another label, not "Số"
    assert _parse_so("Điều 1: 12/QĐ-UBND") is None


def test_caps_words_like_an_office_in_the_body_are_no_garbled_title() -> None:
    # A shop name "… TRƯỜNG SƠN" reads like "TRƯỞNG BAN" but lies in the body, not the signer block.
    page = PAGE.replace(
        "Nơi nhận:\n- Văn phòng Chính phủ;\n- Lưu: VT, KSTT.\nTM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n",
        "1. Tên hộ kinh doanh: TIỆM VÀNG BẠC TRƯỜNG SƠN\n2. Vốn kinh doanh: 133.000.000 đồng\n"
        "3. Số lượng lao động: 05 người\nTRƯỞNG PHÒNG\n",
    )
    assert extract_fields_from_text([page]).value("chuc_vu_nguoi_ky") == "TRƯỞNG PHÒNG"


def test_unreadable_printed_number_is_not_called_handwritten() -> None:
    glued = extract_fields_from_text([PAGE.replace("Số: 392/KH-UBND", "Số: 39Ô/KH-UBND")])
    assert glued.value("so_ky_hieu") is None and not glued.fields["so_ky_hieu"].handwritten
    assert "so_ky_hieu: not found" in glued.review_reasons
    blank = extract_fields_from_text([PAGE.replace("Số: 392/KH-UBND", "Số: 4† /KH-UBND")])
    assert blank.fields["so_ky_hieu"].handwritten and "so_ky_hieu: handwritten" in blank.review_reasons


def test_doubled_letter_of_the_type_code_undone_where_the_type_name_agrees() -> None:
    from ocr.fields import _undouble

    assert _undouble("76/QĐĐ-UBND", "QUYẾT ĐỊNH") == "76/QĐ-UBND"
    assert _undouble("157/QĐĐ-NĐ-UB", "QUYẾT ĐỊNH") == "157/QĐ-NĐ-UB"
    assert _undouble("76/QĐĐ-UBND", "KẾ HOẠCH") == "76/QĐĐ-UBND"  # the page says otherwise
    assert _undouble("24/TTr-UBND", "TỜ TRÌNH") == "24/TTr-UBND"  # TTr is a code of its own
    res = extract_fields([_page_from_rows(_header_rows([("392/KKH-UBND", 180, 240, 60)]))])
    assert res.value("so_ky_hieu") == "392/KH-UBND"


@pytest.mark.parametrize(
    "subject",
    [
        "vạ việc đăng ký hoạt động của Văn phòng công chứng",  # lower-case start
        "V/v xác nhận nguön gốc, thời điểm sử dụng đất",  # a letter Vietnamese has not
        "TÌNH TRẠNG HÔÑ NHÂN",  # a tone mark on a consonant
        "TÌNH TRẠNG HÔỸ NHÂN",  # the tone off the vowel with a circumflex
        "Về việc cho Công ty Tây NguyertXanh thuê đất",  # a capital inside a word
        "V/v xác nhận nguồn*gốc, thời điểm sử dụng đất",  # junk inside a word
        "Jnn TRẠNG HÔN NHÂN",  # no vowel
    ],
)
def test_subject_with_a_reading_no_printed_one_has_is_held_back(subject: str) -> None:
    page = PAGE.replace("KẾ HOẠCH\nThực hiện Quyết định số 468/QĐ-TTg\n", f"KẾ HOẠCH\n{subject}\n\n")
    res = extract_fields_from_text([page])
    assert res.value("trich_yeu") is None and res.candidates.get("trich_yeu")


def test_subject_continues_after_a_weak_opener_on_its_axis_and_caps_case_restored() -> None:
    rows: list[Row] = [
        [("ỦY", 100, 60, 96), ("BAN", 170, 90, 96), ("NHÂN", 270, 110, 96), ("DÂN", 390, 90, 96)],
        [("TỈNH", 100, 90, 96), ("ĐẮK", 200, 90, 96), ("NÔNG", 300, 110, 96)],
        [("Số:", 100, 70, 96), ("12/QĐ-UBND", 180, 240, 96)],
        [("QUYẾT", 1000, 130, 95), ("ĐỊNH", 1140, 110, 95)],
        [("Về", 700, 50, 95), ("việc", 760, 70, 95), ("cho", 840, 60, 95), ("Công", 910, 90, 95)]
        + [("ty", 1010, 40, 95), ("thuê", 1060, 80, 95), ("đất", 1150, 60, 95), ("nông", 1220, 90, 95)]
        + [("nghiệp", 1320, 120, 95), ("rộng", 1450, 80, 95), ("lớn", 1540, 60, 95)],  # centre 1120
        [("để", 800, 40, 95), ("thực", 850, 80, 95), ("hiện", 940, 80, 95), ("dự", 1030, 40, 95)]
        + [("án", 1080, 40, 95), ("Nhà", 1130, 70, 95), ("máy", 1210, 80, 95), ("sơ", 1300, 40, 95)]
        + [("chế", 1350, 60, 95), ("nông", 1420, 20, 95)],  # centre 1120
        [("Căn", 300, 70, 95), ("cứ", 380, 40, 95), ("Luật", 430, 80, 95), ("Tổ", 520, 40, 95)],
    ]
    page = _page_from_rows(rows)
    # The body ("Căn cứ …") is a paragraph of its own.
    words = [w if w.line < 6 else dataclasses.replace(w, paragraph=2) for w in page.words]
    page = dataclasses.replace(page, words=tuple(words))
    assert extract_fields([page]).value("trich_yeu") == (
        "Về việc cho Công ty thuê đất nông nghiệp rộng lớn để thực hiện dự án Nhà máy sơ chế nông"
    )
    caps = PAGE.replace("KẾ HOẠCH\nThực hiện Quyết định số 468/QĐ-TTg\n", "KẾ HOẠCH\nTình TRẠNG HÔN NHÂN\n\n")
    assert extract_fields_from_text([caps]).value("trich_yeu") == "TÌNH TRẠNG HÔN NHÂN"


def test_a_body_paragraph_opening_with_a_capital_dated_ngay_ends_the_subject() -> None:
    """A born-digital notice (text layer, one paragraph): "Ngày 03/01/2025, Phó Chủ tịch …" opens
    the body even on the subject's axis and width; "ngày 15/3/2024 của …" in lower case would
    continue it."""
    subject: Row = [("Kết", 700, 60, 95), ("luận", 770, 80, 95), ("của", 860, 60, 95), ("Phó", 930, 70, 95)]
    subject += [("Chủ", 1010, 70, 95), ("tịch", 1090, 70, 95), ("tại", 1170, 50, 95), ("cuộc", 1230, 80, 95)]
    subject += [("họp", 1320, 70, 95), ("nghe", 1400, 80, 95), ("báo", 1490, 60, 95)]  # centre 1120
    body: Row = [("Ngày", 700, 80, 95), ("03/01/2025,", 790, 190, 95), ("Phó", 990, 70, 95)]
    body += [("Chủ", 1070, 70, 95), ("tịch", 1150, 70, 95), ("chủ", 1230, 60, 95), ("trì", 1300, 50, 95)]
    body += [("họp", 1360, 70, 95), ("nghe", 1440, 80, 95)]  # centre 1110
    rows: list[Row] = [
        [("ỦY", 100, 60, 96), ("BAN", 170, 90, 96), ("NHÂN", 270, 110, 96), ("DÂN", 390, 90, 96)],
        [("TỈNH", 100, 90, 96), ("QUẢNG", 200, 130, 96), ("NGÃI", 340, 100, 96)],
        [("Số:", 100, 70, 96), ("11/TB-UBND", 180, 240, 96)],
        [("THÔNG", 1000, 130, 95), ("BÁO", 1140, 90, 95)],
        subject,
        body,
    ]
    res = extract_fields([_page_from_rows(rows)])
    assert res.value("trich_yeu") == "Kết luận của Phó Chủ tịch tại cuộc họp nghe báo"
    lower = [(t.replace("Ngày", "ngày"), left, width, conf) for t, left, width, conf in body]
    res = extract_fields([_page_from_rows([*rows[:5], lower])])
    assert (res.candidates.get("trich_yeu") or res.value("trich_yeu") or "").endswith(
        "ngày 03/01/2025, Phó Chủ tịch chủ trì họp nghe"
    )


def test_name_pieces_joined_and_a_name_off_the_block_axis_held_back() -> None:
    # The block's axis is x 1555 (the "TM. ỦY BAN NHÂN DÂN" row of _signer_rows).
    office: Row = [("PHÓ", 1420, 80, 95), ("CHỦ", 1510, 80, 95), ("TỊCH", 1600, 90, 95)]
    # "Hoàng" and "Văn Quyết" read as two lines side by side: one name, centred on the axis.
    rows = _signer_rows(office, [("Văn", 1520, 70, 96), ("Quyết", 1600, 100, 96)])
    rows.append([("Hoàng", 1410, 100, 96)])
    page = _page_from_rows(rows)
    words = [dataclasses.replace(w, top=w.top - 60) if w.text == "Hoàng" else w for w in page.words]
    res = extract_fields([dataclasses.replace(page, words=tuple(words))])
    assert res.value("nguoi_ky") == "Hoàng Văn Quyết"
    # "Văn Quyết" alone (the surname lost under the signature) sits right of the axis.
    alone: Row = [("Văn", 1520, 70, 96), ("Quyết", 1600, 100, 96)]
    res = extract_fields([_page_from_rows(_signer_rows(office, alone))])
    assert res.value("nguoi_ky") is None


def test_title_after_a_dash_speck_and_unknown_surname_read_unsurely() -> None:
    page = PAGE.replace("PHÓ CHỦ TỊCH\n", "- PHÓ CHỦ TỊCH\n")
    assert extract_fields_from_text([page]).value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"
    name: Row = [("Xũ", 1400, 50, 77), ("Đình", 1460, 80, 86), ("Khánh", 1550, 100, 93)]  # centre 1525
    office: Row = [("CHỦ", 1440, 80, 95), ("TỊCH", 1530, 90, 95)]
    res = extract_fields([_page_from_rows(_signer_rows(office, name))])
    assert res.value("nguoi_ky") is None and res.candidates["nguoi_ky"] == "Xũ Đình Khánh"


def test_date_line_cut_at_a_handwritten_days_blank_still_gives_its_place() -> None:
    # "Quảng Ngãi, ngày 16 tháng 01 năm 2025" with "ngày 16" handwritten and unread: OCR cuts the
    # line at the blank, and the taller "tháng" word puts its piece's middle a little higher.
    rows = _header_rows([("86", 190, 60, 55), ("/QĐ-UBND", 280, 200, 55)])
    rows[0] = [("ỦY", 100, 60, 96), ("BAN", 170, 90, 96), ("NHÂN", 270, 110, 96), ("DÂN", 390, 90, 96)]
    rows[1] = [("TỈNH", 100, 90, 96), ("QUẢNG", 200, 130, 96), ("NGÃI", 340, 100, 96)]
    rows[3] = [("Quảng", 1200, 120, 95), ("Ngãi,", 1330, 110, 93)] + [
        ("tháng", 1750, 120, 96),
        ("01", 1880, 45, 96),
        ("năm", 1935, 90, 96),
        ("2025", 2035, 100, 96),
    ]
    page = _page_from_rows(rows)
    words = tuple(
        dataclasses.replace(w, top=w.top - 4, height=w.height + 6) if w.text == "tháng" else w
        for w in page.words
    )
    res = extract_fields([dataclasses.replace(page, words=words)])
    assert res.value("dia_danh") == "Quảng Ngãi"
    assert res.value("ngay_ban_hanh") is None
    # Without the printed "tháng … năm …" to its right, a lone "Quảng Ngãi," is no date line.
    rows[3] = rows[3][:2]
    assert extract_fields([_page_from_rows(rows)]).value("dia_danh") is None


def test_segments_of_one_row_read_left_to_right() -> None:
    from ocr.metadata import _lines_from_words

    words = (
        OcrWord("Quảng", 1200, 100, 120, 40, 95, 1, 1, 1),
        OcrWord("Ngãi,", 1330, 100, 110, 40, 95, 1, 1, 1),
        OcrWord("tháng", 1750, 92, 120, 50, 95, 1, 1, 1),  # taller: its middle is higher
        OcrWord("01", 1880, 100, 45, 40, 95, 1, 1, 1),
        OcrWord("Căn", 200, 160, 80, 40, 95, 2, 1, 1),
    )
    page = OcrPage(index=0, width=2400, height=3400, dpi=300, words=words, text="", confidence=95)
    assert [ln.text for ln in _lines_from_words(page)] == ["Quảng Ngãi,", "tháng 01", "Căn"]


def test_old_ub_code_agrees_only_on_a_document_issued_before_2005() -> None:
    from ocr.fields import _notation_check

    agency = "ỦY BAN NHÂN DÂN TỈNH CAO BẰNG"
    # 1999: People's Committees signed "…-UB" before NĐ 110/2004.
    assert _notation_check("157/QĐ-NĐ-UB", "QUYẾT ĐỊNH", agency, 1999) == "agree"
    # In 2021 (or with no sure year) a "UB" is a "UBND" that lost two letters: not confirmed.
    assert _notation_check("157/QĐ-NĐ-UB", "QUYẾT ĐỊNH", agency, 2021) == "unknown"
    assert _notation_check("157/QĐ-NĐ-UB", "QUYẾT ĐỊNH", agency) == "unknown"


def test_q_tail_below_the_line_is_no_speck_on_the_notation() -> None:
    # "Số: 157/ QĐ-NĐ-UB" typed in 1999: the Q's tail and the slash make the token 1.24 times the
    # height of "Số:"; read at 66 %, its parts agree with the page (QĐ / QUYẾT ĐỊNH, UB / Ủy ban).
    rows = [
        [("ỦY", 100, 60, 96), ("BAN", 170, 90, 96), ("NHÂN", 270, 110, 96), ("DÂN", 390, 90, 96)],
        [("TỈNH", 100, 90, 96), ("CAO", 200, 80, 96), ("BẰNG", 290, 110, 96)],
        [("Số:", 100, 70, 93), ("157/QĐ-NĐ-UB", 180, 300, 66)],
        [("Cao", 1200, 80, 96), ("Bằng,", 1290, 110, 96), ("ngày", 1410, 90, 96), ("22", 1510, 50, 96)]
        + [("tháng", 1570, 110, 96), ("2", 1690, 25, 96), ("năm", 1725, 80, 96), ("1999", 1815, 90, 96)],
        [("QUYẾT", 1000, 130, 96), ("ĐỊNH", 1140, 100, 96)],
        [("Về", 900, 50, 96), ("việc", 960, 80, 96), ("giao", 1050, 80, 96), ("đất", 1140, 60, 96)],
    ]
    page = _page_from_rows(rows, height=34)
    words = tuple(dataclasses.replace(w, height=42) if w.text.startswith("157/") else w for w in page.words)
    res = extract_fields([dataclasses.replace(page, words=words)])
    assert res.value("ngay_ban_hanh") == dt.date(1999, 2, 22)
    assert res.value("so_ky_hieu") == "157/QĐ-NĐ-UB"
    # The same height without a Q to explain it: something joined the token, held back.
    rows[4] = [("CHỈ", 1000, 80, 96), ("THỊ", 1090, 80, 96)]
    page = _page_from_rows(rows, height=34)
    words = tuple(
        dataclasses.replace(w, text="157/CT-NĐ-UB", height=42) if w.text.startswith("157/") else w
        for w in page.words
    )
    res = extract_fields([dataclasses.replace(page, words=words)])
    assert res.value("so_ky_hieu") is None and res.candidates["so_ky_hieu"] == "157/CT-NĐ-UB"


def test_place_of_a_date_line_whose_day_was_lost_under_the_so_line() -> None:
    # "Thuận An, ngày [18, lost in a speck]" and "tháng 7 năm 2015" read as two lines, the motto
    # not read whole: the place still comes from the line under the Số line.
    rows = _header_rows([("374/QĐ-UBND", 180, 240, 95)])
    rows[1] = [("XÃ", 100, 50, 96), ("THUẬN", 160, 130, 96), ("AN", 300, 50, 96)]
    rows[3] = [("Thuận", 1200, 120, 96), ("An,", 1330, 60, 96), ("ngày", 1400, 90, 96)]
    rows.insert(
        4, [("tháng", 1750, 120, 96), ("7", 1880, 25, 96), ("năm", 1915, 90, 96), ("2015", 2015, 100, 96)]
    )
    res = extract_fields([_page_from_rows(rows)])
    assert res.value("dia_danh") == "Thuận An"
    assert res.value("ngay_ban_hanh") is None


def _tm_rows(fragment: list[tuple[str, int, int, float]], gap_rows: int = 0) -> list[Row]:
    tm = [("TM.", 1000, 66, 95), ("ỦY", 1076, 50, 96), ("BAN", 1136, 74, 96), ("NHÂN", 1220, 104, 96)]
    tm.append(("DÂN", 1334, 76, 96))  # the block's axis: x 1205, 21.6 px a character
    name = [("Nguyễn", 1025, 130, 96), ("Quang", 1165, 110, 96), ("Mạnh", 1285, 100, 96)]
    body = [("Nơi", 200, 60, 96), ("nhận:", 270, 90, 96)]
    return [body, tm, *[[]] * gap_rows, fragment, [], [], [], name]


def test_head_inferred_under_tm_when_the_seal_ate_the_start_of_the_title() -> None:
    # "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH" with "CHỦ" lost under the seal: "TỊCH" ends where the
    # head's title, centred on the block's axis, ends (x 1291).
    res = extract_fields([_page_from_rows(_tm_rows([("TỊCH", 1200, 91, 96)]))])
    assert res.value("chuc_vu_nguoi_ky") == "CHỦ TỊCH"
    # "TM..ỦY": a speck of the seal in the prefix makes that word unsure; the line still places
    # the axis. An unsure TM. line (a word under 60) does not.
    rows = _tm_rows([("TỊCH", 1200, 91, 96)])
    rows[1] = [("TM..ỦY", 1000, 126, 77), *rows[1][2:]]
    assert extract_fields([_page_from_rows(rows)]).value("chuc_vu_nguoi_ky") == "CHỦ TỊCH"
    rows[1] = [("TM..ỦY", 1000, 126, 55), *rows[1][2:]]
    assert extract_fields([_page_from_rows(rows)]).value("chuc_vu_nguoi_ky") is None
    # Ending where "KT. CHỦ TỊCH" would (x 1334): a deputy signs, whose title line was lost.
    res = extract_fields([_page_from_rows(_tm_rows([("TỊCH", 1243, 91, 96)]))])
    assert res.value("chuc_vu_nguoi_ky") is None
    # Two lines under the TM. line: a line between them ("KT. CHỦ TỊCH") was lost.
    res = extract_fields([_page_from_rows(_tm_rows([("TỊCH", 1200, 91, 96)], gap_rows=1))])
    assert res.value("chuc_vu_nguoi_ky") is None
    # An authority line read under the fragment: the chain is longer than TM. + head.
    rows = _tm_rows([("TỊCH", 1200, 91, 96)])
    rows[3] = [("KT.", 1080, 60, 90), ("CHỦ", 1150, 80, 90), ("TỊCH", 1240, 91, 90)]
    assert extract_fields([_page_from_rows(rows)]).value("chuc_vu_nguoi_ky") is None


def test_deputy_inferred_under_tm_when_the_seal_ate_both_prefixes() -> None:
    # "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH" read as "CHỦ TỊCH" twice: each line
    # ends where the 12-character line, centred on the axis (x 1205), ends (x 1335).
    kt = [("CHỦ", 1160, 80, 95), ("TỊCH", 1250, 84, 95)]
    pho = [("CHỦ", 1162, 80, 95), ("TỊCH", 1252, 84, 90)]
    rows = _tm_rows(kt)
    rows.insert(3, pho)
    assert extract_fields([_page_from_rows(rows)]).value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"
    # The second line ending where "CHỦ TỊCH" alone would (x 1291): not the deputy's chain.
    rows[3] = [("CHỦ", 1118, 80, 95), ("TỊCH", 1208, 84, 90)]
    assert extract_fields([_page_from_rows(rows)]).value("chuc_vu_nguoi_ky") is None
    # Only one line, ending like "KT. CHỦ TỊCH": the deputy's own line was lost, no office.
    assert extract_fields([_page_from_rows(_tm_rows(kt))]).value("chuc_vu_nguoi_ky") is None
    # A row between the TM. line and the first fragment: the TM. line's geometry does not tell,
    # but two lines in a row ending alike as the head's title are still "KT. X" / "PHÓ X".
    rows = _tm_rows(kt, gap_rows=1)
    rows.insert(4, pho)
    assert extract_fields([_page_from_rows(rows)]).value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"


def test_head_fragment_after_unsure_ring_letters_under_tm() -> None:
    # The seal's ring letters read before "TỊCH" on its row, unsurely: not part of the title.
    junk = [("+92", 1080, 60, 45), ("Ý", 1150, 12, 24), ("TỊCH", 1200, 91, 96)]
    res = extract_fields([_page_from_rows(_tm_rows(junk))])
    assert res.value("chuc_vu_nguoi_ky") == "CHỦ TỊCH"
    # A word read surely before it is a word of the title line: the title is not known.
    sure = [("PHÓ", 1080, 60, 90), ("Ý", 1150, 12, 24), ("TỊCH", 1200, 91, 96)]
    assert extract_fields([_page_from_rows(_tm_rows(sure))]).value("chuc_vu_nguoi_ky") is None


def test_deputy_inferred_from_two_title_lines_ending_alike() -> None:
    # "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH" with their starts under the seal: "T. CHỦ TỊCH" and
    # '"HỦ TỊCH', ending at one place (two lines of one length on one axis).
    body = [("Nơi", 200, 60, 96), ("nhận:", 270, 90, 96)]
    kt = [("T.", 1038, 61, 48), ("CHỦ", 1113, 80, 96), ("TỊCH", 1206, 94, 96)]
    pho = [('"HỦ', 1132, 70, 90), ("TỊCH", 1215, 94, 96)]
    name = [("Lâm", 1036, 74, 96), ("Văn", 1121, 67, 96), ("Phước", 1199, 104, 96)]
    rows = [body, kt, pho, [], [], name]
    assert extract_fields([_page_from_rows(rows)]).value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"
    # The second line ends well before the first: not two lines of one length.
    short = [('"HỦ', 1072, 70, 90), ("TỊCH", 1155, 94, 96)]
    assert (
        extract_fields([_page_from_rows([body, kt, short, [], [], name])]).value("chuc_vu_nguoi_ky") is None
    )
    # A title line follows them: the chain is another one.
    more = [("CHÁNH", 1040, 120, 96), ("VĂN", 1170, 80, 96), ("PHÒNG", 1260, 120, 96)]
    rows = [body, kt, pho, more, [], name]
    assert extract_fields([_page_from_rows(rows)]).value("chuc_vu_nguoi_ky") is None


def test_garbled_title_line_after_a_clean_one_leaves_the_office_unknown() -> None:
    # "TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG" with "TL." and most of the office lost under the seal:
    # "CHỦ TỊCH" is not the last title line, the signer's office is not known.
    page = PAGE.replace("TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n", "CHỦ TỊCH\nNÑ PHÒNG\n")
    assert extract_fields_from_text([page]).value("chuc_vu_nguoi_ky") is None
    # A garbled line above a deputy's title ("TỊCH" of "KT. CHỦ TỊCH") does not change it.
    page = PAGE.replace("KT. CHỦ TỊCH\n", "TỊCH\n")
    assert extract_fields_from_text([page]).value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"


def _office_rows(office: tuple[str, int, int, float]) -> list[list[tuple[str, int, int, float]]]:
    name = [("Bùi", 1000, 70, 96), ("Hồng", 1090, 100, 96), ("Yến", 1210, 80, 96)]  # axis x 1145
    return [[("Nơi", 200, 60, 96), ("nhận:", 270, 90, 96)], [office], [], [], [], name]


def test_office_read_one_letter_off_on_the_axis_is_filed() -> None:
    # "CHƯYỊCH": "CHỦ TỊCH" with one letter and the space lost under the seal's ring, read surely
    # and centred on the name's axis.
    res = extract_fields([_page_from_rows(_office_rows(("CHƯYỊCH", 1055, 180, 84)))])
    assert res.value("chuc_vu_nguoi_ky") == "CHỦ TỊCH"
    # Off the axis (a word of the title may be lost), or unsure: held back.
    res = extract_fields([_page_from_rows(_office_rows(("CHƯYỊCH", 1115, 180, 84)))])
    assert res.value("chuc_vu_nguoi_ky") is None
    res = extract_fields([_page_from_rows(_office_rows(("CHƯYỊCH", 1055, 180, 70)))])
    assert res.value("chuc_vu_nguoi_ky") is None
    # Two letters off: not the office.
    res = extract_fields([_page_from_rows(_office_rows(("CHƯYỊCN", 1055, 180, 84)))])
    assert res.value("chuc_vu_nguoi_ky") is None


def test_agency_code_letter_read_twice_is_undone_where_the_sure_agency_names_the_code() -> None:
    from ocr.fields import _undouble_agency

    agency = "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"
    assert _undouble_agency("01/GM-SVHTTTDL", agency) == "01/GM-SVHTTDL"
    assert _undouble_agency("01/GM-SVHTTDL", agency) == "01/GM-SVHTTDL"  # already the code
    assert _undouble_agency("01/GM-SVHTTTDL", "SỞ TƯ PHÁP") == "01/GM-SVHTTTDL"  # no code to agree
    assert _undouble_agency("01/GM-SVHTDL", agency) == "01/GM-SVHTDL"  # a lost letter is not restored
    rows = [
        [("UBND", 100, 110, 96), ("TỈNH", 220, 90, 96), ("KON", 320, 80, 96), ("TUM", 410, 80, 96)],
        [("SỞ", 100, 50, 96), ("VĂN", 160, 80, 96), ("HÓA,", 250, 90, 96), ("THỂ", 350, 80, 96)]
        + [("THAO", 440, 100, 96), ("VÀ", 550, 50, 96), ("DU", 610, 50, 96), ("LỊCH", 670, 90, 96)],
        [("Số:", 100, 70, 93), ("01/GM-SVHTTTDL", 180, 300, 61)],
        [("Kon", 1200, 80, 96), ("Tum,", 1290, 90, 96), ("ngày", 1390, 90, 96), ("05", 1490, 50, 96)]
        + [("tháng", 1550, 110, 96), ("3", 1670, 25, 96), ("năm", 1705, 80, 96), ("2024", 1795, 90, 96)],
        [("GIẤY", 1000, 100, 96), ("MỜI", 1110, 90, 96)],
        [("Dự", 900, 50, 96), ("hội", 960, 60, 96), ("nghị", 1030, 80, 96), ("tổng", 1120, 80, 96)],
    ]
    res = extract_fields([_page_from_rows(rows)])
    assert res.value("co_quan_ban_hanh") == agency
    assert res.value("so_ky_hieu") == "01/GM-SVHTTDL"


def test_a_lost_signer_name_or_subject_sends_the_document_to_review() -> None:
    # Every administrative document carries its subject and its signer's title and name
    # (NĐ 30/2020, Điều 8): one not found was lost in the reading (a seal over the name),
    # and an archivist must fill it, though the keys of the archive do not need it.
    no_name = extract_fields_from_text([FULL_PAGE.removesuffix("\nTrần Xuân Hải")])
    assert no_name.value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"
    assert no_name.value("nguoi_ky") is None
    assert no_name.needs_review
    assert "nguoi_ky: not found" in no_name.review_reasons
    assert "nguoi_ky" in no_name.review_fields()
    no_subject = extract_fields_from_text([PAGE])
    assert no_subject.value("trich_yeu") is None
    assert no_subject.review_reasons == ("trich_yeu: not found",)


def test_a_form_printed_without_a_subject_is_not_sent_to_review_for_it() -> None:
    intro = FULL_PAGE.replace("Số: 392/KH-UBND", "Số: 15/GGT-UBND").replace(
        "KẾ HOẠCH\nSố hóa kết quả giải quyết thủ tục hành chính\n", "GIẤY GIỚI THIỆU\n"
    )
    res = extract_fields_from_text([intro])
    assert res.value("loai_van_ban") == "GIẤY GIỚI THIỆU"
    assert res.value("trich_yeu") is None
    assert not any(r.startswith("trich_yeu") for r in res.review_reasons)
