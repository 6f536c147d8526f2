"""The archive: one write-once object-store protocol, a local-folder store and an S3/MinIO store.

Objects are keyed by content (``<unit>/<year>/<sha256>/<name>``, see :func:`archive_key`), so a
key, once written, never changes meaning: a second write of the same bytes is a no-op and a write
of *different* bytes under an existing key is an :class:`~schemas.errors.IntegrityError`, never an
overwrite. The pipeline calls :func:`put_verified`, which reads every object back and compares its
SHA-256, because an S3 server (moto in particular) may not verify upload checksums itself.

Immutability: every object the pipeline stores carries a :class:`~storage.retention.Retention`
(mode and date from the document's preservation class). On S3 that is object lock on the version
(S3 itself keeps every version of a locked bucket, so a rewrite of the key adds a version and
never destroys the locked one; fixity reports it). On a local folder the files are 0444 and the
lock is recorded beside each object in a hidden ``.<name>.lock.json``. Through this API an
object is never overwritten, and :meth:`delete` of an object under retention or legal hold raises
:class:`~schemas.errors.ObjectLocked` on both stores.

This is the only module that imports ``minio``; it translates the SDK's and the file system's
exceptions into :class:`~schemas.errors.StorageError` and :class:`~schemas.errors.IntegrityError`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from schemas.errors import (
    ConfigError,
    IntegrityError,
    InvalidObjectKey,
    ObjectLocked,
    ObjectNotFound,
    StorageError,
)
from storage.retention import Retention

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


@dataclass(frozen=True)
class ObjectInfo:
    """An object's current version: size, version id (None on a local folder) and its lock."""

    key: str
    size: int
    version_id: str | None
    retention_mode: str | None
    retain_until: dt.datetime | None
    legal_hold: bool

    def locked(self, now: dt.datetime | None = None) -> bool:
        """True while a legal hold is on or the retention date is in the future."""
        now = now or dt.datetime.now(dt.UTC)
        return self.legal_hold or (self.retain_until is not None and self.retain_until > now)


@runtime_checkable
class ObjectStore(Protocol):
    """Write-once store. Implementations must never overwrite an existing key.

    ``version_id`` arguments name one version of a key (S3); ``None`` means the current one.
    """

    def put(
        self, key: str, data: bytes, *, content_type: str, retention: Retention | None = None
    ) -> StoredObject: ...

    def get(self, key: str, *, version_id: str | None = None) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def sha256_of(self, key: str, *, version_id: str | None = None) -> str: ...

    def stat(self, key: str, *, version_id: str | None = None) -> ObjectInfo: ...

    def set_legal_hold(self, key: str, on: bool, *, version_id: str | None = None) -> None: ...

    def delete(self, key: str, *, version_id: str | None = None) -> None: ...

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


def put_verified(
    store: ObjectStore, key: str, data: bytes, content_type: str, retention: Retention | None = None
) -> StoredObject:
    """Store ``data`` under ``key`` (locked with ``retention``), then read it back and compare SHA-256s.

    This is what the pipeline calls: only after it returns may the inbox file be released.
    The read-back names the version that was written, so a concurrent rewrite cannot pass for it.
    Raises :class:`IntegrityError` (transient: the original is kept and stored again later).
    """
    expected = sha256_hex(data)
    stored = store.put(key, data, content_type=content_type, retention=retention)
    if stored.sha256 != expected:
        raise IntegrityError(f"{stored.uri}: store reported sha256 {stored.sha256}, expected {expected}")
    actual = store.sha256_of(key, version_id=stored.version_id)
    if actual != expected:
        raise IntegrityError(f"{stored.uri}: read back sha256 {actual}, expected {expected}")
    return stored


# --- local folder -------------------------------------------------------------------------------


