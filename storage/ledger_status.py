"""Operational figures from the ledger for ``sohoa status``: outcome counts, last failures and
throughput. Read-only COUNT queries; kept apart from :mod:`storage.ledger` (the writer) because
operators run them against a live ledger while workers write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from schemas.errors import LedgerError
from schemas.ledger import Document, Event, Quarantine
from storage.ledger import Ledger


@dataclass(frozen=True)
class Failure:
    file_name: str
    reason: str
    at: dt.datetime
    detail: str


@dataclass(frozen=True)
class LedgerStatus:
    archived: int
    duplicates: int
    quarantined: dict[str, int]
    last_failures: tuple[Failure, ...]
    archived_last_10_min: int
    archived_last_hour: int
    first_archived_last_hour: dt.datetime | None
    last_archived: dt.datetime | None

    @property
    def docs_per_min(self) -> float:
        """Documents per minute over the last hour's archived documents (0 when idle)."""
        if self.archived_last_hour < 2 or self.first_archived_last_hour is None or self.last_archived is None:
            return 0.0
        span = (self.last_archived - self.first_archived_last_hour).total_seconds() / 60
        return (self.archived_last_hour - 1) / span if span > 0 else 0.0


def ledger_status(ledger: Ledger, *, now: dt.datetime | None = None, failures: int = 5) -> LedgerStatus:
    now = now or dt.datetime.now(dt.UTC)
    hour_ago, ten_ago = now - dt.timedelta(hours=1), now - dt.timedelta(minutes=10)
    try:
        with Session(ledger.engine) as s:
            archived = s.exec(select(func.count()).select_from(Document)).one()
            duplicates = s.exec(
                select(func.count()).select_from(Event).where(Event.kind == "duplicate")
            ).one()
            q = dict(s.exec(select(Quarantine.reason, func.count()).group_by(Quarantine.reason)).all())
            last = s.exec(select(Quarantine).order_by(Quarantine.at.desc()).limit(failures)).all()  # type: ignore[attr-defined]
            recent = select(func.count(), func.min(Document.archived_at), func.max(Document.archived_at))
            n_hour, first, _ = s.exec(recent.where(Document.archived_at >= hour_ago)).one()
            n_ten = s.exec(
                select(func.count()).select_from(Document).where(Document.archived_at >= ten_ago)
            ).one()
            last_archived = s.exec(select(func.max(Document.archived_at))).one()
    except SQLAlchemyError as exc:
        raise LedgerError(f"status: {type(exc).__name__}: {exc}") from exc
    return LedgerStatus(
        archived=int(archived),
        duplicates=int(duplicates),
        quarantined={str(k): int(v) for k, v in q.items()},
        last_failures=tuple(Failure(r.file_name, r.reason, r.at, r.detail[:300]) for r in last),
        archived_last_10_min=int(n_ten),
        archived_last_hour=int(n_hour),
        first_archived_last_hour=_aware(first),
        last_archived=_aware(last_archived),
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Aggregates bypass the column type: SQLite hands back naive UTC (or a string)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
