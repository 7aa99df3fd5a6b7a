"""Online purchase with 医保 (医保移动支付).

A person (or a relative holding a proxy for them) authorizes one order of one institution with
their payment PIN and gets a one-time payAuthNo. The institution then runs the national
mobile-payment transactions with it:

- 6201 upload: the lines must be the order authorized; they are classified and pre-settled by
  the same engine as a purchase at the counter (the care region's catalog, the insured region's
  benefits, filing), and the order gets its payOrdId and payToken.
- 6202 pay: one ledger entry settles the fund, the personal account and family quota and the
  cash part, as the counter would; the cash part (ownPayAmt) then goes to the payment channel.
  If the channel refuses or does not answer, the settlement is cancelled by its mirror entry:
  no fen of fund or account stays moved. A late success is refunded by the reconciliation.
- 6203 refund: the whole order, or some lines (the settlement is cancelled and the remaining
  lines settled again in the same unit of work: what changed is what is refunded).
- 6301 query, 6401 cancel an upload not yet paid.

An order is idempotent by the institution's order id (medOrgOrd): an upload repeated returns
the same order and token, a payment repeated returns the paid order, whatever the msgid.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from gongji.domain import mobilepay as rules
from gongji.domain.access import Act, Principal
from gongji.domain.clock import display
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.ids import new_code
from gongji.domain.mobilepay import Item, Split
from gongji.domain.money import format_yuan
from gongji.domain.notify import GAVE_UP
from gongji.services.access import authorize as may
from gongji.services.access import may_see, require_institution, require_operator
from gongji.services.cashpay import store as cash
from gongji.services.cashpay.model import CashRequest, ChannelResult, ChannelState
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.institutions import service as institutions
from gongji.services.mobilepay import store
from gongji.services.mobilepay.model import (
    Authorize,
    CashView,
    Desk,
    DeskRow,
    NoticeView,
    OrderItem,
    OrderPage,
    Pay,
    PayAuthView,
    PayOrderView,
    Quote,
    RefundAsk,
    RefundView,
    Shipped,
    TraceView,
    Upload,
)
from gongji.services.notify import service as notify
from gongji.services.notify import store as notify_store
from gongji.services.notify.model import NotificationView
from gongji.services.people import store as people
from gongji.services.pins import service as pins
from gongji.services.prescriptions import service as prescriptions
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.settlement import service as settlement
from gongji.services.settlement.model import Credential, FeeIn, OpenVisit, SettleAsk, SettlementView
from gongji.services.unit_of_work import UnitOfWork

log = logging.getLogger("gongji.mobilepay")

SYSTEM = Principal("system", "mobilepay")


# -- the person's authorization -------------------------------------------------------------

@door
def quote(app: Gongji, who: Principal, cmd: Authorize) -> Quote:
    """What the order would take from where if paid now: the same items pre-settled as a
    purchase at the institution's counter, nothing moved (shown before the PIN)."""
    def run(uow: UnitOfWork) -> Quote:
        may(uow, who, Act.PAY_ONLINE, cmd.psn_no)
        inst, insutype, lines = _checked(uow, cmd)
        p = people.person(uow.conn, cmd.psn_no)
        assert p is not None
        me = Principal("institution", inst.fixmedins_code)
        v = settlement.open_in(uow, me, OpenVisit(Credential("02", p.certno), insutype,
                                                  _med_type(inst)))
        settlement.upload_in(uow, me, v.mdtrt_id, lines)
        view = settlement.presettle_in(uow, me, v.mdtrt_id, SettleAsk(
            Credential("02", p.certno), medfee_sumamt=cmd.fee_sumamt, trace_later=True))
        return Quote(inst.fixmedins_name, view.medfee_sumamt, view.fund_pay_sumamt,
                     view.acct_pay, view.acct_mulaid_pay, view.psn_cash_pay, view)

    return app.dry_run(who, run)


@door
def authorize(app: Gongji, who: Principal, key: Key, cmd: Authorize,
              pin: str) -> Written[PayAuthView]:
    """The person (or their proxy) confirms an order with their own payment PIN and gets a
    one-time payAuthNo for that order of that institution, good for AUTH_VALID."""
    if who.kind != "person":
        raise GongjiError("FORBIDDEN")
    request = to_json(cmd, Authorize)
    prior = app.stored(who, key=key, operation="mobilepay.authorize", request=request,
                       result_type=PayAuthView)
    if prior is not None:
        return prior
    app.read(lambda uow: _check_order(uow, who, cmd), principal=who)  # before the PIN
    pins.verify(app, who.id, pin)

    def run(uow: UnitOfWork) -> PayAuthView:
        inst, insutype, _ = _check_order(uow, who, cmd)
        a = store.AuthRecord(
            pay_auth_no=new_code("A"), psn_no=cmd.psn_no, authorized_by=who.id,
            fixmedins_code=inst.fixmedins_code, med_org_ord=cmd.med_org_ord,
            insutype=insutype, fee_sumamt=cmd.fee_sumamt, items=cmd.items,
            created_at=uow.now, expires_at=uow.now + rules.AUTH_VALID, used_at=None,
            pay_ord_id=None)
        store.add_auth(uow.conn, a)
        uow.record("mobilepay.authorize", subject=a.pay_auth_no, detail={
            "psn_no": cmd.psn_no, "institution": inst.fixmedins_code,
            "med_org_ord": cmd.med_org_ord, "amount": cmd.fee_sumamt})
        return _auth_view(uow, a)

    return app.write(who, key=key, operation="mobilepay.authorize", request=request, fn=run,
                     result_type=PayAuthView)


