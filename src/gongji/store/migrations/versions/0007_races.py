"""Settlement message ids claimed once, by the settlement or by the reversal (冲正) that came
before it: the tombstone that refuses a late original; PIN attempts claimed before they are
checked, so parallel guesses cannot pass the lockout (issue 15).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "medins_setl_ids",
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("medins_setl_id", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('settled', 'reversed')",
                           name=op.f("ck_medins_setl_ids_state")),
        sa.PrimaryKeyConstraint("fixmedins_code", "medins_setl_id",
                                name=op.f("pk_medins_setl_ids")),
    )
    op.execute("INSERT INTO medins_setl_ids (fixmedins_code, medins_setl_id, state, created_at)"
               " SELECT fixmedins_code, medins_setl_id, 'settled', setl_time FROM settlements"
               " WHERE medins_setl_id IS NOT NULL")
    op.add_column("pins", sa.Column("pending", sa.Integer(), server_default="0",
                                    nullable=False))
    op.add_column("pins", sa.Column("pending_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pins", schema=None) as batch_op:
        batch_op.drop_column("pending_at")
        batch_op.drop_column("pending")
    op.drop_table("medins_setl_ids")
