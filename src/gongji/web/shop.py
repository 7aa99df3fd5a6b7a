"""The online pharmacy's pages (网上购药) and the authorization page an institution sends a
person to (/pay/authorize). Each request makes one call to services/shop and renders or
redirects; the person's number travels only in forms, never in an address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gongji.domain.access import Principal
from gongji.domain.errors import GongjiError
from gongji.domain.mobilepay import state_name
from gongji.services.shop import service as shop
from gongji.services.shop.model import CASH_OUTCOMES, MAX_CNT, Cart, OrderDone, PayRequest
from gongji.web import shop_words  # noqa: F401  (the pages' words)
from gongji.web.common import PAGE_HEADERS, error_page, form, lang_of, services, yuan
from gongji.web.portal import _told, attempt, me, page

router = APIRouter(include_in_schema=False)

STATE_TONE = {"1": "warn", "2": "warn", "6": "ok", "7": "back", "12": "bad", "15": "bad"}


def _cart(d: dict[str, str], who: Principal) -> Cart:
    return Cart(d.get("psn_no") or who.id,
                tuple((k[4:], v) for k, v in d.items() if k.startswith("qty_")),
                d.get("cash") or "pay")


def _field(e: GongjiError, d: dict[str, str]) -> str | None:
    """The quantity a refusal is about (a prescription drug without a prescription)."""
    code = e.params.get("code")
    if isinstance(code, str) and f"qty_{code}" in d:
        return f"qty_{code}"
    if e.code in ("FORBIDDEN",) and "psn_no" in d:
        return "psn_no"
    return None


def _words(request: Request) -> dict[str, Any]:
    lang = lang_of(request)
    return {"state_name": lambda s: state_name(s).pick(lang), "tone": STATE_TONE}


# -- the shop -------------------------------------------------------------------------------

def _shop(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    values = extra.get("values") or {}
    m = shop.catalog(services(request), who, values.get("psn_no"))
    field = _field(extra["error"], values) if extra.get("error") is not None else None
    if field:
        extra.setdefault("error_field", field)
    return page(request, "portal/shop.html", "shop", m.me, m=m, outcomes=CASH_OUTCOMES,
                counts=range(MAX_CNT + 1), **extra)


@router.get("/shop")
def shop_page(request: Request) -> Response:
    return _shop(request, me(request))


def _confirm(request: Request, who: Principal, data: dict[str, str],
             **extra: Any) -> HTMLResponse:
    c = shop.confirm(services(request), who, _cart(data, who))
    return page(request, "portal/shop_confirm.html", "shop_confirm", c.me, c=c, **extra)


@router.post("/shop/confirm")
async def shop_confirm(request: Request) -> Response:
    who = me(request)
    data = await form(request)

    def run() -> Response:
        try:
            return _confirm(request, who, data)
        except GongjiError as e:
            return _shop(request, who, error=e, values=data, status=e.spec.http_status)

    return await run_in_threadpool(run)


@router.post("/shop/checkout")
async def shop_checkout(request: Request) -> Response:
    who = me(request)

    def on_error(e: GongjiError, d: dict[str, str]) -> Response:
        try:
            return _confirm(request, who, d, error=e, values=d, status=e.spec.http_status)
        except GongjiError:
            return error_page(request, e)

    def done(r: OrderDone) -> Response:
        o = r.order
        to = f"/orders/{o.pay_ord_id}"
        if r.failed:
            return _told(request, to, "shop_cash_failed")
        return _told(request, to, "shop_paid", amount=yuan(o.fee_sumamt), fund=yuan(o.fund_pay),
                     acct=yuan(o.psn_acct_pay), cash=yuan(o.own_pay_amt))

    return await attempt(request, lambda d: shop.checkout(
        services(request), who, d.get("key"), _cart(d, who), d.get("pin", "")), on_error, done)


# -- orders ---------------------------------------------------------------------------------

@router.get("/orders")
def orders_page(request: Request) -> Response:
    m = shop.orders(services(request), me(request))
    return page(request, "portal/orders.html", "orders", m.me, m=m, **_words(request))


def _order(request: Request, who: Principal, pay_ord_id: str, **extra: Any) -> HTMLResponse:
    m = shop.order(services(request), who, pay_ord_id)
    return page(request, "portal/order.html", "order", m.me, m=m, o=m.order, x=m.explanation,
                s=m.settlement, **_words(request), **extra)


@router.get("/orders/{pay_ord_id}")
def order_page(request: Request, pay_ord_id: str) -> Response:
    return _order(request, me(request), pay_ord_id)


@router.post("/orders/{pay_ord_id}/{action}")
async def order_action(request: Request, pay_ord_id: str, action: str) -> Response:
    who = me(request)
    if action not in ("refund", "ship"):
        raise GongjiError("NOT_FOUND", what=action)
    to = f"/orders/{pay_ord_id}"

    def run(d: dict[str, str]) -> Any:
        app = services(request)
        if action == "refund":
            return shop.refund(app, who, d.get("key"), pay_ord_id)
        return shop.ship(app, who, d.get("key"), pay_ord_id)

    def on_error(e: GongjiError, d: dict[str, str]) -> Response:
        try:
            return _order(request, who, pay_ord_id, error=e, status=e.spec.http_status)
        except GongjiError:
            return error_page(request, e)

    return await attempt(request, run, on_error, lambda o: _told(
        request, to, "did_refund_order", amount=yuan(o.fee_sumamt)) if action == "refund"
        else _told(request, to, "did_ship_order"))


# -- the authorization an institution sends the person to -------------------------------------

ASK_FIELDS = ("fixmedins_code", "med_org_ord", "items", "fee_sumamt", "return_url", "state",
              "sig")


def _ask(data: Any) -> PayRequest:
    return PayRequest(**{k: str(data.get(k) or "")[:2000] for k in ASK_FIELDS},
                      psn_no=str(data.get("psn_no") or ""))


def _auth_page(request: Request, who: Principal, ask: PayRequest,
               **extra: Any) -> HTMLResponse:
    m = shop.payment_request(services(request), who, ask)
    response = page(request, "portal/pay_authorize.html", "pay_authorize", m.me, m=m,
                    ask=ask, **extra)
    # the form's answer sends the browser back to the institution: allow that one origin
    parts = urlsplit(ask.return_url)
    response.headers["Content-Security-Policy"] = PAGE_HEADERS[
        "Content-Security-Policy"].replace(
        "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")
    return response


@router.get("/pay/authorize")
def pay_authorize_page(request: Request, fixmedins_code: str = "", med_org_ord: str = "",
                       items: str = "", fee_sumamt: str = "", return_url: str = "",
                       state: str = "", sig: str = "") -> Response:
    """An institution's signed order (its query: the order and where to come back, no
    personal data; the person is the one logged in). What the page repeats of its address is
    what the institution signed: nobody else can make it say anything."""
    return _auth_page(request, me(request), _ask({
        "fixmedins_code": fixmedins_code, "med_org_ord": med_org_ord, "items": items,
        "fee_sumamt": fee_sumamt, "return_url": return_url, "state": state, "sig": sig}))


@router.post("/pay/authorize")
async def pay_authorize(request: Request) -> Response:
    who = me(request)

    def on_error(e: GongjiError, d: dict[str, str]) -> Response:
        try:
            return _auth_page(request, who, _ask(d), error=e, values=d,
                              status=e.spec.http_status)
        except GongjiError:
            return error_page(request, e)

    data = await form(request)
    if data.get("action") == "quote":  # another person chosen: the split for them, no PIN
        return await run_in_threadpool(
            lambda: _auth_page(request, who, _ask(data), values={"psn_no": data.get(
                "psn_no", "")}))

    def run(d: dict[str, str]) -> Any:
        return shop.authorize_request(services(request), who, d.get("key"), _ask(d),
                                      d.get("pin", ""))

    try:
        result = await run_in_threadpool(run, data)
    except GongjiError as e:
        shown = {k: "" if "pin" in k else v for k, v in data.items() if k != "key"}
        return await run_in_threadpool(on_error, e, shown)
    return RedirectResponse(result.url, status_code=303)
