"""Business time: Asia/Shanghai, read through one injectable clock.

Every rule that speaks of a day, of 22:00-06:00 or of "the next 06:00" asks these helpers,
never the system. Tests and the sandbox swap in a FixedClock or an OffsetClock.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current business time, timezone-aware, in Asia/Shanghai."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.fromtimestamp(_time.time(), SHANGHAI)


class FixedClock:
    """A clock that stands still until told to move (tests, sandbox test clocks)."""

    def __init__(self, at: datetime) -> None:
        self._at = aware(at)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = aware(at)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._at = self._at + delta
            return self._at


class OffsetClock:
    """Wall time shifted by an offset: a sandbox clock that keeps ticking after being set."""

    def __init__(self, offset: timedelta = timedelta(0), base: Clock | None = None) -> None:
        self.offset = offset
        self._base = base or SystemClock()

    def now(self) -> datetime:
        return (self._base.now() + self.offset).astimezone(SHANGHAI)

    def set(self, at: datetime) -> None:
        self.offset = aware(at) - self._base.now()

    def advance(self, delta: timedelta) -> datetime:
        self.offset += delta
        return self.now()


def aware(at: datetime) -> datetime:
    """Refuse naive datetimes (they are how time-zone bugs start); express in Shanghai time."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime: business time must carry a time zone")
    return at.astimezone(SHANGHAI)


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
             second: int = 0) -> datetime:
    """A Shanghai wall-clock moment (convenient in rules, policy data and tests)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def display(at: datetime) -> str:
    """Shanghai wall time as people read it: 2026-11-24 22:00:00."""
    return aware(at).strftime("%Y-%m-%d %H:%M:%S")


def business_date(at: datetime) -> date:
    """The calendar day in Asia/Shanghai that `at` falls on."""
    return aware(at).date()


def start_of_day(at: datetime) -> datetime:
    d = business_date(at)
    return datetime(d.year, d.month, d.day, tzinfo=SHANGHAI)


def next_at(at: datetime, wall: time) -> datetime:
    """The first moment strictly after `at` whose Shanghai wall time is `wall`.

    "Returned by 06:00 the next day" for a transfer sent at 21:00 is next_at(21:00, 06:00),
    i.e. tomorrow 06:00; sent at 05:00 (had the window allowed it) it would be today 06:00.
    """
    local = aware(at)
    candidate = datetime.combine(local.date(), wall, tzinfo=SHANGHAI)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), wall, tzinfo=SHANGHAI)
    return candidate


def in_window(at: datetime, start: time, end: time) -> bool:
    """Whether Shanghai wall time of `at` lies in [start, end); windows may wrap midnight.

    in_window(22:00:00, 22:00, 06:00) is True; 21:59:59 and 06:00:00 are False.
    """
    t = aware(at).timetz().replace(tzinfo=None)
    if start <= end:
        return start <= t < end
    return t >= start or t < end
