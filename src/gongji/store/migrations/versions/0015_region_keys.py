"""The ledger keyed by region: accounts, entries, postings, balance stripes, holds and the
audit chains carry their region (admdvs, "000000" for the national level) in front of their
primary keys and unique constraints, and foreign keys between them pair the region, so each
region's books can live on one node of a distributed database (issue 20, docs/SCALING.md).
Foreign keys that may cross regions (a posting's account, a hold's accounts, a wallet
transfer's hold) are dropped: the journal checks those accounts itself.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 00:00:00
"""

from gongji.store.migrations.reshape import Fk, Reshape, apply

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

APPEND_ONLY = ("entries", "postings", "audit_log")
R = "admdvs"


def _entry_fk(table: str, column: str, region: str = R) -> Fk:
    return Fk(f"fk_{table}_{column}_entries", (region, column), "entries", (R, "id"))


def _plain_fk(table: str, column: str, target: str) -> Fk:
    return Fk(f"fk_{table}_{column}_{target}", (column,), target, ("id",))


_OF_ENTRY = "(SELECT e.admdvs FROM entries e WHERE e.id = t.entry_id)"
_OF_ACCOUNT = "(SELECT a.admdvs FROM accounts a WHERE a.id = t.account_id)"
_OF_CHAIN = "substr(t.chain, 1, 6)"
_HOLD_ACCOUNTS = ("source_id", "hold_account_id", "dest_id")
_CLAIM_ENTRIES = ("entry_id", "pay_entry_id", "cancel_entry_id")
_SETL_ENTRIES = ("entry_id", "cancel_entry_id")

UP = (
    Reshape("accounts", not_null=(R,), pk=(R, "id"),
            drop_uniques=("uq_accounts_code",),
            add_uniques=(("uq_accounts_admdvs_code", (R, "code")),),
            drop_fks=("fk_accounts_parent_id_accounts",),
            add_fks=(Fk("fk_accounts_parent_id_accounts", (R, "parent_id"), "accounts",
                        (R, "id")),),
            add_indexes=(("ix_accounts_id", ("id",)), ("ix_accounts_code", ("code",)))),
    Reshape("entries", not_null=(R,), pk=(R, "id"),
            drop_uniques=("uq_entries_ref_entry_id_kind",),
            add_uniques=(("uq_entries_admdvs_ref_entry_id_kind", (R, "ref_entry_id", "kind")),),
            drop_fks=("fk_entries_ref_entry_id_entries",),
            add_fks=(_entry_fk("entries", "ref_entry_id"),),
            add_indexes=(("ix_entries_id", ("id",)),)),
    Reshape("account_stripes", add=R, fill=_OF_ACCOUNT, pk=(R, "account_id", "stripe"),
            drop_fks=("fk_account_stripes_account_id_accounts",),
            add_fks=(Fk("fk_account_stripes_account_id_accounts", (R, "account_id"),
                        "accounts", (R, "id")),)),
    Reshape("postings", add=R, fill=_OF_ENTRY, pk=(R, "entry_id", "idx"),
            drop_fks=("fk_postings_entry_id_entries", "fk_postings_account_id_accounts"),
            add_fks=(_entry_fk("postings", "entry_id"),),
            add_indexes=(("ix_postings_entry_id", ("entry_id",)),)),
    Reshape("holds", add=R, fill=_OF_ENTRY, pk=(R, "id"),
            drop_uniques=("uq_holds_entry_id",),
            add_uniques=(("uq_holds_admdvs_entry_id", (R, "entry_id")),),
            drop_fks=("fk_holds_entry_id_entries", "fk_holds_resolved_entry_id_entries",
                      *(f"fk_holds_{c}_accounts" for c in _HOLD_ACCOUNTS)),
            add_fks=(_entry_fk("holds", "entry_id"), _entry_fk("holds", "resolved_entry_id")),
            add_indexes=(("ix_holds_id", ("id",)),)),
    Reshape("audit_heads", add=R, fill=_OF_CHAIN, pk=(R, "chain")),
    Reshape("audit_log", add=R, fill=_OF_CHAIN, pk=(R, "chain", "seq")),
    Reshape("wallet_transfers", drop_fks=("fk_wallet_transfers_hold_id_holds",)),
    Reshape("contributions", drop_fks=("fk_contributions_entry_id_entries",),
            add_fks=(_entry_fk("contributions", "entry_id"),)),
    Reshape("settlements", drop_fks=tuple(f"fk_settlements_{c}_entries" for c in _SETL_ENTRIES),
            add_fks=tuple(_entry_fk("settlements", c, "insuplc_admdvs")
                          for c in _SETL_ENTRIES)),
    Reshape("claims", drop_fks=tuple(f"fk_claims_{c}_entries" for c in _CLAIM_ENTRIES),
            add_fks=tuple(_entry_fk("claims", c, "insuplc_admdvs") for c in _CLAIM_ENTRIES)),
)

