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
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass
from typing import TypeVar

from ocr.engine import EncodedPage, ocr_document_encoded, stream_pages_encoded
from ocr.fields import MetadataResult, extract_fields
from ocr.pages import PageImage, SourcePage
from ocr.preprocess import ink_gray
from ocr.searchable_pdf import PdfPageInput, build_searchable_pdf, encode_page_image
from ocr.textlayer import read_text_layers, to_ocr_page
from schemas.documents import Extraction, OcrPage, nfc
from schemas.errors import BlankDocument, SohoaError

K = TypeVar("K")


@dataclass(frozen=True, eq=False)
class DocumentOcr:
    """The extraction plus what the PDF builder needs for each page."""

    extraction: Extraction
    pdf_pages: tuple[PdfPageInput, ...]
    # The per-field result (confidences, sources, review reasons) the metadata came from, kept so
    # metadata.json and the ledger row reuse it instead of parsing the pages again.
    fields: MetadataResult | None = None


def ocr_pages(
    pages: Iterable[PageImage],
    *,
    lang: str = "vie",
    timeout_s: int = 180,
    workers: int = 0,
    pdf_bytes: bytes | None = None,
    pdf_images: bool = True,
) -> DocumentOcr:
    """OCR every page, extract the metadata, and prepare the searchable PDF's page images.

    ``pages`` may be lazy (a generator): each page is then decoded, handed to a worker and
    released, so only a few pages' pixels are in memory at once.

    ``pdf_bytes``: the input file when it is a PDF. Its text layer is read first
    (:mod:`ocr.textlayer`): a page with real (or TCVN3/VNI, converted) text uses it and is not
    OCR'd; a page whose layer only holds an e-signature stamp, or none, is OCR'd.

    ``pdf_images=False``: no PDF will be built (``sohoa extract``), so no page is turned, deskewed
    or encoded for it; ``pdf_pages`` is then empty.

    Raises :class:`BlankDocument` when no page yields any word: an empty scan must reach a clerk,
    not the archive.
    """
    doc = _Document(pages, pdf_bytes, pdf_images)
    results = ocr_document_encoded(
        doc.to_ocr(), lang=lang, timeout_s=timeout_s, workers=workers, encode=pdf_images
    )
    return doc.finish(iter(results))


def ocr_documents(
    docs: Iterable[tuple[K, Callable[[], tuple[Iterable[PageImage], bytes | None]]]],
    *,
    lang: str = "vie",
    timeout_s: int = 180,
    workers: int = 0,
    pdf_images: bool = False,
) -> Iterator[tuple[K, DocumentOcr | SohoaError]]:
    """:func:`ocr_pages` over many documents with one page stream, so every OCR worker stays
    busy across document boundaries (documents of one to three pages otherwise leave a core
    idle at each end). Yields ``(key, DocumentOcr)``, or ``(key, error)`` for a document that
    failed (on opening, on a damaged page, in OCR, or blank), in the order of ``docs``.

    Each entry of ``docs`` is a key and a function opening the document: it returns its pages
    (lazy is best) and the file's bytes when it is a PDF (for its text layer), or raises a
    :class:`SohoaError`. Documents are opened only as the workers get to them.
    """
    states: deque[_Document] = deque()

    def stream() -> Iterator[tuple[_Document, PageImage]]:
        for key, open_doc in docs:
            try:
                pages, pdf_bytes = open_doc()
                doc = _Document(pages, pdf_bytes, pdf_images, key=key)
            except SohoaError as exc:
                states.append(_Document.failed(key, exc))
                continue
            states.append(doc)
            try:
                for page in doc.to_ocr():
                    doc.submitted += 1
                    # Without a PDF to build, the OCR needs only the seal-free gray (its first
                    # step): a third of a colour page's bytes to pickle and pipe to the worker.
                    # Page 1 goes in colour all the same: its display image comes back for the
                    # metadata checks of its ink (blue handwritten digits).
                    yield doc, page if pdf_images or page.index == 0 else _gray_page(page)
            except SohoaError as exc:
                doc.error = exc
            doc.opened = False

    def finished() -> Iterator[tuple[K, DocumentOcr | SohoaError]]:
        while states and not states[0].opened and len(states[0].results) == states[0].submitted:
            doc = states.popleft()
            yield doc.key, doc.outcome()

    tagged = stream_pages_encoded(
        stream(), lang=lang, timeout_s=timeout_s, workers=workers, encode=pdf_images
    )
    for doc, result in tagged:
        doc.results.append(result)
        yield from finished()
    yield from finished()


