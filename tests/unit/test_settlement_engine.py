"""The settlement engine: line classes, every rule shape, the four identities, payment order."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongji.domain.benefits import Benefits
from gongji.domain.catalog import CatalogItem, make_item
from gongji.domain.errors import GongjiError
from gongji.domain.settlement import (
    Accumulators,
    FeeLine,
    PersonFacts,
    Result,
    Source,
    Visit,
    settle,
)

DAY = date(2026, 11, 24)
EMPLOYEE = PersonFacts("310", "1101")
RETIRED = PersonFacts("310", "1201")
RESIDENT = PersonFacts("390", "1501")

A_SERVICE = make_item(med_list_codg="310100001000000", name="治疗", list_type="201",
                      med_chrgitm_type="05", chrgitm_lv="01", begndate=date(2020, 1, 1))
B_DRUG = make_item(med_list_codg="XJ01CAA040A001010100001", name="阿莫西林胶囊",
                   list_type="101", med_chrgitm_type="09", chrgitm_lv="02",
                   selfpay_prop="0.10", pric_uplmt_amt="20.00", begndate=date(2020, 1, 1))
C_ITEM = make_item(med_list_codg="XA01AAA000A000000000001", name="保健品", list_type="101",
                   med_chrgitm_type="09", chrgitm_lv="03", begndate=date(2020, 1, 1))
LIMITED = make_item(med_list_codg="XL01XCA000A000000000001", name="靶向药", list_type="101",
                    med_chrgitm_type="09", chrgitm_lv="02", selfpay_prop="0.20",
                    lmt_used_flag="1", begndate=date(2020, 1, 1))
CATALOG = {i.med_list_codg: i for i in (A_SERVICE, B_DRUG, C_ITEM, LIMITED)}


def line(code: str, cnt: str, pric: str, sn: str = "1", within: bool = False) -> FeeLine:
    fee = int((Decimal(cnt) * Decimal(pric) * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    return FeeLine(sn, code, Decimal(cnt), Decimal(pric), fee, within_limits=within)


def benefits(**over: Any) -> Benefits:
    base: dict[str, Any] = {
        "rules": [
            {"name": "employee outpatient", "when": {"insutype": ["310"],
                                                     "care": ["outpatient", "pharmacy"]},
             "deductible": {"per": "year", "amount": "1800.00"},
             "pay": {"ratio": "0.50"}, "retiree_plus": "0.10", "cap_group": "outpatient"},
            {"name": "employee inpatient", "when": {"insutype": ["310"], "care": ["inpatient"]},
             "deductible": {"per": "stay", "by_level": {"1": "300.00", "2": "600.00",
                                                        "3": "1000.00"},
                            "later_stays": "0.5"},
             "pay": {"bands": [{"upto": "50000.00", "ratio": "0.85"},
                               {"upto": "100000.00", "ratio": "0.90"},
                               {"upto": None, "ratio": "0.95"}]},
             "retiree_plus": "0.05"},
            {"name": "resident inpatient", "when": {"insutype": ["390"], "care": ["inpatient"]},
             "deductible": {"per": "stay", "share": {"ratio": "0.10", "min": "300.00",
                                                     "max": "1500.00"}},
             "pay": {"by_level": {"1": "0.85", "2": "0.75", "3": "0.60"}}},
        ],
        "caps": {"pool": "400000.00", "outpatient": "6000.00"},
    }
    base.update(over)
    return Benefits.model_validate(base)


def run(lines: list[FeeLine], *, visit: Visit | None = None, person: PersonFacts = EMPLOYEE,
        b: Benefits | None = None, acc: Accumulators | None = None,
        sources: list[Source] | None = None, acct_used: bool = True,
        catalog: dict[str, CatalogItem] | None = None) -> Result:
    return settle(lines, CATALOG if catalog is None else catalog,
                  visit or Visit("outpatient", "3", DAY, False, None), person,
                  b or benefits(), acc or Accumulators(), sources or [], acct_used=acct_used)


def identities(r: Result) -> None:
    for x in r.lines:
        assert x.det_item_fee_sumamt == (x.fulamt_ownpay_amt + x.overlmt_amt
                                         + x.preselfpay_amt + x.inscp_scp_amt)
    assert r.medfee_sumamt == (r.fulamt_ownpay_amt + r.overlmt_selfpay + r.preselfpay_amt
                               + r.inscp_scp_amt)
    assert r.fund_pay_sumamt == (r.hifp_pay + r.cvlserv_pay + r.hifes_pay + r.hifmi_pay
                                 + r.hifob_pay + r.maf_pay + r.oth_pay)
    assert r.fund_pay_sumamt == sum(d.fund_payamt for d in r.detail)
    assert r.medfee_sumamt == r.fund_pay_sumamt + r.psn_part_amt + r.hosp_part_amt
    assert r.psn_part_amt == r.acct_pay + r.acct_mulaid_pay + r.psn_cash_pay
    assert min(r.psn_cash_pay, r.acct_pay, r.acct_mulaid_pay, r.hifp_pay) >= 0


# -- lines -----------------------------------------------------------------------------------

def test_line_classes() -> None:
    r = run([line(A_SERVICE.med_list_codg, "2", "50", "1"),
             line(B_DRUG.med_list_codg, "3", "25", "2"),      # 5 yuan over the 20 cap
             line(C_ITEM.med_list_codg, "1", "88.8", "3"),
             line("XZZZZZZ000A000000000001", "1", "10", "4"),  # not in the catalog
             line(LIMITED.med_list_codg, "1", "100", "5"),     # limited, no indication
             line(LIMITED.med_list_codg, "1", "100", "6", within=True)])
    by = {x.feedetl_sn: x for x in r.lines}
    assert (by["1"].inscp_scp_amt, by["1"].preselfpay_amt) == (100_00, 0)
    assert by["2"].overlmt_amt == 15_00                    # (25 - 20) x 3
    assert by["2"].preselfpay_amt == 6_00                  # 10% of the 60 within the cap
    assert by["2"].inscp_scp_amt == 54_00
    assert by["3"].fulamt_ownpay_amt == 88_80
    assert by["4"].fulamt_ownpay_amt == 10_00 and not by["4"].in_catalog
    assert by["5"].fulamt_ownpay_amt == 100_00
    assert (by["6"].preselfpay_amt, by["6"].inscp_scp_amt) == (20_00, 80_00)
    identities(r)


def test_first_self_pay_rounds_half_up() -> None:
    # 10% of 0.05 yuan is half a fen: rounds up to 1 fen
    r = run([line(B_DRUG.med_list_codg, "1", "0.05")])
    assert (r.preselfpay_amt, r.inscp_scp_amt) == (1, 4)


@pytest.mark.parametrize(("cnt", "pric", "fee", "code"), [
    ("1", "10", 1001, "FEE_LINE_MISMATCH"),
    ("0", "10", 0, "FEE_LINE_INVALID"),
    ("-1", "10", -1000, "FEE_LINE_INVALID"),
])
def test_bad_lines(cnt: str, pric: str, fee: int, code: str) -> None:
    with pytest.raises(GongjiError) as e:
        run([FeeLine("9", A_SERVICE.med_list_codg, Decimal(cnt), Decimal(pric), fee)])
    assert e.value.code == code
    assert e.value.params["feedetl_sn"] == "9"


def test_no_lines() -> None:
    with pytest.raises(GongjiError) as e:
        run([])
    assert e.value.code == "FEE_LINES_EMPTY"


# -- rule shapes -----------------------------------------------------------------------------

def test_annual_deductible_then_ratio_then_cap() -> None:
    acc = Accumulators(year={"ded:outpatient": 1000_00})
    r = run([line(A_SERVICE.med_list_codg, "1", "3000")], acc=acc)
    assert r.act_pay_dedc == 800_00                        # 1800 - 1000 already used
    assert r.hifp_pay == 1100_00                           # 50% of 2200
    assert r.year_deltas["ded:outpatient"] == 800_00
    capped = run([line(A_SERVICE.med_list_codg, "1", "3000")],
                 acc=Accumulators(year={"ded:outpatient": 1800_00,
                                        "paid:outpatient": 5500_00}))
    assert capped.hifp_pay == 500_00                       # 6000 cap, 5500 paid
    assert capped.detail[0].crt_payb_lmt_amt == 0
    identities(r)
    identities(capped)


def test_retiree_plus_points() -> None:
    acc = Accumulators(year={"ded:outpatient": 1800_00})
    assert run([line(A_SERVICE.med_list_codg, "1", "100")], acc=acc).hifp_pay == 50_00
    assert run([line(A_SERVICE.med_list_codg, "1", "100")], acc=acc,
               person=RETIRED).hifp_pay == 60_00


def test_deductible_by_level_and_later_stays() -> None:
    fees = [line(A_SERVICE.med_list_codg, "1", "10000")]
    for level, ded in (("1", 300_00), ("2", 600_00), ("3", 1000_00)):
        r = run(fees, visit=Visit("inpatient", level, DAY, False, None))
        assert r.act_pay_dedc == ded
    later = run(fees, visit=Visit("inpatient", "3", DAY, False, None, first_stay=False))
    assert later.act_pay_dedc == 500_00


def test_share_deductible_with_min_and_max() -> None:
    v = Visit("inpatient", "2", DAY, False, None)
    assert run([line(A_SERVICE.med_list_codg, "1", "1000")], visit=v,
               person=RESIDENT).act_pay_dedc == 300_00      # 10% = 100 < min 300
    assert run([line(A_SERVICE.med_list_codg, "1", "8000")], visit=v,
               person=RESIDENT).act_pay_dedc == 800_00      # 10%
    assert run([line(A_SERVICE.med_list_codg, "1", "30000")], visit=v,
               person=RESIDENT).act_pay_dedc == 1500_00     # max


def test_banded_ratios_cross_bands() -> None:
    r = run([line(A_SERVICE.med_list_codg, "1", "61000")],
            visit=Visit("inpatient", "3", DAY, False, None))
    # deductible 1000, then 50000 at 85% and 10000 at 90%
    assert r.hifp_pay == 42500_00 + 9000_00
    assert r.pool_prop_selfpay == Fraction(85, 100)


def test_minus_points_by_filing_kind() -> None:
    fees = [line(A_SERVICE.med_list_codg, "1", "11000")]

    def paid(kind: str | None, out: bool = True) -> int:
        return run(fees, visit=Visit("inpatient", "3", DAY, out, kind)).hifp_pay

    assert paid(None, out=False) == paid("retiree_settled") == paid("posted_staff") == 8500_00
    assert paid("referral") == paid("emergency") == 7500_00   # 10 points off
    assert paid("other_temporary") == 6500_00                # 20 points off
    assert paid(None) == 6500_00                 # unfiled in the province: reduce by 20
    strict = benefits(out_of_area={"unfiled_in_province": "refuse"})
    with pytest.raises(GongjiError) as e:
        run(fees, visit=Visit("inpatient", "3", DAY, True, None), b=strict)
    assert e.value.code == "OUT_OF_AREA_NOT_FILED"


def test_unfiled_care_in_another_province_is_not_settled_directly() -> None:
    """The national rule: without a filing, cross-province care is refused (file first, or
    pay and claim at home); a region's document may settle it reduced instead."""
    fees = [line(A_SERVICE.med_list_codg, "1", "11000")]
    away = Visit("inpatient", "3", DAY, True, None, cross_province=True)
    with pytest.raises(GongjiError) as e:
        run(fees, visit=away)
    assert e.value.code == "OUT_OF_AREA_NOT_FILED"
    assert "补办备案" in e.value.message and "claim at home" in e.value.message_en
    # a filing of any kind settles it; so does the region's own "reduce"
    assert run(fees, visit=replace(away, filing_kind="referral")).hifp_pay == 7500_00
    lenient = benefits(out_of_area={"unfiled": "reduce"})
    assert run(fees, visit=away, b=lenient).hifp_pay == 6500_00


