"""Alembic migrations of the ledger, run programmatically (no ``alembic.ini`` needed).

:func:`upgrade_head` is what :meth:`storage.ledger.Ledger.create_all` calls at start: it takes a
lock (PostgreSQL advisory lock; SQLite ``BEGIN IMMEDIATE``) so several workers starting at once
migrate once, stamps a ledger created before migrations existed (tables present, no
``alembic_version``) at the baseline, then upgrades to the newest revision.

To add a revision after changing ``schemas/ledger.py``::

    .venv/bin/alembic -x url=sqlite:///tmp/x.db -c storage/migrations/alembic.ini revision \\
        --autogenerate -m "what changed"

(review the generated file: it must run on SQLite, through ``batch_alter_table``, and PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

HERE = Path(__file__).resolve().parent
BASELINE = "0001"
"""The schema as it was before migrations: a ledger without ``alembic_version`` is stamped here."""

_PG_LOCK_KEY = 0x50_48_4F_41  # arbitrary constant shared by every sohoa process ("SOHOA")


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_head(engine: Engine) -> None:
    """Bring the database at ``engine`` to the newest revision, once, even with racing workers."""
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:  # the common case: nothing to do, no lock taken
            return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        cfg = alembic_config(conn)
        if current_revision(conn) is None:
            tables = set(inspect(conn).get_table_names())
            if {"document", "event", "unit"} <= tables:
                command.stamp(cfg, BASELINE)
        command.upgrade(cfg, "head")
