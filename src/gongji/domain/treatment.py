"""What an institution may ask about a person before and after care: whether the person enjoys
a scheme's treatment on a day (待遇享受, 2001), and which settled lines are a record of their
chronic/special disease medication (慢特病用药记录, 5205).

Treatment follows enrollment: a person enjoys a scheme's treatment on a day when an
enrollment of theirs in that scheme covers the day, begun on or before it and not ended
before it (an ended enrollment's enddate is its last covered day; a move ends one enrollment
the day before the next begins), and, for a resident who paid that year's contribution late or
after a lapse, not before the day its benefits start (待遇等待期, domain.waiting). Nothing
else is judged here: the catalog, a recognition or a filing are the visit's business when it
is settled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gongji.domain.errors import Bi

POOLED_FUNDS = {"310": "310100", "390": "390100"}
"""The fund whose treatment 2001 reports for each basic scheme (fund_pay_type)."""

FUND_CHECK = "01"
"""trt_chk_type 01: a fund's treatment was checked (99 would be another check)."""

CHRONIC_CARE = "chronic"
"""The care of a chronic/special disease outpatient visit (med_type 14)."""

MEDICATION_LIST_TYPES = frozenset({"101", "102"})
"""Catalog list types that are medication: western and patent drugs, herbal pieces."""


@dataclass(frozen=True, slots=True)
class Period:
    """One enrollment's span in a scheme."""

    insutype: str
    begndate: date
    enddate: date | None
    """The last covered day; None while the enrollment runs."""

    def covers(self, day: date) -> bool:
        return self.begndate <= day and (self.enddate is None or day <= self.enddate)


@dataclass(frozen=True, slots=True)
class Treatment:
    """One 2001 trtinfo row: whether the person enjoys the scheme's fund on the day."""

    insutype: str
    fund_pay_type: str | None
    """None for a scheme without a pooled fund settled here."""
    enjoys: bool
    begndate: date | None
    """The enrollment the answer rests on (None: the person never joined the scheme)."""
    enddate: date | None
    reason: Bi | None
    """Why the person does not enjoy it (None when they do)."""


def check_treatment(insutype: str, day: date, periods: Sequence[Period], *,
                    benefits_from: date | None = None) -> Treatment:
    """Whether an enrollment in the scheme covers the day, and if not, why not. benefits_from:
    the day the benefits of the year's contribution start after a waiting period."""
    mine = sorted((p for p in periods if p.insutype == insutype), key=lambda p: p.begndate)
    fund = POOLED_FUNDS.get(insutype)
    for p in mine:
        if p.covers(day):
            if benefits_from is not None and day < benefits_from:
                return Treatment(insutype, fund, False, p.begndate, p.enddate, Bi(
                    f"待遇等待期内，自 {benefits_from} 起享受待遇",
                    f"in the waiting period: benefits start on {benefits_from}"))
            return Treatment(insutype, fund, True, p.begndate, p.enddate, None)
    if not mine:
        return Treatment(insutype, fund, False, None, None, Bi(
            f"未参加险种 {insutype}", f"not enrolled in insutype {insutype}"))
    later = [p for p in mine if p.begndate > day]
    if later:
        p = later[0]
        return Treatment(insutype, fund, False, p.begndate, p.enddate, Bi(
            f"参保自 {p.begndate} 起，{day} 尚不享受待遇",
            f"enrolled from {p.begndate}: no treatment on {day}"))
    p = mine[-1]
    return Treatment(insutype, fund, False, p.begndate, p.enddate, Bi(
        f"参保已于 {p.enddate} 终止", f"the enrollment ended on {p.enddate}"))


def is_chronic_medication(care: str, list_type: str | None) -> bool:
    """A line is a chronic/special disease medication record when a chronic/special
    outpatient visit (med_type 14) bought a drug or herbal pieces. A pharmacy purchase (41)
    names no disease, so it is not one."""
    return care == CHRONIC_CARE and list_type in MEDICATION_LIST_TYPES
