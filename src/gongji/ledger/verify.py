"""Invariants of the ledger, recomputed from the journal (what `gongji verify` runs).

Each check reads one consistent snapshot and names every violation it finds. Sums and
balances are checked in SQL (they scale with the database); digests and the audit chain are
streamed through Python in key order, so memory stays flat however large the journal.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import Connection, bindparam, text

from gongji.domain.clock import UTC
from gongji.domain.errors import GongjiError
from gongji.domain.privacy import scrub
from gongji.domain.regions import NATIONAL
from gongji.ledger.anchors import Anchors
from gongji.ledger.audit import (
    ACCOUNT_SEALS,
    GENESIS,
    RESPONSE_SEALS,
    account_digest,
    canonical_json,
    chain_region,
    response_digest,
    utc_iso,
)
from gongji.ledger.kinds import KIND_RULES, AccountKind, account_code

Progress = Callable[[str, int], None]
"""progress(check name, rows done so far): lets the CLI draw a progress bar."""


@dataclass(frozen=True, slots=True)
class Violation:
    check: str
    subject: str
    message: str


@dataclass(slots=True)
class CheckResult:
    name: str
    title: str
    examined: int = 0
    violations: list[Violation] = field(default_factory=list)

    def fail(self, subject: str, message: str) -> None:
        self.violations.append(Violation(self.name, subject, message))

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(slots=True)
class VerifyReport:
    checks: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def violations(self) -> list[Violation]:
        return [v for c in self.checks for v in c.violations]


MAX_LISTED = 1000
"""Stop listing a check's violations past this many (the count still says how bad it is)."""


def verify(conn: Connection, *, progress: Progress | None = None, url: str | None = None,
           workers: int = 1, anchors: Anchors | None = None) -> VerifyReport:
    """Run every check on conn's snapshot.

    With url and workers > 1, the work is split in two processes of about equal cost: this
    one streams the entry digests; a second one walks the audit chains and runs the two
    big sums (entries, balances). On PostgreSQL the second process reads the same snapshot
    (pg_export_snapshot); on SQLite it reads its own, which is enough: each check is
    self-contained, so a write committed in between cannot make one report a false
    violation.
    """
    tick: Progress = progress or (lambda _name, _n: None)
    report = _verify(conn, tick, url, workers)
    if anchors is not None:
        report.checks.append(_anchors(conn, anchors))
    return report


