"""大病保险 cap incentives (国办发〔2024〕38号) in actual settlements, on both databases: a resident
with 6 continuous years and a claim-free year has the national 400,000.00 cap raised by 2,000.00
+ 1,000.00 to the fen, in a settlement, a pre-settlement, a hand claim and the explanation;
after a lapse the base cap."""

from __future__ import annotations

from datetime import date

import pytest

from gongji.domain.clock import FixedClock, shanghai
from gongji.services.claims import service as claims
from gongji.services.claims.model import Review
from gongji.services.contributions import service as contributions
from gongji.services.contributions.service import PayContribution
from gongji.services.explanation import service as explanation
from gongji.services.explanation.model import Step
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.transfers import service as transfers
from gongji.web.i18n import word
from tests.clinic import HENAN_HOSPITAL, HOSPITAL, S_A, Clinic, open_clinic
from tests.conftest import OPERATOR
from tests.family import PIN, key, make_family
from tests.service.test_claims import claim_of

BASE_CAP = 400_000_00
"""The national 大病保险 cap (000000-national.yaml), which Chengdu and Nanyang keep."""
HUGE = "2000000"
"""A stay of 2,000,000.00 yuan, class A: far past every cap."""


def pay(clinic: Clinic, name: str, year: int) -> None:
    """张伟 pays his son's resident contribution for `year` in its window; his mother, in
    another province, pays hers from the quota he shared with her through the wallet."""
    clinic.app.clock.set(shanghai(year - 1, 10, 8, 10, 0, 0))  # type: ignore[attr-defined]
    fam = clinic.fam
    if name == "李秀英":
        contributions.pay(clinic.app, fam[name].who, key("pay"), PayContribution(
            fam[name].psn_no, "390", year, "quota", fam["张伟"].psn_no), PIN)
        return
    contributions.pay(clinic.app, fam["张伟"].who, key("pay"), PayContribution(
        fam[name].psn_no, "390", year, "personal"), PIN)


def stay(clinic: Clinic, name: str, at: str, amount: str) -> svc.VisitView:
    v = clinic.visit(name, at=at)
    clinic.fees(v, (S_A, "1", amount))
    return v


EARLIER = """
region: "{province}"
name: 2023-2024 年度居民缴费 resident contributions before the national table
effective_from: 2022-01-01
effective_to: 2024-07-01
contributions:
  resident:
    - {{year: 2023, amount: "350.00", window_start: 2022-09-01, window_end: 2022-12-31}}
    - {{year: 2024, amount: "380.00", window_start: 2023-09-01, window_end: 2023-12-31}}
"""
"""The shipped national table starts in July 2024: the provinces' own for the years before."""


@pytest.fixture
def clinic(app: Gongji, clock: FixedClock) -> Clinic:
    """From October 2022: 张小宝 (Chengdu) is paid for 2023-2027 and the fund pays him in 2024,
    2025 and 2026 but not in 2027; 李秀英 (Nanyang) is paid for 2023-2026, nothing for 2027 (a
    lapse), and never claims. Then 2028."""
    clock.set(shanghai(2022, 10, 1, 9, 0, 0))
    for province in ("510000", "410000"):
        app.transact(OPERATOR, lambda uow, p=province: app.policies.upload(  # type: ignore[misc]
            uow.conn, EARLIER.format(province=p), by="t", now=uow.now))
    fam = make_family(app)
    fam.bind("张伟", "李秀英", "parent")
    fam.bind("张伟", "张小宝", "child")
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    t = transfers.send(app, fam["张伟"].who, key("t"), transfers.SendTransfer(
        fam["李秀英"].psn_no, 2000_00), PIN).value
    transfers.respond(app, fam["李秀英"].who, key("a"), t.id, "accept")
    c = open_clinic(fam)
    for year in range(2023, 2028):
        pay(c, "张小宝", year)
        if year < 2027:
            pay(c, "李秀英", year)
        if year in (2024, 2025, 2026):
            clock.set(shanghai(year, 8, 1, 9, 0, 0))  # the national benefits from July 2024
            s = c.settle(stay(c, "张小宝", HOSPITAL, "10000"), "张小宝", acct_used_flag=False)
            assert s.hifp_pay > 0 and s.supp_plus == 0
    clock.set(shanghai(2028, 3, 1, 9, 0, 0))
    return c


