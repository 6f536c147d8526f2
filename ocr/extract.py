"""From page images to text, metadata and the pages of the searchable PDF.

This is the pure part of ``sohoa extract`` and of the digitize flow's OCR step: no Prefect, no
storage. The display image of each page is the original colour scan, only rotated/deskewed; a
JPEG page that needed neither is passed through byte for byte. A PDF's own text layer is used
where it holds the real page text (:mod:`ocr.textlayer`); blank pages (seal bleed-through backs)
come out with no words and ``blank=True``; page images are encoded in the OCR workers so the
parent never holds every page's pixels twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass

from ocr.engine import ocr_document_encoded
from ocr.metadata import extract_metadata
from ocr.pages import PageImage
from ocr.searchable_pdf import PdfPageInput, build_searchable_pdf, encode_page_image
from ocr.textlayer import read_text_layers, to_ocr_page
from schemas.documents import Extraction, OcrPage, nfc
from schemas.errors import BlankDocument


@dataclass(frozen=True, eq=False)
class DocumentOcr:
    """The extraction plus what the PDF builder needs for each page."""

    extraction: Extraction
    pdf_pages: tuple[PdfPageInput, ...]


def ocr_pages(
    pages: Iterable[PageImage],
    *,
    lang: str = "vie",
    timeout_s: int = 180,
    workers: int = 0,
    pdf_bytes: bytes | None = None,
) -> DocumentOcr:
    """OCR every page, extract the metadata, and prepare the searchable PDF's page images.

    ``pages`` may be lazy (a generator): each page is then decoded, handed to a worker and
    released, so only a few pages' pixels are in memory at once.

    ``pdf_bytes``: the input file when it is a PDF. Its text layer is read first
    (:mod:`ocr.textlayer`): a page with real (or TCVN3/VNI, converted) text uses it and is not
    OCR'd; a page whose layer only holds an e-signature stamp, or none, is OCR'd.

    Raises :class:`BlankDocument` when no page yields any word: an empty scan must reach a clerk,
    not the archive.
    """
    layers = read_text_layers(pdf_bytes) if pdf_bytes else []
    if isinstance(pages, Sized) and len(layers) != len(pages):
        layers = []  # pages and layers disagree (a decoder quirk): trust the images, OCR all
    # Per page, in order: the finished text-layer result, or None for "comes from the OCR".
    slots: list[tuple[OcrPage, bytes, str, int] | None] = []
    dpis: list[int] = []

    def to_ocr() -> Iterator[PageImage]:
        for i, page in enumerate(pages):
            dpis.append(page.dpi)
            layer = layers[i] if i < len(layers) else None
            if layer is None or not layer.usable:
                slots.append(None)
                yield page
                continue
            ocr = to_ocr_page(
                layer, index=page.index, width_px=page.width, height_px=page.height, dpi=page.dpi
            )
            data, fmt = encode_page_image(
                page.image, original=page.encoded, original_format=page.encoded_format
            )
            slots.append((ocr, data, fmt, page.dpi))

    ocr_results = iter(ocr_document_encoded(to_ocr(), lang=lang, timeout_s=timeout_s, workers=workers))
    ocr_list: list[OcrPage] = []
    pdf_pages = []
    for slot, dpi in zip(slots, dpis, strict=True):
        ocr, data, fmt = slot[:3] if slot is not None else next(ocr_results)
        ocr_list.append(ocr)
        pdf_pages.append(
            PdfPageInput(
                image=data, image_format=fmt, width_px=ocr.width, height_px=ocr.height, dpi=dpi, ocr=ocr
            )
        )
    ocr_pages_ = tuple(ocr_list)
    if not any(p.words for p in ocr_pages_):
        raise BlankDocument(f"{len(ocr_pages_)} page(s), no words recognised")
    metadata = extract_metadata(ocr_pages_)
    if metadata.so_trang is None:
        metadata = dataclasses.replace(metadata, so_trang=len(ocr_pages_))
    return DocumentOcr(Extraction(pages=ocr_pages_, metadata=metadata), tuple(pdf_pages))


def pdf_info(extraction: Extraction) -> Mapping[str, str]:
    """The PDF's document information (mirrored in its XMP metadata): what an archivist sees in
    any PDF reader. Keywords carry the fields a search in a file manager or DMS looks for."""
    md = extraction.metadata
    title = " ".join(x for x in (md.loai_van_ban, md.so_ky_hieu) if x) or "Bản số hóa"
    info = {"Title": title, "Creator": "sohoa", "Producer": "sohoa"}
    if md.trich_yeu:
        info["Subject"] = md.trich_yeu
    if md.co_quan_ban_hanh:
        info["Author"] = md.co_quan_ban_hanh
    keywords = [
        f"{label}: {value}"
        for label, value in (
            ("Số, ký hiệu", md.so_ky_hieu),
            ("Ngày ban hành", md.ngay_ban_hanh.isoformat() if md.ngay_ban_hanh else None),
            ("Loại văn bản", md.loai_van_ban),
            ("Cơ quan ban hành", md.co_quan_ban_hanh),
            ("Người ký", md.nguoi_ky),
        )
        if value
    ]
    if keywords:
        info["Keywords"] = "; ".join(keywords)
    return {k: nfc(v) for k, v in info.items()}


def build_pdf(doc: DocumentOcr, *, created: dt.datetime | None = None) -> bytes:
    """The searchable PDF/A-2b of a document; ``created`` defaults to now (UTC)."""
    return build_searchable_pdf(
        doc.pdf_pages, info=pdf_info(doc.extraction), created=created or dt.datetime.now(dt.UTC)
    )
