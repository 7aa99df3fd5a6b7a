"""The resident waiting period (待遇等待期, 国办发〔2024〕38号) as pure arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from gongji.domain.policy import ContributionYear, WaitingRules
from gongji.domain.waiting import add_months, lapsed_years, waiting

OFFER = ContributionYear(year=2027, amount="400.00", window_start=date(2026, 9, 1),
                         window_end=date(2026, 12, 31))
NATIONAL = WaitingRules()


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2027, 1, 1), 3, date(2027, 4, 1)),
    (date(2027, 1, 31), 1, date(2027, 2, 28)),     # to the month's last day
    (date(2028, 1, 31), 1, date(2028, 2, 29)),     # leap year
    (date(2027, 11, 30), 3, date(2028, 2, 29)),
    (date(2027, 10, 1), 3, date(2028, 1, 1)),      # across the year
    (date(2027, 5, 17), 0, date(2027, 5, 17)),
])
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_lapsed_years_count_back_to_the_last_covered_year() -> None:
    assert lapsed_years(2027, set()) == 0             # first enrollment: none known
    assert lapsed_years(2027, {2026}) == 0
    assert lapsed_years(2027, {2025}) == 1
    assert lapsed_years(2027, {2020, 2022}) == 4
    assert lapsed_years(2027, {2027, 2028}) == 0      # later years do not count


def test_in_the_window_without_a_lapse_there_is_no_wait() -> None:
    w = waiting(NATIONAL, OFFER, date(2026, 12, 31), {2026})
    assert (w.late, w.months, w.benefits_from) == (False, 0, date(2027, 1, 1))


def test_the_day_after_the_window_waits_three_months() -> None:
    w = waiting(NATIONAL, OFFER, date(2027, 1, 1), {2026})
    assert (w.late, w.lapsed_years, w.months, w.benefits_from) == (
        True, 0, 3, date(2027, 4, 1))


def test_each_lapsed_year_adds_a_month() -> None:
    late = waiting(NATIONAL, OFFER, date(2027, 2, 1), {2023})    # 2024, 2025, 2026 lapsed
    assert (late.lapsed_years, late.months, late.benefits_from) == (3, 6, date(2027, 8, 1))
    inside = waiting(NATIONAL, OFFER, date(2026, 10, 1), {2025})  # from 1 January
    assert (inside.late, inside.months, inside.benefits_from) == (False, 4, date(2027, 5, 1))


def test_no_national_maximum_but_a_region_may_cap() -> None:
    assert waiting(NATIONAL, OFFER, date(2027, 1, 1), {2016}).months == 3 + 10
    capped = WaitingRules(max_months=6)
    w = waiting(capped, OFFER, date(2027, 1, 1), {2016})
    assert (w.months, w.benefits_from) == (6, date(2027, 7, 1))
    assert waiting(capped, OFFER, date(2027, 1, 1), {2025}).months == 4


def test_years_before_the_rule_have_no_waiting_period() -> None:
    w = waiting(WaitingRules(from_year=2028), OFFER, date(2027, 3, 1), {2020})
    assert (w.months, w.benefits_from) == (0, date(2027, 3, 1))
