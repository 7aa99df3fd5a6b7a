"""Many commits of one region at once: the region's fund and its audit chain are rows every
settlement touches. On PostgreSQL a commit that finds them held writes to a balance stripe
and a chain stripe instead of queueing; the money and the chains stay whole (verify), and a
balance read is the row plus its stripes. On SQLite (one writer) the same calls serialise
and give the same balances."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, func, select, text

from gongji.ledger.model import Account, Entry
from gongji.ledger.verify import verify
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM, UnitOfWork
from gongji.store.tables import account_stripes, audit_heads
from tests import journal as svc
from tests.conftest import OPERATOR
from tests.journal import ADJUST
from tests.races.barrier import together

N = 40


def open_(app: Gongji, n: int, kind: str, owner: str) -> Account:
    return svc.open_account(app, OPERATOR, f"open-{n}", svc.OpenAccount(
        kind, owner=owner, admdvs="510100")).value


@pytest.fixture
def accts(app: Gongji) -> tuple[Account, list[Account]]:
    cash = open_(app, 0, "CASH", "510100")
    persons = [open_(app, i + 1, "PERSONAL", f"P_{i}") for i in range(N)]
    return cash, persons


def pay(app: Gongji, cash: Account, to: Account, i: int) -> Entry:
    """A payment out of the region's cash as a settlement makes it: the accounts read first
    (so the ledger knows which may go negative and defers their deltas to the commit)."""
    def fn(uow: UnitOfWork) -> Entry:
        uow.ledger.account(cash.id)
        return uow.ledger.transfer(cash.id, to.id, 100 + i, code=ADJUST)
    return app.write(OPERATOR, key=f"pay-{i}", operation="test.pay",
                     request=f'{{"to":"{to.id}","i":{i}}}', result_type=Entry, fn=fn).value


def balance(app: Gongji, account: Account) -> int:
    return app.read(lambda uow: uow.ledger.account(account.id).balance, SYSTEM)


@contextmanager
def holding(app: Gongji, cash: Account) -> Iterator[Connection]:
    """Another transaction that holds the cash account's row and every chain head, as a
    commit in flight does for a moment."""
    with app.db.engine.connect() as conn:
        conn.execute(text("BEGIN"))
        conn.execute(text("SELECT id FROM accounts WHERE id = :a FOR NO KEY UPDATE"),
                     {"a": cash.id})
        conn.execute(text("SELECT chain FROM audit_heads FOR UPDATE"))
        try:
            yield conn
        finally:
            conn.execute(text("ROLLBACK"))


def test_forty_commits_of_one_region_at_once_keep_every_fen(
        app: Gongji, accts: tuple[Account, list[Account]]) -> None:
    cash, persons = accts
    before = balance(app, cash)
    out = together(*(lambda i=i: pay(app, cash, persons[i], i) for i in range(N)))
    errors = [e for e in out if isinstance(e, BaseException)]
    assert not errors, errors[:3]
    paid = sum(100 + i for i in range(N))
    assert balance(app, cash) == before - paid
    assert [balance(app, p) for p in persons] == [100 + i for i in range(N)]
    with app.db.read() as conn:
        report = verify(conn)
        assert report.ok, report.violations[:5]
    # a retried call answers from its record and moves nothing
    assert pay(app, cash, persons[0], 0).id == out[0].id
    assert balance(app, cash) == before - paid


POSTGRES_ONLY = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
"""Row locks that others skip are PostgreSQL's; SQLite has one writer at a time."""


@POSTGRES_ONLY
def test_held_rows_do_not_make_commits_wait(
        app: Gongji, accts: tuple[Account, list[Account]]) -> None:
    """While one transaction holds the fund's row and the chain heads, eight others commit
    through stripes (a queue would hang them past the barrier's limit)."""
    cash, persons = accts
    before = balance(app, cash)
    with holding(app, cash):
        out = together(*(lambda i=i: pay(app, cash, persons[i], i) for i in range(8)))
    errors = [e for e in out if isinstance(e, BaseException)]
    assert not errors, errors[:3]
    with app.db.read() as conn:
        stripes = conn.execute(select(func.count(), func.sum(account_stripes.c.balance))
                               .where(account_stripes.c.account_id == cash.id)).one()
        chains = set(conn.execute(select(audit_heads.c.chain)).scalars())
        report = verify(conn)
    paid = sum(100 + i for i in range(8))
    assert stripes[0] >= 1 and int(stripes[1]) == -paid  # the row itself was held throughout
    assert balance(app, cash) == before - paid
    assert any("." in c for c in chains), chains
    assert report.ok, report.violations[:5]
    # once free, the row itself takes the next commit again; the stripes stay as they are
    pay(app, cash, persons[8], 8)
    with app.db.read() as conn:
        assert int(conn.execute(select(func.sum(account_stripes.c.balance)).where(
            account_stripes.c.account_id == cash.id)).scalar_one()) == -paid
    assert balance(app, cash) == before - paid - 108


def test_a_stripe_on_a_guarded_account_is_found(
        app: Gongji, accts: tuple[Account, list[Account]]) -> None:
    """A stripe can hold no guard, so verify refuses one on an account that may not go
    negative (a personal account's balance cannot be split)."""
    _cash, persons = accts
    with app.db.engine.begin() as conn:
        conn.execute(account_stripes.insert().values(admdvs=persons[0].admdvs,
                                                     account_id=persons[0].id, stripe=1,
                                                     balance=0))
    with app.db.read() as conn:
        report = verify(conn)
    assert {v.check for v in report.violations} == {"balances"}
