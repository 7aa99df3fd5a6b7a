"""The bank test: client processes drive a real `gongji serve` over HTTP while a nemesis kills
it with SIGKILL at random moments and starts it again; at the end the books must balance.

Checks, each a figure in the result:
- verify: `gongji verify` finds no violation (sums, balances, digests, audit chains);
- fen lost: the persons' money (personal accounts, wallet quotas, holds) at the end equals
  the start less what settled settlements took from it, to the fen; all balances sum to zero;
- negative reads: no balance snapshot a client read had a person below zero;
- at most once: every transfer and settlement in the database is one a client had
  acknowledged, once (a retried key never applied twice);
- nothing lost: every acknowledged transfer, response, settlement, cancel and reversal is in
  the database after the last restart, in the state acknowledged or a later one;
- late originals: a reversal (冲正) racing its settlement, or sent before it, that was
  answered "nothing took effect" left no settlement standing under that medins_setl_id, and
  one answered "undone" left it cancelled;
- PIN guessing: bursts of wrong PINs sent at once got no more wrong answers in a row than
  the lockout allows, and none was accepted.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from gongji.benchmark import population, workloads
from gongji.benchmark.run import business_start
from gongji.chaos import clients
from gongji.domain.access import COMMAND_LINE
from gongji.domain.clock import OffsetClock
from gongji.ledger.kinds import AccountKind
from gongji.ledger.verify import verify
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.services.sandbox import service as sandbox
from gongji.services.transfers.service import status_of
from gongji.services.unit_of_work import SYSTEM
from gongji.store import migrate
from gongji.store.db import Database
from gongji.store.tables import account_stripes, accounts, holds, settlements, wallet_transfers
from gongji.testing.postgres import TempPostgres, free_port
from gongji.testing.servers import wait_healthy

Say = Callable[[str], None]
PERSON_KINDS = (AccountKind.PERSONAL.value, AccountKind.WALLET_QUOTA.value,
                AccountKind.HOLD.value)
OPERATOR_TOKEN = "chaos-operator-" + os.urandom(6).hex()


@dataclass
class Plan:
    database: str = "sqlite"
    seconds: float = 60.0
    clients: int = 4
    persons: int = 48
    kill_every: tuple[float, float] = (2.0, 6.0)
    """Seconds between kills, drawn uniformly."""
    day_turn_every: int = 4
    """Every this many restarts, the sandbox clock jumps to 10:00 the next day: transfers
    not accepted by 06:00 come back by the sweep, and daily limits start again."""
    seed: int = 1


@dataclass
class Result:
    database: str
    seconds: float
    kills: int = 0
    day_turns: int = 0
    acknowledged: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    unanswered: int = 0
    reads: int = 0
    negative_reads: int = 0
    fen_lost: int | None = None
    balances_sum: int | None = None
    applied_twice: int | None = None
    applied_unacknowledged: int | None = None
    lost_acknowledged: int | None = None
    returned_by_sweep: int = 0
    late_originals: int = 0
    late_originals_charged: int | None = None
    pin_bursts: int = 0
    pin_overguessed: int = 0
    guesses_accepted: int = 0
    bursts_across_a_day_turn: int = 0
    verify_ok: bool | None = None
    violations: list[str] = field(default_factory=list)

    @property
    def operations(self) -> int:
        return sum(self.acknowledged.values())

    @property
    def ok(self) -> bool:
        return (self.verify_ok is True and self.fen_lost == 0 and self.balances_sum == 0
                and self.negative_reads == 0 and self.applied_twice == 0
                and self.applied_unacknowledged == 0 and self.lost_acknowledged == 0
                and self.late_originals_charged == 0 and self.pin_overguessed == 0
                and self.guesses_accepted == 0)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "operations": self.operations, "ok": self.ok}


class Server:
    """`gongji serve` in its own process group, to be killed with SIGKILL and started again."""

    def __init__(self, url: str, port: int, log: Path) -> None:
        self.url, self.port, self.log = url, port, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        env = {**os.environ, "GONGJI_ADMIN_TOKEN": OPERATOR_TOKEN, "GONGJI_DB": self.url,
               "GONGJI_SANDBOX": "1"}
        with self.log.open("ab") as sink:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gongji", "serve", "--port", str(self.port),
                 "--sandbox"], env=env, stdout=sink, stderr=sink, start_new_session=True)
        if not wait_healthy(self.base, self.proc, seconds=60):
            raise RuntimeError(f"gongji serve did not answer within 60 s (exit "
                               f"{self.proc.poll()}); see {self.log}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def _database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'chaos.db'}"
        return
    with TempPostgres(durable=True) as pg:
        yield pg.create_database("chaos")


def run(plan: Plan, say: Say = print, *, folder: Path | None = None) -> Result:
    with tempfile.TemporaryDirectory(dir=folder) as d, _database(plan.database, Path(d)) as url:
        return _run(plan, url, Path(d), say)


def _run(plan: Plan, url: str, folder: Path, say: Say) -> Result:
    rnd = random.Random(plan.seed)
    result = Result(plan.database, plan.seconds)
    db = Database(url)
    migrate.upgrade(db)
    app = Gongji(db, OffsetClock(), sandbox=True)
    sandbox.move(app, COMMAND_LINE, to=business_start(app.clock))  # type: ignore[arg-type]
    population.load(app, plan.persons)
    drugs = workloads.prepare(app)
    key = institutions.create_key(app, SYSTEM, workloads.PHARMACY)
    members = population.members(app, plan.persons)
    pairs = population.pairs(app, plan.persons // 2)
    certno = {m.psn_no: m.certno for m in members}
    start_money = _person_money(db)
    db.dispose()
    say(f"{plan.database}: {plan.persons} persons, {plan.clients} clients, "
        f"{plan.seconds:.0f} s, person money {start_money / 100:,.2f} yuan")

    server = Server(url, free_port(), folder / "server.log")
    server.start()
    deadline = time.time() + plan.seconds
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    journals = [folder / f"client-{n}.jsonl" for n in range(plan.clients)]
    procs = []
    for n in range(plan.clients):
        job = clients.Job(
            number=n, base=server.base, operator_token=OPERATOR_TOKEN,
            pairs=[(s, certno[s], r, certno[r]) for s, r in pairs[n::plan.clients]],
            buyers=[(m.psn_no, m.certno) for m in members[n::plan.clients]],
            pharmacy=(workloads.PHARMACY, key.key_id, key.secret),
            drugs=[(d.med_list_codg, d.pric_uplmt_amt or 5000) for d in drugs],
            deadline=deadline, journal=str(journals[n]), seed=plan.seed * 100 + n)
        p = ctx.Process(target=clients.main, args=(job, results), daemon=True)
        p.start()
        procs.append(p)

    try:
        while time.time() < deadline:
            time.sleep(min(rnd.uniform(*plan.kill_every), max(0.0, deadline - time.time())))
            if time.time() >= deadline:
                break
            server.kill()
            result.kills += 1
            time.sleep(rnd.uniform(0.1, 1.0))
            server.start()
            if result.kills % plan.day_turn_every == 0:
                result.returned_by_sweep += _next_day(server.base)
                result.day_turns += 1
            say(f"  kill {result.kills}: restarted"
                + (f", day {result.day_turns} begins" if result.kills % plan.day_turn_every
                   == 0 else ""))
        tallies = [results.get(timeout=clients.GIVE_UP_SECONDS + 60) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
        server.stop()

    for _n, t in tallies:
        for k, v in t["acknowledged"].items():
            result.acknowledged[k] = result.acknowledged.get(k, 0) + v
        for k, v in t["refused"].items():
            result.refused[k] = result.refused.get(k, 0) + v
        result.retries += t["retries"]
        result.reads += t["reads"]
        result.negative_reads += t["negative_reads"]
        result.unanswered += t["unanswered"]
        result.pin_overguessed += t["pin_overguessed"]
        result.guesses_accepted += t["guesses_accepted"]
        result.bursts_across_a_day_turn += t.get("bursts_across_a_day_turn", 0)
    acked = [json.loads(line) for j in journals if j.exists()
             for line in j.read_text(encoding="utf-8").splitlines() if line]
    _check(Database(url), start_money, acked, result)
    return result


def _next_day(base: str) -> int:
    """Jump the sandbox clock to 10:00 tomorrow: holds due at 06:00 come back."""
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    for _ in range(50):
        try:
            now = httpx.get(f"{base}/api/v1/sandbox/clock", headers=headers, timeout=10)
            if now.status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    at = datetime.fromisoformat(now.json()["now"])
    target = (at + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    r = httpx.post(f"{base}/api/v1/sandbox/clock", headers=headers, timeout=30,
                   json={"set": target.isoformat()})
    return len(r.json().get("returned_holds", [])) if r.status_code == 200 else 0


def _person_money(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(accounts.c.balance), 0)).where(
            accounts.c.kind.in_(PERSON_KINDS))).scalar_one())


def _check(db: Database, start_money: int, acked: list[dict[str, Any]], result: Result
           ) -> None:
    try:
        with db.read() as conn:
            report = verify(conn)
            result.verify_ok = report.ok
            result.violations = [f"{v.check}: {v.subject}: {v.message}"
                                 for v in report.violations[:20]]
            result.balances_sum = int(conn.execute(
                select(func.coalesce(func.sum(accounts.c.balance), 0))).scalar_one()) + int(
                conn.execute(select(func.coalesce(func.sum(account_stripes.c.balance), 0))
                             ).scalar_one())
            taken = int(conn.execute(select(func.coalesce(func.sum(
                settlements.c.acct_pay + settlements.c.acct_mulaid_pay), 0)).where(
                settlements.c.status == "settled")).scalar_one())
            end_money = int(conn.execute(select(func.coalesce(func.sum(
                accounts.c.balance), 0)).where(accounts.c.kind.in_(PERSON_KINDS))
            ).scalar_one())
            result.fen_lost = start_money - taken - end_money
            transfers = {r.id: status_of(r.state, r.end_reason) for r in conn.execute(
                select(wallet_transfers.c.id, wallet_transfers.c.end_reason, holds.c.state)
                .join(holds, holds.c.id == wallet_transfers.c.hold_id))}
            settled = {r.setl_id: r.status for r in conn.execute(
                select(settlements.c.setl_id, settlements.c.status))}
            by_msgid = {r.medins_setl_id: r.status for r in conn.execute(
                select(settlements.c.medins_setl_id, settlements.c.status).where(
                    settlements.c.medins_setl_id.like("LT%")))}
    finally:
        db.dispose()

    sent = [a["transfer_id"] for a in acked if a["op"] == "send"]
    made = [a["setl_id"] for a in acked if a["op"] == "settle"]
    late = [a for a in acked if a["op"] == "late"]
    result.late_originals = len(late)
    result.pin_bursts = sum(1 for a in acked if a["op"] == "guess")
    # a reversal answered "not done" leaves nothing standing under its id; "done" cancelled it
    result.late_originals_charged = sum(1 for a in late if by_msgid.get(a["medins_setl_id"])
                                        == "settled")
    made += [a["original_setl_id"] for a in late if a["original_setl_id"]]
    # at most once: one row per acknowledged key, no row no client was told about (a client
    # that never got its answer counts in `unanswered`, and may legitimately leave one)
    result.applied_twice = (len(sent) - len(set(sent))) + (len(made) - len(set(made)))
    result.applied_unacknowledged = max(0, len(set(transfers) - set(sent)) +
                                        len(set(settled) - set(made)) - result.unanswered)
    sent_states = {"pending", "accepted", "rejected", "cancelled", "returned", "unbound"}
    lost = 0
    for a in acked:
        if a["op"] == "send":  # pending when acknowledged, or any state after it
            lost += transfers.get(a["transfer_id"]) not in sent_states
        elif a["op"] in ("accept", "reject", "cancel"):
            lost += transfers.get(a["transfer_id"]) != a["status"]
        elif a["op"] == "settle":
            lost += a["setl_id"] not in settled
        elif a["op"] == "cancel_settlement" or (a["op"] in ("reverse", "late") and a["done"]):
            lost += settled.get(a["setl_id"]) != "cancelled"
    result.lost_acknowledged = lost


def summary(result: Result) -> list[str]:
    r = result
    return [
        f"{r.database}: {r.seconds:.0f} s, {r.kills} kills (SIGKILL), {r.day_turns} day turns",
        f"  acknowledged operations: {r.operations:,} "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(r.acknowledged.items())),
        f"  refused (rules, not faults): {sum(r.refused.values()):,}; retries after a kill "
        f"or busy answer: {r.retries:,}; never answered: {r.unanswered}",
        f"  balance snapshots read: {r.reads:,}, negative person balances seen: "
        f"{r.negative_reads}",
        f"  holds returned by the sweep: {r.returned_by_sweep}",
        f"  reversals racing their late originals: {r.late_originals}, charges left standing: "
        f"{r.late_originals_charged}; PIN guessing bursts: {r.pin_bursts}, more wrong answers "
        f"than the lockout allows: {r.pin_overguessed}, guesses accepted: "
        f"{r.guesses_accepted} ({r.bursts_across_a_day_turn} bursts spanned a day turn, "
        "which ends every lock: not counted)",
        f"  fen lost: {r.fen_lost}; all balances sum to {r.balances_sum}; applied twice: "
        f"{r.applied_twice}; applied but never acknowledged: {r.applied_unacknowledged}; "
        f"acknowledged but missing: {r.lost_acknowledged}",
        f"  gongji verify: {'ok' if r.verify_ok else 'VIOLATIONS'}"
        + "".join(f"\n    {v}" for v in r.violations),
        f"  {'PASS' if r.ok else 'FAIL'}",
    ]
