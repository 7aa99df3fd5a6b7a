"""The 大病保险 cap incentives (国办发〔2024〕38号) as pure arithmetic, at every boundary."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gongji.domain.benefits import Incentives, Supplementary
from gongji.domain.incentives import CapRaise, cap_raise, run_start

NATIONAL = Incentives()


def years(a: int, b: int) -> set[int]:
    """a..b inclusive."""
    return set(range(a, b + 1))


def test_national_defaults() -> None:
    assert (NATIONAL.from_year, NATIONAL.after_years, NATIONAL.per_continuous_year,
            NATIONAL.per_claim_free_year, NATIONAL.max_plus) == (2025, 4, 1000_00, 1000_00, None)


def test_run_start_counts_back_over_covered_years() -> None:
    assert run_start(2026, set()) == 2026
    assert run_start(2026, years(2020, 2025)) == 2020
    assert run_start(2026, {2020, 2021, 2023, 2024, 2025}) == 2023  # 2022 lapsed
    assert run_start(2026, {2027, 2028}) == 2026                      # later years do not count


@pytest.mark.parametrize(("covered", "expected"), [
    (years(2023, 2025), CapRaise(4, 0, 0, 0)),        # 4 continuous years: nothing yet
    (years(2022, 2025), CapRaise(5, 1, 0, 1000_00)),  # the 5th year: one raise
    (years(2021, 2025), CapRaise(6, 2, 0, 2000_00)),
    (years(2010, 2025), CapRaise(17, 2, 0, 2000_00)),  # only years from 2025 raise
    (years(2021, 2024) | years(2026, 2026), CapRaise(1, 0, 0, 0)),  # nothing before 2026
])
def test_continuous_years(covered: set[int], expected: CapRaise) -> None:
    assert cap_raise(NATIONAL, 2026, covered, set()) == expected


def test_the_coverage_year_counts_whether_recorded_or_not() -> None:
    assert cap_raise(NATIONAL, 2026, years(2021, 2026), set()) == \
        cap_raise(NATIONAL, 2026, years(2021, 2025), set())


def test_a_lapse_in_the_middle_starts_again_from_zero() -> None:
    covered = years(2015, 2021) | years(2023, 2025)        # 2022 lapsed
    assert cap_raise(NATIONAL, 2026, covered, {2019, 2020, 2024}) == \
        CapRaise(4, 0, 1, 1000_00)                         # only 2024 is in the run
    covered = years(2015, 2024)                             # 2025 lapsed
    assert cap_raise(NATIONAL, 2026, covered, years(2015, 2024)) == CapRaise(1, 0, 0, 0)


def test_claim_free_years() -> None:
    covered = years(2024, 2025)
    assert cap_raise(NATIONAL, 2026, covered, set()).plus == 0
    assert cap_raise(NATIONAL, 2026, covered, {2025}) == CapRaise(3, 0, 1, 1000_00)
    assert cap_raise(NATIONAL, 2026, covered, {2024, 2025}) == CapRaise(3, 0, 2, 2000_00)
    # the coverage year itself and later years do not raise it
    assert cap_raise(NATIONAL, 2026, covered, {2026, 2027}).plus == 0
    # 2024 claim-free raises 2025 (the next year is the first), 2023 does not
    assert cap_raise(NATIONAL, 2025, years(2023, 2024), {2023, 2024}) == \
        CapRaise(3, 0, 1, 1000_00)
    # nothing before 2025
    assert cap_raise(NATIONAL, 2024, years(2015, 2023), years(2015, 2023)) == \
        CapRaise(10, 0, 0, 0)


def test_both_together() -> None:
    assert cap_raise(NATIONAL, 2026, years(2021, 2025), {2025}) == \
        CapRaise(6, 2, 1, 3000_00)


def test_max_plus_clamps_the_whole_raise() -> None:
    rules = Incentives(max_plus="2500.00", per_continuous_year="1500.00")
    assert cap_raise(rules, 2026, years(2021, 2025), {2025}).plus == 2500_00
    assert cap_raise(rules, 2026, years(2022, 2025), set()).plus == 1500_00  # under it
    assert cap_raise(rules, 2026, years(2021, 2025), set()).plus == 2500_00  # 3000 > 2500
    exactly = Incentives(max_plus="2000.00")
    assert cap_raise(exactly, 2026, years(2021, 2025), set()).plus == 2000_00


def test_regional_parameters() -> None:
    rules = Incentives(from_year=2026, after_years=2, per_continuous_year="500.00",
                       per_claim_free_year="800.00")
    assert cap_raise(rules, 2025, years(2015, 2024), {2024}).plus == 0
    # 2023..2026: 2025 and 2026 past two years, but only 2026 from 2026; 2025 claim-free
    assert cap_raise(rules, 2026, years(2023, 2025), {2024, 2025}) == \
        CapRaise(4, 1, 1, 500_00 + 800_00)


def test_policy_data_is_checked() -> None:
    with pytest.raises(ValidationError):
        Incentives(per_continuous_year=1000)  # yuan strings only
    with pytest.raises(ValidationError):
        Incentives(after_years=-1)
    with pytest.raises(ValidationError):
        Incentives(after_years="4")
    s = Supplementary.model_validate({
        "fund": "hifmi", "deductible": "15000.00", "cap": "400000.00",
        "bands": [{"ratio": "0.60"}], "incentives": {"per_claim_free_year": "1200.00",
                                                     "max_plus": "80000.00"}})
    assert s.incentives == Incentives(per_claim_free_year="1200.00", max_plus="80000.00")
    assert s.incentives is not None and s.incentives.max_plus == 80000_00