def test_liaocheng_segmented_critical_illness() -> None:
    """聊城 resident critical illness second reimbursement (seeds): deductible 11,000;
    11,000-100,000 at 60%, 100,000-200,000 at 65%, 200,000-300,000 at 70%, 300,000-400,000
    at 75% (read as open-ended at 75%); at most 400,000 a year."""
    b = benefits(rules=[], supplementary={"390": {
        "fund": "hifmi", "deductible": "11000.00",
        "bands": [{"upto": "100000.00", "ratio": "0.60"}, {"upto": "200000.00", "ratio": "0.65"},
                  {"upto": "300000.00", "ratio": "0.70"}, {"upto": None, "ratio": "0.75"}],
        "cap": "400000.00"}})
    v = Visit("inpatient", "3", DAY, False, None)

    def pays(burden_yuan: int, before: int = 0) -> int:
        acc = Accumulators(year={"supp:base": before * 100})
        return run([line(A_SERVICE.med_list_codg, "1", str(burden_yuan))], visit=v,
                   person=RESIDENT, b=b, acc=acc).hifmi_pay

    assert pays(11000) == 0
    assert pays(11001) == 60                              # 1 yuan at 60%
    assert pays(100000) == 53400_00                       # 89,000 x 60%
    assert pays(150000) == 53400_00 + 32500_00            # + 50,000 x 65%
    assert pays(400000) == 53400_00 + 65000_00 + 70000_00 + 75000_00
    assert pays(1000000) == 400000_00                     # the cap binds
    assert pays(50000, before=100000) == 32500_00         # cumulative over the year