class LocalFolderStore:
    """A folder on local disk (or a mounted share) as the archive.

    Each object is written to a hidden temp file in its final folder, fsynced, made read-only
    (0444) and then hard-linked to its key, so a reader never sees a half-written object and
    an existing key is never replaced (``os.link`` fails if the name exists). Its lock (retention
    and legal hold) is kept in ``.<name>.lock.json`` beside it; hidden names can never be keys.
    A local folder has no versions: every ``version_id`` is ``None``.
    """

    def __init__(self, root: Path):
        self.root = Path(root).expanduser().resolve()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def _lock_path(self, key: str) -> Path:
        path = self._path(key)
        return path.with_name(f".{path.name}.lock.json")

    @staticmethod
    def _no_versions(key: str, version_id: str | None) -> None:
        if version_id is not None:
            raise ObjectNotFound(f"{key}: a local folder archive has no version {version_id!r}")

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

    def get(self, key: str, *, version_id: str | None = None) -> bytes:
        self._no_versions(key, version_id)
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"{path}: no such object") from exc
        except OSError as exc:
            raise StorageError(f"{path}: {exc}") from exc

    def sha256_of(self, key: str, *, version_id: str | None = None) -> str:
        self._no_versions(key, version_id)
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

    def _read_lock(self, key: str) -> dict[str, object]:
        try:
            return json.loads(self._lock_path(key).read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StorageError(f"{self._lock_path(key)}: unreadable lock record: {exc}") from exc

    def _write_lock(self, key: str, record: dict[str, object]) -> None:
        """Replace the lock record atomically (temp file + rename); it is 0444 like the object."""
        target = self._lock_path(key)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(record, fh, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.replace(tmp, target)
            tmp = ""
        finally:
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def stat(self, key: str, *, version_id: str | None = None) -> ObjectInfo:
        self._no_versions(key, version_id)
        path = self._path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"{path}: no such object") from exc
        except OSError as exc:
            raise StorageError(f"{path}: {exc}") from exc
        lock = self._read_lock(key)
        until = lock.get("retain_until")
        return ObjectInfo(
            key=key,
            size=size,
            version_id=None,
            retention_mode=lock.get("mode") or None,  # type: ignore[arg-type]
            retain_until=dt.datetime.fromisoformat(until) if isinstance(until, str) else None,
            legal_hold=bool(lock.get("legal_hold")),
        )

    def set_legal_hold(self, key: str, on: bool, *, version_id: str | None = None) -> None:
        self.stat(key, version_id=version_id)  # ObjectNotFound if absent
        try:
            record = self._read_lock(key)
            record["legal_hold"] = bool(on)
            self._write_lock(key, record)
        except OSError as exc:
            raise StorageError(f"legal hold on {self._path(key)}: {exc}") from exc

    def delete(self, key: str, *, version_id: str | None = None) -> None:
        """Remove an object whose retention has ended and that is not on hold; else ObjectLocked."""
        info = self.stat(key, version_id=version_id)
        if info.locked():
            raise ObjectLocked(
                f"{self.uri(key)}: locked ({_lock_text(info)}); the archive refuses to delete it"
            )
        try:
            path = self._path(key)
            os.unlink(path)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._lock_path(key))
            _fsync_dir(path.parent)
        except OSError as exc:
            raise StorageError(f"delete {self._path(key)}: {exc}") from exc

    def _existing(self, key: str, expected: str, size: int) -> StoredObject:
        actual = self.sha256_of(key)
        if actual != expected:
            raise IntegrityError(
                f"{self.uri(key)} already holds different content (sha256 {actual}, new {expected}); "
                "archive objects are never overwritten"
            )
        return StoredObject(key, self.uri(key), actual, size, None)

    def put(
        self, key: str, data: bytes, *, content_type: str, retention: Retention | None = None
    ) -> StoredObject:
        path = self._path(key)
        expected = sha256_hex(data)
        if path.exists():
            return self._existing(key, expected, len(data))
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if retention is not None and not self._lock_path(key).exists():
                # The lock is recorded before the object appears, so no reader sees it unlocked.
                self._write_lock(key, _lock_record(retention))
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


def _lock_record(retention: Retention) -> dict[str, object]:
    return {
        "mode": retention.mode,
        "retain_until": retention.retain_until.astimezone(dt.UTC).isoformat(),
        "maintenance": retention.maintenance,
        "legal_hold": retention.legal_hold,
    }


