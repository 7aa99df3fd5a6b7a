"""The settlement engine: fee lines in, the national setlinfo and setldetail out.

"就医地目录、参保地待遇": each line is classified by the care region's catalog (全自费, 超限价,
先行自付, 政策范围内); the insured region's benefits then apply, in order: the pooled fund
(deductible, ratio or bands, plus and minus points, annual cap), the supplementary layer, and
medical assistance. What is left is the person's burden, paid from their own personal account,
then family accounts that authorised them in the same province, then wallet quota by sponsor
(both reported as acct_mulaid_pay), then cash; acct_used_flag 0 means cash only.

A pure function of plain values: no I/O, integer fen throughout.

Rounding (half up to the fen, symmetric): the over-cap part of a line (cnt x price above the
cap); a line's first self-pay share; each layer's cumulative payment F(year-to-date). Every
other amount is an exact sum or difference of those, so the identities below hold exactly:
  1. per line and in total: fee = fulamt_ownpay + overlmt + preselfpay + inscp_scp
  2. fund_pay_sumamt = hifp + cvlserv + hifes + hifmi + hifob + maf + oth = sum(setldetail)
  3. medfee_sumamt = fund_pay_sumamt + psn_part_amt + hosp_part_amt
  4. psn_part_amt = acct_pay + acct_mulaid_pay + psn_cash_pay
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from gongji.domain.benefits import Benefits, Rule, banded, clamp
from gongji.domain.catalog import CatalogItem
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.money import apply_ratio, format_yuan

LONG_TERM = frozenset({"retiree_settled", "long_term_resident", "posted_staff"})

FUND_TYPES = {
    "310100": "职工基本医疗保险统筹基金 employee pooled fund",
    "390100": "城乡居民基本医疗保险基金 resident pooled fund",
    "330100": "职工大额医疗费用补助 employee large-expense subsidy",
    "390200": "城乡居民大病医疗保险 resident critical illness",
    "610100": "医疗救助 medical assistance",
}


@dataclass(frozen=True, slots=True)
class FeeLine:
    feedetl_sn: str
    med_list_codg: str
    cnt: Decimal
    """Quantity (16,4): may be fractional for split sales."""
    pric: Decimal
    """Unit price in yuan (16,6)."""
    det_item_fee_sumamt: int
    """The line's total in fen; must equal cnt x pric rounded half up."""
    within_limits: bool = False
    """For a limited-use item: the prescriber declared the approved indication (限制使用)."""


@dataclass(frozen=True, slots=True)
class Visit:
    care: str
    """outpatient, inpatient, pharmacy, chronic."""
    level: str
    """Institution level "0"-"3"."""
    day: date
    out_of_area: bool
    filing_kind: str | None
    """The person's filing covering the care region (None: no filing)."""
    first_stay: bool = True
    """Inpatient: the first stay of the year (per-stay deductibles may be lower later)."""
    cross_province: bool = False
    """Out of area in another province (without a filing the stricter national rule)."""
    emergency: bool = False
    """An emergency visit (急诊抢救, med_type 13): a rule's `when` may name it."""


@dataclass(frozen=True, slots=True)
class PersonFacts:
    insutype: str
    psn_type: str
    assistance_eligible: bool = False
    low_income: bool = False
    supp_plus: int = 0
    """The raise of the supplementary layer's annual cap this year, fen (大病保险 incentives
    for continuous enrollment and claim-free years, domain/incentives.py; 0: none)."""

    @property
    def retired(self) -> bool:
        return self.psn_type == "1201"


@dataclass(frozen=True, slots=True)
class Source:
    kind: str
    """own (the person's personal account), family (a same-province sponsor's personal
    account), quota (wallet quota from a sponsor)."""
    sponsor: str | None
    balance: int


@dataclass(frozen=True, slots=True)
class LineResult:
    feedetl_sn: str
    med_list_codg: str
    det_item_fee_sumamt: int
    fulamt_ownpay_amt: int
    overlmt_amt: int
    preselfpay_amt: int
    inscp_scp_amt: int
    pric_uplmt_amt: int | None
    selfpay_prop: Fraction
    chrgitm_lv: str
    med_chrgitm_type: str
    lmt_used_flag: bool
    in_catalog: bool


@dataclass(frozen=True, slots=True)
class DetailRow:
    fund_pay_type: str
    fund_pay_type_name: str
    inscp_scp_amt: int
    crt_payb_lmt_amt: int | None
    """What this fund may still pay this year after this settlement (None: no cap)."""
    fund_payamt: int


