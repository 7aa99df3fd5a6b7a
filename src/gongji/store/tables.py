"""The SQL schema (SQLAlchemy Core). Migrations in store/migrations must produce exactly this;
a test compares them on both databases.

Keys are UUIDv7 strings, never a database sequence, so rows can later be distributed by
region. Money columns are BIGINT fen.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
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
NOTE = 500  # a one-time notice shown on the next page
ADMDVS = 6  # a region code; the distribution column of the region group (store/distribution.py)


def _region_fk(columns: list[str], table: str, refcolumns: list[str], name: str
               ) -> ForeignKeyConstraint:
    """A foreign key within the region group: the row and the one it names share a region
    (its admdvs goes along with the id), so both live on the same node of a distributed
    database."""
    return ForeignKeyConstraint(["admdvs", *columns], [f"{table}.admdvs",
                                                       *(f"{table}.{c}" for c in refcolumns)],
                                name=name)


def _owned(table: str, column: str, target: str, refcolumn: str) -> ForeignKeyConstraint:
    """A row that belongs to a person's row (directly or through an order, a prescription):
    it shares the person's region and moves with it when the person is re-homed (the first
    enrollment, a move: services/enrollment/store.py::rehome copies and deletes, as a
    distributed database would, which never updates a distribution value in place)."""
    return ForeignKeyConstraint(["admdvs", column], [f"{target}.admdvs", f"{target}.{refcolumn}"],
                                name=f"fk_{table}_{column}_{target}")


def _person_fk(table: str, column: str = "psn_no") -> ForeignKeyConstraint:
    return _owned(table, column, "persons", "psn_no")


def _insured_fks(table: str, columns: list[str]) -> list[ForeignKeyConstraint]:
    """Entries named by a record of the insured region: they are in that region's books."""
    return [ForeignKeyConstraint(["insuplc_admdvs", c], ["entries.admdvs", "entries.id"],
                                 name=f"fk_{table}_{c}_entries") for c in columns]

