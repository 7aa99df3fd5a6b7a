"""The conformance kit: record mode per institution and the messages recorded while it is on.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conformance_recordings",
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("fixmedins_code", name=op.f("pk_conformance_recordings")),
    )
    op.create_table(
        "conformance_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=12), nullable=False),
        sa.Column("infno", sa.String(length=4), nullable=True),
        sa.Column("msgid", sa.String(length=30), nullable=True),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("scheme", sa.String(length=20), nullable=False),
        sa.Column("infcode", sa.Integer(), nullable=False),
        sa.Column("refusal_code", sa.String(length=40), nullable=True),
        sa.Column("refusal_field", sa.String(length=200), nullable=True),
        sa.Column("refusal_zh", sa.Text(), nullable=True),
        sa.Column("refusal_en", sa.Text(), nullable=True),
        sa.Column("deviations", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("raw_bytes", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conformance_messages")),
    )
    op.create_index("ix_conformance_messages_fixmedins", "conformance_messages",
                    ["fixmedins_code", "received_at"], unique=False)
    op.create_index("ix_conformance_messages_received_at", "conformance_messages",
                    ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_conformance_messages_received_at", table_name="conformance_messages")
    op.drop_index("ix_conformance_messages_fixmedins", table_name="conformance_messages")
    op.drop_table("conformance_messages")
    op.drop_table("conformance_recordings")
