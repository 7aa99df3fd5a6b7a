"""Ledger foundation: accounts, entries, postings, holds, idempotency, audit log, tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 20:08:34.939956
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("sponsor", sa.String(length=64), nullable=True),
        sa.Column("admdvs", sa.String(length=6), nullable=True),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("no_negative", sa.Boolean(), nullable=False),
        sa.Column("balance", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_accounts_status")),
        sa.CheckConstraint("NOT no_negative OR balance >= 0", name=op.f("ck_accounts_no_negative")),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["accounts.id"], name=op.f("fk_accounts_parent_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("code", name=op.f("uq_accounts_code")),
    )
    op.create_index("ix_accounts_owner", "accounts", ["owner"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "audit_heads",
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_heads")),
    )
    op.create_table(
        "audit_log",
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=100), server_default="", nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), server_default="{}", nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", "seq", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_entry_id", "audit_log", ["entry_id"], unique=False)

    op.create_table(
        "entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("ref_entry_id", sa.String(length=36), nullable=True),
        sa.Column("ext_ref", sa.String(length=64), nullable=True),
        sa.Column("memo", sa.String(length=200), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind IN ('transfer', 'hold')) = (ref_entry_id IS NULL)", name=op.f("ck_entries_ref")
        ),
        sa.CheckConstraint(
            "kind IN ('transfer', 'hold', 'post', 'void', 'expire', 'reversal')",
            name=op.f("ck_entries_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["ref_entry_id"], ["entries.id"], name=op.f("fk_entries_ref_entry_id_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entries")),
        sa.UniqueConstraint("ref_entry_id", "kind", name=op.f("uq_entries_ref_entry_id_kind")),
    )
    op.create_index("ix_entries_created_at", "entries", ["created_at"], unique=False)
    op.create_index("ix_entries_ext_ref", "entries", ["ext_ref"], unique=False)

    op.create_table(
        "idempotency",
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency")),
    )
    op.create_table(
        "holds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("hold_account_id", sa.String(length=36), nullable=False),
        sa.Column("dest_id", sa.String(length=36), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=8), server_default="pending", nullable=False),
        sa.Column("resolved_entry_id", sa.String(length=36), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(state = 'pending') = (resolved_entry_id IS NULL)", name=op.f("ck_holds_resolved")
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'posted', 'voided', 'expired')", name=op.f("ck_holds_state")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_holds_positive")),
        sa.ForeignKeyConstraint(
            ["dest_id"], ["accounts.id"], name=op.f("fk_holds_dest_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_holds_entry_id_entries")
        ),
        sa.ForeignKeyConstraint(
            ["hold_account_id"], ["accounts.id"], name=op.f("fk_holds_hold_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_entry_id"], ["entries.id"], name=op.f("fk_holds_resolved_entry_id_entries")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["accounts.id"], name=op.f("fk_holds_source_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_holds_entry_id")),
    )
    op.create_index("ix_holds_source_id", "holds", ["source_id"], unique=False)
    op.create_index("ix_holds_state_deadline", "holds", ["state", "deadline"], unique=False)

    op.create_table(
        "postings",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_postings_nonzero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_postings_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_postings_entry_id_entries")
        ),
        sa.PrimaryKeyConstraint("entry_id", "idx", name=op.f("pk_postings")),
    )
    op.create_index("ix_postings_account_id", "postings", ["account_id"], unique=False)
    create_append_only_triggers()


APPEND_ONLY = ("entries", "postings", "audit_log")


def create_append_only_triggers() -> None:
    """The journal and the audit log are immutable: the database refuses UPDATE and DELETE."""
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        return
    op.execute(
        "CREATE FUNCTION gongji_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME "
        "USING ERRCODE = 'restrict_violation'; END $$"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION gongji_append_only()"
        )


def drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        return
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS gongji_append_only()")


def downgrade() -> None:
    drop_append_only_triggers()
    op.drop_index("ix_postings_account_id", table_name="postings")

    op.drop_table("postings")
    op.drop_index("ix_holds_state_deadline", table_name="holds")
    op.drop_index("ix_holds_source_id", table_name="holds")

    op.drop_table("holds")
    op.drop_table("idempotency")
    op.drop_index("ix_entries_ext_ref", table_name="entries")
    op.drop_index("ix_entries_created_at", table_name="entries")

    op.drop_table("entries")
    op.drop_index("ix_audit_log_entry_id", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")

    op.drop_table("audit_log")
    op.drop_table("audit_heads")
    op.drop_table("api_tokens")
    op.drop_index("ix_accounts_owner", table_name="accounts")

    op.drop_table("accounts")
