"""quota per API: consumers.api_quotas (a tier per API replacing quota_per_minute for that API)

Revision ID: 0009_quota
Revises: 0006_fcstrict
Create Date: 2026-12-01 10:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dgfip_sandbox.store.changes import trigger_statements

revision = "0009_quota"
down_revision = "0006_fcstrict"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy): on SQLite a batch would recreate the table and drop the change
    # counter triggers of 0006_perf.
    op.add_column("consumers", sa.Column("api_quotas", sa.JSON(), nullable=True))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("consumers") as batch:
        batch.drop_column("api_quotas")
    if dialect == "sqlite":  # the batch copy dropped the consumers table's triggers: put them back
        create, _drop = trigger_statements(dialect)
        for statement in create:
            if " ON consumers " in statement:
                op.execute(statement)