def _verify(conn: Connection, tick: Progress, url: str | None, workers: int) -> VerifyReport:
    if url is None or workers < 2:
        return VerifyReport([check(conn, tick) for check in CHECKS])
    snapshot = (conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                if conn.dialect.name == "postgresql" else None)
    apart = subprocess.Popen([sys.executable, "-m", "gongji.ledger.verify"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert apart.stdin is not None and apart.stdout is not None  # both are PIPEs
        # the URL goes through stdin, not argv: it may carry a password
        apart.stdin.write(json.dumps({"url": url, "snapshot": snapshot}).encode())
        apart.stdin.close()
        here = {c.__name__: c(conn, tick) for c in CHECKS if c not in APART}
        out = apart.stdout.read()
        apart.wait()
        if apart.returncode != 0:
            raise RuntimeError(f"the second verify process failed (exit {apart.returncode})")
        there = {name: _result_from_json(r) for name, r in json.loads(out).items()}
        for r in there.values():
            tick(r.name, r.examined)
    finally:
        if apart.poll() is None:
            apart.kill()
            apart.wait()
    results = here | there
    return VerifyReport([results[c.__name__] for c in CHECKS])


def _result_from_json(data: dict[str, Any]) -> CheckResult:
    r = CheckResult(data["name"], data["title"], data["examined"])
    r.violations = [Violation(**v) for v in data["violations"]]
    return r


def _apart() -> None:
    """The second process of verify: reads {"url", "snapshot"} on stdin, runs APART, writes
    {check function: CheckResult} as JSON on stdout."""
    from gongji.store.db import Database  # the ledger package does not import the store

    job = json.load(sys.stdin)
    db = Database(job["url"], pool_size=1)
    try:
        with db.read() as conn:
            if job["snapshot"] is not None:
                conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{job['snapshot']}'")
            done = {c.__name__: c(conn, lambda _name, _n: None) for c in APART}
    finally:
        db.dispose()
    json.dump({name: {"name": r.name, "title": r.title, "examined": r.examined,
                      "violations": [asdict(v) for v in r.violations]}
               for name, r in done.items()}, sys.stdout)


def _q(conn: Connection, sql: str, **params: Any) -> list[Any]:
    return list(conn.execute(text(sql), params).all())


def _entries_balance(conn: Connection, _tick: Progress) -> CheckResult:
    r = CheckResult("entries_sum_zero", "every entry's postings sum to zero (at least two)")
    r.examined = conn.execute(text("SELECT COUNT(*) FROM entries")).scalar_one()
    for row in _q(conn, """
            SELECT e.id, COALESCE(SUM(p.amount), 0) AS total, COUNT(p.entry_id) AS n
            FROM entries e LEFT JOIN postings p ON p.entry_id = e.id
            GROUP BY e.id HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.entry_id) < 2
            LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.id, f"{row.n} postings summing to {row.total} fen")
    for row in _q(conn, """SELECT p.entry_id FROM postings p
                           LEFT JOIN entries e ON e.id = p.entry_id WHERE e.id IS NULL
                           LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.entry_id, "postings of an entry that does not exist")
    return r


def _account_balances(conn: Connection, _tick: Progress) -> CheckResult:
    r = CheckResult("balances", "every account's balance (its row and its stripes) equals "
                                "the sum of its postings")
    r.examined = conn.execute(text("SELECT COUNT(*) FROM accounts")).scalar_one()
    for row in _q(conn, """
            SELECT a.id, a.code, a.balance + COALESCE(t.striped, 0) AS balance,
                   COALESCE(s.total, 0) AS total
            FROM accounts a LEFT JOIN (SELECT account_id, SUM(amount) AS total
                                       FROM postings GROUP BY account_id) s
                 ON s.account_id = a.id
                 LEFT JOIN (SELECT account_id, SUM(balance) AS striped
                            FROM account_stripes GROUP BY account_id) t
                 ON t.account_id = a.id
            WHERE a.balance + COALESCE(t.striped, 0) <> COALESCE(s.total, 0) LIMIT :lim""",
                   lim=MAX_LISTED):
        r.fail(row.code, f"balance {row.balance} fen but postings sum to {row.total} fen")
    # only a balance with no guard may be split: a stripe cannot be checked against zero
    for row in _q(conn, """SELECT DISTINCT a.code FROM account_stripes t
                           JOIN accounts a ON a.id = t.account_id
                           WHERE a.no_negative LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.code, "balance stripes on an account that may not go negative")
    return r


def _no_negative(conn: Connection, _tick: Progress) -> CheckResult:
    r = CheckResult("no_negative", "no account that may not go negative is negative")
    r.examined = conn.execute(text(
        "SELECT COUNT(*) FROM accounts WHERE no_negative")).scalar_one()
    for row in _q(conn, """SELECT code, balance FROM accounts
                           WHERE no_negative AND balance < 0 LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.code, f"negative balance {row.balance} fen")
    return r


def _conservation(conn: Connection, _tick: Progress) -> CheckResult:
    r = CheckResult("conservation", "all balances together sum to zero (money is conserved)")
    total = conn.execute(text("SELECT (SELECT COALESCE(SUM(balance), 0) FROM accounts) + "
                              "(SELECT COALESCE(SUM(balance), 0) FROM account_stripes)")
                         ).scalar_one()
    r.examined = 1
    if int(total) != 0:
        r.fail("accounts", f"balances sum to {total} fen")
    return r


def _holds(conn: Connection, _tick: Progress) -> CheckResult:
    r = CheckResult("holds", "pending holds match their HOLD accounts; each resolved once")
    r.examined = conn.execute(text("SELECT COUNT(*) FROM holds")).scalar_one()
    for row in _q(conn, """
            SELECT a.code, a.balance, COALESCE(h.total, 0) AS total
            FROM accounts a LEFT JOIN (SELECT hold_account_id, SUM(amount) AS total FROM holds
                                       WHERE state = 'pending' GROUP BY hold_account_id) h
                 ON h.hold_account_id = a.id
            WHERE a.kind = 'HOLD' AND a.balance <> COALESCE(h.total, 0) LIMIT :lim""",
                   lim=MAX_LISTED):
        r.fail(row.code, f"holds {row.balance} fen but pending holds total {row.total} fen")
    # the hold entry: source -amount, HOLD account +amount
    for row in _q(conn, """
            SELECT h.id FROM holds h JOIN entries e ON e.id = h.entry_id
            WHERE e.kind <> 'hold'
               OR (SELECT COUNT(*) FROM postings p WHERE p.entry_id = h.entry_id) <> 2
               OR NOT EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = h.entry_id
                              AND p.account_id = h.source_id AND p.amount = -h.amount)
               OR NOT EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = h.entry_id
                              AND p.account_id = h.hold_account_id AND p.amount = h.amount)
            LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.id, "hold entry does not move the hold amount from source to HOLD account")
    # a resolved hold has exactly the resolving entry its state names, moving the full amount
    for row in _q(conn, """
            SELECT h.id, h.state FROM holds h
            LEFT JOIN entries e ON e.id = h.resolved_entry_id
            WHERE h.state <> 'pending' AND (
                  e.id IS NULL OR e.ref_entry_id <> h.entry_id
               OR e.kind <> CASE h.state WHEN 'posted' THEN 'post' WHEN 'voided' THEN 'void'
                                         ELSE 'expire' END
               OR (SELECT COUNT(*) FROM postings p WHERE p.entry_id = e.id) <> 2
               OR NOT EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = e.id
                              AND p.account_id = h.hold_account_id AND p.amount = -h.amount)
               OR NOT EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = e.id
                              AND p.account_id = CASE h.state WHEN 'posted' THEN h.dest_id
                                                 ELSE h.source_id END
                              AND p.amount = h.amount))
            LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.id, f"{row.state} hold without a matching resolving entry")
    # no entry resolves a hold that is still pending, nor resolves a hold twice
    for row in _q(conn, """
            SELECT h.id, COUNT(e.id) AS n, MIN(h.state) AS state FROM holds h
            JOIN entries e ON e.ref_entry_id = h.entry_id
                          AND e.kind IN ('post', 'void', 'expire')
            GROUP BY h.id HAVING COUNT(e.id) > 1 OR MIN(h.state) = 'pending'
            LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.id, f"{row.n} resolving entries for a {row.state} hold")
    return r


def _reversals(conn: Connection, _tick: Progress) -> CheckResult:
    r = CheckResult("reversals", "each reversal mirrors the transfer it references")
    r.examined = conn.execute(text(
        "SELECT COUNT(*) FROM entries WHERE kind = 'reversal'")).scalar_one()
    for row in _q(conn, """
            SELECT v.id FROM entries v JOIN entries o ON o.id = v.ref_entry_id
            WHERE v.kind = 'reversal' AND (o.kind <> 'transfer'
               OR (SELECT COUNT(*) FROM postings p WHERE p.entry_id = v.id)
                  <> (SELECT COUNT(*) FROM postings p WHERE p.entry_id = o.id)
               OR EXISTS (SELECT 1 FROM postings p WHERE p.entry_id = v.id AND NOT EXISTS (
                          SELECT 1 FROM postings q WHERE q.entry_id = o.id
                          AND q.account_id = p.account_id AND q.amount = -p.amount)))
            LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.id, "reversal does not mirror its original entry")
    return r


