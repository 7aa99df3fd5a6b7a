"""Late enrollment (issue 17, point 9): a resident contribution records the day its benefits
start (待遇等待期, 国办发〔2024〕38号); NULL for contributions recorded before, which had none.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contributions", sa.Column("benefits_from", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contributions") as batch:
        batch.drop_column("benefits_from")