def detail_left(s: svc.SettlementView) -> int | None:
    return next(d.crt_payb_lmt_amt for d in s.setldetail if d.fund_pay_type == "390200")


def test_six_continuous_years_and_a_claim_free_year_raise_the_cap(clinic: Clinic) -> None:
    """2023-2028 is 6 continuous years: 2027 and 2028 each raise 1,000.00 (past four); 2027 was
    claim-free: 1,000.00 more (2024-2026 were not). The stay pays 403,000.00 from 大病保险, the
    pre-settlement and a hand claim of the same care too, and the explanation names it."""
    app = clinic.app
    raised = clinic.pre(stay(clinic, "张小宝", HOSPITAL, HUGE), "张小宝")
    assert (raised.hifmi_pay, raised.supp_cap, raised.supp_plus) == (
        BASE_CAP + 3_000_00, BASE_CAP + 3_000_00, 3_000_00)
    assert detail_left(raised) == 0

    c = claims.submit(app, clinic.fam["张小宝"].who, key("c"), claim_of(
        clinic, "张小宝", (S_A, "1", HUGE), enddate=date(2028, 2, 20))).value
    r = claims.review(app, OPERATOR, key("r"), c.claim_id, Review(True)).value.reimbursement
    assert r is not None and r.hifmi_pay == BASE_CAP + 3_000_00
    claims.cancel(app, OPERATOR, key("x"), c.claim_id, "重复 duplicate")  # accumulators back

    s = clinic.settle(stay(clinic, "张小宝", HOSPITAL, HUGE), "张小宝")
    assert (s.hifmi_pay, s.supp_cap, s.supp_plus, detail_left(s)) == (
        BASE_CAP + 3_000_00, BASE_CAP + 3_000_00, 3_000_00, 0)
    shown = app.read(lambda uow: explanation.explain(uow, svc.view_in(uow, s.setl_id or "")))
    assert Step("exp_supp_cap", 403_000_00, {"base": "40000000", "plus": "300000"}) in \
        shown.notes
    said = {lang: word("exp_supp_cap", lang, amount="403000.00", base="400000.00",
                       plus="3000.00") for lang in ("zh", "en")}
    assert said["zh"] == ("大病保险今年最高支付限额 403000.00 元：400000.00 元 + "
                          "连续参保和零报销激励 3000.00 元。")
    assert said["en"].startswith("Critical illness insurance pays at most 403000.00 yuan this "
                                 "year: 400000.00 yuan + 3000.00 yuan")

    # the cap is the year's: another stay in 2028 gets nothing more from it
    again = clinic.settle(stay(clinic, "张小宝", HOSPITAL, "50000"), "张小宝")
    assert (again.hifmi_pay, again.supp_cap, detail_left(again)) == (0, BASE_CAP + 3_000_00, 0)


def test_after_a_lapse_the_base_cap(clinic: Clinic) -> None:
    """李秀英 was covered 2023-2026 and claimed nothing, but not in 2027: in 2028 the run starts
    again and what she had earned is lost (paid for 2027, her 2028 cap would have been 2 x
    1,000.00 continuous + 4 x 1,000.00 claim-free higher)."""
    s = clinic.settle(stay(clinic, "李秀英", HENAN_HOSPITAL, HUGE), "李秀英")
    assert (s.hifmi_pay, s.supp_cap, s.supp_plus, detail_left(s)) == (BASE_CAP, BASE_CAP, 0, 0)
    shown = clinic.app.read(lambda uow: explanation.explain(
        uow, svc.view_in(uow, s.setl_id or "")))
    assert all(n.key != "exp_supp_cap" for n in shown.notes)