def _rows(conn: Connection, sql: str) -> Iterator[tuple[Any, ...]]:
    """Rows as the driver gives them, streamed in batches: verify reads every entry and
    record, so it goes past SQLAlchemy's result layer (per-row type processing and, for
    driver SQL, one fetch per row) and converts times itself (_iso). On PostgreSQL a named
    (server-side) cursor inside the same REPEATABLE READ transaction keeps the snapshot."""
    dbapi: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with dbapi.cursor(name=f"gongji_verify_{next(_cursor_names)}") as cur:
            cur.itersize = _BATCH
            cur.execute(sql)
            while rows := cur.fetchmany(_BATCH):
                yield from rows
        return
    cur = dbapi.cursor()
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(_BATCH):
            yield from rows
    finally:
        cur.close()


_BATCH = 20_000
_cursor_names = itertools.count()


def _at(conn: Connection, column: str) -> str:
    """A stored time as selected for hashing: PostgreSQL formats it as utc_iso() text itself
    (cheaper than building a datetime per row in the driver); SQLite stores text already."""
    if conn.dialect.name == "postgresql":
        return (f"to_char({column} AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')")
    return column


def _iso(at: Any) -> str:
    """utc_iso() of a stored time as the driver returns it: SQLite's naive UTC text
    ("2026-11-24 02:00:00.000000", always with microseconds) or PostgreSQL's aware value."""
    if isinstance(at, str):
        return f"{at[:10]}T{at[11:26]}+00:00" if len(at) >= 26 else \
            utc_iso(datetime.fromisoformat(at).replace(tzinfo=UTC))
    return utc_iso(at if at.tzinfo else at.replace(tzinfo=UTC))


def _js(value: str | None) -> str:
    """canonical_json() of one string field of an audit record, without building a dict and
    sorting its keys per record (the key order is spelled out where this is used; a unit
    test holds the two to the same bytes)."""
    return "null" if value is None else _encode_str(value)


_encode_str: Callable[[str], str] = json.encoder.encode_basestring


