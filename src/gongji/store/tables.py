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
    Date,
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

# -- people, credentials, family, wallet (issue: the heart of the seeds) ---------------------

PSN = 20  # psn_no: "P" + 16 Crockford base32 characters (national limit 30)

regions = Table(
    "regions", metadata,
    Column("admdvs", String(6), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("name_en", String(80), nullable=False),
    Column("level", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("level IN ('province', 'pooling')", name="level"),
)

policy_documents = Table(
    "policy_documents", metadata,
    Column("id", String(ID), primary_key=True),
    Column("region", String(6), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date),
    Column("name", String(200), nullable=False, server_default=""),
    Column("body", Text, nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
    Column("uploaded_by", String(100), nullable=False),
)
Index("ix_policy_documents_region", policy_documents.c.region)

persons = Table(
    "persons", metadata,
    Column("psn_no", String(PSN), primary_key=True),
    Column("certno", String(18), nullable=False, unique=True),
    Column("psn_cert_type", String(2), nullable=False, server_default="01"),
    Column("name", String(50), nullable=False),
    Column("gend", String(1), nullable=False),
    Column("brdy", Date, nullable=False),
    Column("phone", String(11)),
    Column("created_at", UTCDateTime, nullable=False),
)

enrollments = Table(
    "enrollments", metadata,
    Column("id", String(ID), primary_key=True),
    Column("psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("insutype", String(3), nullable=False),
    Column("psn_type", String(4), nullable=False),
    Column("insuplc_admdvs", String(6), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("status", String(8), nullable=False),
    Column("has_personal_account", Boolean, nullable=False),
    Column("emp_name", String(100)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    CheckConstraint("status IN ('active', 'ended', 'moved')", name="status"),
)
Index("ix_enrollments_psn_no", enrollments.c.psn_no)
Index("uq_enrollments_active", enrollments.c.psn_no, enrollments.c.insutype, unique=True,
      sqlite_where=enrollments.c.status == "active",
      postgresql_where=enrollments.c.status == "active")

cards = Table(
    "cards", metadata,
    Column("card_no", String(32), primary_key=True),
    Column("psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("status", String(8), nullable=False, server_default="valid"),
    Column("issued_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('valid', 'lost')", name="status"),
)
Index("ix_cards_psn_no", cards.c.psn_no)

credential_uses = Table(
    "credential_uses", metadata,
    Column("jti", String(32), primary_key=True),
    Column("psn_no", String(PSN), nullable=False),
    Column("used_at", UTCDateTime, nullable=False),
    Column("used_by", String(100), nullable=False),
)

proxies = Table(
    "proxies", metadata,
    Column("id", String(ID), primary_key=True),
    Column("holder_psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("subject_psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("relation", String(24), nullable=False),
    Column("status", String(8), nullable=False),
    Column("needs", String(8), nullable=False),
    Column("evidence", String(200)),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", String(100)),
    Column("ended_at", UTCDateTime),
    CheckConstraint("status IN ('pending', 'active', 'declined', 'ended')", name="status"),
    CheckConstraint("needs IN ('consent', 'operator')", name="needs"),
)
Index("ix_proxies_subject", proxies.c.subject_psn_no)
Index("uq_proxies_open", proxies.c.holder_psn_no, proxies.c.subject_psn_no, unique=True,
      sqlite_where=proxies.c.status.in_(["pending", "active"]),
      postgresql_where=proxies.c.status.in_(["pending", "active"]))

bindings = Table(
    "bindings", metadata,
    Column("id", String(ID), primary_key=True),
    Column("sponsor_psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("beneficiary_psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("relation", String(24), nullable=False),
    Column("requested_by", String(PSN), nullable=False),
    Column("status", String(8), nullable=False),
    Column("verified", Boolean, nullable=False, server_default="0"),
    Column("verified_by", String(100)),
    Column("evidence", String(200)),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("activated_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("ended_by", String(100)),
    Column("end_reason", String(24)),
    CheckConstraint("status IN ('pending', 'active', 'declined', 'ended')", name="status"),
)
Index("ix_bindings_beneficiary", bindings.c.beneficiary_psn_no)
Index("uq_bindings_open", bindings.c.sponsor_psn_no, bindings.c.beneficiary_psn_no,
      unique=True, sqlite_where=bindings.c.status.in_(["pending", "active"]),
      postgresql_where=bindings.c.status.in_(["pending", "active"]))

wallets = Table(
    "wallets", metadata,
    Column("psn_no", String(PSN), ForeignKey("persons.psn_no"), primary_key=True),
    Column("status", String(8), nullable=False),
    Column("place_of_use", String(6), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("opened_by", String(PSN), nullable=False),
    Column("closed_at", UTCDateTime),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
)

wallet_transfers = Table(
    "wallet_transfers", metadata,
    Column("id", String(ID), primary_key=True),
    Column("sender_psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("receiver_psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("binding_id", String(ID), ForeignKey("bindings.id"), nullable=False),
    Column("hold_id", String(ID), ForeignKey("holds.id"), nullable=False, unique=True),
    Column("amount", BigInteger, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("end_reason", String(12)),
    CheckConstraint("amount > 0", name="positive"),
)
Index("ix_wallet_transfers_sender_day", wallet_transfers.c.sender_psn_no,
      wallet_transfers.c.business_date)
Index("ix_wallet_transfers_receiver", wallet_transfers.c.receiver_psn_no)

pins = Table(
    "pins", metadata,
    Column("psn_no", String(PSN), ForeignKey("persons.psn_no"), primary_key=True),
    Column("hash", String(200), nullable=False),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

contributions = Table(
    "contributions", metadata,
    Column("id", String(ID), primary_key=True),
    Column("psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("insutype", String(3), nullable=False),
    Column("year", Integer, nullable=False),
    Column("admdvs", String(6), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("payer_psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("source", String(8), nullable=False),
    Column("sponsor_psn_no", String(PSN)),
    Column("entry_id", String(ID), ForeignKey("entries.id"), nullable=False),
    Column("paid_at", UTCDateTime, nullable=False),
    UniqueConstraint("psn_no", "insutype", "year"),
    CheckConstraint("source IN ('personal', 'quota')", name="source"),
)

otps = Table(
    "otps", metadata,
    Column("id", String(ID), primary_key=True),
    Column("psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("used_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_otps_psn_no", otps.c.psn_no)

sessions = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("psn_no", String(PSN), ForeignKey("persons.psn_no"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

outbox = Table(
    "outbox", metadata,
    Column("id", String(ID), primary_key=True),
    Column("channel", String(8), nullable=False),
    Column("psn_no", String(PSN)),
    Column("to_masked", String(20), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

secrets = Table(
    "secrets", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

app_state = Table(
    "app_state", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
"""Small named values the process keeps across restarts (the sandbox clock)."""

APPEND_ONLY = ("entries", "postings", "audit_log")
"""Tables the database itself refuses to UPDATE or DELETE (triggers in the migration)."""
