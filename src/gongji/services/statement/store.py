"""The statement's reads: postings of some accounts by time, and the transfer behind a hold.
Nothing is written here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from gongji.ledger.kinds import AccountKind
from gongji.store.tables import accounts, entries, holds, postings, wallet_transfers

e, p = entries.c, postings.c


class Moved(NamedTuple):
    entry_id: str
    kind: str
    code: str
    ref_entry_id: str | None
    ext_ref: str | None
    memo: str
    created_at: datetime
    account_id: str
    amount: int


class TransferOf(NamedTuple):
    sender_psn_no: str
    receiver_psn_no: str
    end_reason: str | None
    deadline: datetime


def given(conn: Connection, sponsor: str) -> list[str]:
    """Ids of the quota accounts this sponsor gave (one per relative), in id order."""
    return list(conn.execute(
        select(accounts.c.id).where(accounts.c.kind == AccountKind.WALLET_QUOTA.value,
                                    accounts.c.sponsor == sponsor)
        .order_by(accounts.c.id)).scalars())


def movements(conn: Connection, account_ids: Sequence[str], start: datetime,
              end: datetime) -> list[Moved]:
    """The postings on these accounts from start to before end, newest first."""
    if not account_ids:
        return []
    rows = conn.execute(
        select(e.id, e.kind, e.code, e.ref_entry_id, e.ext_ref, e.memo, e.created_at,
               p.account_id, p.amount)
        .join(postings, p.entry_id == e.id)
        .where(p.account_id.in_(account_ids), e.created_at >= start, e.created_at < end)
        .order_by(e.created_at.desc(), e.id.desc(), p.account_id)).all()
    return [Moved(*r[:-1], int(r[-1])) for r in rows]


def moved_since(conn: Connection, account_ids: Sequence[str], at: datetime) -> dict[str, int]:
    """What each account moved (summed, signed) at or after `at`."""
    if not account_ids:
        return {}
    rows = conn.execute(
        select(p.account_id, func.sum(p.amount)).join(entries, p.entry_id == e.id)
        .where(p.account_id.in_(account_ids), e.created_at >= at)
        .group_by(p.account_id)).all()
    return {r[0]: int(r[1]) for r in rows}


def latest(conn: Connection, account_ids: Sequence[str],
           before: datetime | None = None) -> datetime | None:
    """When these accounts last moved (before `before`)."""
    if not account_ids:
        return None
    q = select(func.max(e.created_at)).join(postings, p.entry_id == e.id) \
        .where(p.account_id.in_(account_ids))
    if before is not None:
        q = q.where(e.created_at < before)
    found: datetime | None = conn.execute(q).scalar()
    return found


def earliest_from(conn: Connection, account_ids: Sequence[str],
                  at: datetime) -> datetime | None:
    if not account_ids:
        return None
    found: datetime | None = conn.execute(
        select(func.min(e.created_at)).join(postings, p.entry_id == e.id)
        .where(p.account_id.in_(account_ids), e.created_at >= at)).scalar()
    return found


def transfer_of(conn: Connection, hold_entry_id: str) -> TransferOf | None:
    """The wallet transfer whose hold this entry made."""
    t = wallet_transfers.c
    row = conn.execute(
        select(t.sender_psn_no, t.receiver_psn_no, t.end_reason, t.deadline)
        .join(holds, holds.c.id == t.hold_id)
        .where(holds.c.entry_id == hold_entry_id)).first()
    return TransferOf(*row) if row is not None else None