def _digests(conn: Connection, tick: Progress) -> CheckResult:
    r = CheckResult("entry_digests",
                    "each entry has one audit record whose digest matches its postings")
    current: tuple[Any, ...] | None = None
    legs: list[str] = []

    def close() -> None:
        if current is None:
            return
        r.examined += 1
        if r.examined % 100_000 == 0:
            tick(r.name, r.examined)
        entry_id, kind, code, ref, at, digest = current
        if digest is None:
            if len(r.violations) < MAX_LISTED:
                r.fail(entry_id, "entry has no audit record")
            return
        body = f"{entry_id}|{kind}|{code}|{ref or ''}|{_iso(at)}|" + ";".join(legs)
        if sha256(body.encode()).hexdigest() != digest and len(r.violations) < MAX_LISTED:
            r.fail(entry_id, "postings or entry changed after the fact (digest mismatch)")

    created_at = _at(conn, "e.created_at")
    for row in _rows(conn, f"""
            SELECT e.id, e.kind, e.code, e.ref_entry_id, {created_at}, a.digest,
                   p.account_id, p.amount
            FROM entries e LEFT JOIN audit_log a ON a.entry_id = e.id
                           LEFT JOIN postings p ON p.entry_id = e.id
            ORDER BY e.id, p.idx"""):  # noqa: S608 (a fixed column expression)
        if current is None or row[0] != current[0]:
            close()
            current = row[:6]
            legs = []
        if row[6] is not None:
            legs.append(f"{row[6]}:{int(row[7])}")
    close()
    tick(r.name, r.examined)
    for row in _q(conn, """SELECT a.chain, a.seq, a.entry_id FROM audit_log a
                           LEFT JOIN entries e ON e.id = a.entry_id
                           WHERE a.entry_id IS NOT NULL AND e.id IS NULL LIMIT :lim""",
                   lim=MAX_LISTED):
        r.fail(f"{row.chain}#{row.seq}", f"audit record names missing entry {row.entry_id}")
    for row in _q(conn, """SELECT entry_id, COUNT(*) AS n FROM audit_log
                           WHERE entry_id IS NOT NULL GROUP BY entry_id HAVING COUNT(*) > 1
                           LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.entry_id, f"{row.n} audit records for one entry")
    return r


def _audit_chains(conn: Connection, tick: Progress) -> CheckResult:
    r = CheckResult("audit_chain", "the audit log's hash chains are unbroken and complete")
    heads = {row.chain: (int(row.seq), row.hash)
             for row in _q(conn, "SELECT chain, seq, hash FROM audit_heads")}
    chain: str | None = None
    prev, expect = GENESIS, 1
    seen: set[str] = set()

    def finish(name: str | None, last_seq: int, last_hash: str) -> None:
        if name is None:
            return
        head = heads.get(name)
        if head is None:
            r.fail(name, "chain has records but no head")
        elif head != (last_seq, last_hash):
            r.fail(name, f"head says #{head[0]} but the chain ends at #{last_seq}"
                         " (records removed or head rewritten)")

    for (name, seq, at, actor, action, subject, entry_id, digest, detail, prev_hash,
         stored) in _rows(conn, f"""
            SELECT chain, seq, {_at(conn, "at")}, actor, action, subject, entry_id, digest,
                   detail, prev_hash, hash
            FROM audit_log ORDER BY chain, seq"""):  # noqa: S608 (a fixed column expression)
        if name != chain:
            finish(chain, expect - 1, prev)
            chain, prev, expect = name, GENESIS, 1
            seen.add(name)
        r.examined += 1
        if r.examined % 100_000 == 0:
            tick(r.name, r.examined)
        seq = int(seq)
        if seq != expect:
            r.fail(f"{name}#{seq}", f"expected record #{expect}: records missing")
        if prev_hash != prev:
            r.fail(f"{name}#{seq}", "does not link to the record before it")
        body = (f'{{"action":{_js(action)},"actor":{_js(actor)},"at":"{_iso(at)}",'
                f'"chain":{_js(name)},"detail":{_js(detail)},"digest":{_js(digest)},'
                f'"entry_id":{_js(entry_id)},"seq":{seq},"subject":{_js(subject)}}}')
        if sha256((prev_hash + "\n" + body).encode()).hexdigest() != stored:
            r.fail(f"{name}#{seq}", "record changed after it was written (hash mismatch)")
        prev, expect = stored, seq + 1
    finish(chain, expect - 1, prev)
    for name, (seq, _h) in heads.items():
        if name not in seen and seq != 0:
            r.fail(name, f"head says #{seq} but the chain has no records")
    tick(r.name, r.examined)
    return r


# -- sealed rows: accounts and stored answers, each vouched for by an audit record ----------

_LOOKUP = 500
"""Digests looked up per query (an IN list on the partial index ix_audit_log_seal)."""


def _sealed(conn: Connection, digests: list[str]) -> set[str]:
    """Which of these digests a record of the chain carries (records that name no entry)."""
    if not digests:
        return set()
    return set(conn.execute(_SEALED, {"d": digests}).scalars())


_SEALED = text("SELECT digest FROM audit_log WHERE entry_id IS NULL AND digest IS NOT NULL "
               "AND digest IN :d").bindparams(bindparam("d", expanding=True))


def _seal_count(conn: Connection, actions: tuple[str, ...]) -> int:
    return int(conn.execute(text(
        "SELECT COUNT(*) FROM audit_log WHERE entry_id IS NULL AND digest IS NOT NULL "
        "AND action IN :a").bindparams(bindparam("a", expanding=True)),
        {"a": list(actions)}).scalar_one())


class _Seals:
    """Digests waiting to be looked up in batches; fail(label) for each one not sealed."""

    def __init__(self, conn: Connection, r: CheckResult, message: str) -> None:
        self.conn, self.r, self.message = conn, r, message
        self.batch: list[tuple[tuple[str, ...], str]] = []

    def add(self, label: str, *digests: str) -> None:
        """Sealed if any of `digests` is (one value may have been sealed in two forms)."""
        self.batch.append((digests, label))
        if len(self.batch) >= _LOOKUP:
            self.flush()

    def flush(self) -> None:
        found = _sealed(self.conn, [d for ds, _ in self.batch for d in ds])
        for ds, label in self.batch:
            if found.isdisjoint(ds) and len(self.r.violations) < MAX_LISTED:
                self.r.fail(label, self.message)
        self.batch.clear()


def _accounts(conn: Connection, tick: Progress) -> CheckResult:
    r = CheckResult("accounts", "each account is what was sealed when it was opened "
                                "(kind, owner, sponsor, region)")
    seals = _Seals(conn, r, "not the account sealed when it was opened (kind, owner, sponsor, "
                            "region or parent changed since)")
    for (aid, code, kind, owner, sponsor, admdvs, parent_id, no_negative, status,
         balance) in _rows(conn, "SELECT id, code, kind, owner, sponsor, admdvs, parent_id, "
                                 "no_negative, status, balance + (SELECT COALESCE(SUM("
                                 "t.balance), 0) FROM account_stripes t WHERE t.account_id "
                                 "= accounts.id) FROM accounts ORDER BY id"):
        r.examined += 1
        try:
            k = AccountKind(kind)
            named = account_code(k, owner=owner, sponsor=sponsor, parent_id=parent_id)
        except (ValueError, GongjiError):
            named = None
        if named != code:
            r.fail(code, f"its code does not name its kind and owner ({kind}, owner {owner}, "
                         f"sponsor {sponsor})")
        elif bool(no_negative) != KIND_RULES[k].no_negative:
            r.fail(code, "may go negative where its kind may not, or the reverse")
        if status == "closed" and int(balance) != 0:
            r.fail(code, f"closed with a balance of {balance} fen")
        # national accounts opened before 0015 had no region (NULL) when they were sealed
        seals.add(code, *(account_digest(aid, code, kind, owner, sponsor, region, parent_id,
                                         bool(no_negative))
                          for region in ((admdvs, None) if admdvs == NATIONAL else (admdvs,))))
    seals.flush()
    for row in _q(conn, """SELECT h.code FROM accounts h LEFT JOIN accounts p ON p.id = h.parent_id
                           WHERE h.kind = 'HOLD' AND (p.id IS NULL
                                 OR COALESCE(h.owner, '') <> COALESCE(p.owner, ''))
                           LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.code, "a HOLD account whose owner is not its source account's")
    sealed = _seal_count(conn, ACCOUNT_SEALS)
    if sealed > r.examined:
        r.fail("accounts", f"{sealed - r.examined} sealed account(s) no longer exist (deleted)")
    tick(r.name, r.examined)
    return r


TOMBSTONE = "reversed"
"""The operation of a key 冲正 claimed before its original (services/idempotency.py)."""


def _stored_responses(conn: Connection, tick: Progress) -> CheckResult:
    r = CheckResult("stored_responses", "every answer a retry would replay is the one sealed "
                                        "when it was stored")
    seals = _Seals(conn, r, "stored request or answer changed after it was stored (a retry "
                            "would be told something else), or never sealed")
    sealed_rows = 0
    for scope, key, operation, request_hash, request, response in _rows(
            conn, "SELECT scope, key, operation, request_hash, request, response "
                  "FROM idempotency ORDER BY scope, key"):
        r.examined += 1
        label = scrub(f"{scope} {key}")[:120]
        if operation == TOMBSTONE:
            if not _is_tombstone(request_hash, request, response):
                r.fail(label, "a 冲正 tombstone that is not one (edited)")
            continue
        sealed_rows += 1
        seals.add(label, response_digest(scope, key, operation, request_hash, request,
                                         response))
    seals.flush()
    sealed = _seal_count(conn, RESPONSE_SEALS)
    if sealed > sealed_rows:
        r.fail("idempotency", f"{sealed - sealed_rows} sealed answer(s) no longer stored "
                              "(deleted: a retry would run again)")
    tick(r.name, r.examined)
    return r


def _is_tombstone(request_hash: str, request: str, response: str | None) -> bool:
    try:
        kind = json.loads(request)["kind"]
    except (ValueError, KeyError, TypeError):
        return False
    return (request == canonical_json({"kind": kind})
            and request_hash == sha256(f"{TOMBSTONE}\n{request}".encode()).hexdigest()
            and response == canonical_json({"reversed": kind}))


