"""The ledger: the one module that talks to the database (SQLite or PostgreSQL, via SQLModel).

A document is its SHA-256: :meth:`Ledger.record_document` inserts a document and its events in one
transaction and, when the hash is already there, returns the existing row instead, so a rerun after
a crash records nothing twice. Progress figures are always *derived* with COUNT queries over the
document rows (never kept as counters that could drift), divided by the denominators taken from
each office's register and compared with the plan's targets (:mod:`schemas.targets`).

SQLite is opened in WAL mode with a busy timeout, and write transactions start with
``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing on a read-to-write upgrade.
Database errors are raised as :class:`~schemas.errors.LedgerError` (transient).

The schema is created and upgraded by Alembic (:mod:`storage.migrations`): :meth:`Ledger.create_all`
runs ``upgrade head``. Units carry validity periods; a document's level is the level of its unit
*as issued* (the unit version valid on its date of issue), stored on the row when it is recorded and
refreshed when units are loaded later.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import statistics
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import case, func, or_
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine, select

from schemas.documents import METADATA_KEYS
from schemas.errors import ConfigError, LedgerError
from schemas.ledger import (
    EARLIEST,
    Agency,
    Denominator,
    Document,
    Event,
    EventKind,
    Level,
    Quarantine,
    Succession,
    Target,
    Unit,
    UnitType,
    utc_now,
)
from schemas.targets import LEVELS, Targets, TargetTable, level_label

_T = TypeVar("_T")

VIETNAM_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
"""Report years are calendar years in Vietnam (UTC+7, no daylight saving)."""

_SHA256_RE = re.compile(r"[0-9a-f]{64}")

REVIEW_BELOW = 0.5
"""A field whose extraction confidence (0..1) is below this is flagged for an archivist's review."""

TRUSTED_SOURCES = frozenset({"clerk", "archivist"})
"""Field sources a person vouched for: never flagged, whatever their confidence."""

CORRECTABLE_FIELDS: tuple[str, ...] = (*METADATA_KEYS, "type_code", "ma_ho_so", "ma_tthc", "maintenance")
"""Metadata fields an archivist may correct in the review queue (never hashes, keys or status)."""


# --- report shapes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitCount:
    """Documents of one (unit, level) in a period: all recorded (digitized), those with a signed
    copy, those archived, and their pages."""

    unit_code: str
    level: str | None
    documents: int
    signed: int = 0
    archived: int = 0
    pages: int = 0
    unit_valid_from: dt.date | None = None  # the unit version the documents were issued under


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
    signed: int = 0
    archived: int = 0
    gap: int | None = None  # documents still needed to reach the target (0 when reached)
    pages: int = 0
    valid_from: dt.date | None = None  # this unit version's validity (None: unknown unit)
    valid_to: dt.date | None = None

    @property
    def percent(self) -> float | None:
        return self.percentage


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
    signed: int = 0
    archived: int = 0
    gap: int | None = None
    pages: int = 0

    @property
    def percent(self) -> float | None:
        return self.percentage


@dataclass(frozen=True)
class ProgressReport:
    """The report of a year (or one quarter of it). Throughput is over the days of the period
    elapsed so far; the median intake→archive time is over documents with a ``received_at``."""

    year: int
    plan: str
    levels: tuple[LevelProgress, ...]
    units: tuple[UnitProgress, ...]  # every unit row, including those of unknown level
    total_documents: int
    unclassified_documents: int  # documents whose level is unknown (no known unit, no ``cap``)
    quarter: int | None = None
    period_start: dt.datetime | None = None
    period_end: dt.datetime | None = None
    days: float = 0.0
    documents_per_day: float | None = None
    pages_per_day: float | None = None
    median_intake_to_archive_s: float | None = None
    units_without_data: tuple[str, ...] = ()  # codes of units valid in the period with no document

    def rows(self) -> list[dict[str, Any]]:
        """Flat rows (levels, then units) for CSV, XLSX and JSON output."""
        out: list[dict[str, Any]] = []
        for level in self.levels:
            out.append(_row(self, "level", level.level, "", level.label, level))
            out.extend(_row(self, "unit", u.level, u.code, u.name or "", u) for u in level.units)
        out.extend(_row(self, "unit", None, u.code, u.name or "", u) for u in self.units if u.level is None)
        return out


