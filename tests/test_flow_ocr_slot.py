"""The global OCR limit held per process across documents (flows/ocr_slot.py), against a real
Prefect server: one slot taken for a streak of documents, given back when idle, after a long hold
and at the end, and a process finding the limit full waits for a slot."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("prefect_server")


def _limit(slots: int) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    name = f"ocr-test-{uuid.uuid4().hex[:8]}"
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=slots))
    return name


def _active(name: str) -> int:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(name).active_slots


def _wait_for(cond: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def test_a_streak_of_documents_takes_one_slot_and_gives_it_back_when_idle() -> None:
    from flows.ocr_slot import OcrSlot

    name = _limit(1)
    slot = OcrSlot(name, idle_s=0.5)
    for _ in range(5):
        with slot.hold():
            assert _active(name) == 1
    assert slot.acquisitions == 1 and slot.held == 1
    assert _active(name) == 1  # kept between documents
    assert _wait_for(lambda: slot.held == 0)
    assert _wait_for(lambda: _active(name) == 0)  # the keeper's release call may still be in flight
    with slot.hold():  # the next streak takes it again
        assert _active(name) == 1
    slot.release_all()
    assert slot.acquisitions == 2 and _active(name) == 0


def test_a_full_limit_makes_the_next_process_wait_until_a_slot_is_free() -> None:
    from flows.ocr_slot import OcrSlot

    name = _limit(1)
    first, second = OcrSlot(name, idle_s=60), OcrSlot(name, idle_s=60)
    with first.hold():
        pass
    assert first.held == 1  # between documents, still holding
    entered = threading.Event()

    def other_worker() -> None:
        with second.hold():
            entered.set()

    t = threading.Thread(target=other_worker, daemon=True)
    t.start()
    assert not entered.wait(1.5)  # no slot while the first process holds the only one
    first.release_all()
    assert entered.wait(45)
    t.join(5)
    assert second.held == 1 and _active(name) == 1
    second.release_all()
    assert _active(name) == 0


def test_a_long_hold_is_given_back_between_documents() -> None:
    from flows.ocr_slot import OcrSlot

    name = _limit(2)
    slot = OcrSlot(name, idle_s=60, max_hold_s=0.0)
    for _ in range(3):
        with slot.hold():
            assert _active(name) == 1
        assert slot.held == 0 and _active(name) == 0
    assert slot.acquisitions == 3


def test_threads_running_ocr_at_once_hold_a_slot_each() -> None:
    from flows.ocr_slot import OcrSlot

    name = _limit(3)
    slot = OcrSlot(name, idle_s=60)
    both_in, done = threading.Barrier(3), threading.Event()

    def job() -> None:
        with slot.hold():
            both_in.wait(10)
            done.wait(10)

    threads = [threading.Thread(target=job, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    both_in.wait(10)
    assert slot.held == 2 and _active(name) == 2
    done.set()
    for t in threads:
        t.join(10)
    slot.release_all()
    assert _active(name) == 0


def test_without_the_limit_ocr_runs_unthrottled_and_asks_again_later() -> None:
    from flows.ocr_slot import OcrSlot

    name = f"ocr-missing-{uuid.uuid4().hex[:8]}"
    slot = OcrSlot(name, recheck_s=0.0)
    with slot.hold():
        pass
    assert slot.held == 0 and slot.acquisitions == 0
    # The limit appears (a `sohoa worker` started): the next document takes a slot.
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
    with slot.hold():
        assert _active(name) == 1
    slot.release_all()
    assert slot.acquisitions == 1 and _active(name) == 0
