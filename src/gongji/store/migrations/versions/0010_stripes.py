"""Balance stripes for accounts that may go negative, so concurrent settlements of one region
do not queue on its fund's row (issue 16).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_stripes",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("stripe", sa.Integer(), nullable=False),
        sa.Column("balance", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("stripe > 0", name=op.f("ck_account_stripes_stripe")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_account_stripes_account_id_accounts")),
        sa.PrimaryKeyConstraint("account_id", "stripe", name=op.f("pk_account_stripes")),
    )


def downgrade() -> None:
    op.execute("UPDATE accounts SET balance = balance + (SELECT COALESCE(SUM(s.balance), 0) "
               "FROM account_stripes s WHERE s.account_id = accounts.id)")
    op.drop_table("account_stripes")
