"""Engines for the two supported databases and the one way to open a transaction.

SQLite (embedded default): WAL journal, foreign keys on, a busy timeout, synchronous=FULL so
a committed payment survives power loss, and BEGIN IMMEDIATE for writes so two writers never
deadlock upgrading a read lock. PostgreSQL: psycopg 3, READ COMMITTED; row locks come from
the ledger's guarded UPDATEs.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from gongji.domain.errors import GongjiError

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
RETRY_SECONDS = 15.0
"""How long a unit of work keeps retrying transient failures before it answers UNAVAILABLE:
a client waiting on a deadlocked counter gets a retryable answer in bounded time."""

LOCK_TIMEOUT_MS = 5000
"""PostgreSQL: the longest one statement waits for a row lock (55P03 then retries the unit
of work). A session left open on a locked row (an operator's psql) cannot hang requests."""

PG_WRITERS = int(os.environ.get("GONGJI_PG_WRITERS", 0)) or max(4, 3 * (os.cpu_count() or 1))
"""PostgreSQL: write transactions of this process in flight at once; the rest queue in order.
More only adds threads fighting for the interpreter lock and the same rows: on 2 cores, 16
settling clients at once gave 257/s with p99 155 ms, 6 at a time 285/s with p99 99 ms."""

TRANSIENT_PG_CODES = {"40001", "40P01", "55P03", "23505", "23503"}
"""Serialization failure, deadlock, lock not available, unique violation and foreign-key
violation: under READ COMMITTED a unique violation means a concurrent transaction committed
the same fact first (one binding, one contribution a year), and a foreign-key violation on a
person's row that a concurrent re-home moved the person (their first enrollment, a move) to
another region; re-running the unit of work sees it and refuses cleanly or writes the row in
the person's new region. SQLite never needs this: its writers are serialised by BEGIN
IMMEDIATE."""


def normalize_url(url: str) -> str:
    """Accept `postgresql://`, `postgres://`, `sqlite:///x.db` or a bare file path."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().absolute()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, pool_size: int = 20) -> Engine:
    url = normalize_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                               connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                             "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    if u.get_backend_name() == "postgresql":
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                             pool_pre_ping=True,
                             connect_args={"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"})
    raise ValueError(f"unsupported database URL {u.render_as_string(hide_password=True)}: "
                     "use sqlite:///FILE or postgresql://...")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite's implicit BEGIN is DEFERRED)
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=" + os.environ.get("GONGJI_SQLITE_SYNCHRONOUS", "FULL"))
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """An engine plus the transaction discipline every service call follows."""

    def __init__(self, url: str, *, pool_size: int = 20, group_commit: bool = False) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, pool_size=pool_size)
        self.dialect = self.engine.dialect.name
        self._writer_lock = FairLock(1 if self.dialect == "sqlite" else PG_WRITERS)
        """SQLite has one writer at a time. Threads of this process queue for it here, in
        order, instead of in SQLite's busy handler, which sleeps in growing steps (up to
        100 ms) and so turns a queue of writers into long tails. Other processes still
        meet the busy timeout. PostgreSQL takes PG_WRITERS at once, the rest in order."""
        self._group = (GroupCommit(self.engine, self._writer_lock)
                       if group_commit and self.dialect == "sqlite" else None)
        database = make_url(self.url).database if self.dialect == "sqlite" else None
        self._file_lock = (_FileLock(Path(database + "-writer"))
                           if database and database != ":memory:" and self._group is None
                           else None)
        """SQLite: the writers of every process on this file queue on an flock beside it
        (woken by the kernel when it is free) before BEGIN IMMEDIATE, instead of polling in
        SQLite's busy handler. Not with group commit, whose batch stays open between members
        (docs/PERFORMANCE.md)."""
        """Group commit (SQLite only; PostgreSQL already groups the WAL flushes of concurrent
        commits itself): see GroupCommit."""

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        if self._group is not None:
            with self._group.begin() as conn:
                yield conn
            return
        with self._writer(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def scratch(self) -> Iterator[Connection]:
        """A write transaction that is always rolled back (what-if computations)."""
        if self._group is not None:
            with self._group.begin(keep=False) as conn:
                yield conn
            return
        with self._writer(), self.engine.connect() as conn:
            tx = conn.begin()
            try:
                yield conn
            finally:
                tx.rollback()

    @contextmanager
    def _writer(self) -> Iterator[None]:
        lock = self._writer_lock
        if not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise OperationalError("BEGIN IMMEDIATE", None,
                                   sqlite3.OperationalError("database is locked"))
        try:
            if self._file_lock is None:
                yield
            else:
                with self._file_lock:
                    yield
        finally:
            lock.release()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction. On SQLite it does not take the write lock; on PostgreSQL it is
        REPEATABLE READ so a multi-query report sees one snapshot."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn = conn.execution_options(sqlite_begin="DEFERRED")
            else:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def retrying(self, fn: Callable[[], T], *, attempts: int = 8) -> T:
        """Run fn, retrying on deadlock, serialization failure or a locked SQLite file.

        fn must be a whole unit of work (open, do, commit), so a retry repeats it from the start.
        When the attempts or RETRY_SECONDS run out, the caller gets UNAVAILABLE, the documented
        retryable refusal, never the driver's error.
        """
        deadline = time.monotonic() + RETRY_SECONDS
        for attempt in range(attempts):
            try:
                return fn()
            except DBAPIError as exc:
                if not self.is_transient(exc):
                    raise
                if attempt == attempts - 1 or time.monotonic() >= deadline:
                    raise GongjiError("UNAVAILABLE") from exc
                time.sleep(min(0.002 * 2**attempt, 0.2))
        raise AssertionError("unreachable")

    def is_transient(self, exc: DBAPIError) -> bool:
        orig = exc.orig
        if isinstance(orig, sqlite3.OperationalError):  # SQLite's, or a wait for a writer slot
            return "database is locked" in str(orig) or "database is busy" in str(orig)
        return getattr(orig, "sqlstate", None) in TRANSIENT_PG_CODES

    def dispose(self) -> None:
        self.engine.dispose()


class _Batch:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tx = conn.begin()
        self.members = 0
        self.done = threading.Event()
        self.error: BaseException | None = None


class _FileLock:
    """An exclusive flock on a file beside the database: one writer of all processes at a
    time, the others asleep in the kernel until it is free. The kernel drops it with the
    process, so a crashed writer holds nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> None:
        if self._fd is None or self._pid != os.getpid():  # a forked worker opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_UN)


