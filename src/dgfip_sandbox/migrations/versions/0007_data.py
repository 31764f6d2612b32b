"""data: registry of the integrator's own test data (test_data_entries)

Revision ID: 0006_data
Revises: 0006_perf
Create Date: 2026-12-01 10:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_data"
down_revision = "0006_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "test_data_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_data_entries")),
        sa.UniqueConstraint("kind", "key", name="uq_test_data_entries_kind_key"),
    )


def downgrade() -> None:
    op.drop_table("test_data_entries")