@dataclass(frozen=True, slots=True)
class Paid:
    kind: str
    sponsor: str | None
    amount: int


def _named(zh: str, en: str) -> dict[str, Any]:
    return {"label": Bi(zh, en)}


@dataclass(frozen=True, slots=True)
class Setlinfo:
    """The amounts of the national setlinfo (fen; one ratio), in the specification's order,
    each with its name in both languages.

    Declared here once: the engine's Result, the stored settlement, the REST answer, the
    gateway's setlinfo, the cashier's receipt and the FHIR adjudication all take their fields
    and labels from this class (SETLINFO_FIELDS, SETLINFO_LABELS)."""

    medfee_sumamt: int = field(metadata=_named("医疗费总额", "Total medical fees"))
    fulamt_ownpay_amt: int = field(metadata=_named("全自费金额", "Fully self-paid"))
    """outside the catalog, class C, or a limited item outside its indication"""
    overlmt_selfpay: int = field(metadata=_named("超限价自费", "Self-paid above price caps"))
    """the part of a price above the catalog's cap"""
    preselfpay_amt: int = field(metadata=_named("先行自付金额", "First self-pay share (class B)"))
    """a class B item's first self-paid share"""
    inscp_scp_amt: int = field(metadata=_named("符合政策范围金额", "Within policy scope"))
    """what the funds consider"""
    act_pay_dedc: int = field(metadata=_named("实际支付起付线", "Deductible applied"))
    """the deductible this settlement used"""
    hifp_pay: int = field(metadata=_named("统筹基金支出", "Pooled fund"))
    pool_prop_selfpay: Fraction = field(metadata=_named("统筹基金支付比例", "Pooled fund ratio"))
    """the first band's, when banded"""
    cvlserv_pay: int = field(metadata=_named("公务员医疗补助", "Civil-servant subsidy"))
    hifes_pay: int = field(metadata=_named("企业补充医疗保险", "Enterprise supplementary"))
    hifmi_pay: int = field(metadata=_named("居民大病保险", "Resident critical illness"))
    hifob_pay: int = field(metadata=_named("职工大额医疗费用补助",
                                           "Employee large-expense subsidy"))
    maf_pay: int = field(metadata=_named("医疗救助", "Medical assistance"))
    oth_pay: int = field(metadata=_named("其他支出", "Other"))
    fund_pay_sumamt: int = field(metadata=_named("基金支付总额", "Paid by funds in total"))
    psn_part_amt: int = field(metadata=_named("个人负担总金额", "Personal part in total"))
    acct_pay: int = field(metadata=_named("个人账户支出", "Own personal account"))
    acct_mulaid_pay: int = field(metadata=_named("个人账户共济支付",
                                                 "Family members' accounts (mutual aid)"))
    """family members' accounts and wallet quota"""
    psn_cash_pay: int = field(metadata=_named("个人现金支出", "Cash"))
    hosp_part_amt: int = field(metadata=_named("医院负担金额", "Borne by the institution"))


SETLINFO_FIELDS = tuple(f.name for f in fields(Setlinfo))
SETLINFO_LABELS: Mapping[str, Bi] = {f.name: f.metadata["label"] for f in fields(Setlinfo)}
SETLINFO_AMOUNTS = tuple(n for n in SETLINFO_FIELDS if n != "pool_prop_selfpay")
"""The setlinfo fields that are amounts of money (every field but the ratio)."""
EXPECTED = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
"""The splits a HIS may send with a settlement, computed on its side: checked against ours."""


def setlinfo_of(x: Setlinfo) -> Setlinfo:
    """Just the setlinfo of a result or a view."""
    return Setlinfo(**{n: getattr(x, n) for n in SETLINFO_FIELDS})


@dataclass(frozen=True, slots=True)
class Result(Setlinfo):
    lines: tuple[LineResult, ...]
    detail: tuple[DetailRow, ...]
    payments: tuple[Paid, ...]
    year_deltas: Mapping[str, int]
    """Accumulator increments for (person, insutype, year)."""
    stay_deltas: Mapping[str, int]
    """Accumulator increments for this stay (mdtrt)."""
    rule: str
    minus: Fraction
    supp_cap: int | None = None
    """The supplementary layer's annual cap this year, its raise included (None: no cap, or
    the layer does not apply to this visit)."""
    supp_plus: int = 0
    """The raise in supp_cap (大病保险 incentives)."""
    quota_not_accepted: int = 0
    """What wallet quota would have paid of the personal burden, had the institution taken
    the wallet (医保钱包): the quota the person held that was left unused because it does not
    (0 when it does, when there was none, or when the earlier sources covered the burden)."""


