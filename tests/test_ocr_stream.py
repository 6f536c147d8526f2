"""One page stream over many documents (``sohoa extract``): order, errors, and busy workers.

The OCR itself is replaced by stand-ins here (picklable module functions for the spawned
workers, monkeypatched ones for the serial path); the real OCR is covered by test_ocr_engine.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from ocr import engine
from ocr.extract import DocumentOcr, ocr_documents
from ocr.pages import PageImage
from schemas.documents import OcrPage, OcrWord
from schemas.errors import BlankDocument, CorruptFile, OcrError


def _wait_for_others(page: PageImage, *, lang: str, timeout_s: int) -> int:
    """Page 0 finishes only once page 4 has (or after ``timeout_s``); the others at once."""
    folder = Path(lang)
    if page.index == 0:
        deadline = time.monotonic() + timeout_s
        while not (folder / "4.done").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        result = 0 if (folder / "4.done").exists() else -1
    else:
        time.sleep(0.1)
        result = page.index
    (folder / f"{page.index}.done").touch()
    return result


def _fails_on_two(page: PageImage, *, lang: str, timeout_s: int) -> int:
    if page.index == 2:
        raise OcrError("tesseract timed out")
    return page.index


def test_a_slow_page_does_not_idle_the_other_worker(tmp_path: Path) -> None:
    """Pages after a slow one keep the other worker busy; results still come in stream order,
    and no more pages are drawn than the workers hold plus one."""
    drawn: list[int] = []

    def tagged():  # noqa: ANN202
        for i in range(6):
            finished = len(list(tmp_path.glob("*.done")))
            assert i - finished <= 3, f"page {i} drawn with only {finished} done"
            drawn.append(i)
            yield f"doc{i // 2}", PageImage(i, np.zeros((4, 4), np.uint8), 200)

    out = list(engine._stream_pages(_wait_for_others, tagged(), lang=str(tmp_path), timeout_s=60, workers=2))
    assert out == [(f"doc{i // 2}", i) for i in range(6)]  # page 0 saw page 4 finish first
    assert drawn == list(range(6))


def test_a_failed_page_is_yielded_in_its_place(tmp_path: Path) -> None:
    pages = [(i, PageImage(i, np.zeros((4, 4), np.uint8), 200)) for i in range(4)]
    out = list(engine._stream_pages(_fails_on_two, pages, lang="vie", timeout_s=5, workers=2))
    assert [tag for tag, _ in out] == [0, 1, 2, 3]
    assert [r for _, r in out if not isinstance(r, Exception)] == [0, 1, 3]
    assert isinstance(out[2][1], OcrError)


def _fake_encoded(page: PageImage, *, lang: str, timeout_s: int, encode: bool = True):  # noqa: ANN202
    assert encode is False  # sohoa extract builds no PDF: no display image is made
    if page.image.mean() > 200:  # a white page: no words
        return OcrPage(page.index, page.width, page.height, page.dpi, (), "", 0.0, blank=True), b"", "", None
    word = OcrWord(text=f"trang{page.index}", left=1, top=1, width=5, height=5, confidence=90.0)
    return OcrPage(page.index, page.width, page.height, page.dpi, (word,), word.text, 90.0), b"", "", None


def test_documents_come_back_in_order_each_with_its_own_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "ocr_page_encoded", _fake_encoded)
    ink, white = np.zeros((20, 20), np.uint8), np.full((20, 20), 255, np.uint8)
    opened: list[str] = []

    def doc(name: str, images: list[np.ndarray], fail_at: int | None = None):  # noqa: ANN202
        def open_doc():  # noqa: ANN202
            opened.append(name)

            def pages():  # noqa: ANN202
                for i, img in enumerate(images):
                    if i == fail_at:
                        raise CorruptFile(f"page {i} is damaged")
                    yield PageImage(i, img, 200)

            return pages(), None

        return name, open_doc

    def unreadable():  # noqa: ANN202
        opened.append("bad")
        raise CorruptFile("not an image")

    docs = [
        doc("a", [ink, ink]),
        ("bad", unreadable),
        doc("torn", [ink, ink, ink], fail_at=1),
        doc("empty", [white, white]),
        doc("b", [ink]),
    ]
    out = list(ocr_documents(iter(docs), workers=1))
    assert [key for key, _ in out] == ["a", "bad", "torn", "empty", "b"]
    a, bad, torn, empty, b = (r for _, r in out)
    assert isinstance(a, DocumentOcr) and [p.text for p in a.extraction.pages] == ["trang0", "trang1"]
    assert a.pdf_pages == ()
    assert isinstance(bad, CorruptFile) and isinstance(torn, CorruptFile)
    assert isinstance(empty, BlankDocument)
    assert isinstance(b, DocumentOcr) and b.extraction.metadata.so_trang == 1
    assert opened == ["a", "bad", "torn", "empty", "b"]


def _pid(page: PageImage, *, lang: str, timeout_s: int) -> int:
    import os

    return os.getpid()


def test_started_workers_are_the_ones_that_read_the_pages() -> None:
    import os

    from ocr import workers

    workers.start_workers(2, "vie")
    pool = workers.get_pool(2)
    started = {p.pid for p in pool._processes.values()}  # both spawned before any page
    assert len(started) == 2 and os.getpid() not in started
    pages = ((i, PageImage(index=i, image=np.zeros((4, 4), np.uint8), dpi=300)) for i in range(6))
    used = {pid for _, pid in engine._stream_pages(_pid, pages, lang="vie", timeout_s=30, workers=2)}
    assert used <= started and workers.get_pool(2) is pool


@pytest.mark.parametrize("pdf_images", [False, True])
def test_page_one_pixels_reach_the_metadata_checks(monkeypatch: pytest.MonkeyPatch, pdf_images: bool) -> None:
    """The checks of page 1's ink (blue handwritten digits, a trích yếu line left unread) get
    page 1's display image in colour, in ``sohoa extract`` (no PDF) as in the pipeline, and no
    other page's; the other pages of ``sohoa extract`` still travel as gray."""
    import ocr.extract as extract

    sent: list[tuple[int, int]] = []

    def fake_ocr_page(page: PageImage, *, lang: str, timeout_s: int, display: bool = True):  # noqa: ANN202
        sent.append((page.index, page.image.ndim))
        word = OcrWord(text=f"trang{page.index}", left=1, top=1, width=5, height=5, confidence=90.0)
        ocr = OcrPage(page.index, page.width, page.height, page.dpi, (word,), word.text, 90.0)
        return ocr, (page.image + page.index if display else None)

    seen: list[object] = []
    real_extract_fields = extract.extract_fields

    def spy(pages, images=None):  # noqa: ANN001, ANN202
        seen.append(images)
        return real_extract_fields(pages, images=images)

    monkeypatch.setattr(engine, "ocr_page", fake_ocr_page)
    monkeypatch.setattr(extract, "extract_fields", spy)
    colour = [np.full((40, 30, 3), (200, 60, 10), np.uint8) for _ in range(3)]
    pages = [PageImage(i, img, 200) for i, img in enumerate(colour)]
    out = list(ocr_documents([("a", lambda: (iter(pages), None))], workers=1, pdf_images=pdf_images))
    assert isinstance(out[0][1], DocumentOcr)
    assert len(seen) == 1 and seen[0] is not None and len(seen[0]) == 1
    np.testing.assert_array_equal(seen[0][0], colour[0])  # page 1's pixels, in colour
    assert sent[0] == (0, 3)
    assert [ndim for _, ndim in sent[1:]] == ([3, 3] if pdf_images else [2, 2])