# -- business records against the entries that moved their money -------------------------

SETTLEMENT = "settlement"
"""The entry code of a settlement (services/settlement); its cancel is SETTLEMENT.cancel.
The ledger does not import the capabilities above it: tests/unit/test_verify_codes.py holds
these names to theirs."""
WALLET_TRANSFER = "wallet.transfer"
"""The entry code of a wallet transfer's hold (services/transfers)."""
CONTRIBUTION_FUNDS = {"390": "FUND_POOL", "410": "FUND_LTC"}
"""The fund a contribution of each scheme goes to (services/contributions FUND)."""
FUND_FIELDS = ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay",
               "oth_pay")
"""The setlinfo's fund amounts, which sum to fund_pay_sumamt."""


def _settlements(conn: Connection, tick: Progress) -> CheckResult:
    r = CheckResult("settlements", "each settlement's state and amounts are its entries' "
                                   "(settled: not reversed; cancelled: reversed)")
    legs = _rows(conn, """
        SELECT s.setl_id, a.code, p.amount FROM settlements s
        JOIN postings p ON p.entry_id = s.entry_id JOIN accounts a ON a.id = p.account_id
        ORDER BY s.setl_id, p.idx""")
    leg = next(legs, None)
    for (setl_id, psn_no, fixmedins, home, care, medins_setl_id, status, medfee, funds,
         acct, mulaid, cash, clearing, setlinfo, entry_id, cancel_id, e_kind, e_code, e_ref,
         reversal_id, v_psn, v_inst, lines_total, claim) in _rows(conn, """
        SELECT s.setl_id, s.psn_no, s.fixmedins_code, s.insuplc_admdvs, s.mdtrtarea_admvs,
               s.medins_setl_id, s.status, s.medfee_sumamt, s.fund_pay_sumamt, s.acct_pay,
               s.acct_mulaid_pay, s.psn_cash_pay, s.clearing_amt, s.setlinfo, s.entry_id,
               s.cancel_entry_id, e.kind, e.code, e.ext_ref,
               (SELECT r.id FROM entries r WHERE r.ref_entry_id = s.entry_id
                  AND r.kind = 'reversal'),
               v.psn_no, v.fixmedins_code,
               (SELECT SUM(f.det_item_fee_sumamt) FROM fee_details f
                 WHERE f.mdtrt_id = s.mdtrt_id AND f.setl_id = s.setl_id),
               (SELECT m.state FROM medins_setl_ids m WHERE m.fixmedins_code = s.fixmedins_code
                  AND m.medins_setl_id = s.medins_setl_id)
        FROM settlements s LEFT JOIN entries e ON e.id = s.entry_id
                           LEFT JOIN visits v ON v.mdtrt_id = s.mdtrt_id
        ORDER BY s.setl_id"""):
        r.examined += 1
        moved: dict[str, int] = {}
        while leg is not None and leg[0] == setl_id:
            moved[leg[1]] = moved.get(leg[1], 0) + int(leg[2])
            leg = next(legs, None)
        if len(r.violations) >= MAX_LISTED:
            continue
        if e_kind != "transfer" or e_code != SETTLEMENT or e_ref != setl_id:
            r.fail(setl_id, f"its entry {entry_id} is not this settlement's")
        if (v_psn, v_inst) != (psn_no, fixmedins):
            r.fail(setl_id, "names another person or institution than its visit")
        if status == "settled":
            if reversal_id is not None or cancel_id is not None:
                r.fail(setl_id, f"reads settled but its entry was reversed by "
                                f"{reversal_id or cancel_id}")
            if lines_total is None or int(lines_total) != int(medfee):
                r.fail(setl_id, f"its settled fee lines total {lines_total} fen, "
                                f"medfee_sumamt says {medfee}")
        elif status == "cancelled":
            if cancel_id is None or cancel_id != reversal_id:
                r.fail(setl_id, "reads cancelled but its entry was not reversed by its cancel")
        else:
            r.fail(setl_id, f"unknown status {status}")
        if medins_setl_id is not None and claim != "settled":
            r.fail(setl_id, f"its message id is not claimed by a settlement ({claim})")
        stated = {"medfee_sumamt": medfee, "fund_pay_sumamt": funds, "acct_pay": acct,
                  "acct_mulaid_pay": mulaid, "psn_cash_pay": cash}
        for problem in _settlement_amounts(setlinfo, stated, int(clearing), psn_no, fixmedins,
                                           home, care, moved):
            r.fail(setl_id, problem)
    r.violations[MAX_LISTED:] = []
    for row in _q(conn, """
            SELECT e.id, e.code FROM entries e
            WHERE (e.code = :s AND e.kind = 'transfer'
                   AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.entry_id = e.id))
               OR (e.code = :c AND e.kind = 'reversal'
                   AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.cancel_entry_id = e.id))
            LIMIT :lim""", s=SETTLEMENT, c=f"{SETTLEMENT}.cancel", lim=MAX_LISTED):
        r.fail(row.id, f"a {row.code} entry without its settlement (money moved, no record)")
    for row in _q(conn, """SELECT entry_id, COUNT(*) AS n FROM settlements GROUP BY entry_id
                           HAVING COUNT(*) > 1 LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.entry_id, f"{row.n} settlements claim one entry")
    tick(r.name, r.examined)
    return r


def _settlement_amounts(setlinfo: str, stated: dict[str, Any], clearing: int, psn_no: str,
                        fixmedins: str, home: str, care: str,
                        moved: dict[str, int]) -> list[str]:
    """What is wrong between a settlement's columns, its stored setlinfo and its postings:
    the setlinfo's identities, and the postings its amounts make (as the settlement wrote
    them: funds, payers, cash, the institution, clearing across regions)."""
    try:
        info = json.loads(setlinfo)
        amount = {k: int(info[k]) for k in (*FUND_FIELDS, *stated, "psn_part_amt",
                                           "hosp_part_amt")}
        paid = [(str(p["kind"]), p.get("sponsor"), int(p["amount"])) for p in info["payments"]]
    except (ValueError, KeyError, TypeError) as e:
        return [f"its stored setlinfo cannot be read ({type(e).__name__})"]
    out = [f"{k} is {int(v)} fen but its setlinfo says {amount[k]}"
           for k, v in stated.items() if int(v) != amount[k]]
    if amount["fund_pay_sumamt"] != sum(amount[k] for k in FUND_FIELDS):
        out.append("fund_pay_sumamt is not the sum of the fund amounts")
    if amount["psn_part_amt"] != amount["acct_pay"] + amount["acct_mulaid_pay"] + \
            amount["psn_cash_pay"]:
        out.append("psn_part_amt is not acct_pay + acct_mulaid_pay + psn_cash_pay")
    if amount["medfee_sumamt"] != amount["fund_pay_sumamt"] + amount["psn_part_amt"] + \
            amount["hosp_part_amt"]:
        out.append("medfee_sumamt is not funds + the person's part + the institution's part")
    if amount["acct_pay"] != sum(a for k, _, a in paid if k == "own") or \
            amount["acct_mulaid_pay"] != sum(a for k, _, a in paid if k != "own"):
        out.append("acct_pay or acct_mulaid_pay is not what its payments say")
    advanced = amount["medfee_sumamt"] - amount["psn_cash_pay"] if care != home else 0
    if clearing != advanced:
        out.append(f"clearing_amt is {clearing} fen but {advanced} was advanced")
    expect: dict[str, int] = {}

    def add(code: str, fen: int) -> None:
        expect[code] = expect.get(code, 0) + fen

    add(f"FUND_POOL/{home}", -amount["hifp_pay"])
    add(f"FUND_CRITICAL/{home}", -(amount["hifmi_pay"] + amount["hifob_pay"]))
    add(f"FUND_ASSISTANCE/{home}", -amount["maf_pay"])
    for kind, sponsor, fen in paid:
        add({"own": f"PERSONAL/{psn_no}", "family": f"PERSONAL/{sponsor}"}.get(
            kind, f"WALLET_QUOTA/{psn_no}/{sponsor}"), -fen)
    add(f"CASH/{care}", -amount["psn_cash_pay"])
    add(f"INSTITUTION/{fixmedins}", amount["medfee_sumamt"])
    add(f"CLEARING/{home}", advanced)
    add(f"CLEARING/{care}", -advanced)
    expect = {k: v for k, v in expect.items() if v}
    if expect != moved:
        wrong = sorted(k for k in expect.keys() | moved.keys()
                       if expect.get(k, 0) != moved.get(k, 0))
        out.append("its entry does not move what it states: " + ", ".join(
            f"{k} {moved.get(k, 0)} fen, stated {expect.get(k, 0)}" for k in wrong[:4]))
    return out


def _transfers(conn: Connection, tick: Progress) -> CheckResult:
    r = CheckResult("transfers", "each wallet transfer is its hold: amount, sender, receiver, "
                                 "binding, state")
    r.examined = conn.execute(text("SELECT COUNT(*) FROM wallet_transfers")).scalar_one()
    for row in _q(conn, """
            SELECT t.id, h.state, t.end_reason, b.status AS binding FROM wallet_transfers t
            LEFT JOIN holds h ON h.id = t.hold_id
            LEFT JOIN entries e ON e.id = h.entry_id
            LEFT JOIN accounts src ON src.id = h.source_id
            LEFT JOIN accounts dst ON dst.id = h.dest_id
            LEFT JOIN bindings b ON b.id = t.binding_id
            WHERE h.id IS NULL OR e.code IS NULL OR e.code <> :code
               OR h.amount <> t.amount OR h.deadline <> t.deadline
               OR src.code <> 'PERSONAL/' || t.sender_psn_no
               OR dst.code <> 'WALLET_QUOTA/' || t.receiver_psn_no || '/' || t.sender_psn_no
               OR b.id IS NULL OR b.sponsor_psn_no <> t.sender_psn_no
               OR b.beneficiary_psn_no <> t.receiver_psn_no
               OR (h.state = 'voided') <> (t.end_reason IS NOT NULL)
               OR t.end_reason NOT IN ('rejected', 'cancelled', 'unbound')
            LIMIT :lim""", code=WALLET_TRANSFER, lim=MAX_LISTED):
        r.fail(row.id, f"does not match its hold ({row.state}, ended {row.end_reason}, "
                       f"binding {row.binding}): amount, deadline, accounts or state")
    for row in _q(conn, """
            SELECT h.id FROM holds h JOIN entries e ON e.id = h.entry_id
            WHERE e.code = :code
              AND NOT EXISTS (SELECT 1 FROM wallet_transfers t WHERE t.hold_id = h.id)
            LIMIT :lim""", code=WALLET_TRANSFER, lim=MAX_LISTED):
        r.fail(row.id, "a wallet transfer's hold without its transfer")
    tick(r.name, r.examined)
    return r


def _contributions(conn: Connection, tick: Progress) -> CheckResult:
    r = CheckResult("contributions", "each contribution is its entry: payer, fund, amount, "
                                     "never reversed")
    r.examined = conn.execute(text("SELECT COUNT(*) FROM contributions")).scalar_one()
    fund = "CASE c.insutype " + " ".join(
        f"WHEN '{k}' THEN '{v}/'" for k, v in CONTRIBUTION_FUNDS.items()) + " END"
    for row in _q(conn, f"""
            SELECT c.id FROM contributions c LEFT JOIN entries e ON e.id = c.entry_id
            WHERE e.id IS NULL OR e.kind <> 'transfer'
               OR e.code <> 'contribution.' || c.insutype
               OR (SELECT COUNT(*) FROM postings p WHERE p.entry_id = c.entry_id) <> 2
               OR NOT EXISTS (
                    SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id
                    WHERE p.entry_id = c.entry_id AND p.amount = -c.amount
                      AND a.code = CASE c.source
                          WHEN 'personal' THEN 'PERSONAL/' || c.payer_psn_no
                          ELSE 'WALLET_QUOTA/' || c.psn_no || '/' || c.sponsor_psn_no END)
               OR NOT EXISTS (
                    SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id
                    WHERE p.entry_id = c.entry_id AND p.amount = c.amount
                      AND a.code = {fund} || c.admdvs)
               OR EXISTS (SELECT 1 FROM entries x WHERE x.ref_entry_id = c.entry_id)
            LIMIT :lim""", lim=MAX_LISTED):  # noqa: S608 (constants only)
        r.fail(row.id, "does not match its entry (payer, fund, amount), or was reversed")
    for row in _q(conn, """
            SELECT e.id FROM entries e WHERE e.code LIKE 'contribution.%' AND e.kind = 'transfer'
              AND NOT EXISTS (SELECT 1 FROM contributions c WHERE c.entry_id = e.id)
            LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.id, "a contribution entry without its contribution")
    tick(r.name, r.examined)
    return r


