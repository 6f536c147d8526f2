"""Tests of the synthetic sample scans (ocr/samples.py).

Fixtures are generated here: small specs rendered at low dpi where pixels do not matter, the
real demo specs where the content does.  The one OCR test needs Tesseract with ``vie``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import shutil
import unicodedata

import numpy as np
import pytest
from PIL import Image

from ocr.samples import SampleSpec, demo_specs, encode_pages, ground_truth, render_pages, write_samples
from schemas.documents import METADATA_KEYS


def _spec(**over) -> SampleSpec:
    base = dict(
        so_ky_hieu="07/QĐ-UBND",
        ngay_ban_hanh=dt.date(2024, 2, 5),
        dia_danh="Đắk Mil",
        co_quan_chu_quan=None,
        co_quan_ban_hanh="ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL",
        cap="huyen",
        loai_van_ban="QUYẾT ĐỊNH",
        trich_yeu="Về việc công nhận kết quả đo đạc thửa đất",
        body=(
            "ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL",
            "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
            "QUYẾT ĐỊNH:",
            "Điều 1. Công nhận kết quả đo đạc thửa đất số 12, tờ bản đồ số 3, xã Đắk Lao.",
            "Điều 2. Quyết định này có hiệu lực kể từ ngày ký./.",
        ),
        tham_quyen=("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"),
        chuc_vu_nguoi_ky="PHÓ CHỦ TỊCH",
        nguoi_ky="Lê Quang Vinh",
        noi_nhan=("- Như Điều 2;", "- Lưu: VT."),
        unit_code="663",
    )
    base.update(over)
    return SampleSpec(**base)


def _is_nfc(v: object) -> bool:
    if isinstance(v, str):
        return unicodedata.is_normalized("NFC", v)
    if isinstance(v, list):
        return all(_is_nfc(x) for x in v)
    return True


# --- the demo set ------------------------------------------------------------------------------


def test_demo_specs_cover_the_three_levels_and_the_asked_types():
    specs = demo_specs()
    assert 5 <= len(specs) <= 6
    assert {s.cap for s in specs} == {"tinh", "huyen", "xa"}
    kinds = {s.loai_van_ban for s in specs}
    assert {"QUYẾT ĐỊNH", "GIẤY CHỨNG NHẬN", "CÔNG VĂN", "THÔNG BÁO"} <= kinds
    for s in specs:
        assert dt.date(2021, 1, 1) <= s.ngay_ban_hanh <= dt.date(2025, 6, 30)
        code_len = {"tinh": 2, "huyen": 3, "xa": 5}[s.cap]
        assert len(s.unit_code) == code_len and s.unit_code.isdigit(), s
        if s.cap == "huyen":
            assert 660 <= int(s.unit_code) <= 667
        assert ground_truth(s)["so_trang"] == s.pages
    cong_van = next(s for s in specs if s.loai_van_ban == "CÔNG VĂN")
    assert cong_van.trich_yeu.startswith("V/v ")


# --- rendering ------------------------------------------------------------------------------


def test_render_is_a4_rgb_and_deterministic_for_a_seed():
    spec = _spec()
    a = render_pages(spec, dpi=100, seed=3)
    b = render_pages(spec, dpi=100, seed=3)
    c = render_pages(spec, dpi=100, seed=4)
    assert len(a) == 1
    assert a[0].shape == (round(297 / 25.4 * 100), round(210 / 25.4 * 100), 3)
    assert a[0].dtype == np.uint8
    assert np.array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    assert encode_pages(a, "png", 100) == encode_pages(b, "png", 100)


def test_degradation_skews_and_dirties_but_clean_render_is_clean():
    spec = _spec()
    clean = render_pages(spec, dpi=100, degrade=False)[0]
    dirty = render_pages(spec, dpi=100, seed=1)[0]
    # Clean paper is one flat colour away from ink; a scanned one has noise everywhere.
    corner = (slice(5, 40), slice(5, 40))
    assert clean[corner].std(axis=(0, 1)).max() == 0
    assert dirty[corner].std(axis=(0, 1)).min() > 1.0
    assert np.abs(clean.astype(int) - dirty.astype(int)).mean() > 3


def test_red_seal_and_blue_signature_sit_in_the_signer_area():
    spec = demo_specs()[4]  # the commune công văn: one page, signer in the lower right
    page = render_pages(spec, dpi=100, degrade=False)[0].astype(int)
    r, g, b = page[..., 0], page[..., 1], page[..., 2]
    red = (r > 150) & (g < 110) & (b < 120)
    blue = (b > 100) & (r < 110) & (b - r > 50)
    h, w = red.shape
    assert red[h // 2 :, w // 2 :].sum() > 500
    assert red[: int(h * 0.4)].sum() == 0 and red[:, : w // 2].sum() < 50
    assert blue[h // 2 :, w // 2 :].sum() > 50
    degraded = render_pages(spec, dpi=100, seed=0)[0].astype(int)
    red_d = (degraded[..., 0] > 140) & (degraded[..., 1] < 120) & (degraded[..., 2] < 130)
    assert red_d[h // 2 :, w // 2 :].sum() > 300


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract with vie")
def test_header_has_real_vietnamese_text_that_tesseract_reads():
    import pytesseract

    if "vie" not in pytesseract.get_languages(config=""):
        pytest.skip("tesseract has no vie language data")
    spec = _spec(so_ky_hieu="1523/QĐ-UBND")
    page = render_pages(spec, dpi=200, degrade=False)[0]
    header = page[: page.shape[0] // 5]
    text = unicodedata.normalize("NFC", pytesseract.image_to_string(header, lang="vie", config="--psm 3"))
    assert "Số" in text
    assert "1523" in text
    assert "Hạnh phúc" in text or "HỘI CHỦ NGHĨA" in text


# --- encoding -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_pages() -> list[np.ndarray]:
    long_body = tuple(
        f"{i}. Nội dung thứ {i}: hộ gia đình, cá nhân được giao đất ở tại thôn {i}, xã Đắk Lao, huyện "
        f"Đắk Mil."
        for i in range(1, 20)
    )
    return render_pages(_spec(body=long_body, pages=2), dpi=72, seed=0)


def test_single_page_formats_decode_with_dpi(two_pages):
    for fmt in ("png", "jpeg"):
        data = encode_pages(two_pages[:1], fmt, 72)
        im = Image.open(io.BytesIO(data))
        assert im.format == fmt.upper()
        assert im.size == (two_pages[0].shape[1], two_pages[0].shape[0])
        assert round(im.info["dpi"][0]) == 72
        with pytest.raises(ValueError):
            encode_pages(two_pages, fmt, 72)
    with pytest.raises(ValueError):
        encode_pages(two_pages, "bmp", 72)


def test_tiff_is_multipage_with_dpi_tags(two_pages):
    data = encode_pages(two_pages, "tiff", 72)
    im = Image.open(io.BytesIO(data))
    assert im.format == "TIFF" and im.n_frames == 2
    assert round(im.info["dpi"][0]) == 72
    assert encode_pages(two_pages, "tiff", 72) == data


def test_pdf_is_image_only_one_image_per_page_at_the_dpi(two_pages):
    from pypdf import PdfReader

    data = encode_pages(two_pages, "pdf", 72)
    assert encode_pages(two_pages, "pdf", 72) == data  # no clock in the bytes
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    for page, arr in zip(reader.pages, two_pages, strict=True):
        images = list(page.images)
        assert len(images) == 1
        assert images[0].image.size == (arr.shape[1], arr.shape[0])
        # page size in points = pixels / dpi * 72: A4 when the dpi is right
        assert abs(float(page.mediabox.width) - 595.3) < 2
        assert abs(float(page.mediabox.height) - 841.9) < 2
        assert not (page.extract_text() or "").strip()


# --- ground truth ---------------------------------------------------------------------------


def test_ground_truth_follows_the_extract_contract_in_nfc():
    nfd = unicodedata.normalize("NFD", "Đắk Mil")
    spec = _spec(dia_danh=nfd)
    gt = ground_truth(spec)
    assert set(METADATA_KEYS) <= gt.keys() and "pages" in gt
    assert all(_is_nfc(v) for v in gt.values())
    assert gt["dia_danh"] == "Đắk Mil" and len(gt["dia_danh"]) == 7
    assert gt["ngay_ban_hanh"] == "2024-02-05"
    assert gt["co_quan_ban_hanh"] == "ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL"
    assert gt["co_quan_chu_quan"] == ""
    lines = gt["pages"][0].split("\n")
    assert lines[:4] == [
        "ỦY BAN NHÂN DÂN",
        "HUYỆN ĐẮK MIL",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert lines[4:7] == ["Số: 07/QĐ-UBND", "Đắk Mil, ngày 05 tháng 02 năm 2024", "QUYẾT ĐỊNH"]
    assert lines[-4:] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Lê Quang Vinh"]
    assert "Nơi nhận:" in lines


def test_ground_truth_of_a_parent_agency_and_a_cong_van():
    spec = _spec(
        co_quan_chu_quan="UBND TỈNH ĐẮK NÔNG",
        co_quan_ban_hanh="SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG",
        cap="tinh",
        loai_van_ban="CÔNG VĂN",
        so_ky_hieu="315/STNMT-ĐĐBĐ",
        trich_yeu="V/v hướng dẫn cấp Giấy chứng nhận quyền sử dụng đất lần đầu cho hộ gia đình",
        body=("Sở Tài nguyên và Môi trường hướng dẫn như sau./.",),
        kinh_gui=("UBND các huyện, thành phố.",),
    )
    gt = ground_truth(spec)
    assert gt["co_quan_ban_hanh"] == "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG"
    assert gt["co_quan_chu_quan"] == "UBND TỈNH ĐẮK NÔNG"
    assert gt["loai_van_ban"] == "CÔNG VĂN"
    lines = gt["pages"][0].split("\n")
    assert lines[:3] == ["UBND TỈNH ĐẮK NÔNG", "SỞ TÀI NGUYÊN", "VÀ MÔI TRƯỜNG"]
    i = lines.index("Số: 315/STNMT-ĐĐBĐ")
    assert lines[i + 1].startswith("V/v hướng dẫn")
    assert "CÔNG VĂN" not in lines  # a công văn prints no type line
    assert any(line.startswith("Kính gửi: UBND các huyện") for line in lines)


def test_two_page_documents_carry_the_page_number_and_the_signer_on_page_two():
    spec = next(s for s in demo_specs() if s.pages == 2)
    gt = ground_truth(spec)
    assert gt["so_trang"] == 2 and len(gt["pages"]) == 2
    p2 = gt["pages"][1].split("\n")
    assert p2[0] == "2"
    assert p2[-1] == spec.nguoi_ky
    assert len(p2) > 1 + len(spec.noi_nhan) + 1 + len(spec.tham_quyen) + 2  # some body text came along


def test_spec_that_cannot_fit_its_page_count_is_refused():
    long_body = tuple("Căn cứ " + "quy định về đất đai " * 20 for _ in range(12))
    with pytest.raises(ValueError, match="pages"):
        ground_truth(_spec(body=long_body, pages=1))
    with pytest.raises(ValueError):
        _spec(cap="tỉnh")


# --- files ----------------------------------------------------------------------------------


def test_write_samples_puts_scans_in_unit_inboxes_and_ground_truth_elsewhere(tmp_path):
    one = _spec()
    two = dataclasses.replace(
        _spec(so_ky_hieu="08/QĐ-UBND", unit_code="24667", cap="xa"),
        pages=2,
    )
    out, gt_dir = tmp_path / "inbox", tmp_path / "samples-gt"
    paths = write_samples(out, [one, two], formats=("png", "jpeg"), dpi=72, seed=5, gt_dir=gt_dir)
    assert [p.relative_to(out).parts[0] for p in paths] == ["663", "24667"]
    assert paths[0].suffix == ".png"
    assert paths[1].suffix == ".pdf"  # a 2-page scan never lands in a single-page format
    assert all(p.is_file() and p.stat().st_size > 1000 for p in paths)
    assert not list(out.rglob("*.json")) and not list(out.rglob("*.part"))
    gts = sorted(gt_dir.rglob("*.gt.json"))
    assert len(gts) == 2
    gt = json.loads(gts[0].read_text(encoding="utf-8"))
    assert gt["file"] in {p.name for p in paths}
    again = write_samples(tmp_path / "again", [one, two], formats=("png", "jpeg"), dpi=72, seed=5)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths]
