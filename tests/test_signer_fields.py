"""ocr.fields: the signer's office told by the block's geometry where the seal ate its start."""

from __future__ import annotations

import dataclasses

from signer_words import body_and_recipients, word

from ocr.fields import extract_fields
from schemas.documents import OcrPage

W, H = 1654, 2339  # A4 at 200 dpi


_w = word


def _office(title: list[tuple[str, int, float]], name_conf: float = 95.0) -> str | None:
    words = [
        *body_and_recipients(),
        *(_w(t, left, 300, conf=c, block=2, line=1) for t, left, c in title),
        # The name, centred on x 1110 (980 .. 1240): the block's axis.
        _w("Trần", 980, 600, block=2, line=2),
        _w("Xuân", 1080, 600, conf=name_conf, block=2, line=2),
        _w("Hải", 1180, 600, block=2, line=2),
    ]
    page = OcrPage(index=0, width=W, height=H, dpi=200, words=tuple(words), text="", confidence=0.0)
    return extract_fields([page]).value("chuc_vu_nguoi_ky")


def test_a_title_fragment_ending_where_the_office_centred_on_the_name_ends_names_it() -> None:
    # "J TỊCH": the seal ate "CHỦ" (its ring read as "J"); "TỊCH" ends at 1190, where "CHỦ TỊCH"
    # (8 letters of 20 px) centred on 1110 ends.
    assert _office([("J", 1080, 89.0), ("TỊCH", 1110, 96.0)]) == "CHỦ TỊCH"
    # Ending at 1230: where "PHÓ CHỦ TỊCH" (12 letters) ends.
    assert _office([("TỊCH", 1150, 96.0)]) == "PHÓ CHỦ TỊCH"


def test_a_title_fragment_is_no_answer_off_every_office_or_after_a_prefix_or_over_an_unsure_name() -> None:
    assert _office([("TỊCH", 1130, 96.0)]) is None  # ends at 1210: neither office's end
    assert _office([("PHÓ", 1040, 90.0), ("TỊCH", 1110, 96.0)]) is None  # "PHÓ" lost its "CHỦ"
    assert _office([("TỊCH", 1110, 55.0)]) is None  # the fragment itself unsure
    assert _office([("J", 1080, 89.0), ("TỊCH", 1110, 96.0)], name_conf=40.0) is None  # no axis to trust


def _row(texts: list[str], top: int, conf: float, line: int) -> list:
    """Words of one signer line centred on the block's axis (x 1110)."""
    widths = [20 * len(t) for t in texts]
    left = 1110 - (sum(widths) + 20 * (len(texts) - 1)) // 2
    out = []
    for t, w in zip(texts, widths, strict=True):
        out.append(_w(t, left, top, conf=conf, block=2, line=line))
        left += w + 20
    return out


def _signer_name(name: str, conf: float = 95.0) -> tuple[str | None, object]:
    words = [
        *body_and_recipients(),
        *_row(["KT.", "GIÁM", "ĐỐC"], 300, 95.0, 1),
        *_row(["PHÓ", "GIÁM", "ĐỐC"], 350, 95.0, 2),
        *_row(name.split(), 600, conf, 3),
    ]
    page = OcrPage(index=0, width=W, height=H, dpi=200, words=tuple(words), text="", confidence=0.0)
    result = extract_fields([page])
    return result.value("nguoi_ky"), result


def test_a_name_that_lost_or_misread_its_surname_is_never_filed_however_sure() -> None:
    # "Hoàng Thu Lan" with "Hoàng" eaten by the seal: "Thu" is a middle name, no surname.
    value, result = _signer_name("Thu Lan")
    assert value is None and result.candidates.get("nguoi_ky") == "Thu Lan"
    assert "nguoi_ky" in result.review_fields()
    assert _signer_name("Văn Quyết")[0] is None
    # "Đỗ" read "Đã": one letter off a common surname, and no surname itself.
    assert _signer_name("Đã Văn Khánh")[0] is None
    assert _signer_name("Xũ Đình Khánh", conf=96.0)[0] is None


def test_whole_names_keep_their_first_word() -> None:
    assert _signer_name("Hoàng Thu Lan")[0] == "Hoàng Thu Lan"
    assert _signer_name("Dương Văn Hùng")[0] == "Dương Văn Hùng"  # a surname beyond the common list
    assert _signer_name("Điểu K'Ré")[0] == "Điểu K'Ré"  # M'nông
    assert _signer_name("Thị Bình")[0] == "Thị Bình"  # a Highlands woman's name, no family name
    assert _signer_name("Y Ngông Niê")[0] == "Y Ngông Niê"


