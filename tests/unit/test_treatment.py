"""The pure rules behind 2001 (treatment by enrollment) and 5205 (which lines are a chronic
disease medication record)."""

from __future__ import annotations

from datetime import date

from gongji.domain.treatment import Period, check_treatment, is_chronic_medication

EMPLOYEE = Period("310", date(2020, 1, 1), None)


def test_an_enrollment_covering_the_day_gives_treatment() -> None:
    t = check_treatment("310", date(2026, 11, 24), [EMPLOYEE])
    assert (t.enjoys, t.fund_pay_type, t.begndate, t.enddate, t.reason) == \
        (True, "310100", date(2020, 1, 1), None, None)
    assert check_treatment("310", date(2020, 1, 1), [EMPLOYEE]).enjoys   # its first day


def test_not_yet_not_any_more_never() -> None:
    early = check_treatment("310", date(2019, 12, 31), [EMPLOYEE])
    assert not early.enjoys and early.reason and "2020-01-01" in early.reason.en
    ended = Period("310", date(2020, 1, 1), date(2026, 10, 31))
    assert check_treatment("310", date(2026, 10, 31), [ended]).enjoys   # the last day
    after = check_treatment("310", date(2026, 11, 1), [ended])
    assert not after.enjoys and after.enddate == date(2026, 10, 31)
    assert after.reason and "ended" in after.reason.en
    never = check_treatment("390", date(2026, 11, 24), [EMPLOYEE])
    assert (never.enjoys, never.begndate, never.fund_pay_type) == (False, None, "390100")
    assert check_treatment("410", date(2026, 11, 24), []).fund_pay_type is None


def test_a_move_leaves_no_gap() -> None:
    """A move ends one enrollment the day before the next begins."""
    moved = [Period("310", date(2020, 1, 1), date(2026, 6, 30)),
             Period("310", date(2026, 7, 1), None)]
    for day in (date(2026, 6, 30), date(2026, 7, 1)):
        t = check_treatment("310", day, moved)
        assert t.enjoys and t.begndate == (date(2020, 1, 1) if day.month == 6
                                           else date(2026, 7, 1))


def test_chronic_medication_is_a_drug_of_a_chronic_visit() -> None:
    assert is_chronic_medication("chronic", "101")
    assert is_chronic_medication("chronic", "102")
    assert not is_chronic_medication("chronic", "201")      # a service
    assert not is_chronic_medication("chronic", None)       # not in the catalog
    assert not is_chronic_medication("outpatient", "101")
    assert not is_chronic_medication("pharmacy", "101")     # a purchase names no disease
