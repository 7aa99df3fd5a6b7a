"""The ledger's records as plain values (what the ledger returns; never an ORM object)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gongji.ledger.kinds import AccountKind


class EntryKind(StrEnum):
    TRANSFER = "transfer"
    """Money moved now, between any number of accounts."""
    HOLD = "hold"
    """Money moved from a source into its HOLD account, with a deadline."""
    POST = "post"
    """A hold completed: HOLD account to the destination (references the hold entry)."""
    VOID = "void"
    """A hold cancelled before its deadline: HOLD account back to the source."""
    EXPIRE = "expire"
    """A hold that reached its deadline: HOLD account back to the source."""
    REVERSAL = "reversal"
    """The mirror of a transfer entry (references it): every posting negated."""


class HoldState(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    code: str
    kind: AccountKind
    owner: str | None
    sponsor: str | None
    admdvs: str | None
    parent_id: str | None
    no_negative: bool
    balance: int
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Posting:
    account_id: str
    amount: int
    """Signed fen: positive adds to the account's balance, negative takes from it."""


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    kind: EntryKind
    code: str
    ref_entry_id: str | None
    ext_ref: str | None
    memo: str
    actor: str
    admdvs: str | None
    created_at: datetime
    postings: tuple[Posting, ...]

    def amount_for(self, account_id: str) -> int:
        return sum(p.amount for p in self.postings if p.account_id == account_id)


@dataclass(frozen=True, slots=True)
class Hold:
    id: str
    entry_id: str
    source_id: str
    hold_account_id: str
    dest_id: str
    amount: int
    deadline: datetime
    state: HoldState
    resolved_entry_id: str | None
    resolved_at: datetime | None
