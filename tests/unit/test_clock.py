from datetime import datetime, time, timedelta

import pytest

from gongji.domain.clock import (
    SHANGHAI,
    UTC,
    FixedClock,
    OffsetClock,
    SystemClock,
    aware,
    business_date,
    display,
    in_window,
    next_at,
    shanghai,
    start_of_day,
)

SIX = time(6, 0)
TWENTY_TWO = time(22, 0)


@pytest.mark.parametrize(("at", "expected"), [
    (shanghai(2026, 11, 24, 21, 0, 0), shanghai(2026, 11, 25, 6, 0, 0)),
    (shanghai(2026, 11, 24, 23, 59, 59), shanghai(2026, 11, 25, 6, 0, 0)),
    (shanghai(2026, 11, 25, 0, 0, 0), shanghai(2026, 11, 25, 6, 0, 0)),
    (shanghai(2026, 11, 25, 5, 59, 59), shanghai(2026, 11, 25, 6, 0, 0)),
    (shanghai(2026, 11, 25, 6, 0, 0), shanghai(2026, 11, 26, 6, 0, 0)),  # strictly after
    (shanghai(2026, 11, 25, 6, 0, 1), shanghai(2026, 11, 26, 6, 0, 0)),
    (shanghai(2026, 12, 31, 21, 59, 59), shanghai(2027, 1, 1, 6, 0, 0)),
])
def test_next_six_oclock(at: datetime, expected: datetime) -> None:
    assert next_at(at, SIX) == expected


def test_next_at_works_from_any_zone() -> None:
    # 2026-11-24 21:59:59 UTC is 2026-11-25 05:59:59 in Shanghai: next 06:00 is one second on
    assert next_at(datetime(2026, 11, 24, 21, 59, 59, tzinfo=UTC), SIX) == \
        shanghai(2026, 11, 25, 6, 0, 0)


@pytest.mark.parametrize(("at", "inside"), [
    (shanghai(2026, 11, 24, 21, 59, 59), False),
    (shanghai(2026, 11, 24, 22, 0, 0), True),
    (shanghai(2026, 11, 24, 23, 59, 59), True),
    (shanghai(2026, 11, 25, 0, 0, 0), True),
    (shanghai(2026, 11, 25, 5, 59, 59), True),
    (shanghai(2026, 11, 25, 6, 0, 0), False),
    (shanghai(2026, 11, 25, 12, 0, 0), False),
])
def test_closed_hours_window_wraps_midnight(at: datetime, inside: bool) -> None:
    assert in_window(at, TWENTY_TWO, SIX) is inside


def test_daytime_window() -> None:
    assert in_window(shanghai(2026, 1, 1, 9, 0, 0), time(9), time(17))
    assert not in_window(shanghai(2026, 1, 1, 17, 0, 0), time(9), time(17))
    assert not in_window(shanghai(2026, 1, 1, 8, 59, 59), time(9), time(17))


def test_business_day_is_shanghai_day_not_utc_day() -> None:
    # 16:00:00 UTC is midnight in Shanghai: a new business day begins exactly there
    before = datetime(2026, 11, 24, 15, 59, 59, tzinfo=UTC)
    after = datetime(2026, 11, 24, 16, 0, 0, tzinfo=UTC)
    assert business_date(before).isoformat() == "2026-11-24"
    assert business_date(after).isoformat() == "2026-11-25"
    assert start_of_day(after) == shanghai(2026, 11, 25)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        aware(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))  # noqa: DTZ001


def test_fixed_clock_moves_only_when_told() -> None:
    c = FixedClock(shanghai(2026, 11, 24, 21, 59, 59))
    assert c.now() == c.now() == shanghai(2026, 11, 24, 21, 59, 59)
    assert c.advance(timedelta(seconds=1)) == shanghai(2026, 11, 24, 22, 0, 0)
    c.set(datetime(2026, 1, 1, tzinfo=UTC))
    assert c.now() == shanghai(2026, 1, 1, 8, 0, 0)
    assert c.now().tzinfo == SHANGHAI


def test_offset_clock_keeps_ticking_from_where_it_was_set() -> None:
    base = FixedClock(shanghai(2026, 11, 24, 10, 0, 0))
    c = OffsetClock(base=base)
    c.set(shanghai(2026, 11, 24, 21, 59, 59))
    assert c.now() == shanghai(2026, 11, 24, 21, 59, 59)
    base.advance(timedelta(seconds=2))
    assert c.now() == shanghai(2026, 11, 24, 22, 0, 1)
    c.advance(timedelta(hours=8))
    assert c.now() == shanghai(2026, 11, 25, 6, 0, 1)


def test_system_clock_is_aware_shanghai() -> None:
    now = SystemClock().now()
    assert now.tzinfo == SHANGHAI
    assert display(shanghai(2026, 11, 24, 22, 0, 0)) == "2026-11-24 22:00:00"