DOWN = (
    Reshape("accounts", nullable=(R,), pk=("id",),
            drop_uniques=("uq_accounts_admdvs_code",),
            add_uniques=(("uq_accounts_code", ("code",)),),
            drop_fks=("fk_accounts_parent_id_accounts",),
            add_fks=(_plain_fk("accounts", "parent_id", "accounts"),),
            drop_indexes=("ix_accounts_id", "ix_accounts_code")),
    Reshape("entries", nullable=(R,), pk=("id",),
            drop_uniques=("uq_entries_admdvs_ref_entry_id_kind",),
            add_uniques=(("uq_entries_ref_entry_id_kind", ("ref_entry_id", "kind")),),
            drop_fks=("fk_entries_ref_entry_id_entries",),
            add_fks=(_plain_fk("entries", "ref_entry_id", "entries"),),
            drop_indexes=("ix_entries_id",)),
    Reshape("account_stripes", drop_columns=(R,), pk=("account_id", "stripe"),
            drop_fks=("fk_account_stripes_account_id_accounts",),
            add_fks=(_plain_fk("account_stripes", "account_id", "accounts"),)),
    Reshape("postings", drop_columns=(R,), pk=("entry_id", "idx"),
            drop_fks=("fk_postings_entry_id_entries",),
            add_fks=(_plain_fk("postings", "entry_id", "entries"),
                     _plain_fk("postings", "account_id", "accounts")),
            drop_indexes=("ix_postings_entry_id",)),
    Reshape("holds", drop_columns=(R,), pk=("id",),
            drop_uniques=("uq_holds_admdvs_entry_id",),
            add_uniques=(("uq_holds_entry_id", ("entry_id",)),),
            drop_fks=("fk_holds_entry_id_entries", "fk_holds_resolved_entry_id_entries"),
            add_fks=(_plain_fk("holds", "entry_id", "entries"),
                     _plain_fk("holds", "resolved_entry_id", "entries"),
                     *(_plain_fk("holds", c, "accounts") for c in _HOLD_ACCOUNTS)),
            drop_indexes=("ix_holds_id",)),
    Reshape("audit_heads", drop_columns=(R,), pk=("chain",)),
    Reshape("audit_log", drop_columns=(R,), pk=("chain", "seq")),
    Reshape("wallet_transfers", add_fks=(_plain_fk("wallet_transfers", "hold_id", "holds"),)),
    Reshape("contributions", drop_fks=("fk_contributions_entry_id_entries",),
            add_fks=(_plain_fk("contributions", "entry_id", "entries"),)),
    Reshape("settlements", drop_fks=tuple(f"fk_settlements_{c}_entries" for c in _SETL_ENTRIES),
            add_fks=tuple(_plain_fk("settlements", c, "entries") for c in _SETL_ENTRIES)),
    Reshape("claims", drop_fks=tuple(f"fk_claims_{c}_entries" for c in _CLAIM_ENTRIES),
            add_fks=tuple(_plain_fk("claims", c, "entries") for c in _CLAIM_ENTRIES)),
)


def upgrade() -> None:
    apply(UP, append_only=APPEND_ONLY)


def downgrade() -> None:
    apply(DOWN, append_only=APPEND_ONLY)
