"""The calendar window (domain/dates.py) and the date rules that compute with it: defined for
every input, refusing with DATE_OUT_OF_RANGE, never an assertion or an overflow."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.domain.clock import SHANGHAI
from gongji.domain.dates import EARLIEST, LATEST, check_day, check_moment, month_span
from gongji.domain.errors import GongjiError
from gongji.domain.filing import add_months, check_filing


@given(day=st.dates(), months=st.integers(min_value=-200_000, max_value=200_000))
def test_add_months_is_total(day: date, months: int) -> None:
    """Every day Python knows and any count of months: a date in the window, or the refusal
    (9999-12-31 + 6 months used to fail an `unreachable` assertion)."""
    try:
        got = add_months(day, months)
    except GongjiError as e:
        assert e.code == "DATE_OUT_OF_RANGE"
        total = day.year * 12 + day.month - 1 + months
        assert not EARLIEST.year * 12 <= total <= LATEST.year * 12 + 11
        return
    assert EARLIEST <= got <= LATEST
    assert (got.year * 12 + got.month) - (day.year * 12 + day.month) == months
    assert got.day == day.day or (got.day < day.day and (got + timedelta(days=1)).day == 1)


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2026, 11, 24), 6, date(2027, 5, 24)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
])
def test_add_months_keeps_the_day_or_takes_the_last(day: date, months: int,
                                                    expected: date) -> None:
    assert add_months(day, months) == expected


def test_a_temporary_filing_at_the_end_of_the_window_is_refused_by_its_end() -> None:
    with pytest.raises(GongjiError) as far:
        check_filing("referral", date(9999, 12, 31), date(9999, 12, 31),
                     today=date(2026, 11, 24), temporary_min_months=6)
    assert far.value.code == "DATE_OUT_OF_RANGE" and far.value.params["field"] == "begndate"
    with pytest.raises(GongjiError) as late:
        check_filing("referral", LATEST, None, today=date(2026, 11, 24),
                     temporary_min_months=6)
    assert late.value.code == "DATE_OUT_OF_RANGE" and late.value.params["field"] == "enddate"
    assert "2099-12-31" in late.value.message and "2099-12-31" in late.value.message_en
    assert check_filing("referral", date(2099, 6, 30), None, today=date(2026, 11, 24),
                        temporary_min_months=6) == date(2099, 12, 30)


@pytest.mark.parametrize("day", [date.min, date(1899, 12, 31), date(2100, 1, 1), date.max])
def test_days_outside_the_window_are_refused(day: date) -> None:
    with pytest.raises(GongjiError) as e:
        check_day(day, "begndate")
    assert e.value.code == "DATE_OUT_OF_RANGE"
    assert e.value.params["field"] == "begndate"


@pytest.mark.parametrize("at", [
    datetime(1, 1, 1, tzinfo=SHANGHAI),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-10))),
    datetime(2099, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),  # 2100 in Shanghai
    datetime(1900, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=9))),      # 1899 in Shanghai
])
def test_moments_outside_the_window_are_refused_without_overflow(at: datetime) -> None:
    with pytest.raises(GongjiError) as e:
        check_moment(at, "deadline")
    assert e.value.code == "DATE_OUT_OF_RANGE"


def test_the_window_itself_is_accepted() -> None:
    assert check_day(EARLIEST) == EARLIEST and check_day(LATEST) == LATEST
    edge = datetime(2099, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
    assert check_moment(edge) == edge
    assert month_span("2099-12") == (date(2099, 12, 1), date(2100, 1, 1))
    assert month_span("1900-01") == (date(1900, 1, 1), date(1900, 2, 1))


@pytest.mark.parametrize(("month", "code"), [
    ("9999-12", "DATE_OUT_OF_RANGE"), ("0001-01", "DATE_OUT_OF_RANGE"),
    ("2100-01", "DATE_OUT_OF_RANGE"), ("2026-13", "VALIDATION_ERROR"),
    ("2026-00", "VALIDATION_ERROR"), ("２０２６-11", "VALIDATION_ERROR"),
    ("2026-1", "VALIDATION_ERROR"),
])
def test_months_are_checked(month: str, code: str) -> None:
    with pytest.raises(GongjiError) as e:
        month_span(month)
    assert e.value.code == code
