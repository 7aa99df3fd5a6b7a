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

from sqlalchemy import Connection, text

from gongji.domain.clock import UTC
from gongji.ledger.audit import GENESIS, utc_iso

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
           workers: int = 1) -> VerifyReport:
    """Run every check on conn's snapshot.

    With url and workers > 1, the work is split in two processes of about equal cost: this
    one streams the entry digests; a second one walks the audit chains and runs the two
    big sums (entries, balances). On PostgreSQL the second process reads the same snapshot
    (pg_export_snapshot); on SQLite it reads its own, which is enough: each check is
    self-contained, so a write committed in between cannot make one report a false
    violation.
    """
    tick: Progress = progress or (lambda _name, _n: None)
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
    r = CheckResult("balances", "every account's balance equals the sum of its postings")
    r.examined = conn.execute(text("SELECT COUNT(*) FROM accounts")).scalar_one()
    for row in _q(conn, """
            SELECT a.id, a.code, a.balance, COALESCE(s.total, 0) AS total
            FROM accounts a LEFT JOIN (SELECT account_id, SUM(amount) AS total
                                       FROM postings GROUP BY account_id) s
                 ON s.account_id = a.id
            WHERE a.balance <> COALESCE(s.total, 0) LIMIT :lim""", lim=MAX_LISTED):
        r.fail(row.code, f"balance {row.balance} fen but postings sum to {row.total} fen")
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
    total = conn.execute(text("SELECT COALESCE(SUM(balance), 0) FROM accounts")).scalar_one()
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


Check = Callable[[Connection, Progress], CheckResult]
CHECKS: tuple[Check, ...] = (_entries_balance, _account_balances, _no_negative, _conservation,
                             _holds, _reversals, _digests, _audit_chains)
"""Every check, in the order the report lists them."""
APART: tuple[Check, ...] = (_entries_balance, _account_balances, _audit_chains)
"""What the second process runs: the chain walk and the two big sums, about the cost of the
digest stream the first one keeps."""


if __name__ == "__main__":
    _apart()
