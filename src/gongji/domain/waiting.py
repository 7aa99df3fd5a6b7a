"""The resident treatment waiting period (待遇等待期): when a resident's benefits for a coverage
year start, given when the contribution was paid and the years before it without one.

[N] 国办发〔2024〕38号 (policy.WaitingRules): from the 2025 coverage year, a resident who pays
outside the collection window, or who did not enroll continuously, waits a fixed period (3
months) plus a variable one (1 month per lapsed year) before the fund pays. The waiting runs
from the day the contribution is paid, or from the first day of the coverage year when paid
before it (inside the window, after a lapse); benefits start on the day after it ends, that
is the paid day plus the months (the same day of the month, or the month's last day).

Lapsed years are counted back from the year before the coverage year to the last year known
to be covered (a resident contribution on record, or employee enrollment); a person with no
earlier covered year on record is a first enrollment and has none (our decision: history
before gongji's records is not guessed).
"""

from __future__ import annotations

import calendar
from collections.abc import Set
from dataclasses import dataclass
from datetime import date

from gongji.domain.policy import ContributionYear, WaitingRules


@dataclass(frozen=True, slots=True)
class Waiting:
    """When the benefits bought by one resident contribution start."""

    late: bool
    """Paid after the collection window closed."""
    lapsed_years: int
    months: int
    """The waiting period in months (0: none)."""
    benefits_from: date
    """The first day the fund pays for this person in the coverage year."""


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day (01-31 + 1 = 02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def lapsed_years(year: int, covered: Set[int]) -> int:
    """Years without cover immediately before `year`, back to the last covered year; 0 when no
    earlier covered year is known."""
    earlier = [y for y in covered if y < year]
    return year - 1 - max(earlier) if earlier else 0


def waiting(rules: WaitingRules, offer: ContributionYear, paid_on: date,
            covered: Set[int]) -> Waiting:
    """The waiting period of a resident contribution for `offer.year` paid on `paid_on`, inside
    the window or after it (the caller refuses a payment before the window opens)."""
    start_of_year = date(offer.year, 1, 1)
    late = paid_on > offer.window_end
    lapsed = lapsed_years(offer.year, covered)
    if offer.year < rules.from_year or (not late and lapsed == 0):
        return Waiting(late, lapsed, 0, max(start_of_year, paid_on))
    months = rules.fixed_months + rules.months_per_lapsed_year * lapsed
    if rules.max_months is not None:
        months = min(months, rules.max_months)
    return Waiting(late, lapsed, months, add_months(max(start_of_year, paid_on), months))
