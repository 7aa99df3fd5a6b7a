"""Like-for-like yardsticks: what the database does with gongji's own statements.

- *Replay*: every statement one gongji operation sent to the driver (SELECTs included, with
  the very parameters), captured while the service ran, then replayed through the bare
  driver (sqlite3 or psycopg), one transaction per operation, on a copy of the database as it
  was before the capture. The gap between gongji and its replay is what gongji spends outside
  the database: building statements, binding, reading rows, the rules.
- *Minimal write set*: only the rows an operation must write (its INSERTs and UPDATEs, in the
  order it first issued each statement), each distinct statement sent once with executemany,
  in one transaction. What a hand-written writer of the same rows would cost.

Both run as closed loops over a fixed list of captured operations (a client stops when its
share is replayed), at each client count, on a fresh copy each time (a replay inserts rows
whose keys must not exist yet).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from gongji.benchmark.figures import Figures, Operation, closed_loop
from gongji.store.db import LOCK_TIMEOUT_MS, SQLITE_BUSY_TIMEOUT_MS


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: Any
    many: bool

    @property
    def writes(self) -> bool:
        head = self.sql.lstrip()[:7].upper()
        return head.startswith(("INSERT", "UPDATE", "DELETE"))

    @property
    def begins(self) -> bool:
        return self.sql.lstrip()[:5].upper() == "BEGIN"


Captured = list[Statement]
"""The statements of one operation, in the order they were sent."""


class Capture:
    """Records, per thread, the statements an operation sends to the driver."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
              executemany: bool) -> None:
        into = getattr(self._local, "into", None)
        if into is not None:
            into.append(Statement(statement, parameters, executemany))

    def run(self, op: Operation) -> Captured:
        """Do one operation and return what it sent."""
        self._local.into = []
        try:
            op()
            out: Captured = self._local.into
            return out
        finally:
            self._local.into = None

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def capture(engine: Engine, op: Operation, count: int) -> list[Captured]:
    """`count` operations done one after another, each with the statements it sent."""
    c = Capture(engine)
    try:
        return [c.run(op) for _ in range(count)]
    finally:
        c.close()


def minimal(ops: Sequence[Captured]) -> list[Captured]:
    """Each operation's writes only, each distinct statement once with all its rows
    (executemany), in the order the operation first used it."""
    out: list[Captured] = []
    for op in ops:
        grouped: dict[str, list[Any]] = {}
        for s in op:
            if not s.writes:
                continue
            rows = grouped.setdefault(s.sql, [])
            rows.extend(s.params if s.many else [s.params])
        out.append([Statement(sql, rows, True) for sql, rows in grouped.items()])
    return out


# -- the bare drivers -------------------------------------------------------------------------

class _Sqlite:
    """sqlite3 as gongji configures it (WAL, synchronous=FULL, foreign keys, BEGIN IMMEDIATE,
    and threads queueing for the one writer in order, as gongji's Database does)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer = threading.Lock()

    def connect(self) -> Any:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL",
                       f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    def transaction(self, conn: Any, op: Captured) -> None:
        """One operation: its own BEGINs as they came (a read before the write, say), or
        BEGIN IMMEDIATE when it sent none; COMMIT at each next BEGIN and at the end."""
        with self.writer:
            open_ = not (op and op[0].begins)
            if open_:
                conn.execute("BEGIN IMMEDIATE")
            for s in op:
                if s.begins:
                    if open_:
                        conn.execute("COMMIT")
                    conn.execute(s.sql)
                    open_ = True
                    continue
                cur = conn.executemany(s.sql, s.params) if s.many else \
                    conn.execute(s.sql, s.params or ())
                if cur.description is not None:
                    cur.fetchall()
            if open_:
                conn.execute("COMMIT")


class _Postgres:
    def __init__(self, url: str) -> None:
        self.url = url

    def connect(self) -> Any:
        import psycopg

        conn = psycopg.connect(_libpq(self.url), options=f"-c lock_timeout={LOCK_TIMEOUT_MS}")
        return conn

    def transaction(self, conn: Any, op: Captured) -> None:
        with conn.cursor() as cur:
            for s in op:
                if s.begins:
                    continue
                if s.many:
                    cur.executemany(s.sql, s.params)
                else:
                    cur.execute(s.sql, s.params or None)
                if cur.description is not None:
                    cur.fetchall()
        conn.commit()


def _libpq(url: str) -> str:
    """postgresql+psycopg://... as a libpq URL."""
    return "postgresql://" + url.split("://", 1)[1]


def replay_loop(name: str, database: str, target: str, ops: Sequence[Captured], clients: int,
                persons: int | None = None, *, group: int = 1) -> Figures:
    """Replay `ops` (split among `clients` threads, each in its share's order) through the
    bare driver on the database at `target` (a SQLite file path or a PostgreSQL URL).

    Each `group` consecutive operations stay with one client, in order: a workload whose
    operations build on each other (a sponsor's three transfers of a day, the first of which
    opens the accounts the others use) names its group size, as its service clients keep
    their own persons."""
    driver: _Sqlite | _Postgres = _Sqlite(Path(target)) if database == "sqlite" else \
        _Postgres(target)
    groups = [ops[j:j + group] for j in range(0, len(ops), group)]

    def make(i: int) -> Operation:
        mine = iter([op for g in groups[i::clients] for op in g])
        conn = driver.connect()

        def op() -> None:
            one = next(mine)  # StopIteration: this client's share is done
            try:
                driver.transaction(conn, one)
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback() if database == "postgresql" else conn.execute("ROLLBACK")
                raise

        return op

    return closed_loop(name, database, clients, 3600.0, make, warmup=0.0, persons=persons)


# -- copies of the database as it was before the capture --------------------------------------

@contextlib.contextmanager
def sqlite_copy(source: Path, name: str) -> Iterator[str]:
    """A copy of a SQLite database, taken with SQLite's own backup API. Never a file copy:
    closing any other descriptor of a database file drops the POSIX locks SQLite holds on it
    in this process, and a connection that then believes it is the last one can truncate a
    WAL that other processes still use."""
    target = source.with_name(f"{source.stem}-{name}.db")
    with contextlib.closing(sqlite3.connect(source)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    try:
        yield str(target)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)


def postgres_copy(create: Callable[[str, str], str], drop: Callable[[str], None], template: str,
                  name: str) -> contextlib.AbstractContextManager[str]:
    """A database made from `template` (CREATE DATABASE ... TEMPLATE), dropped afterwards."""
    @contextlib.contextmanager
    def made() -> Iterator[str]:
        url = create(name, template)
        try:
            yield url
        finally:
            drop(name)

    return made()
