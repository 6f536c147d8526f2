"""Hand-over export: one unit's documents of one year as a package an archive can ingest.

The package is a BagIt 1.0 bag (RFC 8493), which archives and tools such as ``bagit-python``
validate as is::

    OUT/
      bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
      data/<sha256>/original.<ext>  signed.pdf  metadata.json  ocr.txt
      data/documents.json   one record per document in TT 02/2019 (kept by TT 05/2025) field names
      data/documents.csv    the same, for a spreadsheet (UTF-8 with BOM)
      data/premis.xml       PREMIS 3 objects (with SHA-256 fixity) and events: received, OCR,
                            signed, archived, verified... when and by which agent

Every original and signed copy is read back (the version the ledger recorded) and checked
against the ledger's SHA-256 before it is written; any mismatch stops the export and no package
is left (the bag is built in ``OUT.partial`` and renamed at the end).

The TT 02/2019 mapping here is minimal (the fields the ledger holds). TODO(issue 4): use
``schemas/archival.py``'s mapping once it lands.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.errors import IntegrityError
from schemas.ledger import Document, Event
from storage.objectstore import ObjectStore

# TT 02/2019 typeName codes (tên loại văn bản).
TYPE_CODES = {
    "nghị quyết": "01",
    "quyết định": "02",
    "chỉ thị": "03",
    "quy chế": "04",
    "quy định": "05",
    "thông cáo": "06",
    "thông báo": "07",
    "hướng dẫn": "08",
    "chương trình": "09",
    "kế hoạch": "10",
    "phương án": "11",
    "đề án": "12",
    "dự án": "13",
    "báo cáo": "14",
    "tờ trình": "15",
    "giấy ủy quyền": "16",
    "phiếu gửi": "17",
    "phiếu chuyển": "18",
    "phiếu báo": "19",
    "biên bản": "20",
    "hợp đồng": "21",
    "công văn": "22",
    "công điện": "23",
    "bản ghi nhớ": "24",
    "bản thỏa thuận": "25",
    "giấy mời": "26",
    "giấy giới thiệu": "27",
    "giấy nghỉ phép": "28",
    "thư công": "29",
    "bản đồ": "30",
    "bản vẽ kỹ thuật": "31",
    "khác": "32",
}

TT_FIELDS = (
    "docCode",
    "fileCode",
    "typeName",
    "codeNumber",
    "codeNotation",
    "issuedDate",
    "organName",
    "subject",
    "language",
    "numberOfPage",
    "confidenceLevel",
    "maintenance",
    "mode",
    "format",
    "description",
)
EXTRA_FIELDS = ("sha256", "signedSha256", "files", "unitCode", "signer", "signerTitle")

# Our ledger event kinds → PREMIS event types (Library of Congress vocabulary where one fits).
PREMIS_EVENT_TYPES = {
    "received": "ingestion start",
    "ocr": "metadata extraction",
    "signed": "digital signature generation",
    "archived": "ingestion end",
    "verified": "fixity check",
    "fixity": "fixity check",
    "corrected": "metadata modification",
    "legal_hold": "policy assignment",
    "duplicate": "ingestion start",
    "quarantined": "validation",
}
PREMIS_NS = "http://www.loc.gov/premis/v3"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    documents: int
    files: int
    bytes: int


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def split_so_ky_hieu(so_ky_hieu: str | None) -> tuple[str | None, str | None]:
    """``"12/QĐ-UBND"`` → (codeNumber ``"12"``, codeNotation ``"QĐ-UBND"``)."""
    if not so_ky_hieu:
        return None, None
    match = re.fullmatch(r"\s*(\d+[a-zA-Z]?)\s*/\s*(.+?)\s*", so_ky_hieu)
    if not match:
        return None, _nfc(so_ky_hieu.strip())
    return match.group(1), _nfc(match.group(2))


def type_code(doc: Document) -> str | None:
    if doc.type_code:
        return doc.type_code
    if doc.loai_van_ban:
        return TYPE_CODES.get(_nfc(doc.loai_van_ban).strip().lower())
    return None


def tt_record(doc: Document, ordinal: int | None, files: dict[str, str]) -> dict[str, Any]:
    """One document's metadata in TT 02/2019 field names (plus a few sohoa fields after them)."""
    number, notation = split_so_ky_hieu(doc.so_ky_hieu)
    signer = ", ".join(x for x in (doc.chuc_vu_nguoi_ky, doc.nguoi_ky) if x)
    record: dict[str, Any] = {
        "docCode": f"{doc.ma_ho_so}.{ordinal:07d}" if doc.ma_ho_so and ordinal else None,
        "fileCode": doc.ma_ho_so,
        "typeName": type_code(doc),
        "codeNumber": number,
        "codeNotation": notation,
        "issuedDate": doc.ngay_ban_hanh.strftime("%d/%m/%Y") if doc.ngay_ban_hanh else None,
        "organName": doc.co_quan_ban_hanh,
        "subject": doc.trich_yeu,
        "language": "Tiếng Việt",
        "numberOfPage": doc.so_trang,
        "confidenceLevel": "02",  # digitized from paper
        "maintenance": doc.maintenance,
        "mode": None,  # chế độ sử dụng: the archivist decides
        "format": None,  # tình trạng vật lý of the paper: not known to sohoa
        "description": f"Bản số hóa có chữ ký số; người ký bản giấy: {signer}"
        if signer
        else "Bản số hóa có chữ ký số",
        "sha256": doc.sha256,
        "signedSha256": doc.signed_sha256,
        "files": files,
        "unitCode": doc.unit_code,
        "signer": doc.nguoi_ky,
        "signerTitle": doc.chuc_vu_nguoi_ky,
    }
    return {k: _nfc(v) if isinstance(v, str) else v for k, v in record.items()}


