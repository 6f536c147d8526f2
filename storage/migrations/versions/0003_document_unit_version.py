"""Documents keep the unit version they were issued under (``unit_valid_from``), since GSO codes
are reused across reorganizations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("unit_valid_from", sa.Date(), nullable=True))
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Give each document of a known unit the version valid on its day of issue (else received,
    else archived, in Vietnam time), as :meth:`storage.ledger.Ledger.record_document` does now."""
    unit = sa.table(
        "unit", sa.column("code", sa.String), sa.column("valid_from", sa.Date), sa.column("valid_to", sa.Date)
    )
    document = sa.table(
        "document",
        sa.column("sha256", sa.String),
        sa.column("unit_code", sa.String),
        sa.column("ngay_ban_hanh", sa.Date),
        sa.column("received_at", sa.DateTime(timezone=True)),
        sa.column("archived_at", sa.DateTime(timezone=True)),
        sa.column("unit_valid_from", sa.Date),
    )
    versions: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for code, valid_from, valid_to in conn.execute(
        sa.select(unit.c.code, unit.c.valid_from, unit.c.valid_to)
    ):
        versions.setdefault(code, []).append((valid_from, valid_to))
    rows = conn.execute(
        sa.select(
            document.c.sha256, document.c.unit_code, document.c.ngay_ban_hanh,
            document.c.received_at, document.c.archived_at,
        ).where(document.c.unit_code.in_(list(versions)))
    ).all()  # fmt: skip
    for sha256, code, issued, received, archived in rows:
        day = issued or _vietnam_day(received or archived)
        valid = [
            vf for vf, vt in versions[code] if day is not None and vf <= day and (vt is None or day <= vt)
        ]
        if valid:
            conn.execute(
                document.update().where(document.c.sha256 == sha256).values(unit_valid_from=max(valid))
            )


def _vietnam_day(when: dt.datetime | None) -> dt.date | None:
    if when is None:
        return None
    if when.tzinfo is None:  # SQLite keeps naive UTC
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.timezone(dt.timedelta(hours=7))).date()


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_column("unit_valid_from")
