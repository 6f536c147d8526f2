"""ocr.signer_zone: the second reading of the signer block under a seal.

Pages are drawn here with Pillow in DejaVu Serif; the seal is a mid-gray ring over the title
lines, as a red seal looks on a gray scan.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from signer_words import body_and_recipients, word

from ocr import signer_zone as sz
from ocr.fields import extract_fields
from schemas.documents import OcrPage, OcrWord

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
W, H = 1654, 2339  # A4 at 200 dpi


_w = word


def _first_pass(with_signer: bool) -> list[OcrWord]:
    """What a page's reading holds: the body, "Nơi nhận" items, and the signer block or not."""
    words = body_and_recipients()
    if with_signer:
        words += [
            _w("CHỦ", 1020, 300, block=2, line=1),  # centred on the name's axis (x 1110)
            _w("TỊCH", 1120, 300, block=2, line=1),
            _w("Trần", 980, 600, block=2, line=2),
            _w("Xuân", 1080, 600, block=2, line=2),
            _w("Hải", 1180, 600, block=2, line=2),
        ]
    else:
        words += [_w("ỳ", 1000, 400, conf=30, block=2, line=1)]
    return words


def test_zone_only_where_a_signer_block_is_missing_or_unsure() -> None:
    zone = sz.signer_zone(_first_pass(False), width=W, height=H, dpi=200)
    assert zone is not None
    x0, y0, x1, y1 = zone
    assert x0 > 0.4 * W and x1 == W and y0 < 300 < y1 <= H
    # A first reading with a sure office and name needs no second one.
    assert sz.signer_zone(_first_pass(True), width=W, height=H, dpi=200) is None
    # A page of body text running to the bottom, no "Nơi nhận", no signer: nothing to re-read.
    body = [_w("Căn", 230, 300 + 60 * i, line=i) for i in range(30)]
    body += [_w("cứ", 1400, 300 + 60 * i, line=i) for i in range(30)]
    assert sz.signer_zone(body, width=W, height=H, dpi=200) is None


def test_merge_replaces_the_zone_but_keeps_sure_lines_and_crossing_items() -> None:
    first = _first_pass(False) + [
        _w("trường", 600, 700, block=1, line=9),  # a "Nơi nhận" item crossing the zone's edge
        _w("Lê", 1000, 800, conf=96, block=3, line=1),  # a surely read line inside the zone
        _w("Văn", 1060, 800, conf=96, block=3, line=1),
    ]
    zone = (700, 250, W, 1200)
    found = [
        OcrWord("PHÓ", 300, 60, 60, 30, 90.0, block=1, paragraph=1, line=1),
        OcrWord("CHỦ", 370, 60, 60, 30, 90.0, block=1, paragraph=1, line=1),
        OcrWord("TỊCH", 440, 60, 60, 30, 90.0, block=1, paragraph=1, line=1),
        OcrWord("xx", 300, 550, 60, 30, 40.0, block=1, paragraph=1, line=2),  # over the sure line
        OcrWord("ng", 0, 450, 40, 30, 60.0, block=1, paragraph=1, line=3),  # cut by the zone edge
    ]
    merged = sz.merge_zone(first, found, zone)
    assert merged is not None
    texts = [w.text for w in merged]
    assert "ỳ" not in texts  # the first pass's speck inside the zone is replaced
    assert {"PHÓ", "CHỦ", "TỊCH", "Lê", "Văn", "trường"} <= set(texts)
    assert "xx" not in texts and "ng" not in texts
    added = [w for w in merged if w.text == "PHÓ"][0]
    assert (added.left, added.top) == (1000, 310) and added.block >= sz.REREAD_BLOCK
    # The page text lists the re-read lines last, after the "Nơi nhận" items.
    assert sz.page_text(merged).splitlines()[-1].startswith("PHÓ CHỦ TỊCH")
    assert sz.merge_zone(first, [], zone) is None


