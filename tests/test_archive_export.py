"""Hand-over export (BagIt + TT 02/2019 metadata + PREMIS events) and `sohoa hold`."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from archivefixture import archive_documents
from typer.testing import CliRunner

from flows.export import export_package, split_so_ky_hieu, verify_bag
from schemas.errors import IntegrityError, ObjectLocked
from storage.ledger import Ledger
from storage.objectstore import LocalFolderStore

P = "{http://www.loc.gov/premis/v3}"


@pytest.fixture
def archive(tmp_path: Path) -> tuple[LocalFolderStore, Ledger]:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.create_all()
    return LocalFolderStore(tmp_path / "archive"), ledger


def _export(store: LocalFolderStore, ledger: Ledger, out: Path, unit: str = "663", year: int = 2024):
    docs = ledger.archived_documents(unit_code=unit, key_year=year)
    events = {d.sha256: ledger.events(d.sha256) for d in docs}
    return export_package(store, docs, events, out, source_organization="UBND HUYỆN ĐẮK MIL", identifier="x")


def test_package_is_a_valid_bag_with_tt_metadata_and_premis(
    archive: tuple[LocalFolderStore, Ledger], tmp_path: Path
) -> None:
    store, ledger = archive
    docs = archive_documents(store, ledger, count=3)
    archive_documents(store, ledger, year=2023, count=1, start=10)  # another year
    archive_documents(store, ledger, unit="664", count=1, start=20)  # another unit
    out = tmp_path / "handover"
    result = _export(store, ledger, out)

    assert result.documents == 3
    assert verify_bag(out) == []
    assert (out / "bagit.txt").read_text().startswith("BagIt-Version: 1.0")
    oxum = next(
        line
        for line in (out / "bag-info.txt").read_text("utf-8").splitlines()
        if line.startswith("Payload-Oxum")
    )
    payload = [p for p in (out / "data").rglob("*") if p.is_file()]
    assert oxum == f"Payload-Oxum: {sum(p.stat().st_size for p in payload)}.{len(payload)}"
    assert sorted(p.name for p in (out / "data").iterdir() if p.is_dir()) == sorted(d.sha256 for d in docs)
    for d in docs:
        names = sorted(p.name for p in (out / "data" / d.sha256).iterdir())
        assert names == ["metadata.json", "ocr.txt", "original.pdf", "signed.pdf"]
        assert (out / "data" / d.sha256 / "original.pdf").read_bytes() == store.get(d.original_key)

    records = {r["sha256"]: r for r in json.loads((out / "data" / "documents.json").read_text("utf-8"))}
    first = records[docs[0].sha256]
    assert first["codeNumber"] == "1"
    assert first["codeNotation"] == "QĐ-UBND"
    assert first["typeName"] == "02"  # Quyết định
    assert first["issuedDate"] == "01/03/2024"
    assert first["organName"] == "ỦY BAN NHÂN DÂN HUYỆN ĐẮK MIL"
    assert first["confidenceLevel"] == "02"
    assert first["maintenance"] == "06"
    # docCode numbers documents within their hồ sơ: docs 0 and 2 share one, doc 1 has none
    assert first["docCode"] == "H30.22-2024-001.0000001"
    assert records[docs[2].sha256]["docCode"] == "H30.22-2024-001.0000002"
    assert records[docs[1].sha256]["docCode"] is None
    csv_text = (out / "data" / "documents.csv").read_text("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("docCode,fileCode,typeName,codeNumber")
    assert len(csv_text.splitlines()) == 4

    premis = ET.parse(out / "data" / "premis.xml").getroot()
    events = premis.findall(f"{P}event")
    assert len(events) == 3 * 5
    types = {e.findtext(f"{P}eventType") for e in events}
    assert {"ingestion start", "metadata extraction", "digital signature generation", "fixity check"} <= types
    assert all(e.findtext(f"{P}eventDateTime") for e in events)
    objects = premis.findall(f"{P}object")
    assert len(objects) == 3 * 4
    digests = {
        o.findtext(f"{P}objectIdentifier/{P}objectIdentifierValue"): o.findtext(f".//{P}messageDigest")
        for o in objects
    }
    manifest = dict(
        reversed(line.split("  ", 1)) for line in (out / "manifest-sha256.txt").read_text().splitlines()
    )
    assert all(manifest[rel] == sha for rel, sha in digests.items())


def test_a_bag_altered_later_fails_verification(
    archive: tuple[LocalFolderStore, Ledger], tmp_path: Path
) -> None:
    store, ledger = archive
    archive_documents(store, ledger, count=1)
    out = tmp_path / "handover"
    _export(store, ledger, out)
    (out / "data" / "documents.json").write_text("[]")
    (out / "data" / "extra.txt").write_text("x")
    assert verify_bag(out) == ["changed data/documents.json", "unlisted data/extra.txt"]


def test_export_refuses_a_changed_object_and_leaves_nothing(
    archive: tuple[LocalFolderStore, Ledger], tmp_path: Path
) -> None:
    store, ledger = archive
    docs = archive_documents(store, ledger, count=2)
    path = store.root / docs[1].signed_key
    os.chmod(path, 0o644)
    path.write_bytes(b"forged")
    out = tmp_path / "handover"
    with pytest.raises(IntegrityError):
        _export(store, ledger, out)
    assert not out.exists()
    assert not (tmp_path / "handover.partial").exists()


def test_export_never_writes_into_an_existing_folder(
    archive: tuple[LocalFolderStore, Ledger], tmp_path: Path
) -> None:
    store, ledger = archive
    archive_documents(store, ledger, count=1)
    (tmp_path / "handover").mkdir()
    with pytest.raises(FileExistsError):
        _export(store, ledger, tmp_path / "handover")


@pytest.mark.parametrize(
    ("so_ky_hieu", "expected"),
    [
        ("12/QĐ-UBND", ("12", "QĐ-UBND")),
        (" 05a / GCN ", ("05a", "GCN")),
        ("QĐ-UBND", (None, "QĐ-UBND")),
        (None, (None, None)),
    ],
)
def test_split_so_ky_hieu(so_ky_hieu: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_so_ky_hieu(so_ky_hieu) == expected


# --- the commands -------------------------------------------------------------------------------


def _runtime():
    from flows.runtime import get_runtime

    return get_runtime()


def test_cli_export_and_hold(sohoa_home: Path, tmp_path: Path) -> None:
    from flows.cli import app

    rt = _runtime()
    docs = archive_documents(rt.store, rt.ledger, count=2)
    runner = CliRunner()

    result = runner.invoke(app, ["export", "--unit", "663", "--year", "2024", str(tmp_path / "bag")])
    assert result.exit_code == 0, result.output
    assert "2 document(s)" in result.output
    assert verify_bag(tmp_path / "bag") == []
    result = runner.invoke(app, ["export", "--unit", "663", "--year", "2019", str(tmp_path / "none")])
    assert result.exit_code == 1

    sha = docs[0].sha256
    result = runner.invoke(app, ["hold", sha, "--by", "Trần Thị B", "--reason", "Công văn 15/TTr"])
    assert result.exit_code == 0, result.output
    assert rt.ledger.find_document(sha).legal_hold
    assert rt.store.stat(docs[0].signed_key).legal_hold
    assert rt.ledger.events(sha)[-1].kind == "legal_hold"
    assert rt.ledger.events(sha)[-1].agent == "Trần Thị B"

    result = runner.invoke(app, ["hold", sha, "--release"])
    assert result.exit_code == 0, result.output
    assert not rt.ledger.find_document(sha).legal_hold
    assert not rt.store.stat(docs[0].signed_key).legal_hold
    with pytest.raises(ObjectLocked):  # released, but the retention still holds it
        rt.store.delete(docs[0].signed_key)

    assert runner.invoke(app, ["hold", "0" * 64]).exit_code == 1
    assert runner.invoke(app, ["hold", "not-a-hash"]).exit_code == 2
