"""franceconnect strict: FS client authentication (private_key_jwt, JWKS / jwks_uri), sealed secret
for HS256, allowed prompts, and the one-time client assertions (jti replay)

Revision ID: 0006_fcstrict
Revises: 0006_data
Create Date: 2026-12-01 09:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_fcstrict"
down_revision = "0006_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fc_service_providers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "token_endpoint_auth_method",
                sa.String(length=30),
                nullable=False,
                server_default="client_secret_post",
            )
        )
        batch_op.add_column(sa.Column("jwks", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("jwks_uri", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("allowed_prompts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("client_secret_sealed", sa.Text(), nullable=True))
    op.create_table(
        "fc_client_assertions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jti_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fc_client_assertions")),
        sa.UniqueConstraint("jti_hash", name=op.f("uq_fc_client_assertions_jti_hash")),
    )


def downgrade() -> None:
    op.drop_table("fc_client_assertions")
    with op.batch_alter_table("fc_service_providers", schema=None) as batch_op:
        batch_op.drop_column("client_secret_sealed")
        batch_op.drop_column("allowed_prompts")
        batch_op.drop_column("jwks_uri")
        batch_op.drop_column("jwks")
        batch_op.drop_column("token_endpoint_auth_method")
