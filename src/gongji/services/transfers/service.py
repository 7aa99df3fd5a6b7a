"""Wallet transfers (医保钱包转账): a sponsor sends personal-account money to a bound relative.

Sending checks every rule (domain/transfers.py), confirmed by the sender's payment PIN, and
moves the money into a ledger hold: out of the sponsor's personal account at once, into the
receiver's quota from this sponsor when the receiver accepts. Not accepted by the next 06:00,
the sweeper returns it to the sponsor exactly once. A transfer's state is its hold's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Row, func, insert, select, update

from gongji.domain.access import Act
from gongji.domain.clock import display, in_window, next_at
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.ids import new_id
from gongji.domain.money import check_fen
from gongji.domain.privacy import mask_name
from gongji.domain.transfers import TransferAsk, WalletFacts, accept_deadline, check_transfer
from gongji.ledger.kinds import AccountKind, account_code
from gongji.ledger.model import HoldState
from gongji.services.access import authorize, authorize_either
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.family.service import active_binding
from gongji.services.people import service as people
from gongji.services.pins import service as pins
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import holds, wallet_transfers, wallets

TRANSFER = "wallet.transfer"


@dataclass(frozen=True, slots=True)
class SendTransfer:
    receiver_psn_no: str
    amount: int
    memo: str = ""


@dataclass(frozen=True, slots=True)
class TransferView:
    id: str
    sender_psn_no: str
    receiver_psn_no: str
    sender_name_masked: str
    receiver_name_masked: str
    amount: int
    status: str
    """pending, accepted, returned (not accepted in time), rejected, cancelled, unbound."""
    submitted_at: datetime
    deadline: datetime
    resolved_at: datetime | None
    business_date: date


@dataclass(frozen=True, slots=True)
class Limits:
    """What the sender may still do today: shown before they submit."""

    max_transfer: int
    daily_transfer_count: int
    sent_today: int
    left_today: int
    closed_hours_start: str
    closed_hours_end: str
    closed_now: bool
    next_open: datetime | None
    accept_deadline_if_sent_now: datetime


@door
def send(app: Gongji, who: Principal, key: Key, cmd: SendTransfer,
         pin: str) -> Written[TransferView]:
    if who.kind != "person":
        raise GongjiError("FORBIDDEN")
    check_fen(cmd.amount, allow_zero=False)
    request = to_json(cmd, SendTransfer)
    prior = app.stored(who, key=key, operation="transfer.send", request=request,
                       result_type=TransferView)
    if prior is not None:
        return prior  # a retry of a transfer that went through: no second PIN check
    pins.verify(app, who.id, pin)

    def run(uow: UnitOfWork) -> TransferView:
        sender, receiver = who.id, cmd.receiver_psn_no
        authorize(uow, who, Act.SEND_TRANSFER, sender)
        people.person(uow.conn, receiver)
        # the sender's wallet row serialises this sender's transfers: the daily count and the
        # one-pending rule are read and written under it
        s_wallet = uow.conn.execute(select(wallets).where(wallets.c.psn_no == sender)
                                    .with_for_update()).first()
        r_wallet = uow.conn.execute(select(wallets).where(wallets.c.psn_no == receiver)).first()
        binding = active_binding(uow, sender, receiver, lock=True)
        s_facts = _facts(uow, sender, s_wallet, Bi("转出方", "sender"))
        r_facts = _facts(uow, receiver, r_wallet, Bi("接收方", "receiver"))
        personal = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=sender))
        check_transfer(TransferAsk(
            now=uow.now, amount=cmd.amount, sender=s_facts, receiver=r_facts,
            bound=binding is not None, verified=bool(binding is not None and binding.verified),
            sent_today=_sent_today(uow, sender), sent_this_year=_sent_this_year(uow, sender),
            pending_to_receiver=_pending_between(uow, sender, receiver),
            sponsor_balance=personal.balance if personal else 0))
        assert personal is not None and binding is not None
        quota = uow.ledger.open_account(AccountKind.WALLET_QUOTA, owner=receiver,
                                        sponsor=sender, admdvs=r_facts.insuplc_admdvs)
        deadline = accept_deadline(uow.now, s_facts.policy)
        hold = uow.ledger.hold(personal.id, quota.id, cmd.amount, deadline, code=TRANSFER,
                               memo=cmd.memo[:200], admdvs=s_facts.insuplc_admdvs)
        tid = new_id()
        uow.conn.execute(insert(wallet_transfers), dict(
            id=tid, sender_psn_no=sender, receiver_psn_no=receiver, binding_id=binding.id,
            hold_id=hold.id, amount=cmd.amount, business_date=uow.today,
            submitted_at=uow.now, deadline=deadline))
        uow.record("transfer.send", subject=tid, chain=s_facts.insuplc_admdvs,
                   detail={"to": receiver, "amount": cmd.amount})
        return view(uow, tid)

    return app.write(who, key=key, operation="transfer.send", request=request, fn=run,
                     result_type=TransferView)


@door
def respond(app: Gongji, who: Principal, key: Key, transfer_id: str,
            action: Literal["accept", "reject", "cancel"]) -> Written[TransferView]:
    """accept or reject (the receiver, or their proxy), cancel (the sender), before deadline."""
    def run(uow: UnitOfWork) -> TransferView:
        t = _transfer(uow, transfer_id)
        if action == "cancel":
            authorize(uow, who, Act.SEND_TRANSFER, t.sender_psn_no)
        else:
            authorize(uow, who, Act.ACCEPT_TRANSFER, t.receiver_psn_no)
        hold = uow.ledger.get_hold(t.hold_id, lock=True)
        if hold.state != HoldState.PENDING:
            raise GongjiError("TRANSFER_NOT_PENDING", state=_STATUS_NAMES[_status(
                hold.state.value, t.end_reason)])
        if uow.now >= hold.deadline:
            raise GongjiError("TRANSFER_EXPIRED", deadline=display(hold.deadline))
        if action == "accept":
            uow.ledger.post(hold.id, memo="accepted")
        else:
            uow.ledger.void(hold.id, memo=action)
            uow.conn.execute(update(wallet_transfers).where(wallet_transfers.c.id == t.id)
                             .values(end_reason={"reject": "rejected",
                                                 "cancel": "cancelled"}[action]))
        uow.record(f"transfer.{action}", subject=t.id)
        return view(uow, t.id)

    return app.write(who, key=key, operation=f"transfer.{action}",
                     request={"transfer_id": transfer_id}, fn=run, result_type=TransferView)


def return_pending(uow: UnitOfWork, sponsor: str, beneficiary: str, *, reason: str) -> int:
    """Send back every waiting transfer from sponsor to beneficiary (their binding ended)."""
    rows = uow.conn.execute(
        select(wallet_transfers.c.id, wallet_transfers.c.hold_id, holds.c.deadline)
        .join(holds, holds.c.id == wallet_transfers.c.hold_id)
        .where(wallet_transfers.c.sender_psn_no == sponsor,
               wallet_transfers.c.receiver_psn_no == beneficiary,
               holds.c.state == HoldState.PENDING.value)).all()
    for r in rows:
        if uow.now >= r.deadline:
            uow.ledger.expire(r.hold_id)  # already due: what the sweeper would have done
        else:
            uow.ledger.void(r.hold_id, memo=reason)
            uow.conn.execute(update(wallet_transfers).where(wallet_transfers.c.id == r.id)
                             .values(end_reason=reason))
    return len(rows)


@door
def get(app: Gongji, who: Principal, transfer_id: str) -> TransferView:
    def run(uow: UnitOfWork) -> TransferView:
        t = _transfer(uow, transfer_id)
        authorize_either(uow, who, Act.READ, t.sender_psn_no, t.receiver_psn_no)
        return view(uow, transfer_id)

    return app.read(run)


@door
def list_for(app: Gongji, who: Principal, psn_no: str, *, limit: int = 50) -> list[TransferView]:
    """Transfers sent and received, newest first."""
    def run(uow: UnitOfWork) -> list[TransferView]:
        authorize(uow, who, Act.READ, psn_no)
        return views_of(uow, psn_no, limit=limit)

    return app.read(run, principal=who)


def views_of(uow: UnitOfWork, psn_no: str, *, limit: int = 50) -> list[TransferView]:
    ids = uow.conn.execute(select(wallet_transfers.c.id).where(
        (wallet_transfers.c.sender_psn_no == psn_no)
        | (wallet_transfers.c.receiver_psn_no == psn_no))
        .order_by(wallet_transfers.c.submitted_at.desc(), wallet_transfers.c.id.desc())
        .limit(limit)).scalars()
    return [view(uow, i) for i in ids]


@door
def limits(app: Gongji, who: Principal, psn_no: str) -> Limits:
    """What the person may still send today, and when the window closes."""
    def run(uow: UnitOfWork) -> Limits:
        authorize(uow, who, Act.READ, psn_no)
        return limits_in(uow, psn_no)

    return app.read(run, principal=who)


def limits_in(uow: UnitOfWork, psn_no: str) -> Limits:
    rules = uow.policy(people.insured_region(uow.conn, psn_no)).wallet
    sent = _sent_today(uow, psn_no)
    closed = in_window(uow.now, rules.closed_hours.start, rules.closed_hours.end)
    return Limits(
        max_transfer=rules.max_transfer, daily_transfer_count=rules.daily_transfer_count,
        sent_today=sent, left_today=max(rules.daily_transfer_count - sent, 0),
        closed_hours_start=rules.closed_hours.start.isoformat("minutes"),
        closed_hours_end=rules.closed_hours.end.isoformat("minutes"), closed_now=closed,
        next_open=next_at(uow.now, rules.closed_hours.end) if closed else None,
        accept_deadline_if_sent_now=next_at(uow.now, rules.accept_deadline))


def view(uow: UnitOfWork, transfer_id: str) -> TransferView:
    t = _transfer(uow, transfer_id)
    h = uow.ledger.get_hold(t.hold_id)
    s, r = people.person(uow.conn, t.sender_psn_no), people.person(uow.conn, t.receiver_psn_no)
    return TransferView(id=t.id, sender_psn_no=t.sender_psn_no, receiver_psn_no=t.receiver_psn_no,
                        sender_name_masked=mask_name(s.name),
                        receiver_name_masked=mask_name(r.name), amount=int(t.amount),
                        status=_status(h.state.value, t.end_reason), submitted_at=t.submitted_at,
                        deadline=t.deadline, resolved_at=h.resolved_at,
                        business_date=t.business_date)


# -- internals ------------------------------------------------------------------------------

_STATUS_NAMES = {
    "pending": Bi("待接收", "pending"), "accepted": Bi("已接收", "accepted"),
    "returned": Bi("已退回", "returned"), "rejected": Bi("已拒收", "rejected"),
    "cancelled": Bi("已撤回", "cancelled"), "unbound": Bi("解除共济已退回", "unbound"),
}


def status_of(hold_state: str, end_reason: str | None) -> str:
    """A transfer's status from its hold's state and the reason recorded when it ended."""
    return _status(hold_state, end_reason)


def _status(hold_state: str, end_reason: str | None) -> str:
    return {"pending": "pending", "posted": "accepted", "expired": "returned"}.get(
        hold_state, end_reason or "cancelled")


def _transfer(uow: UnitOfWork, transfer_id: str) -> Row[Any]:
    t = uow.conn.execute(select(wallet_transfers)
                         .where(wallet_transfers.c.id == transfer_id)).first()
    if t is None:
        raise GongjiError("TRANSFER_NOT_FOUND", transfer=transfer_id)
    return t


def _facts(uow: UnitOfWork, psn_no: str, wallet: Row[Any] | None, who: Bi) -> WalletFacts:
    home = people.insured_region(uow.conn, psn_no, who)
    is_open = wallet is not None and wallet.status == "open"
    place = wallet.place_of_use if wallet is not None and is_open else None
    return WalletFacts(psn_no=psn_no, open=is_open, place_of_use=place, insuplc_admdvs=home,
                       policy=uow.policy(home),
                       place_policy=uow.policy(place) if place else None)


def _sent_today(uow: UnitOfWork, sender: str) -> int:
    return int(uow.conn.execute(select(func.count()).select_from(wallet_transfers).where(
        wallet_transfers.c.sender_psn_no == sender,
        wallet_transfers.c.business_date == uow.today)).scalar_one())


def _sent_this_year(uow: UnitOfWork, sender: str) -> int:
    start = date(uow.today.year, 1, 1)
    total = uow.conn.execute(
        select(func.coalesce(func.sum(wallet_transfers.c.amount), 0))
        .join(holds, holds.c.id == wallet_transfers.c.hold_id)
        .where(wallet_transfers.c.sender_psn_no == sender,
               wallet_transfers.c.business_date >= start,
               holds.c.state.in_([HoldState.PENDING.value, HoldState.POSTED.value]))
    ).scalar_one()
    return int(total)


def _pending_between(uow: UnitOfWork, sender: str, receiver: str) -> bool:
    return uow.conn.execute(
        select(wallet_transfers.c.id).join(holds, holds.c.id == wallet_transfers.c.hold_id)
        .where(wallet_transfers.c.sender_psn_no == sender,
               wallet_transfers.c.receiver_psn_no == receiver,
               holds.c.state == HoldState.PENDING.value,
               holds.c.deadline > uow.now)).first() is not None
