"""Archived documents made in the test: objects in a store, rows and events in a ledger.

Import the helper into a test module (``from archivefixture import archive_documents``). The
objects are what the pipeline stores (original, signed PDF, metadata JSON, OCR text, each locked
with a retention) without running OCR or signing, so archive tests stay fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from schemas.ledger import Document
from storage.ledger import Ledger
from storage.objectstore import ObjectStore, archive_key, put_verified
from storage.retention import GOVERNANCE, Retention


def archive_documents(
    store: ObjectStore, ledger: Ledger, *, unit: str = "663", year: int = 2024, count: int = 2, start: int = 0
) -> list[Document]:
    """Archive ``count`` small documents; returns their ledger rows."""
    retention = Retention(
        GOVERNANCE, (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(microsecond=0), "06"
    )
    rows = []
    for i in range(start, start + count):
        original = f"%PDF-1.4 scan {unit} {year} {i}\n".encode() + bytes(range(256)) * (i + 1)
        sha = hashlib.sha256(original).hexdigest()
        signed = original + b"% signed by the agency\n"
        keys = {
            n: archive_key(unit, year, sha, n)
            for n in ("original.pdf", "signed.pdf", "metadata.json", "ocr.txt")
        }
        meta = json.dumps({"sha256": sha, "metadata": {"so_ky_hieu": f"{i + 1}/QĐ-UBND"}}, ensure_ascii=False)
        o = put_verified(store, keys["original.pdf"], original, "application/pdf", retention)
        s = put_verified(store, keys["signed.pdf"], signed, "application/pdf", retention)
        m = put_verified(store, keys["metadata.json"], meta.encode(), "application/json", retention)
        put_verified(store, keys["ocr.txt"], f"Quyết định số {i + 1}".encode(), "text/plain", retention)
        doc = Document(
            sha256=sha,
            file_name=f"scan-{i}.pdf",
            unit_code=unit,
            so_ky_hieu=f"{i + 1}/QĐ-UBND",
            ngay_ban_hanh=dt.date(year, 3, i % 28 + 1),
            co_quan_ban_hanh="ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL",
            loai_van_ban="Quyết định",
            trich_yeu="Về việc cấp Giấy chứng nhận quyền sử dụng đất",
            nguoi_ky="Nguyễn Văn A",
            chuc_vu_nguoi_ky="PHÓ CHỦ TỊCH",
            so_trang=1,
            ma_ho_so="H30.22-2024-001" if i % 2 == 0 else None,
            original_key=o.key,
            signed_key=s.key,
            metadata_key=m.key,
            original_version_id=o.version_id,
            signed_version_id=s.version_id,
            metadata_version_id=m.version_id,
            signed_sha256=s.sha256,
            maintenance=retention.maintenance,
            retain_until=retention.retain_until,
            received_at=dt.datetime.now(dt.UTC),
        )
        rows.append(
            ledger.record_document(
                doc,
                [
                    ("received", "sohoa", f"scan-{i}.pdf"),
                    ("ocr", "sohoa", "1 page(s)"),
                    ("signed", "sohoa", f"signed.pdf sha256 {s.sha256}"),
                    ("archived", "sohoa", o.uri),
                    ("verified", "sohoa", "read-back SHA-256 matched"),
                ],
            )
        )
    return rows