def _check_order(uow: UnitOfWork, who: Principal, cmd: Authorize
                 ) -> tuple[institutions.Institution, str, tuple[FeeIn, ...]]:
    may(uow, who, Act.PAY_ONLINE, cmd.psn_no)
    return _checked(uow, cmd)


def _checked(uow: UnitOfWork, cmd: Authorize
             ) -> tuple[institutions.Institution, str, tuple[FeeIn, ...]]:
    """The order a person is asked to authorize: its institution, the insurance it is paid
    from, and its items as fee lines (each priced to the fen, the total the sum)."""
    inst = institutions.get_in(uow, cmd.fixmedins_code)
    if not cmd.med_org_ord.strip() or len(cmd.med_org_ord) > rules.MED_ORG_ORD_MAX:
        raise GongjiError("GATEWAY_FIELD_INVALID", field="medOrgOrd", reason=Bi(
            f"应为 1 至 {rules.MED_ORG_ORD_MAX} 个字符",
            f"1 to {rules.MED_ORG_ORD_MAX} characters"))
    if not cmd.items:
        raise GongjiError("FEE_LINES_EMPTY")
    active = [e for e in people.enrollments_of(uow.conn, cmd.psn_no, active_only=True)]
    insutype = cmd.insutype or (active[0].insutype if active else "")
    if not any(e.insutype == insutype for e in active):
        raise GongjiError("NOT_ENROLLED", who=Bi(f"参保人（险种 {insutype or '-'}）",
                                                 f"The person (insutype {insutype or '-'})"))
    lines = tuple(_line(i, n) for n, i in enumerate(cmd.items, start=1))
    total = sum(f.det_item_fee_sumamt for f in lines)
    if total != cmd.fee_sumamt:
        raise GongjiError("PAY_AUTH_MISMATCH", field="feeSumamt", reason=Bi(
            f"明细合计 {format_yuan(total)} 元", f"the items come to {format_yuan(total)}"))
    return inst, insutype, lines


def _line(i: OrderItem, n: int) -> FeeIn:
    try:
        cnt, pric = Decimal(i.cnt), Decimal(i.pric)
    except ArithmeticError:
        raise GongjiError("FEE_LINE_INVALID", feedetl_sn=str(n),
                          reason="cnt and pric are decimal numbers") from None
    if not cnt.is_finite() or not pric.is_finite() or cnt <= 0 or pric < 0:
        raise GongjiError("FEE_LINE_INVALID", feedetl_sn=str(n),
                          reason="cnt > 0 and pric >= 0")
    fen = cnt * pric * 100
    if fen != fen.to_integral_value():
        raise GongjiError("FEE_LINE_INVALID", feedetl_sn=str(n),
                          reason="cnt × pric is not a whole number of fen")
    return FeeIn(str(n), i.med_list_codg, format(cnt, "f"), format(pric, "f"), int(fen))


def _med_type(inst: institutions.Institution) -> str:
    """A pharmacy sells (41); an internet hospital's order is an outpatient visit (11)."""
    return "41" if inst.fixmedins_type == "2" else "11"


@door
def authorizations(app: Gongji, who: Principal, psn_no: str, *, limit: int = 20
                   ) -> list[PayAuthView]:
    def run(uow: UnitOfWork) -> list[PayAuthView]:
        may(uow, who, Act.READ, psn_no)
        return [_auth_view(uow, a) for a in store.auths_of(uow.conn, psn_no, limit=limit)]

    return app.read(run, principal=who)


def _auth_view(uow: UnitOfWork, a: store.AuthRecord) -> PayAuthView:
    inst = institutions.get_in(uow, a.fixmedins_code)
    return PayAuthView(a.pay_auth_no, a.psn_no, a.authorized_by, a.fixmedins_code,
                       inst.fixmedins_name, a.med_org_ord, a.insutype, a.fee_sumamt, a.items,
                       a.created_at, a.expires_at, a.used_at is not None, a.pay_ord_id)


# -- 6201 upload ----------------------------------------------------------------------------