def _bindings(conn: Connection, tick: Progress) -> CheckResult:
    r = CheckResult("bindings", "wallet quota is held only under an active binding")
    r.examined = conn.execute(text("SELECT COUNT(*) FROM bindings")).scalar_one()
    for row in _q(conn, """
            SELECT a.code, a.balance FROM accounts a
            WHERE a.kind = 'WALLET_QUOTA' AND a.balance <> 0 AND NOT EXISTS (
                  SELECT 1 FROM bindings b WHERE b.sponsor_psn_no = a.sponsor
                     AND b.beneficiary_psn_no = a.owner AND b.status = 'active')
            LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.code, f"holds {row.balance} fen of quota but its binding is not active "
                         "(an ended binding sends it home)")
    for row in _q(conn, """
            SELECT t.id, b.status FROM wallet_transfers t JOIN holds h ON h.id = t.hold_id
            JOIN bindings b ON b.id = t.binding_id
            WHERE h.state = 'pending' AND b.status <> 'active' LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.id, f"a transfer still pending under a binding that is {row.status} "
                       "(an ended binding returns its pending transfers)")
    tick(r.name, r.examined)
    return r


def _accumulators(conn: Connection, tick: Progress) -> CheckResult:
    """A person's accumulators (a year's deductible and fund used, a stay's) are the sum of
    their settled settlements' deltas and their approved hand claims' (which count as the
    settlements they stand for): streamed by person from three sorted queries."""
    r = CheckResult("accumulators", "each person's year and stay accumulators are the sum of "
                                    "their settled settlements")
    by = _bytewise(conn)
    deltas = _rows(conn, f"""SELECT psn_no, insutype, year, mdtrt_id, setlinfo FROM (
                                 SELECT psn_no, insutype, year, mdtrt_id, setlinfo
                                 FROM settlements WHERE status = 'settled'
                                 UNION ALL
                                 SELECT psn_no, insutype,
                                        CAST(SUBSTR(CAST(enddate AS TEXT), 1, 4) AS INTEGER),
                                        claim_id, outcome
                                 FROM claims WHERE status IN ('approved', 'paid')) d
                             ORDER BY psn_no {by}""")  # noqa: S608
    years = _rows(conn, f"""SELECT psn_no, insutype, year, name, value FROM accumulators
                            WHERE value <> 0 ORDER BY psn_no {by}""")  # noqa: S608
    stays = _rows(conn, f"""SELECT v.psn_no, s.mdtrt_id, s.name, s.value
                            FROM stay_accumulators s JOIN visits v ON v.mdtrt_id = s.mdtrt_id
                            WHERE s.value <> 0 ORDER BY v.psn_no {by}""")  # noqa: S608
    for psn_no, (settled, year_rows, stay_rows) in _merge_by_person(deltas, years, stays):
        r.examined += 1
        want: dict[tuple[Any, ...], int] = {}
        for _p, insutype, year, mdtrt_id, setlinfo in settled:
            try:
                info = json.loads(setlinfo)
                for name, v in info["year_deltas"].items():
                    yk: tuple[Any, ...] = ("year", insutype, int(year), name)
                    want[yk] = want.get(yk, 0) + int(v)
                for name, v in info["stay_deltas"].items():
                    sk: tuple[Any, ...] = ("stay", mdtrt_id, name)
                    want[sk] = want.get(sk, 0) + int(v)
            except (ValueError, KeyError, TypeError, AttributeError):
                pass  # the settlements check names an unreadable setlinfo
        have = {("year", i, int(y), n): int(v) for _p, i, y, n, v in year_rows} | \
            {("stay", m, n): int(v) for _p, m, n, v in stay_rows}
        want = {k: v for k, v in want.items() if v}
        if want != have and len(r.violations) < MAX_LISTED:
            wrong = sorted((k for k in want.keys() | have.keys()
                            if want.get(k, 0) != have.get(k, 0)), key=str)
            r.fail(psn_no, "accumulators differ from their settlements: " + ", ".join(
                f"{'/'.join(map(str, k[1:]))} {have.get(k, 0)} fen, settled "
                f"{want.get(k, 0)}" for k in wrong[:4]))
    tick(r.name, r.examined)
    return r