class FairLock:
    """A lock (or with slots > 1, a semaphore) that goes to its waiters in the order they
    came. threading.Lock does not: a thread that releases and asks again often wins, and a
    queue of sixteen writers gets a long tail. Release hands the slot straight to the oldest
    waiter."""

    __slots__ = ("_free", "_guard", "_slots", "_waiters")

    def __init__(self, slots: int = 1) -> None:
        self._guard = threading.Lock()
        self._slots = slots
        self._free = slots
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, timeout: float = -1) -> bool:
        with self._guard:
            if self._free > 0:
                self._free -= 1
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(None if timeout < 0 else timeout):
            return True
        with self._guard:
            if turn.is_set():  # handed over just as the wait ran out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._guard:
            if self._free >= self._slots:
                raise RuntimeError("release of a FairLock that is not held")
            if self._waiters:
                self._waiters.popleft().set()  # still taken: now by the oldest waiter
            else:
                self._free += 1


class GroupCommit:
    """Writers of this process that queue for SQLite's one write lock share one transaction,
    each inside its own SAVEPOINT; the last one in the queue commits for all (one WAL append
    and one fsync for the batch) and only then does any of them return. A unit of work that
    raises rolls back to its savepoint and leaves the others alone; a failed commit fails
    every member, and each retries from the start (nothing of the batch was written). A
    writer with no one queued behind it commits at once: no wait is ever added."""

    MAX_MEMBERS = 64

    def __init__(self, engine: Engine, lock: FairLock) -> None:
        self.engine = engine
        self.lock = lock
        self.count_lock = threading.Lock()
        self.waiting = 0
        self.batch: _Batch | None = None
        self.batches = 0
        self.members = 0
        """Committed batches and the units of work in them (members / batches = mean size)."""

    @contextmanager
    def begin(self, *, keep: bool = True) -> Iterator[Connection]:
        """keep=False: a what-if unit of work, always rolled back to its savepoint."""
        with self.count_lock:
            self.waiting += 1
        self.lock.acquire()
        with self.count_lock:
            self.waiting -= 1
        batch = self.batch
        if batch is None:
            batch = self.batch = _Batch(self.engine.connect())
        savepoint = batch.conn.begin_nested()
        member = False
        try:
            yield batch.conn
            if keep:
                savepoint.commit()
                batch.members += 1
                member = True
        finally:
            if not member:
                try:
                    savepoint.rollback()
                except BaseException as e:  # the shared transaction is unusable: fail it
                    batch.error = e
            self._settle(batch, member=member)

    def _settle(self, batch: _Batch, *, member: bool) -> None:
        if self.waiting > 0 and batch.members < self.MAX_MEMBERS:
            self.lock.release()  # the next writer joins this transaction
        else:
            self.batch = None
            try:
                batch.tx.commit()
                self.batches += 1
                self.members += batch.members
            except BaseException as e:
                batch.error = e
            finally:
                batch.conn.close()
                self.lock.release()
                batch.done.set()
        if member:
            batch.done.wait()
            if batch.error is not None:
                raise batch.error
