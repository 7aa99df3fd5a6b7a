"""The sandbox payment channel: a stand-in for a real mixed-payment channel (医保+自费 混合支付)
that keeps its own book in the database (sandbox_cash), so its answers survive a restart and
agree across the processes serving one database.

How it answers a new payment, first rule that applies:

1. a marker in the order's description, `[sandbox:fail]` (or pay, timeout, late): per order;
2. the next queued outcome, `next_outcome(app, "timeout")`: kept in the database, taken by the
   next new payment of any process serving it (tests, the demo, an operator);
3. the channel's mode, `channel.set_mode("late")`: this process, every payment until changed;
   "pay" at first.

pay -> paid; fail -> failed; timeout -> unknown, and query() then says failed (the money never
arrived); late -> unknown, and query() then says paid (it arrived late).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from gongji.domain.clock import Clock, SystemClock
from gongji.services.cashpay import store
from gongji.services.cashpay.model import SANDBOX_MODES, BookEntry, ChannelResult
from gongji.store.db import Database

MARKER = re.compile(r"\[sandbox:(pay|fail|timeout|late)\]")
"""A per-order choice in the payment's description."""

_ANSWER = {"pay": "paid", "fail": "failed", "timeout": "lost", "late": "late"}
"""The outcome booked for each mode."""


class _Services(Protocol):
    db: Database
    clock: Clock


def _check(mode: str) -> str:
    if mode not in SANDBOX_MODES:
        raise ValueError(f"sandbox cash mode must be one of {', '.join(SANDBOX_MODES)}")
    return mode


def _parts(db_or_app: Database | _Services) -> tuple[Database, Clock | None]:
    if isinstance(db_or_app, Database):
        return db_or_app, None
    return db_or_app.db, db_or_app.clock


class SandboxChannel:
    name = "sandbox"

    def __init__(self, db_or_app: Database | _Services, clock: Clock | None = None) -> None:
        self._source = db_or_app
        self._clock = clock
        self._mode = "pay"
        self._lock = threading.Lock()

    @property
    def db(self) -> Database:
        return _parts(self._source)[0]

    def _now(self) -> datetime:
        clock = self._clock or _parts(self._source)[1] or SystemClock()
        return clock.now()

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        """How this process's channel answers new payments without a marker or a queued
        outcome (pay, fail, timeout, late)."""
        with self._lock:
            self._mode = _check(mode)

    def pay(self, request_id: str, amount: int, *, pay_ord_id: str,
            description: str) -> ChannelResult:
        _amount(amount)
        marked = MARKER.search(description)

        def work() -> ChannelResult:
            with self.db.begin() as conn:
                kept = store.book_entry(conn, request_id)
                if kept is not None:
                    if kept.kind != "pay" or kept.amount != amount:
                        raise ValueError("request_id already used for another request")
                    return _final(kept)
                mode = marked.group(1) if marked else None
                if mode is None:
                    store.lock_outcomes(conn)
                    queued = store.queued_outcomes(conn)
                    if queued:
                        mode = queued.pop(0)
                        store.keep_outcomes(conn, queued, now=self._now())
                entry = BookEntry(request_id, "pay", amount, _ANSWER[mode or self._mode],
                                  self._now())
                store.book(conn, entry)
                return _first(entry)

        return _once(self.db, work)

    def refund(self, request_id: str, original_request_id: str, amount: int) -> ChannelResult:
        _amount(amount)

        def work() -> ChannelResult:
            with self.db.begin() as conn:
                store.lock_entry(conn, original_request_id)  # then read: a twin waits here
                kept = store.book_entry(conn, request_id)
                if kept is not None:
                    if kept.kind != "refund":
                        raise ValueError("request_id already used for another request")
                    return _final(kept)
                paid = store.book_entry(conn, original_request_id)
                if paid is None or paid.kind != "pay" or \
                        paid.outcome not in ("paid", "late", "refunded"):
                    return ChannelResult("failed", None, "nothing paid to refund")
                given = store.refunded(conn, original_request_id)
                if given + amount > paid.amount:
                    return ChannelResult("failed", None, "more than was paid")
                if given + amount == paid.amount:
                    store.set_outcome(conn, original_request_id, "refunded")
                entry = BookEntry(request_id, "refund", amount, "paid", self._now(),
                                  original_request_id)
                store.book(conn, entry)
                return _final(entry)

        return _once(self.db, work)

    def query(self, request_id: str) -> ChannelResult:
        with self.db.read() as conn:
            kept = store.book_entry(conn, request_id)
        if kept is None:
            return ChannelResult("failed", None, "no such request")
        return _final(kept)


def _once(db: Database, work: Callable[[], ChannelResult]) -> ChannelResult:
    """Run a request; when the same request_id was booked meanwhile by a concurrent call (a
    duplicate key on PostgreSQL), run it again: it then answers what was booked."""
    try:
        return db.retrying(work)
    except IntegrityError:
        return db.retrying(work)


def _amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError("amount must be a positive integer of fen")


def _ref(entry: BookEntry) -> str:
    return f"sbx-{entry.request_id}"[:64]


def _first(entry: BookEntry) -> ChannelResult:
    """The answer when the request is first made."""
    if entry.outcome in ("lost", "late"):
        return ChannelResult("unknown", None, "no answer (sandbox)")
    return _final(entry)


def _final(entry: BookEntry) -> ChannelResult:
    """The answer to a query, or to the same request made again."""
    if entry.outcome in ("paid", "late", "refunded"):
        return ChannelResult("paid", _ref(entry))
    if entry.outcome == "lost":
        return ChannelResult("failed", None, "never arrived (sandbox)")
    return ChannelResult("failed", None, "declined (sandbox)")


def next_outcome(db_or_app: Database | _Services, *modes: str) -> None:
    """Queue how the sandbox answers the next new payments without a marker, in order (any
    process serving this database takes them); with no mode, clear the queue."""
    for m in modes:
        _check(m)
    db, clock = _parts(db_or_app)
    now = (clock or SystemClock()).now()

    def work() -> None:
        with db.begin() as conn:
            store.lock_outcomes(conn)
            queued = store.queued_outcomes(conn) if modes else []
            store.keep_outcomes(conn, [*queued, *modes], now=now)

    db.retrying(work)
