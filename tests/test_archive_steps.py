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
