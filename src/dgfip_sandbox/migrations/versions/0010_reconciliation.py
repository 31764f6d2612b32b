"""réconciliation: declarants indexed on the état civil fields FranceConnect's réconciliation matches exactly

Revision ID: 0010_reconciliation
Revises: 0009_quota
Create Date: 2026-12-01 19:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0010_reconciliation"
down_revision = "0009_quota"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_declarants_naissance", "declarants", ["date_naissance", "sexe", "code_pays_naissance"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_declarants_naissance", table_name="declarants")