@door
def upload(app: Gongji, who: Principal, key: Key, cmd: Upload) -> Written[PayOrderView]:
    """6201: the lines of an authorized order, pre-settled; the order gets its payOrdId and
    payToken. The same order uploaded again (any msgid) answers the same order."""
    require_institution(who)

    def run(uow: UnitOfWork) -> PayOrderView:
        a = _auth_for(uow, who, cmd.pay_auth_no)  # uploads with one authorization queue here
        known = store.order_by_med_org_ord(uow.conn, who.id, cmd.med_org_ord)
        if known is not None:
            if known.pay_auth_no != cmd.pay_auth_no or \
                    known.fee_sumamt != cmd.medfee_sumamt:
                raise GongjiError("PAY_ORDER_DUPLICATE", med_org_ord=cmd.med_org_ord)
            return _with_token(app, _view(uow, known))
        if a.used_at is not None:
            raise GongjiError("PAY_AUTH_USED", pay_ord_id=a.pay_ord_id or "-")
        if cmd.med_org_ord != a.med_org_ord:
            raise GongjiError("PAY_AUTH_MISMATCH", field="medOrgOrd", reason=Bi(
                "授权的订单号为另一个", "the authorization is for another order"))
        if cmd.psn_no is not None and cmd.psn_no != a.psn_no:
            raise GongjiError("PSN_NO_MISMATCH")
        if cmd.insutype is not None and cmd.insutype != a.insutype:
            raise GongjiError("PAY_AUTH_MISMATCH", field="insutype", reason=Bi(
                f"授权的险种为 {a.insutype}", f"the authorization is for insutype {a.insutype}"))
        total = sum(f.det_item_fee_sumamt for f in cmd.lines)
        if total != cmd.medfee_sumamt:
            raise GongjiError("SETTLE_AMOUNT_MISMATCH", given=format_yuan(cmd.medfee_sumamt),
                              expected=format_yuan(total))
        rules.check_as_authorized(
            [Item(i.med_list_codg, Decimal(i.cnt)) for i in a.items], a.fee_sumamt,
            [Item(f.med_list_codg, Decimal(f.cnt)) for f in cmd.lines], total)
        cred = Credential("PA", a.pay_auth_no)
        v = settlement.open_in(uow, who, OpenVisit(cred, a.insutype, cmd.med_type,
                                                   psn_no=a.psn_no))
        settlement.upload_in(uow, who, v.mdtrt_id, cmd.lines)
        items = settlement.items_in(uow, v.mdtrt_id)
        prescriptions.check_in(uow, cmd.hi_rxno, a.psn_no,
                               [(f.med_list_codg, Decimal(f.cnt)) for f in cmd.lines], items)
        pre = settlement.presettle_in(uow, who, v.mdtrt_id, SettleAsk(
            cred, medfee_sumamt=total, trace_later=True))
        pay_ord_id = new_code("O")
        o = store.OrderRecord(
            pay_ord_id=pay_ord_id, fixmedins_code=who.id, med_org_ord=cmd.med_org_ord,
            pay_auth_no=a.pay_auth_no, pay_token_digest=_digest(pay_token(app, pay_ord_id)),
            psn_no=a.psn_no, authorized_by=a.authorized_by, insutype=a.insutype,
            mdtrt_id=v.mdtrt_id, setl_id=None, hi_rxno=cmd.hi_rxno, ord_stas="1",
            **_amounts(pre), cash_state="none", notify_url=cmd.notify_url,
            created_at=uow.now, updated_at=uow.now, paid_at=None, shipped_at=None)
        store.add_order(uow.conn, o)
        store.use_auth(uow.conn, a.pay_auth_no, pay_ord_id, uow.now)
        _notify(uow, o, "uploaded")
        uow.record("mobilepay.upload", subject=pay_ord_id, chain=v.insuplc_admdvs,
                   detail={"institution": who.id, "med_org_ord": cmd.med_org_ord})
        return _with_token(app, _view(uow, o))

    return app.write(who, key=key, operation="mobilepay.upload",
                     request=_upload_request(cmd), fn=run, result_type=PayOrderView)


def _upload_request(cmd: Upload) -> dict[str, Any]:
    request: dict[str, Any] = to_json(cmd, Upload)
    return request


def _auth_for(uow: UnitOfWork, who: Principal, pay_auth_no: str) -> store.AuthRecord:
    a = store.auth(uow.conn, pay_auth_no, lock=True)
    if a is None or a.fixmedins_code != who.id:
        raise GongjiError("PAY_AUTH_NOT_FOUND", pay_auth_no=pay_auth_no[:40])
    if uow.now >= a.expires_at and a.used_at is None:
        raise GongjiError("PAY_AUTH_EXPIRED", at=_shown(a.expires_at))
    return a


def _amounts(v: SettlementView) -> dict[str, int]:
    return {"fee_sumamt": v.medfee_sumamt, "own_pay_amt": v.psn_cash_pay,
            "psn_acct_pay": v.acct_pay + v.acct_mulaid_pay, "fund_pay": v.fund_pay_sumamt,
            "acct_mulaid_pay": v.acct_mulaid_pay}


