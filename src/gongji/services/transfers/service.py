"""Wallet transfers (医保钱包转账): a sponsor sends personal-account money to a bound relative.

Sending checks every rule (domain/transfers.py), confirmed by the sender's payment PIN, and
moves the money into a ledger hold: out of the sponsor's personal account at once, into the
receiver's quota from this sponsor when the receiver accepts. Not accepted by the next 06:00,
the sweeper returns it to the sponsor exactly once. A transfer's state is its hold's state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from gongji.domain.access import Act, Principal
from gongji.domain.clock import display, in_window, next_at
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.ids import new_id
from gongji.domain.money import check_fen
from gongji.domain.privacy import mask_name
from gongji.domain.transfers import (
    STATUS_NAMES,
    TransferAsk,
    WalletFacts,
    accept_deadline,
    check_parties,
    check_sender,
    check_transfer,
    status_of,
)
from gongji.ledger.kinds import AccountKind, account_code
from gongji.ledger.model import HoldState
from gongji.services.access import authorize, may_see
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.family import store as bindings
from gongji.services.family.store import BindingRecord
from gongji.services.people import service as people
from gongji.services.pins import service as pins
from gongji.services.regions import service as regions
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.transfers import store
from gongji.services.transfers.model import TRANSFER, Limits, SendTransfer, TransferView
from gongji.services.transfers.store import TransferRecord
from gongji.services.unit_of_work import UnitOfWork
from gongji.services.wallet import store as wallets
from gongji.services.wallet.store import WalletRecord


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
    # who may send to whom is known before the PIN: "对方地区尚未开通" costs no attempt
    app.read(lambda uow: _parties(uow, who, cmd.receiver_psn_no), principal=who)
    pins.verify(app, who.id, pin)

    def run(uow: UnitOfWork) -> TransferView:
        sender, receiver = who.id, cmd.receiver_psn_no
        # the sender's wallet row serialises this sender's transfers: the daily count and the
        # one-pending rule are read and written under it (the parties are checked again here)
        p = _parties(uow, who, receiver, lock=True)
        s_facts, r_facts, binding = p.sender, p.receiver, p.binding
        personal = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=sender))
        check_transfer(TransferAsk(
            now=uow.now, amount=cmd.amount, sender=s_facts, receiver=r_facts,
            bound=binding is not None, verified=bool(binding is not None and binding.verified),
            sent_today=store.sent_on(uow.conn, sender, uow.today),
            sent_this_year=store.sent_since(uow.conn, sender, date(uow.today.year, 1, 1)),
            pending_to_receiver=store.waiting_between(uow.conn, sender, receiver, uow.now),
            sponsor_balance=personal.balance if personal else 0,
            sender_is_beneficiary=p.sender_is_beneficiary))
        assert personal is not None and binding is not None
        quota = uow.ledger.open_account(AccountKind.WALLET_QUOTA, owner=receiver,
                                        sponsor=sender, admdvs=r_facts.insuplc_admdvs)
        deadline = accept_deadline(uow.now, s_facts.policy)
        hold = uow.ledger.hold(personal.id, quota.id, cmd.amount, deadline, code=TRANSFER,
                               memo=cmd.memo[:200], admdvs=s_facts.insuplc_admdvs)
        tid = new_id()
        store.add(uow.conn, TransferRecord(tid, sender, receiver, binding.id, hold.id,
                                           cmd.amount, uow.today, uow.now, deadline, None))
        uow.record("transfer.send", subject=tid, chain=s_facts.insuplc_admdvs,
                   detail={"to": receiver, "amount": cmd.amount})
        return replace(view(uow, tid), left_today=limits_in(uow, sender).left_today)

    return app.write(who, key=key, operation="transfer.send", request=request, fn=run,
                     result_type=TransferView)


@door
def respond(app: Gongji, who: Principal, key: Key, transfer_id: str,
            action: Literal["accept", "reject", "cancel"]) -> Written[TransferView]:
    """accept or reject (the receiver, or their proxy), cancel (the sender), before deadline."""
    def run(uow: UnitOfWork) -> TransferView:
        t = _transfer(uow, transfer_id, who)
        if action == "cancel":
            authorize(uow, who, Act.SEND_TRANSFER, t.sender_psn_no)
        else:
            authorize(uow, who, Act.ACCEPT_TRANSFER, t.receiver_psn_no)
        hold = uow.ledger.get_hold(t.hold_id, lock=True)
        if hold.state != HoldState.PENDING:
            raise GongjiError("TRANSFER_NOT_PENDING", state=STATUS_NAMES[status_of(
                hold.state.value, t.end_reason)])
        if uow.now >= hold.deadline:
            raise GongjiError("TRANSFER_EXPIRED", deadline=display(hold.deadline))
        if action == "accept":
            uow.ledger.post(hold.id, memo="accepted")
        else:
            uow.ledger.void(hold.id, memo=action)
            store.ended(uow.conn, t.id, {"reject": "rejected", "cancel": "cancelled"}[action])
        uow.record(f"transfer.{action}", subject=t.id)
        return view(uow, t.id)

    return app.write(who, key=key, operation=f"transfer.{action}",
                     request={"transfer_id": transfer_id}, fn=run, result_type=TransferView)


def return_pending(uow: UnitOfWork, sponsor: str, beneficiary: str, *, reason: str) -> int:
    """Send back every waiting transfer from sponsor to beneficiary (their binding ended)."""
    waiting = store.pending(uow.conn, sponsor, beneficiary)
    for transfer_id, hold_id, deadline in waiting:
        if uow.now >= deadline:
            uow.ledger.expire(hold_id)  # already due: what the sweeper would have done
        else:
            uow.ledger.void(hold_id, memo=reason)
            store.ended(uow.conn, transfer_id, reason)
    return len(waiting)


@door
def get(app: Gongji, who: Principal, transfer_id: str) -> TransferView:
    """One transfer, to its sender or receiver (or their proxy), and to operators."""
    def run(uow: UnitOfWork) -> TransferView:
        _transfer(uow, transfer_id, who)
        return view(uow, transfer_id)

    return app.read(run, principal=who)


@door
def list_for(app: Gongji, who: Principal, psn_no: str, *, limit: int = 50) -> list[TransferView]:
    """Transfers sent and received, newest first."""
    def run(uow: UnitOfWork) -> list[TransferView]:
        authorize(uow, who, Act.READ, psn_no)
        return views_of(uow, psn_no, limit=limit)

    return app.read(run, principal=who)


def views_of(uow: UnitOfWork, psn_no: str, *, limit: int = 50) -> list[TransferView]:
    return [view(uow, i) for i in store.ids_of(uow.conn, psn_no, limit=limit)]


@door
def limits(app: Gongji, who: Principal, psn_no: str) -> Limits:
    """What the person may still send today, and when the window closes."""
    def run(uow: UnitOfWork) -> Limits:
        authorize(uow, who, Act.READ, psn_no)
        return limits_in(uow, psn_no)

    return app.read(run, principal=who)


def limits_in(uow: UnitOfWork, psn_no: str) -> Limits:
    rules = uow.policy(people.insured_region(uow.conn, psn_no)).wallet
    sent = store.sent_on(uow.conn, psn_no, uow.today)
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
                        receiver_name_masked=mask_name(r.name), amount=t.amount,
                        status=status_of(h.state.value, t.end_reason),
                        submitted_at=t.submitted_at,
                        deadline=t.deadline, resolved_at=h.resolved_at,
                        business_date=t.business_date)


# -- internals ------------------------------------------------------------------------------

def _transfer(uow: UnitOfWork, transfer_id: str, who: Principal | None = None
              ) -> TransferRecord:
    """The transfer; with who, only if who may see it (to anyone else it does not exist)."""
    t = store.transfer(uow.conn, transfer_id)
    if t is None or (who is not None and
                     not may_see(uow, who, t.sender_psn_no, t.receiver_psn_no)):
        raise GongjiError("TRANSFER_NOT_FOUND", transfer=transfer_id)
    return t


@dataclass(frozen=True, slots=True)
class Parties:
    sender: WalletFacts
    receiver: WalletFacts
    binding: BindingRecord | None
    sender_is_beneficiary: bool


def _parties(uow: UnitOfWork, who: Principal, receiver: str, *, lock: bool = False) -> Parties:
    """The sender's and receiver's wallets and binding, checked (check_parties)."""
    sender = who.id
    authorize(uow, who, Act.SEND_TRANSFER, sender)
    people.person(uow.conn, receiver)
    s_wallet = wallets.wallet(uow.conn, sender, lock=lock)
    r_wallet = wallets.wallet(uow.conn, receiver)
    binding = bindings.active(uow.conn, sender, receiver, lock=lock)
    found = Parties(_facts(uow, sender, s_wallet, Bi("转出方", "sender")),
                    _facts(uow, receiver, r_wallet, Bi("接收方", "receiver")), binding,
                    binding is None and bool(bindings.sponsors(uow.conn, sender)))
    check_parties(found.sender, found.receiver, bound=binding is not None,
                  verified=bool(binding is not None and binding.verified),
                  sender_is_beneficiary=found.sender_is_beneficiary)
    return found


def blocked(uow: UnitOfWork, who: Principal, receiver: str | None = None
            ) -> GongjiError | None:
    """Why who cannot send to receiver now whatever the amount, or (receiver None) cannot send
    at all: their own wallet not open or their region not live. None: they can."""
    try:
        if receiver is None:
            authorize(uow, who, Act.SEND_TRANSFER, who.id)
            check_sender(_facts(uow, who.id, wallets.wallet(uow.conn, who.id),
                                Bi("转出方", "sender")))
        else:
            _parties(uow, who, receiver)
    except GongjiError as refusal:
        return refusal
    return None


def wallet_facts(uow: UnitOfWork, psn_no: str) -> WalletFacts:
    """A person's wallet, their regions and those regions' policies on the day."""
    return _facts(uow, psn_no, wallets.wallet(uow.conn, psn_no), Bi("本人", "owner"))


def _facts(uow: UnitOfWork, psn_no: str, wallet: WalletRecord | None, who: Bi) -> WalletFacts:
    home = people.insured_region(uow.conn, psn_no, who)
    is_open = wallet is not None and wallet.open
    place = wallet.place_of_use if wallet is not None and is_open else None
    return WalletFacts(psn_no=psn_no, open=is_open, place_of_use=place, insuplc_admdvs=home,
                       policy=uow.policy(home),
                       place_policy=uow.policy(place) if place else None,
                       region_name=regions.name_of(uow, home),
                       place_name=regions.name_of(uow, place) if place else None)

