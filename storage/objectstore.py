"""The archive: one write-once object-store protocol, a local-folder store and an S3/MinIO store.

Objects are keyed by content (``<unit>/<year>/<sha256>/<name>``, see :func:`archive_key`), so a
key, once written, never changes meaning: a second write of the same bytes is a no-op and a write
of *different* bytes under an existing key is an :class:`~schemas.errors.IntegrityError`, never an
overwrite. The pipeline calls :func:`put_verified`, which reads every object back and compares its
SHA-256, because an S3 server (moto in particular) may not verify upload checksums itself.

This is the only module that imports ``minio``; it translates the SDK's and the file system's
exceptions into :class:`~schemas.errors.StorageError` and :class:`~schemas.errors.IntegrityError`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from schemas.errors import ConfigError, IntegrityError, InvalidObjectKey, ObjectNotFound, StorageError

_T = TypeVar("_T")

# Keys are ASCII by construction (unit code, year, hex digest, fixed file names). Each segment
# starts with a letter or digit, so ".", ".." and our ".tmp-" files can never be keys.
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_ARCHIVE_NAME_RE = re.compile(r"original\.[a-z0-9]{1,8}|signed\.pdf|metadata\.json|ocr\.txt")
MAX_KEY_BYTES = 1024
_CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredObject:
    """Where an object landed: its key, a URI to cite in the ledger, its SHA-256 (hex) and size."""

    key: str
    uri: str
    sha256: str
    size: int
    version_id: str | None


@runtime_checkable
class ObjectStore(Protocol):
    """Write-once store. Implementations must never overwrite an existing key."""

    def put(self, key: str, data: bytes, *, content_type: str) -> StoredObject: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def sha256_of(self, key: str) -> str: ...

    def uri(self, key: str) -> str: ...

    def check(self) -> None: ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe ASCII object key; else raise :class:`InvalidObjectKey`.

    Vietnamese text never goes into keys: NFC/NFD variants of one name would be two keys, and
    some S3 gateways and file systems mangle non-ASCII names.
    """
    if (
        not isinstance(key, str)
        or not key.isascii()
        or len(key.encode()) > MAX_KEY_BYTES
        or not _KEY_RE.fullmatch(key)
    ):
        raise InvalidObjectKey(f"invalid object key: {key!r}")
    return key


def archive_key(unit: str, year: int, sha256: str, name: str) -> str:
    """The key of one archived file: ``<unit>/<year>/<sha256 of the original>/<name>``.

    ``name`` is ``original.<ext>``, ``signed.pdf``, ``metadata.json`` or ``ocr.txt``.
    """
    if not _SHA256_RE.fullmatch(sha256):
        raise InvalidObjectKey(f"not a lowercase hex SHA-256: {sha256!r}")
    if not _ARCHIVE_NAME_RE.fullmatch(name):
        raise InvalidObjectKey(f"not an archive file name: {name!r}")
    if not 1000 <= int(year) <= 9999:
        raise InvalidObjectKey(f"year out of range: {year!r}")
    return validate_key(f"{unit}/{int(year)}/{sha256}/{name}")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_verified(store: ObjectStore, key: str, data: bytes, content_type: str) -> StoredObject:
    """Store ``data`` under ``key``, then read it back and compare SHA-256s.

    This is what the pipeline calls: only after it returns may the inbox file be released.
    Raises :class:`IntegrityError` (transient: the original is kept and stored again later).
    """
    expected = sha256_hex(data)
    stored = store.put(key, data, content_type=content_type)
    if stored.sha256 != expected:
        raise IntegrityError(f"{stored.uri}: store reported sha256 {stored.sha256}, expected {expected}")
    actual = store.sha256_of(key)
    if actual != expected:
        raise IntegrityError(f"{stored.uri}: read back sha256 {actual}, expected {expected}")
    return stored


# --- local folder -------------------------------------------------------------------------------