def test_a_sure_lines_tall_boxes_do_not_drop_the_line_they_graze() -> None:
    # The first pass read "CHỦ TỊCH" (of "TL. CHỦ TỊCH") surely, in boxes 50 px tall down to
    # y 380; the re-read has it too, and "CHÁNH VĂN PHÒNG" under it from y 376. That line is no
    # reading of the sure one: it stays (dropped, the head's title was filed for the deputy's).
    first = _first_pass(False) + [
        OcrWord("CHỦ", 1110, 330, 83, 50, 96.0, block=5, paragraph=1, line=1),
        OcrWord("TỊCH", 1203, 336, 96, 44, 96.0, block=5, paragraph=1, line=1),
    ]
    zone = (700, 250, W, 1200)
    found = [
        OcrWord("TL.", 346, 83, 50, 30, 84.0, block=1, paragraph=1, line=1),
        OcrWord("CHỦ", 417, 76, 80, 38, 96.0, block=1, paragraph=1, line=1),
        OcrWord("TỊCH", 510, 83, 90, 32, 96.0, block=1, paragraph=1, line=1),
        OcrWord("CHÁNH", 286, 126, 120, 30, 90.0, block=1, paragraph=1, line=2),
        OcrWord("VĂN", 431, 125, 70, 31, 95.0, block=1, paragraph=1, line=2),
        OcrWord("PHÒNG", 522, 124, 110, 32, 96.0, block=1, paragraph=1, line=2),
    ]
    merged = sz.merge_zone(first, found, zone) or []
    texts = [w.text for w in merged]
    assert texts.count("CHỦ") == 1 and texts.count("TỊCH") == 1  # the sure line, once
    assert {"TL.", "CHÁNH", "VĂN", "PHÒNG"} <= set(texts)


