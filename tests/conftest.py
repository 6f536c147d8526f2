"""Shared fixtures: an isolated SOHOA_HOME per test and one Prefect test server per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Keep Prefect's own files out of the user's home and quiet in test output.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """A real Prefect API server (subprocess, temporary SQLite) for flow tests."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def _no_leaked_ocr_slots(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test on the shared Prefect server, delete the global ``ocr`` limit (``sohoa watch``
    and ``worker`` create it again). A process SIGKILLed while holding one of its slots leaves the
    slot taken until its lease is reclaimed, and the test server runs no lease-reclaiming service:
    a later test's workers would wait for slots nobody holds any more."""
    yield
    if "prefect_server" not in request.fixturenames:
        return
    from prefect.client.orchestration import get_client

    from flows.ocr_slot import OCR_LIMIT

    try:
        with get_client(sync_client=True) as client:
            client.delete_global_concurrency_limit_by_name(OCR_LIMIT)
    except Exception:  # noqa: BLE001 - no such limit: nothing leaked
        pass


@pytest.fixture()
def sohoa_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SOHOA_HOME with fast watcher timings; the runtime cache is cleared around the test."""
    from flows import runtime

    home = tmp_path / "home"
    monkeypatch.setenv("SOHOA_HOME", str(home))
    monkeypatch.setenv("SOHOA_WATCH_STABLE_S", "0")
    monkeypatch.setenv("SOHOA_OCR_WORKERS", "2")
    for key in list(os.environ):
        if key.startswith("SOHOA_") and key not in {
            "SOHOA_HOME",
            "SOHOA_WATCH_STABLE_S",
            "SOHOA_OCR_WORKERS",
        }:
            monkeypatch.delenv(key)
    runtime._RUNTIMES.clear()
    yield home
    runtime._RUNTIMES.clear()
