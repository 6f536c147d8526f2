"""An S3 endpoint for tests: moto's server on loopback, or a real MinIO when MINIO_ENDPOINT is set.

Import the fixtures into a test module (``from s3fixture import s3_endpoint, s3_bucket_store``);
pytest finds fixtures defined in or imported into the module. Each test gets its own bucket.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from storage.objectstore import S3Store


@dataclass(frozen=True)
class S3Endpoint:
    endpoint: str  # host:port
    access_key: str
    secret_key: str
    kind: str  # "moto" | "minio"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[S3Endpoint]:
    """One S3 server for the whole session, bound to 127.0.0.1 on a free port (never the network)."""
    minio = os.environ.get("MINIO_ENDPOINT")
    if minio:
        yield S3Endpoint(
            minio,
            os.environ.get("MINIO_ACCESS_KEY", "minioadmin"),
            os.environ.get("MINIO_SECRET_KEY", "minioadmin"),
            "minio",
        )
        return
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Endpoint(f"{host}:{port}", "testing", "testing", "moto")
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_endpoint: S3Endpoint) -> Iterator[S3Store]:
    """An :class:`S3Store` on a fresh bucket; on MinIO the bucket is emptied and removed afterwards."""
    bucket = f"sohoa-test-{uuid.uuid4().hex[:16]}"
    store = S3Store(
        s3_endpoint.endpoint,
        s3_endpoint.access_key,
        s3_endpoint.secret_key,
        bucket,
        secure=False,
        backoff_s=0.01,
    )
    yield store
    if s3_endpoint.kind == "minio":
        # Tests lock objects in GOVERNANCE mode (or COMPLIANCE for a minute), so cleaning up takes
        # a governance bypass and releasing legal holds; what is still under COMPLIANCE stays.
        client = store._client
        with contextlib.suppress(Exception):
            for obj in client.list_objects(bucket, recursive=True, include_version=True):
                with contextlib.suppress(Exception):
                    client.disable_object_legal_hold(bucket, obj.object_name, obj.version_id)
                with contextlib.suppress(Exception):
                    client._execute(
                        "DELETE",
                        bucket,
                        obj.object_name,
                        query_params={"versionId": obj.version_id} if obj.version_id else None,
                        headers={"x-amz-bypass-governance-retention": "true"},
                    )
            client.remove_bucket(bucket)
