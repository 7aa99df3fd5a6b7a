"""The 大病保险 cap incentives (激励约束机制): how much a resident's critical-illness annual cap
(最高支付限额) rises in a coverage year, given the years they were covered and the years in which
the fund paid them nothing.

[N] 国办发〔2024〕38号 (benefits.Incentives): from 2025, a resident enrolled continuously for 4
full years has the cap raised for each further continuous year; one whose fund paid nothing in
a year (零报销) has it raised the next year; both together; after a lapse (断保) the continuous
years count again from zero and the raises accrued are lost.

How we count (the document's words, read as arithmetic) [U]:
- the run is the coverage year itself and the unbroken covered years just before it (a year
  without cover ends it: a lapse);
- a continuous raise for each year of the run, from `from_year`, that has at least
  `after_years` years of the run before it (4 years: the 5th year is the first raised);
- a claim-free raise for each year of the run before the coverage year in which the fund paid
  nothing, if the year after it is `from_year` or later (2024 claim-free raises 2025);
- the whole raise at most `max_plus` where a region sets one.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from gongji.domain.benefits import Incentives


@dataclass(frozen=True, slots=True)
class CapRaise:
    """The raise of one person's cap in one coverage year."""

    continuous_years: int
    """Years of the run, the coverage year included."""
    continuous_raises: int
    """Years of the run that raise the cap (past `after_years`, from `from_year`)."""
    claim_free_raises: int
    """Claim-free years of the run before the coverage year that raise it."""
    plus: int
    """The raise in fen, after `max_plus`."""


NONE = CapRaise(0, 0, 0, 0)


def run_start(year: int, covered: Set[int]) -> int:
    """The first year of the unbroken run of covered years ending with `year` (which counts
    as covered: the person is insured in it)."""
    start = year
    while start - 1 in covered:
        start -= 1
    return start


def cap_raise(rules: Incentives, year: int, covered: Set[int], claim_free: Set[int]
              ) -> CapRaise:
    """The raise of the supplementary cap in coverage year `year` for a person covered in the
    years `covered` (resident contributions, or employee enrollment), whose fund paid nothing
    in the years `claim_free`."""
    start = run_start(year, covered)
    continuous = year - start + 1
    if year < rules.from_year:
        return CapRaise(continuous, 0, 0, 0)
    first_raised = max(rules.from_year, start + rules.after_years)
    by_run = max(0, year - first_raised + 1)
    by_claims = sum(1 for y in claim_free if start <= y < year and y + 1 >= rules.from_year)
    plus = by_run * rules.per_continuous_year + by_claims * rules.per_claim_free_year
    if rules.max_plus is not None:
        plus = min(plus, rules.max_plus)
    return CapRaise(continuous, by_run, by_claims, plus)
