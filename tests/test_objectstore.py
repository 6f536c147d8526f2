"""Contract tests for the archive stores: the same suite runs on a local folder and on S3.

S3 runs against moto's server on 127.0.0.1 (or MinIO when MINIO_ENDPOINT is set); see s3fixture.py.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from s3fixture import s3_endpoint, s3_store  # noqa: F401  (fixtures)

from schemas.errors import ConfigError, IntegrityError, StorageError
from storage.objectstore import (
    InvalidObjectKey,
    LocalFolderStore,
    ObjectNotFound,
    ObjectStore,
    S3Store,
    StoredObject,
    archive_key,
    open_store,
    put_verified,
    validate_key,
)

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
        def put(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
            stored = super().put(key, data[:-1] + b"?", content_type=content_type)
            return StoredObject(key, stored.uri, hashlib.sha256(data).hexdigest(), len(data), None)

    with pytest.raises(IntegrityError):
        put_verified(CorruptingStore(tmp_path), _key(), PDF, "application/pdf")


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
