"""What mobile payment takes and gives. Amounts are fen; counts and prices decimal text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gongji.services.settlement.model import FeeIn, SettlementView


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One item of an order as the person sees it: what, how many, at what price."""

    med_list_codg: str
    cnt: str
    pric: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Authorize:
    """A person's (or their proxy's) consent to pay one institution's order with 医保."""

    psn_no: str
    fixmedins_code: str
    med_org_ord: str
    items: tuple[OrderItem, ...]
    fee_sumamt: int
    insutype: str | None = None


@dataclass(frozen=True, slots=True)
class PayAuthView:
    pay_auth_no: str
    psn_no: str
    authorized_by: str
    fixmedins_code: str
    fixmedins_name: str
    med_org_ord: str
    insutype: str
    fee_sumamt: int
    items: tuple[OrderItem, ...]
    created_at: datetime
    expires_at: datetime
    used: bool
    pay_ord_id: str | None


@dataclass(frozen=True, slots=True)
class Quote:
    """What paying the order now would take from where: the pre-settlement of the same items
    as a purchase at the counter, nothing moved."""

    institution: str
    fee_sumamt: int
    fund_pay: int
    acct_pay: int
    acct_mulaid_pay: int
    own_pay_amt: int
    settlement: SettlementView


@dataclass(frozen=True, slots=True)
class Upload:
    """6201: the institution's fee lines of an authorized order."""

    pay_auth_no: str
    med_org_ord: str
    med_type: str
    lines: tuple[FeeIn, ...]
    medfee_sumamt: int
    psn_no: str | None = None
    insutype: str | None = None
    hi_rxno: str | None = None
    notify_url: str | None = None


@dataclass(frozen=True, slots=True)
class Pay:
    """6202: pay the uploaded order."""

    pay_auth_no: str
    pay_ord_id: str
    pay_token: str
    acct_used_flag: bool = True


@dataclass(frozen=True, slots=True)
class RefundAsk:
    """6203: give back the whole order, or the lines named. An amount the institution leaves
    out is -1 (taken as ours); one it gives must be ours to the fen."""

    pay_ord_id: str
    app_refd_sn: str
    refd_type: str
    totl_refd_amt: int
    cash_refd_amt: int = -1
    psn_acct_refd_amt: int = -1
    fund_refd_amt: int = -1
    feedetl_sns: tuple[str, ...] = ()
    pay_auth_no: str | None = None


@dataclass(frozen=True, slots=True)
class RefundView:
    app_refd_sn: str
    refd_type: str
    totl_refd_amt: int
    cash_refd_amt: int
    psn_acct_refd_amt: int
    fund_refd_amt: int
    lines: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PayOrderView:
    pay_ord_id: str
    med_org_ord: str
    fixmedins_code: str
    fixmedins_name: str
    psn_no: str
    authorized_by: str
    insutype: str
    ord_stas: str
    fee_sumamt: int
    own_pay_amt: int
    psn_acct_pay: int
    """The personal account and family quota together (acct_pay + acct_mulaid_pay)."""
    fund_pay: int
    acct_mulaid_pay: int
    mdtrt_id: str
    setl_id: str | None
    hi_rxno: str | None
    cash_state: str
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    refunds: tuple[RefundView, ...] = ()
    pay_token: str | None = None
    """Given with 6201's answer (and its replays), to the institution only."""


@dataclass(frozen=True, slots=True)
class Shipped:
    """A shipment's trace codes by fee line (feedetl_sn -> codes)."""

    lines: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class TraceView:
    med_list_codg: str
    name: str
    code: str


@dataclass(frozen=True, slots=True)
class CashView:
    """A request to the payment channel: the order's cash part, or its refund."""

    id: str
    kind: str
    amount: int
    channel: str
    state: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NoticeView:
    notify_id: str
    created_at: datetime
    attempts: int
    delivered_at: datetime | None
    last_error: str | None
    gave_up: bool
    event: str
    ord_stas: str


@dataclass(frozen=True, slots=True)
class DeskRow:
    """An order as operators follow it: its state, its cash requests, its notifications."""

    order: PayOrderView
    psn_name_masked: str
    cash: tuple[CashView, ...]
    notices: tuple[NoticeView, ...]


@dataclass(frozen=True, slots=True)
class Desk:
    rows: tuple[DeskRow, ...]
    paying: int
    """Orders left paying (insurance settled, cash not answered): the reconciliation's."""
    undelivered: int
    """Notifications not delivered yet (retrying or given up) among these orders."""


@dataclass(frozen=True, slots=True)
class OrderPage:
    """An order as its person (or their proxy) sees it: the order, the settlement's
    explanation, and the trace codes of what was shipped."""

    order: PayOrderView
    settlement: SettlementView | None
    traces: tuple[TraceView, ...]