def pay_token(app: Gongji, pay_ord_id: str) -> str:
    """The order's payToken: a keyed hash of its id, so a replayed 6201 answers the same
    token and none is kept (the order keeps only its SHA-256)."""
    return app.sealer.tag(pay_ord_id, context="pay-token")[:32]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _with_token(app: Gongji, v: PayOrderView) -> PayOrderView:
    return replace(v, pay_token=pay_token(app, v.pay_ord_id))


# -- 6202 pay -------------------------------------------------------------------------------

@door
def pay(app: Gongji, who: Principal, cmd: Pay) -> PayOrderView:
    """6202: settle the order (fund, personal account, family quota and cash in one ledger
    entry), then take the cash part through the payment channel. A refused or unanswered
    cash payment cancels the settlement (CASH_PAYMENT_FAILED); nothing stays moved.

    Idempotent by the order: a paid order paid again answers the paid order."""
    require_institution(who)
    o, request_id = app.transact(who, lambda uow: _settle(uow, who, cmd, app.cash.name))
    if request_id is None:
        return _answer(app, who, o.pay_ord_id)
    try:
        result = app.cash.pay(request_id, o.own_pay_amt, pay_ord_id=o.pay_ord_id,
                              description=f"{o.fixmedins_code} {o.med_org_ord}")
    except Exception as e:  # a channel that breaks has not answered
        log.warning("cash channel failed for %s: %s", o.pay_ord_id, e.__class__.__name__)
        result = ChannelResult("unknown", None, e.__class__.__name__)
    app.transact(who, lambda uow: _finish(uow, o.pay_ord_id, request_id, result.state,
                                          result.channel_ref, who=who))
    return _answer(app, who, o.pay_ord_id)


def _answer(app: Gongji, who: Principal, pay_ord_id: str) -> PayOrderView:
    view = app.read(lambda uow: _view(uow, _own_order(uow, who, pay_ord_id)), principal=who)
    if view.ord_stas == "15":
        raise GongjiError("CASH_PAYMENT_FAILED", amount=format_yuan(view.own_pay_amt),
                          reason=Bi("支付渠道未确认成功", "the channel did not confirm it"))
    if view.ord_stas == "2":
        raise GongjiError("PAY_IN_PROGRESS", pay_ord_id=pay_ord_id)
    return view


def _settle(uow: UnitOfWork, who: Principal, cmd: Pay, channel: str
            ) -> tuple[store.OrderRecord, str | None]:
    o = _own_order(uow, who, cmd.pay_ord_id, lock=True)
    _check_token(o, cmd.pay_token)
    if cmd.pay_auth_no != o.pay_auth_no:
        raise GongjiError("PAY_AUTH_MISMATCH", field="payAuthNo", reason=Bi(
            "不是该订单的授权", "not this order's authorization"))
    if o.ord_stas != "1":
        if o.ord_stas in ("2", "6", "15"):
            return o, None  # paid, paying or failed: the answer is the order as it is
        raise GongjiError("PAY_ORDER_STATE", state=rules.state_name(o.ord_stas),
                          action=Bi("支付", "paid"))
    a = store.auth(uow.conn, o.pay_auth_no)
    assert a is not None
    if uow.now >= a.expires_at:
        raise GongjiError("PAY_AUTH_EXPIRED", at=_shown(a.expires_at))
    view = settlement.settle_in(uow, who, o.mdtrt_id, SettleAsk(
        Credential("PA", o.pay_auth_no), acct_used_flag=cmd.acct_used_flag,
        medfee_sumamt=o.fee_sumamt, psn_no=o.psn_no, trace_later=True))
    if o.hi_rxno:
        prescriptions.fill_in(uow, o.hi_rxno, fixmedins_code=o.fixmedins_code,
                              ref=o.pay_ord_id)
    amounts = _amounts(view)
    request_id = None
    if amounts["own_pay_amt"] > 0:
        request_id = new_code("C")
        cash.add_request(uow.conn, id=request_id, pay_ord_id=o.pay_ord_id, kind="pay",
                         amount=amounts["own_pay_amt"], channel=channel, at=uow.now)
        state: dict[str, Any] = {"ord_stas": "2", "cash_state": "pending"}
    else:
        state = {"ord_stas": "6", "cash_state": "none", "paid_at": uow.now}
    change: dict[str, Any] = {"setl_id": view.setl_id, "updated_at": uow.now, **amounts,
                              **state}
    store.change_order(uow.conn, o.pay_ord_id, **change)
    uow.record("mobilepay.pay", subject=o.pay_ord_id, detail={"setl_id": view.setl_id})
    o = replace(o, **change)
    _notify(uow, o, "paid" if state["ord_stas"] == "6" else "paying")
    return o, request_id


