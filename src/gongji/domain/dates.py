"""The calendar window every date gongji takes must lie in: 1900-01-01 to 2099-12-31.

No enrollment, filing, settlement or statement of China's medical insurance falls outside it,
and inside it date arithmetic (a month on, a Shanghai day turned into UTC, the day after a
period) cannot run off the ends of Python's calendar (years 1 to 9999). Entrypoints check
their input against it, and rules that compute dates refuse a result outside it, so a far
date is a field error, never a crash.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import GongjiError

EARLIEST = date(1900, 1, 1)
LATEST = date(2099, 12, 31)


def out_of_range(field: Any, value: str) -> GongjiError:
    """The refusal for a date outside the window (value as the caller wrote it, cut short)."""
    return GongjiError("DATE_OUT_OF_RANGE", field=field, value=value[:40],
                       earliest=EARLIEST.isoformat(), latest=LATEST.isoformat())


def check_day(day: date, field: Any = "date") -> date:
    """The day itself when it lies in the window; DATE_OUT_OF_RANGE otherwise."""
    if not EARLIEST <= day <= LATEST:
        raise out_of_range(field, day.isoformat())
    return day


def check_moment(at: datetime, field: Any = "time") -> datetime:
    """An aware moment whose date lies in the window, both as written and in Shanghai (the
    first check keeps the conversion itself from overflowing)."""
    if not EARLIEST <= at.date() <= LATEST:
        raise out_of_range(field, at.isoformat())
    if at.tzinfo is not None and not EARLIEST <= at.astimezone(SHANGHAI).date() <= LATEST:
        raise out_of_range(field, at.isoformat())
    return at


def month_span(month: str, field: Any = "month") -> tuple[date, date]:
    """"2026-11" -> (2026-11-01, 2026-12-01): a month of the window and the first day after
    it. A text that is no YYYY-MM is VALIDATION_ERROR; a month outside the window,
    DATE_OUT_OF_RANGE."""
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month):
        raise GongjiError("VALIDATION_ERROR", fields=f"{field} (YYYY-MM)")
    year, mon = int(month[:4]), int(month[5:])
    if not EARLIEST.year <= year <= LATEST.year:
        raise out_of_range(field, month)
    first = date(year, mon, 1)
    return first, date(year + (mon == 12), mon % 12 + 1, 1)
