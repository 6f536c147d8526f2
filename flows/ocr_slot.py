"""The global OCR concurrency limit, held by a process for a streak of documents, not per document.

``sohoa watch`` and ``sohoa worker`` create a Prefect global concurrency limit named ``ocr`` of
``SOHOA_OCR_CONCURRENCY`` slots. A process about to OCR a document takes one slot (a lease on the
Prefect server) and keeps it while documents keep coming: the next document's OCR finds the slot
already held and asks the server nothing. Taking and giving back a slot around every document
(Prefect's ``concurrency()``) costs an acquisition, a lease-renewal thread, a release and two
events per document, about 0.1 s of CPU, 4% of a one-page document's OCR.

How the limit behaves, so it stays an honest global cap:

* At any moment at most ``SOHOA_OCR_CONCURRENCY`` processes, across all workers and machines
  sharing the Prefect server, are digitizing: each holds a slot while it runs OCR and between its
  documents. A process that runs several OCRs at once (threads) holds one slot for each.
* A process gives its slot back when it has run no OCR for ``idle_s`` seconds, when it exits, and
  after holding it ``max_hold_s`` without a pause (so a waiting process gets its turn; it then
  takes a slot again for its next document). A ``sohoa worker`` runs each batch in a process of
  its own, so it holds a slot for at most one batch.
* A process killed outright stops renewing its lease; the server frees the slot when the lease
  lapses (``lease_s``, 60 s, the server's minimum), as it does for Prefect's own slots.
* A process that finds all slots taken waits, asking again after the server's ``Retry-After``.
* Without the limit on the server (``sohoa process``/``run`` against a server no ``watch`` or
  ``worker`` has set up) OCR runs unthrottled, and whether the limit exists is asked again after
  ``recheck_s``. An unreachable server does not stop OCR either (the flow run itself reports that).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

log = logging.getLogger("sohoa.ocr_slot")
OCR_LIMIT = "ocr"


@dataclass
class _Lease:
    id: UUID
    taken: float
    renewed: float


def _client() -> Any:
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


class OcrSlot:
    """Slots of one global concurrency limit, held by this process across documents."""

    def __init__(
        self,
        limit: str = OCR_LIMIT,
        *,
        lease_s: float = 60.0,
        idle_s: float = 10.0,
        max_hold_s: float = 120.0,
        recheck_s: float = 60.0,
    ) -> None:
        self.limit = limit
        self.lease_s = lease_s
        self.idle_s = idle_s
        self.max_hold_s = max_hold_s
        self.recheck_s = recheck_s
        self._lock = threading.Lock()
        self._leases: list[_Lease] = []
        self._active = 0
        self._last_used = 0.0
        self._no_limit_until = -1e18
        self._keeper: threading.Thread | None = None
        self._wake = threading.Event()
        self.acquisitions = 0  # slots taken from the server, this process (for tests and benches)

    @property
    def held(self) -> int:
        with self._lock:
            return len(self._leases)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """One OCR job's slot: a slot this process already holds, else one taken from the server
        (waiting while the limit is full)."""
        with self._lock:
            self._active += 1
            covered = self._active <= len(self._leases)
        try:
            if not covered:
                lease = self._acquire()
                if lease is not None:
                    with self._lock:
                        self._leases.append(lease)
                        self._start_keeper()
            yield
        finally:
            with self._lock:
                self._active -= 1
                self._last_used = time.monotonic()
                spare = len(self._leases) - self._active
                stale = [x for x in self._leases if self._last_used - x.taken > self.max_hold_s][:spare]
                for lease in stale:
                    self._leases.remove(lease)
            for lease in stale:  # held long enough: give waiting processes a turn
                self._release(lease)

    def release_all(self) -> None:
        """Give back every slot this process holds (at exit; also after tests)."""
        with self._lock:
            leases, self._leases = self._leases, []
        self._wake.set()
        for lease in leases:
            self._release(lease)

    # --- server calls -------------------------------------------------------------------------

    def _acquire(self) -> _Lease | None:
        import httpx

        if time.monotonic() < self._no_limit_until:
            return None
        while True:
            try:
                with _client() as client:
                    response = client.increment_concurrency_slots_with_lease(
                        names=[self.limit], slots=1, mode="concurrency", lease_duration=self.lease_s
                    )
                body = response.json()
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 423:
                    log.warning("OCR slot not taken (%s); OCR runs without it", exc)
                    return None
                wait = float(exc.response.headers.get("Retry-After", 1.0))
                log.debug("all %s slots taken; asking again in %.1f s", self.limit, wait)
                time.sleep(min(max(wait, 0.1), 30.0))
                continue
            except Exception as exc:  # noqa: BLE001 - server unreachable: OCR is not held up by it
                log.warning("OCR slot not taken (%s: %s); OCR runs without it", type(exc).__name__, exc)
                return None
            if not body.get("limits"):  # no such limit on this server
                self._no_limit_until = time.monotonic() + self.recheck_s
                return None
            now = time.monotonic()
            self.acquisitions += 1
            return _Lease(id=UUID(str(body["lease_id"])), taken=now, renewed=now)

    def _release(self, lease: _Lease) -> None:
        try:
            with _client() as client:
                client.release_concurrency_slots_with_lease(lease_id=lease.id)
        except Exception as exc:  # noqa: BLE001 - the lease lapses on the server anyway
            log.warning("OCR slot not given back (%s); it frees when its lease lapses", exc)

    def _renew(self, lease: _Lease) -> bool:
        try:
            with _client() as client:
                client.renew_concurrency_lease(lease_id=lease.id, lease_duration=self.lease_s)
        except Exception as exc:  # noqa: BLE001
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status in (404, 410):  # lapsed or revoked: the slot is no longer ours
                log.warning("OCR slot lease lapsed; a new slot is taken for the next document")
                return False
            log.warning("OCR slot lease not renewed (%s); trying again", exc)
        lease.renewed = time.monotonic()
        return True

    # --- the keeper thread: renews held leases, gives back idle ones -----------------------------

    def _start_keeper(self) -> None:
        if self._keeper is None or not self._keeper.is_alive():
            self._wake.clear()
            self._keeper = threading.Thread(target=self._keep, name="sohoa-ocr-slot", daemon=True)
            self._keeper.start()

    def _keep(self) -> None:
        tick = max(min(self.lease_s / 6, self.idle_s / 2), 0.05)
        while True:
            self._wake.wait(tick)
            now = time.monotonic()
            with self._lock:
                if not self._leases:
                    self._keeper = None
                    return
                spare = len(self._leases) - self._active
                idle = spare > 0 and now - self._last_used >= self.idle_s
                give_back = self._leases[-spare:] if idle else []
                for lease in give_back:
                    self._leases.remove(lease)
                due = [x for x in self._leases if now - x.renewed >= self.lease_s / 3]
            for lease in give_back:
                self._release(lease)
            for lease in due:
                if not self._renew(lease):
                    with self._lock, contextlib.suppress(ValueError):
                        self._leases.remove(lease)


SLOT = OcrSlot()
atexit.register(SLOT.release_all)


def ocr_slot() -> contextlib.AbstractContextManager[None]:
    """The process's slot of the global ``ocr`` limit, for one OCR job."""
    return SLOT.hold()
