"""Ledger semantics on SQLite and PostgreSQL: the journal's verbs under a client key
(tests/journal.py) on persons' accounts, and the operator doors' refusals of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gongji.domain.clock import FixedClock
from gongji.domain.errors import GongjiError
from gongji.ledger.kinds import AccountKind
from gongji.ledger.model import Account, EntryKind, HoldState
from gongji.services.ledger import service as doors
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import Principal
from gongji.store.db import Database
from tests import journal as svc
from tests.conftest import OPERATOR, refused, table_counts

OTHER = Principal("operator", "someone-else", "admin")


class Keys:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"k{self.n}"


@pytest.fixture
def key() -> Keys:
    return Keys()


def open_(app: Gongji, key: Keys, kind: str, owner: str, **kw: str) -> Account:
    return svc.open_account(app, OPERATOR, key(),
                            svc.OpenAccount(kind, owner=owner, admdvs="510100", **kw)).value


@pytest.fixture
def accts(app: Gongji, key: Keys) -> dict[str, Account]:
    cash = open_(app, key, "CASH", "510100")
    a = open_(app, key, "PERSONAL", "P_A")
    b = open_(app, key, "PERSONAL", "P_B")
    q = open_(app, key, "WALLET_QUOTA", "P_B", sponsor="P_A")
    svc.transfer(app, OPERATOR, key(), svc.Transfer(cash.id, a.id, 10_000_00))
    return {"cash": cash, "a": a, "b": b, "quota": q}


def balance(app: Gongji, account: Account) -> int:
    return app.read(lambda uow: uow.ledger.account(account.id).balance)




# -- accounts ------------------------------------------------------------------------------

def test_open_account_is_get_or_create(app: Gongji, key: Keys) -> None:
    a1 = open_(app, key, "PERSONAL", "P1")
    a2 = open_(app, key, "PERSONAL", "P1")
    assert a1.id == a2.id and a1.code == "PERSONAL/P1" and a1.no_negative
    q = open_(app, key, "WALLET_QUOTA", "P2", sponsor="P1")
    assert q.code == "WALLET_QUOTA/P2/P1" and q.kind == AccountKind.WALLET_QUOTA
    assert not open_(app, key, "FUND_POOL", "510100").no_negative


def test_open_account_refuses_bad_kinds(app: Gongji, database: Database, key: Keys) -> None:
    refused(database, "ACCOUNT_KIND_INVALID", lambda: doors.open_account(
        app, OPERATOR, key(), doors.OpenAccount("BANK", owner="x")))
    refused(database, "ACCOUNT_KIND_INVALID", lambda: doors.open_account(
        app, OPERATOR, key(), doors.OpenAccount("HOLD", owner="x")))
    refused(database, "ACCOUNT_OWNER_REQUIRED", lambda: doors.open_account(
        app, OPERATOR, key(), doors.OpenAccount("CASH")))
    refused(database, "ACCOUNT_OWNER_REQUIRED", lambda: svc.open_account(
        app, OPERATOR, key(), svc.OpenAccount("WALLET_QUOTA", owner="x")))


# -- the operator doors keep to the operators' own money -------------------------------------

def test_operator_doors_refuse_a_persons_accounts(app: Gongji, database: Database,
                                                  accts: dict[str, Account], key: Keys,
                                                  clock: FixedClock) -> None:
    a, q, cash = accts["a"], accts["quota"], accts["cash"]
    held = make_hold(app, accts, key, clock)
    later = clock.now() + timedelta(hours=1)
    for kind, owner in (("PERSONAL", "P_A"), ("WALLET_QUOTA", "P_B")):
        refused(database, "LEDGER_PERSON_ACCOUNT", lambda k=kind, o=owner: doors.open_account(
            app, OPERATOR, key(), doors.OpenAccount(k, owner=o, sponsor="P_A")))
    for mine in (a.id, q.id, held.hold_account_id):
        for debit, credit in ((mine, cash.id), (cash.id, mine)):
            err = refused(database, "LEDGER_PERSON_ACCOUNT", lambda d=debit, c=credit:
                          doors.transfer(app, OPERATOR, key(), doors.Transfer(d, c, 1)))
            assert err.params["account"] in (a.code, q.code, f"HOLD/{a.id}")
            refused(database, "LEDGER_PERSON_ACCOUNT", lambda d=debit, c=credit:
                    doors.create_hold(app, OPERATOR, key(), doors.CreateHold(d, c, 1, later)))
    for action in ("post", "void"):  # a hold of a person's money made before this rule
        refused(database, "LEDGER_PERSON_ACCOUNT", lambda x=action: doors.resolve_hold(
            app, OPERATOR, key(), doors.ResolveHold(held.id, x)))  # type: ignore[arg-type]
    adjust = svc.transfer(app, OPERATOR, key(), svc.Transfer(a.id, accts["b"].id, 1)).value
    refused(database, "LEDGER_PERSON_ACCOUNT", lambda: doors.reverse(
        app, OPERATOR, key(), doors.Reverse(adjust.id)))


def test_operator_doors_leave_a_business_records_entries_to_it(
        app: Gongji, database: Database, accts: dict[str, Account], key: Keys,
        clock: FixedClock) -> None:
    cash, pool = accts["cash"], open_(app, key, "FUND_POOL", "510100")
    inst = open_(app, key, "INSTITUTION", "H51010000001")
    sold = app.transact(OPERATOR, lambda uow: uow.ledger.transfer(
        pool.id, inst.id, 5_00, code="settlement", ext_ref="S1"))
    err = refused(database, "ENTRY_OWNED", lambda: doors.reverse(
        app, OPERATOR, key(), doors.Reverse(sold.id)))
    assert err.params == {"entry": sold.id, "code": "settlement"}
    theirs = app.transact(OPERATOR, lambda uow: uow.ledger.hold(
        inst.id, cash.id, 1_00, clock.now() + timedelta(hours=1), code="wallet.transfer"))
    refused(database, "HOLD_OWNED", lambda: doors.resolve_hold(
        app, OPERATOR, key(), doors.ResolveHold(theirs.id, "void")))
    # the operators' own adjustments between system accounts still work, and undo
    e = doors.transfer(app, OPERATOR, key(), doors.Transfer(cash.id, pool.id, 9_00)).value
    assert doors.reverse(app, OPERATOR, key(), doors.Reverse(e.id)).value.ref_entry_id == e.id
    h = doors.create_hold(app, OPERATOR, key(), doors.CreateHold(
        pool.id, inst.id, 3_00, clock.now() + timedelta(hours=1))).value
    assert doors.resolve_hold(app, OPERATOR, key(), doors.ResolveHold(
        h.id, "post")).value.hold.state == HoldState.POSTED
    refused(database, "ACCOUNT_KIND_INVALID", lambda: doors.transfer(
        app, OPERATOR, key(), doors.Transfer(h.hold_account_id, cash.id, 1)))


# -- transfers -----------------------------------------------------------------------------

def test_transfer_moves_money_and_journals_it(app: Gongji, accts: dict[str, Account],
                                              key: Keys) -> None:
    e = svc.transfer(app, OPERATOR, key(), svc.Transfer(accts["a"].id, accts["b"].id, 2000_00,
                                                        memo="m")).value
    assert e.kind == EntryKind.TRANSFER and e.code == svc.ADJUST
    assert [(p.account_id, p.amount) for p in e.postings] == \
        [(accts["a"].id, -2000_00), (accts["b"].id, 2000_00)]
    assert balance(app, accts["a"]) == 8000_00
    assert balance(app, accts["b"]) == 2000_00
    assert e.actor == OPERATOR.scope
    assert app.read(lambda uow: uow.ledger.entry(e.id)) == e


def test_person_balance_to_the_fen(app: Gongji, database: Database,
                                   accts: dict[str, Account], key: Keys) -> None:
    a, b = accts["a"], accts["b"]
    svc.transfer(app, OPERATOR, key(), svc.Transfer(a.id, b.id, 9999_99))
    assert balance(app, a) == 1
    err = refused(database, "INSUFFICIENT_FUNDS", lambda: svc.transfer(
        app, OPERATOR, key(), svc.Transfer(a.id, b.id, 2)))
    assert err.params["available"] == "0.01" and err.params["required"] == "0.02"
    svc.transfer(app, OPERATOR, key(), svc.Transfer(a.id, b.id, 1))
    assert balance(app, a) == 0


def test_system_accounts_may_go_negative(app: Gongji, accts: dict[str, Account]) -> None:
    assert balance(app, accts["cash"]) == -10_000_00


def test_transfer_refusals_write_nothing(app: Gongji, database: Database,
                                        accts: dict[str, Account], key: Keys) -> None:
    a, b = accts["a"], accts["b"]
    refused(database, "ENTRY_SAME_ACCOUNT",
            lambda: svc.transfer(app, OPERATOR, key(), svc.Transfer(a.id, a.id, 1)))
    refused(database, "ACCOUNT_NOT_FOUND",
            lambda: svc.transfer(app, OPERATOR, key(), svc.Transfer(a.id, "nope", 1)))
    refused(database, "ACCOUNT_NOT_FOUND",
            lambda: svc.transfer(app, OPERATOR, key(), svc.Transfer("nope", a.id, 1)))
    refused(database, "MONEY_ZERO",
            lambda: svc.transfer(app, OPERATOR, key(), svc.Transfer(a.id, b.id, 0)))
    refused(database, "MONEY_NEGATIVE",
            lambda: svc.transfer(app, OPERATOR, key(), svc.Transfer(a.id, b.id, -5)))
    refused(database, "MONEY_OVERFLOW",
            lambda: svc.transfer(app, OPERATOR, key(), svc.Transfer(a.id, b.id, 10**13 + 1)))
    refused(database, "IDEMPOTENCY_KEY_MISSING",
            lambda: svc.transfer(app, OPERATOR, None, svc.Transfer(a.id, b.id, 1)))


def test_multi_leg_entry_must_balance(app: Gongji, database: Database,
                                      accts: dict[str, Account]) -> None:
    a, b, q = accts["a"], accts["b"], accts["quota"]

    def record(legs):  # type: ignore[no-untyped-def]
        return app.transact(OPERATOR, lambda uow: uow.ledger.record(legs, code="test"))

    e = record([(a.id, -300), (b.id, 100), (q.id, 200)])
    assert sum(p.amount for p in e.postings) == 0
    refused(database, "ENTRY_UNBALANCED", lambda: record([(a.id, -300), (b.id, 100)]))
    refused(database, "ENTRY_TOO_FEW_POSTINGS", lambda: record([(a.id, 0)]))
    refused(database, "ENTRY_DUPLICATE_ACCOUNT",
            lambda: record([(a.id, -1), (a.id, 2), (b.id, -1)]))
    refused(database, "MONEY_INVALID", lambda: record([(a.id, -1.0), (b.id, 1.0)]))
    refused(database, "ENTRY_TOO_MANY_POSTINGS",
            lambda: record([(f"x{i}", 1 if i % 2 else -1) for i in range(66)]))


def test_closed_account_takes_no_postings(app: Gongji, database: Database,
                                          accts: dict[str, Account], key: Keys) -> None:
    b = accts["b"]
    app.transact(OPERATOR, lambda uow: uow.ledger.close_account(b.id))
    refused(database, "ACCOUNT_CLOSED", lambda: svc.transfer(
        app, OPERATOR, key(), svc.Transfer(accts["a"].id, b.id, 1)))


# -- idempotency ---------------------------------------------------------------------------

def test_retry_with_same_key_returns_the_first_result(app: Gongji, database: Database,
                                                      accts: dict[str, Account]) -> None:
    cmd = svc.Transfer(accts["a"].id, accts["b"].id, 500_00, memo="rent")
    first = svc.transfer(app, OPERATOR, "pay-1", cmd)
    counts = table_counts(database)
    again = svc.transfer(app, OPERATOR, "pay-1", cmd)
    assert not first.replayed and again.replayed
    assert again.value == first.value
    assert table_counts(database) == counts
    assert balance(app, accts["a"]) == 9500_00


def test_same_key_different_request_names_the_difference(
        app: Gongji, database: Database, accts: dict[str, Account]) -> None:
    svc.transfer(app, OPERATOR, "pay-1", svc.Transfer(accts["a"].id, accts["b"].id, 500_00))
    err = refused(database, "IDEMPOTENCY_CONFLICT", lambda: svc.transfer(
        app, OPERATOR, "pay-1", svc.Transfer(accts["a"].id, accts["b"].id, 500_01, memo="x")))
    assert err.params["differing"] == ["amount", "memo"]
    # the differing fields named in the reader's language
    assert "金额" in err.message and "备注" in err.message and "amount" in err.message_en
    err = refused(database, "IDEMPOTENCY_CONFLICT", lambda: svc.reverse(
        app, OPERATOR, "pay-1", svc.Reverse("whatever")))
    assert err.params["differing"] == ["operation"]


def test_keys_are_scoped_per_caller(app: Gongji, accts: dict[str, Account]) -> None:
    cmd = svc.Transfer(accts["a"].id, accts["b"].id, 1_00)
    assert not svc.transfer(app, OPERATOR, "same", cmd).replayed
    assert not svc.transfer(app, OTHER, "same", cmd).replayed
    assert balance(app, accts["b"]) == 2_00


def test_a_refused_request_does_not_consume_its_key(app: Gongji,
                                                    accts: dict[str, Account]) -> None:
    cmd = svc.Transfer(accts["b"].id, accts["a"].id, 1_00)
    with pytest.raises(GongjiError):
        svc.transfer(app, OPERATOR, "retry-me", cmd)
    svc.transfer(app, OPERATOR, "fund-b", svc.Transfer(accts["a"].id, accts["b"].id, 1_00))
    assert not svc.transfer(app, OPERATOR, "retry-me", cmd).replayed


# -- holds ---------------------------------------------------------------------------------

def make_hold(app: Gongji, accts: dict[str, Account], key: Keys, clock: FixedClock,
              amount: int = 2000_00, hours: int = 20):  # type: ignore[no-untyped-def]
    return svc.create_hold(app, OPERATOR, key(), svc.CreateHold(
        accts["a"].id, accts["quota"].id, amount, clock.now() + timedelta(hours=hours))).value


def test_hold_moves_money_out_of_reach_until_posted(app: Gongji, accts: dict[str, Account],
                                                    key: Keys, clock: FixedClock) -> None:
    h = make_hold(app, accts, key, clock)
    assert h.state == HoldState.PENDING
    assert balance(app, accts["a"]) == 8000_00
    held = app.read(lambda uow: uow.ledger.account(h.hold_account_id))
    assert held.kind == AccountKind.HOLD and held.parent_id == accts["a"].id
    assert held.balance == 2000_00
    clock.advance(timedelta(hours=20) - timedelta(seconds=1))  # 1 s before the deadline
    r = svc.resolve_hold(app, OPERATOR, key(), svc.ResolveHold(h.id, "post")).value
    assert r.hold.state == HoldState.POSTED and r.entry.kind == EntryKind.POST
    assert r.entry.ref_entry_id == h.entry_id
    assert balance(app, accts["quota"]) == 2000_00
    assert app.read(lambda uow: uow.ledger.account(h.hold_account_id)).balance == 0


def test_hold_cannot_be_posted_at_its_deadline(app: Gongji, database: Database,
                                               accts: dict[str, Account], key: Keys,
                                               clock: FixedClock) -> None:
    h = make_hold(app, accts, key, clock)
    clock.set(h.deadline)
    refused(database, "HOLD_EXPIRED", lambda: svc.resolve_hold(
        app, OPERATOR, key(), svc.ResolveHold(h.id, "post")))
    refused(database, "HOLD_EXPIRED", lambda: svc.resolve_hold(
        app, OPERATOR, key(), svc.ResolveHold(h.id, "void")))


def test_void_returns_to_source(app: Gongji, database: Database, accts: dict[str, Account],
                                key: Keys, clock: FixedClock) -> None:
    h = make_hold(app, accts, key, clock)
    r = svc.resolve_hold(app, OPERATOR, key(), svc.ResolveHold(h.id, "void")).value
    assert r.hold.state == HoldState.VOIDED and r.entry.kind == EntryKind.VOID
    assert balance(app, accts["a"]) == 10_000_00
    err = refused(database, "HOLD_NOT_PENDING", lambda: svc.resolve_hold(
        app, OPERATOR, key(), svc.ResolveHold(h.id, "post")))
    assert "已撤销" in err.message and "voided" in err.message_en


def test_expiry_happens_exactly_once_at_the_deadline(app: Gongji, database: Database,
                                                     accts: dict[str, Account], key: Keys,
                                                     clock: FixedClock) -> None:
    h = make_hold(app, accts, key, clock)
    clock.set(h.deadline - timedelta(seconds=1))
    assert svc.sweep_expired(app) == []
    refused(database, "HOLD_NOT_DUE",
            lambda: app.transact(OPERATOR, lambda uow: uow.ledger.expire(h.id)))
    clock.set(h.deadline)
    assert svc.sweep_expired(app) == [h.id]
    assert svc.sweep_expired(app) == []
    after = app.read(lambda uow: uow.ledger.get_hold(h.id))
    assert after.state == HoldState.EXPIRED and after.resolved_at == h.deadline
    assert balance(app, accts["a"]) == 10_000_00
    refused(database, "HOLD_NOT_PENDING",
            lambda: app.transact(OPERATOR, lambda uow: uow.ledger.expire(h.id)))
    refused(database, "HOLD_NOT_PENDING", lambda: svc.resolve_hold(
        app, OPERATOR, key(), svc.ResolveHold(h.id, "post")))


def test_sweep_handles_a_backlog_in_batches(app: Gongji, accts: dict[str, Account],
                                           key: Keys, clock: FixedClock) -> None:
    holds = [make_hold(app, accts, key, clock, amount=1_00, hours=1) for _ in range(7)]
    clock.advance(timedelta(hours=2))
    assert sorted(svc.sweep_expired(app, batch=3)) == sorted(h.id for h in holds)


def test_hold_refusals(app: Gongji, database: Database, accts: dict[str, Account], key: Keys,
                       clock: FixedClock) -> None:
    a, q = accts["a"], accts["quota"]
    refused(database, "HOLD_DEADLINE_PAST", lambda: svc.create_hold(
        app, OPERATOR, key(), svc.CreateHold(a.id, q.id, 1, clock.now())))
    refused(database, "INSUFFICIENT_FUNDS", lambda: svc.create_hold(
        app, OPERATOR, key(), svc.CreateHold(a.id, q.id, 10_000_01,
                                             clock.now() + timedelta(hours=1))))
    refused(database, "ACCOUNT_NOT_FOUND", lambda: svc.create_hold(
        app, OPERATOR, key(), svc.CreateHold(a.id, "nope", 1, clock.now() + timedelta(hours=1))))
    refused(database, "HOLD_NOT_FOUND", lambda: svc.resolve_hold(
        app, OPERATOR, key(), svc.ResolveHold("nope", "post")))


# -- reversals -----------------------------------------------------------------------------

def test_reversal_mirrors_and_happens_once(app: Gongji, database: Database,
                                           accts: dict[str, Account], key: Keys) -> None:
    e = svc.transfer(app, OPERATOR, key(), svc.Transfer(accts["a"].id, accts["b"].id,
                                                        1234_56, ext_ref="SETL1")).value
    r = svc.reverse(app, OPERATOR, key(), svc.Reverse(e.id, memo="wrong amount")).value
    assert r.kind == EntryKind.REVERSAL and r.ref_entry_id == e.id
    assert r.code == f"{svc.ADJUST}.reversal" and r.ext_ref == "SETL1"
    assert [(p.account_id, -p.amount) for p in r.postings] == \
        [(p.account_id, p.amount) for p in e.postings]
    assert balance(app, accts["a"]) == 10_000_00 and balance(app, accts["b"]) == 0
    err = refused(database, "ENTRY_ALREADY_REVERSED",
                  lambda: svc.reverse(app, OPERATOR, key(), svc.Reverse(e.id)))
    assert err.params["reversal"] == r.id
    refused(database, "ENTRY_NOT_REVERSIBLE",
            lambda: svc.reverse(app, OPERATOR, key(), svc.Reverse(r.id)))
    refused(database, "ENTRY_NOT_FOUND",
            lambda: svc.reverse(app, OPERATOR, key(), svc.Reverse("nope")))


def test_reversal_refused_when_the_money_is_gone(app: Gongji, database: Database,
                                                 accts: dict[str, Account], key: Keys) -> None:
    e = svc.transfer(app, OPERATOR, key(), svc.Transfer(accts["a"].id, accts["b"].id,
                                                        100_00)).value
    svc.transfer(app, OPERATOR, key(), svc.Transfer(accts["b"].id, accts["a"].id, 50_00))
    refused(database, "INSUFFICIENT_FUNDS",
            lambda: svc.reverse(app, OPERATOR, key(), svc.Reverse(e.id)))


def test_hold_entries_are_not_reversible(app: Gongji, database: Database,
                                         accts: dict[str, Account], key: Keys,
                                         clock: FixedClock) -> None:
    h = make_hold(app, accts, key, clock)
    refused(database, "ENTRY_NOT_REVERSIBLE",
            lambda: svc.reverse(app, OPERATOR, key(), svc.Reverse(h.entry_id)))


# -- the database itself enforces the invariants -------------------------------------------

def test_database_refuses_negative_person_balance(database: Database,
                                                  accts: dict[str, Account]) -> None:
    with pytest.raises(DBAPIError), database.begin() as conn:
        conn.execute(text("UPDATE accounts SET balance = -1 WHERE id = :id"),
                     {"id": accts["a"].id})


@pytest.mark.parametrize("table", ["entries", "postings", "audit_log"])
def test_journal_is_append_only(database: Database, accts: dict[str, Account],
                                table: str) -> None:
    for sql in (f"UPDATE {table} SET {'amount = amount + 1' if table == 'postings' else 'actor = actor'}",  # noqa: E501
                f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match="append-only"), database.begin() as conn:
            conn.execute(text(sql))


def test_reads_see_only_committed_work(app: Gongji, accts: dict[str, Account],
                                       key: Keys) -> None:
    def boom(uow):  # type: ignore[no-untyped-def]
        uow.ledger.transfer(accts["a"].id, accts["b"].id, 1_00, code="test")
        raise GongjiError("FORBIDDEN")

    with pytest.raises(GongjiError):
        app.transact(OPERATOR, boom)
    assert balance(app, accts["b"]) == 0