def _finish(uow: UnitOfWork, pay_ord_id: str, request_id: str, outcome: ChannelState,
            channel_ref: str | None, *, who: Principal, give_up: bool = True) -> str:
    """The channel's answer to the cash part: paid makes the order paid; failed (or no
    answer, when give_up) cancels the settlement by its mirror entry and fails the order."""
    o = store.order(uow.conn, pay_ord_id, lock=True)
    assert o is not None
    if o.ord_stas != "2":
        return o.ord_stas  # finished by someone else (the reconciliation, a retry)
    cash.set_state(uow.conn, request_id, outcome, channel_ref, uow.now)
    if outcome == "paid":
        store.change_order(uow.conn, pay_ord_id, ord_stas="6", cash_state="paid",
                           paid_at=uow.now, updated_at=uow.now)
        _notify(uow, replace(o, ord_stas="6"), "paid")
        return "6"
    if outcome == "unknown" and not give_up:
        return "2"
    inst = Principal("institution", o.fixmedins_code)
    assert o.setl_id is not None
    settlement.cancel_in(uow, inst, o.setl_id)
    if o.hi_rxno:
        prescriptions.unfill_in(uow, o.hi_rxno, ref=o.pay_ord_id)
    store.change_order(uow.conn, pay_ord_id, ord_stas="15", cash_state="failed",
                       updated_at=uow.now)
    uow.record("mobilepay.failed", subject=pay_ord_id,
               detail={"setl_id": o.setl_id, "cash": outcome})
    _notify(uow, replace(o, ord_stas="15"), "failed")
    return "15"


# -- 6203 refund ----------------------------------------------------------------------------

@door
def refund(app: Gongji, who: Principal, cmd: RefundAsk) -> PayOrderView:
    """6203: give back the whole order or the lines named, to the fen: the insurance part by
    ledger entries at once, the cash part through the channel. Idempotent by appRefdSn."""
    require_institution(who)
    request_id, original, amount = app.transact(
        who, lambda uow: _refund(uow, who, cmd, app.cash.name))
    if request_id is not None:
        _refund_cash(app, request_id, original, amount)
    return app.read(lambda uow: _view(uow, _own_order(uow, who, cmd.pay_ord_id)),
                    principal=who)


def _refund(uow: UnitOfWork, who: Principal, cmd: RefundAsk, channel: str
            ) -> tuple[str | None, str, int]:
    o = _own_order(uow, who, cmd.pay_ord_id, lock=True)
    if cmd.pay_auth_no is not None and cmd.pay_auth_no != o.pay_auth_no:
        raise GongjiError("PAY_AUTH_MISMATCH", field="payAuthNo", reason=Bi(
            "不是该订单的授权", "not this order's authorization"))
    done = store.refund(uow.conn, o.pay_ord_id, cmd.app_refd_sn)
    if done is not None:
        return None, "", 0  # the same refund again: it was made
    if o.ord_stas != "6" or o.setl_id is None:
        raise GongjiError("PAY_ORDER_STATE", state=rules.state_name(o.ord_stas),
                          action=Bi("退款", "refunded"))
    inst = Principal("institution", o.fixmedins_code)
    before = Split(o.fee_sumamt, o.fund_pay, o.psn_acct_pay, o.own_pay_amt)
    asked = Split(cmd.totl_refd_amt, cmd.fund_refd_amt, cmd.psn_acct_refd_amt,
                  cmd.cash_refd_amt)
    lines = settlement.settled_sns_in(uow, o.setl_id)
    named = tuple(dict.fromkeys(cmd.feedetl_sns))
    for sn in named:
        if sn not in lines:
            raise GongjiError("FEE_LINE_INVALID", feedetl_sn=sn[:30],
                              reason="not a line of this order")
    partial = bool(named) and len(named) < len(lines)
    kept = settlement.shipped_codes_in(uow, o.setl_id) if o.shipped_at else {}
    settlement.cancel_in(uow, inst, o.setl_id)
    if partial:
        settlement.withdraw_lines_in(uow, o.mdtrt_id, named)
        again = settlement.settle_in(uow, inst, o.mdtrt_id, SettleAsk(
            Credential("PA", o.pay_auth_no), psn_no=o.psn_no, trace_later=True))
        assert again.setl_id is not None
        if kept:  # the boxes kept stay sold to the person, now by the new settlement
            settlement.record_shipment_in(uow, again.setl_id, {
                sn: c for sn, c in kept.items() if sn not in named})
        amounts = _amounts(again)
        after = Split(amounts["fee_sumamt"], amounts["fund_pay"], amounts["psn_acct_pay"],
                      amounts["own_pay_amt"])
        due = before - after
        if due.cash < 0 or due.fund < 0 or due.acct < 0:
            raise GongjiError("REFUND_AMOUNT_MISMATCH", field="feedetailList",
                              given="-", due="-", what=Bi("所退明细", "the lines refunded"))
        rules.check_refund(cmd.refd_type, asked, due, partial=True)
        change: dict[str, Any] = {"setl_id": again.setl_id, **amounts}
        new_setl: str | None = again.setl_id
    else:
        due = before
        rules.check_refund(cmd.refd_type, asked, due, partial=False)
        if o.hi_rxno:
            prescriptions.unfill_in(uow, o.hi_rxno, ref=o.pay_ord_id)
        change = {"ord_stas": "7"}
        new_setl = None
    request_id, original = None, ""
    if due.cash > 0:
        paid = [r for r in cash.requests_of(uow.conn, o.pay_ord_id)
                if r.kind == "pay" and r.state == "paid"]
        original = paid[-1].id if paid else ""
        request_id = new_code("C")
        cash.add_request(uow.conn, id=request_id, pay_ord_id=o.pay_ord_id, kind="refund",
                         amount=due.cash, channel=channel, at=uow.now)
        if not partial:
            change["cash_state"] = "refunded"
    store.change_order(uow.conn, o.pay_ord_id, updated_at=uow.now, **change)
    store.add_refund(uow.conn, o.pay_ord_id, RefundView(
        cmd.app_refd_sn, cmd.refd_type, due.total, due.cash, due.acct, due.fund,
        named if partial else (), uow.now), new_setl)
    uow.record("mobilepay.refund", subject=o.pay_ord_id,
               detail={"app_refd_sn": cmd.app_refd_sn, "amount": due.total})
    _notify(uow, replace(o, **{k: v for k, v in change.items() if k in ("ord_stas",)}),
            "refunded")
    return request_id, original, due.cash


