"""From page images to text, metadata and the pages of the searchable PDF.

This is the pure part of ``sohoa extract`` and of the digitize flow's OCR step: no Prefect, no
storage. The display image of each page is the original colour scan, only rotated/deskewed; a
JPEG page that needed neither is passed through byte for byte.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ocr.engine import ocr_document
from ocr.metadata import extract_metadata
from ocr.pages import PageImage
from ocr.searchable_pdf import PdfPageInput, build_searchable_pdf, encode_page_image
from schemas.documents import Extraction, nfc
from schemas.errors import BlankDocument


@dataclass(frozen=True, eq=False)
class DocumentOcr:
    """The extraction plus what the PDF builder needs for each page."""

    extraction: Extraction
    pdf_pages: tuple[PdfPageInput, ...]


def ocr_pages(
    pages: Sequence[PageImage], *, lang: str = "vie", timeout_s: int = 180, workers: int = 0
) -> DocumentOcr:
    """OCR every page, extract the metadata, and prepare the searchable PDF's page images.

    Raises :class:`BlankDocument` when no page yields any word: an empty scan must reach a clerk,
    not the archive.
    """
    results = ocr_document(list(pages), lang=lang, timeout_s=timeout_s, workers=workers)
    ocr_pages_ = tuple(ocr for ocr, _ in results)
    if not any(p.words for p in ocr_pages_):
        raise BlankDocument(f"{len(pages)} page(s), no words recognised")
    metadata = extract_metadata(ocr_pages_)
    if metadata.so_trang is None:
        metadata = dataclasses.replace(metadata, so_trang=len(ocr_pages_))
    pdf_pages = []
    for page, (ocr, display) in zip(pages, results, strict=True):
        untouched = ocr.rotation == 0 and abs(ocr.skew) < 1e-6
        original = page.encoded if untouched else None
        data, fmt = encode_page_image(
            display, original=original, original_format=page.encoded_format if original else None
        )
        height, width = display.shape[:2]
        pdf_pages.append(
            PdfPageInput(
                image=data, image_format=fmt, width_px=width, height_px=height, dpi=page.dpi, ocr=ocr
            )
        )
    return DocumentOcr(Extraction(pages=ocr_pages_, metadata=metadata), tuple(pdf_pages))


def pdf_info(extraction: Extraction) -> Mapping[str, str]:
    """The PDF's document information: the metadata an archivist sees in any PDF reader."""
    md = extraction.metadata
    title = " ".join(x for x in (md.loai_van_ban, md.so_ky_hieu) if x) or "Bản số hóa"
    info = {"Title": title, "Creator": "sohoa", "Producer": "sohoa"}
    if md.trich_yeu:
        info["Subject"] = md.trich_yeu
    if md.co_quan_ban_hanh:
        info["Author"] = md.co_quan_ban_hanh
    return {k: nfc(v) for k, v in info.items()}


def build_pdf(doc: DocumentOcr) -> bytes:
    return build_searchable_pdf(doc.pdf_pages, info=pdf_info(doc.extraction))
