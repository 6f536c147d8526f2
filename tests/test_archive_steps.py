"""The pipeline's archive step locks every object with the document's retention."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from flows import steps
from schemas.documents import DocumentMetadata, Extraction, OcrPage
from schemas.errors import ObjectLocked
from schemas.settings import Settings
from storage.objectstore import LocalFolderStore
from storage.retention import COMPLIANCE


def test_archive_step_locks_every_object(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", retention_mode="COMPLIANCE", retention_class="03")
    data = b"%PDF-1.4 a scanned result\n"
    intake = steps.Intake(
        path=tmp_path / "x.pdf",
        name="x.pdf",
        unit="663",
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        kind="pdf",
    )
    extraction = Extraction(
        pages=(OcrPage(index=0, width=10, height=10, dpi=300, words=(), text="Quyết định", confidence=0.0),),
        metadata=DocumentMetadata(so_ky_hieu="1/QĐ-UBND", ngay_ban_hanh=dt.date(2023, 5, 2)),
    )
    keys = steps.keys_for(intake, steps.archive_year(extraction, dt.datetime.now(dt.UTC)))
    retention = steps.document_retention(settings, keys)
    assert (retention.mode, retention.maintenance) == (COMPLIANCE, "03")
    assert retention.retain_until == dt.datetime(2024 + 50, 1, 1, tzinfo=dt.UTC)  # 2023 + 1 + 50 years

    store = LocalFolderStore(tmp_path / "archive")
    copies = steps.archive(store, intake, extraction, b"%PDF-1.4 signed\n", keys, retention)
    assert copies.retention == retention
    for key in keys.values():
        info = store.stat(key)
        assert (info.retention_mode, info.retain_until) == (COMPLIANCE, retention.retain_until)
        with pytest.raises(ObjectLocked):
            store.delete(key)
    # a rerun after a crash finds everything in place and changes nothing
    again = steps.archive(store, intake, extraction, b"%PDF-1.4 signed\n", keys, retention)
    assert again.original.sha256 == copies.original.sha256
    assert again.metadata.size == copies.metadata.size


def test_metadata_record_is_the_same_with_fields_computed_once(tmp_path: Path) -> None:
    """The finishing step extracts the fields once for metadata.json and the ledger row; the
    record must not differ from one that extracts them itself."""
    from ocr.fields import extract_fields
    from schemas.documents import OcrWord

    lines = [
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "TỈNH ĐẮK NÔNG Độc lập - Tự do - Hạnh phúc",
        "Số: 1234/QĐ-UBND Đắk Nông, ngày 02 tháng 5 năm 2023",
        "QUYẾT ĐỊNH",
        "Về việc phê duyệt kế hoạch số hóa tài liệu lưu trữ",
        "CHỦ TỊCH",
        "Nguyễn Văn An",
    ]
    words = tuple(
        OcrWord(text=w, left=40 + 60 * i, top=30 + 40 * row, width=55, height=30, confidence=91.0, line=row)
        for row, line in enumerate(lines)
        for i, w in enumerate(line.split())
    )
    page = OcrPage(
        index=0, width=1654, height=2339, dpi=200, words=words, text="\n".join(lines), confidence=91.0
    )
    extraction = Extraction(pages=(page,), metadata=DocumentMetadata(so_ky_hieu="1234/QĐ-UBND"))
    data = b"%PDF-1.4 x\n"
    intake = steps.Intake(
        path=tmp_path / "x.pdf", name="x.pdf", unit="663", data=data,
        sha256=hashlib.sha256(data).hexdigest(), kind="pdf",
    )  # fmt: skip
    keys = steps.keys_for(intake, 2023)
    fields = extract_fields(extraction.pages)
    assert fields.value("so_ky_hieu")  # the record below carries real fields, not an empty set
    once = steps.metadata_record(intake, extraction, "ab" * 32, keys, fields)
    assert once == steps.metadata_record(intake, extraction, "ab" * 32, keys)