def _doc_codes(docs: Sequence[Document]) -> dict[str, int]:
    """7-digit ordinal of each document within its hồ sơ (mã hồ sơ), in archive order."""
    seen: dict[str, int] = {}
    ordinal: dict[str, int] = {}
    for doc in docs:
        if doc.ma_ho_so:
            seen[doc.ma_ho_so] = seen.get(doc.ma_ho_so, 0) + 1
            ordinal[doc.sha256] = seen[doc.ma_ho_so]
    return ordinal


def premis_xml(
    docs: Sequence[Document], events: dict[str, list[Event]], files: dict[str, dict[str, str]]
) -> bytes:
    """PREMIS 3: one object per exported file with its SHA-256, one event per ledger event."""
    ET.register_namespace("premis", PREMIS_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        el = ET.SubElement(parent, f"{{{PREMIS_NS}}}{tag}")
        if text is not None:
            el.text = _nfc(text)
        return el

    root = ET.Element(f"{{{PREMIS_NS}}}premis", {"version": "3.0"})
    agents: set[str] = set()
    for doc in docs:
        for rel, sha in files[doc.sha256].items():
            obj = sub(root, "object")
            obj.set("{http://www.w3.org/2001/XMLSchema-instance}type", "premis:file")
            ident = sub(obj, "objectIdentifier")
            sub(ident, "objectIdentifierType", "local")
            sub(ident, "objectIdentifierValue", rel)
            chars = sub(obj, "objectCharacteristics")
            fixity = sub(chars, "fixity")
            sub(fixity, "messageDigestAlgorithm", "SHA-256")
            sub(fixity, "messageDigest", sha)
            rel_el = sub(obj, "relationship")
            sub(rel_el, "relationshipType", "structural")
            sub(rel_el, "relationshipSubType", "is part of")
            rid = sub(rel_el, "relatedObjectIdentifier")
            sub(rid, "relatedObjectIdentifierType", "sha256")
            sub(rid, "relatedObjectIdentifierValue", doc.sha256)
    for doc in docs:
        for ev in events.get(doc.sha256, []):
            el = sub(root, "event")
            eid = sub(el, "eventIdentifier")
            sub(eid, "eventIdentifierType", "sohoa-ledger")
            sub(eid, "eventIdentifierValue", str(ev.id))
            sub(el, "eventType", PREMIS_EVENT_TYPES.get(ev.kind, ev.kind))
            sub(el, "eventDateTime", ev.at.astimezone(dt.UTC).isoformat())
            info = sub(el, "eventDetailInformation")
            sub(info, "eventDetail", f"{ev.kind}: {ev.detail}" if ev.detail else ev.kind)
            agent = sub(el, "linkingAgentIdentifier")
            sub(agent, "linkingAgentIdentifierType", "local")
            sub(agent, "linkingAgentIdentifierValue", ev.agent)
            obj = sub(el, "linkingObjectIdentifier")
            sub(obj, "linkingObjectIdentifierType", "sha256")
            sub(obj, "linkingObjectIdentifierValue", doc.sha256)
            agents.add(ev.agent)
    for name in sorted(agents):
        agent_el = sub(root, "agent")
        aid = sub(agent_el, "agentIdentifier")
        sub(aid, "agentIdentifierType", "local")
        sub(aid, "agentIdentifierValue", name)
        sub(agent_el, "agentName", name)
        sub(agent_el, "agentType", "software" if name.startswith("sohoa") else "person")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _objects_of(doc: Document) -> list[tuple[str, str | None, str | None]]:
    """(key, version id, expected sha256) of each archived file of a document."""
    prefix = doc.original_key.rsplit("/", 1)[0] if doc.original_key else ""
    out: list[tuple[str, str | None, str | None]] = []
    if doc.original_key:
        out.append((doc.original_key, doc.original_version_id, doc.sha256))
    if doc.signed_key:
        out.append((doc.signed_key, doc.signed_version_id, doc.signed_sha256))
    if doc.metadata_key:
        out.append((doc.metadata_key, doc.metadata_version_id, None))
    if prefix:
        out.append((f"{prefix}/ocr.txt", None, None))
    return out


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def export_package(
    store: ObjectStore,
    docs: Sequence[Document],
    events: dict[str, list[Event]],
    out: Path,
    *,
    source_organization: str,
    identifier: str,
) -> ExportResult:
    """Write ``docs`` as a BagIt bag at ``out`` (which must not exist yet)."""
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out} already exists; choose a new folder for the package")
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    data_dir = partial / "data"
    manifest: dict[str, str] = {}
    total = 0
    files_by_doc: dict[str, dict[str, str]] = {}
    records: list[dict[str, Any]] = []
    ordinals = _doc_codes(docs)
    try:
        for doc in docs:
            files: dict[str, str] = {}
            for key, version_id, expected in _objects_of(doc):
                data = store.get(key, version_id=version_id)
                digest = hashlib.sha256(data).hexdigest()
                if expected and digest != expected:
                    raise IntegrityError(
                        f"{store.uri(key)}: sha256 {digest} but the ledger says {expected}; "
                        "run `sohoa fixity` and restore the object before exporting"
                    )
                rel = f"data/{doc.sha256}/{key.rsplit('/', 1)[1]}"
                manifest[rel] = _write(partial / rel, data)
                files[rel] = digest
                total += len(data)
            files_by_doc[doc.sha256] = files
            records.append(
                tt_record(doc, ordinals.get(doc.sha256), {k.rsplit("/", 1)[1]: v for k, v in files.items()})
            )

        docs_json = json.dumps(records, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        manifest["data/documents.json"] = _write(data_dir / "documents.json", docs_json)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(TT_FIELDS + EXTRA_FIELDS)
        for r in records:
            writer.writerow(
                [
                    json.dumps(r[f], ensure_ascii=False)
                    if isinstance(r[f], dict)
                    else ("" if r[f] is None else r[f])
                    for f in TT_FIELDS + EXTRA_FIELDS
                ]
            )
        manifest["data/documents.csv"] = _write(
            data_dir / "documents.csv", ("\ufeff" + buf.getvalue()).encode("utf-8")
        )
        manifest["data/premis.xml"] = _write(data_dir / "premis.xml", premis_xml(docs, events, files_by_doc))

        sizes = {rel: (partial / rel).stat().st_size for rel in manifest}
        payload_bytes = sum(sizes.values())
        tags: dict[str, str] = {}
        tags["bagit.txt"] = _write(
            partial / "bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
        )
        info = [
            f"Source-Organization: {_nfc(source_organization)}",
            f"External-Identifier: {identifier}",
            f"External-Description: {len(docs)} digitized TTHC result(s), signed PDF + original scan + metadata",
            f"Bagging-Date: {dt.date.today().isoformat()}",
            f"Payload-Oxum: {payload_bytes}.{len(manifest)}",
            "Bag-Software-Agent: sohoa",
        ]
        tags["bag-info.txt"] = _write(partial / "bag-info.txt", ("\n".join(info) + "\n").encode("utf-8"))
        lines = "".join(f"{sha}  {rel}\n" for rel, sha in sorted(manifest.items()))
        tags["manifest-sha256.txt"] = _write(partial / "manifest-sha256.txt", lines.encode("utf-8"))
        tag_lines = "".join(f"{sha}  {rel}\n" for rel, sha in sorted(tags.items()))
        _write(partial / "tagmanifest-sha256.txt", tag_lines.encode("utf-8"))
        os.replace(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return ExportResult(path=out, documents=len(docs), files=len(manifest), bytes=payload_bytes)


def verify_bag(path: Path) -> list[str]:
    """Files of a bag whose SHA-256 differs from its manifests, or that are missing or unlisted."""
    path = Path(path)
    problems: list[str] = []
    listed: set[str] = set()
    for manifest in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
        for line in (path / manifest).read_text("utf-8").splitlines():
            sha, rel = line.split("  ", 1)
            listed.add(rel)
            target = path / rel
            if not target.is_file():
                problems.append(f"missing {rel}")
            elif hashlib.sha256(target.read_bytes()).hexdigest() != sha:
                problems.append(f"changed {rel}")
    for f in (path / "data").rglob("*"):
        if f.is_file() and f.relative_to(path).as_posix() not in listed:
            problems.append(f"unlisted {f.relative_to(path).as_posix()}")
    return problems
