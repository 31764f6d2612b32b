"""admin: request journal, admin audit trail, standing scenarios, certificate PEMs

Revision ID: 0005
Revises: 0004 (re-chain onto the newest revision on main when merging)
Create Date: 2026-11-25 20:03:51.610543
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("consumer_name", sa.String(length=100), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_events")),
    )
    with op.batch_alter_table("admin_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_admin_events_consumer_name"), ["consumer_name"], unique=False)

    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("consumer_name", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("request_headers", sa.JSON(), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=False),
        sa.Column("response_headers", sa.JSON(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_entries_consumer_id"), ["consumer_id"], unique=False)

    with op.batch_alter_table("consumer_certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pem", sa.Text(), nullable=True))

    with op.batch_alter_table("consumers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sandbox_scenario", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consumers", schema=None) as batch_op:
        batch_op.drop_column("sandbox_scenario")

    with op.batch_alter_table("consumer_certificates", schema=None) as batch_op:
        batch_op.drop_column("pem")

    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entries_consumer_id"))

    op.drop_table("journal_entries")
    with op.batch_alter_table("admin_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_events_consumer_name"))
        batch_op.drop_index(batch_op.f("ix_admin_events_at"))

    op.drop_table("admin_events")
