"""What the demo online pharmacy shows and takes. Amounts are fen; counts whole boxes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gongji.domain.errors import GongjiError
from gongji.services.explanation.model import Explanation
from gongji.services.institutions.model import Institution
from gongji.services.mobilepay.model import PayOrderView, Quote, TraceView
from gongji.services.portal.model import Me
from gongji.services.settlement.model import SettlementView

SHOP_CODE = "P41130000002"
SHOP_NAME = "共济网上药房（演示）"
SHOP_ADMDVS = "411300"
"""In Nanyang, where the demo family's mother lives: her orders are in-area."""
HOSPITAL_CODE = "H41130000001"
HOSPITAL_NAME = "南阳共济互联网医院（演示）"
"""The internet hospital that issues the demo's electronic prescriptions."""
RX_DRUG = "XJ01CRA040A001010333926"
"""阿莫西林克拉维酸钾片: class B, a prescription drug."""
MENU: tuple[tuple[str, str], ...] = (
    ("ZA01AAA0107001010254312", "15.80"),  # 感冒清热颗粒 OTC
    ("ZA03AAA0107001010360375", "11.50"),  # 板蓝根颗粒 OTC
    ("XN02BEA040A001010399735", "3.20"),   # 对乙酰氨基酚片 OTC
    ("XR06AXA040A001010191448", "8.60"),   # 氯雷他定片 OTC
    (RX_DRUG, "26.80"),                    # 阿莫西林克拉维酸钾片 Rx
)
"""What the shop sells and at what price per box (yuan text)."""
MAX_CNT = 9
"""At most 9 boxes of one item in an order."""
CASH_OUTCOMES = ("pay", "fail", "timeout")
"""How the sandbox cash channel answers the order's cash part (the sandbox only)."""


@dataclass(frozen=True, slots=True)
class ShopItem:
    code: str
    name: str
    spec: str
    unit: str
    price: int
    needs_rx: bool


@dataclass(frozen=True, slots=True)
class RxShown:
    """An open electronic prescription of someone the person may buy for."""

    hi_rxno: str
    psn_no: str
    name_masked: str
    issued_by: str
    valid_until: datetime
    items: tuple[tuple[str, str], ...]
    """(drug name, count)."""


@dataclass(frozen=True, slots=True)
class ShopPage:
    me: Me
    shop: Institution
    items: list[ShopItem]
    subjects: list[tuple[str, str]]
    """Whom the person may buy for: (psn_no, masked name), themselves first."""
    prescriptions: list[RxShown]
    for_psn: str


@dataclass(frozen=True, slots=True)
class Cart:
    """An order as asked: for whom, (code, count as typed) per item, and in the sandbox how
    its cash part is answered."""

    psn_no: str
    items: tuple[tuple[str, str], ...]
    cash_outcome: str = "pay"


@dataclass(frozen=True, slots=True)
class CartLine:
    item: ShopItem
    cnt: int
    amount: int


@dataclass(frozen=True, slots=True)
class ConfirmPage:
    me: Me
    shop: Institution
    cart: Cart
    lines: list[CartLine]
    total: int
    quote: Quote
    hi_rxno: str | None
    for_name: str


@dataclass(frozen=True, slots=True)
class OrderDone:
    order: PayOrderView
    failed: bool
    """The cash part was not paid: the insurance part was all put back."""


@dataclass(frozen=True, slots=True)
class OrderRow:
    order: PayOrderView
    for_name: str


@dataclass(frozen=True, slots=True)
class OrdersPage:
    me: Me
    orders: list[OrderRow]


@dataclass(frozen=True, slots=True)
class OrderShown:
    me: Me
    order: PayOrderView
    for_name: str
    items: list[tuple[str, str, str, int]]
    """(name, count, price text, amount) of each line."""
    settlement: SettlementView | None
    explanation: Explanation | None
    traces: tuple[TraceView, ...]
    can_refund: bool
    can_ship: bool


@dataclass(frozen=True, slots=True)
class PayRequest:
    """An institution's order, as its redirect carried it (text exactly as sent), and for
    whom the person authorizes it (themselves when empty)."""

    fixmedins_code: str
    med_org_ord: str
    items: str
    fee_sumamt: str
    return_url: str
    state: str
    sig: str
    psn_no: str = ""

    def signed(self) -> dict[str, str]:
        return {"fixmedins_code": self.fixmedins_code, "med_org_ord": self.med_org_ord,
                "items": self.items, "fee_sumamt": self.fee_sumamt,
                "return_url": self.return_url, "state": self.state}


@dataclass(frozen=True, slots=True)
class AuthPage:
    me: Me
    shop: Institution
    request: PayRequest
    lines: list[tuple[str, str, str, int]]
    """(name, count, price text, amount)."""
    total: int
    quote: Quote | None
    """None when the order cannot be paid for this person (quote_error says why): the page
    still shows, so that the person can choose a relative instead."""
    subjects: list[tuple[str, str]]
    for_psn: str
    quote_error: GongjiError | None = None


@dataclass(frozen=True, slots=True)
class Returned:
    url: str
    """return_url with payAuthNo, state, medOrgOrd and gongji's sig."""
    pay_auth_no: str
