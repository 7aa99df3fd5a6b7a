"""Online purchase with 医保 (医保移动支付) over REST: a person's payment authorization (payAuthNo)
and their online orders; an institution's shipment with trace codes, and the key it checks
gongji's signatures with. The order's own transactions (6201-6401) go through the national
gateway (docs/MOBILE_PAY.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from gongji.api.deps import (
    AnyCaller,
    Caller,
    IdempotencyKey,
    Institution,
    Operator,
    Person,
    Services,
    replay_header,
)
from gongji.api.routes.settlement import SetlinfoOut
from gongji.api.types import PLAIN, In, Pin, Psn, Yuan, YuanOut
from gongji.domain.mobilepay import state_name
from gongji.services.mobilepay import service as mp
from gongji.services.mobilepay.model import (
    Authorize,
    OrderItem,
    OrderPage,
    PayAuthView,
    PayOrderView,
    Quote,
    Shipped,
)
from gongji.services.notify import service as notify

router = APIRouter(prefix="/api/v1", tags=["mobile payment"])

Code = Annotated[str, PLAIN, Field(min_length=1, max_length=50)]


class ItemIn(In):
    med_list_codg: Code
    cnt: Annotated[str, PLAIN] = Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,4})?$",
                                       description="16,4")
    pric: Annotated[str, PLAIN] = Field(pattern=r"^[0-9]{1,10}(\.[0-9]{1,6})?$",
                                        description="16,6 yuan")
    name: str = Field("", max_length=100, description="As the institution shows it")


class OrderIn(In):
    psn_no: Psn = Field(description="Whose order: the caller, or a relative they hold a "
                                    "proxy for")
    fixmedins_code: Annotated[str, PLAIN] = Field(min_length=1, max_length=12)
    med_org_ord: str = Field(min_length=1, max_length=40,
                             description="The institution's order number (medOrgOrd)")
    items: list[ItemIn] = Field(min_length=1, max_length=100)
    fee_sumamt: Yuan = Field(description="The order's total: the items add up to it")
    insutype: str | None = Field(None, pattern=r"^[0-9]{3}$")

    def cmd(self) -> Authorize:
        return Authorize(self.psn_no, self.fixmedins_code, self.med_org_ord,
                         tuple(OrderItem(i.med_list_codg, i.cnt, i.pric, i.name)
                               for i in self.items), self.fee_sumamt, self.insutype)


class AuthorizeIn(OrderIn):
    pin: Pin


class ItemOut(BaseModel):
    med_list_codg: str
    cnt: str
    pric: str
    name: str


class AuthorizationOut(BaseModel):
    pay_auth_no: str = Field(description="One-time: names this order of this institution "
                                         "for this person, until expires_at")
    psn_no: str
    authorized_by: str
    fixmedins_code: str
    fixmedins_name: str
    med_org_ord: str
    insutype: str
    fee_sumamt: YuanOut
    items: list[ItemOut]
    created_at: datetime
    expires_at: datetime
    used: bool
    pay_ord_id: str | None

    @classmethod
    def of(cls, a: PayAuthView) -> AuthorizationOut:
        return cls(**{f: getattr(a, f) for f in cls.model_fields if f != "items"},
                   items=[ItemOut(med_list_codg=i.med_list_codg, cnt=i.cnt, pric=i.pric,
                                  name=i.name) for i in a.items])


class QuoteOut(BaseModel):
    institution: str
    fee_sumamt: YuanOut
    fund_pay: YuanOut
    acct_pay: YuanOut = Field(description="The person's own personal account")
    acct_mulaid_pay: YuanOut = Field(description="Family accounts and wallet quota")
    own_pay_amt: YuanOut = Field(description="Cash")
    settlement: SetlinfoOut

    @classmethod
    def of(cls, q: Quote) -> QuoteOut:
        return cls(**{f: getattr(q, f) for f in cls.model_fields if f != "settlement"},
                   settlement=SetlinfoOut.of(q.settlement))


class RefundOut(BaseModel):
    app_refd_sn: str
    refd_type: str
    totl_refd_amt: YuanOut
    cash_refd_amt: YuanOut
    psn_acct_refd_amt: YuanOut
    fund_refd_amt: YuanOut
    lines: list[str]
    created_at: datetime


class OrderOut(BaseModel):
    pay_ord_id: str
    med_org_ord: str
    fixmedins_code: str
    fixmedins_name: str
    psn_no: str
    authorized_by: str
    insutype: str
    ord_stas: str
    ord_stas_zh: str
    ord_stas_en: str
    fee_sumamt: YuanOut
    own_pay_amt: YuanOut
    psn_acct_pay: YuanOut = Field(description="Personal account and family quota")
    fund_pay: YuanOut
    acct_mulaid_pay: YuanOut
    mdtrt_id: str
    setl_id: str | None
    hi_rxno: str | None
    cash_state: str
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    refunds: list[RefundOut]

    @classmethod
    def of(cls, o: PayOrderView) -> OrderOut:
        s = state_name(o.ord_stas)
        return cls(**{f: getattr(o, f) for f in cls.model_fields
                      if f not in ("refunds", "ord_stas_zh", "ord_stas_en")},
                   ord_stas_zh=s.zh, ord_stas_en=s.en,
                   refunds=[RefundOut(**{f: getattr(r, f) for f in RefundOut.model_fields
                                         if f != "lines"}, lines=list(r.lines))
                            for r in o.refunds])


class TraceOut(BaseModel):
    med_list_codg: str
    name: str
    code: str


class OrderPageOut(BaseModel):
    order: OrderOut
    settlement: SetlinfoOut | None = Field(description="Every yuan of the order's settlement")
    traces: list[TraceOut] = Field(description="The boxes shipped, by trace code")

    @classmethod
    def of(cls, p: OrderPage) -> OrderPageOut:
        return cls(order=OrderOut.of(p.order),
                   settlement=None if p.settlement is None else SetlinfoOut.of(p.settlement),
                   traces=[TraceOut(med_list_codg=t.med_list_codg, name=t.name, code=t.code)
                           for t in p.traces])


class ShipLine(In):
    feedetl_sn: str = Field(min_length=1, max_length=30)
    trace_codes: list[Annotated[str, PLAIN, Field(min_length=1, max_length=128)]] = Field(
        min_length=1, max_length=100)


class ShipIn(In):
    lines: list[ShipLine] = Field(min_length=1, max_length=500)


class NotificationOut(BaseModel):
    notify_id: str
    url: str
    body: str = Field(description="The JSON sent, exactly (its signature covers these bytes)")
    created_at: datetime
    attempts: int
    next_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    gave_up: bool


class PayKeyOut(BaseModel):
    fixmedins_code: str
    pay_key: str = Field(description="HMAC-SHA256 key (hex) of gongji's signatures on "
                                     "notifications and on returns from the authorization "
                                     "page; keep it secret")


class ReconciledOut(BaseModel):
    settled: int


@router.post("/pay-authorizations/quote", response_model=QuoteOut,
             summary="What an online order would take from where if paid now (nothing moved)")
def quote(body: OrderIn, who: Person, services: Services) -> QuoteOut:
    return QuoteOut.of(mp.quote(services, who, body.cmd()))


@router.post("/pay-authorizations", status_code=status.HTTP_201_CREATED,
             response_model=AuthorizationOut,
             summary="Authorize an online order with the payment PIN: a one-time payAuthNo")
def authorize(body: AuthorizeIn, who: Person, services: Services, response: Response,
              key: IdempotencyKey = None) -> AuthorizationOut:
    w = mp.authorize(services, who, key, body.cmd(), body.pin)
    replay_header(response, w)
    return AuthorizationOut.of(w.value)


@router.get("/persons/{psn_no}/pay-authorizations", response_model=list[AuthorizationOut],
            summary="A person's payment authorizations, newest first")
def authorizations(psn_no: Psn, who: Caller, services: Services) -> list[AuthorizationOut]:
    return [AuthorizationOut.of(a) for a in mp.authorizations(services, who, psn_no)]


@router.get("/persons/{psn_no}/pay-orders", response_model=list[OrderOut],
            summary="A person's online orders, newest first")
def orders(psn_no: Psn, who: Caller, services: Services) -> list[OrderOut]:
    return [OrderOut.of(o) for o in mp.orders(services, who, psn_no)]


@router.get("/pay-orders/{pay_ord_id}", response_model=OrderPageOut,
            summary="One online order: its settlement and the boxes shipped")
def order(pay_ord_id: str, who: AnyCaller, services: Services) -> OrderPageOut:
    return OrderPageOut.of(mp.order_page(services, who, pay_ord_id))


@router.post("/pay-orders/{pay_ord_id}/shipment", response_model=OrderOut,
             summary="The institution ships a paid order with each box's trace code")
def ship(pay_ord_id: str, body: ShipIn, who: Institution, services: Services,
         response: Response, key: IdempotencyKey = None) -> OrderOut:
    w = mp.ship(services, who, key, pay_ord_id, Shipped(tuple(
        (x.feedetl_sn, tuple(x.trace_codes)) for x in body.lines)))
    replay_header(response, w)
    return OrderOut.of(w.value)


@router.get("/pay-orders/{pay_ord_id}/notifications", response_model=list[NotificationOut],
            summary="What gongji sent the institution about an order (operators, the "
                    "order's institution)")
def notifications(pay_ord_id: str, who: AnyCaller, services: Services
                  ) -> list[NotificationOut]:
    return [NotificationOut(**{f: getattr(n, f) for f in NotificationOut.model_fields})
            for n in notify.list_for(services, who, pay_ord_id)]


@router.get("/mobile-pay/key", response_model=PayKeyOut,
            summary="The institution's key to check gongji's notifications and returns")
def pay_key(who: Institution, services: Services) -> PayKeyOut:
    return PayKeyOut(fixmedins_code=who.id, pay_key=mp.institution_key(services, who))


@router.post("/mobile-pay/reconcile", response_model=ReconciledOut,
             summary="Operators: finish orders a crash or a silent channel left open")
def reconcile(who: Operator, services: Services) -> ReconciledOut:
    return ReconciledOut(settled=mp.reconcile_now(services, who))