def _refund_cash(app: Gongji, request_id: str, original: str, amount: int) -> None:
    """The cash part goes back through the channel; one that does not answer now is retried
    by the reconciliation (the request id keeps it one refund)."""
    try:
        r = app.cash.refund(request_id, original, amount)
    except Exception as e:
        log.warning("cash refund %s not answered: %s", request_id, e.__class__.__name__)
        return
    if r.state != "unknown":
        app.transact(SYSTEM, lambda uow: cash.set_state(uow.conn, request_id, r.state,
                                                        r.channel_ref, uow.now))


# -- 6301 query, 6401 cancel ------------------------------------------------------------------

@door
def query(app: Gongji, who: Principal, pay_ord_id: str, pay_token_: str | None = None
          ) -> PayOrderView:
    """6301: the order as it stands (an order left paying is reconciled first)."""
    require_institution(who)
    view = app.read(lambda uow: _view(uow, _own_order(uow, who, pay_ord_id)), principal=who)
    if view.ord_stas == "2":
        _reconcile_order(app, pay_ord_id)
        view = app.read(lambda uow: _view(uow, _own_order(uow, who, pay_ord_id)),
                        principal=who)
    if pay_token_ is not None:
        o = app.read(lambda uow: _own_order(uow, who, pay_ord_id), principal=who)
        _check_token(o, pay_token_)
    return view


@door
def cancel_upload(app: Gongji, who: Principal, key: Key, pay_ord_id: str,
                  pay_token_: str) -> Written[PayOrderView]:
    """6401: withdraw an uploaded order not yet paid; its visit is cancelled."""
    require_institution(who)

    def run(uow: UnitOfWork) -> PayOrderView:
        o = _own_order(uow, who, pay_ord_id, lock=True)
        _check_token(o, pay_token_)
        if o.ord_stas == "12":
            return _view(uow, o)
        if o.ord_stas != "1":
            raise GongjiError("PAY_ORDER_STATE", state=rules.state_name(o.ord_stas),
                              action=Bi("撤销", "cancelled"))
        settlement.cancel_visit_in(uow, who, o.mdtrt_id)
        store.change_order(uow.conn, pay_ord_id, ord_stas="12", updated_at=uow.now)
        o = replace(o, ord_stas="12", updated_at=uow.now)
        _notify(uow, o, "cancelled")
        uow.record("mobilepay.cancel", subject=pay_ord_id)
        return _view(uow, o)

    return app.write(who, key=key, operation="mobilepay.cancel",
                     request={"pay_ord_id": pay_ord_id}, fn=run, result_type=PayOrderView)


# -- shipping -----------------------------------------------------------------------------------

@door
def ship(app: Gongji, who: Principal, key: Key, pay_ord_id: str,
         shipped: Shipped) -> Written[PayOrderView]:
    """The pharmacy ships a paid order with the trace code of each box: each is recorded as
    sold to the person by the order's settlement (a box sold before is refused, as at the
    counter), and the person sees them in the order."""
    require_institution(who)

    def run(uow: UnitOfWork) -> PayOrderView:
        o = _own_order(uow, who, pay_ord_id, lock=True)
        if o.ord_stas != "6" or o.setl_id is None or o.shipped_at is not None:
            raise GongjiError("PAY_ORDER_NOT_SHIPPABLE", state=rules.state_name(
                o.ord_stas) if o.shipped_at is None else Bi("已发货", "shipped"))
        settlement.record_shipment_in(uow, o.setl_id, dict(shipped.lines))
        store.change_order(uow.conn, pay_ord_id, shipped_at=uow.now, updated_at=uow.now)
        o = replace(o, shipped_at=uow.now)
        _notify(uow, o, "shipped")
        uow.record("mobilepay.ship", subject=pay_ord_id)
        return _view(uow, o)

    return app.write(who, key=key, operation="mobilepay.ship",
                     request={"pay_ord_id": pay_ord_id,
                              "lines": [[sn, list(c)] for sn, c in shipped.lines]},
                     fn=run, result_type=PayOrderView)


