"""Many threads moving money among a few hot accounts at once, for a bounded time.

Afterwards: the total is conserved, no person balance is negative, every idempotency key was
applied exactly once (even keys sent by two threads at the same moment), and `gongji verify`
is clean.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from gongji.cli import app as cli
from gongji.domain.errors import GongjiError
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests import journal as svc
from tests.conftest import OPERATOR

THREADS = 8
SECONDS = 4.0
MAX_OPS_PER_THREAD = 400
HOT = ["A", "B", "C", "D"]
START = 1000_00


def test_hot_accounts_under_concurrency(app: Gongji, database: Database, db_url: str) -> None:
    acc = {p: svc.open_account(app, OPERATOR, f"open-{p}",
                               svc.OpenAccount("PERSONAL", owner=p)).value.id for p in HOT}
    cash = svc.open_account(app, OPERATOR, "open-cash",
                            svc.OpenAccount("CASH", owner="000000")).value.id
    for p in HOT:
        svc.transfer(app, OPERATOR, f"fund-{p}", svc.Transfer(cash, acc[p], START))

    applied: dict[str, str] = {}          # key -> entry id, from every success or replay
    lock = threading.Lock()
    refusals: Counter[str] = Counter()
    errors: list[BaseException] = []
    shared_keys = [f"shared-{i}" for i in range(60)]  # raced by several threads on purpose
    shared_cmds = {k: svc.Transfer(acc[HOT[i % 4]], acc[HOT[(i + 1) % 4]], 1_00)
                   for i, k in enumerate(shared_keys)}
    deadline = time.monotonic() + SECONDS
    ops = Counter[str]()

    def note(key: str, entry_id: str) -> None:
        with lock:
            prior = applied.setdefault(key, entry_id)
        assert prior == entry_id, f"key {key} gave two different entries"

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        try:
            for n in range(MAX_OPS_PER_THREAD):
                if time.monotonic() > deadline:
                    return
                src, dst = rnd.sample(HOT, 2)
                roll = rnd.random()
                try:
                    if roll < 0.15:
                        k = rnd.choice(shared_keys)
                        w = svc.transfer(app, OPERATOR, k, shared_cmds[k])
                        note(k, w.value.id)
                        ops["shared"] += 1
                    elif roll < 0.75:
                        k = f"t-{seed}-{n}"
                        cmd = svc.Transfer(acc[src], acc[dst], rnd.randint(1, 400_00), ext_ref=k)
                        w = svc.transfer(app, OPERATOR, k, cmd)
                        note(k, w.value.id)
                        if rnd.random() < 0.2:  # the response was "lost": retry the same key
                            again = svc.transfer(app, OPERATOR, k, cmd)
                            assert again.replayed and again.value.id == w.value.id
                        ops["transfer"] += 1
                    elif roll < 0.9:
                        k = f"h-{seed}-{n}"
                        h = svc.create_hold(app, OPERATOR, k, svc.CreateHold(
                            acc[src], acc[dst], rnd.randint(1, 300_00),
                            app.clock.now() + timedelta(hours=1))).value
                        action = rnd.choice(["post", "void"])
                        svc.resolve_hold(app, OPERATOR, f"r-{seed}-{n}",
                                         svc.ResolveHold(h.id, action))  # type: ignore[arg-type]
                        ops["hold+" + action] += 1
                    else:
                        with lock:
                            candidates = [v for k, v in applied.items() if k.startswith("t-")]
                        if candidates:
                            svc.reverse(app, OPERATOR, f"rev-{seed}-{n}",
                                        svc.Reverse(rnd.choice(candidates)))
                            ops["reversal"] += 1
                except GongjiError as e:
                    refusals[e.code] += 1
        except BaseException as e:  # surfaced below; a thread must not die silently
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 60)
    assert not errors, errors
    assert sum(ops.values()) > 50, ops
    # only refusals that concurrency can legitimately cause
    assert set(refusals) <= {"INSUFFICIENT_FUNDS", "ENTRY_ALREADY_REVERSED"}, refusals

    with database.engine.connect() as conn:
        total = conn.execute(text("SELECT SUM(balance) FROM accounts")).scalar_one()
        people = conn.execute(text(
            "SELECT SUM(balance) FROM accounts WHERE kind IN ('PERSONAL', 'HOLD')")).scalar_one()
        negative = conn.execute(text(
            "SELECT COUNT(*) FROM accounts WHERE no_negative AND balance < 0")).scalar_one()
        per_key = dict(conn.execute(text(
            "SELECT ext_ref, COUNT(*) FROM entries WHERE kind = 'transfer' "
            "AND ext_ref LIKE 't-%' GROUP BY ext_ref")).all())
        shared_rows = conn.execute(text(
            "SELECT COUNT(*) FROM idempotency WHERE key LIKE 'shared-%'")).scalar_one()
    assert total == 0
    assert people == START * len(HOT)
    assert negative == 0
    assert {k for k in applied if k.startswith("t-")} == set(per_key)
    assert set(per_key.values()) == {1}
    assert shared_rows == len({k for k in applied if k.startswith("shared-")})

    result = CliRunner().invoke(cli, ["verify", "--db", db_url])
    assert result.exit_code == 0, result.output
    print(f"\nconcurrency [{database.dialect}]: {dict(ops)}; refusals {dict(refusals)}")


@pytest.fixture(autouse=True)
def _bounded() -> None:
    assert SECONDS <= 10 and THREADS >= 8