accounts = Table(
    "accounts", metadata,
    # the region the account belongs to ("000000": the national level)
    Column("admdvs", String(ADMDVS), nullable=False),
    Column("id", String(ID), nullable=False),
    Column("code", String(200), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("owner", String(64)),
    Column("sponsor", String(64)),
    Column("parent_id", String(ID)),
    Column("no_negative", Boolean, nullable=False),
    Column("balance", BigInteger, nullable=False, server_default="0"),
    Column("status", String(8), nullable=False, server_default="open"),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("NOT no_negative OR balance >= 0", name="no_negative"),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
    PrimaryKeyConstraint("admdvs", "id"),
    UniqueConstraint("admdvs", "code"),
    _region_fk(["parent_id"], "accounts", ["id"], "fk_accounts_parent_id_accounts"),
)
Index("ix_accounts_owner", accounts.c.owner)
Index("ix_accounts_id", accounts.c.id)
Index("ix_accounts_code", accounts.c.code)

account_stripes = Table(
    "account_stripes", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # its account's
    Column("account_id", String(ID), nullable=False),
    Column("stripe", Integer, nullable=False),
    Column("balance", BigInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("admdvs", "account_id", "stripe"),
    _region_fk(["account_id"], "accounts", ["id"], "fk_account_stripes_account_id_accounts"),
    CheckConstraint("stripe > 0", name="stripe"),
)
"""More balance rows of an account that may go negative (a region's fund, an institution's
receivable): when concurrent settlements find the account's own row locked, each adds its
delta to a stripe no one holds instead of queueing (ledger/journal.py). The balance is the
account's row plus its stripes."""

entries = Table(
    "entries", metadata,
    # the region whose books the entry is in ("000000": the national level); a reversal, a
    # post, void or expiry is in its original's
    Column("admdvs", String(ADMDVS), nullable=False),
    Column("id", String(ID), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("code", String(64), nullable=False),
    Column("ref_entry_id", String(ID)),
    Column("ext_ref", String(64)),
    Column("memo", String(200), nullable=False, server_default=""),
    Column("actor", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint(
        "kind IN ('transfer', 'hold', 'post', 'void', 'expire', 'reversal')", name="kind"),
    CheckConstraint(
        "(kind IN ('transfer', 'hold')) = (ref_entry_id IS NULL)", name="ref"),
    PrimaryKeyConstraint("admdvs", "id"),
    # at most one post/void/expire/reversal of any entry, enforced by the database
    UniqueConstraint("admdvs", "ref_entry_id", "kind"),
    _region_fk(["ref_entry_id"], "entries", ["id"], "fk_entries_ref_entry_id_entries"),
)
Index("ix_entries_id", entries.c.id)
Index("ix_entries_ext_ref", entries.c.ext_ref)
Index("ix_entries_created_at", entries.c.created_at)

postings = Table(
    "postings", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # its entry's
    Column("entry_id", String(ID), nullable=False),
    Column("idx", Integer, nullable=False),
    # no foreign key: an out-of-area settlement posts to the care region's accounts from the
    # insured region's entry (the journal checks every account it moves)
    Column("account_id", String(ID), nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("admdvs", "entry_id", "idx"),
    _region_fk(["entry_id"], "entries", ["id"], "fk_postings_entry_id_entries"),
    CheckConstraint("amount <> 0", name="nonzero"),
)
Index("ix_postings_account_id", postings.c.account_id)
Index("ix_postings_entry_id", postings.c.entry_id)

holds = Table(
    "holds", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # its entry's
    Column("id", String(ID), nullable=False),
    Column("entry_id", String(ID), nullable=False),
    # accounts without foreign keys: a wallet transfer holds from one province for another
    Column("source_id", String(ID), nullable=False),
    Column("hold_account_id", String(ID), nullable=False),
    Column("dest_id", String(ID), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("state", String(8), nullable=False, server_default="pending"),
    Column("resolved_entry_id", String(ID)),
    Column("resolved_at", UTCDateTime),
    PrimaryKeyConstraint("admdvs", "id"),
    UniqueConstraint("admdvs", "entry_id"),
    _region_fk(["entry_id"], "entries", ["id"], "fk_holds_entry_id_entries"),
    _region_fk(["resolved_entry_id"], "entries", ["id"], "fk_holds_resolved_entry_id_entries"),
    CheckConstraint("amount > 0", name="positive"),
    CheckConstraint("state IN ('pending', 'posted', 'voided', 'expired')", name="state"),
    CheckConstraint("(state = 'pending') = (resolved_entry_id IS NULL)", name="resolved"),
)
Index("ix_holds_state_deadline", holds.c.state, holds.c.deadline)
Index("ix_holds_source_id", holds.c.source_id)
Index("ix_holds_id", holds.c.id)

idempotency = Table(
    "idempotency", metadata,
    # the caller's region: a person's, an institution's, "000000" for operators and the system
    # (services/idempotency.py works it out from the scope in the same statement)
    Column("admdvs", String(ADMDVS), nullable=False),
    Column("scope", String(100), nullable=False),
    Column("key", String(64), nullable=False),
    Column("operation", String(64), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("request", Text, nullable=False),
    Column("response", Text),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("admdvs", "scope", "key"),
)

audit_heads = Table(
    "audit_heads", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the chain's region: its name's first six
    Column("chain", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("admdvs", "chain"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the chain's region
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
    PrimaryKeyConstraint("admdvs", "chain", "seq"),
)
Index("ix_audit_log_entry_id", audit_log.c.entry_id)
Index("ix_audit_log_at", audit_log.c.at)
# the records that seal a row outside the journal (an account, a stored answer): verify looks
# each row's digest up here
Index("ix_audit_log_seal", audit_log.c.digest,
      sqlite_where=audit_log.c.entry_id.is_(None) & audit_log.c.digest.isnot(None),
      postgresql_where=audit_log.c.entry_id.is_(None) & audit_log.c.digest.isnot(None))

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
    # the person's region: their current insured region (参保地), "000000" until the first
    # enrollment; every row of the person has it, and a re-home (store/rehome.py) moves them all
    Column("admdvs", String(ADMDVS), nullable=False),
    Column("psn_no", String(PSN), nullable=False),
    # one ID number nationally: registration always lands in "000000", where this holds it
    Column("certno", String(18), nullable=False),
    Column("psn_cert_type", String(2), nullable=False, server_default="01"),
    Column("name", String(50), nullable=False),
    Column("gend", String(1), nullable=False),
    Column("brdy", Date, nullable=False),
    Column("phone", String(11)),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("admdvs", "psn_no"),
    UniqueConstraint("admdvs", "certno"),
)
Index("ix_persons_psn_no", persons.c.psn_no)
Index("ix_persons_certno", persons.c.certno)


def person_region(psn_no: Any) -> Any:
    """The region of a person's rows, looked up in the statement that writes one (psn_no:
    a bound parameter or a column)."""
    return select(persons.c.admdvs).where(persons.c.psn_no == psn_no).scalar_subquery()


enrollments = Table(
    "enrollments", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("id", String(ID), nullable=False),
    Column("psn_no", String(PSN), nullable=False),
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
    PrimaryKeyConstraint("admdvs", "id"),
    _person_fk("enrollments"),
)
Index("ix_enrollments_psn_no", enrollments.c.psn_no)
Index("ix_enrollments_id", enrollments.c.id)
Index("uq_enrollments_active", enrollments.c.admdvs, enrollments.c.psn_no,
      enrollments.c.insutype, unique=True,
      sqlite_where=enrollments.c.status == "active",
      postgresql_where=enrollments.c.status == "active")

cards = Table(
    "cards", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("card_no", String(32), nullable=False),
    Column("psn_no", String(PSN), nullable=False),
    Column("status", String(8), nullable=False, server_default="valid"),
    Column("issued_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('valid', 'lost')", name="status"),
    PrimaryKeyConstraint("admdvs", "card_no"),
    _person_fk("cards"),
)
Index("ix_cards_psn_no", cards.c.psn_no)
Index("ix_cards_card_no", cards.c.card_no)

credential_uses = Table(
    "credential_uses", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("jti", String(32), nullable=False),
    Column("psn_no", String(PSN), nullable=False),
    Column("used_at", UTCDateTime, nullable=False),
    Column("used_by", String(100), nullable=False),
    PrimaryKeyConstraint("admdvs", "jti"),
    _person_fk("credential_uses"),
)

proxies = Table(
    "proxies", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the subject's (whose data it opens)
    Column("id", String(ID), nullable=False),
    Column("holder_psn_no", String(PSN), nullable=False),
    Column("subject_psn_no", String(PSN), nullable=False),
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
    PrimaryKeyConstraint("admdvs", "id"),
    _person_fk("proxies", "subject_psn_no"),
)
Index("ix_proxies_subject", proxies.c.subject_psn_no)
Index("ix_proxies_id", proxies.c.id)
Index("ix_proxies_holder", proxies.c.holder_psn_no)
Index("uq_proxies_open", proxies.c.admdvs, proxies.c.holder_psn_no, proxies.c.subject_psn_no,
      unique=True,
      sqlite_where=proxies.c.status.in_(["pending", "active"]),
      postgresql_where=proxies.c.status.in_(["pending", "active"]))

bindings = Table(
    "bindings", metadata,
    # the beneficiary's region: their settlements read the binding
    Column("admdvs", String(ADMDVS), nullable=False),
    Column("id", String(ID), nullable=False),
    Column("sponsor_psn_no", String(PSN), nullable=False),
    Column("beneficiary_psn_no", String(PSN), nullable=False),
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
    PrimaryKeyConstraint("admdvs", "id"),
    _person_fk("bindings", "beneficiary_psn_no"),
)
Index("ix_bindings_beneficiary", bindings.c.beneficiary_psn_no)
Index("ix_bindings_id", bindings.c.id)
Index("ix_bindings_sponsor", bindings.c.sponsor_psn_no)
Index("uq_bindings_open", bindings.c.admdvs, bindings.c.sponsor_psn_no,
      bindings.c.beneficiary_psn_no, unique=True,
      sqlite_where=bindings.c.status.in_(["pending", "active"]),
      postgresql_where=bindings.c.status.in_(["pending", "active"]))

wallets = Table(
    "wallets", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("psn_no", String(PSN), nullable=False),
    Column("status", String(8), nullable=False),
    Column("place_of_use", String(6), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("opened_by", String(PSN), nullable=False),
    Column("closed_at", UTCDateTime),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
    PrimaryKeyConstraint("admdvs", "psn_no"),
    _person_fk("wallets"),
)

wallet_transfers = Table(
    "wallet_transfers", metadata,
    # the sender's region (whose hold it is); the receiver and the binding may be elsewhere
    Column("admdvs", String(ADMDVS), nullable=False),
    Column("id", String(ID), nullable=False),
    Column("sender_psn_no", String(PSN), nullable=False),
    Column("receiver_psn_no", String(PSN), nullable=False),
    Column("binding_id", String(ID), nullable=False),
    # the hold is in the ledger's books: no foreign key across them
    Column("hold_id", String(ID), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("end_reason", String(12)),
    CheckConstraint("amount > 0", name="positive"),
    PrimaryKeyConstraint("admdvs", "id"),
    UniqueConstraint("admdvs", "hold_id"),
    _person_fk("wallet_transfers", "sender_psn_no"),
)
Index("ix_wallet_transfers_id", wallet_transfers.c.id)
Index("ix_wallet_transfers_sender_day", wallet_transfers.c.sender_psn_no,
      wallet_transfers.c.business_date)
Index("ix_wallet_transfers_receiver", wallet_transfers.c.receiver_psn_no)

pins = Table(
    "pins", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("psn_no", String(PSN), nullable=False),
    Column("hash", String(200), nullable=False),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    # attempts claimed and still being checked (argon2 runs outside the transaction)
    Column("pending", Integer, nullable=False, server_default="0"),
    Column("pending_at", UTCDateTime),
    PrimaryKeyConstraint("admdvs", "psn_no"),
    _person_fk("pins"),
)

contributions = Table(
    "contributions", metadata,
    Column("id", String(ID), nullable=False),
    # no foreign keys to the persons: a contribution is the insured region's (its fund's)
    Column("psn_no", String(PSN), nullable=False),
    Column("insutype", String(3), nullable=False),
    Column("year", Integer, nullable=False),
    Column("admdvs", String(6), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("payer_psn_no", String(PSN), nullable=False),
    Column("source", String(8), nullable=False),
    Column("sponsor_psn_no", String(PSN)),
    Column("entry_id", String(ID), nullable=False),
    Column("paid_at", UTCDateTime, nullable=False),
    Column("benefits_from", Date),
    PrimaryKeyConstraint("admdvs", "id"),
    UniqueConstraint("admdvs", "psn_no", "insutype", "year"),
    _region_fk(["entry_id"], "entries", ["id"], "fk_contributions_entry_id_entries"),
    CheckConstraint("source IN ('personal', 'quota')", name="source"),
)
Index("ix_contributions_id", contributions.c.id)

otps = Table(
    "otps", metadata,
    Column("id", String(ID), primary_key=True),
    # no foreign key: a code is the serving node's, the person's rows are their region's
    Column("psn_no", String(PSN), nullable=False),
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
    # no foreign key: a session is the serving node's, the person's rows are their region's
    Column("psn_no", String(PSN), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    # a one-time notice for the next page ("done"): kept here, never in a URL (issue 15)
    Column("note", String(NOTE)),
)

console_sessions = Table(
    "console_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    # the operator token the session was opened with, as api_tokens keeps it (its SHA-256):
    # a token revoked, or a bootstrap token changed, ends its sessions too
    Column("token_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("note", String(NOTE)),
)
"""An operator's login to the console (and the demo cashier): the cookie carries only the
session's random id, stored here as its hash, so logging out revokes it."""
Index("ix_console_sessions_expires_at", console_sessions.c.expires_at)

login_counts = Table(
    "login_counts", metadata,
    Column("day", Date, nullable=False),
    Column("kind", String(8), nullable=False),
    # a keyed hash (services/sealing.py tag) of the ID number typed, or of the client address
    Column("subject", String(64), nullable=False),
    Column("sent", Integer, nullable=False, server_default="0"),
    Column("wrong", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("day", "kind", "subject"),
    CheckConstraint("kind IN ('person', 'address')", name="kind"),
)
"""One-time codes sent and wrong codes typed per business day (domain/login_limits.py)."""

login_codes = Table(
    "login_codes", metadata,
    Column("subject", String(64), primary_key=True),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("wrong", Integer, nullable=False, server_default="0"),
)
"""The newest code asked for per ID number typed (a keyed hash of it), and the wrong tries
since: kept for a number nobody has as for a registered one, so the answers are the same."""
Index("ix_login_codes_sent_at", login_codes.c.sent_at)

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

# -- settlement: catalog, institutions, filings, visits, settlements, trace codes ------------

catalog_items = Table(
    "catalog_items", metadata,
    Column("admdvs", String(6), nullable=False),
    Column("med_list_codg", String(30), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("name", String(200), nullable=False),
    Column("list_type", String(3), nullable=False),
    Column("med_chrgitm_type", String(2), nullable=False),
    Column("chrgitm_lv", String(2), nullable=False),
    Column("selfpay_prop", String(8), nullable=False),
    Column("pric_uplmt_amt", BigInteger),
    Column("lmt_used_flag", Boolean, nullable=False),
    Column("spec", String(100), nullable=False, server_default=""),
    Column("unit", String(20), nullable=False, server_default=""),
    Column("version", String(40), nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("pack_cnt", Integer),  # units in the smallest box (最小包装数量), for 拆零
    # 非处方药 (OTC): sold online without an electronic prescription; other drugs need one
    Column("otc_flag", Boolean, nullable=False, server_default="0"),
    PrimaryKeyConstraint("admdvs", "med_list_codg", "begndate"),
)
Index("ix_catalog_items_code", catalog_items.c.med_list_codg)

institutions = Table(
    "institutions", metadata,
    Column("fixmedins_code", String(12), primary_key=True),
    Column("fixmedins_name", String(200), nullable=False),
    Column("fixmedins_type", String(1), nullable=False),
    Column("hosp_lv", String(1), nullable=False),
    Column("admdvs", String(6), nullable=False),
    Column("wallet_supported", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("fixmedins_type IN ('1', '2')", name="type"),
)

institution_keys = Table(
    "institution_keys", metadata,
    Column("key_id", String(32), primary_key=True),
    Column("fixmedins_code", String(12), ForeignKey("institutions.fixmedins_code"),
           nullable=False),
    # sealed (services/sealing.py); keys made before 0006 are plain hex until rotated
    Column("secret", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

request_nonces = Table(
    "request_nonces", metadata,
    Column("key_id", String(32), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("key_id", "nonce"),
)
Index("ix_request_nonces_seen_at", request_nonces.c.seen_at)

institution_transports = Table(
    "institution_transports", metadata,
    Column("fixmedins_code", String(12), ForeignKey("institutions.fixmedins_code"),
           primary_key=True),
    Column("scheme", String(10), nullable=False),
    Column("infcode_as", String(6), nullable=False),
    Column("relay", Boolean, nullable=False),
    Column("relay_opter", String(30), nullable=False),
    Column("encrypted", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("scheme IN ('gongji', 'tif', 'esb', 'oauth2')", name="scheme"),
    CheckConstraint("infcode_as IN ('number', 'string')", name="infcode_as"),
)

transport_credentials = Table(
    "transport_credentials", metadata,
    Column("credential_id", String(32), primary_key=True),
    Column("fixmedins_code", String(12), ForeignKey("institutions.fixmedins_code"),
           nullable=False),
    Column("kind", String(8), nullable=False),
    # x-tif-paasid, _api_access_key, the OAuth2 username; the credential id for sm
    Column("principal", String(64), nullable=False),
    # what the server reads back, sealed: TIF token, bus secret, SM4 key + SM2 private key
    Column("sealed", String(600)),
    # the OAuth2 password, argon2id: only ever compared
    Column("secret_hash", String(200)),
    # the institution's SM2 public key (x||y hex), to check its signatures
    Column("peer_public", String(130)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    CheckConstraint("kind IN ('tif', 'esb', 'oauth2', 'sm')", name="kind"),
)
Index("ix_transport_credentials_principal", transport_credentials.c.kind,
      transport_credentials.c.principal, unique=True)
Index("ix_transport_credentials_code", transport_credentials.c.fixmedins_code)

oauth_tokens = Table(
    "oauth_tokens", metadata,
    Column("token_digest", String(64), primary_key=True),
    Column("credential_id", String(32), ForeignKey("transport_credentials.credential_id"),
           nullable=False),
    Column("fixmedins_code", String(12), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)
Index("ix_oauth_tokens_expires_at", oauth_tokens.c.expires_at)

filings = Table(
    "filings", metadata,
    Column("id", String(ID), nullable=False),
    # no foreign key to the person: a filing is the insured region's record
    Column("psn_no", String(PSN), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("insuplc_admdvs", String(6), nullable=False),
    Column("target_admdvs", String(6), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("opsp_dise_code", String(20)),
    Column("status", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    CheckConstraint("status IN ('active', 'revoked')", name="status"),
    PrimaryKeyConstraint("insuplc_admdvs", "id"),
)
Index("ix_filings_psn_no", filings.c.psn_no)
Index("ix_filings_id", filings.c.id)

chronic_recognitions = Table(
    "chronic_recognitions", metadata,
    Column("id", String(ID), nullable=False),
    # no foreign key to the person: a recognition is the insured region's (admdvs) record
    Column("psn_no", String(PSN), nullable=False),
    Column("opsp_dise_code", String(20), nullable=False),
    Column("admdvs", String(6), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("status", String(8), nullable=False),
    Column("recognized_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("admdvs", "id"),
)
Index("ix_chronic_recognitions_psn_no", chronic_recognitions.c.psn_no)
Index("ix_chronic_recognitions_id", chronic_recognitions.c.id)

person_flags = Table(
    "person_flags", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("psn_no", String(PSN), nullable=False),
    Column("flag", String(16), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date),
    Column("set_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("admdvs", "psn_no", "flag", "begndate"),
    _person_fk("person_flags"),
    CheckConstraint("flag IN ('assistance', 'low_income')", name="flag"),
)
"""Eligibility an operator records: medical assistance (医疗救助), low income (大病 +points)."""

switches = Table(
    "switches", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("psn_no", String(PSN), nullable=False),
    Column("scope", String(32), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("admdvs", "psn_no", "scope"),
    _person_fk("switches"),
)

visits = Table(
    "visits", metadata,
    Column("mdtrt_id", String(30), nullable=False),
    # no foreign key to the person: the insured region of a visit is the person's at the time
    Column("psn_no", String(PSN), nullable=False),
    Column("insutype", String(3), nullable=False),
    Column("fixmedins_code", String(12), ForeignKey("institutions.fixmedins_code"),
           nullable=False),
    Column("med_type", String(4), nullable=False),
    Column("care", String(12), nullable=False),
    Column("mdtrtarea_admvs", String(6), nullable=False),
    Column("insuplc_admdvs", String(6), nullable=False),
    Column("mdtrt_cert_type", String(2), nullable=False),
    Column("ipt_otp_no", String(30)),
    Column("begntime", UTCDateTime, nullable=False),
    Column("endtime", UTCDateTime),
    Column("first_stay", Boolean, nullable=False, server_default="1"),
    Column("dise_codg", String(30)),
    Column("status", String(10), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('open', 'closed', 'cancelled')", name="status"),
    PrimaryKeyConstraint("insuplc_admdvs", "mdtrt_id"),
)
Index("ix_visits_psn_no", visits.c.psn_no)
Index("ix_visits_mdtrt_id", visits.c.mdtrt_id)


def _visit_fk(table: str) -> ForeignKeyConstraint:
    """A row of a visit, in the visit's insured region."""
    return ForeignKeyConstraint(["insuplc_admdvs", "mdtrt_id"],
                                ["visits.insuplc_admdvs", "visits.mdtrt_id"],
                                name=f"fk_{table}_mdtrt_id_visits")

fee_details = Table(
    "fee_details", metadata,
    Column("insuplc_admdvs", String(ADMDVS), nullable=False),  # its visit's
    Column("mdtrt_id", String(30), nullable=False),
    Column("feedetl_sn", String(30), nullable=False),
    Column("med_list_codg", String(30), nullable=False),
    Column("medins_list_codg", String(30)),
    Column("cnt", String(20), nullable=False),
    Column("pric", String(24), nullable=False),
    Column("det_item_fee_sumamt", BigInteger, nullable=False),
    Column("fee_ocur_time", UTCDateTime, nullable=False),
    Column("within_limits", Boolean, nullable=False, server_default="0"),
    Column("trace_codes", Text, nullable=False, server_default="[]"),
    Column("trdn_flag", Boolean, nullable=False, server_default="0"),
    Column("chrg_bchno", String(30)),
    Column("status", String(10), nullable=False),
    Column("setl_id", String(30)),
    Column("uploaded_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("insuplc_admdvs", "mdtrt_id", "feedetl_sn"),
    _visit_fk("fee_details"),
    CheckConstraint("status IN ('pending', 'settled', 'cancelled')", name="status"),
)
Index("ix_fee_details_mdtrt_id", fee_details.c.mdtrt_id)

settlements = Table(
    "settlements", metadata,
    Column("setl_id", String(30), nullable=False),
    Column("mdtrt_id", String(30), nullable=False),
    Column("psn_no", String(PSN), nullable=False),
    Column("insutype", String(3), nullable=False),
    Column("fixmedins_code", String(12), nullable=False),
    Column("insuplc_admdvs", String(6), nullable=False),
    Column("mdtrtarea_admvs", String(6), nullable=False),
    Column("care", String(12), nullable=False),
    Column("medins_setl_id", String(30)),
    Column("setl_time", UTCDateTime, nullable=False),
    Column("year", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    Column("medfee_sumamt", BigInteger, nullable=False),
    Column("fund_pay_sumamt", BigInteger, nullable=False),
    Column("acct_pay", BigInteger, nullable=False),
    Column("acct_mulaid_pay", BigInteger, nullable=False),
    Column("psn_cash_pay", BigInteger, nullable=False),
    # what the insured region owes the care region for this settlement (0 in area)
    Column("clearing_amt", BigInteger, nullable=False),
    Column("setlinfo", Text, nullable=False),
    Column("entry_id", String(ID), nullable=False),
    Column("cancel_entry_id", String(ID)),
    Column("cancelled_at", UTCDateTime),
    CheckConstraint("status IN ('settled', 'cancelled')", name="status"),
    PrimaryKeyConstraint("insuplc_admdvs", "setl_id"),
    _visit_fk("settlements"),
    *_insured_fks("settlements", ["entry_id", "cancel_entry_id"]),
)
Index("ix_settlements_psn_no", settlements.c.psn_no)
Index("ix_settlements_fixmedins", settlements.c.fixmedins_code, settlements.c.setl_time)
Index("ix_settlements_clearing", settlements.c.insuplc_admdvs, settlements.c.mdtrtarea_admvs,
      settlements.c.setl_time)
Index("ix_settlements_setl_id", settlements.c.setl_id)
# an institution's message id is taken once: medins_setl_ids holds it nationally, this within
# the insured region (where the settlement lives)
Index("uq_settlements_region_medins_setl_id", settlements.c.insuplc_admdvs,
      settlements.c.fixmedins_code, settlements.c.medins_setl_id, unique=True)
Index("ix_settlements_medins_setl_id", settlements.c.fixmedins_code,
      settlements.c.medins_setl_id)

# -- hand claims (手工报销) ---------------------------------------------------------------------

claims = Table(
    "claims", metadata,
    Column("claim_id", String(30), nullable=False),
    Column("psn_no", String(PSN), nullable=False),
    Column("insutype", String(3), nullable=False),
    Column("insuplc_admdvs", String(6), nullable=False),
    Column("fixmedins_code", String(12), nullable=False),
    Column("mdtrtarea_admvs", String(6), nullable=False),
    Column("med_type", String(6), nullable=False),
    Column("care", String(12), nullable=False),
    Column("begndate", Date, nullable=False),
    Column("enddate", Date, nullable=False),
    Column("dise_codg", String(30), nullable=False),
    Column("dise_name", String(100), nullable=False),
    Column("invoice_no", String(40), nullable=False),
    Column("medfee_sumamt", BigInteger, nullable=False),
    Column("bank_name", String(60), nullable=False),
    Column("bank_acct", String(30), nullable=False),
    Column("acct_used", Boolean, nullable=False),
    Column("status", String(10), nullable=False),
    Column("submitted_by", String(60), nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("reviewed_by", String(60)),
    Column("reviewed_at", UTCDateTime),
    Column("reason", String(300)),
    # the engine's outcome at approval (setlinfo, detail, lines, accumulator deltas) as JSON
    Column("outcome", Text),
    Column("reimbursed", BigInteger),
    Column("entry_id", String(ID)),
    Column("pay_entry_id", String(ID)),
    Column("cancel_entry_id", String(ID)),
    Column("paid_at", UTCDateTime),
    Column("cancelled_at", UTCDateTime),
    PrimaryKeyConstraint("insuplc_admdvs", "claim_id"),
    *_insured_fks("claims", ["entry_id", "pay_entry_id", "cancel_entry_id"]),
    CheckConstraint("status IN ('submitted', 'approved', 'refused', 'paid', 'cancelled')",
                    name="status"),
)
Index("ix_claims_psn_no", claims.c.psn_no, claims.c.submitted_at)
Index("ix_claims_status", claims.c.insuplc_admdvs, claims.c.status, claims.c.submitted_at)
Index("ix_claims_claim_id", claims.c.claim_id)

claim_lines = Table(
    "claim_lines", metadata,
    Column("insuplc_admdvs", String(ADMDVS), nullable=False),  # its claim's
    Column("claim_id", String(30), nullable=False),
    Column("feedetl_sn", String(30), nullable=False),
    Column("med_list_codg", String(50), nullable=False),
    Column("cnt", String(20), nullable=False),
    Column("pric", String(20), nullable=False),
    Column("det_item_fee_sumamt", BigInteger, nullable=False),
    # the review: the quantity admitted (None until reviewed) and why it is less
    Column("admitted_cnt", String(20)),
    Column("reason", String(200)),
    PrimaryKeyConstraint("insuplc_admdvs", "claim_id", "feedetl_sn"),
    ForeignKeyConstraint(["insuplc_admdvs", "claim_id"],
                         ["claims.insuplc_admdvs", "claims.claim_id"],
                         name="fk_claim_lines_claim_id_claims"),
)
Index("ix_claim_lines_claim_id", claim_lines.c.claim_id)

claim_invoices = Table(
    "claim_invoices", metadata,
    # the institution's region (the claim's care region): an invoice is the institution's,
    # so it is held once nationally whoever claims it; no foreign key to the claim, which is
    # in the insured region
    Column("admdvs", String(ADMDVS), nullable=False),
    Column("fixmedins_code", String(12), nullable=False),
    Column("invoice_no", String(40), nullable=False),
    Column("claim_id", String(30), nullable=False),
    PrimaryKeyConstraint("admdvs", "fixmedins_code", "invoice_no"),
)
Index("ix_claim_invoices_claim_id", claim_invoices.c.claim_id)
"""An invoice is claimed once: held while its claim is live, freed when it is refused or
withdrawn (the row is the lock two submissions of one invoice meet on)."""

medins_setl_ids = Table(
    "medins_setl_ids", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the institution's region
    Column("fixmedins_code", String(12), nullable=False),
    Column("medins_setl_id", String(30), nullable=False),
    # settled: a settlement took it; reversed: 冲正 came first, a tombstone for ever
    Column("state", String(10), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("admdvs", "fixmedins_code", "medins_setl_id"),
    CheckConstraint("state IN ('settled', 'reversed')", name="state"),
)
"""Every settlement message id an institution has used, claimed by the settlement that took it
or by the reversal that came before it. One row per id, so a reversal and its late original
meet on the same key: whichever inserts second waits for the first and sees what it did."""

accumulators = Table(
    "accumulators", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("psn_no", String(PSN), nullable=False),
    Column("insutype", String(3), nullable=False),
    Column("year", Integer, nullable=False),
    Column("name", String(32), nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("admdvs", "psn_no", "insutype", "year", "name"),
    _person_fk("accumulators"),
)

stay_accumulators = Table(
    "stay_accumulators", metadata,
    Column("insuplc_admdvs", String(ADMDVS), nullable=False),  # its visit's
    Column("mdtrt_id", String(30), nullable=False),
    Column("name", String(32), nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("insuplc_admdvs", "mdtrt_id", "name"),
    _visit_fk("stay_accumulators"),
)

trace_sales = Table(
    "trace_sales", metadata,
    Column("id", String(ID), nullable=False),
    Column("code_key", String(60), nullable=False),
    Column("raw", String(128), nullable=False),
    Column("psn_no", String(PSN)),
    Column("fixmedins_code", String(12), nullable=False),
    Column("med_list_codg", String(30), nullable=False),
    Column("setl_id", String(30)),
    Column("fraction", String(24), nullable=False),
    Column("trdn_flag", Boolean, nullable=False),
    Column("status", String(10), nullable=False),
    Column("sold_at", UTCDateTime, nullable=False),
    Column("returned_at", UTCDateTime),
    CheckConstraint("status IN ('sold', 'returned')", name="status"),
    PrimaryKeyConstraint("code_key", "id"),
)
Index("ix_trace_sales_id", trace_sales.c.id)
Index("ix_trace_sales_setl_id", trace_sales.c.setl_id)

untraced_stock = Table(
    "untraced_stock", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the institution's region
    Column("id", String(ID), nullable=False),
    Column("fixmedins_code", String(12), ForeignKey("institutions.fixmedins_code"),
           nullable=False),
    Column("med_list_codg", String(30), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("bought_on", Date, nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    CheckConstraint("quantity > 0", name="quantity"),
    PrimaryKeyConstraint("admdvs", "id"),
)
Index("ix_untraced_stock_id", untraced_stock.c.id)
Index("ix_untraced_stock_fixmedins_code", untraced_stock.c.fixmedins_code,
      untraced_stock.c.med_list_codg)

# -- online purchase with 医保 (医保移动支付): authorizations, orders, refunds, cash, notices ---

pay_auths = Table(
    "pay_auths", metadata,
    # what the institution names in 6201/6202/6203; the person's one-time consent
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("pay_auth_no", String(40), nullable=False),
    Column("psn_no", String(PSN), nullable=False),
    # who confirmed with their PIN: the person, or a relative holding a proxy for them
    Column("authorized_by", String(PSN), nullable=False),
    Column("fixmedins_code", String(12), ForeignKey("institutions.fixmedins_code"),
           nullable=False),
    Column("med_org_ord", String(40), nullable=False),
    Column("insutype", String(3), nullable=False),
    Column("fee_sumamt", BigInteger, nullable=False),
    # JSON [{"med_list_codg", "cnt"}, ...]: the items the person saw
    Column("items", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("pay_ord_id", String(40)),
    PrimaryKeyConstraint("admdvs", "pay_auth_no"),
    _person_fk("pay_auths"),
)
Index("ix_pay_auths_order", pay_auths.c.fixmedins_code, pay_auths.c.med_org_ord)
Index("ix_pay_auths_pay_auth_no", pay_auths.c.pay_auth_no)
Index("ix_pay_auths_psn_no", pay_auths.c.psn_no)

pay_orders = Table(
    "pay_orders", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("pay_ord_id", String(40), nullable=False),
    Column("fixmedins_code", String(12), ForeignKey("institutions.fixmedins_code"),
           nullable=False),
    Column("med_org_ord", String(40), nullable=False),
    Column("pay_auth_no", String(40), nullable=False),
    # a SHA-256 of the payToken handed out at 6201 (the token itself is never kept)
    Column("pay_token_digest", String(64), nullable=False),
    Column("psn_no", String(PSN), nullable=False),
    Column("authorized_by", String(PSN), nullable=False),
    Column("insutype", String(3), nullable=False),
    Column("mdtrt_id", String(30), nullable=False),
    Column("setl_id", String(30)),
    Column("hi_rxno", String(40)),
    Column("ord_stas", String(2), nullable=False),
    Column("fee_sumamt", BigInteger, nullable=False),
    Column("own_pay_amt", BigInteger, nullable=False),
    Column("psn_acct_pay", BigInteger, nullable=False),
    Column("fund_pay", BigInteger, nullable=False),
    Column("acct_mulaid_pay", BigInteger, nullable=False),
    # none (nothing to pay in cash), pending, paid, failed, refunded
    Column("cash_state", String(10), nullable=False),
    Column("notify_url", String(300)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("paid_at", UTCDateTime),
    Column("shipped_at", UTCDateTime),
    PrimaryKeyConstraint("admdvs", "pay_ord_id"),
    # one order per institution order id: within the person's region here (the order is
    # looked up by it first, nationally, before one is made)
    UniqueConstraint("admdvs", "fixmedins_code", "med_org_ord"),
    _owned("pay_orders", "pay_auth_no", "pay_auths", "pay_auth_no"),
    CheckConstraint("cash_state IN ('none', 'pending', 'paid', 'failed', 'refunded')",
                    name="cash_state"),
)
Index("ix_pay_orders_psn_no", pay_orders.c.psn_no, pay_orders.c.created_at)
Index("ix_pay_orders_ord_stas", pay_orders.c.ord_stas, pay_orders.c.updated_at)
Index("ix_pay_orders_pay_ord_id", pay_orders.c.pay_ord_id)
Index("ix_pay_orders_order", pay_orders.c.fixmedins_code, pay_orders.c.med_org_ord)

pay_refunds = Table(
    "pay_refunds", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # its order's
    Column("pay_ord_id", String(40), nullable=False),
    Column("app_refd_sn", String(40), nullable=False),
    Column("refd_type", String(4), nullable=False),
    Column("totl_refd_amt", BigInteger, nullable=False),
    Column("cash_refd_amt", BigInteger, nullable=False),
    Column("psn_acct_refd_amt", BigInteger, nullable=False),
    Column("fund_refd_amt", BigInteger, nullable=False),
    # JSON [feedetl_sn, ...] refunded line by line; [] for the whole order
    Column("lines", Text, nullable=False),
    Column("new_setl_id", String(30)),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("admdvs", "pay_ord_id", "app_refd_sn"),
    _owned("pay_refunds", "pay_ord_id", "pay_orders", "pay_ord_id"),
)

cash_payments = Table(
    "cash_payments", metadata,
    # the request id gongji gives the payment channel (its idempotency key there)
    Column("admdvs", String(ADMDVS), nullable=False),  # its order's
    Column("id", String(40), nullable=False),
    Column("pay_ord_id", String(40), nullable=False),
    Column("kind", String(6), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("state", String(10), nullable=False),
    Column("channel_ref", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('pay', 'refund')", name="kind"),
    CheckConstraint("state IN ('pending', 'paid', 'failed', 'unknown')", name="state"),
    CheckConstraint("amount > 0", name="amount"),
    PrimaryKeyConstraint("admdvs", "id"),
    _owned("cash_payments", "pay_ord_id", "pay_orders", "pay_ord_id"),
)
Index("ix_cash_payments_pay_ord_id", cash_payments.c.pay_ord_id)
Index("ix_cash_payments_id", cash_payments.c.id)

sandbox_cash = Table(
    "sandbox_cash", metadata,
    # the sandbox payment channel's own book: what a real channel would hold on its side
    Column("request_id", String(40), primary_key=True),
    Column("kind", String(6), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    # a refund's payment: refunds of one payment add up to at most what was paid
    Column("original_id", String(40)),
)

pay_notifications = Table(
    "pay_notifications", metadata,
    # notifyId: the institution deduplicates by it
    Column("admdvs", String(ADMDVS), nullable=False),  # its order's
    Column("id", String(ID), nullable=False),
    Column("pay_ord_id", String(40), nullable=False),
    Column("fixmedins_code", String(12), nullable=False),
    Column("url", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Column("last_error", String(200)),
    PrimaryKeyConstraint("admdvs", "id"),
    _owned("pay_notifications", "pay_ord_id", "pay_orders", "pay_ord_id"),
)
Index("ix_pay_notifications_due", pay_notifications.c.delivered_at, pay_notifications.c.next_at)
Index("ix_pay_notifications_id", pay_notifications.c.id)

prescriptions = Table(
    "prescriptions", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the person's
    Column("hi_rxno", String(40), nullable=False),
    Column("psn_no", String(PSN), nullable=False),
    Column("issued_by", String(12), ForeignKey("institutions.fixmedins_code"), nullable=False),
    Column("dise_codg", String(30)),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("valid_until", UTCDateTime, nullable=False),
    Column("status", String(10), nullable=False),
    Column("filled_by", String(12)),
    Column("filled_setl", String(40)),
    Column("filled_at", UTCDateTime),
    CheckConstraint("status IN ('issued', 'filled', 'revoked')", name="status"),
    PrimaryKeyConstraint("admdvs", "hi_rxno"),
    _person_fk("prescriptions"),
)
Index("ix_prescriptions_psn_no", prescriptions.c.psn_no)
Index("ix_prescriptions_hi_rxno", prescriptions.c.hi_rxno)

prescription_items = Table(
    "prescription_items", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # its prescription's
    Column("hi_rxno", String(40), nullable=False),
    Column("med_list_codg", String(30), nullable=False),
    Column("cnt", String(20), nullable=False),
    PrimaryKeyConstraint("admdvs", "hi_rxno", "med_list_codg"),
    _owned("prescription_items", "hi_rxno", "prescriptions", "hi_rxno"),
)

# -- the national-interface gateway --------------------------------------------------------

gateway_signins = Table(
    "gateway_signins", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the institution's region
    Column("sign_no", String(30), nullable=False),
    Column("fixmedins_code", String(12), nullable=False),
    Column("opter_no", String(30), nullable=False),
    Column("mac", String(40)),
    Column("ip", String(45)),
    Column("signed_in_at", UTCDateTime, nullable=False),
    Column("signed_out_at", UTCDateTime),
    PrimaryKeyConstraint("admdvs", "sign_no"),
)
Index("ix_gateway_signins_sign_no", gateway_signins.c.sign_no)

gateway_files = Table(
    "gateway_files", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the institution's region
    Column("file_qury_no", String(40), nullable=False),
    Column("fixmedins_code", String(12), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("admdvs", "file_qury_no"),
)
Index("ix_gateway_files_file_qury_no", gateway_files.c.file_qury_no)

app_state = Table(
    "app_state", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
"""Small named values the process keeps across restarts (the sandbox clock)."""

APPEND_ONLY = ("entries", "postings", "audit_log")
"""Tables the database itself refuses to UPDATE or DELETE (triggers in the migration)."""

# -- the conformance kit: what an institution's messages did, while an operator records ------

conformance_recordings = Table(
    "conformance_recordings", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the institution's region
    Column("fixmedins_code", String(12), nullable=False),
    # messages are recorded while business time is before this moment
    Column("until", UTCDateTime, nullable=False),
    Column("set_by", String(100), nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("admdvs", "fixmedins_code"),
)
Index("ix_conformance_recordings_fixmedins_code", conformance_recordings.c.fixmedins_code)

conformance_messages = Table(
    "conformance_messages", metadata,
    Column("admdvs", String(ADMDVS), nullable=False),  # the institution's region
    Column("id", String(ID), nullable=False),
    Column("fixmedins_code", String(12), nullable=False),
    Column("infno", String(4)),
    Column("msgid", String(30)),
    Column("path", String(200), nullable=False),
    Column("scheme", String(20), nullable=False),
    Column("infcode", Integer, nullable=False),
    Column("refusal_code", String(40)),
    Column("refusal_field", String(200)),
    Column("refusal_zh", Text),
    Column("refusal_en", Text),
    # JSON [{"field", "zh", "en"}, ...]: the tolerances taken
    Column("deviations", Text, nullable=False),
    # the request envelope as JSON text, personal data masked, cut at 64 KiB ...
    Column("raw", Text),
    # ... and the masked text's full size (more than raw's when it was cut)
    Column("raw_bytes", Integer, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("admdvs", "id"),
)
Index("ix_conformance_messages_id", conformance_messages.c.id)
Index("ix_conformance_messages_fixmedins", conformance_messages.c.fixmedins_code,
      conformance_messages.c.received_at)
Index("ix_conformance_messages_received_at", conformance_messages.c.received_at)

# lookups by a row's own key, now that the region leads the primary key (migrations 0016, 0017)
Index("ix_pins_psn_no", pins.c.psn_no)
Index("ix_wallets_psn_no", wallets.c.psn_no)
Index("ix_switches_psn_no", switches.c.psn_no, switches.c.scope)
Index("ix_person_flags_psn_no", person_flags.c.psn_no)
Index("ix_accumulators_psn_no", accumulators.c.psn_no, accumulators.c.insutype, accumulators.c.year)
Index("ix_credential_uses_jti", credential_uses.c.jti)
Index("ix_prescription_items_hi_rxno", prescription_items.c.hi_rxno)
Index("ix_pay_refunds_pay_ord_id", pay_refunds.c.pay_ord_id, pay_refunds.c.app_refd_sn)
Index("ix_contributions_psn_no", contributions.c.psn_no, contributions.c.insutype,
      contributions.c.year)
Index("ix_stay_accumulators_mdtrt_id", stay_accumulators.c.mdtrt_id)
Index("ix_medins_setl_ids_message", medins_setl_ids.c.fixmedins_code,
      medins_setl_ids.c.medins_setl_id)
