"""Trace codes (issue 17, point 5): a catalog item's units per box (pack_cnt), so a split sale
(拆零) counts in units; an institution's untraced stock (无码库) from before the mandate.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("catalog_items", sa.Column("pack_cnt", sa.Integer(), nullable=True))
    op.create_table(
        "untraced_stock",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("med_list_codg", sa.String(length=30), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("bought_on", sa.Date(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_untraced_stock_quantity")),
        sa.ForeignKeyConstraint(["fixmedins_code"], ["institutions.fixmedins_code"],
                                name=op.f("fk_untraced_stock_fixmedins_code_institutions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_untraced_stock")),
    )
    op.create_index("ix_untraced_stock_fixmedins_code", "untraced_stock",
                    ["fixmedins_code", "med_list_codg"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_untraced_stock_fixmedins_code", table_name="untraced_stock")
    op.drop_table("untraced_stock")
    with op.batch_alter_table("catalog_items") as batch:
        batch.drop_column("pack_cnt")
