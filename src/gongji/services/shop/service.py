"""The demo online pharmacy (共济网上药房, in the sandbox demo): it acts as a pharmacy
inside gongji, the way services/cashier acts as a counter, and takes 医保 through the
mobile-payment core's own doors exactly as an outside pharmacy would:

- catalog: what it sells (price, 处方药 / 非处方药 by the catalog's otc_flag), whom the person
  may buy for, and their open electronic prescriptions;
- confirm: the cart checked (a prescription drug needs an open prescription of the person
  it is for, which the shop picks) and quoted (mobilepay.quote: what the fund, the personal
  account, family quota and cash would pay), nothing moved;
- checkout: the person (or their proxy) authorizes with their own PIN (mobilepay.authorize),
  then the shop, as the pharmacy, uploads (6201, naming the prescription) and pays (6202); a
  cash part the channel does not pay leaves the order failed and nothing moved;
- ship (sandbox): the shop ships with a trace code per box; refund: the person asks, the
  shop refunds the whole order (6203, ALL);
- payment_request / authorize_request: the institution-started authorization (an
  institution's page sends the browser to GET /pay/authorize with a signed order).

One door per request: the mobile-payment doors are called inside these ones."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from urllib.parse import urlencode

from gongji.domain import mobilepay as mprules
from gongji.domain import prescriptions as rxrules
from gongji.domain.access import Principal
from gongji.domain.catalog import CatalogItem
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.ids import new_code
from gongji.domain.money import parse_yuan
from gongji.services.cashpay import service as cashpay
from gongji.services.catalog import service as catalogs
from gongji.services.door import door
from gongji.services.explanation import service as explanation
from gongji.services.institutions import service as institutions
from gongji.services.mobilepay import service as mobilepay
from gongji.services.mobilepay import store as mp_store
from gongji.services.mobilepay.model import (
    Authorize,
    OrderItem,
    Pay,
    PayOrderView,
    RefundAsk,
    Shipped,
    Upload,
)
from gongji.services.people import service as people
from gongji.services.portal import service as portal
from gongji.services.prescriptions import store as rx_store
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji, Key
from gongji.services.settlement import service as settlement
from gongji.services.settlement.model import FeeIn
from gongji.services.shop.model import (
    CASH_OUTCOMES,
    MAX_CNT,
    MENU,
    SHOP_CODE,
    AuthPage,
    Cart,
    CartLine,
    ConfirmPage,
    OrderDone,
    OrderRow,
    OrderShown,
    OrdersPage,
    PayRequest,
    Returned,
    RxShown,
    ShopItem,
    ShopPage,
)
from gongji.services.unit_of_work import UnitOfWork

SHOP = Principal("institution", SHOP_CODE)


# -- what the shop sells --------------------------------------------------------------------

def _items(uow: UnitOfWork) -> list[ShopItem]:
    inst = institutions.get_in(uow, SHOP_CODE)
    found = catalogs.lookup(uow, inst.admdvs, [c for c, _ in MENU], uow.today)
    return [ShopItem(code, item.name, item.spec, item.unit or "", parse_yuan(price),
                     rxrules.needs_prescription(item))
            for code, price in MENU if (item := found.get(code)) is not None]


def _subjects(uow: UnitOfWork, who: Principal) -> list[tuple[str, str]]:
    """The person and the relatives they hold an active proxy for: (psn_no, masked name)."""
    held = [p.subject_psn_no for p in proxies.views_of(uow, who.id)
            if p.holder_psn_no == who.id and p.status == "active"]
    return [(psn, _name(uow, psn)) for psn in dict.fromkeys([who.id, *held])]


def _name(uow: UnitOfWork, psn_no: str) -> str:
    return people.person(uow.conn, psn_no).masked.name_masked


def _open_rx(uow: UnitOfWork, psn_no: str) -> list[rxrules.Prescription]:
    return [rx for rx in rx_store.of_person(uow.conn, psn_no)
            if rx.status == "issued" and not rxrules.is_expired(rx, uow.now)]


def _person(who: Principal) -> None:
    if who.kind != "person":
        raise GongjiError("FORBIDDEN")


@door
def catalog(app: Gongji, who: Principal, for_psn: str | None = None) -> ShopPage:
    """The shop's items with prices and whether each needs a prescription; whom the person
    may buy for; their open prescriptions (with the drugs' names)."""
    _person(who)

    def run(uow: UnitOfWork) -> ShopPage:
        items = _items(uow)
        names = {i.code: i.name for i in items}
        subjects = _subjects(uow, who)
        shown = []
        for psn, masked in subjects:
            for rx in _open_rx(uow, psn):
                shown.append(RxShown(
                    rx.hi_rxno, psn, masked, institutions.get_in(uow, rx.issued_by
                                                                  ).fixmedins_name,
                    rx.valid_until, tuple((names.get(c, c), rxrules.cnt_text(n))
                                          for c, n in sorted(rx.items.items()))))
        chosen = for_psn if for_psn in {p for p, _ in subjects} else who.id
        return ShopPage(portal.me_in(uow, who), institutions.get_in(uow, SHOP_CODE), items,
                        subjects, shown, chosen)

    return app.read(run, principal=who)


# -- the cart -------------------------------------------------------------------------------

def _lines(uow: UnitOfWork, cart: Cart) -> list[CartLine]:
    """The cart's items with a count of 1 to MAX_CNT (0 or empty: not ordered)."""
    sold = {i.code: i for i in _items(uow)}
    lines = []
    for code, text in cart.items:
        text = text.strip()
        if code not in sold:
            raise GongjiError("SHOP_ITEM_NOT_SOLD", code=code[:50])
        if not text:
            continue
        if not text.isdigit() or len(text) > 2 or int(text) > MAX_CNT:
            raise GongjiError("SHOP_QUANTITY_INVALID", max=MAX_CNT, field=f"qty_{code}")
        if int(text):
            item = sold[code]
            lines.append(CartLine(item, int(text), item.price * int(text)))
    if not lines:
        raise GongjiError("FEE_LINES_EMPTY")
    if cart.cash_outcome not in CASH_OUTCOMES:
        raise GongjiError("VALIDATION_ERROR", fields="cash_outcome")
    return lines


def _prescription(uow: UnitOfWork, psn_no: str, lines: list[CartLine]) -> str | None:
    """The open prescription of the person that covers the cart's prescription drugs (the
    first that does), None when the cart has none; RX_REQUIRED (or why the person's
    prescription does not cover it) otherwise."""
    asked = [(x.item.code, Decimal(x.cnt)) for x in lines]
    inst = institutions.get_in(uow, SHOP_CODE)
    found: dict[str, CatalogItem] = catalogs.lookup(uow, inst.admdvs, [c for c, _ in asked],
                                                   uow.today)
    needed = rxrules.prescribed_lines(asked, found)
    if not needed:
        return None
    last: GongjiError | None = None
    for rx in _open_rx(uow, psn_no):
        try:
            rxrules.check_fill(rx, psn_no, needed, uow.now, hi_rxno=rx.hi_rxno)
        except GongjiError as e:
            last = e
            continue
        return rx.hi_rxno
    if last is not None:
        raise last
    rxrules.check_required(asked, found)
    return None  # pragma: no cover - check_required refuses a prescription drug


def _authorize_cmd(cart: Cart, lines: list[CartLine], med_org_ord: str) -> Authorize:
    return Authorize(cart.psn_no, SHOP_CODE, med_org_ord, tuple(
        OrderItem(x.item.code, str(x.cnt), _price(x.item.price), x.item.name) for x in lines),
        sum(x.amount for x in lines))


def _price(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _checked(app: Gongji, who: Principal, cart: Cart
             ) -> tuple[list[CartLine], str | None, str]:
    def run(uow: UnitOfWork) -> tuple[list[CartLine], str | None, str]:
        subjects = dict(_subjects(uow, who))
        if cart.psn_no not in subjects:
            raise GongjiError("FORBIDDEN")
        lines = _lines(uow, cart)
        return lines, _prescription(uow, cart.psn_no, lines), subjects[cart.psn_no]

    return app.read(run, principal=who)


@door
def confirm(app: Gongji, who: Principal, cart: Cart) -> ConfirmPage:
    """The authorization page of a cart: its lines, the total and what the fund, the
    personal account, family quota and cash would pay (a dry run), before the PIN."""
    _person(who)
    lines, hi_rxno, name = _checked(app, who, cart)
    quote = mobilepay.quote(app, who, _authorize_cmd(cart, lines, "QUOTE"))
    return app.read(lambda uow: ConfirmPage(
        portal.me_in(uow, who), institutions.get_in(uow, SHOP_CODE), cart, lines,
        sum(x.amount for x in lines), quote, hi_rxno, name), principal=who)


def _base(key: Key) -> str:
    return key if isinstance(key, str) and key else new_code("K")


def _derived(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha256(":".join(parts).encode()).hexdigest()[:24].upper()


@door
def checkout(app: Gongji, who: Principal, key: Key, cart: Cart, pin: str) -> OrderDone:
    """Authorize (the person's or proxy's own PIN), then as the pharmacy upload (6201) and
    pay (6202). A cash part the channel does not pay: the order is failed (OrderDone.failed)
    and nothing of the fund, the account or the quota stays moved. Retried with the same key,
    the same order."""
    _person(who)
    base = _base(key)
    med_org_ord = _derived("GJ", who.id, base)
    known = app.read(lambda uow: mp_store.order_by_med_org_ord(uow.conn, SHOP_CODE,
                                                               med_org_ord))
    if known is not None:  # the same checkout again (a retry): its order as it is
        return _again(app, who, known.pay_ord_id)
    lines, hi_rxno, _ = _checked(app, who, cart)
    auth = mobilepay.authorize(app, who, f"shop-auth:{base}",
                               _authorize_cmd(cart, lines, med_org_ord), pin).value
    fees = tuple(FeeIn(str(n), x.item.code, str(x.cnt), _price(x.item.price), x.amount)
                 for n, x in enumerate(lines, start=1))
    up = mobilepay.upload(app, SHOP, f"shop-upload:{base}", Upload(
        auth.pay_auth_no, med_org_ord, "41", fees, sum(x.amount for x in lines),
        hi_rxno=hi_rxno)).value
    queued = app.sandbox and cart.cash_outcome != "pay" and up.ord_stas == "1" and \
        up.own_pay_amt > 0
    if queued:
        cashpay.next_outcome(app, cart.cash_outcome)
    try:
        paid = mobilepay.pay(app, SHOP, Pay(auth.pay_auth_no, up.pay_ord_id,
                                            up.pay_token or ""))
    except GongjiError as e:
        if e.code != "CASH_PAYMENT_FAILED":
            if queued:  # refused before the channel: the outcome is nobody else's
                cashpay.next_outcome(app)
            raise
        return OrderDone(mobilepay.query(app, SHOP, up.pay_ord_id), True)
    return OrderDone(paid, False)


def _again(app: Gongji, who: Principal, pay_ord_id: str) -> OrderDone:
    o = mobilepay.order_page(app, who, pay_ord_id).order
    return OrderDone(o, o.ord_stas == "15")


# -- orders ---------------------------------------------------------------------------------

@door
def orders(app: Gongji, who: Principal) -> OrdersPage:
    """The person's online orders and those of the relatives they hold a proxy for, newest
    first."""
    _person(who)

    def run(uow: UnitOfWork) -> tuple[list[tuple[str, str]], OrdersPage]:
        subjects = _subjects(uow, who)
        return subjects, OrdersPage(portal.me_in(uow, who), [])

    subjects, page = app.read(run, principal=who)
    rows = [OrderRow(o, name) for psn, name in subjects
            for o in mobilepay.orders(app, who, psn)]
    rows.sort(key=lambda r: r.order.created_at, reverse=True)
    return OrdersPage(page.me, rows)


@door
def order(app: Gongji, who: Principal, pay_ord_id: str) -> OrderShown:
    """One order: its state and amounts, the settlement's explanation of every yuan (while
    it stands), the trace codes shipped; whether it may be refunded or (sandbox) shipped."""
    _person(who)
    found = mobilepay.order_page(app, who, pay_ord_id)
    o, s = found.order, found.settlement

    def run(uow: UnitOfWork) -> OrderShown:
        fees = settlement.fees_in(uow, o.mdtrt_id)
        inst = institutions.get_in(uow, o.fixmedins_code)
        names = catalogs.lookup(uow, inst.admdvs, [f.med_list_codg for f in fees.values()],
                               uow.today)
        items = [(names[f.med_list_codg].name if f.med_list_codg in names else
                  f.med_list_codg, f.cnt, f.pric, f.det_item_fee_sumamt)
                 for _, f in sorted(fees.items(), key=lambda kv: int(kv[0])
                                    if kv[0].isdigit() else 0)]
        x = explanation.explain(uow, s) if s is not None and s.status == "settled" else None
        ours = o.fixmedins_code == SHOP_CODE
        return OrderShown(portal.me_in(uow, who), o, _name(uow, o.psn_no), items, s, x,
                          found.traces, ours and o.ord_stas == "6",
                          ours and app.sandbox and o.ord_stas == "6" and o.shipped_at is None)

    return app.read(run, principal=who)


def _ours(app: Gongji, who: Principal, pay_ord_id: str) -> PayOrderView:
    """The order, if the person may see it and it is the shop's."""
    o = mobilepay.order_page(app, who, pay_ord_id).order
    if o.fixmedins_code != SHOP_CODE:
        raise GongjiError("PAY_ORDER_NOT_FOUND", pay_ord_id=pay_ord_id[:40])
    return o


def trace_codes(pay_ord_id: str, feedetl_sn: str, boxes: int) -> tuple[str, ...]:
    """The demo's 20-digit 码上放心 codes of a line's boxes (they start with 8), the same for
    the same order and line, so a shipment retried ships the same boxes."""
    return tuple(
        "8" + f"{int(hashlib.sha256(f'{pay_ord_id}/{feedetl_sn}/{i}'.encode()).hexdigest(), 16) % 10**19:019d}"  # noqa: E501
        for i in range(boxes))


@door
def ship(app: Gongji, who: Principal, key: Key, pay_ord_id: str) -> PayOrderView:
    """Sandbox: the shop ships a paid order of the person's (or a proxied relative's), with a
    trace code for each box (a line of n boxes gets n codes)."""
    _person(who)
    if not app.sandbox:
        raise GongjiError("SANDBOX_ONLY")
    o = _ours(app, who, pay_ord_id)
    fees = app.read(lambda uow: settlement.fees_in(uow, o.mdtrt_id))
    lines = tuple((sn, trace_codes(pay_ord_id, sn, max(1, int(Decimal(f.cnt)))))
                  for sn, f in sorted(fees.items()))
    return mobilepay.ship(app, SHOP, f"shop-ship:{_base(key)}", pay_ord_id,
                          Shipped(lines)).value


@door
def refund(app: Gongji, who: Principal, key: Key, pay_ord_id: str) -> PayOrderView:
    """The person asks for their money back; the shop refunds the whole order (6203, ALL):
    the fund, the personal account and family quota at once, the cash through the channel."""
    _person(who)
    o = _ours(app, who, pay_ord_id)
    return mobilepay.refund(app, SHOP, RefundAsk(
        pay_ord_id, _derived("R", pay_ord_id, _base(key)), "ALL", o.fee_sumamt))


# -- the institution-started authorization ---------------------------------------------------

def _request(app: Gongji, who: Principal, ask: PayRequest
             ) -> Authorize:
    """The order an institution's redirect carries, checked: every field there, the
    institution known, the signature its pay key makes, the return address plain http(s).
    Nothing is written before all of it holds."""
    for field in ("fixmedins_code", "med_org_ord", "items", "fee_sumamt", "return_url"):
        if not getattr(ask, field):
            raise GongjiError("PAY_REQUEST_INVALID", field=field,
                              reason=Bi("缺少此参数", "missing"))
    if not mprules.verify_auth(_key_of(app, ask.fixmedins_code), ask.signed(), ask.sig):
        raise GongjiError("PAY_REQUEST_SIGNATURE_INVALID")
    mprules.check_return_url(ask.return_url)
    mprules.check_state(ask.state)
    items = mprules.parse_items(ask.items)
    total = parse_yuan(ask.fee_sumamt, field="fee_sumamt")
    cmd = Authorize(ask.psn_no or who.id, ask.fixmedins_code, ask.med_org_ord,
                    tuple(OrderItem(c, n, p) for c, n, p in items), total)
    return cmd


def _key_of(app: Gongji, code: str) -> str:
    app.read(lambda uow: institutions.get_in(uow, code))  # INSTITUTION_NOT_FOUND
    return mobilepay.pay_key(app, code)


def _named_lines(uow: UnitOfWork, cmd: Authorize) -> list[tuple[str, str, str, int]]:
    inst = institutions.get_in(uow, cmd.fixmedins_code)
    names = catalogs.lookup(uow, inst.admdvs, [i.med_list_codg for i in cmd.items], uow.today)
    out = []
    for i in cmd.items:
        fen = Decimal(i.cnt) * Decimal(i.pric) * 100
        out.append((names[i.med_list_codg].name if i.med_list_codg in names else
                    i.med_list_codg, i.cnt, i.pric, int(fen)))
    return out


@door
def payment_request(app: Gongji, who: Principal, ask: PayRequest) -> AuthPage:
    """The authorization page of an institution's signed order: the institution, the items,
    the total and the split it would take, before the PIN."""
    _person(who)
    cmd = _request(app, who, ask)
    quote, why = None, None
    try:
        quote = mobilepay.quote(app, who, cmd)
    except GongjiError as e:  # not payable for this person: said on the page
        why = e

    def run(uow: UnitOfWork) -> AuthPage:
        return AuthPage(portal.me_in(uow, who), institutions.get_in(uow, cmd.fixmedins_code),
                        ask, _named_lines(uow, cmd), cmd.fee_sumamt, quote,
                        _subjects(uow, who), cmd.psn_no, why)

    return app.read(run, principal=who)


@door
def authorize_request(app: Gongji, who: Principal, key: Key, ask: PayRequest,
                      pin: str) -> Returned:
    """The person confirms an institution's signed order with their own PIN: a payAuthNo,
    and the address to send the browser back to, signed by gongji."""
    _person(who)
    cmd = _request(app, who, ask)
    auth = mobilepay.authorize(app, who, key, cmd, pin).value
    sig = mprules.sign_return(mobilepay.pay_key(app, cmd.fixmedins_code), auth.pay_auth_no,
                              ask.state, ask.med_org_ord)
    query = urlencode({"payAuthNo": auth.pay_auth_no, "state": ask.state,
                       "medOrgOrd": ask.med_org_ord, "sig": sig})
    url = ask.return_url.split("#", 1)[0]
    joiner = "&" if "?" in url else "?"
    return Returned(f"{url}{joiner}{query}", auth.pay_auth_no)
