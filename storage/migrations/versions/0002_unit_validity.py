"""Units become data with validity periods (key: code + valid_from, since GSO codes are reused);
successions, agencies and plan targets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

EARLIEST = dt.date(1900, 1, 1)


def upgrade() -> None:
    # A primary key cannot be altered in place on SQLite, and PostgreSQL keeps constraint names per
    # schema: build the new table beside the old one, copy, drop the old, rename.
    op.create_table(
        "unit_v2",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("parent_code", sa.String(32), nullable=True),
        sa.Column("unit_type", sa.String(16), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code", "valid_from"),
    )
    op.get_bind().execute(
        sa.text(
            "INSERT INTO unit_v2 (code, valid_from, name, level, parent_code) "
            "SELECT code, :earliest, name, level, parent_code FROM unit"
        ),
        {"earliest": EARLIEST},
    )
    op.drop_index("ix_unit_level", table_name="unit")
    op.drop_table("unit")
    op.rename_table("unit_v2", "unit")
    if op.get_bind().dialect.name == "postgresql":  # the name create_all() would have given it
        op.execute("ALTER TABLE unit RENAME CONSTRAINT unit_v2_pkey TO unit_pkey")
    op.create_index("ix_unit_level", "unit", ["level"])

    op.create_table(
        "succession",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("predecessor_code", sa.String(32), nullable=False),
        sa.Column("successor_code", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_succession_predecessor_code", "succession", ["predecessor_code"])
    op.create_index("ix_succession_successor_code", "succession", ["successor_code"])

    op.create_table(
        "agency",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
    )
    op.create_index("ix_agency_unit_code", "agency", ["unit_code"])

    op.create_table(
        "target",
        sa.Column("plan", sa.String(128), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("plan", "year", "level"),
    )


def downgrade() -> None:
    op.drop_table("target")
    op.drop_table("agency")
    op.drop_table("succession")
    op.create_table(
        "unit_v1",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("parent_code", sa.String(32), nullable=True),
    )
    # The newest version of each code survives.
    op.get_bind().execute(
        sa.text(
            "INSERT INTO unit_v1 (code, name, level, parent_code) "
            "SELECT u.code, u.name, u.level, u.parent_code FROM unit u "
            "WHERE u.valid_from = (SELECT MAX(v.valid_from) FROM unit v WHERE v.code = u.code)"
        )
    )
    op.drop_index("ix_unit_level", table_name="unit")
    op.drop_table("unit")
    op.rename_table("unit_v1", "unit")
    op.create_index("ix_unit_level", "unit", ["level"])