# -- the person's orders ----------------------------------------------------------------------

@door
def orders(app: Gongji, who: Principal, psn_no: str, *, limit: int = 50
           ) -> list[PayOrderView]:
    def run(uow: UnitOfWork) -> list[PayOrderView]:
        may(uow, who, Act.READ, psn_no)
        return [_view(uow, o) for o in store.orders_of(uow.conn, psn_no, limit=limit)]

    return app.read(run, principal=who)


@door
def order_page(app: Gongji, who: Principal, pay_ord_id: str) -> OrderPage:
    """One order for its person or their proxy (or the institution): the order, the
    settlement explaining every yuan, the trace codes shipped."""
    def run(uow: UnitOfWork) -> OrderPage:
        o = store.order(uow.conn, pay_ord_id)
        if o is None or not (may_see(uow, who, o.psn_no) or (
                who.kind == "institution" and who.id == o.fixmedins_code)):
            raise GongjiError("PAY_ORDER_NOT_FOUND", pay_ord_id=pay_ord_id[:40])
        setl = None
        setl_id = o.setl_id or settlement.last_settlement_of_visit(uow, o.mdtrt_id)
        if setl_id is not None:
            setl = settlement.view_in(uow, setl_id)
        traces = tuple(TraceView(*t) for t in settlement.traces_of_visit(uow, o.mdtrt_id))
        return OrderPage(_view(uow, o), setl, traces)

    return app.read(run, principal=who)


# -- operators ----------------------------------------------------------------------------------

@door
def desk(app: Gongji, who: Principal, *, limit: int = 50) -> Desk:
    """The newest online orders as operators follow them: state, cash requests to the
    channel, notifications to the institution (delivered, retrying, given up)."""
    require_operator(who)

    def run(uow: UnitOfWork) -> Desk:
        rows = []
        for o in store.recent(uow.conn, limit=limit):
            notices = tuple(_notice(n) for n in notify_store.of_order(
                uow.conn, o.pay_ord_id, gave_up=GAVE_UP))
            rows.append(DeskRow(
                _view(uow, o), people.person(uow.conn, o.psn_no).masked.name_masked,
                tuple(CashView(r.id, r.kind, r.amount, r.channel, r.state, r.created_at)
                      for r in cash.requests_of(uow.conn, o.pay_ord_id)), notices))
        return Desk(tuple(rows), store.count_in(uow.conn, "2"),
                    sum(1 for r in rows for n in r.notices if n.delivered_at is None))

    return app.read(run, principal=who)


def _notice(n: NotificationView) -> NoticeView:
    body = json.loads(n.body)
    return NoticeView(n.notify_id, n.created_at, n.attempts, n.delivered_at, n.last_error,
                      n.gave_up, str(body.get("event", "")), str(body.get("ordStas", "")))


# -- reconciliation -----------------------------------------------------------------------------

@door
def reconcile(app: Gongji, *, limit: int = 50) -> int:
    """Finish what a crash or a silent channel left open: orders left paying (the channel
    asked again; given up after CASH_WAIT), late successes of failed orders (refunded), and
    cash refunds not yet answered (asked again). Returns how many were settled."""
    now = app.clock.now()
    done = 0
    paying = app.read(lambda uow: store.orders_in(uow.conn, "2", before=now, limit=limit))
    for pay_ord_id in paying:
        done += _reconcile_order(app, pay_ord_id)
    for r in app.read(lambda uow: cash.pending(uow.conn, older_than=now)):
        done += _reconcile_request(app, r)
    return done


def _reconcile_request(app: Gongji, r: CashRequest) -> int:
    o = app.read(lambda uow: store.order(uow.conn, r.pay_ord_id))
    if o is None:
        return 0
    if r.kind == "refund":
        _refund_cash(app, r.id, _paid_request(app, r.pay_ord_id), r.amount)
        return 0
    if o.ord_stas == "2":
        return 0  # the order's own reconciliation decides it
    answer = _ask(app, r.id)
    if answer.state == "failed":
        app.transact(SYSTEM, lambda uow: cash.set_state(uow.conn, r.id, "failed", None,
                                                        uow.now))
        return 0
    if answer.state != "paid":
        return 0
    refund_id = new_code("C")  # a late success of a payment given up: give it back

    def book(uow: UnitOfWork) -> None:
        cash.set_state(uow.conn, r.id, "paid", answer.channel_ref, uow.now)
        cash.add_request(uow.conn, id=refund_id, pay_ord_id=r.pay_ord_id, kind="refund",
                         amount=r.amount, channel=r.channel, at=uow.now)
        uow.record("mobilepay.late_cash", subject=r.pay_ord_id, detail={"amount": r.amount})

    app.transact(SYSTEM, book)
    _refund_cash(app, refund_id, r.id, r.amount)
    return 1


