"""The mobile-payment transactions (医保移动支付, 6201-6401), in the specification's camelCase
names. A HIS or an online pharmacy calls them as it calls the national mobile-payment center:
the fields sit in input.data (or in input itself, as some relays send them); amounts are 16,2
yuan; the answer's fields are the output object.

Tolerant in form (either node, codes as numbers, extra fields ignored), strict in meaning:
the order id, the authorization, the token and every amount must be exactly ours.
"""

from __future__ import annotations

from typing import Any

from gongji.domain.clock import display
from gongji.gateway.fields import Reader, bad
from gongji.gateway.jsonio import yuan
from gongji.gateway.outputs import shape
from gongji.gateway.transactions import Ctx, handles
from gongji.services.mobilepay import service as svc
from gongji.services.mobilepay.model import Pay, PayOrderView, RefundAsk, Upload
from gongji.services.settlement.model import FeeIn

ORDER = ("payOrdId", "payToken", "ordStas", "feeSumamt", "ownPayAmt", "psnAcctPay", "fundPay",
         "acctMulaidPay", "selfAcctPay", "deposit", "mdtrtId", "setlId", "medOrgOrd", "extData")
"""6201 / 6202: the order and its amounts (psnAcctPay = the person's own account plus family
quota: selfAcctPay + acctMulaidPay)."""
QUERIED = ("ordStas", "payOrdId", "callType", "medOrgOrd", "traceTime", "orgCodg", "orgName",
           "setlType", "feeSumamt", "ownPayAmt", "psnAcctPay", "fundPay", "acctMulaidPay",
           "selfAcctPay", "hiChrgTime", "mdtrtId", "setlId", "refdAmt", "shipped")
"""6301: the order as it stands; refdAmt what was refunded so far."""
REFUNDED = ("appRefdSn", "trnsDate", "appRefdFlag", "refStatus", "payOrdId", "ordStas",
            "totlRefdAmt", "psnAcctRefdAmt", "fundRefdAmt", "cashRefdAmt")
CANCELLED = ("success", "message", "payOrdId", "ordStas")

MOBILE_OUTPUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "6201": {"": ORDER}, "6202": {"": ORDER}, "6203": {"": REFUNDED},
    "6301": {"": QUERIED}, "6401": {"": CANCELLED}}
MONEY = {"feeSumamt", "ownPayAmt", "psnAcctPay", "fundPay", "acctMulaidPay", "selfAcctPay",
         "deposit", "refdAmt", "totlRefdAmt", "psnAcctRefdAmt", "fundRefdAmt", "cashRefdAmt"}


def _data(ctx: Ctx) -> Reader:
    """input.data, or input itself where a relay sent the fields there."""
    raw = ctx.env.input
    if isinstance(raw, dict) and isinstance(raw.get("data"), dict):
        return Reader(raw["data"], "input.data")
    return Reader(raw, "input")


def _org(ctx: Ctx, d: Reader) -> None:
    """orgCodg, when sent, is the institution calling."""
    org = d.char("orgCodg", 30)
    if org is not None and org != ctx.who.id:
        raise bad(f"{d.path}.orgCodg", "与调用机构不一致", "is not the calling institution")


def _flag(d: Reader, name: str) -> bool:
    return d.char(name, 3, allowed={"0", "1"}) != "0"


def _order(v: PayOrderView) -> dict[str, Any]:
    return shape(ORDER, payOrdId=v.pay_ord_id, payToken=v.pay_token, ordStas=v.ord_stas,
                 feeSumamt=yuan(v.fee_sumamt), ownPayAmt=yuan(v.own_pay_amt),
                 psnAcctPay=yuan(v.psn_acct_pay), fundPay=yuan(v.fund_pay),
                 acctMulaidPay=yuan(v.acct_mulaid_pay),
                 selfAcctPay=yuan(v.psn_acct_pay - v.acct_mulaid_pay), deposit=yuan(0),
                 mdtrtId=v.mdtrt_id, setlId=v.setl_id, medOrgOrd=v.med_org_ord, extData={})


def _line(x: Reader) -> FeeIn:
    fee = x.fen("detItemFeeSumamt", required=True)
    cnt = x.number("cnt", 4, required=True)
    pric = x.number("pric", 6, required=True)
    assert fee is not None and cnt is not None and pric is not None
    return FeeIn(feedetl_sn=x.need("feedetlSn", 30), med_list_codg=x.need("medListCodg", 50),
                 cnt=format(cnt, "f"), pric=format(pric, "f"), det_item_fee_sumamt=fee,
                 medins_list_codg=x.char("medinsListCodg", 150),
                 within_limits=x.char("hospApprFlag", 3) == "1")


