"""Random sequences of ledger operations against an in-memory model.

After every step the database's balances equal the model's and every invariant `verify`
checks holds. Operations: transfers, holds, posts, voids, clock moves and sweeps (expiry),
reversals, and retries of earlier calls with the same key (same body: replay; different
body: conflict), each refused call checked to have written nothing.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import insert

from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.errors import GongjiError
from gongji.ledger.verify import verify
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import UnitOfWork
from gongji.store.db import Database
from gongji.store.tables import bindings, persons
from gongji.testing.postgres import TempPostgres
from tests import journal as svc
from tests.conftest import OPERATOR, TEMPLATE, table_counts

PEOPLE = ["A", "B", "C"]


def _bind_a_to_b(uow: UnitOfWork) -> None:
    """A and B as persons, A sponsoring B: what a wallet quota of B's from A stands on (verify
    holds quota to an active binding)."""
    for n, psn_no in enumerate(("A", "B")):
        uow.conn.execute(insert(persons).values(
            admdvs="000000", psn_no=psn_no, certno=f"11010119900101{n:04d}", name=psn_no,
            gend="1",
            brdy=date(1990, 1, 1), created_at=uow.now))
    uow.conn.execute(insert(bindings).values(
        admdvs="000000", id="binding-a-b", sponsor_psn_no="A", beneficiary_psn_no="B",
        relation="parent",
        requested_by="A", status="active", verified=False, requested_at=uow.now,
        activated_at=uow.now))
amounts = st.integers(min_value=1, max_value=3000_00)


@dataclass
class ModelHold:
    id: str
    src: str
    dst: str
    amount: int
    deadline: Any
    state: str = "pending"


@dataclass
class Call:
    key: str
    run: Callable[[str], Any]
    changed: Callable[[str], Any]
    result: Any


@dataclass
class Model:
    balances: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)  # source account id -> on hold
    no_negative: set[str] = field(default_factory=set)

    def move(self, src: str, dst: str, amount: int) -> None:
        self.balances[src] -= amount
        self.balances[dst] = self.balances.get(dst, 0) + amount

    def can_take(self, acc: str, amount: int) -> bool:
        return acc not in self.no_negative or self.balances[acc] >= amount


def make_machine(new_db: Callable[[], tuple[Database, Callable[[], None]]]) -> type:
    class LedgerMachine(RuleBasedStateMachine):
        holds = Bundle("holds")
        transfers = Bundle("transfers")

        def __init__(self) -> None:
            super().__init__()
            self.db, self.cleanup = new_db()
            self.clock = FixedClock(shanghai(2026, 11, 24, 10))
            self.app = Gongji(self.db, self.clock)
            self.model = Model()
            self.calls: list[Call] = []
            self.acc: dict[str, str] = {}
            self.all_holds: list[ModelHold] = []
            self.n = 0

        def key(self) -> str:
            self.n += 1
            return f"key-{self.n}"

        def teardown(self) -> None:
            self.db.dispose()
            self.cleanup()

        @initialize()
        def setup(self) -> None:
            def open_(kind: str, owner: str, **kw: str) -> str:
                a = svc.open_account(self.app, OPERATOR, self.key(),
                                     svc.OpenAccount(kind, owner=owner, **kw)).value
                self.model.balances[a.id] = 0
                if a.no_negative:
                    self.model.no_negative.add(a.id)
                return a.id

            self.acc["cash"] = open_("CASH", "000000")
            for p in PEOPLE:
                self.acc[p] = open_("PERSONAL", p)
            self.acc["quota"] = open_("WALLET_QUOTA", "B", sponsor="A")
            self.app.transact(OPERATOR, _bind_a_to_b)  # quota is held under a binding
            for p in PEOPLE:
                self.app_transfer("cash", p, 5000_00)

        def app_transfer(self, src: str, dst: str, amount: int) -> Any:
            k = self.key()
            cmd = svc.Transfer(self.acc[src], self.acc[dst], amount)
            e = svc.transfer(self.app, OPERATOR, k, cmd).value
            self.model.move(self.acc[src], self.acc[dst], amount)
            self.calls.append(Call(
                k, lambda key, c=cmd: svc.transfer(self.app, OPERATOR, key, c),
                lambda key, c=cmd: svc.transfer(self.app, OPERATOR, key,
                                                svc.Transfer(c.debit_account_id,
                                                             c.credit_account_id,
                                                             c.amount + 1)), e))
            return e

        def expect_refusal(self, code: str, fn: Callable[[], Any]) -> None:
            before = table_counts(self.db)
            try:
                fn()
            except GongjiError as e:
                assert e.code == code, e
            else:
                raise AssertionError(f"expected {code}")
            assert table_counts(self.db) == before

        # -- rules ---------------------------------------------------------------------------

        @rule(target=transfers, src=st.sampled_from(["cash", *PEOPLE, "quota"]),
              dst=st.sampled_from(["cash", *PEOPLE, "quota"]), amount=amounts)
        def transfer(self, src: str, dst: str, amount: int) -> Any:
            if src == dst:
                self.expect_refusal("ENTRY_SAME_ACCOUNT", lambda: svc.transfer(
                    self.app, OPERATOR, self.key(),
                    svc.Transfer(self.acc[src], self.acc[dst], amount)))
                return None
            if not self.model.can_take(self.acc[src], amount):
                self.expect_refusal("INSUFFICIENT_FUNDS", lambda: svc.transfer(
                    self.app, OPERATOR, self.key(),
                    svc.Transfer(self.acc[src], self.acc[dst], amount)))
                return None
            e = self.app_transfer(src, dst, amount)
            return e

        @rule(target=holds, src=st.sampled_from(PEOPLE), amount=amounts,
              minutes=st.integers(min_value=1, max_value=600))
        def hold(self, src: str, amount: int, minutes: int) -> Any:
            s, d = self.acc[src], self.acc["quota"]
            deadline = self.clock.now() + timedelta(minutes=minutes)
            cmd = svc.CreateHold(s, d, amount, deadline)
            if not self.model.can_take(s, amount):
                self.expect_refusal("INSUFFICIENT_FUNDS", lambda: svc.create_hold(
                    self.app, OPERATOR, self.key(), cmd))
                return None
            k = self.key()
            h = svc.create_hold(self.app, OPERATOR, k, cmd).value
            self.model.balances[s] -= amount
            self.model.held[s] = self.model.held.get(s, 0) + amount
            self.calls.append(Call(
                k, lambda key: svc.create_hold(self.app, OPERATOR, key, cmd),
                lambda key: svc.create_hold(self.app, OPERATOR, key, svc.CreateHold(
                    s, d, amount, deadline + timedelta(seconds=1))), h))
            self.all_holds.append(ModelHold(h.id, s, d, amount, deadline))
            return self.all_holds[-1]

        def resolve(self, h: ModelHold | None, action: str) -> None:
            if h is None:
                return
            cmd = svc.ResolveHold(h.id, action)  # type: ignore[arg-type]
            if h.state != "pending":
                self.expect_refusal("HOLD_NOT_PENDING", lambda: svc.resolve_hold(
                    self.app, OPERATOR, self.key(), cmd))
            elif self.clock.now() >= h.deadline:
                self.expect_refusal("HOLD_EXPIRED", lambda: svc.resolve_hold(
                    self.app, OPERATOR, self.key(), cmd))
            else:
                svc.resolve_hold(self.app, OPERATOR, self.key(), cmd)
                self.model.held[h.src] -= h.amount
                target = h.dst if action == "post" else h.src
                self.model.balances[target] += h.amount
                h.state = "posted" if action == "post" else "voided"

        @rule(h=holds)
        def post(self, h: ModelHold | None) -> None:
            self.resolve(h, "post")

        @rule(h=holds)
        def void(self, h: ModelHold | None) -> None:
            self.resolve(h, "void")

        @rule(minutes=st.integers(min_value=1, max_value=400))
        def advance(self, minutes: int) -> None:
            self.clock.advance(timedelta(minutes=minutes))

        @precondition(lambda self: any(h.state == "pending" for h in self.all_holds))
        @rule(i=st.integers(min_value=0), before=st.sampled_from([0, 1]))
        def to_a_deadline(self, i: int, before: int) -> None:
            """Jump to a pending hold's deadline or one second before it, and sweep there."""
            pending = [h for h in self.all_holds if h.state == "pending"]
            target = pending[i % len(pending)].deadline - timedelta(seconds=before)
            if target > self.clock.now():
                self.clock.set(target)
            self.sweep()

        @rule()
        def sweep(self) -> None:
            expired = set(svc.sweep_expired(self.app, batch=2))
            expected = set()
            for h in self.all_holds:
                if h.state == "pending" and h.deadline <= self.clock.now():
                    expected.add(h.id)
                    h.state = "expired"
                    self.model.held[h.src] -= h.amount
                    self.model.balances[h.src] += h.amount
            assert expired == expected

        @rule(e=consumes(transfers))
        def reverse(self, e: Any) -> None:
            if e is None:
                return
            legs = [(p.account_id, -p.amount) for p in e.postings]
            if any(self.model.balances[a] + d < 0 for a, d in legs
                   if a in self.model.no_negative):
                self.expect_refusal("INSUFFICIENT_FUNDS", lambda: svc.reverse(
                    self.app, OPERATOR, self.key(), svc.Reverse(e.id)))
                return
            svc.reverse(self.app, OPERATOR, self.key(), svc.Reverse(e.id))
            for a, d in legs:
                self.model.balances[a] += d
            self.expect_refusal("ENTRY_ALREADY_REVERSED", lambda: svc.reverse(
                self.app, OPERATOR, self.key(), svc.Reverse(e.id)))

        @precondition(lambda self: bool(self.calls))
        @rule(i=st.integers(min_value=0), same=st.booleans())
        def retry(self, i: int, same: bool) -> None:
            call = self.calls[i % len(self.calls)]
            if same:
                before = table_counts(self.db)
                w = call.run(call.key)
                assert w.replayed and w.value == call.result
                assert table_counts(self.db) == before
            else:
                self.expect_refusal("IDEMPOTENCY_CONFLICT", lambda: call.changed(call.key))

        # -- invariants ----------------------------------------------------------------------

        @invariant()
        def balances_match_the_model(self) -> None:
            if not self.acc:
                return
            got = self.app.read(lambda uow: {a: uow.ledger.account(a).balance
                                             for a in self.model.balances})
            assert got == self.model.balances
            for src, amount in self.model.held.items():
                hold_acc = self.app.read(lambda uow, s=src: uow.ledger.account_by_code(
                    f"HOLD/{s}"))
                assert hold_acc is not None and hold_acc.balance == amount

        @invariant()
        def every_invariant_holds(self) -> None:
            with self.db.read() as conn:
                report = verify(conn)
            assert report.ok, report.violations

    return LedgerMachine


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_ledger_matches_model(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if kind == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")

        def new_db() -> tuple[Database, Callable[[], None]]:
            path = tmp_path / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(template, path)
            return Database(f"sqlite:///{path}"), lambda: path.unlink()

        examples, steps = 60, 30
    else:
        pg: TempPostgres = request.getfixturevalue("pg")

        def new_db() -> tuple[Database, Callable[[], None]]:
            name = "sm_" + uuid.uuid4().hex[:12]
            url = pg.create_database(name, template=TEMPLATE)
            return Database(url), lambda: pg.drop_database(name)

        examples, steps = 25, 25
    run_state_machine_as_test(make_machine(new_db), settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))