def test_low_income_plus_on_supplementary() -> None:
    b = benefits(rules=[], supplementary={"390": {
        "fund": "hifmi", "deductible": "10000.00", "bands": [{"ratio": "0.60"}],
        "low_income_plus": "0.05"}})
    v = Visit("inpatient", "3", DAY, False, None)
    fees = [line(A_SERVICE.med_list_codg, "1", "20000")]
    assert run(fees, visit=v, person=RESIDENT, b=b).hifmi_pay == 6000_00
    assert run(fees, visit=v, person=PersonFacts("390", "1501", low_income=True),
               b=b).hifmi_pay == 6500_00


def test_supplementary_cap_raised_by_incentives() -> None:
    """大病保险 incentives: the year's cap is the policy's plus the person's raise, to the fen,
    cumulative over the year; a layer without a cap has nothing to raise."""
    b = benefits(rules=[], supplementary={"390": {
        "fund": "hifmi", "deductible": "0.00", "bands": [{"ratio": "1.00"}],
        "cap": "10000.00"}})
    v = Visit("inpatient", "3", DAY, False, None)
    fees = [line(A_SERVICE.med_list_codg, "1", "20000")]
    plain = run(fees, visit=v, person=RESIDENT, b=b)
    assert (plain.hifmi_pay, plain.supp_cap, plain.supp_plus) == (10000_00, 10000_00, 0)
    raised = run(fees, visit=v, person=replace(RESIDENT, supp_plus=3000_00), b=b)
    assert (raised.hifmi_pay, raised.supp_cap, raised.supp_plus) == (13000_00, 13000_00, 3000_00)
    assert [d.crt_payb_lmt_amt for d in raised.detail if d.fund_pay_type == "390200"] == [0]
    identities(raised)
    # cumulative: 12,999.99 paid before leaves one fen of the raised cap
    acc = Accumulators(year={"supp:base": 12999_99, "supp:paid": 12999_99})
    assert run(fees, visit=v, person=replace(RESIDENT, supp_plus=3000_00), b=b,
               acc=acc).hifmi_pay == 1
    # a raise taken back mid-year (a late claim for last year): nothing more, nothing below 0
    acc = Accumulators(year={"supp:base": 12000_00, "supp:paid": 12000_00})
    lowered = run(fees, visit=v, person=replace(RESIDENT, supp_plus=1000_00), b=b, acc=acc)
    assert (lowered.hifmi_pay, lowered.supp_cap) == (0, 11000_00)
    assert [d.crt_payb_lmt_amt for d in lowered.detail if d.fund_pay_type == "390200"] == [0]
    uncapped = benefits(rules=[], supplementary={"390": {
        "fund": "hifmi", "deductible": "0.00", "bands": [{"ratio": "0.50"}]}})
    r = run(fees, visit=v, person=replace(RESIDENT, supp_plus=3000_00), b=uncapped)
    assert (r.hifmi_pay, r.supp_cap, r.supp_plus) == (10000_00, None, 0)


