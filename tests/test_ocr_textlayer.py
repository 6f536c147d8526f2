"""Text layers of input PDFs (ocr.textlayer), legacy TCVN3/VNI conversion (ocr.legacy_vn), and the
text-layer path of ocr.extract.ocr_pages.

Input PDFs are made here with our own builder: its invisible text layer is what pdftotext reads,
exactly as it reads a Word export's text.
"""

from __future__ import annotations

import io
import shutil

import pytest
from PIL import Image

from ocr import engine
from ocr.extract import ocr_pages
from ocr.legacy_vn import best_reading, tcvn3_to_unicode, vietnamese_score, vni_to_unicode
from ocr.pages import load_pages
from ocr.searchable_pdf import PdfPageInput, build_searchable_pdf
from ocr.textlayer import parse_bbox_layout, read_text_layers
from schemas.documents import OcrPage, OcrWord

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")

BODY = [
    "ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "QUYẾT ĐỊNH",
    "Về việc cấp giấy chứng nhận đăng ký hộ kinh doanh",
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015",
]
STAMP = [
    "Ký bởi: Ủy ban nhân dân tỉnh Quảng Ngãi",
    "Cơ quan: Tỉnh Quảng Ngãi",
    "Thời gian ký: 07/01/2025 10:09:57",
]


def _pdf(pages_lines: list[list[str]], dpi: int = 100) -> bytes:
    """A PDF whose pages are white images carrying ``lines`` as their text layer."""
    inputs = []
    for index, lines in enumerate(pages_lines):
        w, h = 850, 1100
        words, y = [], 60
        for n, line in enumerate(lines, start=1):
            x = 60
            for word in line.split():
                words.append(OcrWord(word, x, y, 14 * len(word), 24, 95.0, 1, 1, n))
                x += 14 * len(word) + 12
            y += 40
        buf = io.BytesIO()
        Image.new("L", (w, h), 255).save(buf, format="PNG")
        text = "\n".join(lines)
        inputs.append(
            PdfPageInput(
                buf.getvalue(), "png", w, h, dpi, OcrPage(index, w, h, dpi, tuple(words), text, 95.0)
            )
        )
    return build_searchable_pdf(inputs)


def test_tcvn3_and_vni_tables_convert_the_national_motto() -> None:
    assert tcvn3_to_unicode("Céng hoµ x· héi chñ nghÜa ViÖt Nam") == "Cộng hoà xã hội chủ nghĩa Việt Nam"
    assert tcvn3_to_unicode("§éc lËp - Tù do - H¹nh phóc") == "Độc lập - Tự do - Hạnh phúc"
    assert tcvn3_to_unicode("QUYÕT §ÞNH") == "QUYẾT ĐỊNH"  # .VnTimeH heading: toned capitals
    assert vni_to_unicode("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam") == "Cộng hòa xã hội chủ nghĩa Việt Nam"
    assert vni_to_unicode("Ñoäc laäp - Töï do - Haïnh phuùc") == "Độc lập - Tự do - Hạnh phúc"
    assert vni_to_unicode("Chæ thò soá 05/CT-UBND cuûa UÛy ban") == "Chỉ thị số 05/CT-UBND của Ủy ban"
    assert vni_to_unicode("ÑAÊNG KYÙ") == "ĐĂNG KÝ"


def test_best_reading_converts_only_mis_encoded_text() -> None:
    tcvn3 = "Céng hoµ x· héi chñ nghÜa ViÖt Nam\n§éc lËp - Tù do - H¹nh phóc"
    vni = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam\nÑoäc laäp - Töï do - Haïnh phuùc"
    assert best_reading(tcvn3) == ("tcvn3", "Cộng hoà xã hội chủ nghĩa Việt Nam\nĐộc lập - Tự do - Hạnh phúc")
    assert best_reading(vni) == ("vni", "Cộng hòa xã hội chủ nghĩa Việt Nam\nĐộc lập - Tự do - Hạnh phúc")
    for text in ("\n".join(BODY), "Château à Paris, déjà vu, où est la côte", "Report 2025 page 3"):
        assert best_reading(text)[0] == "unicode"
    assert vietnamese_score("\n".join(BODY)) > vietnamese_score(tcvn3)


def test_real_text_layer_is_used_and_stamp_lines_dropped() -> None:
    pdf = _pdf([STAMP + BODY, STAMP, []])
    layers = read_text_layers(pdf)
    assert [layer.kind for layer in layers] == ["text", "stamp", "none"]
    text = layers[0].text
    assert "Ký bởi" not in text and "Thời gian ký" not in text
    assert text.splitlines()[:2] == BODY[:2]


def test_legacy_layer_is_converted() -> None:
    tcvn3_body = [
        "Céng hoµ x· héi chñ nghÜa ViÖt Nam",
        "§éc lËp - Tù do - H¹nh phóc",
        "QuyÕt ®Þnh vÒ viÖc cÊp giÊy chøng nhËn cña Uû ban nh©n d©n tØnh",
        "C¨n cø LuËt Tæ chøc chÝnh quyÒn ngµy 19",
    ]
    (layer,) = read_text_layers(_pdf([tcvn3_body]))
    assert layer.kind == "legacy" and layer.encoding == "tcvn3"
    assert layer.text.splitlines()[0] == "Cộng hoà xã hội chủ nghĩa Việt Nam"
    assert "Căn cứ Luật Tổ chức chính quyền ngày 19" in layer.text


def test_garbage_or_unreadable_layers_mean_ocr() -> None:
    assert read_text_layers(b"%PDF-1.4 not really") == []
    assert parse_bbox_layout("<html><body><doc") == []
    junk = "<doc><page width='100' height='100'><flow><block><line>" + "".join(
        f"<word xMin='1' yMin='1' xMax='2' yMax='2'>(cid:{i})</word>" for i in range(30)
    )
    (layer,) = parse_bbox_layout(junk + "</line></block></flow></page></doc>")
    assert layer.kind == "none"


def test_ocr_pages_uses_the_text_layer_and_ocrs_the_stamp_only_page(monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = _pdf([STAMP + BODY, STAMP])
    pages = load_pages(pdf)
    ocr_calls: list[int] = []

    def fake_ocr(pages_, **kwargs):  # noqa: ANN001, ANN202 - the OCR of the pages without text
        pages_ = list(pages_)
        ocr_calls.extend(p.index for p in pages_)
        return [
            (OcrPage(p.index, p.width, p.height, p.dpi, (), "", 0.0, blank=True), b"", "png", None)
            for p in pages_
        ]

    monkeypatch.setattr("ocr.extract.ocr_document_encoded", fake_ocr)
    doc = ocr_pages(pages, pdf_bytes=pdf, workers=1)
    first = doc.extraction.pages[0]
    assert ocr_calls == [1]
    assert first.source == "text_layer" and first.confidence == 100.0
    assert first.text.splitlines()[0] == BODY[0]
    assert doc.extraction.metadata.loai_van_ban == "QUYẾT ĐỊNH"
    word = next(w for w in first.words if w.text == "QUYẾT")
    assert abs(word.left - 60 * pages[0].width / 850) < 0.03 * pages[0].width  # boxes in image pixels
    assert doc.pdf_pages[0].width_px == pages[0].width
    assert engine is not None
