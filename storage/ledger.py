"""The ledger: the one module that talks to the database (SQLite or PostgreSQL, via SQLModel).

A document is its SHA-256: :meth:`Ledger.record_document` inserts a document and its events in one
transaction and, when the hash is already there, returns the existing row instead, so a rerun after
a crash records nothing twice. Progress figures are always *derived* with COUNT queries over the
document rows (never kept as counters that could drift), divided by the denominators taken from
each office's register and compared with the plan's targets (:mod:`schemas.targets`).

SQLite is opened in WAL mode with a busy timeout, and write transactions start with
``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing on a read-to-write upgrade.
Database errors are raised as :class:`~schemas.errors.LedgerError` (transient).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine, select

from schemas.errors import ConfigError, LedgerError
from schemas.ledger import Denominator, Document, Event, EventKind, Level, Quarantine, Unit, utc_now
from schemas.targets import LEVELS, PlanTargets, level_label

VIETNAM_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
"""Report years are calendar years in Vietnam (UTC+7, no daylight saving)."""

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_TABLES = [Unit.__table__, Document.__table__, Event.__table__, Quarantine.__table__, Denominator.__table__]


# --- report shapes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitCount:
    unit_code: str
    level: str | None
    documents: int


@dataclass(frozen=True)
class UnitProgress:
    """One unit's line: ``digitized`` documents archived in the year over its register total."""

    code: str
    name: str | None  # None for a unit code that is not registered
    level: str | None
    label: str
    digitized: int
    denominator: int | None
    percentage: float | None
    target: float | None
    on_track: bool | None


@dataclass(frozen=True)
class LevelProgress:
    """One level's line of the report, with its units. ``percentage`` is None without a (non-zero)
    denominator; ``units_without_denominator`` > 0 means some documents count in the numerator
    whose unit's register total is still missing, so read the percentage with care."""

    level: str
    label: str
    digitized: int
    denominator: int | None
    percentage: float | None
    target: float | None
    on_track: bool | None
    units_without_denominator: int
    units: tuple[UnitProgress, ...]


@dataclass(frozen=True)
class ProgressReport:
    year: int
    plan: str
    levels: tuple[LevelProgress, ...]
    units: tuple[UnitProgress, ...]  # every unit row, including those of unknown level
    total_documents: int
    unclassified_documents: int  # documents whose level is unknown (no known unit, no ``cap``)


