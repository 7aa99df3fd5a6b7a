"""Server-side console sessions and cumulative one-time-code limits (issue 15): a console
session table (the cookie carries only its random id), a one-time notice kept with each
session (never in a URL), and the day's counts of login codes sent and wrong codes typed per ID
number and per client address.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("note", sa.String(length=500), nullable=True))
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_console_sessions")),
    )
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"],
                    unique=False)
    op.create_table(
        "login_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("wrong", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("kind IN ('person', 'address')", name=op.f("ck_login_counts_kind")),
        sa.PrimaryKeyConstraint("day", "kind", "subject", name=op.f("pk_login_counts")),
    )
    op.create_table(
        "login_codes",
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrong", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_login_codes")),
    )
    op.create_index("ix_login_codes_sent_at", "login_codes", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_codes_sent_at", table_name="login_codes")
    op.drop_table("login_codes")
    op.drop_table("login_counts")
    op.drop_index("ix_console_sessions_expires_at", table_name="console_sessions")
    op.drop_table("console_sessions")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("note")