def _bytewise(conn: Connection) -> str:
    """ORDER BY suffix that sorts text as Python does (the three streams merge by psn_no)."""
    return 'COLLATE "C"' if conn.dialect.name == "postgresql" else ""


def _merge_by_person(*streams: Iterator[tuple[Any, ...]]
                     ) -> Iterator[tuple[str, list[list[tuple[Any, ...]]]]]:
    """Streams sorted by their first column (psn_no), grouped: (psn_no, [rows of each])."""
    heads = [next(s, None) for s in streams]
    while any(h is not None for h in heads):
        psn_no = min(h[0] for h in heads if h is not None)
        groups: list[list[tuple[Any, ...]]] = []
        for i, s in enumerate(streams):
            rows = []
            while heads[i] is not None and heads[i][0] == psn_no:  # type: ignore[index]
                rows.append(heads[i])
                heads[i] = next(s, None)
            groups.append(rows)  # type: ignore[arg-type]
        yield psn_no, groups


# -- the database's own guards -------------------------------------------------------------

APPEND_ONLY = ("entries", "postings", "audit_log")
"""The tables whose triggers refuse UPDATE and DELETE (migration 0001)."""
CHECKS_KEPT = {"accounts": ("no_negative", "NOT no_negative OR balance >= 0"),
               "postings": ("nonzero", "amount <> 0"), "holds": ("positive", "amount > 0")}
