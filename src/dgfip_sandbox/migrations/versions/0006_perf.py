"""perf: change counters (store_changes) bumped by triggers, for caches invalidated by change

Revision ID: 0006_perf
Revises: 0005 (re-chain onto the newest revision on main when merging)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dgfip_sandbox.store.changes import initial_rows, trigger_statements

revision = "0006_perf"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "store_changes",
        sa.Column("domain", sa.String(length=40), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_store_changes")),
    )
    op.bulk_insert(table, initial_rows())
    create, _drop = trigger_statements(op.get_bind().dialect.name)
    for statement in create:
        op.execute(statement)


def downgrade() -> None:
    _create, drop = trigger_statements(op.get_bind().dialect.name)
    for statement in drop:
        op.execute(statement)
    op.drop_table("store_changes")
