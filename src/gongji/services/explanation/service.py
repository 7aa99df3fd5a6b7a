"""Every yuan of a settlement explained, for the person who paid it.

The national setlinfo is exact but unreadable to members. This turns it into three short lists
that each add up to the visit's total (the identities of domain/settlement.py): how the fees
split by catalog class, who paid (the funds, the hospital, you), and how your part was paid
(your personal account, family members' accounts or wallet quota by sponsor, cash). Each step is
a word key with its amount and parameters, so a page can say it in Chinese or English; nothing
here decides anything, it only reads what settlement decided (among it, wallet quota left
unused because the institution does not take the wallet: a note first).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from gongji.services.explanation.model import CLASSES, Explanation, LineStep, Step
from gongji.services.people import service as people
from gongji.services.settlement.model import SettlementView
from gongji.services.unit_of_work import UnitOfWork


def bilingual(text: str) -> dict[str, str]:
    """Policy and fund names are written "职工普通门诊 employee general outpatient"."""
    zh, _, en = text.partition(" ")
    return {"name_zh": zh, "name_en": en or zh}


def percent(ratio: str | Fraction) -> str:
    """"0.1000" -> "10%", "0.125" -> "12.5%", 1/3 -> "33.3%" (decimal, no float)."""
    value = Fraction(ratio) * 100
    shown = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.1"), ROUND_HALF_UP)
    return f"{shown:f}".removesuffix(".0") + "%"


def explain(uow: UnitOfWork, s: SettlementView) -> Explanation:
    lines = tuple(
        LineStep(x.feedetl_sn, x.name or x.med_list_codg, x.med_list_codg,
                 CLASSES.get(x.chrgitm_lv, "class_c") if x.in_catalog else "not_listed",
                 x.det_item_fee_sumamt, x.fulamt_ownpay_amt, x.overlmt_amt, x.preselfpay_amt,
                 x.inscp_scp_amt,
                 percent(x.selfpay_prop) if x.preselfpay_amt else "", x.pric_uplmt_amt)
        for x in s.lines)
    split = tuple(st for st in (
        Step("exp_not_covered", s.fulamt_ownpay_amt),
        Step("exp_over_cap", s.overlmt_selfpay),
        Step("exp_first_share", s.preselfpay_amt),
        Step("exp_in_scope", s.inscp_scp_amt),
    ) if st.amount)
    payers = [Step("exp_fund", d.fund_payamt, bilingual(d.fund_pay_type_name))
              for d in s.setldetail if d.fund_payamt]
    if s.hosp_part_amt:
        payers.append(Step("exp_hospital", s.hosp_part_amt))
    payers.append(Step("exp_you", s.psn_part_amt))

    yours: list[Step] = []
    sponsors: dict[str, str] = {}
    for p in s.payments:
        if p.kind == "own":
            yours.append(Step("exp_own_account", p.amount))
            continue
        sponsor = p.sponsor or ""
        if sponsor and sponsor not in sponsors:
            sponsors[sponsor] = people.person(uow.conn, sponsor).masked.name_masked
        yours.append(Step("exp_family_account" if p.kind == "family" else "exp_wallet_quota",
                          p.amount, {"name_zh": sponsors.get(sponsor, ""),
                                     "name_en": sponsors.get(sponsor, "")}))
    if s.psn_cash_pay:
        yours.append(Step("exp_cash", s.psn_cash_pay))

    notes: list[Step] = []
    if s.quota_not_accepted:
        notes.append(Step("exp_wallet_not_accepted", s.quota_not_accepted))
    if s.act_pay_dedc:
        notes.append(Step("exp_deductible", s.act_pay_dedc))
    if s.hifp_pay or s.inscp_scp_amt > s.act_pay_dedc:
        notes.append(Step("exp_ratio", s.hifp_pay, {"ratio": percent(s.pool_prop_selfpay)}))
    if s.supp_plus and s.supp_cap is not None:
        notes.append(Step("exp_supp_cap", s.supp_cap, {
            "base": str(s.supp_cap - s.supp_plus), "plus": str(s.supp_plus)}))
    for d in s.setldetail:
        if d.crt_payb_lmt_amt is not None:
            notes.append(Step("exp_fund_left", d.crt_payb_lmt_amt,
                              bilingual(d.fund_pay_type_name)))
    if s.balc is not None:
        notes.append(Step("exp_balance", s.balc))
    return Explanation(s.medfee_sumamt, bilingual(s.rule), s.out_of_area, s.filing_kind, lines,
                       split, tuple(payers), tuple(yours), tuple(notes))