def check_expected(ours: Setlinfo, expected: Mapping[str, int]) -> None:
    """What the HIS computed on its side must be what we computed (a fen is never rounded
    away): each given split of EXPECTED, else GATEWAY_AMOUNT_MISMATCH naming it."""
    for name in EXPECTED:
        given = expected.get(name)
        if given is not None and given != getattr(ours, name):
            raise GongjiError("GATEWAY_AMOUNT_MISMATCH", field=name, given=format_yuan(given),
                              ours=format_yuan(getattr(ours, name)))


def check_ready(*, care: str, final: bool, total: int, claimed_total: int | None) -> None:
    """Before anything is computed: the HIS's total is ours, and a mid-stay settlement
    (中途结算) is a stay's."""
    if claimed_total is not None and claimed_total != total:
        raise GongjiError("SETTLE_AMOUNT_MISMATCH", given=format_yuan(claimed_total),
                          expected=format_yuan(total))
    if not final and care != "inpatient":
        raise GongjiError("MID_SETTLEMENT_INPATIENT_ONLY")


@dataclass
class Accumulators:
    year: dict[str, int] = field(default_factory=dict)
    stay: dict[str, int] = field(default_factory=dict)

    def get(self, key: str) -> int:
        return self.year.get(key, 0)


# -- line classification ---------------------------------------------------------------------