def _lock_text(info: ObjectInfo) -> str:
    parts = []
    if info.retain_until is not None:
        parts.append(f"{info.retention_mode or 'retention'} until {info.retain_until:%Y-%m-%d}")
    if info.legal_hold:
        parts.append("legal hold")
    return ", ".join(parts) or "no lock"


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
    Objects larger than ``part_size`` go up as a multipart upload: the object appears only when
    the upload completes, and the SDK aborts the upload on failure, so an interrupted upload
    leaves no object (a killed process leaves an incomplete upload, never an object; MinIO
    discards those after 24 hours by default). Transient failures are retried ``retries`` times
    with exponential backoff, then raised as :class:`StorageError`.
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
        part_size: int = 16 * 1024 * 1024,
    ):
        import certifi
        import urllib3
        from minio import Minio

        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.retries = retries
        self.backoff_s = backoff_s
        if part_size < 5 * 1024 * 1024:
            raise ConfigError("S3 multipart part size must be at least 5 MiB")
        self.part_size = part_size
        self._bucket_ready = False
        self._locking = False
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
        try:
            self._call(
                f"object lock of s3://{self.bucket}", lambda: self._client.get_object_lock_config(self.bucket)
            )
            self._locking = True
        except StorageError as exc:
            cause = exc.__cause__
            if not (isinstance(cause, S3Error) and cause.code == "ObjectLockConfigurationNotFoundError"):
                raise
            self._locking = False
        self._bucket_ready = True

    @property
    def locking(self) -> bool:
        """Whether the bucket has object lock (known after the first call that touches it)."""
        self._ensure_bucket()
        return self._locking

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
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def get(self, key: str, *, version_id: str | None = None) -> bytes:
        validate_key(key)

        def once() -> bytes:
            # Each attempt starts over, so a read cut off half-way is never glued to a retry.
            response = self._client.get_object(self.bucket, key, version_id=version_id)
            try:
                return b"".join(response.stream(_CHUNK))
            finally:
                response.close()
                response.release_conn()

        return self._call(f"get {self.uri(key)}{_v(version_id)}", once)

    def sha256_of(self, key: str, *, version_id: str | None = None) -> str:
        return sha256_hex(self.get(key, version_id=version_id))

    def stat(self, key: str, *, version_id: str | None = None) -> ObjectInfo:
        """HEAD of the key (or one version). Object-lock state is read from the HEAD headers,
        which MinIO, S3 and moto all return (moto's GetObjectRetention is not usable)."""
        uri = self.uri(key)
        info = self._call(
            f"stat {uri}{_v(version_id)}",
            lambda: self._client.stat_object(self.bucket, key, version_id=version_id),
        )
        headers = {k.lower(): v for k, v in (info.metadata or {}).items()}
        until = headers.get("x-amz-object-lock-retain-until-date")
        return ObjectInfo(
            key=key,
            size=int(info.size or 0),
            version_id=info.version_id,
            retention_mode=headers.get("x-amz-object-lock-mode"),
            retain_until=_parse_http_date(until) if until else None,
            legal_hold=headers.get("x-amz-object-lock-legal-hold", "").upper() == "ON",
        )

    def set_legal_hold(self, key: str, on: bool, *, version_id: str | None = None) -> None:
        uri = self.uri(key)
        version_id = version_id or self.stat(key).version_id
        fn = self._client.enable_object_legal_hold if on else self._client.disable_object_legal_hold
        self._call(
            f"legal hold {'on' if on else 'off'} {uri}{_v(version_id)}",
            lambda: fn(self.bucket, key, version_id),
        )

    def delete(self, key: str, *, version_id: str | None = None) -> None:
        """Permanently remove one version (the current one by default).

        Always names a version: a DELETE without one only adds a delete marker on a versioned
        bucket, which would hide the object without any lock being asked. A refusal from the
        server (AWS and moto answer AccessDenied, MinIO InvalidRequest "WORM protected") is
        raised as :class:`ObjectLocked` when the object's own lock explains it.
        """
        info = self.stat(key, version_id=version_id)
        uri = f"{self.uri(key)}{_v(info.version_id)}"
        try:
            self._call(
                f"delete {uri}",
                lambda: self._client.remove_object(self.bucket, key, version_id=info.version_id),
            )
        except StorageError as exc:
            if info.locked():
                raise ObjectLocked(f"{uri}: locked ({_lock_text(info)}); the server refused: {exc}") from exc
            raise

    def put(
        self, key: str, data: bytes, *, content_type: str, retention: Retention | None = None
    ) -> StoredObject:
        uri = self.uri(key)
        expected = sha256_hex(data)
        self._ensure_bucket()
        if retention is not None and not self._locking:
            raise ConfigError(
                f"s3://{self.bucket} has no object lock, so {uri} cannot be made immutable; "
                "create the bucket with object lock (mc mb --with-lock) or let sohoa create it"
            )
        # Check-then-put: S3 has no portable "create only" PUT. Keys are content hashes, so a
        # racing writer writes the same bytes; with object lock every version is kept anyway.
        try:
            current = self.stat(key)
        except ObjectNotFound:
            current = None
        if current is not None:
            actual = self.sha256_of(key, version_id=current.version_id)
            if actual != expected:
                raise IntegrityError(
                    f"{uri} already holds different content (sha256 {actual}, new {expected}); "
                    "archive objects are never overwritten"
                )
            if retention is not None:
                self._ensure_lock(key, current, retention)
            return StoredObject(key, uri, actual, len(data), current.version_id)
        multipart = len(data) > self.part_size
        lock_kwargs: dict[str, object] = {}
        if retention is not None:
            lock_kwargs = {
                "retention": _minio_retention(retention),
                "legal_hold": retention.legal_hold,
            }
        try:
            result = self._call(
                f"put {uri}",
                lambda: self._client.put_object(
                    self.bucket,
                    key,
                    io.BytesIO(data),
                    len(data),
                    content_type=content_type,
                    # A whole-object checksum header is only valid on a single PUT; each part of
                    # a multipart upload is covered by its signed payload hash (HTTP) or
                    # Content-MD5 (HTTPS), and the whole object by the read-back.
                    metadata={"sha256": expected} if multipart else _checksum_headers(data),
                    part_size=self.part_size if multipart else 0,
                    num_parallel_uploads=1,
                    **lock_kwargs,  # type: ignore[arg-type]
                ),
            )
        except ObjectNotFound as exc:  # the bucket vanished under us: recreate it on the next try
            self._bucket_ready = False
            raise StorageError(f"put {uri}: bucket {self.bucket} is missing") from exc
        if retention is not None:
            self._ensure_lock(key, self.stat(key, version_id=result.version_id), retention)
        return StoredObject(key, uri, expected, len(data), result.version_id)

    def _ensure_lock(self, key: str, info: ObjectInfo, retention: Retention) -> None:
        """Make sure the version carries at least ``retention`` (and the hold), then check it did.

        Some servers drop lock headers on multipart uploads (moto does); a retention date may
        always be extended, never shortened, so this only ever strengthens the lock.
        """
        from minio.error import S3Error

        uri = f"{self.uri(key)}{_v(info.version_id)}"
        wanted = retention.retain_until.astimezone(dt.UTC).replace(microsecond=0)
        if info.retain_until is None or info.retain_until < wanted:
            try:
                self._call(
                    f"set retention {uri}",
                    lambda: self._client.set_object_retention(
                        self.bucket, key, _minio_retention(retention), version_id=info.version_id
                    ),
                )
            except StorageError as exc:
                cause = exc.__cause__
                if isinstance(cause, S3Error) and cause.code in {"AccessDenied", "InvalidRequest"}:
                    raise ObjectLocked(f"{uri}: its lock cannot be changed: {exc}") from exc
                raise
        if retention.legal_hold and not info.legal_hold:
            self.set_legal_hold(key, True, version_id=info.version_id)
        after = self.stat(key, version_id=info.version_id)
        if after.retain_until is None or after.retain_until < wanted:
            raise StorageError(
                f"{uri}: the server did not keep the retention (until {after.retain_until}, wanted {wanted})"
            )


def _v(version_id: str | None) -> str:
    return f"?versionId={version_id}" if version_id else ""


def _parse_http_date(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


def _minio_retention(retention: Retention) -> object:
    from minio.retention import Retention as MinioRetention

    until = retention.retain_until.astimezone(dt.UTC).replace(microsecond=0)
    return MinioRetention(retention.mode, until)


def _checksum_headers(data: bytes) -> dict[str, str]:
    """``x-amz-checksum-sha256`` (base64, checked by the server where supported) and user metadata.

    ``x-amz-sdk-checksum-algorithm`` names the algorithm, as AWS SDKs do; AWS and moto require it
    (or Content-MD5) for a PUT with object-lock headers. The minio SDK passes ``x-amz-*`` keys
    through as headers and prefixes the others with ``x-amz-meta-``.
    """
    digest = hashlib.sha256(data).digest()
    return {
        "x-amz-sdk-checksum-algorithm": "SHA256",
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
    part_size: int = 16 * 1024 * 1024,
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
        return S3Store(
            endpoint, access_key, secret_key, bucket, secure=secure, region=region, part_size=part_size
        )
    path = archive_url.removeprefix("file://")
    if not path:
        raise ConfigError("empty archive path")
    return LocalFolderStore(Path(path))
