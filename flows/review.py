"""The review queue: an archivist corrects a doubtful metadata field.

The correction is recorded in the ledger (``corrected`` event: who, when, old → new) and the
archived metadata JSON gets a new version under a new key ``<unit>/<year>/<sha>/metadata.v<N>.json``
(the store is write-once, so versions never overwrite each other). The signed PDF is never
rewritten: its signature covers the bytes as signed, and the metadata lives beside it.
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
from dataclasses import dataclass
from typing import Any

from schemas.errors import ObjectNotFound, ReviewError
from schemas.ledger import Document
from storage.ledger import Ledger, parse_field_value
from storage.objectstore import ObjectStore, put_verified, validate_key


@dataclass(frozen=True)
class Correction:
    sha256: str
    field: str
    old: Any
    new: Any
    by: str
    metadata_key: str | None
    needs_review: bool


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def next_metadata_key(store: ObjectStore, current_key: str) -> tuple[str, int]:
    """The first free ``metadata.v<N>.json`` beside ``current_key`` (N >= 2; v1 is metadata.json)."""
    folder = posixpath.dirname(current_key)
    n = 2
    while store.exists(key := validate_key(f"{folder}/metadata.v{n}.json")):
        n += 1
    return key, n


def correct_metadata(
    ledger: Ledger, store: ObjectStore, sha256: str, field: str, value: str, by: str
) -> Correction:
    """Apply one correction: new metadata JSON version first (write-once, verified), then the
    ledger row, its ``field_meta`` and the ``corrected`` event in one transaction."""
    try:
        parsed = parse_field_value(field, value)
    except ValueError as exc:
        raise ReviewError(str(exc)) from exc
    if not by.strip():
        raise ReviewError("say who made the correction (--by NAME)")
    doc = ledger.find_document(sha256)
    if doc is None:
        raise ReviewError(f"no document {sha256} in the ledger")
    old = getattr(doc, field)
    new_key = version_id = None
    if doc.metadata_key:
        try:
            record = json.loads(store.get(doc.metadata_key))
        except ObjectNotFound:
            record = {"sha256": doc.sha256}
        new_key, n = next_metadata_key(store, doc.metadata_key)
        record = _new_version(record, doc, field, old, parsed, by, n)
        data = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        stored = put_verified(store, new_key, data, "application/json")
        version_id = stored.version_id
    try:
        row, _ev = ledger.correct_field(
            sha256, field, parsed, by, metadata_key=new_key, metadata_version_id=version_id
        )
    except KeyError as exc:
        raise ReviewError(f"no document {sha256} in the ledger") from exc
    return Correction(row.sha256, field, old, parsed, by, row.metadata_key, row.needs_review)


def _new_version(
    record: dict[str, Any], doc: Document, field: str, old: Any, new: Any, by: str, n: int
) -> dict[str, Any]:
    record = dict(record)
    metadata = dict(record.get("metadata") or {})
    metadata[field] = _jsonable(new)
    record["metadata"] = metadata
    record["version"] = n
    record["supersedes"] = doc.metadata_key
    record["corrections"] = [
        *record.get("corrections", []),
        {
            "field": field,
            "old": _jsonable(old),
            "new": _jsonable(new),
            "by": by,
            "at": dt.datetime.now(dt.UTC).isoformat(),
        },
    ]
    return record
