"""Late enrollment (待遇等待期, 国办发〔2024〕38号): a resident contribution after the collection
window is taken with a waiting period, recorded as the day benefits start; care before that
day is not settled (nor claimed by hand); boundaries at the second, on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from gongji.domain.clock import FixedClock, shanghai
from gongji.services.claims import service as claims
from gongji.services.contributions import service as contributions
from gongji.services.contributions.service import PayContribution
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.transfers import service as transfers
from gongji.store.db import Database
from tests.clinic import CLINIC, HENAN_HOSPITAL, S_A, Clinic, open_clinic
from tests.conftest import OPERATOR, refused
from tests.family import PIN, Family, key, make_family
from tests.service.test_claims import claim_of


@pytest.fixture
def fam(app: Gongji) -> Family:
    f = make_family(app)
    f.bind("张伟", "李秀英", "parent")
    f.bind("张伟", "张小宝", "child")
    share(f)
    return f


def share(fam: Family) -> None:
    """李秀英 is in Henan: her son's account reaches her only through the wallet, so he sends
    her 2,000.00 of quota, which her contributions are paid from."""
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    t = transfers.send(fam.app, fam["张伟"].who, key(), transfers.SendTransfer(
        fam["李秀英"].psn_no, 2000_00), PIN).value
    transfers.respond(fam.app, fam["李秀英"].who, key(), t.id, "accept")


def pay(fam: Family, name: str, year: int, *, k: str | None = None
        ) -> contributions.ContributionView:
    """张伟 pays for his son in Chengdu; his mother pays from the quota he shared with her."""
    m = fam[name]
    if name == "李秀英":
        return contributions.pay(fam.app, m.who, k or key(), PayContribution(
            m.psn_no, "390", year, "quota", fam["张伟"].psn_no), PIN).value
    return contributions.pay(fam.app, fam["张伟"].who, k or key(), PayContribution(
        m.psn_no, "390", year, "personal"), PIN).value


def test_window_end_at_the_second(fam: Family, clock: FixedClock) -> None:
    """Paid at 2026-12-31 23:59:59 (the window's last second): benefits from 1 January. Paid a
    second later: taken, with the fixed 3 months: benefits from 2027-04-01."""
    clock.set(shanghai(2026, 12, 31, 23, 59, 59))
    inside = pay(fam, "李秀英", 2027)
    clock.set(shanghai(2027, 1, 1, 0, 0, 0))
    late = pay(fam, "张小宝", 2027)
    assert inside.benefits_from == date(2027, 1, 1)
    assert late.benefits_from == date(2027, 4, 1)
    assert (late.amount, late.year) == (400_00, 2027)
    listed = contributions.list_for(fam.app, OPERATOR, fam["张小宝"].psn_no)
    assert [c.benefits_from for c in listed] == [date(2027, 4, 1)]


def test_window_start_at_the_second(fam: Family, database: Database,
                                    clock: FixedClock) -> None:
    clock.set(shanghai(2026, 8, 31, 23, 59, 59))
    err = refused(database, "CONTRIBUTION_WINDOW_CLOSED", lambda: pay(fam, "李秀英", 2027))
    assert (err.params["start"], err.params["end"]) == ("2026-09-01", "2026-12-31")
    clock.set(shanghai(2026, 9, 1, 0, 0, 0))
    assert pay(fam, "李秀英", 2027).benefits_from == date(2027, 1, 1)


def test_late_payment_that_buys_nothing_in_the_year_is_refused(
        fam: Family, database: Database, clock: FixedClock) -> None:
    """Paid 2027-09-30: benefits from 2027-12-30, still in the year. Paid 2027-10-01: they would
    start 2028-01-01, after the year: refused with that day named, nothing taken."""
    clock.set(shanghai(2027, 10, 1, 0, 0, 0))
    err = refused(database, "CONTRIBUTION_TOO_LATE", lambda: pay(fam, "李秀英", 2027))
    assert (err.params["benefits_from"], err.params["months"]) == ("2028-01-01", 3)
    assert "2028-01-01" in err.message and "2028-01-01" in err.message_en
    clock.set(shanghai(2027, 9, 30, 23, 59, 59))
    assert pay(fam, "张小宝", 2027).benefits_from == date(2027, 12, 30)


def test_replay_answers_the_first_benefits_day_and_the_year_is_paid_once(
        fam: Family, database: Database, clock: FixedClock) -> None:
    clock.set(shanghai(2027, 1, 15, 9, 0, 0))
    first = contributions.pay(fam.app, fam["张伟"].who, "late-1", PayContribution(
        fam["张小宝"].psn_no, "390", 2027, "personal"), PIN)
    clock.set(shanghai(2027, 2, 20, 9, 0, 0))
    again = contributions.pay(fam.app, fam["张伟"].who, "late-1", PayContribution(
        fam["张小宝"].psn_no, "390", 2027, "personal"), PIN)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.value == first.value and again.value.benefits_from == date(2027, 4, 15)
    refused(database, "CONTRIBUTION_ALREADY_PAID", lambda: pay(fam, "张小宝", 2027))


def test_long_term_care_is_not_taken_after_its_window(fam: Family, database: Database,
                                                      clock: FixedClock) -> None:
    clock.set(shanghai(2027, 1, 1, 0, 0, 0))
    refused(database, "CONTRIBUTION_WINDOW_CLOSED", lambda: contributions.pay(
        fam.app, fam["张伟"].who, key(), PayContribution(fam["张小宝"].psn_no, "410", 2027,
                                                        "personal"), PIN))


def test_a_lapsed_year_adds_a_month(app: Gongji, clock: FixedClock) -> None:
    """Both paid for 2025 in its window, nothing for 2026 (one lapsed year): 4 months. Paid late
    on 2027-02-01: benefits from 2027-06-01; paid in the window on 2026-12-01, the waiting runs
    from 1 January: from 2027-05-01."""
    clock.set(shanghai(2024, 10, 8, 10, 0, 0))
    f = make_family(app)
    f.bind("张伟", "李秀英", "parent")
    f.bind("张伟", "张小宝", "child")
    share(f)
    assert pay(f, "李秀英", 2025).benefits_from == date(2025, 1, 1)
    assert pay(f, "张小宝", 2025).benefits_from == date(2025, 1, 1)
    clock.set(shanghai(2026, 12, 1, 10, 0, 0))
    assert pay(f, "张小宝", 2027).benefits_from == date(2027, 5, 1)
    clock.set(shanghai(2027, 2, 1, 10, 0, 0))
    assert pay(f, "李秀英", 2027).benefits_from == date(2027, 6, 1)


@pytest.fixture
def clinic(fam: Family) -> Clinic:
    return open_clinic(fam)


def test_settlement_at_the_end_of_the_waiting_period(clinic: Clinic, database: Database,
                                                     clock: FixedClock) -> None:
    """张小宝's 2027 contribution paid on 2027-01-01 00:00:00: benefits from 2027-04-01. Care on
    2027-03-31 at 23:59:59 is refused, pre-settlement too, with the day named in both
    languages, and stays refused when settled after midnight (care begun while waiting);
    care begun at 2027-04-01 00:00:00 is settled. 2001 answers the same."""
    app, son = clinic.app, clinic.fam["张小宝"]
    clock.set(shanghai(2027, 1, 1, 0, 0, 0))
    pay(clinic.fam, "张小宝", 2027)

    clock.set(shanghai(2027, 3, 31, 23, 59, 59))
    early = clinic.visit("张小宝", at=CLINIC, med_type="11")
    clinic.fees(early, (S_A, "1", "100"))
    err = refused(database, "TREATMENT_WAITING", lambda: clinic.settle(early, "张小宝"))
    assert (err.params["benefits_from"], err.params["year"]) == ("2027-04-01", 2027)
    assert "自 2027-04-01 起享受待遇" in err.message
    assert "benefits start on 2027-04-01" in err.message_en
    refused(database, "TREATMENT_WAITING", lambda: clinic.pre(early, "张小宝"))
    t = svc.treatment_check(app, clinic.inst(CLINIC), son.psn_no, "390", date(2027, 3, 31))
    assert not t.enjoys and t.reason is not None and "2027-04-01" in t.reason.en

    clock.set(shanghai(2027, 4, 1, 0, 0, 0))
    refused(database, "TREATMENT_WAITING", lambda: clinic.settle(early, "张小宝"))
    v = clinic.visit("张小宝", at=CLINIC, med_type="11")
    clinic.fees(v, (S_A, "1", "1000"))
    s = clinic.settle(v, "张小宝")
    assert (s.medfee_sumamt, s.fund_pay_sumamt > 0) == (1000_00, True)
    t = svc.treatment_check(app, clinic.inst(CLINIC), son.psn_no, "390", date(2027, 4, 1))
    assert t.enjoys and t.reason is None


def test_a_resident_who_paid_in_the_window_is_settled_on_the_first_day(
        clinic: Clinic, clock: FixedClock) -> None:
    clock.set(shanghai(2026, 12, 31, 23, 59, 59))
    pay(clinic.fam, "李秀英", 2027)
    clock.set(shanghai(2027, 1, 1, 0, 0, 0))
    v = clinic.visit("李秀英", at=HENAN_HOSPITAL, med_type="11")
    clinic.fees(v, (S_A, "1", "1000"))
    assert clinic.settle(v, "李秀英").fund_pay_sumamt > 0


def test_care_in_the_waiting_period_is_not_claimed_by_hand(
        clinic: Clinic, database: Database, clock: FixedClock) -> None:
    ma = clinic.fam["李秀英"]
    clock.set(shanghai(2027, 1, 10, 9, 0, 0))
    assert pay(clinic.fam, "李秀英", 2027).benefits_from == date(2027, 4, 10)
    clock.set(shanghai(2027, 5, 1, 9, 0, 0))
    cmd = claim_of(clinic, "李秀英", (S_A, "1", "300"), at=HENAN_HOSPITAL, med_type="11",
                   enddate=date(2027, 4, 14))
    waiting = replace(cmd, begndate=date(2027, 4, 9))
    err = refused(database, "TREATMENT_WAITING", lambda: claims.submit(
        clinic.app, ma.who, key("c"), waiting))
    assert err.params["benefits_from"] == "2027-04-10"
    ok = replace(cmd, begndate=date(2027, 4, 10), invoice_no="FP0002")
    assert claims.submit(clinic.app, ma.who, key("c"), ok).value.status == "submitted"