@pytest.mark.skipif(not FONT.exists(), reason="DejaVu Serif font not installed")
def test_signer_lines_under_a_gray_seal_are_read_again() -> None:
    font = ImageFont.truetype(str(FONT), 30)
    bold = ImageFont.truetype(str(FONT), 32)
    img = Image.new("L", (W, H), 255)
    draw = ImageDraw.Draw(img)
    draw.text((230, 200), "Trên đây là báo cáo của Ủy ban nhân dân xã Đắk Ha./.", font=font, fill=0)
    for i, item in enumerate(["Nơi nhận:", "- Như trên;", "- Lưu: VT."]):
        draw.text((230, 300 + 45 * i), item, font=font, fill=0)
    # The signer block is centred on one axis (NĐ 30/2020), here x = 1180.
    for i, title in enumerate(["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]):
        draw.text((1180, 300 + 45 * i), title, font=bold, fill=0, anchor="mt")
    draw.text((1180, 700), "Trần Xuân Hải", font=bold, fill=0, anchor="mt")
    # The seal, stamped over the ink (the darker one shows): a thick mid-gray ring and inner ring
    # across the titles, and gray text inside.
    seal = Image.new("L", (W, H), 255)
    ring = ImageDraw.Draw(seal)
    ring.ellipse((930, 260, 1330, 660), outline=150, width=16)
    ring.ellipse((990, 320, 1270, 600), outline=150, width=6)
    ring.text((1060, 470), "ĐẮK HA", font=font, fill=150)
    image = np.minimum(np.asarray(img), np.asarray(seal))
    first = _first_pass(False)
    words = sz.reread_signer_zone(image, first, dpi=200)
    _assert_signer_read(words)
    # The zone is read on the clipped-stretch image when one is given: here the page image
    # stands for it, and the image handed in shows no signer block at all.
    made = []
    blank = np.asarray(img).copy()
    blank[250:, 900:] = 255
    words = sz.reread_signer_zone(blank, first, dpi=200, clipped=lambda: made.append(1) or image)
    _assert_signer_read(words)
    assert made == [1]
    # A clean first reading needs no zone read again: the clipped image is never made.
    assert sz.reread_signer_zone(image, _first_pass(True), dpi=200, clipped=lambda: made.append(1)) is None
    assert made == [1]


def _assert_signer_read(words: list[OcrWord] | None) -> None:
    assert words is not None
    page = OcrPage(
        index=0, width=W, height=H, dpi=200, words=tuple(words), text=sz.page_text(words), confidence=90
    )
    res = extract_fields([page])
    assert res.value("nguoi_ky") == "Trần Xuân Hải"
    assert res.value("chuc_vu_nguoi_ky") == "PHÓ CHỦ TỊCH"
    assert res.value("tham_quyen_ky") == "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"


def test_ink_level_follows_the_page_print() -> None:
    # Words printed at gray 20 on one page, at gray 130 (faded) on another: the ink level follows.
    dark = np.full((200, 600), 255, np.uint8)
    faded = dark.copy()
    words = []
    for i in range(5):
        dark[20 + 30 * i : 40 + 30 * i, 20:200:3] = 20
        faded[20 + 30 * i : 40 + 30 * i, 20:200:3] = 130
        words.append(OcrWord("chữ", 15, 15 + 30 * i, 190, 28, 95.0, block=1, paragraph=1, line=i))
    assert sz.INK_MIN <= sz.ink_level(dark, words) < 90
    assert sz.ink_level(faded, words) > 150  # a faded page's ink is not thresholded away
    assert sz.ink_level(dark, []) == sz.INK_LEVEL


def _zone_confidences(
    first: list[OcrWord], found: list[OcrWord], zone: tuple[int, int, int, int]
) -> dict[str, float]:
    """The confidence of each word the zone's merged reading gives the signer block."""
    merged = sz.merge_zone(first, found, zone) or []
    return {w.text: w.confidence for w in merged if w.block >= sz.REREAD_BLOCK}


def test_two_readings_that_spell_a_name_differently_make_it_unsure() -> None:
    first = _first_pass(False) + [
        _w("Y", 1000, 700, conf=80, block=3, line=1),
        _w("Niê", 1040, 700, conf=77, block=3, line=1),
        _w("CHỪ", 1000, 400, conf=60, block=3, line=2),
    ]
    zone = (700, 250, W, 1200)
    found = [
        OcrWord("Y", 300, 450, 20, 30, 89.0, block=1, paragraph=1, line=1),
        OcrWord("Niề", 340, 450, 60, 30, 93.0, block=1, paragraph=1, line=1),
        OcrWord("CHỦ", 300, 150, 60, 30, 70.0, block=1, paragraph=1, line=2),
    ]
    merged = _zone_confidences(first, found, zone)
    assert merged["Y"] == 89.0  # both readings agree: the surer one
    assert merged["Niề"] == sz.DISAGREE_CONFIDENCE  # "Niê" / "Niề": neither is sure
    assert merged["CHỦ"] == 70.0  # a caps title word: the office lexicon judges it
    # Where the first reading was no reading ("guyền" at 21: the seal's ring over "Ng"), the
    # second one's confidence stands.
    first = _first_pass(False) + [_w("guyền", 1010, 700, conf=21, block=3, line=1)]
    found = [OcrWord("Nguyễn", 300, 450, 120, 30, 96.0, block=1, paragraph=1, line=1)]
    merged = _zone_confidences(first, found, zone)
    assert merged["Nguyễn"] == 96.0


def test_a_speck_glued_to_a_word_is_no_other_spelling_of_it() -> None:
    # The seal's ring runs through the name's first word: the first reading glued a piece of it
    # to the word ("'Tạ" at 78), the re-read, with the ring gone, spells the same letters at 59.
    first = _first_pass(False) + [
        _w("'Tạ", 990, 700, conf=78, block=3, line=1),
        _w("Thị", 1080, 700, conf=90, block=3, line=1),
        _w("K'Ré", 1180, 700, conf=88, block=3, line=1),
    ]
    zone = (700, 250, W, 1200)
    found = [
        OcrWord("Tạ", 300, 450, 40, 30, 59.0, block=1, paragraph=1, line=1),
        OcrWord("Thi", 380, 450, 60, 30, 92.0, block=1, paragraph=1, line=1),
        OcrWord("K'Rê", 480, 450, 80, 30, 91.0, block=1, paragraph=1, line=1),
    ]
    merged = _zone_confidences(first, found, zone)
    assert merged["Tạ"] == 78.0  # the same letters: the surer reading counts
    assert merged["Thi"] == sz.DISAGREE_CONFIDENCE  # a tone mark apart is another spelling
    assert merged["K'Rê"] == sz.DISAGREE_CONFIDENCE  # so is one inside an apostrophe name


def test_a_first_reading_that_glued_the_words_together_is_no_other_spelling_of_them() -> None:
    # The first pass read "H'Bia Mlô" as one word "HBiaMIô" (space and apostrophe lost, I for l);
    # the re-read spells the two words. The same glyphs joined: neither confirmed nor doubted.
    zone = (700, 250, W, 1200)
    found = [
        OcrWord("H'Bia", 300, 450, 100, 30, 89.0, block=1, paragraph=1, line=1),
        OcrWord("Mlô", 405, 450, 60, 30, 83.0, block=1, paragraph=1, line=1),
    ]
    first = _first_pass(False) + [_w("HBiaMIô", 1000, 700, conf=78, block=3, line=1)]
    assert _zone_confidences(first, found, zone) == {"H'Bia": 89.0, "Mlô": 83.0}
    # Glued but other letters ("HBiaMiô": i is no l) is another spelling, as is a one-word
    # reading of one of them.
    first = _first_pass(False) + [_w("HBiaMiô", 1000, 700, conf=78, block=3, line=1)]
    merged = _zone_confidences(first, found, zone)
    assert merged == {"H'Bia": sz.DISAGREE_CONFIDENCE, "Mlô": sz.DISAGREE_CONFIDENCE}
    first = _first_pass(False) + [_w("HBiaMlô", 1000, 700, conf=78, block=3, line=1)]
    one = [OcrWord("H'Bia", 300, 450, 140, 30, 89.0, block=1, paragraph=1, line=1)]
    assert _zone_confidences(first, one, zone) == {"H'Bia": sz.DISAGREE_CONFIDENCE}


def test_a_stroke_read_before_a_capital_is_no_letter_of_the_word() -> None:
    # The seal's ring right before "H'Bia" read as "I": "IH'Bia" spells the same word.
    assert sz._letters("IH'Bia") == "H'Bia"
    assert sz._letters("lNguyễn,") == "Nguyễn"
    assert sz._letters("IH") == "IH"  # caps: an acronym's letters are its own
    assert sz._letters("Lan") == "Lan"


def test_the_zones_readings_that_spell_a_name_differently_make_it_unsure() -> None:
    # Two ink levels read the zone: one "Vĩnh" at 72 (kept: it also found the office), the other
    # "Vinh" at 76. Neither is sure; words they agree on, and caps title words, stay as read.
    b = sz.REREAD_BLOCK + 1

    def again(text: str, left: int, conf: float) -> OcrWord:
        return OcrWord(text, left, 700, 20 * len(text), 30, conf, block=b, paragraph=1, line=1)

    kept = [
        _w("Trên", 230, 200, line=1),
        again("GIÁM", 1000, 90.0),
        again("Quang", 1100, 96.0),
        again("Vĩnh", 1220, 72.0),
    ]
    other = [again("GLÁM", 1000, 80.0), again("Quang", 1100, 93.0), again("Vinh", 1220, 76.0)]
    checked = {w.text: w.confidence for w in sz._cross_checked(kept, [other])}
    assert checked == {"Trên": 95.0, "GIÁM": 90.0, "Quang": 96.0, "Vĩnh": sz.DISAGREE_CONFIDENCE}
    assert sz._cross_checked(kept, []) == kept
    # A reading with a letter no Vietnamese word has ("Thƒ" at 54) is a failed one, no spelling.
    other = [again("GIÁM", 1000, 80.0), again("Quang", 1100, 93.0), again("Vĩƒh", 1220, 76.0)]
    assert {w.text: w.confidence for w in sz._cross_checked(kept, [other])}["Vĩnh"] == 72.0


def test_readings_of_a_surname_that_differ_only_in_marks_agree_on_it() -> None:
    # "Đỉnh" / "Đinh": both have the letters of the one common surname Đinh, which is what the
    # name is filed with (fields.fix_surname). Only a line's first word is a surname: "Mãi" /
    # "Mai" further on is a given name read two ways, and "Lý" / "Lê" are two surnames.
    b = sz.REREAD_BLOCK + 1

    def again(text: str, left: int, conf: float, line: int = 1) -> OcrWord:
        return OcrWord(
            text, left, 700 + 100 * line, 20 * len(text), 30, conf, block=b, paragraph=1, line=line
        )

    kept = [
        again("Đỉnh", 1000, 90.0),
        again("Thị", 1100, 96.0),
        again("Mãi", 1180, 90.0),
        again("Lý", 1000, 90.0, 2),
    ]
    other = [
        again("Đinh", 1000, 80.0),
        again("Thị", 1100, 93.0),
        again("Mai", 1180, 80.0),
        again("Lê", 1000, 80.0, 2),
    ]
    checked = {w.text: w.confidence for w in sz._cross_checked(kept, [other])}
    assert checked == {"Đỉnh": 90.0, "Thị": 96.0, "Mãi": sz.DISAGREE_CONFIDENCE, "Lý": sz.DISAGREE_CONFIDENCE}
    # The same between the first pass and the zone's re-read.
    first = _first_pass(False) + [_w("Lễ", 1000, 700, conf=80, block=3, line=1)]
    found = [
        OcrWord("Lê", 300, 450, 40, 30, 91.0, block=1, paragraph=1, line=1),
        OcrWord("Quang", 360, 450, 100, 30, 95.0, block=1, paragraph=1, line=1),
    ]
    assert _zone_confidences(first, found, (700, 250, W, 1200))["Lê"] == 91.0


def test_a_signature_stretched_box_is_no_reading_of_the_stroke_beside_it() -> None:
    # Another level read a stroke of the signature as "v" above and left of "Minh", whose box the
    # signature's loop stretched up to meet it: the boxes graze, neither holds the other's centre.
    b = sz.REREAD_BLOCK + 1
    kept = [
        OcrWord("Minh", 660, 467, 129, 99, 96.0, block=b, paragraph=1, line=1),
        OcrWord("Thảo", 806, 526, 125, 40, 94.0, block=b, paragraph=1, line=1),
    ]
    other = [
        OcrWord("v", 610, 449, 76, 63, 62.0, block=b, paragraph=1, line=1),
        OcrWord("Thao", 806, 526, 125, 41, 90.0, block=b, paragraph=1, line=2),
    ]
    checked = {w.text: w.confidence for w in sz._cross_checked(kept, [other])}
    assert checked == {"Minh": 96.0, "Thảo": sz.DISAGREE_CONFIDENCE}


def _reread_line(*words: tuple[str, float]) -> list[OcrWord]:
    out, left = [], 300
    for text, conf in words:
        out.append(OcrWord(text, left, 450, 20 * len(text), 30, conf, block=1, paragraph=1, line=1))
        left += 20 * len(text) + 15
    return out


def test_a_speck_before_a_surname_is_dropped_from_the_name_line() -> None:
    first = _first_pass(False)
    zone = (700, 250, W, 1200)

    def merged_text(found: list[OcrWord]) -> str:
        return " ".join(w.text for w in sz.merge_zone(first, found, zone) or [] if w.block >= sz.REREAD_BLOCK)

    # The seal's ring left of the name read as "cà" at 18: no part of it.
    assert merged_text(_reread_line(("cà", 18), ("Kiều", 94), ("Thị", 96), ("Thảo", 94))) == "Kiều Thị Thảo"
    # A surname read as junk ("rau" for "Trần"), a sure first word, or no known surname after
    # it: the line stays as read (dropping the word would leave a name without its surname).
    for line in (
        (("rau", 20), ("Trọng", 50), ("Hòa", 95)),
        (("cà", 60), ("Kiều", 94), ("Thảo", 94)),
        (("cà", 18), ("Thị", 94), ("Thảo", 94)),
        (("Cà", 18), ("Kiều", 94), ("Thảo", 94)),
    ):
        assert merged_text(_reread_line(*line)) == " ".join(t for t, _ in line)


def test_a_sure_name_line_with_a_word_read_right_before_it_is_cut_short() -> None:
    # The first pass read "Thanh Sơn" surely (the seal's ring glued to "Ngô" made it drop the
    # word); the zone's reading finds "go" right before it on its row: the name lost a word.
    first = _first_pass(False) + [
        _w("Thanh", 1118, 700, conf=96, block=3, line=1),
        _w("Sơn", 1236, 700, conf=96, block=3, line=1),
    ]
    zone = (700, 250, W, 1200)

    def name_confs(found: list[OcrWord]) -> dict[str, float]:
        merged = sz.merge_zone(first, found, zone) or []
        return {w.text: w.confidence for w in merged if w.block == 3}

    before = OcrWord("go", 376, 452, 35, 30, 60.0, block=1, paragraph=1, line=1)
    assert name_confs([before]) == {"Thanh": sz.DISAGREE_CONFIDENCE, "Sơn": 96.0}
    # A word far left on the row (a "Nơi nhận" item's end), or on another row: the name stands.
    far = dataclasses.replace(before, left=200)
    above = dataclasses.replace(before, top=380)
    assert name_confs([far]) == name_confs([above]) == {"Thanh": 96.0, "Sơn": 96.0}


def test_a_name_after_print_no_word_was_read_from_is_unsure_unless_it_starts_with_a_surname() -> None:
    def page(first: str, second: str) -> list[OcrWord]:
        return _first_pass(False) + [
            _w("CHỦ", 1020, 400, block=3, line=1),
            _w("TỊCH", 1120, 400, block=3, line=1),
            _w(first, 1000, 700, block=3, line=2),
            _w(second, 1140, 700, block=3, line=2),
        ]

    blank = np.full((H, W), 255, np.uint8)
    inked = blank.copy()
    inked[702:728, 900:985:3] = 30  # "Trần" read as nothing (hollow strokes): its print is there

    def confs(words: list[OcrWord], image: np.ndarray) -> list[float]:
        return [w.confidence for w in sz._name_cut_at_left(words, image, 90, 200) if w.block == 3]

    assert confs(page("Trọng", "Hòa"), inked) == [95.0, 95.0, sz.DISAGREE_CONFIDENCE, 95.0]
    assert confs(page("Trọng", "Hòa"), blank) == [95.0] * 4  # nothing before it: "Thị Bình" is a name
    assert confs(page("Kiều", "Thảo"), inked) == [95.0] * 4  # a surname first: a speck of the ring


def test_a_reading_with_an_unsure_name_scores_as_without_it() -> None:
    def page(name_conf: float) -> list[OcrWord]:
        return _first_pass(False) + [
            _w("CHỦ", 1020, 400, block=3, line=1),
            _w("TỊCH", 1120, 400, block=3, line=1),
            _w("Trần", 980, 700, block=3, line=2),
            _w("Thí", 1080, 700, conf=name_conf, block=3, line=2),
            _w("Hải", 1180, 700, block=3, line=2),
        ]

    assert sz._signer_score(page(96.0), W, H, 200) == 2
    assert sz._signer_score(page(39.0), W, H, 200) == 1  # "Thí" at 39: the next level is read


def test_of_two_readings_that_find_as_much_the_one_whose_fields_are_filed_is_kept() -> None:
    def page(conf: float) -> list[OcrWord]:
        return _first_pass(False) + [
            _w("CHỦ", 1020, 400, conf=conf, block=3, line=1),
            _w("TỊCH", 1120, 400, conf=conf, block=3, line=1),
        ]

    unsure, sure = page(55.0), page(95.0)
    assert sz._signer_score(unsure, W, H, 200) == sz._signer_score(sure, W, H, 200) == 1
    assert sz._files_more(sure, 1, (1, unsure), {}, (H, W), 200)
    assert not sz._files_more(unsure, 1, (1, sure), {}, (H, W), 200)
    assert not sz._files_more(sure, 1, (1, sure), {}, (H, W), 200)
    assert not sz._files_more(sure, 0, (1, unsure), {}, (H, W), 200)  # no tie: the score decides


def test_a_signer_block_the_first_reading_dropped_whole_is_found_by_its_ink() -> None:
    # A certificate's last page: the body ends mid-page with no "Nơi nhận", and the seal and the
    # signature made the page's layout analysis drop the title and the name (no word of them).
    body = [_w("thường", 230 + 140 * j, 300 + 60 * i, line=i) for i in range(12) for j in range(9)]
    blank = np.full((H, W), 255, np.uint8)
    assert sz.signer_zone(body, width=W, height=H, dpi=200, image=blank) is None
    inked = blank.copy()
    inked[1100:1130, 1000:1400:2] = 20  # the title line
    inked[1400:1430, 950:1450:2] = 20  # the name
    zone = sz.signer_zone(body, width=W, height=H, dpi=200, image=inked)
    assert zone is not None and zone[1] < 1100 and zone[3] > 1430
    # Without the page image there is nothing to tell the block is there.
    assert sz.signer_zone(body, width=W, height=H, dpi=200) is None
    # A scanner's dirt streak read as specks in the right half ("xi", "$", "#Ï" at 20-40) is no
    # text there: the block is still found by its ink, and reaches a name lower on the page
    # (the signer block may start a few lines below the body's last full-width line).
    streak = [
        _w(t, 1500, 1000 + 80 * i, conf=30, block=5, line=i) for i, t in enumerate(("xi", "$", "#Ï", "w%k"))
    ]
    inked[1560:1590, 950:1450:2] = 20
    zone = sz.signer_zone(body + streak, width=W, height=H, dpi=200, image=inked)
    assert zone is not None and zone[1] < 1100 and zone[3] > 1590


def _sealed_zone(seal_gray: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A signer zone at 200 dpi: the title's start and the name's start under a seal (34 mm
    across, an inner ring, a star), printed at ``seal_gray``; and the text's and
    the seal's own ink."""
    bold = ImageFont.truetype(str(FONT), 32)
    text = Image.new("L", (900, 600), 255)
    draw = ImageDraw.Draw(text)
    draw.text((420, 80), "CHỦ TỊCH", font=bold, fill=0, anchor="mt")
    draw.text((430, 420), "Trần Xuân Hải", font=bold, fill=0, anchor="mt")
    seal = Image.new("L", (900, 600), 255)
    ring = ImageDraw.Draw(seal)
    ring.ellipse((160, 50, 430, 320), outline=seal_gray, width=10)  # centre (295, 185), r 135
    ring.ellipse((200, 90, 390, 280), outline=seal_gray, width=4)
    ring.regular_polygon((295, 185, 30), 5, fill=seal_gray)
    text_ink, seal_ink = np.asarray(text) < 150, np.asarray(seal) < 255
    return np.minimum(np.asarray(text), np.asarray(seal)), text_ink, seal_ink & ~text_ink


@pytest.mark.parametrize("seal_gray", [0, 110])  # a bilevel scan; a gray scan of a red seal
def test_without_seal_keeps_the_text_rows_and_drops_the_seal(seal_gray: int) -> None:
    zone, text, seal = _sealed_zone(seal_gray)
    cx, cy, r = sz.seal_circle(zone < 150, 200)
    assert abs(cx - 295) < 8 and abs(cy - 185) < 8 and abs(r - 130) < 10
    clean = sz.without_seal(zone, 150, dpi=200, line_h=30)
    assert clean is not None and clean.shape == zone.shape
    ink = clean == 0
    assert (ink & seal).sum() < 0.05 * seal.sum()  # of the seal, a few pixels on the title row
    assert not (ink & ~text & ~seal).any()
    assert (ink[:, 430:] == text[:, 430:]).all()  # the text beyond the seal, untouched
    assert (ink[400:, :] == text[400:, :]).all()  # the name below it
    # "CHỦ" inside the seal: where the ring crosses it, it loses a thin slab.
    assert (ink & text)[:, :430].sum() > 0.8 * text[:, :430].sum()
    # No seal: nothing to take out, and lines of text make no circle with ink all round.
    assert sz.without_seal(np.full((600, 900), 255, np.uint8), 150, dpi=200, line_h=30) is None
    page = Image.new("L", (900, 600), 255)
    draw = ImageDraw.Draw(page)
    for i in range(12):
        draw.text(
            (20, 20 + 45 * i), "Ủy ban nhân dân xã giao các phòng, ban thực hiện.", font=bold_font(), fill=0
        )
    assert sz.seal_circle(np.asarray(page) < 150, 200) is None


def test_a_seal_lighter_than_the_ink_level_is_found_and_leaves_the_print_whole() -> None:
    # A flattened gray scan: the print is black, the seal a gray lighter than the page's ink
    # level, so only the print is below it and the ring is looked for lighter. Where the ring
    # crosses "CHỦ", the letter's darker pixels are print, not ring: none of them is lost.
    zone, text, seal = _sealed_zone(110)
    assert sz.seal_circle(zone < 90, 200) is None
    clean = sz.without_seal(zone, 90, dpi=200, line_h=30)
    assert clean is not None
    ink, print_ink = clean == 0, zone < 90
    assert not (ink & ~print_ink).any()
    assert (ink & print_ink).sum() > 0.99 * print_ink.sum()  # but its edges' lighter pixels in the seal
    # Bilevel (the ring as black as the print): where it crosses a letter it is taken out still.
    zone, text, seal = _sealed_zone(0)
    clean = sz.without_seal(zone, 90, dpi=200, line_h=30)
    assert clean is not None
    assert 0.8 * text[:, :430].sum() < ((clean == 0) & text)[:, :430].sum() < text[:, :430].sum()


def bold_font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), 32)


def test_an_office_whose_second_title_line_another_reading_saw_is_unsure() -> None:
    """ "KT. CHỦ TỊCH" over "PHÓ CHỦ TỊCH" with the "KT." and the second line lost reads as a
    bare "CHỦ TỊCH": where another reading has its last word on the line right under it, the
    deputy's office must not be filed as the head's."""
    kept = _first_pass(False) + [
        _w("TM.", 900, 300, block=3, line=1),
        _w("ỦY", 980, 300, block=3, line=1),
        _w("BAN", 1040, 300, block=3, line=1),
        _w("CHỦ", 1020, 360, block=3, line=2),
        _w("TỊCH", 1120, 360, block=3, line=2),
        _w("+", 1060, 425, conf=90, block=3, line=3),  # a speck on the lost line: no reading of it
        _w("Trần", 980, 700, block=3, line=4),
        _w("Xuân", 1080, 700, block=3, line=4),
        _w("Hải", 1180, 700, block=3, line=4),
    ]
    page_reading = _first_pass(False) + [_w("TICH", 1130, 420, conf=49, block=2, line=1)]

    def office_confs(others: list[list[OcrWord]]) -> list[float]:
        checked = sz._second_title_lost(kept, others, W, H, 200)
        return [w.confidence for w in checked if w.text in ("CHỦ", "TỊCH")]

    assert office_confs([page_reading]) == [sz.DISAGREE_CONFIDENCE] * 2
    assert office_confs([]) == [95.0, 95.0]
    elsewhere = _first_pass(False) + [_w("TICH", 1130, 650, conf=49, block=2, line=1)]  # not under it
    assert office_confs([elsewhere]) == [95.0, 95.0]
    # A reading that has a line of words there (the second title read) is left alone.
    with_line = [*kept, _w("PHÓ", 960, 420, block=3, line=3)]
    assert [
        w.confidence for w in sz._second_title_lost(with_line, [page_reading], W, H, 200) if w.text == "TỊCH"
    ] == [95.0]
