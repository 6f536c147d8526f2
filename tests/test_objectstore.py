"""Contract tests for the archive stores: the same suite runs on a local folder and on S3.

S3 runs against moto's server on 127.0.0.1 (or MinIO when MINIO_ENDPOINT is set); see s3fixture.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import io
import os
import stat
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from s3fixture import S3Endpoint, s3_endpoint, s3_store  # noqa: F401  (fixtures)

from schemas.errors import ConfigError, IntegrityError, ObjectLocked, StorageError
from storage.objectstore import (
    InvalidObjectKey,
    LocalFolderStore,
    ObjectNotFound,
    ObjectStore,
    S3Store,
    StoredObject,
    _checksum_headers,
    archive_key,
    open_store,
    put_verified,
    validate_key,
)
from storage.retention import COMPLIANCE, GOVERNANCE, Retention, retention_for

SHA_A = hashlib.sha256(b"a").hexdigest()
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalFolderStore(tmp_path / "archive")
    return request.getfixturevalue("s3_store")


def _key(name: str = "signed.pdf", sha: str = SHA_A) -> str:
    return archive_key("663", 2024, sha, name)


# --- the contract ------------------------------------------------------------------------------


def test_is_an_object_store(store: ObjectStore) -> None:
    assert isinstance(store, ObjectStore)
    store.check()


def test_put_get_exists(store: ObjectStore) -> None:
    key = _key()
    assert not store.exists(key)
    stored = store.put(key, PDF, content_type="application/pdf")
    assert stored.key == key
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.size == len(PDF)
    assert stored.uri == store.uri(key)
    assert store.exists(key)
    assert store.get(key) == PDF
    assert store.sha256_of(key) == stored.sha256
    # a sibling key under the same prefix is still absent
    assert not store.exists(_key("metadata.json"))


def test_same_content_put_is_idempotent(store: ObjectStore) -> None:
    key = _key()
    first = store.put(key, PDF, content_type="application/pdf")
    second = store.put(key, PDF, content_type="application/pdf")
    assert second.sha256 == first.sha256
    assert second.version_id == first.version_id  # nothing new was written
    assert store.get(key) == PDF


def test_different_content_at_same_key_raises_and_keeps_the_original(store: ObjectStore) -> None:
    key = _key()
    store.put(key, PDF, content_type="application/pdf")
    with pytest.raises(IntegrityError):
        store.put(key, PDF + b"tampered", content_type="application/pdf")
    assert store.get(key) == PDF


def test_put_verified_reads_back(store: ObjectStore) -> None:
    key = _key("metadata.json")
    data = '{"trich_yeu": "Về việc cấp Giấy chứng nhận"}'.encode()
    stored = put_verified(store, key, data, "application/json")
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert store.sha256_of(key) == stored.sha256


def test_empty_object(store: ObjectStore) -> None:
    key = _key("ocr.txt")
    stored = put_verified(store, key, b"", "text/plain")
    assert stored.size == 0
    assert store.get(key) == b""


def test_missing_object(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound) as info:
        store.get(_key())
    assert not info.value.transient
    with pytest.raises(ObjectNotFound):
        store.sha256_of(_key())


@pytest.mark.parametrize(
    "key",
    [
        "663/2024/Đắk Mil/signed.pdf",  # Vietnamese
        "Dak Mil/signed.pdf",  # space
        "663/../etc/passwd",
        "/663/signed.pdf",
        "663//signed.pdf",
        "663/.hidden",
        "663/signed.pdf/",
        "",
        "x" * 1025,
    ],
)
def test_unsafe_keys_are_rejected(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidObjectKey):
        store.put(key, b"x", content_type="text/plain")
    with pytest.raises(InvalidObjectKey):
        store.exists(key)


def test_concurrent_puts_of_one_key(store: ObjectStore) -> None:
    key = _key()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: store.put(key, PDF, content_type="application/pdf"), range(4)))
    assert {r.sha256 for r in results} == {hashlib.sha256(PDF).hexdigest()}
    assert store.get(key) == PDF


# --- immutability: retention, legal hold, refused deletes (both stores) -------------------------


def _soon(seconds: int = 3600) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).replace(microsecond=0)


def test_retention_travels_with_the_object(store: ObjectStore) -> None:
    key = _key()
    retention = Retention(GOVERNANCE, _soon(), "06")
    stored = put_verified(store, key, PDF, "application/pdf", retention)
    info = store.stat(key)
    assert info.size == len(PDF)
    assert info.version_id == stored.version_id
    assert info.retention_mode == GOVERNANCE
    assert info.retain_until == retention.retain_until
    assert not info.legal_hold
    assert info.locked()


def test_delete_of_a_retained_object_fails_loudly(store: ObjectStore) -> None:
    key = _key()
    put_verified(store, key, PDF, "application/pdf", Retention(GOVERNANCE, _soon(), "02"))
    with pytest.raises(ObjectLocked) as info:
        store.delete(key)
    assert not info.value.transient
    assert "locked" in str(info.value)
    assert store.get(key) == PDF


def test_legal_hold_blocks_delete_until_released(store: ObjectStore) -> None:
    key = _key("metadata.json")
    data = b'{"so_ky_hieu": "12/QD-UBND"}'
    put_verified(store, key, data, "application/json")
    assert not store.stat(key).locked()
    store.set_legal_hold(key, True)
    assert store.stat(key).legal_hold
    with pytest.raises(ObjectLocked):
        store.delete(key)
    assert store.get(key) == data
    store.set_legal_hold(key, False)
    assert not store.stat(key).legal_hold
    store.delete(key)  # nothing protects it any more
    assert not store.exists(key)


def test_retention_cannot_be_weakened_by_a_second_put(store: ObjectStore) -> None:
    key = _key()
    first = Retention(GOVERNANCE, _soon(7200), "04")
    put_verified(store, key, PDF, "application/pdf", first)
    put_verified(store, key, PDF, "application/pdf", Retention(GOVERNANCE, _soon(60), "06"))
    assert store.stat(key).retain_until == first.retain_until


def test_legal_hold_on_a_missing_object(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.set_legal_hold(_key(), True)


# --- keys ----------------------------------------------------------------------------------------


def test_archive_key_shape() -> None:
    assert archive_key("663", 2024, SHA_A, "original.tif") == f"663/2024/{SHA_A}/original.tif"
    assert validate_key(f"663/2024/{SHA_A}/signed.pdf")


@pytest.mark.parametrize(
    ("unit", "year", "sha", "name"),
    [
        ("Đắk Mil", 2024, SHA_A, "signed.pdf"),
        ("663", 2024, SHA_A.upper(), "signed.pdf"),
        ("663", 2024, "abc", "signed.pdf"),
        ("663", 2024, SHA_A, "notes.docx"),
        ("663", 2024, SHA_A, "../signed.pdf"),
        ("663", 24, SHA_A, "signed.pdf"),
    ],
)
def test_archive_key_rejects(unit: str, year: int, sha: str, name: str) -> None:
    with pytest.raises(InvalidObjectKey):
        archive_key(unit, year, sha, name)


# --- local folder specifics ---------------------------------------------------------------------


def test_local_objects_are_read_only_and_no_temp_files_remain(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "archive")
    stored = store.put(_key(), PDF, content_type="application/pdf")
    path = Path(stored.uri.removeprefix("file://"))
    assert stored.uri.startswith("file:///")
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert [p.name for p in path.parent.iterdir()] == ["signed.pdf"]


def test_local_detects_bit_rot(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "archive")
    stored = store.put(_key(), PDF, content_type="application/pdf")
    path = Path(stored.uri.removeprefix("file://"))
    os.chmod(path, 0o644)
    path.write_bytes(PDF[:-1] + b"X")
    assert store.sha256_of(_key()) != stored.sha256
    with pytest.raises(IntegrityError):
        store.put(_key(), PDF, content_type="application/pdf")


def test_put_verified_catches_a_lying_store(tmp_path: Path) -> None:
    class CorruptingStore(LocalFolderStore):
        def put(
            self, key: str, data: bytes, *, content_type: str, retention: Retention | None = None
        ) -> StoredObject:
            stored = super().put(key, data[:-1] + b"?", content_type=content_type, retention=retention)
            return StoredObject(key, stored.uri, hashlib.sha256(data).hexdigest(), len(data), None)

    with pytest.raises(IntegrityError):
        put_verified(CorruptingStore(tmp_path), _key(), PDF, "application/pdf")


def test_local_lock_record_is_hidden_and_read_only(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "archive")
    stored = store.put(_key(), PDF, content_type="application/pdf", retention=retention_for("01", 2024))
    path = Path(stored.uri.removeprefix("file://"))
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == [".signed.pdf.lock.json", "signed.pdf"]
    lock = path.parent / ".signed.pdf.lock.json"
    assert stat.S_IMODE(lock.stat().st_mode) == 0o444
    assert store.stat(_key()).retain_until == dt.datetime(2125, 1, 1, tzinfo=dt.UTC)


def test_local_write_interrupted_leaves_no_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalFolderStore(tmp_path / "archive")

    def disk_gone(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", disk_gone)
    with pytest.raises(StorageError):
        store.put(_key(), PDF, content_type="application/pdf")
    monkeypatch.undo()
    assert not store.exists(_key())
    assert not [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    put_verified(store, _key(), PDF, "application/pdf")  # the next try stores it whole
    assert store.get(_key()) == PDF


def test_local_has_no_versions(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "archive")
    store.put(_key(), PDF, content_type="application/pdf")
    with pytest.raises(ObjectNotFound):
        store.get(_key(), version_id="v1")


def test_local_check_fails_on_unwritable_root(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"not a folder")
    with pytest.raises(StorageError):
        LocalFolderStore(blocker / "archive").check()


# --- open_store ---------------------------------------------------------------------------------


def test_open_store_picks_the_store(tmp_path: Path) -> None:
    local = open_store(str(tmp_path / "a"))
    assert isinstance(local, LocalFolderStore)
    assert local.root == (tmp_path / "a").resolve()
    assert isinstance(open_store((tmp_path / "b").as_uri()), LocalFolderStore)
    s3 = open_store("s3://sohoa-archive", endpoint="127.0.0.1:9", access_key="k", secret_key="s")
    assert isinstance(s3, S3Store)
    assert s3.uri("663/x.pdf") == "s3://sohoa-archive/663/x.pdf"
    with pytest.raises(ConfigError):
        open_store("s3://sohoa-archive")  # no endpoint
    with pytest.raises(ConfigError):
        open_store("s3://bucket/prefix", endpoint="127.0.0.1:9", access_key="k", secret_key="s")
    big_parts = open_store(
        "s3://sohoa-archive",
        endpoint="127.0.0.1:9",
        access_key="k",
        secret_key="s",
        part_size=64 * 1024 * 1024,
    )
    assert isinstance(big_parts, S3Store) and big_parts.part_size == 64 * 1024 * 1024
    with pytest.raises(ConfigError):  # S3 parts are at least 5 MiB
        open_store(
            "s3://sohoa-archive", endpoint="127.0.0.1:9", access_key="k", secret_key="s", part_size=1024
        )


# --- S3 specifics --------------------------------------------------------------------------------


@pytest.mark.s3
def test_s3_metadata_and_object_lock(s3_store: S3Store) -> None:  # noqa: F811
    key = _key()
    stored = put_verified(s3_store, key, PDF, "application/pdf")
    assert stored.uri == f"s3://{s3_store.bucket}/{key}"
    assert stored.version_id  # object lock turns versioning on
    info = s3_store._client.stat_object(s3_store.bucket, key)
    assert info.metadata["x-amz-meta-sha256"] == stored.sha256
    assert info.content_type == "application/pdf"
    assert s3_store._client.get_bucket_versioning(s3_store.bucket).status == "Enabled"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.s3
def test_s3_unreachable_is_transient_storage_error() -> None:
    store = S3Store(f"127.0.0.1:{_free_port()}", "k", "s", "bucket", secure=False, retries=2, backoff_s=0.01)
    with pytest.raises(StorageError) as info:
        store.check()
    assert info.value.transient
    assert "3 tries" in str(info.value)


class _SlowDownHandler(http.server.BaseHTTPRequestHandler):
    hits = 0
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
        b"<Message>Please reduce your request rate.</Message></Error>"
    )

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).hits += 1
        self.send_response(503)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slowdown_server() -> Iterator[tuple[str, type[_SlowDownHandler]]]:
    handler = type("Handler", (_SlowDownHandler,), {"hits": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.mark.s3
def test_s3_slowdown_is_retried_then_transient(slowdown_server: tuple[str, type[_SlowDownHandler]]) -> None:
    endpoint, handler = slowdown_server
    store = S3Store(endpoint, "k", "s", "bucket", secure=False, retries=3, backoff_s=0.01)
    with pytest.raises(StorageError) as info:
        store.get(_key())
    assert info.value.transient
    assert "SlowDown" in str(info.value)
    assert handler.hits == 4


# --- S3 object lock: what the server enforces, checked on the server -----------------------------


def _raw_delete(store: S3Store, key: str, version_id: str, *, bypass_governance: bool) -> None:
    """A DeleteObject straight at the server, as an operator with the SDK (or mc) could send it."""
    headers = {"x-amz-bypass-governance-retention": "true"} if bypass_governance else None
    store._client._execute(
        "DELETE", store.bucket, key, query_params={"versionId": version_id}, headers=headers
    )


@pytest.mark.s3
def test_s3_server_refuses_to_delete_a_locked_version(s3_store: S3Store) -> None:  # noqa: F811
    from minio.error import S3Error

    key = _key()
    stored = put_verified(s3_store, key, PDF, "application/pdf", Retention(COMPLIANCE, _soon(60), "06"))
    with pytest.raises(S3Error) as info:
        _raw_delete(s3_store, key, stored.version_id, bypass_governance=False)
    assert info.value.code in {"AccessDenied", "InvalidRequest", "ObjectLocked"}
    # COMPLIANCE: not even a governance bypass removes it
    with pytest.raises(S3Error):
        _raw_delete(s3_store, key, stored.version_id, bypass_governance=True)
    assert s3_store.get(key, version_id=stored.version_id) == PDF


@pytest.mark.s3
def test_s3_governance_can_be_bypassed_only_outside_sohoa(s3_store: S3Store) -> None:  # noqa: F811
    """GOVERNANCE (staging) stops sohoa and ordinary deletes; a privileged bypass still works."""
    key = _key()
    stored = put_verified(s3_store, key, PDF, "application/pdf", Retention(GOVERNANCE, _soon(), "06"))
    with pytest.raises(ObjectLocked):
        s3_store.delete(key)
    _raw_delete(s3_store, key, stored.version_id, bypass_governance=True)
    assert not s3_store.exists(key)


@pytest.mark.s3
def test_s3_rewrite_behind_our_back_keeps_the_locked_version(s3_store: S3Store) -> None:  # noqa: F811
    key = _key()
    stored = put_verified(s3_store, key, PDF, "application/pdf", Retention(GOVERNANCE, _soon(), "06"))
    evil = b"%PDF-1.7 forged"
    s3_store._client.put_object(
        s3_store.bucket, key, io.BytesIO(evil), len(evil), metadata=_checksum_headers(evil)
    )
    assert s3_store.stat(key).version_id != stored.version_id  # a new current version...
    assert s3_store.get(key, version_id=stored.version_id) == PDF  # ...over the intact locked one
    with pytest.raises(IntegrityError):
        s3_store.put(key, PDF, content_type="application/pdf")  # we never write over it


@pytest.mark.s3
def test_s3_delete_marker_hides_but_does_not_destroy(s3_store: S3Store) -> None:  # noqa: F811
    key = _key()
    stored = put_verified(s3_store, key, PDF, "application/pdf", Retention(GOVERNANCE, _soon(), "06"))
    s3_store._client.remove_object(s3_store.bucket, key)  # no version id: only a delete marker
    assert not s3_store.exists(key)
    assert s3_store.sha256_of(key, version_id=stored.version_id) == stored.sha256


@pytest.mark.s3
def test_s3_retention_needs_an_object_locked_bucket(s3_endpoint: S3Endpoint) -> None:  # noqa: F811
    bucket = f"sohoa-nolock-{uuid.uuid4().hex[:12]}"
    store = S3Store(
        s3_endpoint.endpoint, s3_endpoint.access_key, s3_endpoint.secret_key, bucket, secure=False
    )
    store._client.make_bucket(bucket)  # made by hand, without object lock
    try:
        assert not store.locking
        with pytest.raises(ConfigError):
            store.put(_key(), PDF, content_type="application/pdf", retention=retention_for("06", 2024))
        assert not store.exists(_key())
    finally:
        store._client.remove_bucket(bucket)


# --- multipart: large objects, and interrupted uploads -------------------------------------------

MIB = 1024 * 1024


def _big(size: int = 11 * MIB) -> bytes:
    return hashlib.shake_256(b"sohoa big scan").digest(4096) * (size // 4096)


@pytest.fixture
def small_parts(s3_store: S3Store) -> S3Store:  # noqa: F811
    s3_store.part_size = 5 * MIB  # the S3 minimum, so an 11 MiB object goes up in 3 parts
    return s3_store


@pytest.mark.s3
def test_s3_multipart_upload_is_verified_and_locked(small_parts: S3Store) -> None:
    data = _big()
    key = _key("original.tif")
    retention = retention_for("04", 2024, mode=GOVERNANCE)
    stored = put_verified(small_parts, key, data, "image/tiff", retention)
    assert stored.size == len(data)
    info = small_parts.stat(key)
    assert info.version_id == stored.version_id
    assert info.retain_until == retention.retain_until  # set even where the server drops lock headers
    assert info.retention_mode == GOVERNANCE
    assert small_parts.sha256_of(key) == hashlib.sha256(data).hexdigest()


def _pending_uploads(store: S3Store, key: str) -> list[str]:
    # MinIO lists incomplete uploads only under a prefix naming the object
    return [u.object_name for u in store._client._list_multipart_uploads(store.bucket, prefix=key).uploads]


@pytest.mark.s3
def test_s3_interrupted_multipart_upload_leaves_no_object(
    small_parts: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib3.exceptions import ProtocolError

    data = _big()
    key = _key("original.tif")
    real_upload_part = small_parts._client._upload_part
    parts_sent: list[int] = []

    def cut_after_first_part(*args: object) -> str:
        part_number = int(args[5])  # type: ignore[call-overload]
        parts_sent.append(part_number)
        if part_number >= 2:
            raise ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
        return real_upload_part(*args)

    monkeypatch.setattr(small_parts._client, "_upload_part", cut_after_first_part)
    with pytest.raises(StorageError) as info:
        put_verified(small_parts, key, data, "image/tiff", retention_for("04", 2024))
    assert info.value.transient  # the pipeline keeps the original and tries again later
    assert parts_sent.count(1) == small_parts.retries + 1  # each retry started a fresh upload
    monkeypatch.undo()
    assert not small_parts.exists(key)
    assert _pending_uploads(small_parts, key) == []  # every failed upload was aborted
    stored = put_verified(small_parts, key, data, "image/tiff", retention_for("04", 2024))
    assert small_parts.sha256_of(key, version_id=stored.version_id) == hashlib.sha256(data).hexdigest()


@pytest.mark.s3
def test_s3_upload_killed_midway_is_not_an_object(small_parts: S3Store) -> None:
    """A process killed between parts leaves an incomplete upload: invisible, never an object."""
    client, key = small_parts._client, _key("original.tif")
    small_parts.check()
    upload_id = client._create_multipart_upload(small_parts.bucket, key, {"Content-Type": "image/tiff"})
    client._upload_part(small_parts.bucket, key, _big(5 * MIB), None, upload_id, 1)
    assert _pending_uploads(small_parts, key) == [key]  # the server holds the part...
    assert not small_parts.exists(key)  # ...but there is no object
    data = _big()
    stored = put_verified(small_parts, key, data, "image/tiff")
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