@handles("6201", name="费用明细上传 mobile-payment fee upload")
def upload(ctx: Ctx) -> Any:
    d = _data(ctx)
    _org(ctx, d)
    rows = d.objs("feedetailList", most=500) or d.objs("feedetail", required=True, most=500)
    lines = tuple(_line(x) for x in rows)
    rxnos = {x.char("rxno", 40) for x in rows} - {None}
    hi_rxno = d.char("hiRxno", 40) or (rxnos.pop() if len(rxnos) == 1 else None)
    if len(rxnos) > 1:
        raise bad(f"{d.path}.feedetailList", "一个订单只能对应一张电子处方",
                  "one order fills one electronic prescription")
    ext = d.obj("extData", required=False)
    total = d.fen("medfeeSumamt", required=True)
    assert total is not None
    out = svc.upload(ctx.app, ctx.who, ctx.key, Upload(
        pay_auth_no=d.need("payAuthNo", 40), med_org_ord=d.need("medOrgOrd", 40),
        med_type=d.char("medType", 6) or ("41" if ctx.who.id.startswith("P") else "11"),
        lines=lines, medfee_sumamt=total, psn_no=d.char("psnNo", 30),
        insutype=d.char("insutype", 6), hi_rxno=hi_rxno,
        notify_url=d.char("notifyUrl", 300) or (ext.char("notifyUrl", 300) if ext else None),
    )).value
    return _order(out)


@handles("6202", name="支付下单 mobile-payment pay order")
def pay(ctx: Ctx) -> Any:
    d = _data(ctx)
    _org(ctx, d)
    out = svc.pay(ctx.app, ctx.who, Pay(
        pay_auth_no=d.need("payAuthNo", 40), pay_ord_id=d.need("payOrdId", 40),
        pay_token=d.need("payToken", 64), acct_used_flag=_flag(d, "acctUsedFlag")))
    return _order(out)


@handles("6203", name="医保退费 mobile-payment refund")
def refund(ctx: Ctx) -> Any:
    d = _data(ctx)
    _org(ctx, d)
    sn = d.need("appRefdSn", 40)
    total = d.fen("totlRefdAmt", required=True)
    assert total is not None

    def amount(name: str) -> int:
        got = d.fen(name)
        return -1 if got is None else got

    sns = tuple(x.need("feedetlSn", 30) for x in d.objs("feedetailList", most=500))
    out = svc.refund(ctx.app, ctx.who, RefundAsk(
        pay_ord_id=d.need("payOrdId", 40), app_refd_sn=sn,
        refd_type=(d.char("refdType", 4) or "ALL").upper(), totl_refd_amt=total,
        cash_refd_amt=amount("cashRefdAmt"), psn_acct_refd_amt=amount("psnAcctRefdAmt"),
        fund_refd_amt=amount("fundRefdAmt"), feedetl_sns=sns,
        pay_auth_no=d.char("payAuthNo", 40)))
    r = next(x for x in out.refunds if x.app_refd_sn == sn)
    return shape(REFUNDED, appRefdSn=sn, trnsDate=display(r.created_at)[:10],
                 appRefdFlag="1", refStatus="SUCC", payOrdId=out.pay_ord_id,
                 ordStas=out.ord_stas, totlRefdAmt=yuan(r.totl_refd_amt),
                 psnAcctRefdAmt=yuan(r.psn_acct_refd_amt), fundRefdAmt=yuan(r.fund_refd_amt),
                 cashRefdAmt=yuan(r.cash_refd_amt))


@handles("6301", name="医保订单结算结果查询 mobile-payment order query")
def query(ctx: Ctx) -> Any:
    d = _data(ctx)
    _org(ctx, d)
    v = svc.query(ctx.app, ctx.who, d.need("payOrdId", 40), d.char("payToken", 64))
    refunded = sum(r.totl_refd_amt for r in v.refunds)
    return shape(
        QUERIED, ordStas=v.ord_stas, payOrdId=v.pay_ord_id, callType="01",
        medOrgOrd=v.med_org_ord, traceTime=display(v.updated_at), orgCodg=v.fixmedins_code,
        orgName=v.fixmedins_name, setlType="ALL" if v.own_pay_amt else "HI",
        feeSumamt=yuan(v.fee_sumamt), ownPayAmt=yuan(v.own_pay_amt),
        psnAcctPay=yuan(v.psn_acct_pay), fundPay=yuan(v.fund_pay),
        acctMulaidPay=yuan(v.acct_mulaid_pay),
        selfAcctPay=yuan(v.psn_acct_pay - v.acct_mulaid_pay),
        hiChrgTime=display(v.paid_at) if v.paid_at else None, mdtrtId=v.mdtrt_id,
        setlId=v.setl_id, refdAmt=yuan(refunded), shipped="1" if v.shipped_at else "0")


@handles("6401", name="费用明细上传撤销 mobile-payment upload cancel")
def cancel(ctx: Ctx) -> Any:
    d = _data(ctx)
    _org(ctx, d)
    v = svc.cancel_upload(ctx.app, ctx.who, ctx.key, d.need("payOrdId", 40),
                          d.need("payToken", 64)).value
    return shape(CANCELLED, success=True, message="撤销成功 cancelled",
                 payOrdId=v.pay_ord_id, ordStas=v.ord_stas)
