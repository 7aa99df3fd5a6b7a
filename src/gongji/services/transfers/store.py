"""The wallet_transfers table (each row beside its ledger hold), as typed records. The counts a
transfer's rules take (today's, the year's, one waiting) are read here, under the sender's
wallet lock the service holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, or_, select, update

from gongji.ledger.model import HoldState
from gongji.store import fast
from gongji.store.tables import holds, person_region, wallet_transfers

t = wallet_transfers.c

# the statements of every transfer, built once (store.fast)
_ONE = fast.Prepared(select(wallet_transfers).where(t.id == bindparam("id")))
_ADD = fast.Prepared(insert(wallet_transfers).values({
    **fast.values_of(wallet_transfers, [
        "id", "sender_psn_no", "receiver_psn_no", "binding_id", "hold_id", "amount",
        "business_date", "submitted_at", "deadline"]),
    "admdvs": person_region(bindparam("sender_psn_no", type_=t.sender_psn_no.type))}))
"""A transfer is in its sender's region (whose hold it is)."""
_ENDED = fast.Prepared(update(wallet_transfers).where(t.id == bindparam("w_id"))
                       .values(fast.values_of(wallet_transfers, ["end_reason"])))
_DAY = bindparam("day", type_=t.business_date.type)
_SENT_ON = fast.Prepared(select(func.count()).select_from(wallet_transfers).where(
    t.sender_psn_no == bindparam("sender"), t.business_date == _DAY))
_SENT_SINCE = fast.Prepared(
    select(func.coalesce(func.sum(t.amount), 0)).join(holds, holds.c.id == t.hold_id)
    .where(t.sender_psn_no == bindparam("sender"), t.business_date >= _DAY,
           or_(holds.c.state == HoldState.PENDING.value,
               holds.c.state == HoldState.POSTED.value)))
_WAITING_BETWEEN = fast.Prepared(
    select(t.id).join(holds, holds.c.id == t.hold_id)
    .where(t.sender_psn_no == bindparam("sender"), t.receiver_psn_no == bindparam("receiver"),
           holds.c.state == HoldState.PENDING.value,
           holds.c.deadline > bindparam("now", type_=holds.c.deadline.type)).limit(1))


@dataclass(frozen=True, slots=True)
class TransferRecord:
    id: str
    sender_psn_no: str
    receiver_psn_no: str
    binding_id: str
    hold_id: str
    amount: int
    business_date: date
    submitted_at: datetime
    deadline: datetime
    end_reason: str | None


def _record(r: Row[Any]) -> TransferRecord:
    return TransferRecord(r.id, r.sender_psn_no, r.receiver_psn_no, r.binding_id, r.hold_id,
                          int(r.amount), r.business_date, r.submitted_at, r.deadline,
                          r.end_reason)


def transfer(conn: Connection, transfer_id: str) -> TransferRecord | None:
    row = _ONE.run(conn, {"id": transfer_id}).first()
    return None if row is None else _record(row)


def ids_of(conn: Connection, psn_no: str, *, limit: int) -> list[str]:
    """A person's transfers, sent and received, newest first."""
    return list(conn.execute(select(t.id).where(
        (t.sender_psn_no == psn_no) | (t.receiver_psn_no == psn_no))
        .order_by(t.submitted_at.desc(), t.id.desc()).limit(limit)).scalars())


def add(conn: Connection, r: TransferRecord) -> None:
    _ADD.run(conn, dict(
        id=r.id, sender_psn_no=r.sender_psn_no, receiver_psn_no=r.receiver_psn_no,
        binding_id=r.binding_id, hold_id=r.hold_id, amount=r.amount,
        business_date=r.business_date, submitted_at=r.submitted_at, deadline=r.deadline))


def ended(conn: Connection, transfer_id: str, reason: str) -> None:
    """Why a transfer was voided (rejected, cancelled, unbound): its status from then on."""
    _ENDED.run(conn, {"w_id": transfer_id, "end_reason": reason})


def sent_on(conn: Connection, sender: str, day: date) -> int:
    return int(_SENT_ON.run(conn, {"sender": sender, "day": day}).scalar_one())


def sent_since(conn: Connection, sender: str, start: date) -> int:
    """What the sender sent since a day that still counts: waiting or accepted."""
    return int(_SENT_SINCE.run(conn, {"sender": sender, "day": start}).scalar_one())


def waiting_between(conn: Connection, sender: str, receiver: str, now: datetime) -> bool:
    """A transfer from sender to receiver still waits (before its deadline)."""
    return _WAITING_BETWEEN.run(conn, {"sender": sender, "receiver": receiver,
                                        "now": now}).first() is not None


def waiting(conn: Connection, psn_no: str) -> bool:
    """A transfer to or from the person is pending (a wallet does not close under it)."""
    return conn.execute(
        select(t.id).join(holds, holds.c.id == t.hold_id)
        .where((t.sender_psn_no == psn_no) | (t.receiver_psn_no == psn_no),
               holds.c.state == HoldState.PENDING.value)).first() is not None


def pending(conn: Connection, sponsor: str, beneficiary: str
            ) -> list[tuple[str, str, datetime]]:
    """Every pending transfer from sponsor to beneficiary: (id, hold id, deadline)."""
    return [(r.id, r.hold_id, r.deadline) for r in conn.execute(
        select(t.id, t.hold_id, holds.c.deadline)
        .join(holds, holds.c.id == t.hold_id)
        .where(t.sender_psn_no == sponsor, t.receiver_psn_no == beneficiary,
               holds.c.state == HoldState.PENDING.value))]
