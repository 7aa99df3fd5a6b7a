"""Sandbox test clock: an operator sets or advances business time (never backwards), so a
vendor can try 21:59 -> 22:00 -> next 06:00 without waiting. Due holds are returned at once.
The clock's position is kept in the database, so a restarted demo resumes where it was."""

from __future__ import annotations

from datetime import datetime, timedelta

from gongji.domain.clock import (
    SHANGHAI,
    Clock,
    FixedClock,
    OffsetClock,
    SystemClock,
    aware,
    display,
)
from gongji.domain.errors import GongjiError
from gongji.services.access import require_operator
from gongji.services.door import door
from gongji.services.ledger.service import sweep_expired
from gongji.services.runtime import Gongji, Key
from gongji.services.sandbox import store
from gongji.services.sandbox.model import MAX_ADVANCE_SECONDS
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork
from gongji.store.db import Database


class SharedClock:
    """The sandbox clock of every process serving one database (`serve --workers N`): real
    time shifted by the offset kept in the database, read again at each reading, so a move
    made through one worker is what all of them read next. Only in the sandbox: one small
    read per unit of work."""

    def __init__(self, db: Database, base: Clock | None = None) -> None:
        self.db = db
        self._base = base or SystemClock()
        self.offset = timedelta(0)

    def now(self) -> datetime:
        with self.db.read() as conn:
            kept = store.stored_clock(conn)
        if kept is not None and kept.offset_us is not None:
            self.offset = timedelta(microseconds=kept.offset_us)
        return (self._base.now() + self.offset).astimezone(SHANGHAI)

    def set(self, at: datetime) -> None:
        self.offset = aware(at) - self._base.now()

    def advance(self, delta: timedelta) -> datetime:
        self.offset += delta
        return self.now()


def _clock(app: Gongji) -> FixedClock | OffsetClock | SharedClock:
    if not app.sandbox or not isinstance(app.clock, FixedClock | OffsetClock | SharedClock):
        raise GongjiError("SANDBOX_ONLY")
    return app.clock


@door
def now(app: Gongji, who: Principal) -> datetime:
    require_operator(who)
    _clock(app)
    return app.clock.now()


@door
def move(app: Gongji, who: Principal, *, to: datetime | None = None,
         seconds: int | None = None) -> tuple[datetime, list[str]]:
    """Set (to) or advance (seconds) the test clock; returns the new time and the ids of the
    holds that came due and were returned."""
    require_operator(who)
    return _move(app, to=to, seconds=seconds)


def _move(app: Gongji, *, to: datetime | None = None, seconds: int | None = None
          ) -> tuple[datetime, list[str]]:
    clock = _clock(app)
    current = clock.now()
    target = aware(to) if to is not None else current + timedelta(seconds=seconds or 0)
    if target < current:
        raise GongjiError("CLOCK_BACKWARDS", now=display(current))
    clock.set(target)
    _remember(app, target, clock)
    return clock.now(), sweep_expired(app)


@door
def move_once(app: Gongji, who: Principal, key: Key, *, to: datetime | None = None,
              seconds: int | None = None) -> tuple[datetime, list[str], bool]:
    """move() for a form: the target time is fixed under the idempotency key first (and the
    move audited), so a form submitted twice moves the clock once. Returns the time now, the
    holds returned, and whether this was a replay of an earlier move."""
    require_operator(who)
    _clock(app)
    if (to is None) == (seconds is None):
        raise GongjiError("VALIDATION_ERROR", fields="set or advance_seconds (exactly one)")
    if seconds is not None and not 1 <= seconds <= MAX_ADVANCE_SECONDS:
        raise GongjiError("VALIDATION_ERROR", fields="advance_seconds (1 to 366 days)")

    def fix(uow: UnitOfWork) -> datetime:
        target = aware(to) if to is not None else uow.now + timedelta(seconds=seconds or 0)
        if target < uow.now:
            raise GongjiError("CLOCK_BACKWARDS", now=display(uow.now))
        uow.record("sandbox.clock", detail={"from": uow.now.isoformat(),
                                            "to": target.isoformat()})
        return target

    w = app.write(who, key=key, operation="sandbox.move",
                  request={"set": to.isoformat() if to else None, "advance_seconds": seconds},
                  fn=fix, result_type=datetime)
    if w.replayed:
        return app.clock.now(), [], True
    now, returned = _move(app, to=max(w.value, app.clock.now()))
    return now, returned, False


def resume(app: Gongji, default: datetime) -> datetime:
    """Start the sandbox clock where the last run left it (never before the latest entry), or
    at `default` on a fresh database."""
    clock = _clock(app)

    def last(uow: UnitOfWork) -> datetime | None:
        kept = store.stored_clock(uow.conn)
        times = [t for t in (kept.at if kept else None, store.latest_entry_at(uow.conn)) if t]
        return max(times) if times else None

    at = app.read(last) or default
    clock.set(at.astimezone(SHANGHAI))
    _remember(app, at, clock)
    return clock.now()


def keep(app: Gongji) -> None:
    """Remember where the ticking clock is now (at shutdown, and now and then while serving),
    so a restart resumes where it stopped rather than where it was last set."""
    if app.sandbox and isinstance(app.clock, FixedClock | OffsetClock | SharedClock):
        _remember(app, app.clock.now(), app.clock)


def _remember(app: Gongji, at: datetime, clock: FixedClock | OffsetClock | SharedClock
              ) -> None:
    """Keep the clock's position, so a restarted demo resumes there, and its offset from real
    time, so every worker reads the same time."""
    offset = getattr(clock, "offset", timedelta(0))
    offset_us = (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds
    app.transact(SYSTEM, lambda uow: store.keep_clock(uow.conn, at, offset_us, now=uow.now))
