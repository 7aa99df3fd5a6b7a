"""Benefit rules of an insured region (参保地待遇), as data, and the arithmetic they define.

Every rule shape of DOMAIN.md §5 is expressible here: deductibles by hospital level, by first
or later stay, or as a share of the stay with a minimum and a maximum; ratios by level or
banded by amount, plus points for retirees, minus points by out-of-area filing kind or without
filing; annual caps per fund; a supplementary segmented layer (critical illness / large
expense) with its own deductible, bands and cap; a medical assistance layer.

Which rule applies: the first, in document order, whose `when` fits the person (scheme, person
type) and the visit (care, level, out of area, across provinces, filing kind, first or later
stay, emergency). So a region can hold, say, its local inpatient rule beside a share-of-the-stay
deductible for stays in another province, listing the specific rule first.

Thresholds are cumulative over the year: a layer pays F(before + this) - F(before), where F is
exact (a Fraction) and rounded half up to the fen only when paid. So splitting a year's claims
into more settlements never changes the year's totals, except where a rule is per stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from gongji.domain.money import parse_yuan

CARE_TYPES = ("outpatient", "inpatient", "pharmacy", "chronic")
"""outpatient (11, 13), inpatient (21, 25, 28), pharmacy (41), chronic/special outpatient (14)."""

LEVELS = ("0", "1", "2", "3")
"""Institution level: 3 tertiary, 2 secondary, 1 primary/community, 0 pharmacy or unrated."""

FILING_KINDS = ("retiree_settled", "long_term_resident", "posted_staff", "referral",
                "emergency", "other_temporary")


def _fen(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_yuan(value, allow_zero=True)
        except Exception as e:  # GongjiError: keep pydantic's error path
            raise ValueError(getattr(e, "message_en", str(e))) from None
    raise ValueError('an amount is a string of yuan such as "1000.00"')


def _ratio(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            d = Decimal(value)
        except Exception:
            raise ValueError('a ratio is a decimal string such as "0.85"') from None
        if d.is_finite() and 0 <= d <= 1 and d.as_tuple().exponent >= -4:  # type: ignore[operator]
            return d
    raise ValueError('a ratio is a decimal string from "0" to "1", at most 4 decimals')


Fen = Annotated[int, BeforeValidator(_fen)]
Ratio = Annotated[Decimal, BeforeValidator(_ratio)]


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Share(_Rules):
    ratio: Ratio
    min: Fen = 0
    max: Fen | None = None


class Deductible(_Rules):
    """起付线. Exactly one of amount, by_level or share."""

    per: Literal["stay", "year"] = "year"
    amount: Fen | None = None
    by_level: dict[str, Fen] | None = None
    share: Share | None = None
    """A share of the stay's (or visit's) total fees, between min and max."""
    later_stays: Ratio | None = None
    """Per-stay deductibles: the 2nd and later stays of a year pay this share of it."""

    @model_validator(mode="after")
    def _one(self) -> Deductible:
        given = [x for x in (self.amount, self.by_level, self.share) if x is not None]
        if len(given) > 1:
            raise ValueError("give one of amount, by_level or share")
        if self.share is not None and self.per != "stay":
            raise ValueError("a share deductible is per stay")
        return self


class Band(_Rules):
    upto: Fen | None = None
    """The band ends here (cumulative amount above the deductible); None: no end."""
    ratio: Ratio


class Payment(_Rules):
    """What the pooled fund pays of the in-scope amount above the deductible."""

    ratio: Ratio | None = None
    by_level: dict[str, Ratio] | None = None
    bands: tuple[Band, ...] | None = None
    """Banded by the year's cumulative amount above the deductible (absolute ratios)."""

    @model_validator(mode="after")
    def _one(self) -> Payment:
        given = [x for x in (self.ratio, self.by_level, self.bands) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of ratio, by_level or bands")
        return self


FilingKey = Literal["retiree_settled", "long_term_resident", "posted_staff", "referral",
                    "emergency", "other_temporary", "none"]
"""A filing kind in `when.filing`, or "none": no filing (in area, or out of area unfiled)."""


class Match(_Rules):
    """What a rule applies to. Every key given must fit (a list: any of its values); a key not
    given fits everything. Rules are tried in document order and the first that fits applies,
    so a region lists its specific rules (out of province, say) before its general ones."""

    insutype: frozenset[str] | None = None
    care: frozenset[Literal["outpatient", "inpatient", "pharmacy", "chronic"]] | None = None
    levels: frozenset[str] | None = None
    psn_types: frozenset[str] | None = None
    out_of_area: bool | None = None
    """Care outside the insured pooling region (异地就医)."""
    cross_province: bool | None = None
    """Care in another province (跨省; implies out of area)."""
    filing: frozenset[FilingKey] | None = None
    """The filing the visit settles under, a deemed emergency filing included."""
    stay: Literal["first", "later"] | None = None
    """Inpatient only: the year's first stay, or a later one (other care never fits)."""
    emergency: bool | None = None
    """An emergency visit (急诊抢救, med_type 13)."""

    def fits(self, *, insutype: str, psn_type: str, care: str, level: str,
             out_of_area: bool = False, cross_province: bool = False,
             filing: str | None = None, first_stay: bool = True,
             emergency: bool = False) -> bool:
        stay = None if care != "inpatient" else "first" if first_stay else "later"
        return (self.insutype is None or insutype in self.insutype) and \
            (self.care is None or care in self.care) and \
            (self.levels is None or level in self.levels) and \
            (self.psn_types is None or psn_type in self.psn_types) and \
            (self.out_of_area is None or out_of_area == self.out_of_area) and \
            (self.cross_province is None or cross_province == self.cross_province) and \
            (self.filing is None or (filing or "none") in self.filing) and \
            (self.stay is None or stay == self.stay) and \
            (self.emergency is None or emergency == self.emergency)


class Rule(_Rules):
    """A basic-insurance rule; the first rule whose `when` fits the visit applies (in the
    order of the document that lists the rules: a region's list replaces the national one
    whole)."""

    name: str = ""
    when: Match = Match()
    deductible: Deductible = Deductible(amount="0.00")
    pay: Payment
    retiree_plus: Ratio = Decimal(0)
    """Added to the ratio for retired employees (psn_type 1201)."""
    cap_group: str = "pool"
    """Which annual cap (caps[cap_group]) and band position this rule's payments count to."""


class OutOfArea(_Rules):
    """异地就医: the care region is not the insured pooling region."""

    minus: dict[str, Ratio] = {"referral": Decimal("0.10"), "emergency": Decimal("0.10"),
                               "other_temporary": Decimal("0.20")}
    """Ratio points taken off by filing kind ([N] at most 10 for referral and emergency, at
    most 20 for other temporary); long-term kinds lose nothing."""
    unfiled: Literal["refuse", "reduce"] = "refuse"
    """Across provinces without a filing: refuse direct settlement (the national rule: file
    before discharge, or pay in full and claim at home), or settle it reduced by
    unfiled_minus where the region's own document allows."""
    unfiled_in_province: Literal["refuse", "reduce"] = "reduce"
    """Within the province, out of the pooling region, without a filing (provinces differ)."""
    unfiled_minus: Ratio = Decimal("0.20")


class Incentives(_Rules):
    """[N] 国办发〔2024〕38号: from 2025 the 大病保险 annual cap rises for a resident enrolled
    continuously for more than `after_years` years (each further year) and after each year in
    which the fund paid them nothing (零报销), both together; a lapse (断保) loses both. The
    defaults are the national floor (at least 1,000 yuan a raise); domain/incentives.py counts."""

    from_year: Annotated[int, Field(strict=True)] = Field(2025, ge=2000, le=2100)
    """The first coverage year whose cap can be raised (自2025年起)."""
    after_years: Annotated[int, Field(strict=True)] = Field(4, ge=0, le=50)
    """Continuous years that earn nothing yet; each further continuous year raises the cap."""
    per_continuous_year: Fen = 1000_00
    per_claim_free_year: Fen = 1000_00
    max_plus: Fen | None = None
    """[U regional] a limit on the whole raise (None: no limit)."""


class Supplementary(_Rules):
    """大病保险 (residents, 390200) or 大额补助 (employees, 330100): segments of the year's
    in-scope personal burden above its own deductible."""

    fund: Literal["hifmi", "hifob"]
    deductible: Fen
    bands: tuple[Band, ...]
    """upto is the cumulative personal burden (absolute, not above the deductible)."""
    cap: Fen | None = None
    low_income_plus: Ratio = Decimal(0)
    """[N] at least 5 points more for low-income people."""
    care: frozenset[Literal["outpatient", "inpatient", "pharmacy", "chronic"]] = frozenset(
        {"inpatient", "chronic"})
    """Which visits count towards it (by default inpatient and chronic/special outpatient)."""
    incentives: Incentives | None = None
    """Raises of the cap for continuous enrollment and claim-free years (residents, 390)."""


class Assistance(_Rules):
    """医疗救助 for eligible persons: a ratio of what is still theirs to pay, in scope."""

    ratio: Ratio
    deductible: Fen = 0
    cap: Fen | None = None


class Benefits(_Rules):
    rules: tuple[Rule, ...] = ()
    caps: dict[str, Fen] = {}
    """Annual caps of the pooled fund by cap group, e.g. {pool: "400000.00"}."""
    out_of_area: OutOfArea = OutOfArea()
    supplementary: dict[str, Supplementary] = {}
    """By insutype: "390" critical illness, "310" large-expense subsidy."""
    assistance: Assistance | None = None
    account_pays_self_paid: bool = False
    """[N regional] whether personal accounts may pay fully self-paid items (全自费, 超限价)
    as well as the in-scope self-pay part."""


# -- arithmetic ------------------------------------------------------------------------------

def banded(x: int, start: int, bands: Sequence[tuple[int | None, Fraction]]) -> Fraction:
    """Exact amount paid on [start, x) by bands (end, ratio) whose ends are absolute positions;
    a band ending at or before start is skipped, one without an end runs on."""
    total, lo = Fraction(0), start
    for hi, ratio in bands:
        if hi is not None and hi <= lo:
            continue
        top = x if hi is None else min(x, hi)
        if top > lo:
            total += (top - lo) * ratio
        if hi is None or x <= hi:
            break
        lo = hi
    return total


def clamp(r: Fraction) -> Fraction:
    """A ratio after plus and minus points stays within 0 and 1."""
    return max(Fraction(0), min(Fraction(1), r))
