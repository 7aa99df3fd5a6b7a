"""What clearing gives: what one region owes another for a month, an institution's settled
totals, a reconciliation of totals (3201) and of lines (3202). Amounts are fen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gongji.domain.money import format_yuan

TOTALS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "fixmedins_setl_cnt")
"""What an institution's totals are compared on, in this order."""

CARE_OF_CLR_TYPE: dict[str, tuple[str, ...]] = {
    "11": ("outpatient", "chronic"), "21": ("inpatient",), "41": ("pharmacy",)}
"""The care types a clearing type (clr_type) totals; an unknown one totals nothing."""


@dataclass(frozen=True, slots=True)
class PairLine:
    insuplc_admdvs: str
    """Owes (the insured region)."""
    mdtrtarea_admvs: str
    """Is owed (the care region, which advanced the money)."""
    count: int
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    acct_mulaid_pay: int
    clearing_amt: int


@dataclass(frozen=True, slots=True)
class Totals:
    fixmedins_code: str
    begndate: date
    enddate: date
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    fixmedins_setl_cnt: int


@dataclass(frozen=True, slots=True)
class Claimed:
    """An institution's own totals for a period (Shanghai days, inclusive)."""

    begndate: date
    enddate: date
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    fixmedins_setl_cnt: int
    insutype: str | None = None
    clr_type: str | None = None


@dataclass(frozen=True, slots=True)
class Reconciliation:
    ours: Totals
    differing: tuple[str, ...]
    """The TOTALS that differ from the institution's, in order."""

    @property
    def matched(self) -> bool:
        return not self.differing

    def ours_text(self, name: str) -> str:
        """Our figure as the answer states it: a count, or yuan."""
        value = getattr(self.ours, name)
        return str(value) if name.endswith("_cnt") else format_yuan(value)


@dataclass(frozen=True, slots=True)
class LineCheck:
    """A detail reconciliation: the result file stored for 9102, and the counts."""

    file_qury_no: str
    filename: str
    lines: int
    mismatches: int