REPORT_COLUMNS: tuple[str, ...] = (
    "row", "level", "level_label", "unit_code", "unit_name", "unit_valid_from", "unit_valid_to", "year", "quarter", "denominator",
    "digitized", "signed", "archived", "pages", "percent", "target", "gap", "on_track",
)  # fmt: skip


def _row(rep: ProgressReport, kind: str, level: str | None, code: str, name: str, r: Any) -> dict[str, Any]:
    return {
        "row": kind,
        "level": level,
        "level_label": level_label(level),
        "unit_code": code or None,
        "unit_name": name,
        "unit_valid_from": _day(getattr(r, "valid_from", None)),
        "unit_valid_to": _day(getattr(r, "valid_to", None)),
        "year": rep.year,
        "quarter": rep.quarter,
        "denominator": r.denominator,
        "digitized": r.digitized,
        "signed": r.signed,
        "archived": r.archived,
        "pages": r.pages,
        "percent": None if r.percentage is None else round(r.percentage, 2),
        "target": r.target,
        "gap": r.gap,
        "on_track": r.on_track,
    }


def _day(day: dt.date | None) -> str | None:
    return None if day is None or day == EARLIEST else day.isoformat()


@dataclass(frozen=True)
class ImportReport:
    """What :meth:`Ledger.import_register` wrote: one denominator per row."""

    rows: int
    units: int
    years: tuple[int, ...]


@dataclass(frozen=True)
class RegisterRow:
    """One validated line of an office register: ``total`` still-valid results of ``unit_code``."""

    line: int
    unit_code: str
    year: int
    total: int


@dataclass(frozen=True)
class UnitsLoaded:
    units: int
    successions: int
    documents_relevelled: int