def classify(line: FeeLine, item: CatalogItem | None) -> LineResult:
    """One fee line by the care region's catalog."""
    fee = line.det_item_fee_sumamt
    expected = int((line.cnt * line.pric * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if line.cnt <= 0 or line.pric < 0 or fee < 0:
        raise GongjiError("FEE_LINE_INVALID", feedetl_sn=line.feedetl_sn,
                          reason="cnt must be positive, pric and det_item_fee_sumamt not "
                                 "negative")
    if expected != fee:
        raise GongjiError("FEE_LINE_MISMATCH", feedetl_sn=line.feedetl_sn,
                          expected=f"{expected / 100:.2f}", given=f"{fee / 100:.2f}")
    if item is None:
        return _line(line, None, full=fee, over=0, pre=0, inscp=0)
    if item.chrgitm_lv == "03" or (item.lmt_used_flag and not line.within_limits):
        return _line(line, item, full=fee, over=0, pre=0, inscp=0)
    over = 0
    if item.pric_uplmt_amt is not None:
        excess = line.pric * 100 - item.pric_uplmt_amt
        if excess > 0:
            over = min(fee, int((excess * line.cnt).quantize(Decimal(1),
                                                              rounding=ROUND_HALF_UP)))
    rest = fee - over
    pre = apply_ratio(rest, item.selfpay_prop)
    return _line(line, item, full=0, over=over, pre=pre, inscp=rest - pre)


def _line(line: FeeLine, item: CatalogItem | None, *, full: int, over: int, pre: int,
          inscp: int) -> LineResult:
    return LineResult(
        feedetl_sn=line.feedetl_sn, med_list_codg=line.med_list_codg,
        det_item_fee_sumamt=line.det_item_fee_sumamt, fulamt_ownpay_amt=full,
        overlmt_amt=over, preselfpay_amt=pre, inscp_scp_amt=inscp,
        pric_uplmt_amt=item.pric_uplmt_amt if item else None,
        selfpay_prop=item.selfpay_prop if item else Fraction(1),
        chrgitm_lv=item.chrgitm_lv if item else "03",
        med_chrgitm_type=item.med_chrgitm_type if item else "14",
        lmt_used_flag=bool(item and item.lmt_used_flag), in_catalog=item is not None)


# -- the engine --------------------------------------------------------------------------------

def settle(lines: Sequence[FeeLine], catalog: Mapping[str, CatalogItem], visit: Visit,
           person: PersonFacts, benefits: Benefits, acc: Accumulators,
           sources: Sequence[Source], *, acct_used: bool = True,
           not_accepted: Sequence[Source] = ()) -> Result:
    """Every amount of a settlement. `sources` pay the personal burden in order; quota in
    `not_accepted` (held, but at an institution that does not take the wallet) pays nothing:
    what it would have paid after the sources is Result.quota_not_accepted."""
    if not lines:
        raise GongjiError("FEE_LINES_EMPTY")
    classified = tuple(classify(ln, catalog.get(ln.med_list_codg)) for ln in lines)
    medfee = sum(x.det_item_fee_sumamt for x in classified)
    full = sum(x.fulamt_ownpay_amt for x in classified)
    over = sum(x.overlmt_amt for x in classified)
    pre = sum(x.preselfpay_amt for x in classified)
    inscp = sum(x.inscp_scp_amt for x in classified)
    year: dict[str, int] = {}
    stay: dict[str, int] = {}

    rule = _rule(benefits, visit, person)
    minus = _minus(benefits, visit)
    hifp, ded, ratio, cap_left = 0, 0, Fraction(0), None
    if rule is not None:
        hifp, ded, ratio, cap_left = _pool(rule, benefits, visit, person, acc, inscp, medfee,
                                           minus, year, stay)

    hifmi = hifob = 0
    supp = benefits.supplementary.get(person.insutype)
    supp_left = supp_cap = None
    if supp is not None and visit.care in supp.care:
        base = inscp - hifp
        before = acc.get("supp:base")
        plus = Fraction(supp.low_income_plus) if person.low_income else Fraction(0)
        bands = tuple((b.upto, clamp(Fraction(b.ratio) + plus)) for b in supp.bands)
        supp_cap = None if supp.cap is None else supp.cap + person.supp_plus
        paid = _layer(before, base, lambda x: banded(x, supp.deductible, bands),
                      supp_cap, acc.get("supp:paid"))
        year["supp:base"] = base
        year["supp:paid"] = paid
        if supp_cap is not None:  # never below 0, should a raise be taken back mid-year
            supp_left = max(supp_cap - acc.get("supp:paid") - paid, 0)
        if supp.fund == "hifmi":
            hifmi = paid
        else:
            hifob = paid

    maf = 0
    maf_left = None
    if benefits.assistance is not None and person.assistance_eligible:
        a = benefits.assistance
        base = inscp - hifp - hifmi - hifob
        ratio_a = Fraction(a.ratio)
        maf = _layer(acc.get("maf:base"), base,
                     lambda x: max(Fraction(0), Fraction(x - a.deductible)) * ratio_a,
                     a.cap, acc.get("maf:paid"))
        year["maf:base"] = base
        year["maf:paid"] = maf
        if a.cap is not None:
            maf_left = a.cap - acc.get("maf:paid") - maf

    funds = hifp + hifmi + hifob + maf
    psn_part = medfee - funds
    policy_selfpay = psn_part - full - over
    payable = psn_part if benefits.account_pays_self_paid else max(policy_selfpay, 0)
    payments: list[Paid] = []
    if acct_used:
        for src in sources:
            take = min(src.balance, payable)
            if take > 0:
                payments.append(Paid(src.kind, src.sponsor, take))
                payable -= take
    refused = min(payable, sum(s.balance for s in not_accepted)) if acct_used else 0
    acct = sum(p.amount for p in payments if p.kind == "own")
    mulaid = sum(p.amount for p in payments if p.kind != "own")
    cash = psn_part - acct - mulaid

    pool_type = "310100" if person.insutype == "310" else "390100"
    detail = [DetailRow(pool_type, FUND_TYPES[pool_type], inscp, cap_left, hifp)] \
        if rule is not None else []
    if hifob or (supp is not None and supp.fund == "hifob" and visit.care in supp.care):
        detail.append(DetailRow("330100", FUND_TYPES["330100"], inscp, supp_left, hifob))
    if hifmi or (supp is not None and supp.fund == "hifmi" and visit.care in supp.care):
        detail.append(DetailRow("390200", FUND_TYPES["390200"], inscp, supp_left, hifmi))
    if maf:
        detail.append(DetailRow("610100", FUND_TYPES["610100"], inscp, maf_left, maf))
    return Result(
        lines=classified, medfee_sumamt=medfee, fulamt_ownpay_amt=full, overlmt_selfpay=over,
        preselfpay_amt=pre, inscp_scp_amt=inscp, act_pay_dedc=ded, hifp_pay=hifp,
        pool_prop_selfpay=ratio, cvlserv_pay=0, hifes_pay=0, hifmi_pay=hifmi,
        hifob_pay=hifob, maf_pay=maf, oth_pay=0, fund_pay_sumamt=funds,
        psn_part_amt=psn_part, acct_pay=acct, acct_mulaid_pay=mulaid, psn_cash_pay=cash,
        hosp_part_amt=0, detail=tuple(detail), payments=tuple(payments),
        year_deltas={k: v for k, v in year.items() if v}, stay_deltas={
            k: v for k, v in stay.items() if v},
        rule=rule.name if rule else "", minus=minus, supp_cap=supp_cap,
        supp_plus=person.supp_plus if supp_cap is not None else 0,
        quota_not_accepted=max(refused, 0))


def _rule(benefits: Benefits, visit: Visit, person: PersonFacts) -> Rule | None:
    """The first rule, in document order, whose `when` fits the person and the visit."""
    for r in benefits.rules:
        if r.when.fits(insutype=person.insutype, psn_type=person.psn_type, care=visit.care,
                       level=visit.level, out_of_area=visit.out_of_area,
                       cross_province=visit.cross_province,
                       filing=visit.filing_kind if visit.out_of_area else None,
                       first_stay=visit.first_stay, emergency=visit.emergency):
            return r
    return None


def _minus(benefits: Benefits, visit: Visit) -> Fraction:
    """Ratio points lost out of area: none with a long-term filing, by kind for temporary
    ones, and without filing the region's choice (refuse, or reduce)."""
    if not visit.out_of_area:
        return Fraction(0)
    kind = visit.filing_kind
    rules = benefits.out_of_area
    if kind is None:
        if (rules.unfiled if visit.cross_province else rules.unfiled_in_province) == "refuse":
            raise GongjiError("OUT_OF_AREA_NOT_FILED")
        return Fraction(rules.unfiled_minus)
    if kind in LONG_TERM:
        return Fraction(0)
    return Fraction(rules.minus.get(kind, 0))


def _pool(rule: Rule, benefits: Benefits, visit: Visit, person: PersonFacts,
          acc: Accumulators, inscp: int, medfee: int, minus: Fraction,
          year: dict[str, int], stay: dict[str, int]
          ) -> tuple[int, int, Fraction, int | None]:
    g = rule.cap_group
    d = rule.deductible
    if d.per == "year":
        total = d.amount if d.amount is not None else (d.by_level or {}).get(visit.level, 0)
        used = acc.get(f"ded:{g}")
        ded = min(max(total - used, 0), inscp)
        year[f"ded:{g}"] = ded
    else:
        stay_fee = acc.stay.get("fee", 0) + medfee
        if d.share is not None:
            due = apply_ratio(stay_fee, Fraction(d.share.ratio))
            due = max(due, d.share.min)
            if d.share.max is not None:
                due = min(due, d.share.max)
        else:
            due = d.amount if d.amount is not None else (d.by_level or {}).get(visit.level, 0)
        if not visit.first_stay and d.later_stays is not None:
            due = apply_ratio(due, Fraction(d.later_stays))
        ded = min(max(due - acc.stay.get("ded", 0), 0), inscp)
        stay["fee"] = medfee
        stay["ded"] = ded
    eligible = inscp - ded
    plus = Fraction(rule.retiree_plus) if person.retired else Fraction(0)
    if rule.pay.bands is not None:
        bands = tuple((b.upto, clamp(Fraction(b.ratio) + plus - minus))
                      for b in rule.pay.bands)

        def f(x: int) -> Fraction:
            return banded(x, 0, bands)

        ratio = bands[0][1] if bands else Fraction(0)
    else:
        base = rule.pay.ratio if rule.pay.ratio is not None else \
            (rule.pay.by_level or {}).get(visit.level)
        ratio = clamp(Fraction(base or 0) + plus - minus)

        def f(x: int) -> Fraction:
            return x * ratio

    cap = benefits.caps.get(g)
    paid = _layer(acc.get(f"base:{g}"), eligible, f, cap, acc.get(f"paid:{g}"))
    year[f"base:{g}"] = eligible
    year[f"paid:{g}"] = paid
    return paid, ded, ratio, (cap - acc.get(f"paid:{g}") - paid) if cap is not None else None


def _layer(before: int, this: int, f: object, cap: int | None, paid_before: int) -> int:
    """A cumulative layer's payment now: round(F(before + this)) - round(F(before)), never
    more than what is left under the annual cap. Telescopes over any split of the year."""
    def rounded(x: int) -> int:
        return apply_ratio(1, f(x))  # type: ignore[operator]

    pay = rounded(before + this) - rounded(before)
    if cap is not None:
        pay = min(pay, cap - paid_before)
    return max(pay, 0)
