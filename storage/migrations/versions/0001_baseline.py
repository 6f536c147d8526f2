"""Baseline: the ledger as it was before migrations (units, documents, events, quarantine,
denominators, with every column later steps fill).

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "unit",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("parent_code", sa.String(32), nullable=True),
    )
    op.create_index("ix_unit_level", "unit", ["level"])

    op.create_table(
        "document",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("level", sa.String(8), nullable=True),
        sa.Column("so_ky_hieu", sa.String(), nullable=True),
        sa.Column("ngay_ban_hanh", sa.Date(), nullable=True),
        sa.Column("dia_danh", sa.String(), nullable=True),
        sa.Column("co_quan_ban_hanh", sa.String(), nullable=True),
        sa.Column("co_quan_chu_quan", sa.String(), nullable=True),
        sa.Column("cap", sa.String(8), nullable=True),
        sa.Column("loai_van_ban", sa.String(), nullable=True),
        sa.Column("trich_yeu", sa.Text(), nullable=True),
        sa.Column("nguoi_ky", sa.String(), nullable=True),
        sa.Column("chuc_vu_nguoi_ky", sa.String(), nullable=True),
        sa.Column("so_trang", sa.Integer(), nullable=True),
        sa.Column("ocr_confidence", sa.Float(), nullable=True),
        sa.Column("type_code", sa.String(2), nullable=True),
        sa.Column("field_meta", sa.JSON(), nullable=True),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("clerk_data", sa.JSON(), nullable=True),
        sa.Column("ma_ho_so", sa.String(64), nullable=True),
        sa.Column("ma_tthc", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("original_key", sa.String(), nullable=True),
        sa.Column("signed_key", sa.String(), nullable=True),
        sa.Column("metadata_key", sa.String(), nullable=True),
        sa.Column("original_version_id", sa.String(), nullable=True),
        sa.Column("signed_version_id", sa.String(), nullable=True),
        sa.Column("metadata_version_id", sa.String(), nullable=True),
        sa.Column("signed_sha256", sa.String(64), nullable=True),
        sa.Column("signer_fingerprint", sa.String(), nullable=True),
        sa.Column("signature_level", sa.String(16), nullable=True),
        sa.Column("maintenance", sa.String(2), nullable=True),
        sa.Column("retain_until", TZ, nullable=True),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("received_at", TZ, nullable=True),
        sa.Column("archived_at", TZ, nullable=False),
    )
    op.create_index("ix_document_unit_code", "document", ["unit_code"])
    op.create_index("ix_document_needs_review", "document", ["needs_review"])
    op.create_index("ix_document_ma_ho_so", "document", ["ma_ho_so"])
    op.create_index("ix_document_archived_at", "document", ["archived_at"])

    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_event_sha256", "event", ["sha256"])

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_quarantine_sha256", "quarantine", ["sha256"])
    op.create_index("ix_quarantine_reason", "quarantine", ["reason"])

    op.create_table(
        "denominator",
        sa.Column("unit_code", sa.String(32), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("total", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("denominator", "quarantine", "event", "document", "unit"):
        op.drop_table(table)