def _percentage(documents: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return documents * 100 / denominator


def _on_track(percentage: float | None, target: float | None) -> bool | None:
    if percentage is None or target is None:
        return None
    return percentage >= target


def year_bounds(year: int, tz: dt.tzinfo = VIETNAM_TZ) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar year in ``tz``, as aware datetimes."""
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


# --- helpers ------------------------------------------------------------------------------------


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _check_sha256(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256.lower()):
        raise ValueError(f"not a hex SHA-256: {sha256!r}")
    return sha256.lower()


def _check_aware(value: dt.datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")


def _check_kind(kind: str) -> str:
    try:
        return EventKind(kind).value
    except ValueError:
        raise ValueError(f"unknown event kind {kind!r}; one of {[k.value for k in EventKind]}") from None


def _copy_document(doc: Document) -> Document:
    """A fresh, NFC-normalized row, so the caller's object is never attached to our session."""
    values = {name: _nfc(getattr(doc, name)) for name in Document.model_fields}
    values["sha256"] = _check_sha256(values["sha256"])
    if values.get("archived_at") is None:
        values["archived_at"] = utc_now()
    _check_aware(values["archived_at"], "archived_at")
    return Document(**values)


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": 30, "check_same_thread": False},
        **({"poolclass": StaticPool} if in_memory else {}),
    )

    @sa_event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let the "begin" hook below issue BEGIN itself (pysqlite's own BEGIN is always DEFERRED).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa_event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


# --- the ledger ---------------------------------------------------------------------------------


class Ledger:
    """All reads and writes of the ledger database. Thread-safe: one engine, a session per call."""

    def __init__(self, url: str):
        try:
            parsed = make_url(url)
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises ArgumentError/ValueError
            raise ConfigError(f"invalid database URL: {exc}") from exc
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            self.engine = _sqlite_engine(url)
            self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        elif backend == "postgresql":
            if parsed.drivername == "postgresql":  # psycopg (3) is our driver, not psycopg2
                parsed = parsed.set(drivername="postgresql+psycopg")
            try:
                self.engine = create_engine(parsed, pool_pre_ping=True)
            except ImportError as exc:
                raise ConfigError("PostgreSQL needs psycopg: pip install 'psycopg[binary]'") from exc
            self._write_engine = self.engine
        else:
            raise ConfigError(f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg://")
        self.url = parsed.render_as_string(hide_password=True)

    # -- plumbing --

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise LedgerError(f"{what}: {type(exc).__name__}: {exc.args[0] if exc.args else exc}") from exc

    def _read(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _write(self) -> Session:
        return Session(self._write_engine, expire_on_commit=False)

    def create_all(self) -> None:
        with self._errors("create tables"):
            Unit.metadata.create_all(self.engine, tables=_TABLES)

    def check(self) -> None:
        """Raise :class:`LedgerError` unless the database answers."""
        with self._errors(f"connect {self.url}"), self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()

    # -- documents and events --

    def find_document(self, sha256: str) -> Document | None:
        sha256 = _check_sha256(sha256)
        with self._errors("find document"), self._read() as session:
            return session.get(Document, sha256)

    def record_document(self, doc: Document, events: Sequence[tuple[str, str, str]]) -> Document:
        """Insert ``doc`` with its ``(kind, agent, detail)`` events in one transaction.

        If a document with this SHA-256 exists, return it and record nothing: this is what makes a
        rerun after a crash safe. The row's ``level`` is its unit's level when the unit is known,
        else its ``cap``.
        """
        row = _copy_document(doc)
        checked = [(_check_kind(kind), _nfc(agent), _nfc(detail)) for kind, agent, detail in events]
        try:
            with self._errors("record document"), self._write() as session:
                existing = session.get(Document, row.sha256)
                if existing is not None:
                    return existing
                unit = session.get(Unit, row.unit_code)
                row.level = unit.level if unit is not None else (row.level or row.cap)
                session.add(row)
                for kind, agent, detail in checked:
                    session.add(Event(sha256=row.sha256, kind=kind, agent=agent, detail=detail))
                session.commit()
                return row
        except LedgerError as exc:
            if not isinstance(exc.__cause__, SAIntegrityError):
                raise
        # Another writer inserted the same hash between our check and our insert (PostgreSQL).
        existing = self.find_document(row.sha256)
        if existing is None:
            raise LedgerError(f"record document {row.sha256}: insert conflicted but no row was found")
        return existing

    def record_event(self, sha256: str, kind: str, agent: str, detail: str = "") -> Event:
        ev = Event(
            sha256=_check_sha256(sha256), kind=_check_kind(kind), agent=_nfc(agent), detail=_nfc(detail)
        )
        with self._errors("record event"), self._write() as session:
            session.add(ev)
            session.commit()
            return ev

    def events(self, sha256: str) -> list[Event]:
        with self._errors("read events"), self._read() as session:
            stmt = select(Event).where(Event.sha256 == _check_sha256(sha256)).order_by(Event.id)
            return list(session.exec(stmt).all())

    def record_quarantine(
        self, file_name: str, sha256: str | None, reason: str, detail: str = ""
    ) -> Quarantine:
        row = Quarantine(
            file_name=_nfc(file_name),
            sha256=_check_sha256(sha256) if sha256 else None,
            reason=reason,
            detail=_nfc(detail),
        )
        with self._errors("record quarantine"), self._write() as session:
            session.add(row)
            session.commit()
            return row

    def quarantine_counts(self) -> dict[str, int]:
        with self._errors("count quarantine"), self._read() as session:
            stmt = select(Quarantine.reason, func.count()).group_by(Quarantine.reason)
            return {reason: int(n) for reason, n in session.exec(stmt).all()}

    # -- units and denominators --

    def upsert_unit(self, code: str, name: str, level: str, parent_code: str | None = None) -> Unit:
        level = Level(level).value
        with self._errors("upsert unit"), self._write() as session:
            unit = session.get(Unit, code)
            if unit is None:
                unit = Unit(code=code, name=_nfc(name), level=level, parent_code=parent_code)
                session.add(unit)
            else:
                unit.name, unit.level, unit.parent_code = _nfc(name), level, parent_code
            session.commit()
            return unit

    def set_denominator(self, unit_code: str, year: int, total: int) -> Denominator:
        if total < 0:
            raise ValueError(f"denominator must be >= 0, got {total}")
        with self._errors("set denominator"), self._write() as session:
            row = session.get(Denominator, (unit_code, year))
            if row is None:
                row = Denominator(unit_code=unit_code, year=year, total=total)
                session.add(row)
            else:
                row.total = total
            session.commit()
            return row

    # -- counts and the report --

    def _level_expr(self) -> Any:
        return func.coalesce(Unit.level, Document.level, Document.cap)

    def counts(self, year: int | None = None, *, tz: dt.tzinfo = VIETNAM_TZ) -> list[UnitCount]:
        """Archived documents per (unit, level), in ``year`` (by ``archived_at`` in ``tz``) or ever."""
        level = self._level_expr()
        stmt = (
            select(Document.unit_code, level, func.count())
            .select_from(Document)
            .outerjoin(Unit, Unit.code == Document.unit_code)
            .where(Document.status == "archived")
        )
        if year is not None:
            start, end = year_bounds(year, tz)
            stmt = stmt.where(Document.archived_at >= start, Document.archived_at < end)
        stmt = stmt.group_by(Document.unit_code, level).order_by(Document.unit_code)
        with self._errors("count documents"), self._read() as session:
            return [UnitCount(code, lvl, int(n)) for code, lvl, n in session.exec(stmt).all()]

    def report(self, year: int, targets: PlanTargets, *, tz: dt.tzinfo = VIETNAM_TZ) -> ProgressReport:
        """Progress of ``year`` against ``targets``, per level and per unit.

        Documents count in the year they were archived (Vietnam time by default). Every registered
        unit appears, as does any unit code that has documents or a denominator.
        """
        counts = self.counts(year, tz=tz)
        with self._errors("read report data"), self._read() as session:
            units = {u.code: u for u in session.exec(select(Unit)).all()}
            denominators = {
                d.unit_code: d.total
                for d in session.exec(select(Denominator).where(Denominator.year == year))
            }

        # (unit_code, level) -> documents; an unknown unit may show documents of several levels.
        docs: dict[tuple[str, str | None], int] = {}
        for c in counts:
            docs[(c.unit_code, c.level)] = docs.get((c.unit_code, c.level), 0) + c.documents
        for code, unit in units.items():
            docs.setdefault((code, unit.level), 0)
        for code in denominators:
            if not any(k[0] == code for k in docs):
                docs[(code, units[code].level if code in units else None)] = 0

        unit_rows: list[UnitProgress] = []
        for (code, level), n in sorted(docs.items(), key=lambda kv: (_level_order(kv[0][1]), kv[0][0])):
            denominator = denominators.get(code)
            pct = _percentage(n, denominator)
            target = targets.target_for(level, year) if level else None
            unit = units.get(code)
            unit_rows.append(
                UnitProgress(
                    code,
                    unit.name if unit else None,
                    level,
                    level_label(level),
                    n,
                    denominator,
                    pct,
                    target,
                    _on_track(pct, target),
                )
            )

        level_rows: list[LevelProgress] = []
        for level in LEVELS:
            rows = [r for r in unit_rows if r.level == level]
            n = sum(r.digitized for r in rows)
            with_denominator = [r.denominator for r in rows if r.denominator is not None]
            denominator = sum(with_denominator) if with_denominator else None
            pct = _percentage(n, denominator)
            target = targets.target_for(level, year)
            level_rows.append(
                LevelProgress(
                    level,
                    level_label(level),
                    n,
                    denominator,
                    pct,
                    target,
                    _on_track(pct, target),
                    units_without_denominator=sum(1 for r in rows if r.denominator is None),
                    units=tuple(rows),
                )
            )

        total = sum(c.documents for c in counts)
        unclassified = sum(c.documents for c in counts if c.level not in LEVELS)
        return ProgressReport(year, targets.name, tuple(level_rows), tuple(unit_rows), total, unclassified)


def _level_order(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)