def _paid_request(app: Gongji, pay_ord_id: str) -> str:
    return next((x.id for x in app.read(lambda uow: cash.requests_of(uow.conn, pay_ord_id))
                 if x.kind == "pay" and x.state == "paid"), "")


def _reconcile_order(app: Gongji, pay_ord_id: str) -> int:
    pending = [r for r in app.read(lambda uow: cash.requests_of(uow.conn, pay_ord_id))
               if r.kind == "pay" and r.state in ("pending", "unknown")]
    if not pending:
        return 0
    r = pending[-1]
    answer = _ask(app, r.id)
    give_up = app.clock.now() - r.created_at >= rules.CASH_WAIT
    state = app.transact(SYSTEM, lambda uow: _finish(
        uow, pay_ord_id, r.id, answer.state, answer.channel_ref, who=SYSTEM,
        give_up=give_up))
    return 1 if state != "2" else 0


def _ask(app: Gongji, request_id: str) -> ChannelResult:
    try:
        return app.cash.query(request_id)
    except Exception as e:
        log.warning("cash channel query failed for %s: %s", request_id, e.__class__.__name__)
        return ChannelResult("unknown", None, e.__class__.__name__)


# -- shared -------------------------------------------------------------------------------------

def _own_order(uow: UnitOfWork, who: Principal, pay_ord_id: str, *, lock: bool = False
               ) -> store.OrderRecord:
    o = store.order(uow.conn, pay_ord_id, lock=lock)
    if o is None or (who.kind == "institution" and o.fixmedins_code != who.id):
        raise GongjiError("PAY_ORDER_NOT_FOUND", pay_ord_id=pay_ord_id[:40])
    return o


def _check_token(o: store.OrderRecord, token: str) -> None:
    if not hmac.compare_digest(_digest(token), o.pay_token_digest):
        raise GongjiError("PAY_TOKEN_INVALID")


def _view(uow: UnitOfWork, o: store.OrderRecord) -> PayOrderView:
    inst = institutions.get_in(uow, o.fixmedins_code)
    return PayOrderView(
        pay_ord_id=o.pay_ord_id, med_org_ord=o.med_org_ord, fixmedins_code=o.fixmedins_code,
        fixmedins_name=inst.fixmedins_name, psn_no=o.psn_no, authorized_by=o.authorized_by,
        insutype=o.insutype, ord_stas=o.ord_stas, fee_sumamt=o.fee_sumamt,
        own_pay_amt=o.own_pay_amt, psn_acct_pay=o.psn_acct_pay, fund_pay=o.fund_pay,
        acct_mulaid_pay=o.acct_mulaid_pay, mdtrt_id=o.mdtrt_id, setl_id=o.setl_id,
        hi_rxno=o.hi_rxno, cash_state=o.cash_state, created_at=o.created_at,
        updated_at=o.updated_at, paid_at=o.paid_at, shipped_at=o.shipped_at,
        refunds=tuple(store.refunds_of(uow.conn, o.pay_ord_id)))


def _notify(uow: UnitOfWork, o: store.OrderRecord, event: str) -> None:
    """Tell the institution of the order's new state, in this transaction (the outbox)."""
    if not o.notify_url:
        return
    notify.enqueue_in(uow, pay_ord_id=o.pay_ord_id, fixmedins_code=o.fixmedins_code,
                      url=o.notify_url, event={
                          "event": event, "medOrgOrd": o.med_org_ord, "ordStas": o.ord_stas,
                          "feeSumamt": format_yuan(o.fee_sumamt),
                          "ownPayAmt": format_yuan(o.own_pay_amt),
                          "psnAcctPay": format_yuan(o.psn_acct_pay),
                          "fundPay": format_yuan(o.fund_pay),
                          "time": _shown(uow.now)})


def _shown(at: datetime) -> str:
    return display(at)


@door
def institution_key(app: Gongji, who: Principal) -> str:
    """The calling institution's pay key (GET /api/v1/mobile-pay/key)."""
    require_institution(who)
    return notify.pay_key(app, who.id)


@door
def reconcile_now(app: Gongji, who: Principal) -> int:
    """An operator runs the reconciliation at once (it also runs every few seconds)."""
    require_operator(who)
    return reconcile(app)


def pay_key(app: Gongji, fixmedins_code: str) -> str:
    """The key the institution checks gongji's signatures with (notifications, returns
    from the authorization page)."""
    return notify.pay_key(app, fixmedins_code)