def _percentage(documents: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return documents * 100 / denominator


def _on_track(percentage: float | None, target: float | None) -> bool | None:
    if percentage is None or target is None:
        return None
    return percentage >= target


def _gap(documents: int, denominator: int | None, target: float | None) -> int | None:
    """Documents still needed: ceil(target% of the denominator) minus those digitized, at least 0."""
    if denominator is None or target is None:
        return None
    needed = -(-round(target * denominator * 100) // 10000)  # ceil, in integers (target has 2 decimals)
    return max(0, needed - documents)


def year_bounds(year: int, tz: dt.tzinfo = VIETNAM_TZ) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar year in ``tz``, as aware datetimes."""
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


def period_bounds(
    year: int, quarter: int | None = None, tz: dt.tzinfo = VIETNAM_TZ
) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a year, or of its quarter 1–4, in ``tz``."""
    if quarter is None:
        return year_bounds(year, tz)
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, got {quarter!r}")
    start = dt.datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
    end = (
        dt.datetime(year + 1, 1, 1, tzinfo=tz)
        if quarter == 4
        else dt.datetime(year, 3 * quarter + 1, 1, tzinfo=tz)
    )
    return start, end


def issue_day(doc: Document, tz: dt.tzinfo = VIETNAM_TZ) -> dt.date:
    """The day that decides a document's unit *as issued*: its date of issue, else when it was
    received, else when it was archived (Vietnam time)."""
    if doc.ngay_ban_hanh is not None:
        return doc.ngay_ban_hanh
    when = doc.received_at or doc.archived_at or utc_now()
    return when.astimezone(tz).date()


def _valid_on(unit: Unit, day: dt.date) -> bool:
    return unit.valid_from <= day and (unit.valid_to is None or day <= unit.valid_to)


def _overlaps(unit: Unit, start: dt.date, end_inclusive: dt.date) -> bool:
    return unit.valid_from <= end_inclusive and (unit.valid_to is None or unit.valid_to >= start)


def flagged_fields(doc: Document) -> list[str]:
    """Fields of ``doc`` an archivist should check: marked for review, or extracted with a
    confidence below :data:`REVIEW_BELOW`, unless a clerk or archivist supplied them."""
    flagged = []
    for name, meta in sorted((doc.field_meta or {}).items()):
        if not isinstance(meta, Mapping) or meta.get("source") in TRUSTED_SOURCES:
            continue
        confidence = meta.get("confidence")
        low = isinstance(confidence, int | float) and confidence < REVIEW_BELOW
        if meta.get("needs_review") or meta.get("review") or low:
            flagged.append(name)
    return flagged


def parse_field_value(name: str, value: str) -> Any:
    """A review-queue value typed in by an archivist, converted to the column's type."""
    if name not in CORRECTABLE_FIELDS:
        raise ValueError(f"{name!r} cannot be corrected; one of {', '.join(CORRECTABLE_FIELDS)}")
    value = unicodedata.normalize("NFC", value).strip()
    if value == "":
        return None
    if name == "ngay_ban_hanh":
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return dt.datetime.strptime(value, fmt).date()
            except ValueError:
                pass
        raise ValueError(f"ngay_ban_hanh {value!r}: write YYYY-MM-DD or DD/MM/YYYY")
    if name == "so_trang":
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"so_trang {value!r}: a whole number of pages")
        return int(value)
    if name == "cap":
        return Level(value).value
    return value


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

    def _upsert(self, what: str, fn: Callable[[Session], _T]) -> _T:
        """Run a read-modify-write ``fn`` in a write transaction; if a concurrent writer inserted
        the same key first (PostgreSQL unique violation), run it again: it then updates."""
        for attempt in range(3):
            try:
                with self._errors(what), self._write() as session:
                    result = fn(session)
                    session.commit()
                    return result
            except LedgerError as exc:
                if not isinstance(exc.__cause__, SAIntegrityError) or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _read(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _write(self) -> Session:
        return Session(self._write_engine, expire_on_commit=False)

    def create_all(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision (idempotent, race-safe)."""
        from storage.migrations import upgrade_head

        with self._errors("migrate the ledger schema"):
            upgrade_head(self._write_engine)

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
                unit = self._unit_as_issued(session, row)
                row.level = unit.level if unit is not None else (row.level or row.cap)
                row.unit_valid_from = unit.valid_from if unit is not None else None
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

    def has_quarantine(self, marker: str) -> bool:
        """Whether a quarantine row's detail contains ``marker`` (an inbox claim token), so a run
        resumed after a crash does not record the same file twice."""
        with self._errors("find quarantine"), self._read() as session:
            stmt = select(Quarantine.id).where(Quarantine.detail.contains(marker)).limit(1)  # type: ignore[attr-defined]
            return session.exec(stmt).first() is not None

    def quarantine_counts(self) -> dict[str, int]:
        with self._errors("count quarantine"), self._read() as session:
            stmt = select(Quarantine.reason, func.count()).group_by(Quarantine.reason)
            return {reason: int(n) for reason, n in session.exec(stmt).all()}

    # -- units and denominators --

    @staticmethod
    def _unit_as_issued(session: Session, doc: Document) -> Unit | None:
        day = issue_day(doc)
        versions = session.exec(select(Unit).where(Unit.code == doc.unit_code)).all()
        valid = [u for u in versions if _valid_on(u, day)]
        return max(valid, key=lambda u: u.valid_from) if valid else None

    def upsert_unit(
        self,
        code: str,
        name: str,
        level: str,
        parent_code: str | None = None,
        *,
        unit_type: str | None = None,
        valid_from: dt.date | None = None,
        valid_to: dt.date | None = None,
        source: str | None = None,
    ) -> Unit:
        """Insert or update one version of a unit (``code`` + ``valid_from``), then give documents
        of that code issued in its validity period its level."""
        row = _unit_row(code, name, level, parent_code, unit_type, valid_from, valid_to, source)

        def put(session: Session) -> Unit:
            unit = self._put_unit(session, row)
            self._relevel(session, [unit])
            return unit

        return self._upsert("upsert unit", put)

    @staticmethod
    def _put_unit(session: Session, row: Unit) -> Unit:
        unit = session.get(Unit, (row.code, row.valid_from))
        if unit is None:
            unit = Unit(**{name: getattr(row, name) for name in Unit.model_fields})  # fresh on each retry
            session.add(unit)
            return unit
        for name in ("name", "level", "parent_code", "unit_type", "valid_to", "source"):
            setattr(unit, name, getattr(row, name))
        return unit

    @staticmethod
    def _relevel(session: Session, units: Sequence[Unit]) -> int:
        """Set ``Document.level`` from the unit as issued, for documents of these units' codes."""
        by_code: dict[str, list[Unit]] = {}
        for u in units:
            by_code.setdefault(u.code, []).append(u)
        changed = 0
        for code in by_code:
            versions = session.exec(select(Unit).where(Unit.code == code)).all()
            for doc in session.exec(select(Document).where(Document.unit_code == code)).all():
                valid = [u for u in versions if _valid_on(u, issue_day(doc))]
                if valid:
                    unit = max(valid, key=lambda u: u.valid_from)
                    if (doc.level, doc.unit_valid_from) != (unit.level, unit.valid_from):
                        doc.level, doc.unit_valid_from = unit.level, unit.valid_from
                        session.add(doc)
                        changed += 1
        return changed

    def load_units(
        self, units: Iterable[Unit], successions: Iterable[Succession] = (), *, source: str | None = None
    ) -> UnitsLoaded:
        """Load a seed (units and successions) in one transaction; loading it again changes nothing."""
        rows = [
            _unit_row(
                u.code,
                u.name,
                u.level,
                u.parent_code,
                u.unit_type,
                u.valid_from,
                u.valid_to,
                u.source or source,
            )
            for u in units
        ]
        links = list(successions)

        def load(session: Session) -> UnitsLoaded:
            stored = [self._put_unit(session, r) for r in rows]
            session.flush()
            new_links = 0
            for s in links:
                exists = session.exec(
                    select(Succession).where(
                        Succession.predecessor_code == s.predecessor_code,
                        Succession.successor_code == s.successor_code,
                        Succession.effective == s.effective,
                        Succession.kind == s.kind,
                    )
                ).first()
                if exists is None:
                    session.add(
                        Succession(
                            predecessor_code=s.predecessor_code,
                            successor_code=s.successor_code,
                            kind=s.kind,
                            effective=s.effective,
                            note=_nfc(s.note),
                        )
                    )
                    new_links += 1
            relevelled = self._relevel(session, stored)
            return UnitsLoaded(len(rows), new_links, relevelled)

        return self._upsert("load units", load)

    def units(self, *, on: dt.date | None = None, level: str | None = None) -> list[Unit]:
        """Unit versions (valid on ``on`` if given), in code order."""
        with self._errors("read units"), self._read() as session:
            stmt = select(Unit)
            if level is not None:
                stmt = stmt.where(Unit.level == level)
            rows = session.exec(stmt.order_by(Unit.code, Unit.valid_from)).all()
        return [u for u in rows if on is None or _valid_on(u, on)]

    def successions(self, code: str | None = None) -> list[Succession]:
        with self._errors("read successions"), self._read() as session:
            stmt = select(Succession)
            if code is not None:
                stmt = stmt.where(or_(Succession.predecessor_code == code, Succession.successor_code == code))
            return list(session.exec(stmt.order_by(Succession.effective, Succession.id)).all())

    def upsert_agency(
        self,
        code: str,
        name: str,
        unit_code: str,
        *,
        valid_from: dt.date | None = None,
        valid_to: dt.date | None = None,
    ) -> Agency:

        def put(session: Session) -> Agency:
            agency = session.get(Agency, code)
            if agency is None:
                agency = Agency(code=code, name=_nfc(name), unit_code=unit_code)
            agency.name, agency.unit_code = _nfc(name), unit_code
            agency.valid_from, agency.valid_to = valid_from, valid_to
            session.add(agency)
            return agency

        return self._upsert("upsert agency", put)

    def agencies(self, unit_code: str | None = None) -> list[Agency]:
        with self._errors("read agencies"), self._read() as session:
            stmt = select(Agency)
            if unit_code is not None:
                stmt = stmt.where(Agency.unit_code == unit_code)
            return list(session.exec(stmt.order_by(Agency.code)).all())

    # -- targets --

    def set_targets(self, plan: str, percents: Mapping[tuple[int, str], float]) -> None:
        """Store a plan's targets, ``{(year, level): percent}``, replacing that plan's rows."""
        plan = _nfc(plan)
        for (year, level), pct in percents.items():
            Level(level)
            if not 0 <= pct <= 100:
                raise ValueError(f"target {year} {level}: {pct} is not a percentage")

        def put(session: Session) -> None:
            for old in session.exec(select(Target).where(Target.plan == plan)).all():
                session.delete(old)
            session.flush()
            for (year, level), pct in percents.items():
                session.add(Target(plan=plan, year=int(year), level=level, percent=float(pct)))

        self._upsert("set targets", put)

    def plan_targets(self, plan: str) -> TargetTable | None:
        """A plan's targets as stored by :meth:`set_targets`, or None if the ledger has none."""
        with self._errors("read targets"), self._read() as session:
            rows = session.exec(select(Target).where(Target.plan == _nfc(plan))).all()
        if not rows:
            return None
        return TargetTable.of(_nfc(plan), {(r.year, r.level): r.percent for r in rows})

    def set_denominator(self, unit_code: str, year: int, total: int) -> Denominator:
        if total < 0:
            raise ValueError(f"denominator must be >= 0, got {total}")

        def put(session: Session) -> Denominator:
            row = session.get(Denominator, (unit_code, year))
            if row is None:
                row = Denominator(unit_code=unit_code, year=year, total=total)
            row.total = total
            session.add(row)
            return row

        return self._upsert("set denominator", put)

    def import_register(self, rows: Sequence[RegisterRow], *, known_units_only: bool = True) -> ImportReport:
        """Write the denominators of a validated register in ONE transaction: all rows or none.

        Rows must already be checked (:func:`storage.register.read_register`); with
        ``known_units_only`` a row whose unit code is not in the ledger fails the whole import.
        """

        def put(session: Session) -> None:
            if known_units_only:
                known = set(session.exec(select(Unit.code)).all())
                unknown = [r for r in rows if r.unit_code not in known]
                if unknown:
                    raise ValueError(
                        "; ".join(f"line {r.line}: unit {r.unit_code!r} is not a known unit" for r in unknown)
                    )
            for r in rows:
                if r.total < 0:
                    raise ValueError(f"line {r.line}: total must be >= 0")
                row = session.get(Denominator, (r.unit_code, r.year))
                if row is None:
                    session.add(Denominator(unit_code=r.unit_code, year=r.year, total=r.total))
                else:
                    row.total = r.total
                    session.add(row)

        self._upsert("import register", put)
        return ImportReport(
            len(rows), len({r.unit_code for r in rows}), tuple(sorted({r.year for r in rows}))
        )

    def denominators(self, year: int) -> dict[str, int]:
        with self._errors("read denominators"), self._read() as session:
            return {
                d.unit_code: d.total
                for d in session.exec(select(Denominator).where(Denominator.year == year))
            }

    # -- counts and the report --

    def _level_expr(self) -> Any:
        return func.coalesce(Document.level, Document.cap)

    def counts(
        self, year: int | None = None, *, quarter: int | None = None, tz: dt.tzinfo = VIETNAM_TZ
    ) -> list[UnitCount]:
        """Documents per (unit, level) in ``year`` (or one quarter of it, by ``archived_at`` in
        ``tz``) or ever: recorded, signed, archived, and their pages. Derived by COUNT over the rows,
        so concurrent writers can never make a figure drift."""
        level = self._level_expr()
        signed = func.sum(case((Document.signed_sha256.is_not(None), 1), else_=0))  # type: ignore[union-attr]
        archived = func.sum(case((Document.status == "archived", 1), else_=0))
        pages = func.sum(func.coalesce(Document.so_trang, 0))
        stmt = select(
            Document.unit_code, level, func.count(), signed, archived, pages, Document.unit_valid_from
        ).select_from(Document)
        if year is not None:
            start, end = period_bounds(year, quarter, tz)
            stmt = stmt.where(Document.archived_at >= start, Document.archived_at < end)
        stmt = stmt.group_by(Document.unit_code, level, Document.unit_valid_from).order_by(
            Document.unit_code, Document.unit_valid_from
        )
        with self._errors("count documents"), self._read() as session:
            return [
                UnitCount(code, lvl, int(n), int(s or 0), int(a or 0), int(p or 0), vf)
                for code, lvl, n, s, a, p, vf in session.exec(stmt).all()
            ]

    def documents(
        self,
        *,
        unit_code: str | None = None,
        year: int | None = None,
        quarter: int | None = None,
        level: str | None = None,
        needs_review: bool | None = None,
        limit: int | None = None,
        tz: dt.tzinfo = VIETNAM_TZ,
    ) -> list[Document]:
        """The document rows behind a figure of the report (same period rule), oldest first."""
        stmt = select(Document)
        if unit_code is not None:
            stmt = stmt.where(Document.unit_code == unit_code)
        if level is not None:
            stmt = stmt.where(self._level_expr() == level)
        if needs_review is not None:
            stmt = stmt.where(Document.needs_review == needs_review)
        if year is not None:
            start, end = period_bounds(year, quarter, tz)
            stmt = stmt.where(Document.archived_at >= start, Document.archived_at < end)
        stmt = stmt.order_by(Document.archived_at, Document.sha256)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._errors("list documents"), self._read() as session:
            return list(session.exec(stmt).all())

    def _timing(self, start: dt.datetime, end: dt.datetime) -> list[float]:
        stmt = select(Document.received_at, Document.archived_at).where(
            Document.archived_at >= start,
            Document.archived_at < end,
            Document.received_at.is_not(None),  # type: ignore[union-attr]
        )
        with self._errors("read timings"), self._read() as session:
            return [(a - r).total_seconds() for r, a in session.exec(stmt).all()]

    def report(
        self,
        year: int,
        targets: Targets,
        *,
        quarter: int | None = None,
        tz: dt.tzinfo = VIETNAM_TZ,
        now: dt.datetime | None = None,
    ) -> ProgressReport:
        """Progress of ``year`` (or one quarter) against ``targets``, per level and per unit.

        Documents count in the period they were archived (Vietnam time by default). Every unit
        valid during the period appears, as does any unit code that has documents or a
        denominator. The denominator and the target are the year's (a quarter shows progress so
        far against the year's goal).
        """
        start, end = period_bounds(year, quarter, tz)
        first_day, last_day = start.date(), (end - dt.timedelta(days=1)).date()
        counts = self.counts(year, quarter=quarter, tz=tz)
        with self._errors("read report data"), self._read() as session:
            versions = {(u.code, u.valid_from): u for u in session.exec(select(Unit)).all()}
            denominators = {
                d.unit_code: d.total
                for d in session.exec(select(Denominator).where(Denominator.year == year))
            }
        in_period = {k: u for k, u in versions.items() if _overlaps(u, first_day, last_day)}
        newest_in_period: dict[str, tuple[str, dt.date]] = {}
        for code, vf in sorted(in_period):
            newest_in_period[code] = (code, vf)  # the version valid at the period's end holds the register
        known_codes = {code for code, _ in versions}

        # One row per (code, unit version, level); an unknown unit may show documents of several levels.
        Key = tuple[str, dt.date | None, str | None]
        rows: dict[Key, list[UnitCount]] = {}
        for c in counts:
            rows.setdefault((c.unit_code, c.unit_valid_from, c.level), []).append(c)
        for (code, vf), unit in in_period.items():
            rows.setdefault((code, vf, unit.level), [])
        holder: dict[str, list[Key]] = {}
        for code in denominators:
            if code in newest_in_period:
                code_vf = newest_in_period[code]
                holder[code] = [(code, code_vf[1], in_period[code_vf].level)]
            elif code in known_codes:
                continue  # a unit that did not exist in this period
            else:
                keys = [k for k in rows if k[0] == code] or [(code, None, None)]
                for k in keys:
                    rows.setdefault(k, [])
                holder[code] = keys

        unit_rows: list[UnitProgress] = []
        for key in sorted(rows, key=lambda k: (_level_order(k[2]), k[0], k[1] or EARLIEST)):
            code, vf, level = key
            group = rows[key]
            n = sum(c.documents for c in group)
            denominator = denominators.get(code) if key in holder.get(code, []) else None
            pct = _percentage(n, denominator)
            target = targets.target_for(level, year) if level else None
            unit = versions.get((code, vf)) if vf is not None else None
            if unit is None and code in newest_in_period:
                unit = in_period[newest_in_period[code]]
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
                    signed=sum(c.signed for c in group),
                    archived=sum(c.archived for c in group),
                    gap=_gap(n, denominator, target),
                    pages=sum(c.pages for c in group),
                    valid_from=vf,
                    valid_to=unit.valid_to if unit is not None and vf is not None else None,
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
                    signed=sum(r.signed for r in rows),
                    archived=sum(r.archived for r in rows),
                    gap=_gap(n, denominator, target),
                    pages=sum(r.pages for r in rows),
                )
            )

        total = sum(c.documents for c in counts)
        unclassified = sum(c.documents for c in counts if c.level not in LEVELS)
        pages = sum(c.pages for c in counts)
        now = now or utc_now()
        elapsed_end = min(end, max(now, start))
        days = (elapsed_end - start).total_seconds() / 86400
        durations = self._timing(start, end)
        return ProgressReport(
            year,
            targets.name,
            tuple(level_rows),
            tuple(unit_rows),
            total,
            unclassified,
            quarter=quarter,
            period_start=start,
            period_end=end,
            days=round(days, 3),
            documents_per_day=total / days if days > 0 else None,
            pages_per_day=pages / days if days > 0 else None,
            median_intake_to_archive_s=statistics.median(durations) if durations else None,
            units_without_data=tuple(
                r.code for r in unit_rows if r.valid_from is not None and not r.digitized
            ),
        )

    # -- review queue --

    def find_by_prefix(self, prefix: str, limit: int = 5) -> list[Document]:
        """Documents whose SHA-256 starts with ``prefix`` (hex), for humans typing short hashes."""
        prefix = prefix.lower()
        if not re.fullmatch(r"[0-9a-f]{1,64}", prefix):
            raise ValueError(f"not a hex prefix: {prefix!r}")
        with self._errors("find documents"), self._read() as session:
            stmt = select(Document).where(Document.sha256.startswith(prefix)).limit(limit)  # type: ignore[attr-defined]
            return list(session.exec(stmt).all())

    def review_queue(self, limit: int | None = None) -> list[Document]:
        """Documents whose metadata an archivist should check, oldest first."""
        return self.documents(needs_review=True, limit=limit)

    def correct_field(
        self,
        sha256: str,
        field: str,
        value: Any,
        by: str,
        *,
        metadata_key: str | None = None,
        metadata_version_id: str | None = None,
    ) -> tuple[Document, Event]:
        """Apply an archivist's correction in one transaction: the field's new value (source
        ``archivist``), the new metadata JSON's key, ``needs_review`` cleared once no flagged field
        is left, and a ``corrected`` event saying who changed what from what to what."""
        sha256 = _check_sha256(sha256)
        if field not in CORRECTABLE_FIELDS:
            raise ValueError(f"{field!r} cannot be corrected; one of {', '.join(CORRECTABLE_FIELDS)}")
        by = _nfc(by).strip()
        if not by:
            raise ValueError("say who made the correction (--by NAME)")
        value = _nfc(value)
        with self._errors("correct document"), self._write() as session:
            doc = session.get(Document, sha256)
            if doc is None:
                raise KeyError(sha256)
            old = getattr(doc, field)
            setattr(doc, field, value)
            meta = dict(doc.field_meta or {})
            entry = dict(meta.get(field) or {})
            entry.update(source="archivist", confidence=1.0, by=by, previous=_jsonable(old))
            entry.pop("needs_review", None)
            entry.pop("review", None)
            meta[field] = entry
            doc.field_meta = meta
            if field in ("cap", "ngay_ban_hanh"):
                unit = self._unit_as_issued(session, doc)
                doc.level = unit.level if unit is not None else (doc.cap or doc.level)
                doc.unit_valid_from = unit.valid_from if unit is not None else None
            if metadata_key is not None:
                doc.metadata_key = metadata_key
                doc.metadata_version_id = metadata_version_id
            doc.needs_review = bool(flagged_fields(doc))
            session.add(doc)
            ev = Event(
                sha256=sha256,
                kind=EventKind.CORRECTED.value,
                agent=by,
                detail=json.dumps(
                    {
                        "field": field,
                        "old": _jsonable(old),
                        "new": _jsonable(value),
                        "metadata_key": metadata_key,
                    },
                    ensure_ascii=False,
                ),
            )
            session.add(ev)
            session.commit()
            return doc, ev

    # -- archive: fixity, legal hold, hand-over export (issue 6) --

    def archived_documents(
        self, *, unit_code: str | None = None, key_year: int | None = None
    ) -> list[Document]:
        """Archived documents by where they sit in the archive: ``<unit>/<year>/...`` of their keys
        (the year of issue when it was read, else the year received), oldest first."""
        stmt = select(Document).where(Document.status == "archived", Document.original_key.is_not(None))  # type: ignore[union-attr]
        if unit_code is not None and key_year is not None:
            stmt = stmt.where(
                Document.original_key.startswith(f"{unit_code}/{int(key_year)}/", autoescape=True)
            )  # type: ignore[union-attr]
        elif unit_code is not None:
            stmt = stmt.where(Document.original_key.startswith(f"{unit_code}/", autoescape=True))  # type: ignore[union-attr]
        elif key_year is not None:
            stmt = stmt.where(Document.original_key.contains(f"/{int(key_year)}/", autoescape=True))  # type: ignore[union-attr]
        stmt = stmt.order_by(Document.archived_at, Document.sha256)
        with self._errors("list archived documents"), self._read() as session:
            return list(session.exec(stmt).all())

    def set_legal_hold(self, sha256: str, on: bool, agent: str, detail: str = "") -> Document:
        """Record a legal hold set or released (the objects' hold is set by the caller first)."""
        sha256 = _check_sha256(sha256)
        with self._errors("set legal hold"), self._write() as session:
            doc = session.get(Document, sha256)
            if doc is None:
                raise KeyError(sha256)
            doc.legal_hold = bool(on)
            session.add(doc)
            session.add(
                Event(
                    sha256=sha256,
                    kind=EventKind.LEGAL_HOLD.value,
                    agent=_nfc(agent),
                    detail=_nfc(f"{'set' if on else 'released'}" + (f": {detail}" if detail else "")),
                )
            )
            session.commit()
            return doc

    def find_by_signed_sha256(self, signed_sha256: str) -> Document | None:
        """The document whose archived signed copy has this SHA-256 (auditors hold only the PDF)."""
        signed_sha256 = _check_sha256(signed_sha256)
        stmt = select(Document).where(Document.signed_sha256 == signed_sha256).limit(1)
        with self._errors("find document by signed copy"), self._read() as session:
            return session.exec(stmt).first()


def _level_order(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _unit_row(
    code: str,
    name: str,
    level: str,
    parent_code: str | None,
    unit_type: str | None,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    source: str | None,
) -> Unit:
    level = Level(level).value
    if unit_type is not None:
        unit_type = UnitType(unit_type).value
    valid_from = valid_from or EARLIEST
    if valid_to is not None and valid_to < valid_from:
        raise ValueError(f"unit {code}: valid_to {valid_to} is before valid_from {valid_from}")
    return Unit(
        code=str(code).strip(),
        name=_nfc(name).strip(),
        level=level,
        parent_code=parent_code,
        unit_type=unit_type,
        valid_from=valid_from,
        valid_to=valid_to,
        source=_nfc(source) if source else None,
    )
