"""Group commit (SQLite): threads that share one transaction through savepoints keep every
ledger guarantee: refused units leave nothing, retries with a key apply once, balances are
exactly the sum of what was acknowledged, and `verify` is clean."""

from __future__ import annotations

import random
import shutil
import threading
from pathlib import Path

import pytest

from gongji.domain.errors import GongjiError
from gongji.ledger.verify import verify
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests import journal as svc
from tests.conftest import OPERATOR

THREADS = 8
OPS = 40
PEOPLE = 6


@pytest.fixture
def grouped(sqlite_template: Path, tmp_path: Path, clock: object) -> Gongji:
    target = tmp_path / "grouped.db"
    shutil.copyfile(sqlite_template, target)
    db = Database(f"sqlite:///{target}", group_commit=True)
    return Gongji(db, clock)  # type: ignore[arg-type]


def test_concurrent_writers_in_shared_transactions_keep_every_guarantee(grouped: Gongji
                                                                        ) -> None:
    app = grouped
    cash = svc.open_account(app, OPERATOR, "cash", svc.OpenAccount(
        "CASH", owner="510100", admdvs="510100")).value.id
    people = [svc.open_account(app, OPERATOR, f"p{i}", svc.OpenAccount(
        "PERSONAL", owner=f"P{i}", admdvs="510100")).value.id for i in range(PEOPLE)]
    for i, p in enumerate(people):
        svc.transfer(app, OPERATOR, f"fund{i}", svc.Transfer(cash, p, 100_00))

    applied: list[tuple[str, str, int, str]] = []
    refused: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        rng = random.Random(n)
        start.wait()
        try:
            for k in range(OPS):
                a, b = rng.sample(people, 2)
                amount = rng.randint(1, 60_00)  # often more than is left: refused
                key = f"w{n}-{k}"
                try:
                    first = svc.transfer(app, OPERATOR, key, svc.Transfer(a, b, amount))
                except GongjiError:
                    refused.append(key)
                    continue
                again = svc.transfer(app, OPERATOR, key, svc.Transfer(a, b, amount))
                assert again.replayed and again.value.id == first.value.id
                applied.append((a, b, amount, first.value.id))
        except BaseException as e:  # surfaced below
            failures.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    assert applied and refused  # both paths were taken

    expected = dict.fromkeys(people, 100_00)
    for a, b, amount, _id in applied:
        expected[a] -= amount
        expected[b] += amount
    with app.db.read() as conn:
        balances = {p: conn.exec_driver_sql("SELECT balance FROM accounts WHERE id = ?",
                                            (p,)).scalar_one() for p in people}
        report = verify(conn)
        entries = conn.exec_driver_sql("SELECT COUNT(*) FROM entries WHERE code = ?",
                                       (svc.ADJUST,)).scalar_one()
        keys = {r[0] for r in conn.exec_driver_sql("SELECT key FROM idempotency")}
    assert balances == expected
    assert report.ok, report.violations
    assert entries == PEOPLE + len(applied)  # every acknowledged entry is there, once
    assert not keys & set(refused)  # a refused unit left not even its key behind
    group = app.db._group
    assert group is not None and group.members > group.batches  # batches did form
