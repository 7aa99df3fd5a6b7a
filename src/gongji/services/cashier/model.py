"""What the demo cashier takes and gives: the sale form as typed (a Draft of Rows, mutable:
the form is carried and filled in from page to page), the pages (the institutions to choose
from, the sale, the quote, the receipt) and who paid the personal part."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from gongji.domain.catalog import CatalogItem
from gongji.domain.errors import Bi
from gongji.services.institutions.model import Institution
from gongji.services.settlement.model import LineView, SettlementView
from gongji.services.tracing.model import StockView

Kind = Literal["hospital", "pharmacy"]

MED_TYPES: dict[Kind, tuple[str, ...]] = {"pharmacy": ("41",), "hospital": ("11", "13")}
"""What a counter settles at each kind of institution, the default first: a pharmacy sells
drugs (41 定点药店购药); a hospital's counter settles outpatient visits (11 普通门诊,
13 急诊). Chronic visits (14) need a recognised diagnosis and stays (21-28) admission and
discharge: a HIS does those through the national interface."""

ROWS = 5
MAX_ROWS = 40
PRICE = Bi("单价（元）", "Unit price (yuan)")
AMOUNT = Bi("金额", "Amount")


# -- the sale form ------------------------------------------------------------------------------

@dataclass
class Row:
    """A fee line as typed: catalog code, quantity, unit price (yuan), trace codes."""

    code: str = ""
    cnt: str = ""
    pric: str = ""
    traces: str = ""

    @property
    def blank(self) -> bool:
        return not (self.code or self.cnt or self.pric or self.traces)

    @property
    def codes(self) -> list[str]:
        return [c for c in re.split(r"[\s,;，；]+", self.traces) if c]


@dataclass
class Draft:
    """Everything the cashier typed, as the form carries it from page to page."""

    cert_type: str = "01"
    """01 the insurance code (the usual credential at a counter); the service reads the type
    from the number when it clearly is another (services/cashier/service.recognised)."""
    cert_no: str = ""
    insutype: str = ""
    med_type: str = ""
    acct_used: str = "1"
    q: str = ""
    rows: list[Row] = field(default_factory=lambda: [Row() for _ in range(ROWS)])


# -- the pages ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Choice:
    institutions: list[tuple[Institution, Kind]]
    current: Institution | None


@dataclass(frozen=True, slots=True)
class SalePage:
    inst: Institution
    kind: Kind
    med_types: tuple[str, ...]
    draft: Draft
    every: list[CatalogItem]
    """The catalog in force where the institution is (the lines' pickers)."""
    found: list[CatalogItem] | None
    """What the search found (None: no search)."""


Action = Literal["show", "add_row", "traces", "pick"]


@dataclass(frozen=True, slots=True)
class Payer:
    """Where part of the personal burden came from: own account, a family member's account
    (家庭共济, sponsor masked), a sponsor's wallet quota, or cash at the counter."""

    kind: str
    """own, family, quota, cash."""
    sponsor_masked: str | None
    amount: int


@dataclass(frozen=True, slots=True)
class Quote:
    inst: Institution
    view: SettlementView
    payers: tuple[Payer, ...]
    draft: Draft
    """The form with its blanks filled (insutype, prices), so settling sends exactly what
    was pre-settled."""
    units: dict[str, str]
    """Each line's unit (盒, 片...) by catalog code."""


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    line: LineView
    cnt: str
    pric: str
    trace_codes: tuple[str, ...]
    unit: str | None


@dataclass(frozen=True, slots=True)
class Receipt:
    settlement: SettlementView
    institution: Institution
    lines: tuple[ReceiptLine, ...]
    payers: tuple[Payer, ...]


@dataclass(frozen=True, slots=True)
class StockPage:
    """The institution's untraced stock (无码库): each drug registered, sold, left, with its
    catalog name, and the day from which codes are required there."""

    inst: Institution
    stock: list[tuple[StockView, CatalogItem | None]]
    required_from: date | None
