"""Fixity: is every archived object still there, unchanged, as the ledger says?

For each document the ledger lists, the original scan and the signed PDF are re-read from the
store and re-hashed against the SHA-256s the ledger recorded; the metadata JSON must be there and
name the document; the OCR text must be there. Where the ledger recorded S3 version ids, the
recorded (object-locked) version is hashed, and the key's *current* version is compared too: a
version written over ours or a delete marker hiding it is reported even though the locked version
underneath is intact, because that is what a reader of the key would get.

A transient store failure (:class:`~schemas.errors.StorageError` with ``transient``) is raised,
not reported: "the store did not answer" is not "the object is gone". Reads only; the caller
records the problems (ledger events) and schedules the runs (:mod:`flows.fixity`).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from schemas.errors import ObjectNotFound
from schemas.ledger import Document
from storage.objectstore import ObjectStore, sha256_hex

MISSING = "missing"
CHANGED = "changed"


@dataclass(frozen=True)
class FixityProblem:
    """One object that is not as the ledger says: ``problem`` is ``missing`` or ``changed``."""

    sha256: str  # the document (SHA-256 of its original scan)
    key: str
    problem: str
    detail: str


@dataclass(frozen=True)
class FixityReport:
    started: dt.datetime
    finished: dt.datetime
    documents_in_ledger: int
    documents_checked: int
    objects_checked: int
    bytes_hashed: int
    problems: tuple[FixityProblem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["started"] = self.started.isoformat()
        data["finished"] = self.finished.isoformat()
        data["ok"] = self.ok
        return data


@dataclass
class _Tally:
    objects: int = 0
    bytes: int = 0
    problems: list[FixityProblem] = field(default_factory=list)


def _hash_version(
    store: ObjectStore, doc: Document, key: str, expected: str, version_id: str | None, tally: _Tally
) -> None:
    """Check one hashed object: the recorded version, then what the key serves now."""
    tally.objects += 1
    try:
        data_hash = store.sha256_of(key, version_id=version_id)
    except ObjectNotFound:
        where = f" (version {version_id})" if version_id else ""
        tally.problems.append(FixityProblem(doc.sha256, key, MISSING, f"{store.uri(key)}{where} is gone"))
        return
    tally.bytes += store.stat(key, version_id=version_id).size
    if data_hash != expected:
        tally.problems.append(
            FixityProblem(doc.sha256, key, CHANGED, f"sha256 {data_hash}, ledger says {expected}")
        )
        return
    _check_current(store, doc, key, expected, version_id, tally)


def _check_current(
    store: ObjectStore, doc: Document, key: str, expected: str, version_id: str | None, tally: _Tally
) -> None:
    """With a recorded version: what a reader of the key gets now must still be those bytes."""
    if version_id is None:
        return
    try:
        current = store.stat(key)
    except ObjectNotFound:
        tally.problems.append(
            FixityProblem(
                doc.sha256,
                key,
                MISSING,
                f"{store.uri(key)} is hidden by a delete marker; the locked version {version_id} is intact",
            )
        )
        return
    if current.version_id != version_id:
        now_hash = store.sha256_of(key, version_id=current.version_id)
        if now_hash != expected:
            tally.problems.append(
                FixityProblem(
                    doc.sha256,
                    key,
                    CHANGED,
                    f"{store.uri(key)} now serves version {current.version_id} (sha256 {now_hash}); "
                    f"the locked version {version_id} is intact",
                )
            )


def _present(
    store: ObjectStore, doc: Document, key: str, version_id: str | None, tally: _Tally
) -> bytes | None:
    tally.objects += 1
    try:
        data = store.get(key, version_id=version_id)
    except ObjectNotFound:
        tally.problems.append(FixityProblem(doc.sha256, key, MISSING, f"{store.uri(key)} is gone"))
        return None
    tally.bytes += len(data)
    return data


def check_document(store: ObjectStore, doc: Document) -> tuple[int, int, list[FixityProblem]]:
    """(objects checked, bytes read, problems) for one ledger row."""
    tally = _Tally()
    if doc.original_key:
        _hash_version(store, doc, doc.original_key, doc.sha256, doc.original_version_id, tally)
    if doc.signed_key and doc.signed_sha256:
        _hash_version(store, doc, doc.signed_key, doc.signed_sha256, doc.signed_version_id, tally)
    if doc.metadata_key:
        data = _present(store, doc, doc.metadata_key, doc.metadata_version_id, tally)
        if data is not None:
            current_problems = len(tally.problems)
            _check_current(store, doc, doc.metadata_key, sha256_hex(data), doc.metadata_version_id, tally)
            try:
                named = json.loads(data.decode("utf-8")).get("sha256")
            except (UnicodeDecodeError, ValueError, AttributeError):
                named = None
            if named != doc.sha256 and len(tally.problems) == current_problems:
                tally.problems.append(
                    FixityProblem(
                        doc.sha256,
                        doc.metadata_key,
                        CHANGED,
                        "metadata JSON is unreadable or names another document",
                    )
                )
    if doc.original_key:
        text_key = doc.original_key.rsplit("/", 1)[0] + "/ocr.txt"
        _present(store, doc, text_key, None, tally)
    return tally.objects, tally.bytes, tally.problems


def choose_sample(docs: list[Document], sample: int | None, seed: int | None = None) -> list[Document]:
    """All documents, or ``sample`` of them chosen at random (a different set each run unless seeded),
    so that nightly samples cover the whole archive over time."""
    if sample is None or sample >= len(docs):
        return docs
    if sample < 0:
        raise ValueError("sample must be >= 0")
    return random.Random(seed).sample(docs, sample)


def check_fixity(
    store: ObjectStore,
    documents: Iterable[Document],
    *,
    sample: int | None = None,
    seed: int | None = None,
) -> FixityReport:
    """Re-hash the archived objects of ``documents`` (all, or a random ``sample``) against the ledger."""
    started = dt.datetime.now(dt.UTC)
    docs = list(documents)
    chosen = choose_sample(docs, sample, seed)
    objects = nbytes = 0
    problems: list[FixityProblem] = []
    for doc in chosen:
        n, b, found = check_document(store, doc)
        objects, nbytes = objects + n, nbytes + b
        problems.extend(found)
    return FixityReport(
        started=started,
        finished=dt.datetime.now(dt.UTC),
        documents_in_ledger=len(docs),
        documents_checked=len(chosen),
        objects_checked=objects,
        bytes_hashed=nbytes,
        problems=tuple(problems),
    )