def test_assistance_layer() -> None:
    b = benefits(assistance={"ratio": "0.70", "deductible": "1000.00", "cap": "3000.00"})
    v = Visit("inpatient", "1", DAY, False, None)
    fees = [line(A_SERVICE.med_list_codg, "1", "10300")]
    plain = run(fees, visit=v, person=RESIDENT, b=b)
    helped = run(fees, visit=v, person=PersonFacts("390", "1501", assistance_eligible=True),
                 b=b)
    assert plain.maf_pay == 0
    # deductible 10% of 10,300 = 1,030; the fund pays 85% of 9,270 = 7,879.50; what is left
    # in scope is 2,420.50, of which 70% above the 1,000 assistance deductible = 994.35
    assert (helped.act_pay_dedc, helped.hifp_pay, helped.maf_pay) == (1030_00, 7879_50, 994_35)
    identities(helped)


# -- who pays --------------------------------------------------------------------------------

def test_payment_order_and_acct_used_flag() -> None:
    fees = [line(A_SERVICE.med_list_codg, "1", "1000"), line(C_ITEM.med_list_codg, "1", "50")]
    sources = [Source("own", None, 300_00), Source("family", "S1", 200_00),
               Source("quota", "S2", 1000_00)]
    r = run(fees, sources=sources)
    # nothing paid by the fund yet (deductible); 1000 in scope is payable from accounts
    assert r.psn_part_amt == 1050_00
    assert [(p.kind, p.sponsor, p.amount) for p in r.payments] == [
        ("own", None, 300_00), ("family", "S1", 200_00), ("quota", "S2", 500_00)]
    assert (r.acct_pay, r.acct_mulaid_pay, r.psn_cash_pay) == (300_00, 700_00, 50_00)
    identities(r)
    cash_only = run(fees, sources=sources, acct_used=False)
    assert (cash_only.acct_pay, cash_only.acct_mulaid_pay, cash_only.psn_cash_pay) == \
        (0, 0, 1050_00)
    generous = run(fees, sources=sources, b=benefits(account_pays_self_paid=True))
    assert generous.psn_cash_pay == 0 and generous.acct_mulaid_pay == 750_00


