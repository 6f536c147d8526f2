"""A trích yếu read in part is held back (ocr.subject_zone; word lists built here, no corpus files):
a wrapped line OCR put in a paragraph of its own right under the subject, a word's ink between two
read words, a speck read as a mark glued to a word. Each leaves a fluent, valid subject that was
filed wrong before."""

from __future__ import annotations

import dataclasses

import numpy as np
from header_words import Row
from header_words import page as _page
from header_words import words as _words

from ocr.fields import extract_fields
from schemas.documents import OcrPage


def _paragraphs(page: OcrPage, paras: dict[int, int]) -> OcrPage:
    """``page`` with the words of row ``i`` put in paragraph ``paras[i]`` (as OCR splits blocks)."""
    words = tuple(dataclasses.replace(w, paragraph=paras.get(w.line, w.paragraph)) for w in page.words)
    return dataclasses.replace(page, words=words)


def _official_letter(subject: list[Row]) -> OcrPage:
    return _page(
        [
            _words("ỦY BAN NHÂN DÂN", 240, 168) + _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 764, 171),
            _words("XÃ ĐẮK LAO", 300, 211) + _words("Độc lập - Tự do - Hạnh phúc", 881, 214),
            _words("Số: 125/UBND-ĐC", 250, 275) + _words("Đắk Lao, ngày 16 tháng 12 năm 2016", 840, 275),
            *subject,
            _words("Kính gửi: Chi nhánh Văn phòng Đăng ký đất đai huyện Đắk Mil", 300, 480),
            _words("Thực hiện Văn bản số 2215/CNVPĐK-ĐK ngày 20/9/2024 của Chi nhánh", 250, 560),
        ]
    )


VV = _words("V/v xác nhận nguồn gốc, thời điểm sử", 140, 320)
VV_TAIL = _words("dụng đất của hộ ông Y Thuôn Êban", 160, 352)


def test_a_wrapped_line_read_as_a_paragraph_of_its_own_holds_the_subject_back() -> None:
    whole = _official_letter([VV, VV_TAIL])
    res = extract_fields([whole])
    assert res.value("trich_yeu") == "V/v xác nhận nguồn gốc, thời điểm sử dụng đất của hộ ông Y Thuôn Êban"
    # OCR put the wrapped line in a paragraph of its own: the subject stops at "sử", and the line
    # right under it (closer than a paragraph gap) is text it left out.
    split = extract_fields([_paragraphs(whole, {4: 2})])
    assert split.value("trich_yeu") is None
    assert split.candidates["trich_yeu"] == "V/v xác nhận nguồn gốc, thời điểm sử"
    assert "trich_yeu" in split.review_fields()