"""CHECK constraints that hold money rules, by table: (name, expression)."""


def _guards(conn: Connection, tick: Progress) -> CheckResult:
    r = CheckResult("guards", "the append-only triggers and the money CHECK constraints are "
                              "in place, as created")
    if conn.dialect.name == "postgresql":
        _pg_guards(conn, r)
    else:
        _sqlite_guards(conn, r)
    tick(r.name, r.examined)
    return r


def _sqlite_guards(conn: Connection, r: CheckResult) -> None:
    triggers = {row.name: row.sql for row in _q(
        conn, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            r.examined += 1
            name = f"{table}_no_{verb.lower()}"
            want = (f"CREATE TRIGGER {name} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
            if name not in triggers:
                r.fail(table, f"trigger {name} is gone: {verb} is no longer refused")
            elif " ".join(triggers[name].split()) != want:
                r.fail(table, f"trigger {name} was replaced: {triggers[name][:80]}")
    tables = {row.name: " ".join((row.sql or "").split()) for row in _q(
        conn, "SELECT name, sql FROM sqlite_master WHERE type = 'table'")}
    for table, (name, expr) in CHECKS_KEPT.items():
        r.examined += 1
        if f"CONSTRAINT ck_{table}_{name} CHECK ({expr})" not in tables.get(table, ""):
            r.fail(table, f"CHECK ck_{table}_{name} ({expr}) is gone")


def _pg_guards(conn: Connection, r: CheckResult) -> None:
    found = {row.relname: row for row in _q(conn, """
        SELECT c.relname, t.tgname, t.tgenabled, t.tgtype, p.proname, p.prosrc
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE NOT t.tgisinternal AND n.nspname = current_schema()
          AND t.tgname = c.relname || '_append_only'""")}
    for table in APPEND_ONLY:
        r.examined += 1
        t = found.get(table)
        # tgtype: ROW 1 | BEFORE 2 | DELETE 8 | UPDATE 16
        if t is None:
            r.fail(table, f"trigger {table}_append_only is gone: UPDATE and DELETE are no "
                          "longer refused")
        elif t.tgenabled not in ("O", "A") or int(t.tgtype) & 27 != 27 or \
                t.proname != "gongji_append_only" or "RAISE EXCEPTION" not in t.prosrc:
            r.fail(table, f"trigger {table}_append_only is disabled or replaced")
    kept = {row.conname: row.def_ for row in _q(conn, """
        SELECT con.conname, pg_get_constraintdef(con.oid) AS def_ FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE con.contype = 'c' AND con.convalidated AND n.nspname = current_schema()""")}
    for table, (name, expr) in CHECKS_KEPT.items():
        r.examined += 1
        got = kept.get(f"ck_{table}_{name}")
        if got is None or _bare(got) != _bare(f"CHECK ({expr})"):
            r.fail(table, f"CHECK ck_{table}_{name} ({expr}) is gone or changed")


def _bare(sql: str) -> str:
    """A constraint's text without parentheses and spaces (PostgreSQL adds its own)."""
    return "".join(ch for ch in sql if ch not in "() ").lower()


# -- signed checkpoints outside the database ------------------------------------------------

def _anchors(conn: Connection, anchors: Anchors) -> CheckResult:
    """Every head of the latest signed checkpoint is still in its chain, at that seq with
    that hash, and no head is behind it: with the chain walk (every record links to the one
    before, back to the first), nothing up to the checkpoint was rewritten."""
    cp = anchors.latest
    r = CheckResult("anchors", "every chain still holds the heads of the latest signed "
                               "checkpoint" + (f" (taken {cp.at})" if cp else ""))
    for back, problem in anchors.problems:
        r.fail(f"{anchors.path} (line {back} from the end)", problem)
    if cp is None:
        r.fail(anchors.path, "holds no checkpoint signed by this key")
        return r
    now = {row.chain: int(row.seq) for row in _q(conn, "SELECT chain, seq FROM audit_heads")}
    for chain, (seq, h) in sorted(cp.heads.items()):
        r.examined += 1
        if seq == 0:
            continue
        stored = conn.execute(text("SELECT hash FROM audit_log WHERE admdvs = :r "
                                   "AND chain = :c AND seq = :s"),
                              {"r": chain_region(chain), "c": chain, "s": seq}).scalar()
        if stored is None:
            r.fail(chain, f"record #{seq}, checkpointed at {cp.at}, is gone: the chain was "
                          "cut back or renumbered")
        elif stored != h:
            r.fail(chain, f"record #{seq} is not the one checkpointed at {cp.at}: the chain "
                          "up to it was rewritten")
        if now.get(chain, 0) < seq:
            r.fail(chain, f"its head is #{now.get(chain, 0)} but the checkpoint of {cp.at} "
                          f"saw #{seq}: rewound")
    return r


Check = Callable[[Connection, Progress], CheckResult]
CHECKS: tuple[Check, ...] = (_entries_balance, _account_balances, _no_negative, _conservation,
                             _holds, _reversals, _digests, _audit_chains, _accounts,
                             _settlements, _transfers, _contributions, _bindings,
                             _accumulators, _stored_responses, _guards)
"""Every check, in the order the report lists them (and anchors last, when given)."""
APART: tuple[Check, ...] = (_entries_balance, _account_balances, _audit_chains,
                            _stored_responses)
"""What the second process runs: the chain walk, the two big sums and the stored answers,
about the cost of the digest stream and the records the first one keeps."""


if __name__ == "__main__":
    _apart()