# -- properties ------------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=5_000_000)
ratio_text = st.decimals(min_value=0, max_value=1, places=2).map(lambda d: f"{d:.2f}")


@st.composite
def scenarios(draw: Any) -> tuple[list[FeeLine], dict[str, CatalogItem], Benefits, Visit,
                                  PersonFacts, Accumulators, list[Source]]:
    n = draw(st.integers(min_value=1, max_value=8))
    catalog: dict[str, CatalogItem] = {}
    lines = []
    for i in range(n):
        code = f"{i:015d}"
        lv = draw(st.sampled_from(["01", "02", "03"]))
        cap = draw(st.none() | st.integers(min_value=1, max_value=100_000))
        if draw(st.booleans()):
            catalog[code] = make_item(
                med_list_codg=code, name=f"item{i}", list_type="201", med_chrgitm_type="05",
                chrgitm_lv=lv, selfpay_prop=draw(ratio_text) if lv == "02" else "",
                pric_uplmt_amt=f"{cap / 100:.2f}" if cap else "", begndate=date(2020, 1, 1))
        cnt = Decimal(draw(st.integers(min_value=1, max_value=40_000))) / 10_000
        pric = Decimal(draw(st.integers(min_value=0, max_value=200_000_000))) / 10_000
        fee = int((cnt * pric * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
        lines.append(FeeLine(str(i), code, cnt, pric, fee))
    b = benefits(
        caps={"pool": f"{draw(amounts) / 100:.2f}", "outpatient": f"{draw(amounts) / 100:.2f}"},
        supplementary={draw(st.sampled_from(["310", "390"])): {
            "fund": draw(st.sampled_from(["hifmi", "hifob"])),
            "deductible": f"{draw(amounts) / 100:.2f}",
            "bands": [{"upto": f"{draw(amounts) / 100 + 50000:.2f}", "ratio": draw(ratio_text)},
                      {"ratio": draw(ratio_text)}]}},
        assistance={"ratio": draw(ratio_text), "deductible": "100.00"})
    visit = Visit(draw(st.sampled_from(["outpatient", "inpatient", "pharmacy", "chronic"])),
                  draw(st.sampled_from(["0", "1", "2", "3"])), DAY, draw(st.booleans()),
                  draw(st.sampled_from([None, "referral", "emergency", "other_temporary",
                                        "retiree_settled"])), draw(st.booleans()))
    person = PersonFacts(draw(st.sampled_from(["310", "390"])),
                         draw(st.sampled_from(["1101", "1201", "1501"])),
                         assistance_eligible=draw(st.booleans()), low_income=draw(st.booleans()))
    acc = Accumulators(year={k: draw(st.integers(min_value=0, max_value=10_000_000))
                             for k in ("ded:pool", "base:pool", "paid:pool", "supp:base",
                                       "supp:paid", "ded:outpatient")})
    sources = [Source("own", None, draw(amounts)), Source("family", "F", draw(amounts)),
               Source("quota", "Q", draw(amounts))]
    return lines, catalog, b, visit, person, acc, sources


@settings(max_examples=400, deadline=None)
@given(scenarios(), st.booleans())
def test_identities_hold_for_random_settlements(s: Any, acct_used: bool) -> None:
    lines, catalog, b, visit, person, acc, sources = s
    identities(settle(lines, catalog, visit, person, b, acc, sources, acct_used=acct_used))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=3_000_000), min_size=1, max_size=6),
       st.sampled_from(["310", "390"]))
