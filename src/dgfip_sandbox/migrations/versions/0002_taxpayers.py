"""taxpayers: tax situations (avis IR by period) and taxe d'habitation

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:56:53.921551
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "th_situations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("foyer_id", sa.Integer(), nullable=False),
        sa.Column("annee", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["foyer_id"], ["foyers.id"], name=op.f("fk_th_situations_foyer_id_foyers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_th_situations")),
        sa.UniqueConstraint("foyer_id", "annee", name="uq_th_situations_foyer_annee"),
    )
    with op.batch_alter_table("th_situations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_th_situations_foyer_id"), ["foyer_id"], unique=False)

    op.create_table(
        "tax_situations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("foyer_id", sa.Integer(), nullable=False),
        sa.Column("annrev", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("type_avis", sa.Integer(), nullable=False),
        sa.Column("date_debut", sa.Date(), nullable=False),
        sa.Column("date_fin", sa.Date(), nullable=False),
        sa.Column("date_etablissement", sa.Date(), nullable=False),
        sa.Column("spi_dec1", sa.String(length=13), nullable=False),
        sa.Column("spi_dec2", sa.String(length=13), nullable=True),
        sa.Column("date_deces_dec1", sa.Date(), nullable=True),
        sa.Column("date_deces_dec2", sa.Date(), nullable=True),
        sa.Column("indicateur_ifi", sa.String(length=1), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["foyer_id"], ["foyers.id"], name=op.f("fk_tax_situations_foyer_id_foyers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["spi_dec1"], ["declarants.spi"], name=op.f("fk_tax_situations_spi_dec1_declarants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["spi_dec2"], ["declarants.spi"], name=op.f("fk_tax_situations_spi_dec2_declarants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_situations")),
        sa.UniqueConstraint("foyer_id", "annrev", "sequence", name="uq_tax_situations_period"),
    )
    with op.batch_alter_table("tax_situations", schema=None) as batch_op:
        batch_op.create_index("ix_tax_situations_dec1_annrev", ["spi_dec1", "annrev"], unique=False)
        batch_op.create_index("ix_tax_situations_dec2_annrev", ["spi_dec2", "annrev"], unique=False)
        batch_op.create_index(batch_op.f("ix_tax_situations_foyer_id"), ["foyer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tax_situations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tax_situations_foyer_id"))
        batch_op.drop_index("ix_tax_situations_dec2_annrev")
        batch_op.drop_index("ix_tax_situations_dec1_annrev")

    op.drop_table("tax_situations")
    with op.batch_alter_table("th_situations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_th_situations_foyer_id"))

    op.drop_table("th_situations")
