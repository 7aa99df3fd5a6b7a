"""The SQL schema (SQLAlchemy Core). Migrations in store/migrations must produce exactly this;
a test compares them on both databases.

Keys are UUIDv7 strings, never a database sequence, so rows can later be distributed by
region. Money columns are BIGINT fen.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from gongji.store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

ID = 36  # a UUID in text form

accounts = Table(
    "accounts", metadata,
    Column("id", String(ID), primary_key=True),
    Column("code", String(200), nullable=False, unique=True),
    Column("kind", String(24), nullable=False),
    Column("owner", String(64)),
    Column("sponsor", String(64)),
    Column("admdvs", String(6)),
    Column("parent_id", String(ID), ForeignKey("accounts.id")),
    Column("no_negative", Boolean, nullable=False),
    Column("balance", BigInteger, nullable=False, server_default="0"),
    Column("status", String(8), nullable=False, server_default="open"),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("NOT no_negative OR balance >= 0", name="no_negative"),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
)
Index("ix_accounts_owner", accounts.c.owner)

entries = Table(
    "entries", metadata,
    Column("id", String(ID), primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("code", String(64), nullable=False),
    Column("ref_entry_id", String(ID), ForeignKey("entries.id")),
    Column("ext_ref", String(64)),
    Column("memo", String(200), nullable=False, server_default=""),
    Column("actor", String(100), nullable=False),
    Column("admdvs", String(6)),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint(
        "kind IN ('transfer', 'hold', 'post', 'void', 'expire', 'reversal')", name="kind"),
    CheckConstraint(
        "(kind IN ('transfer', 'hold')) = (ref_entry_id IS NULL)", name="ref"),
    # at most one post/void/expire/reversal of any entry, enforced by the database
    UniqueConstraint("ref_entry_id", "kind"),
)
Index("ix_entries_ext_ref", entries.c.ext_ref)
Index("ix_entries_created_at", entries.c.created_at)

postings = Table(
    "postings", metadata,
    Column("entry_id", String(ID), ForeignKey("entries.id"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("entry_id", "idx"),
    CheckConstraint("amount <> 0", name="nonzero"),
)
Index("ix_postings_account_id", postings.c.account_id)

holds = Table(
    "holds", metadata,
    Column("id", String(ID), primary_key=True),
    Column("entry_id", String(ID), ForeignKey("entries.id"), nullable=False, unique=True),
    Column("source_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("hold_account_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("dest_id", String(ID), ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("state", String(8), nullable=False, server_default="pending"),
    Column("resolved_entry_id", String(ID), ForeignKey("entries.id")),
    Column("resolved_at", UTCDateTime),
    CheckConstraint("amount > 0", name="positive"),
    CheckConstraint("state IN ('pending', 'posted', 'voided', 'expired')", name="state"),
    CheckConstraint("(state = 'pending') = (resolved_entry_id IS NULL)", name="resolved"),
)
Index("ix_holds_state_deadline", holds.c.state, holds.c.deadline)
Index("ix_holds_source_id", holds.c.source_id)

idempotency = Table(
    "idempotency", metadata,
    Column("scope", String(100), nullable=False),
    Column("key", String(64), nullable=False),
    Column("operation", String(64), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("request", Text, nullable=False),
    Column("response", Text),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("scope", "key"),
)

audit_heads = Table(
    "audit_heads", metadata,
    Column("chain", String(16), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("chain", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(100), nullable=False, server_default=""),
    Column("entry_id", String(ID)),
    Column("digest", String(64)),
    Column("detail", Text, nullable=False, server_default="{}"),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("chain", "seq"),
)
Index("ix_audit_log_entry_id", audit_log.c.entry_id)
Index("ix_audit_log_at", audit_log.c.at)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

APPEND_ONLY = ("entries", "postings", "audit_log")
"""Tables the database itself refuses to UPDATE or DELETE (triggers in the migration)."""