class LocalFolderStore:
    """A folder on local disk (or a mounted share) as the archive.

    Each object is written to a hidden temp file in its final folder, fsynced, made read-only
    (0444) and then hard-linked to its key, so a reader never sees a half-written object and
    an existing key is never replaced (``os.link`` fails if the name exists).
    """

    def __init__(self, root: Path):
        self.root = Path(root).expanduser().resolve()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-check-", dir=self.root)
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            raise StorageError(f"archive folder {self.root} is not writable: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"{path}: no such object") from exc
        except OSError as exc:
            raise StorageError(f"{path}: {exc}") from exc

    def sha256_of(self, key: str) -> str:
        path = self._path(key)
        digest = hashlib.sha256()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"{path}: no such object") from exc
        except OSError as exc:
            raise StorageError(f"{path}: {exc}") from exc
        return digest.hexdigest()

    def _existing(self, key: str, expected: str, size: int) -> StoredObject:
        actual = self.sha256_of(key)
        if actual != expected:
            raise IntegrityError(
                f"{self.uri(key)} already holds different content (sha256 {actual}, new {expected}); "
                "archive objects are never overwritten"
            )
        return StoredObject(key, self.uri(key), actual, size, None)

    def put(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        path = self._path(key)
        expected = sha256_hex(data)
        if path.exists():
            return self._existing(key, expected, len(data))
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            try:
                os.link(tmp, path)
            except FileExistsError:
                return self._existing(key, expected, len(data))
            except OSError:
                # File systems without hard links (some SMB/FUSE mounts): rename is still atomic,
                # but only safe if nobody raced us to the name.
                if path.exists():
                    return self._existing(key, expected, len(data))
                os.rename(tmp, path)
                tmp = None
            _fsync_dir(path.parent)
        except OSError as exc:
            raise StorageError(f"could not write {path}: {exc}") from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return StoredObject(key, self.uri(key), expected, len(data), None)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- S3 / MinIO ---------------------------------------------------------------------------------

# S3 error codes worth retrying; everything else is answered at once.
_TRANSIENT_S3_CODES = frozenset(
    {
        "SlowDown",
        "InternalError",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "OperationAborted",
        "XMinioServerNotInitialized",
        "XMinioStorageFull",
    }
)
_INTEGRITY_S3_CODES = frozenset(
    {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "XAmzContentChecksumMismatch"}
)
# A missing bucket means no object can be there either (reads never create the bucket).
_MISSING_S3_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NotFound", "NoSuchVersion", "NoSuchBucket"})
_CHECK_KEY = "_sohoa/write-check"


class S3Store:
    """An S3 bucket (MinIO in production, moto in tests) as the archive.

    The bucket is created on first use, with object lock (and so versioning) when the server
    supports it; an object-locked bucket keeps every version even if a key were ever rewritten.
    Uploads carry ``x-amz-checksum-sha256`` (servers that check it reject corrupted bodies;
    moto requires some checksum for object-locked buckets) and user metadata ``sha256``.
    Transient failures are retried ``retries`` times with exponential backoff, then raised as
    :class:`StorageError`.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool,
        region: str = "us-east-1",
        retries: int = 3,
        backoff_s: float = 0.25,
        timeout_s: float = 30.0,
    ):
        import certifi
        import urllib3
        from minio import Minio

        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.retries = retries
        self.backoff_s = backoff_s
        self._bucket_ready = False
        # Retries happen in _call (one loop, one backoff policy), not inside urllib3 as well.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout_s, 10.0), read=timeout_s),
            maxsize=10,
            retries=urllib3.Retry(total=0, connect=0, read=0, redirect=0, status=0, raise_on_status=False),
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        )
        try:
            self._client = Minio(
                endpoint,
                access_key=access_key,
                secret_key=secret_key,
                secure=secure,
                region=region,
                http_client=http,
            )
        except ValueError as exc:
            raise ConfigError(f"invalid S3 endpoint {endpoint!r}: {exc}") from exc

    # -- error translation and retries --

    def _call(self, what: str, fn: Callable[[], _T]) -> _T:
        """Run one SDK call, retrying transient failures; translate every SDK error into ours."""
        from minio.error import InvalidResponseError, S3Error, ServerError
        from urllib3.exceptions import HTTPError as Urllib3Error

        attempt = 0
        while True:
            try:
                return fn()
            except S3Error as exc:
                if exc.code in _MISSING_S3_CODES:
                    raise ObjectNotFound(f"{what}: {exc.code}") from exc
                if exc.code in _INTEGRITY_S3_CODES:
                    raise IntegrityError(f"{what}: server rejected the checksum ({exc.code})") from exc
                if exc.code not in _TRANSIENT_S3_CODES:
                    raise StorageError(f"{what}: {exc.code}: {exc.message}") from exc
                err: Exception = exc
            except ServerError as exc:
                if exc.status_code < 500:
                    raise StorageError(f"{what}: HTTP {exc.status_code}") from exc
                err = exc
            except InvalidResponseError as exc:
                err = exc
            except (Urllib3Error, OSError) as exc:
                err = exc
            if attempt >= self.retries:
                raise StorageError(f"{what}: gave up after {attempt + 1} tries: {err}") from err
            time.sleep(self.backoff_s * (2**attempt))
            attempt += 1

    def _ensure_bucket(self) -> None:
        """Create the bucket if missing, with object lock where the server supports it."""
        if self._bucket_ready:
            return
        from minio.error import S3Error

        if not self._call(f"s3://{self.bucket}", lambda: self._client.bucket_exists(self.bucket)):
            try:
                self._call(
                    f"create s3://{self.bucket}",
                    lambda: self._client.make_bucket(self.bucket, object_lock=True),
                )
            except StorageError as exc:
                cause = exc.__cause__
                code = cause.code if isinstance(cause, S3Error) else None
                if code in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    pass  # another worker created it first
                elif code in {"NotImplemented", "InvalidRequest", "InvalidBucketState", "MethodNotAllowed"}:
                    # Servers without object lock (old MinIO FS mode, some gateways).
                    self._call(f"create s3://{self.bucket}", lambda: self._client.make_bucket(self.bucket))
                else:
                    raise
        self._bucket_ready = True

    # -- protocol --

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{validate_key(key)}"

    def check(self) -> None:
        """Create the bucket if needed and prove we can write (a tiny fixed probe object)."""
        self._ensure_bucket()
        probe = b"sohoa write check\n"
        self._call(
            f"write check s3://{self.bucket}/{_CHECK_KEY}",
            lambda: self._client.put_object(
                self.bucket,
                _CHECK_KEY,
                io.BytesIO(probe),
                len(probe),
                content_type="text/plain",
                metadata=_checksum_headers(probe),
            ),
        )

    def exists(self, key: str) -> bool:
        uri = self.uri(key)
        try:
            self._call(f"stat {uri}", lambda: self._client.stat_object(self.bucket, key))
        except ObjectNotFound:
            return False
        return True

    def get(self, key: str) -> bytes:
        def once() -> bytes:
            # Each attempt starts over, so a read cut off half-way is never glued to a retry.
            response = self._client.get_object(self.bucket, key)
            try:
                return b"".join(response.stream(_CHUNK))
            finally:
                response.close()
                response.release_conn()

        return self._call(f"get {self.uri(key)}", once)

    def sha256_of(self, key: str) -> str:
        return sha256_hex(self.get(key))

    def _version_of(self, key: str) -> str | None:
        info = self._call(f"stat {self.uri(key)}", lambda: self._client.stat_object(self.bucket, key))
        return info.version_id

    def put(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        uri = self.uri(key)
        expected = sha256_hex(data)
        self._ensure_bucket()
        # Check-then-put: S3 has no portable "create only" PUT. Keys are content hashes, so a
        # racing writer writes the same bytes; with object lock every version is kept anyway.
        if self.exists(key):
            actual = self.sha256_of(key)
            if actual != expected:
                raise IntegrityError(
                    f"{uri} already holds different content (sha256 {actual}, new {expected}); "
                    "archive objects are never overwritten"
                )
            return StoredObject(key, uri, actual, len(data), self._version_of(key))
        try:
            result = self._call(
                f"put {uri}",
                lambda: self._client.put_object(
                    self.bucket,
                    key,
                    io.BytesIO(data),
                    len(data),
                    content_type=content_type,
                    metadata=_checksum_headers(data),
                ),
            )
        except ObjectNotFound as exc:  # the bucket vanished under us: recreate it on the next try
            self._bucket_ready = False
            raise StorageError(f"put {uri}: bucket {self.bucket} is missing") from exc
        return StoredObject(key, uri, expected, len(data), result.version_id)


def _checksum_headers(data: bytes) -> dict[str, str]:
    """``x-amz-checksum-sha256`` (base64, checked by the server where supported) and user metadata.

    The minio SDK passes ``x-amz-*`` keys through as headers and prefixes the others with
    ``x-amz-meta-``.
    """
    digest = hashlib.sha256(data).digest()
    return {
        "x-amz-checksum-sha256": base64.b64encode(digest).decode("ascii"),
        "sha256": digest.hex(),
    }


def open_store(
    archive_url: str,
    *,
    endpoint: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    secure: bool = False,
    region: str = "us-east-1",
) -> ObjectStore:
    """``s3://BUCKET`` → :class:`S3Store` on ``endpoint``; anything else is a folder path."""
    if archive_url.startswith("s3://"):
        bucket = archive_url.removeprefix("s3://").strip("/")
        if not bucket or "/" in bucket:
            raise ConfigError(f"SOHOA_ARCHIVE_URL must be s3://BUCKET (no path): {archive_url!r}")
        if not endpoint:
            raise ConfigError("SOHOA_S3_ENDPOINT (host:port) is required for an s3:// archive")
        if not access_key or not secret_key:
            raise ConfigError("SOHOA_S3_ACCESS_KEY and SOHOA_S3_SECRET_KEY are required for an s3:// archive")
        return S3Store(endpoint, access_key, secret_key, bucket, secure=secure, region=region)
    path = archive_url.removeprefix("file://")
    if not path:
        raise ConfigError("empty archive path")
    return LocalFolderStore(Path(path))