def _gray_page(page: PageImage) -> PageImage:
    if isinstance(page, SourcePage) or page.image.ndim == 2:  # a SourcePage decodes as gray
        return page
    return dataclasses.replace(page, image=ink_gray(page.image), encoded=None, encoded_format=None)


class _Document:
    """One document's way through OCR: which pages its text layer settles, which go to OCR,
    and, once every page is back, the extraction."""

    def __init__(
        self, pages: Iterable[PageImage], pdf_bytes: bytes | None, pdf_images: bool, key: object = None
    ) -> None:
        self.key = key
        self.pages = pages
        self.pdf_images = pdf_images
        layers = read_text_layers(pdf_bytes) if pdf_bytes else []
        if isinstance(pages, Sized) and len(layers) != len(pages):
            layers = []  # pages and layers disagree (a decoder quirk): trust the images, OCR all
        self.layers = layers
        # Per page, in order: the finished text-layer result, or None for "comes from the OCR".
        self.slots: list[EncodedPage | None] = []
        self.dpis: list[int] = []
        self.results: list[EncodedPage | SohoaError] = []
        self.submitted = 0
        self.opened = True
        self.error: SohoaError | None = None

    @classmethod
    def failed(cls, key: object, error: SohoaError) -> _Document:
        doc = cls([], None, False, key=key)
        doc.opened, doc.error = False, error
        return doc

    def to_ocr(self) -> Iterator[PageImage]:
        for i, page in enumerate(self.pages):
            self.dpis.append(page.dpi)
            layer = self.layers[i] if i < len(self.layers) else None
            if layer is None or not layer.usable:
                self.slots.append(None)
                yield page
                continue
            ocr = to_ocr_page(
                layer, index=page.index, width_px=page.width, height_px=page.height, dpi=page.dpi
            )
            data, fmt = b"", ""
            if self.pdf_images:
                data, fmt = encode_page_image(
                    page.image, original=page.encoded, original_format=page.encoded_format
                )
            self.slots.append((ocr, data, fmt, page.image if page.index == 0 else None))

    def outcome(self) -> DocumentOcr | SohoaError:
        if self.error is not None:
            return self.error
        for r in self.results:
            if isinstance(r, SohoaError):
                return r
        try:
            return self.finish(iter(self.results))
        except SohoaError as exc:
            return exc

    def finish(self, ocr_results: Iterator[EncodedPage]) -> DocumentOcr:
        ocr_list: list[OcrPage] = []
        pdf_pages = []
        first_image = None  # page 1's pixels, for the metadata checks that look at its ink
        for slot, dpi in zip(self.slots, self.dpis, strict=True):
            ocr, data, fmt, image = slot if slot is not None else next(ocr_results)
            if not ocr_list:
                first_image = image
            ocr_list.append(ocr)
            if self.pdf_images:
                pdf_pages.append(
                    PdfPageInput(
                        image=data,
                        image_format=fmt,
                        width_px=ocr.width,
                        height_px=ocr.height,
                        dpi=dpi,
                        ocr=ocr,
                    )
                )
        pages = tuple(ocr_list)
        if not any(p.words for p in pages):
            raise BlankDocument(f"{len(pages)} page(s), no words recognised")
        fields = extract_fields(pages, images=None if first_image is None else [first_image])
        metadata = fields.metadata()
        if metadata.so_trang is None:
            metadata = dataclasses.replace(metadata, so_trang=len(pages))
        return DocumentOcr(Extraction(pages=pages, metadata=metadata), tuple(pdf_pages), fields)


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
