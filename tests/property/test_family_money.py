"""Random family money stories against an in-memory model.

A small family (three employees with personal accounts, two residents) binds, sends wallet
transfers with right and wrong PINs, accepts, rejects and cancels them, lets time pass so the
sweeper returns what was not accepted, ends bindings and pays resident contributions. Every
call either succeeds or is refused with the code the model expects; after every step the
database's balances equal the model's, money is conserved, nothing that may not go negative
is negative, `verify` finds nothing wrong, and no quota outlives its binding.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text

from gongji.domain.certno import make_certno
from gongji.domain.clock import FixedClock, business_date, in_window, next_at, shanghai
from gongji.domain.errors import GongjiError
from gongji.ledger.kinds import KIND_RULES, AccountKind
from gongji.ledger.verify import verify
from gongji.services.contributions import service as contributions
from gongji.services.enrollment import service as enrollment
from gongji.services.family import service as family
from gongji.services.ledger.service import sweep_expired
from gongji.services.pins import service as pins
from gongji.services.runtime import Gongji
from gongji.services.transfers import service as transfers
from gongji.services.unit_of_work import Principal
from gongji.services.wallet import service as wallet
from gongji.store.db import Database
from gongji.store.tables import wallet_transfers
from gongji.testing.postgres import TempPostgres
from tests.conftest import OPERATOR, TEMPLATE

PIN = "135790"
WRONG_PIN = "246801"
START = shanghai(2026, 11, 24, 10, 0)
LATEST = shanghai(2026, 12, 31, 12, 0)
"""The clock never passes this: the 2027 resident contribution window ends on 2026-12-31."""
MAX_TRANSFER = 2000_00
DAILY_COUNT = 3
PIN_ATTEMPTS, PIN_LOCK = 5, timedelta(minutes=30)
CONTRIBUTION = 400_00
CLOSED = (time(22, 0), time(6, 0))
"""No transfers from 22:00 to 06:00 (national policy); one not accepted returns at 06:00."""
ACCEPT_BY = time(6, 0)


@dataclass(frozen=True)
class Person:
    name: str
    born_in: str
    brdy: date
    seq: int
    insutype: str
    psn_type: str
    admdvs: str
    credit: int = 0


PEOPLE = {
    "wei": Person("张伟", "510104", date(1990, 3, 7), 123, "310", "1101", "510100", 12_000_00),
    "fang": Person("张芳", "510107", date(1992, 8, 15), 246, "310", "1101", "510100", 5_000_00),
    "qiang": Person("张强", "411302", date(1988, 1, 20), 135, "310", "1101", "411300", 1_000_00),
    "jianguo": Person("张建国", "411302", date(1962, 5, 20), 111, "390", "1501", "411300"),
    "xiuying": Person("李秀英", "411302", date(1964, 11, 2), 248, "390", "1501", "411300"),
}
EMPLOYEES = [k for k, p in PEOPLE.items() if p.insutype == "310"]
RESIDENTS = [k for k, p in PEOPLE.items() if p.insutype == "390"]
ALL = list(PEOPLE)
PAIRS = [(s, b) for s in EMPLOYEES for b in ALL if s != b]
MONEY_KINDS = (AccountKind.PERSONAL.value, AccountKind.HOLD.value,
               AccountKind.WALLET_QUOTA.value)
FUND_KINDS = (AccountKind.FUND_POOL.value, AccountKind.FUND_LTC.value)
amounts = st.integers(min_value=1, max_value=3000_00)
mostly = st.sampled_from([True, True, True, True, False])
"""Mostly the right PIN, mostly a plausible relation."""
rarely = st.sampled_from([False, False, False, False, False, True])
"""Now and then a binding with oneself."""


@dataclass
class MBinding:
    id: str
    sponsor: str
    beneficiary: str
    requested_by: str
    status: str = "pending"


@dataclass
class MTransfer:
    id: str
    hold_id: str
    sender: str
    receiver: str
    amount: int
    deadline: datetime
    day: date
    key: str
    state: str = "pending"  # pending, accepted, rejected, cancelled, returned, unbound


@dataclass
class MPin:
    failed: int = 0
    locked_until: datetime | None = None


@dataclass
class Model:
    personal: dict[str, int] = field(default_factory=dict)
    quota: dict[tuple[str, str], int] = field(default_factory=dict)
    """(beneficiary, sponsor) -> quota"""
    fund: int = 0
    credited: int = 0
    bindings: list[MBinding] = field(default_factory=list)
    transfers: list[MTransfer] = field(default_factory=list)
    pins: dict[str, MPin] = field(default_factory=dict)
    paid: set[str] = field(default_factory=set)

    def held(self, sender: str) -> int:
        return sum(t.amount for t in self.transfers if t.sender == sender
                   and t.state == "pending")

    def open_binding(self, sponsor: str, beneficiary: str) -> MBinding | None:
        for b in self.bindings:
            if (b.sponsor, b.beneficiary) == (sponsor, beneficiary) and \
                    b.status in ("pending", "active"):
                return b
        return None

    def active(self, sponsor: str, beneficiary: str) -> bool:
        b = self.open_binding(sponsor, beneficiary)
        return b is not None and b.status == "active"

    def give_back(self, t: MTransfer, state: str) -> None:
        t.state = state
        self.personal[t.sender] += t.amount


def make_machine(new_db: Callable[[], tuple[Database, Callable[[], None]]]) -> type:
    class FamilyMoney(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db, self.cleanup = new_db()
            self.clock = FixedClock(START)
            self.app = Gongji(self.db, self.clock)
            self.m = Model()
            self.psn: dict[str, str] = {}
            self.who: dict[str, Principal] = {}
            self.certno = {k: make_certno(p.born_in, p.brdy, p.seq) for k, p in PEOPLE.items()}
            self.n = 0

        def key(self) -> str:
            self.n += 1
            return f"fm-{self.n}"

        def teardown(self) -> None:
            self.db.dispose()
            self.cleanup()

        def now(self) -> datetime:
            return self.clock.now()

        def refused(self, expected: str | None, fn: Callable[[], Any]) -> Any:
            """Run fn; expected None: it must succeed; else it must be refused with that code."""
            try:
                value = fn()
            except GongjiError as e:
                assert e.code == expected, f"expected {expected or 'success'}, got {e!r}"
                return None
            assert expected is None, f"expected {expected}, but the call went through"
            return value

        def pin_outcome(self, person: str, right: bool) -> str | None:
            """What checking this PIN does now, applied to the model: None or the refusal."""
            p = self.m.pins[person]
            if p.locked_until is not None and self.now() < p.locked_until:
                return "PIN_LOCKED"
            if right:
                p.failed = 0
                return None
            p.failed += 1
            if p.failed >= PIN_ATTEMPTS:
                p.failed, p.locked_until = 0, self.now() + PIN_LOCK
                return "PIN_LOCKED"
            return "PIN_WRONG"

        # -- the family ----------------------------------------------------------------------

        @initialize(bound=st.sets(st.sampled_from(PAIRS), max_size=3))
        def seed(self, bound: set[tuple[str, str]]) -> None:
            """The family, and a few of its bindings already active (sponsor, beneficiary)."""
            for k, p in PEOPLE.items():
                v = enrollment.register(self.app, OPERATOR, self.key(), enrollment.RegisterPerson(
                    self.certno[k], p.name, "13900000000")).value
                self.psn[k] = v.psn_no
                self.who[k] = Principal("person", v.psn_no)
                enrollment.enroll(self.app, OPERATOR, self.key(), enrollment.Enroll(
                    psn_no=v.psn_no, insutype=p.insutype, psn_type=p.psn_type,
                    insuplc_admdvs=p.admdvs, begndate=date(2020, 1, 1)))
                if p.insutype == "310":
                    self.m.personal[k] = 0
                    if p.credit:
                        self.do_credit(k, p.credit)
                pins.set_pin(self.app, self.who[k], self.key(), v.psn_no, PIN)
                self.m.pins[k] = MPin()
                wallet.open_wallet(self.app, self.who[k], self.key(), v.psn_no)
            for sponsor, beneficiary in sorted(bound):
                self.request_binding(sponsor, beneficiary, False, True, "accept")
                assert self.m.active(sponsor, beneficiary)

        def do_credit(self, person: str, amount: int) -> None:
            enrollment.credit(self.app, OPERATOR, self.key(),
                              enrollment.Credit(self.psn[person], amount))
            self.m.personal[person] += amount
            self.m.credited += amount

        @rule(person=st.sampled_from(EMPLOYEES), amount=amounts)
        def credit(self, person: str, amount: int) -> None:
            self.do_credit(person, amount)

        # -- bindings ------------------------------------------------------------------------

        @rule(sponsor=st.sampled_from(EMPLOYEES), i=st.integers(min_value=0, max_value=3),
              oneself=rarely, by_beneficiary=st.booleans(), plausible=mostly,
              answer=st.sampled_from(["accept", "accept", "accept", "decline", "later"]))
        def bind(self, sponsor: str, i: int, oneself: bool, by_beneficiary: bool,
                 plausible: bool, answer: str) -> None:
            beneficiary = sponsor if oneself else [p for p in ALL if p != sponsor][i]
            self.request_binding(sponsor, beneficiary, by_beneficiary, plausible, answer)

        def request_binding(self, sponsor: str, beneficiary: str, by_beneficiary: bool,
                            plausible: bool, answer: str) -> None:
            s, b = PEOPLE[sponsor], PEOPLE[beneficiary]
            if plausible:  # what the beneficiary is to the sponsor
                rel = "sibling" if b.insutype == "310" else "parent"
            else:
                rel = "child" if b.brdy < s.brdy else "parent"
            if by_beneficiary:
                requester, other = beneficiary, sponsor
                mine = {"parent": "child", "child": "parent"}.get(rel, rel)
                cmd = family.RequestBinding(self.certno[sponsor], s.name, "beneficiary", mine)
            else:
                requester, other = sponsor, beneficiary
                cmd = family.RequestBinding(self.certno[beneficiary], b.name, "sponsor", rel)
            if sponsor == beneficiary:
                expected: str | None = "BINDING_SELF"
            elif not plausible:
                expected = "RELATION_IMPLAUSIBLE"
            elif self.m.open_binding(sponsor, beneficiary) is not None:
                expected = "BINDING_EXISTS"
            else:
                expected = None
            w = self.refused(expected, lambda: family.request(
                self.app, self.who[requester], self.key(), cmd))
            if w is None:
                return
            v = w.value
            assert (v.sponsor_psn_no, v.beneficiary_psn_no, v.status, v.relation) == (
                self.psn[sponsor], self.psn[beneficiary], "pending", rel)
            mb = MBinding(v.id, sponsor, beneficiary, requester)
            self.m.bindings.append(mb)
            if answer != "later":
                self.answer(mb, other, answer == "accept")

        def answer(self, mb: MBinding, person: str, accept: bool) -> None:
            if mb.status != "pending":
                expected: str | None = "BINDING_NOT_PENDING"
            elif person == mb.requested_by:
                expected = "BINDING_CONSENT_BY_OTHER_SIDE"
            else:
                expected = None
            w = self.refused(expected, lambda: family.respond(
                self.app, self.who[person], self.key(), mb.id, accept))
            if w is not None:
                mb.status = "active" if accept else "declined"
                assert w.value.status == mb.status

        @precondition(lambda self: bool(self.m.bindings))
        @rule(i=st.integers(min_value=0), by_sponsor=st.booleans(), accept=st.booleans())
        def respond_binding(self, i: int, by_sponsor: bool, accept: bool) -> None:
            mb = self.m.bindings[i % len(self.m.bindings)]
            self.answer(mb, mb.sponsor if by_sponsor else mb.beneficiary, accept)

        @precondition(lambda self: bool(self.m.bindings))
        @rule(i=st.integers(min_value=0), by_sponsor=st.booleans())
        def end_binding(self, i: int, by_sponsor: bool) -> None:
            mb = self.m.bindings[i % len(self.m.bindings)]
            person = mb.sponsor if by_sponsor else mb.beneficiary
            expected = None if mb.status in ("pending", "active") else "BINDING_NOT_ACTIVE"
            w = self.refused(expected, lambda: family.end(
                self.app, self.who[person], self.key(), mb.id))
            if w is None:
                return
            if mb.status == "active":
                for t in self.m.transfers:
                    if (t.sender, t.receiver) == (mb.sponsor, mb.beneficiary) and \
                            t.state == "pending":
                        self.m.give_back(t, "returned" if self.now() >= t.deadline
                                         else "unbound")
                pair = (mb.beneficiary, mb.sponsor)
                if pair in self.m.quota:
                    self.m.personal[mb.sponsor] += self.m.quota[pair]
                    self.m.quota[pair] = 0
            mb.status = "ended"
            assert w.value.status == "ended" and w.value.quota == 0

        def pair(self, bound: bool, i: int, sponsor: str, beneficiary: str,
                 among: list[str]) -> tuple[str, str]:
            active = [b for b in self.m.bindings
                      if b.status == "active" and b.beneficiary in among]
            if not bound or not active:
                return sponsor, beneficiary
            b = active[i % len(active)]
            return b.sponsor, b.beneficiary

        # -- transfers -----------------------------------------------------------------------

        def expect_send(self, sender: str, receiver: str, amount: int, right: bool) -> str | None:
            # who may send to whom is said before the PIN is checked (no attempt is spent)
            if not self.m.active(sender, receiver):
                if any(b.beneficiary == sender and b.status == "active" for b in self.m.bindings):
                    return "TRANSFER_QUOTA_NOT_TRANSFERABLE"
                return "TRANSFER_NOT_BOUND"
            code = self.pin_outcome(sender, right)
            if code is not None:
                return code
            now = self.now()
            if in_window(now, *CLOSED):
                return "TRANSFER_WINDOW_CLOSED"
            if amount > MAX_TRANSFER:
                return "TRANSFER_AMOUNT_OVER_LIMIT"
            if sum(1 for t in self.m.transfers
                   if t.sender == sender and t.day == business_date(now)) >= DAILY_COUNT:
                return "TRANSFER_DAILY_LIMIT"
            if any(t.sender == sender and t.receiver == receiver and t.state == "pending"
                   and t.deadline > now for t in self.m.transfers):
                return "TRANSFER_PENDING_EXISTS"
            if self.m.personal[sender] < amount:
                return "INSUFFICIENT_FUNDS"
            return None

        @precondition(lambda self: any(b.status == "active" for b in self.m.bindings))
        @rule(i=st.integers(min_value=0), amount=amounts)
        def send_to_a_relative(self, i: int, amount: int) -> None:
            """Sending is what the family does most: a bound pair, the right PIN."""
            sender, receiver = self.pair(True, i, "", "", ALL)
            self.send(True, i, sender, receiver, amount, True)

        @rule(bound=mostly, i=st.integers(min_value=0), sender=st.sampled_from(EMPLOYEES),
              receiver=st.sampled_from(ALL), amount=amounts, right=mostly)
        def send(self, bound: bool, i: int, sender: str, receiver: str, amount: int,
                 right: bool) -> None:
            """bound: between the two sides of an active binding, if there is one."""
            sender, receiver = self.pair(bound, i, sender, receiver, ALL)
            expected = self.expect_send(sender, receiver, amount, right)
            k = self.key()
            w = self.refused(expected, lambda: transfers.send(
                self.app, self.who[sender], k,
                transfers.SendTransfer(self.psn[receiver], amount), PIN if right else WRONG_PIN))
            if w is None:
                return
            v = w.value
            assert not w.replayed and v.status == "pending" and v.amount == amount
            assert v.deadline == next_at(self.now(), ACCEPT_BY)
            hold_id = self.app.read_conn(lambda c: c.execute(
                select(wallet_transfers.c.hold_id).where(wallet_transfers.c.id == v.id)
            ).scalar_one())
            self.m.transfers.append(MTransfer(v.id, hold_id, sender, receiver, amount,
                                              v.deadline, business_date(self.now()), k))
            self.m.personal[sender] -= amount
            self.m.quota.setdefault((receiver, sender), 0)

        @rule(sender=st.sampled_from(EMPLOYEES), times=st.integers(min_value=1, max_value=6),
              then_right=st.booleans())
        def guess_pins(self, sender: str, times: int, then_right: bool) -> None:
            """Wrong PINs in a row (a lockout after five), then perhaps the right one."""
            receiver = next((b.beneficiary for b in self.m.bindings
                             if b.sponsor == sender and b.status == "active"), ALL[-1])
            for _ in range(times):
                self.send(False, 0, sender, receiver, 1_00, False)
            if then_right:
                self.send(False, 0, sender, receiver, 1_00, True)

        @precondition(lambda self: bool(self.m.transfers))
        @rule(i=st.integers(min_value=0), right=st.booleans())
        def retry_send(self, i: int, right: bool) -> None:
            """The same key again (any PIN): the stored result, nothing moves, no PIN check."""
            t = self.m.transfers[i % len(self.m.transfers)]
            w = transfers.send(self.app, self.who[t.sender], t.key,
                               transfers.SendTransfer(self.psn[t.receiver], t.amount),
                               PIN if right else WRONG_PIN)
            assert w.replayed and w.value.id == t.id

        @precondition(lambda self: bool(self.m.transfers))
        @rule(waiting=mostly, i=st.integers(min_value=0),
              action=st.sampled_from(["accept", "accept", "reject", "cancel"]))
        def respond_transfer(self, waiting: bool, i: int, action: str) -> None:
            """waiting: one still pending, if there is one; else any, refused if done."""
            pick = [t for t in self.m.transfers if t.state == "pending"]
            if not waiting or not pick:
                pick = self.m.transfers
            t = pick[i % len(pick)]
            person = t.sender if action == "cancel" else t.receiver
            if t.state != "pending":
                expected: str | None = "TRANSFER_NOT_PENDING"
            elif self.now() >= t.deadline:
                expected = "TRANSFER_EXPIRED"
            else:
                expected = None
            w = self.refused(expected, lambda: transfers.respond(
                self.app, self.who[person], self.key(), t.id, action))  # type: ignore[arg-type]
            if w is None:
                return
            if action == "accept":
                t.state = "accepted"
                self.m.quota[(t.receiver, t.sender)] += t.amount
            else:
                self.m.give_back(t, {"reject": "rejected", "cancel": "cancelled"}[action])
            assert w.value.status == t.state

        # -- time ----------------------------------------------------------------------------

        @rule(minutes=st.integers(min_value=1, max_value=12 * 60), sweep=st.booleans())
        def advance(self, minutes: int, sweep: bool) -> None:
            self.clock.set(min(self.now() + timedelta(minutes=minutes), LATEST))
            if sweep:
                self.sweep()

        @precondition(lambda self: any(t.state == "pending" for t in self.m.transfers))
        @rule(i=st.integers(min_value=0), before=st.sampled_from([0, 1]))
        def to_a_deadline(self, i: int, before: int) -> None:
            """Jump to a waiting transfer's deadline or one second before it."""
            waiting = [t for t in self.m.transfers if t.state == "pending"]
            target = waiting[i % len(waiting)].deadline - timedelta(seconds=before)
            if self.now() < target <= LATEST:
                self.clock.set(target)

        @rule()
        def sweep(self) -> None:
            got = set(sweep_expired(self.app, batch=2))
            due = [t for t in self.m.transfers
                   if t.state == "pending" and t.deadline <= self.now()]
            for t in due:
                self.m.give_back(t, "returned")
            assert got == {t.hold_id for t in due}

        # -- contributions -------------------------------------------------------------------

        @rule(bound=mostly, i=st.integers(min_value=0), payer=st.sampled_from(EMPLOYEES),
              covered=st.sampled_from(ALL), right=mostly, from_quota=st.booleans())
        def pay(self, bound: bool, i: int, payer: str, covered: str, right: bool,
                from_quota: bool) -> None:
            """bound: for a resident an employee actively sponsors, if there is one.
            from_quota: the resident pays from that sponsor's quota in their wallet."""
            payer, covered = self.pair(bound, i, payer, covered, RESIDENTS)
            if from_quota:  # the covered person spends what this sponsor shared with them
                who, source = covered, self.m.quota.get((covered, payer))
                cmd = contributions.PayContribution(self.psn[covered], "390", 2027, "quota",
                                                    self.psn[payer])
            else:
                who, source = payer, self.m.personal[payer]
                cmd = contributions.PayContribution(self.psn[covered], "390", 2027, "personal")
            # what refuses it whatever the PIN is said before the PIN is checked
            expected: str | None = None
            if PEOPLE[covered].insutype != "390":
                expected = "NOT_ENROLLED"
            elif covered in self.m.paid:
                expected = "CONTRIBUTION_ALREADY_PAID"
            elif not from_quota and not self.m.active(payer, covered):
                expected = "TRANSFER_NOT_BOUND"
            elif not from_quota and PEOPLE[payer].admdvs[:2] != PEOPLE[covered].admdvs[:2]:
                expected = "CONTRIBUTION_VIA_WALLET"  # across provinces: through the wallet
            elif source is None:
                expected = "INSUFFICIENT_FUNDS"  # no quota from this sponsor at all
            else:
                expected = self.pin_outcome(who, right)
                if expected is None and source < CONTRIBUTION:
                    expected = "INSUFFICIENT_FUNDS"
            w = self.refused(expected, lambda: contributions.pay(
                self.app, self.who[who], self.key(), cmd, PIN if right else WRONG_PIN))
            if w is None:
                return
            assert w.value.amount == CONTRIBUTION and w.value.admdvs == PEOPLE[covered].admdvs
            self.m.paid.add(covered)
            self.m.fund += CONTRIBUTION
            if from_quota:
                self.m.quota[(covered, payer)] -= CONTRIBUTION
            else:
                self.m.personal[payer] -= CONTRIBUTION

        # -- invariants ----------------------------------------------------------------------

        def rows(self, sql: str, **params: Any) -> list[Any]:
            with self.db.read() as conn:
                return list(conn.execute(text(sql), params))

        @invariant()
        def money_is_conserved(self) -> None:
            if not self.psn:
                return
            owners = ", ".join(f"'{p}'" for p in self.psn.values())
            kinds = ", ".join(f"'{k}'" for k in MONEY_KINDS)
            funds = ", ".join(f"'{k}'" for k in FUND_KINDS)
            [(family_total, fund_total)] = self.rows(
                f"SELECT COALESCE(SUM(CASE WHEN kind IN ({kinds}) AND owner IN ({owners}) "
                f"THEN balance ELSE 0 END), 0), "
                f"COALESCE(SUM(CASE WHEN kind IN ({funds}) THEN balance ELSE 0 END), 0) "
                f"FROM accounts")
            assert family_total + fund_total == self.m.credited, (family_total, fund_total)
            assert fund_total == self.m.fund

        @invariant()
        def balances_match_the_model(self) -> None:
            if not self.psn:
                return
            name = {v: k for k, v in self.psn.items()}
            got_personal: dict[str, int] = {}
            got_quota: dict[tuple[str, str], int] = {}
            got_held: dict[str, int] = {}
            for kind, owner, sponsor, balance in self.rows(
                    "SELECT kind, owner, sponsor, balance FROM accounts "
                    "WHERE kind IN ('PERSONAL', 'HOLD', 'WALLET_QUOTA')"):
                if kind == "PERSONAL":
                    got_personal[name[owner]] = int(balance)
                elif kind == "HOLD":
                    got_held[name[owner]] = int(balance)
                else:
                    got_quota[(name[owner], name[sponsor])] = int(balance)
            assert got_personal == self.m.personal
            assert got_quota == self.m.quota
            assert {k: v for k, v in got_held.items() if v} == {
                p: self.m.held(p) for p in EMPLOYEES if self.m.held(p)}

        @invariant()
        def states_match_the_model(self) -> None:
            got = dict(self.rows("SELECT id, status FROM bindings"))
            assert got == {b.id: b.status for b in self.m.bindings}
            for t in self.m.transfers:
                assert transfers.get(self.app, OPERATOR, t.id).status == t.state, t

        @invariant()
        def what_people_see_matches_the_model(self) -> None:
            """Each wallet's own balance and quotas, and what is left to send today."""
            for k in self.psn:
                v = wallet.get(self.app, self.who[k], self.psn[k])
                assert v.status == "open" and v.personal_account == self.m.personal.get(k)
                quotas = {(k, s): q for (b, s), q in self.m.quota.items() if b == k}
                assert v.quota_total == sum(quotas.values())
                for q in v.quotas:
                    sponsor = next(s for s in self.psn if self.psn[s] == q.sponsor_psn_no)
                    assert q.balance == quotas[(k, sponsor)]
                    assert (q.relation is not None) == self.m.active(sponsor, k)
            for k in EMPLOYEES:
                sent = sum(1 for t in self.m.transfers
                           if t.sender == k and t.day == business_date(self.now()))
                assert transfers.limits(self.app, self.who[k], self.psn[k]).sent_today == sent

        @invariant()
        def nothing_negative(self) -> None:
            bad = self.rows("SELECT code, balance FROM accounts "
                            "WHERE no_negative = :t AND balance < 0", t=True)
            assert not bad, bad
            for kind, no_negative in self.rows("SELECT DISTINCT kind, no_negative FROM accounts"):
                assert bool(no_negative) == KIND_RULES[AccountKind(kind)].no_negative

        @invariant()
        def verify_finds_nothing(self) -> None:
            with self.db.read() as conn:
                report = verify(conn)
            assert report.ok, report.violations

        @invariant()
        def no_quota_without_its_binding(self) -> None:
            """Quota from a sponsor is held only under an active binding with them: once it
            ends (and until the pair binds again) the quota account holds 0. Read straight
            from the tables, not from the model."""
            stray = self.rows(
                "SELECT a.owner, a.sponsor, a.balance FROM accounts a "
                "WHERE a.kind = 'WALLET_QUOTA' AND a.balance <> 0 AND NOT EXISTS ("
                "  SELECT 1 FROM bindings b WHERE b.sponsor_psn_no = a.sponsor"
                "  AND b.beneficiary_psn_no = a.owner AND b.status = 'active')")
            assert not stray, stray

    return FamilyMoney


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_family_money(kind: str, request: pytest.FixtureRequest, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    # the cheapest argon2 profile: PIN checks are what most steps do, and their cost (not
    # their logic) is all that changes; shrinking a failure stays within minutes
    monkeypatch.setattr(pins, "HASHER", PasswordHasher(time_cost=1, memory_cost=8,
                                                       parallelism=1))
    if kind == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")

        def new_db() -> tuple[Database, Callable[[], None]]:
            path = tmp_path / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(template, path)
            return Database(f"sqlite:///{path}"), lambda: path.unlink()

        examples, steps = 25, 30
    else:
        pg: TempPostgres = request.getfixturevalue("pg")

        def new_db() -> tuple[Database, Callable[[], None]]:
            name = "fm_" + uuid.uuid4().hex[:12]
            url = pg.create_database(name, template=TEMPLATE)
            return Database(url), lambda: pg.drop_database(name)

        examples, steps = 8, 30
    run_state_machine_as_test(make_machine(new_db), settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None,
        # no explain phase: tracing every line of every rerun makes a failure take minutes
        phases=[p for p in Phase if p is not Phase.explain],
        suppress_health_check=[HealthCheck.too_slow]))