def test_a_surname_beyond_the_common_list_is_a_surname_at_the_usual_threshold() -> None:
    # "Dương" is left out of SURNAMES (its letters are also "Đường"'s), not out of use: read at
    # 80, its name is filed like any other; a first word no surname at all still needs 90.
    assert _signer_name("Dương Văn Hùng", conf=80.0)[0] == "Dương Văn Hùng"
    assert _signer_name("Nghiêm Xuân Hồng", conf=80.0)[0] == "Nghiêm Xuân Hồng"
    assert _signer_name("Lò Văn Pọm", conf=80.0)[0] is None  # short: a speck reads as "Lò" too
    assert _signer_name("Lò Văn Pọm", conf=95.0)[0] == "Lò Văn Pọm"
    assert _signer_name("Bhin Buôn Yă", conf=80.0)[0] is None


def test_a_name_with_a_toned_open_diphthong_is_held_back() -> None:
    # "Niê" (Ê-đê) read "Niề": iê, uô, ươ open take no tone mark in any spelling (tiền, mía).
    value, result = _signer_name("H'Hen Niề", conf=90.0)
    assert value is None and result.candidates.get("nguoi_ky") == "H'Hen Niề"
    assert _signer_name("Y Ngông Niế")[0] is None
    assert _signer_name("H'Hen Niê", conf=90.0)[0] == "H'Hen Niê"
    assert _signer_name("Nguyễn Thị Huyền")[0] == "Nguyễn Thị Huyền"  # closed: iê before n
    assert _signer_name("Vũ Thị Mỹ Thuở")[0] == "Vũ Thị Mỹ Thuở"  # uơ, no diphthong ươ


def _chain(rows: list[tuple[list[str], float]], lost: tuple[int, ...] = ()) -> tuple[str | None, object]:
    """Title lines centred on the block's axis, 50 px apart, over the name 'Đỗ Văn Khánh'; the
    first word of the lines numbered in ``lost`` not read (the seal ate it)."""
    words = [*body_and_recipients()]
    for i, (texts, conf) in enumerate(rows):
        row = _row(texts, 300 + 50 * i, conf, i + 1)[1 if i in lost else 0 :]
        # A word the seal cut ("-ÁM" of "GIÁM") is read unsurely.
        words += [dataclasses.replace(w, confidence=35.0) if w.text[0] == "-" else w for w in row]
    words += _row(["Đỗ", "Văn", "Khánh"], 600, 95.0, len(rows) + 1)
    page = OcrPage(index=0, width=W, height=H, dpi=200, words=tuple(words), text="", confidence=0.0)
    result = extract_fields([page])
    return result.value("chuc_vu_nguoi_ky"), result


def test_a_head_title_the_chain_contradicts_is_held_back() -> None:
    # "KT. GIÁM ĐỐC" over "PHÓ GIÁM ĐỐC", each read without its first word: "GIÁM ĐỐC" over
    # "-ÁM ĐỐC" ending at the same place. Who signs the deputy's line is no head.
    value, result = _chain([(["KT.", "GIÁM", "ĐỐC"], 90.0), (["PHÓ", "-ÁM", "ĐỐC"], 95.0)], lost=(0, 1))
    assert value is None and result.candidates.get("chuc_vu_nguoi_ky") == "GIÁM ĐỐC"
    assert "chuc_vu_nguoi_ky" in result.review_fields()


def test_consistent_chains_keep_their_office() -> None:
    assert _chain([(["GIÁM", "ĐỐC"], 95.0)])[0] == "GIÁM ĐỐC"
    assert _chain([(["TM.", "ỦY", "BAN", "NHÂN", "DÂN"], 95.0), (["CHỦ", "TỊCH"], 95.0)])[0] == "CHỦ TỊCH"
    assert _chain([(["KT.", "GIÁM", "ĐỐC"], 95.0), (["PHÓ", "GIÁM", "ĐỐC"], 95.0)])[0] == "PHÓ GIÁM ĐỐC"
    assert _chain([(["TL.", "CHỦ", "TỊCH"], 95.0), (["CHÁNH", "VĂN", "PHÒNG"], 95.0)])[0] == "CHÁNH VĂN PHÒNG"
