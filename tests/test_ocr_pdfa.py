"""PDF/A-2b structure of the searchable PDF, checked structurally (no veraPDF here).

The page is drawn in the test; the checks read the file back with pypdf and ``qpdf --check``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess

import numpy as np
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from ocr.searchable_pdf import PdfPageInput, build_searchable_pdf
from schemas.documents import OcrPage, OcrWord

DPI = 150
TITLE = "QUYẾT ĐỊNH 15/QĐ-UBND"
SUBJECT = "Về việc cấp giấy chứng nhận đăng ký hộ kinh doanh & <khác>"
CREATED = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _pdf(fmt: str = "jpeg") -> tuple[bytes, int]:
    rng = np.random.default_rng(1)
    arr = (235 + rng.integers(0, 20, size=(600, 450, 3))).astype(np.uint8)
    arr[100:130, 50:400] = 30
    out = io.BytesIO()
    Image.fromarray(arr).save(out, format="JPEG" if fmt == "jpeg" else "PNG", quality=80)
    image = out.getvalue()
    words = (
        OcrWord("Quyết", 50, 100, 150, 30, 90.0, 1, 1, 1),
        OcrWord("định", 220, 100, 180, 30, 90.0, 1, 1, 1),
    )
    ocr = OcrPage(0, 450, 600, DPI, words, "Quyết định", 90.0)
    info = {
        "Title": TITLE,
        "Subject": SUBJECT,
        "Author": "ỦY BAN NHÂN DÂN",
        "Keywords": "Số, ký hiệu: 15/QĐ-UBND",
    }
    pdf = build_searchable_pdf([PdfPageInput(image, fmt, 450, 600, DPI, ocr)], info=info, created=CREATED)
    return pdf, len(image)


def _walk(obj, seen=None):  # noqa: ANN001, ANN202 - every object reachable from obj
    seen = set() if seen is None else seen
    if isinstance(obj, IndirectObject):
        if obj.idnum in seen:
            return
        seen.add(obj.idnum)
        obj = obj.get_object()
    yield obj
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _walk(v, seen)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v, seen)


def test_xmp_declares_pdfa_2b_and_mirrors_the_info_dictionary() -> None:
    pdf, _ = _pdf()
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    root = reader.trailer["/Root"]
    meta = root["/Metadata"].get_object()
    assert meta["/Type"] == "/Metadata" and meta["/Subtype"] == "/XML"
    assert "/Filter" not in meta
    xmp = meta.get_data().decode("utf-8")
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    info = reader.metadata
    assert info.title == TITLE and info.subject == SUBJECT
    assert f'<rdf:li xml:lang="x-default">{TITLE}</rdf:li>' in xmp
    assert "Về việc cấp giấy chứng nhận đăng ký hộ kinh doanh &amp; &lt;khác&gt;" in xmp  # escaped
    assert (
        "<rdf:li>ỦY BAN NHÂN DÂN</rdf:li>" in xmp
        and "<pdf:Keywords>Số, ký hiệu: 15/QĐ-UBND</pdf:Keywords>" in xmp
    )
    assert f"<pdf:Producer>{info.producer}</pdf:Producer>" in xmp
    assert f"<xmp:CreatorTool>{info.creator}</xmp:CreatorTool>" in xmp
    assert info["/CreationDate"] == "D:20250304050607+07'00'" == info["/ModDate"]
    assert "<xmp:CreateDate>2025-03-04T05:06:07+07:00</xmp:CreateDate>" in xmp
    assert "<xmp:ModifyDate>2025-03-04T05:06:07+07:00</xmp:ModifyDate>" in xmp
    import xml.dom.minidom

    xml.dom.minidom.parseString(meta.get_data())  # well-formed


def test_output_intent_embeds_an_rgb_icc_profile() -> None:
    pdf, _ = _pdf()
    root = PdfReader(io.BytesIO(pdf), strict=True).trailer["/Root"]
    (intent,) = [i.get_object() for i in root["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1" and intent["/OutputConditionIdentifier"]
    profile = intent["/DestOutputProfile"].get_object()
    icc = profile.get_data()
    assert profile["/N"] == 3 and icc[36:40] == b"acsp" and icc[16:20] == b"RGB "
    assert icc[8] <= 4  # ICC major version PDF/A-2 accepts


def test_font_is_embedded_with_cid_to_gid_map_and_no_transparency_or_encryption() -> None:
    pdf, image_bytes = _pdf("png")
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert "/Encrypt" not in reader.trailer
    ids = reader.trailer["/ID"]
    assert len(ids) == 2 and len(ids[0].original_bytes) == 16
    objs = list(_walk(reader.trailer["/Root"]))
    fonts = [o for o in objs if isinstance(o, dict) and o.get("/Subtype") == "/CIDFontType2"]
    assert len(fonts) == 1
    font = fonts[0]
    assert isinstance(font["/CIDToGIDMap"].get_object(), StreamObject)
    font_file = font["/FontDescriptor"]["/FontFile2"].get_object()
    assert font_file.get_data()[:4] in (b"\x00\x01\x00\x00", b"true")
    for o in objs:
        if isinstance(o, dict):
            assert "/SMask" not in o and "/Group" not in o and "/JS" not in o
            assert o.get("/S") != "/Transparency"
            if o.get("/Subtype") == "/Image":
                assert o["/ColorSpace"] in ("/DeviceRGB", "/DeviceGray") or o["/ColorSpace"][0] == "/Indexed"
    assert pdf.startswith(b"%PDF-1.7\n%") and all(b > 127 for b in pdf[10:14])
    assert len(pdf) <= 1.15 * image_bytes + 12_000  # fixed cost: font, ICC (~7 KB) and XMP


def test_without_created_date_bytes_are_reproducible_and_qpdf_is_clean(tmp_path) -> None:  # noqa: ANN001
    words = (OcrWord("Số", 10, 10, 40, 20, 90.0),)
    image = io.BytesIO()
    Image.new("L", (100, 80), 255).save(image, format="PNG")
    page = PdfPageInput(image.getvalue(), "png", 100, 80, 100, OcrPage(0, 100, 80, 100, words, "Số", 90.0))
    a, b = build_searchable_pdf([page]), build_searchable_pdf([page])
    assert a == b and b"CreateDate" not in a
    if shutil.which("qpdf"):
        path = tmp_path / "a.pdf"
        path.write_bytes(a)
        done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert re.search(r"No syntax or stream encoding errors", done.stdout)
