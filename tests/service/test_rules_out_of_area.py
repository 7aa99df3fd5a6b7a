"""Benefits rules that target out-of-area care, through the settlement service: a rule's
`when` names out of area, across provinces, the filing kind, first or later stay and
emergency, as the visit carries them; the first rule that fits, in document order, applies."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongji.services.filing import service as filing
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from tests.clinic import HENAN_HOSPITAL, HOSPITAL, S_A, Clinic, open_clinic
from tests.conftest import OPERATOR
from tests.family import key, make_family

NANYANG = Path(__file__).parents[2] / "docs" / "examples" / "411300-nanyang.yaml"
ZHENGZHOU = "H41010000001"        # tertiary, Zhengzhou: Henan, not Nanyang
AWAY, HOME = "居民跨省住院 resident inpatient in another province", "居民住院 resident inpatient"


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    c = open_clinic(make_family(app))
    institutions.register(app, OPERATOR, key("i"), institutions.RegisterInstitution(
        ZHENGZHOU, "郑州医院", "3", "410100"))
    return c


def upload(app: Gongji, text: str) -> None:
    app.transact(OPERATOR, lambda uow: app.policies.upload(uow.conn, text, by="t",
                                                           now=uow.now))


def stay(clinic: Clinic, at: str, fee: str, *, med_type: str = "21",
         pre: bool = False) -> svc.SettlementView:
    v = clinic.visit("李秀英", at=at, med_type=med_type)
    clinic.fees(v, (S_A, "1", fee))
    return clinic.pre(v, "李秀英") if pre else clinic.settle(v, "李秀英")


def test_a_nanyang_resident_in_chengdu_gets_the_out_of_province_rule(clinic: Clinic) -> None:
    """南阳 (411300) with the example document: a resident filed in Chengdu pays 20% of the
    stay, at least 2,000 and at most 10,000, as deductible; at home, and elsewhere in Henan,
    the local rule. Both bounds to the fen, on both sides."""
    app, ma = clinic.app, clinic.fam["李秀英"]
    filing.file(app, ma.who, key(), ma.psn_no, filing.File(
        "long_term_resident", "510100", app.clock.now().date()))
    v = clinic.visit("李秀英")                                   # Chengdu, tertiary
    clinic.fees(v, (S_A, "1", "9999.95"))
    before = clinic.pre(v, "李秀英")                             # the national rules
    assert (before.rule, before.act_pay_dedc) == (HOME, 800_00)
    upload(app, NANYANG.read_text(encoding="utf-8"))

    settled = [clinic.settle(v, "李秀英")] + [stay(clinic, HOSPITAL, fee) for fee in (
        "10000.05", "49999.95", "50000.05")]
    for s, (ded, hifp) in zip(settled, (
            (2000_00, 4799_97),       # 9,999.95: 20% is 1,999.99, the minimum binds
            (2000_01, 4800_02),       # 10,000.05: 20% is 2,000.01
            (9999_99, 23999_98),      # 49,999.95: 20% is 9,999.99
            (10000_00, 24000_03)),    # 50,000.05: 20% is 10,000.01, the maximum binds
            strict=True):
        assert (s.rule, s.filing_kind) == (AWAY, "long_term_resident")
        assert (s.act_pay_dedc, s.hifp_pay) == (ded, hifp), s.medfee_sumamt

    # at home (secondary; a later stay of the year: half the deductible), 75%
    home = stay(clinic, HENAN_HOSPITAL, "10000.00")
    assert not home.out_of_area
    assert (home.rule, home.act_pay_dedc, home.hifp_pay) == (HOME, 250_00, 7312_50)

    # in Henan out of Nanyang, unfiled: the local rule (a later stay: half the deductible),
    # 20 points lower
    near = stay(clinic, ZHENGZHOU, "10000.00")
    assert near.out_of_area and near.filing_kind is None
    assert (near.rule, near.act_pay_dedc, near.hifp_pay) == (HOME, 400_00, 3840_00)


TRAVEL = """
region: '411300'
effective_from: 2026-11-01
benefits:
  rules:
    - {name: 跨省急诊, when: {emergency: true, cross_province: true}, pay: {ratio: "0.90"},
       cap_group: away}
    - {name: 转诊再次住院, when: {care: [inpatient], filing: [referral], stay: later},
       deductible: {per: stay, amount: "100.00"}, pay: {ratio: "0.90"}, cap_group: away}
    - {name: 转诊住院, when: {care: [inpatient], filing: [referral]},
       deductible: {per: stay, amount: "300.00"}, pay: {ratio: "0.90"}, cap_group: away}
    - {name: 其他, pay: {ratio: "0.50"}, cap_group: pool}
"""


def test_rules_by_emergency_filing_and_stay(clinic: Clinic) -> None:
    """An emergency (med_type 13) across provinces, unfiled, is deemed filed as an emergency
    and takes the emergency rule (90%, 10 points off); the same at home takes the general
    rule. A referral's first stay and its later stay take their own rules."""
    app, ma = clinic.app, clinic.fam["李秀英"]
    upload(app, TRAVEL)
    urgent = stay(clinic, HOSPITAL, "300.00", med_type="13")
    assert (urgent.rule, urgent.filing_kind, urgent.hifp_pay) == ("跨省急诊", "emergency",
                                                                   240_00)
    home = stay(clinic, HENAN_HOSPITAL, "300.00", med_type="13")
    assert (home.rule, home.hifp_pay) == ("其他", 150_00)
    plain = stay(clinic, HENAN_HOSPITAL, "300.00", med_type="11")
    assert plain.rule == "其他"

    filing.file(app, ma.who, key(), ma.psn_no, filing.File(
        "referral", "510100", app.clock.now().date()))
    first = stay(clinic, HOSPITAL, "1000.00")
    assert (first.rule, first.act_pay_dedc, first.hifp_pay) == ("转诊住院", 300_00, 560_00)
    later = stay(clinic, HOSPITAL, "1000.00")
    assert (later.rule, later.act_pay_dedc, later.hifp_pay) == ("转诊再次住院", 100_00, 720_00)