def _decision(subject: list[Row], type_name: str = "QUYẾT ĐỊNH") -> OcrPage:
    return _page(
        [
            _words("ỦY BAN NHÂN DÂN", 308, 168) + _words("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 764, 171),
            _words("HUYỆN ĐẮK MIL", 330, 211) + _words("Độc lập - Tự do - Hạnh phúc", 881, 214),
            _words("Số: 180/QĐ-UBND", 345, 275) + _words("Đắk Mil, ngày 17 tháng 11 năm 2021", 840, 284),
            _words(type_name, 700, 345),
            *subject,
            _words("ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL", 480, 520),
            _words("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;", 311, 590),
        ]
    )


# "Về … cho phép …" with a short word between "Về" and "cho" not read: "Về" ends at 357 and "cho"
# starts 40 px further on (a word space is ~10; 1.3 line heights, under a gap that is suspect by
# its width alone).
LOST_WORD = [
    [("Về", 321, 392, 36, 96.0), *_words("cho phép chuyển mục đích sử dụng đất đối với hộ bà", 397, 392)],
    _words("Nguyễn Thị Hồng Nhung", 660, 434),
]


def test_ink_between_two_words_that_no_word_box_covers_holds_the_subject_back() -> None:
    page = _decision(LOST_WORD)
    paper = np.full((page.height, page.width), 235, np.uint8)
    filed = extract_fields([page], images=[paper])  # a gap on clean paper: nothing was lost
    assert (
        filed.value("trich_yeu")
        == "Về cho phép chuyển mục đích sử dụng đất đối với hộ bà Nguyễn Thị Hồng Nhung"
    )
    inked = paper.copy()
    inked[396:418, 366:389] = 20  # the dropped word's ink in the gap
    res = extract_fields([page], images=[inked])
    assert res.value("trich_yeu") is None
    assert "trich_yeu" in res.review_fields()
    streak = paper.copy()
    streak[:, 372:382] = 40  # a toner streak down the page crosses the gap: no word
    assert extract_fields([page], images=[streak]).value("trich_yeu") is not None


def test_a_mark_glued_to_a_word_or_a_lone_dash_starting_a_line_holds_the_subject_back() -> None:
    subject = [
        _words("Về việc cho phép chuyển mục đích sử dụng đất đối với hộ bà", 321, 392),
        _words("Nguyễn Thị Hồng Nhung", 660, 434),
    ]
    assert extract_fields([_decision(subject)]).value("trich_yeu") is not None
    glued = [_words("Về việc cho phép chuyển mục đích sử dụng -đất đối với hộ bà", 321, 392), subject[1]]
    assert extract_fields([_decision(glued)]).value("trich_yeu") is None
    dash = [subject[0], _words("- Nguyễn Thị Hồng Nhung", 630, 434)]
    assert extract_fields([_decision(dash)]).value("trich_yeu") is None
    quote = [subject[0], _words('"Nguyễn Thị Hồng Nhung', 660, 434)]
    assert extract_fields([_decision(quote)]).value("trich_yeu") is None
    caps = _decision([_words(".TÌNH TRẠNG HÔN NHÂN", 640, 392)], "GIẤY XÁC NHẬN")
    assert extract_fields([caps]).value("trich_yeu") is None
    # A dash between words inside a line ("kinh tế - kỹ thuật") is printed.
    inner = [_words("Về việc phê duyệt Báo cáo kinh tế - kỹ thuật công trình", 340, 392)]
    assert extract_fields([_decision(inner)]).value("trich_yeu") is not None


def test_ink_between_two_pieces_of_a_row_or_past_its_end_holds_the_subject_back() -> None:
    # OCR read the row in two pieces (two lines of the reading) and dropped the word between
    # them: "… của Văn" and "công chứng Gia Nghĩa", a short word lost in a 42 px gap.
    start = (
        max(left + width for _, left, _, width, _ in _words("Về việc đăng ký hoạt động của Văn", 340, 392))
        + 42
    )
    subject = [
        _words("Về việc đăng ký hoạt động của Văn", 340, 392),
        _words("công chứng Gia Nghĩa", start, 392),
    ]
    page = _decision(subject, "THÔNG BÁO")
    paper = np.full((page.height, page.width), 235, np.uint8)
    assert extract_fields([page], images=[paper]).value("trich_yeu") is not None
    end = start - 42
    inked = paper.copy()
    inked[396:418, end + 10 : start - 10] = 20
    assert extract_fields([page], images=[inked]).value("trich_yeu") is None
    # A line's end lost: "Gia" read, "Nghĩa" not, its ink right after the last word box.
    cut = _decision([_words("Về việc đăng ký hoạt động của Văn phòng công chứng Gia", 340, 392)], "THÔNG BÁO")
    last = max(w.left + w.width for w in cut.words if w.top == 392)
    assert extract_fields([cut], images=[paper]).value("trich_yeu") is not None
    inked = paper.copy()
    inked[396:418, last + 14 : last + 14 + 90] = 20
    res = extract_fields([cut], images=[inked])
    assert res.value("trich_yeu") is None
    assert "trich_yeu" in res.review_fields()


def test_a_word_far_off_the_row_or_a_stop_ending_a_wrapped_row_holds_the_subject_back() -> None:
    subject = [
        _words("Về việc cho phép chuyển mục đích sử dụng đất đối với hộ bà", 321, 392),
        _words("Nguyễn Thị Hồng Nhung", 660, 434),
    ]
    page = _decision(subject)
    paper = np.full((page.height, page.width), 235, np.uint8)
    assert extract_fields([page], images=[paper]).value("trich_yeu") is not None
    # A speck read as "s" two line heights right of "Nhung": no typeset row spaces words so.
    end = max(w.left + w.width for w in page.words if w.top == 434)
    speck = _decision([subject[0], [*subject[1], ("s", end + 60, 434, 18, 60.0)]])
    assert extract_fields([speck], images=[paper]).value("trich_yeu") is None
    # A full stop after the lower-case word ending the wrapped row: a speck, not a sentence end.
    dotted = _decision(
        [_words("Về việc cho phép chuyển mục đích sử dụng đất đối với hộ bà.", 321, 392), subject[1]]
    )
    assert extract_fields([dotted], images=[paper]).value("trich_yeu") is None