def test_splitting_a_years_claims_changes_no_total(parts: list[int], insutype: str) -> None:
    """Annual deductible, bands and caps are cumulative: many outpatient settlements pay what
    one settlement of their sum would."""
    b = benefits(rules=[{"when": {"care": ["outpatient"]},
                         "deductible": {"per": "year", "amount": "1800.00"},
                         "pay": {"bands": [{"upto": "3000.00", "ratio": "0.55"},
                                           {"ratio": "0.70"}]}}],
                 caps={"pool": "6000.00"},
                 supplementary={insutype: {"fund": "hifmi", "deductible": "500.00",
                                           "bands": [{"upto": "2000.00", "ratio": "0.33"},
                                                     {"ratio": "0.61"}],
                                           "care": ["outpatient"], "cap": "1234.56"}})
    person = PersonFacts(insutype, "1101")
    visit = Visit("outpatient", "2", DAY, False, None)
    acc = Accumulators()
    totals = {"hifp": 0, "hifmi": 0, "ded": 0}
    for fen in parts:
        r = settle([FeeLine("1", A_SERVICE.med_list_codg, Decimal(1),
                            Decimal(fen) / 100, fen)], CATALOG, visit, person, b, acc, [])
        for k, v in r.year_deltas.items():
            acc.year[k] = acc.year.get(k, 0) + v
        totals["hifp"] += r.hifp_pay
        totals["hifmi"] += r.hifmi_pay
        totals["ded"] += r.act_pay_dedc
    whole = settle([FeeLine("1", A_SERVICE.med_list_codg, Decimal(1),
                            Decimal(sum(parts)) / 100, sum(parts))], CATALOG, visit, person, b,
                   Accumulators(), [])
    assert totals == {"hifp": whole.hifp_pay, "hifmi": whole.hifmi_pay,
                      "ded": whole.act_pay_dedc}
