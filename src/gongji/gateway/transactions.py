"""One handler per infno: read the input by the specification into a service command, make
one service call, write the result back as the specification's output. Nothing here decides a
rule or touches the database.

msgid is the idempotency key of every write, held to the whole message input: a repeat with
the same input returns the first output; with any field changed, IDEMPOTENCY_CONFLICT.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gongji.domain.access import Principal
from gongji.domain.catalog import CHRGITM_TYPES, LEVELS, LIST_TYPES, ratio_text
from gongji.domain.clock import business_date, display
from gongji.domain.filing import CHRONIC_DISEASES
from gongji.domain.settlement import EXPECTED, FUND_TYPES, SETLINFO_AMOUNTS
from gongji.gateway.envelope import Envelope, plain
from gongji.gateway.fields import Reader, bad
from gongji.gateway.jsonio import yuan
from gongji.gateway.outputs import (
    BASEINFO,
    CUMINFO,
    DETLCUTINFO,
    DICTIONARY,
    DOWNLOAD,
    DOWNLOADED,
    FEE_RESULT,
    FILED,
    FILEINFO,
    INSUINFO,
    PHARMACY_CANCEL_SETLINFO,
    QUERY_SETLINFO,
    REVERSED,
    SALE,
    SETLDETAIL,
    SETLINFO,
    SIGNINOUTB,
    SIGNOUTOUTB,
    STMTINFO,
    UPLOADED,
    VISIT,
    shape,
)
from gongji.services.catalog import service as catalog
from gongji.services.clearing import service as clearing
from gongji.services.enrollment.service import PSN_TYPES
from gongji.services.files import service as files
from gongji.services.filing import service as filing
from gongji.services.runtime import ClientKey, Gongji
from gongji.services.settlement import service as svc
from gongji.services.signin import service as signin
from gongji.services.tracing import service as tracing


@dataclass
class Ctx:
    app: Gongji
    who: Principal
    env: Envelope

    @property
    def input(self) -> Reader:
        return Reader(self.env.input, "input")

    @property
    def key(self) -> ClientKey:
        """The write's idempotency key: the msgid, held to the whole input."""
        return ClientKey(self.env.msgid, plain(self.env.input))


Handler = Callable[[Ctx], Any]
HANDLERS: dict[str, Handler] = {}
NAMES: dict[str, str] = {}


def handles(*infnos: str, name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for infno, label in zip(infnos, name.split(" | "), strict=True):
            HANDLERS[infno] = fn
            NAMES[infno] = label
        return fn

    return register


def _time(at: Any) -> str:
    """Shanghai wall time, yyyy-MM-dd HH:mm:ss (a time read back from the store is UTC)."""
    return display(at)


# -- sign-in ------------------------------------------------------------------------------

@handles("9001", name="签到 sign-in")
def sign_in(ctx: Ctx) -> Any:
    s = ctx.input.need_obj("signIn")
    done = signin.sign_in(ctx.app, ctx.who, ctx.key, opter_no=s.need("opter_no", 30),
                          mac=s.char("mac", 40), ip=s.char("ip", 45))
    return {"signinoutb": shape(SIGNINOUTB, sign_time=_time(done.sign_time),
                                sign_no=done.sign_no)}


@handles("9002", name="签退 sign-out")
def sign_out(ctx: Ctx) -> Any:
    s = ctx.input.need_obj("signOut")
    sign_no = s.need("sign_no", 30)
    s.need("opter_no", 30)
    at = signin.sign_out(ctx.app, ctx.who, ctx.key, sign_no=sign_no)
    return {"signoutoutb": shape(SIGNOUTOUTB, sign_time=_time(at))}


# -- person and dictionary ----------------------------------------------------------------

def credential(r: Reader) -> svc.Credential:
    t = r.need("mdtrt_cert_type", 3, allowed={"01", "02", "03"})
    return svc.Credential(t, r.need("mdtrt_cert_no", 200))  # type: ignore[arg-type]


@handles("1101", name="人员信息获取 person information")
def person_info(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    cred = credential(d)
    d.char("card_sn", 32)
    d.when("begntime")
    d.char("psn_cert_type", 6)
    info = svc.person_info(ctx.app, ctx.who, cred, certno=d.char("certno", 50),
                           psn_name=d.char("psn_name", 50))
    return {
        "baseinfo": shape(BASEINFO, psn_no=info.psn_no, psn_cert_type="01",
                          certno=info.certno, psn_name=info.psn_name, gend=info.gend,
                          naty=NATY, brdy=info.brdy.isoformat(), age=Decimal(info.age)),
        "insuinfo": [shape(
            INSUINFO, balc=yuan(info.balc or 0) if e.has_personal_account else yuan(0),
            insutype=e.insutype, psn_type=e.psn_type,
            psn_insu_stas="1" if e.status == "active" else "2",
            psn_insu_date=e.begndate.isoformat(),
            paus_insu_date=e.enddate.isoformat() if e.enddate else None,
            cvlserv_flag=CVLSERV_FLAG, insuplc_admdvs=e.insuplc_admdvs, emp_name=e.emp_name)
            for e in info.enrollments],
        "idetinfo": [],
    }


NATY = "01"
"""gongji keeps no ethnicity: naty is answered as 01 (汉族), the code's default, in 1101 and
every setlinfo alike."""
CVLSERV_FLAG = "0"
"""gongji has no civil-servant subsidy (cvlserv_pay is always 0)."""


DICTIONARIES: dict[str, dict[str, str]] = {
    "insutype": {"310": "职工基本医疗保险", "390": "城乡居民基本医疗保险",
                 "410": "长期护理保险"},
    "psn_type": {k: v for table in PSN_TYPES.values() for k, v in table.items()},
    "med_type": {"11": "普通门诊", "13": "急诊", "14": "门诊慢特病", "21": "普通住院",
                 "25": "异地住院", "28": "日间手术", "41": "定点药店购药"},
    "mdtrt_cert_type": {"01": "医保电子凭证", "02": "居民身份证", "03": "社会保障卡"},
    "chrgitm_lv": LEVELS,
    "med_chrgitm_type": CHRGITM_TYPES,
    "list_type": LIST_TYPES,
    "clr_type": {"11": "门诊", "21": "住院", "41": "药店", "99": "其他"},
    "fund_pay_type": dict(FUND_TYPES),
    "opsp_dise_code": {k: v.zh for k, v in CHRONIC_DISEASES.items()},
}


@handles("1901", name="字典表查询 dictionary")
def dictionary(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    kind = d.need("type", 30)
    d.char("parentValue", 30)
    d.char("admdvs", 6)
    d.char("date", 19)
    d.char("valiFlag", 1)
    table = DICTIONARIES.get(kind)
    if table is None:
        raise bad("input.data.type", "没有该字典", f"unknown; one of {', '.join(DICTIONARIES)}")
    return {"list": [shape(DICTIONARY, type=kind, label=label, value=value, sort=str(i + 1),
                           vali_flag="1") for i, (value, label) in enumerate(table.items())]}


# -- visits -------------------------------------------------------------------------------

@handles("2201", name="门诊挂号 outpatient registration")
def outpatient_register(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    insutype = d.need("insutype", 6)
    d.when("begntime", required=True)
    cred = credential(d)
    ipt_otp_no = d.need("ipt_otp_no", 30)
    for f in ("atddr_no", "dr_name", "dept_code", "dept_name", "caty"):
        d.char(f, 50)
    v = svc.open_visit(ctx.app, ctx.who, ctx.key, svc.OpenVisit(
        cred, insutype, "11", ipt_otp_no=ipt_otp_no, psn_no=psn_no)).value
    return {"data": shape(VISIT, mdtrt_id=v.mdtrt_id, psn_no=v.psn_no, ipt_otp_no=ipt_otp_no)}


@handles("2202", "2404", name="门诊挂号撤销 cancel registration | 入院撤销 cancel admission")
def cancel_registration(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    mdtrt_id = d.need("mdtrt_id", 30)
    d.char("ipt_otp_no", 30)
    svc.cancel_visit(ctx.app, ctx.who, ctx.key, mdtrt_id, psn_no=psn_no)
    return {}


@handles("2203", name="门诊就诊信息上传 visit information")
def outpatient_info(ctx: Ctx) -> Any:
    m = ctx.input.need_obj("mdtrtinfo")
    mdtrt_id = m.need("mdtrt_id", 30)
    psn_no = m.need("psn_no", 30)
    med_type = m.need("med_type", 6)
    m.when("begntime")
    dise_codg = m.char("dise_codg", 30)
    m.char("dise_name", 300)
    for x in ctx.input.objs("diseinfo"):
        x.char("diag_code", 30)
    svc.update_visit(ctx.app, ctx.who, ctx.key, mdtrt_id, med_type=med_type,
                     dise_codg=dise_codg, psn_no=psn_no)
    return {}


@handles("2401", name="入院办理 admission")
def admission(ctx: Ctx) -> Any:
    m = ctx.input.need_obj("mdtrtinfo")
    psn_no = m.need("psn_no", 30)
    insutype = m.need("insutype", 6)
    cred = credential(m)
    med_type = m.need("med_type", 6, allowed={"21", "25", "28"})
    ipt_no = m.need("ipt_no", 30)
    m.when("begntime", required=True)
    dise_codg = m.char("dise_codg", 30)
    m.char("adm_diag_dscr", 200)  # a description, not a code: checked, not stored
    for x in ctx.input.objs("diseinfo"):
        x.char("diag_code", 30)
    v = svc.open_visit(ctx.app, ctx.who, ctx.key, svc.OpenVisit(
        cred, insutype, med_type, ipt_otp_no=ipt_no, dise_codg=dise_codg,
        psn_no=psn_no)).value
    return {"result": shape(VISIT, mdtrt_id=v.mdtrt_id, psn_no=v.psn_no, ipt_otp_no=ipt_no)}


@handles("2402", name="出院办理 discharge")
def discharge(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("dscginfo")
    mdtrt_id = d.need("mdtrt_id", 30)
    psn_no = d.need("psn_no", 30)
    d.when("endtime", required=True)
    for x in ctx.input.objs("diseinfo"):
        x.char("diag_code", 30)
    svc.discharge(ctx.app, ctx.who, ctx.key, mdtrt_id, psn_no=psn_no)
    return {}


@handles("2405", name="出院撤销 cancel discharge")
def cancel_discharge(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    mdtrt_id = d.need("mdtrt_id", 30)
    psn_no = d.need("psn_no", 30)
    svc.discharge(ctx.app, ctx.who, ctx.key, mdtrt_id, undo=True, psn_no=psn_no)
    return {}


# -- fee details ----------------------------------------------------------------------------

def _fee(x: Reader, *, refunds: bool) -> tuple[tuple[str, str], svc.FeeIn, str | None]:
    mdtrt_id = x.need("mdtrt_id", 30)
    psn_no = x.need("psn_no", 30)
    sn = x.need("feedetl_sn", 30)
    x.when("fee_ocur_time", required=True)
    code = x.need("med_list_codg", 50)
    x.char("medins_list_codg", 150)
    fee = x.fen("det_item_fee_sumamt", required=True, signed=refunds)
    cnt = x.number("cnt", 4, required=True, signed=refunds)
    pric = x.number("pric", 6, required=True)
    init_sn = x.char("init_feedetl_sn", 30)
    codes = [t.need("drug_trac_codg", 128) for t in x.objs("drugtracinfo", most=100)]
    assert fee is not None and cnt is not None and pric is not None
    return (mdtrt_id, psn_no), svc.FeeIn(
        feedetl_sn=sn, med_list_codg=code, cnt=format(cnt, "f"), pric=format(pric, "f"),
        det_item_fee_sumamt=fee, medins_list_codg=x.char("medins_list_codg", 150),
        within_limits=x.char("hosp_appr_flag", 3) == "1", trace_codes=tuple(codes),
        trdn_flag=x.char("trdn_flag", 1) == "1", chrg_bchno=x.char("chrg_bchno", 30)), init_sn


def _line(x: svc.LineView, f: svc.FeeIn | None) -> dict[str, Any]:
    """What gongji knows of a classified line, by the national names (cnt and pric as the
    HIS sent them)."""
    return {"feedetl_sn": x.feedetl_sn, "det_item_fee_sumamt": yuan(x.det_item_fee_sumamt),
            "cnt": Decimal(f.cnt) if f else None, "pric": Decimal(f.pric) if f else None,
            "pric_uplmt_amt": yuan(x.pric_uplmt_amt), "selfpay_prop": Decimal(x.selfpay_prop),
            "fulamt_ownpay_amt": yuan(x.fulamt_ownpay_amt), "overlmt_amt": yuan(x.overlmt_amt),
            "preselfpay_amt": yuan(x.preselfpay_amt), "inscp_scp_amt": yuan(x.inscp_scp_amt),
            "chrgitm_lv": x.chrgitm_lv, "med_chrgitm_type": x.med_chrgitm_type,
            "lmt_used_flag": "1" if x.lmt_used_flag else "0", "memo": x.name}


def _line_out(x: svc.LineView, f: svc.FeeIn) -> dict[str, Any]:
    return shape(FEE_RESULT, **_line(x, f))


@handles("2204", "2301", name="门诊费用明细上传 outpatient fee details | "
                              "住院费用明细上传 inpatient fee details")
def upload(ctx: Ctx) -> Any:
    """A line with a negative cnt (2301) or naming init_feedetl_sn refunds that line."""
    rows = [_fee(x, refunds=ctx.env.infno == "2301")
            for x in ctx.input.objs("feedetail", required=True, most=500)]
    ids = {m for m, _, _ in rows}
    if len(ids) != 1:
        raise bad("input.feedetail", "一次只能上传一个就诊（同一人员）的明细",
                  "one mdtrt_id and psn_no per upload")
    mdtrt_id, psn_no = ids.pop()
    new = tuple(f for _, f, init in rows if init is None and Decimal(f.cnt) > 0)
    refunds = {init: svc.Refund(init, f.cnt, f.det_item_fee_sumamt) for _, f, init in rows
               if init is not None or Decimal(f.cnt) <= 0}
    out = svc.upload_fees(ctx.app, ctx.who, ctx.key, mdtrt_id, new, tuple(refunds.values()),
                          psn_no=psn_no).value
    by_sn = {f.feedetl_sn: f for f in new}
    return {"result": [_line_out(x, by_sn[x.feedetl_sn]) for x in out.lines]}


@handles("2205", name="门诊费用明细撤销 cancel outpatient fee details")
def outpatient_fees_cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    mdtrt_id = d.need("mdtrt_id", 30)
    batch = d.need("chrg_bchno", 30)
    psn_no = d.need("psn_no", 30)
    svc.cancel_fees(ctx.app, ctx.who, ctx.key, mdtrt_id,
                    chrg_bchno=None if batch == "0000" else batch, psn_no=psn_no)
    return {}


@handles("2302", name="住院费用明细撤销 cancel inpatient fee details")
def inpatient_fees_cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    sn = d.need("feedetl_sn", 30)
    mdtrt_id = d.need("mdtrt_id", 30)
    psn_no = d.need("psn_no", 30)
    svc.cancel_fees(ctx.app, ctx.who, ctx.key, mdtrt_id, () if sn == "0000" else (sn,),
                    psn_no=psn_no)
    return {}


# -- settlement ------------------------------------------------------------------------------

def _setl_values(v: svc.SettlementView, sign: int) -> dict[str, Any]:
    """Every setlinfo value gongji has, by the national names (any shape takes its own)."""
    amounts = {name: yuan(sign * getattr(v, name)) for name in SETLINFO_AMOUNTS}
    return {
        "mdtrt_id": v.mdtrt_id or None, "setl_id": v.setl_id, "psn_no": v.psn_no,
        "psn_name": v.psn_name_masked, "psn_cert_type": "01", "certno": v.certno,
        "gend": v.gend, "naty": NATY, "brdy": v.brdy.isoformat() if v.brdy else None,
        "age": None if v.age is None else Decimal(v.age), "insutype": v.insutype,
        "psn_type": v.psn_type, "cvlserv_flag": CVLSERV_FLAG, "setl_time": _time(v.setl_time),
        "mdtrt_cert_type": v.mdtrt_cert_type, "med_type": v.med_type, **amounts,
        "pool_prop_selfpay": Decimal(ratio_text(v.pool_prop_selfpay)), "balc": yuan(v.balc),
        "medins_setl_id": v.medins_setl_id, "clr_optins": v.clr_optins, "clr_way": "1",
        "clr_type": v.clr_type, "hifdm_pay": yuan(0),
        "psn_pay": amounts["psn_part_amt"], "cash_payamt": amounts["psn_cash_pay"],
    }


def setlinfo(v: svc.SettlementView, *, sign: int = 1, fields: tuple[str, ...] = SETLINFO,
             **more: Any) -> dict[str, Any]:
    """The national setlinfo of one shape; sign -1 for a cancellation (the amounts
    reversed). The holder's ID number is in full, as 1101 gives it to the same institution;
    the name stays masked (docs/GATEWAY.md)."""
    values = _setl_values(v, sign) | more
    return shape(fields, **{k: values[k] for k in fields if k in values})


def setldetail(v: svc.SettlementView, *, sign: int = 1) -> list[dict[str, Any]]:
    """Always a list (empty when no fund paid)."""
    return [shape(SETLDETAIL, fund_pay_type=d.fund_pay_type,
                  inscp_scp_amt=yuan(sign * d.inscp_scp_amt),
                  crt_payb_lmt_amt=yuan(d.crt_payb_lmt_amt),
                  fund_payamt=yuan(sign * d.fund_payamt),
                  fund_pay_type_name=d.fund_pay_type_name)
            for d in v.setldetail]


def _settled(v: svc.SettlementView, *, sign: int = 1, fields: tuple[str, ...] = SETLINFO,
             **more: Any) -> dict[str, Any]:
    return {"setlinfo": setlinfo(v, sign=sign, fields=fields, **more),
            "setldetail": setldetail(v, sign=sign)}


def _expected(d: Reader) -> dict[str, int]:
    """The splits the HIS computed and sends along (checked against ours)."""
    return {k: v for k in EXPECTED if (v := d.fen(k)) is not None}


def _ask(ctx: Ctx, *, settle: bool) -> tuple[str, svc.SettleAsk]:
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    cred = credential(d)
    mdtrt_id = d.need("mdtrt_id", 30)
    d.char("med_type", 6)
    total = d.fen("medfee_sumamt", required=True)
    d.char("psn_setlway", 6)
    d.char("chrg_bchno", 30)
    d.char("insutype", 6)
    d.char("invono", 20)
    acct = d.char("acct_used_flag", 3, allowed={"0", "1"})
    mid = d.char("mid_setl_flag", 3, allowed={"0", "1"})
    expected = _expected(d)
    return mdtrt_id, svc.SettleAsk(credential=cred, acct_used_flag=acct != "0",
                                   medfee_sumamt=total,
                                   medins_setl_id=ctx.env.msgid if settle else None,
                                   final=mid != "1", expected=expected if settle else {},
                                   psn_no=psn_no)


@handles("2206", "2303", name="门诊预结算 outpatient pre-settlement | "
                              "住院预结算 inpatient pre-settlement")
def pre_settle(ctx: Ctx) -> Any:
    mdtrt_id, ask = _ask(ctx, settle=False)
    return _settled(svc.pre_settle(ctx.app, ctx.who, mdtrt_id, ask))


@handles("2207", "2304", name="门诊结算 outpatient settlement | 住院结算 inpatient settlement")
def settle(ctx: Ctx) -> Any:
    mdtrt_id, ask = _ask(ctx, settle=True)
    return _settled(svc.settle(ctx.app, ctx.who, ctx.key, mdtrt_id, ask).value)


@handles("2208", "2305", name="门诊结算撤销 cancel outpatient settlement | "
                              "住院结算撤销 cancel inpatient settlement")
def cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    setl_id = d.need("setl_id", 30)
    d.char("mdtrt_id", 30)
    psn_no = d.need("psn_no", 30)
    return _settled(svc.cancel(ctx.app, ctx.who, ctx.key, setl_id, psn_no=psn_no).value,
                    sign=-1)


# -- pharmacies --------------------------------------------------------------------------------

def _drugs(ctx: Ctx) -> tuple[svc.OpenVisit, tuple[svc.FeeIn, ...], svc.SettleAsk]:
    d = ctx.input.need_obj("druginfo")
    psn_no = d.need("psn_no", 30)
    cred = credential(d)
    d.when("begntime")
    total = d.fen("medfee_sumamt", required=True)
    insutype = d.need("insutype", 6)
    acct = d.char("acct_used_flag", 3, allowed={"0", "1"})
    d.char("med_type", 6, allowed={"41"})
    expected = _expected(d)
    lines = []
    for x in ctx.input.objs("drugdetail", required=True, most=200):
        sn = x.need("feedetl_sn", 30)
        x.char("rxno", 40)
        x.when("fee_ocur_time", required=True)
        code = x.need("med_list_codg", 50)
        fee = x.fen("det_item_fee_sumamt", required=True)
        cnt = x.number("cnt", 4, required=True)
        pric = x.number("pric", 6, required=True)
        codes = [t.need("drug_trac_codg", 128) for t in x.objs("drugtracinfo", most=100)]
        assert fee is not None and cnt is not None and pric is not None
        lines.append(svc.FeeIn(sn, code, format(cnt, "f"), format(pric, "f"), fee,
                               medins_list_codg=x.char("medins_list_codg", 150),
                               within_limits=x.char("hosp_appr_flag", 3) == "1",
                               trace_codes=tuple(codes), trdn_flag=x.char("trdn_flag", 1) == "1"))
    visit = svc.OpenVisit(cred, insutype, "41", psn_no=psn_no)
    ask = svc.SettleAsk(credential=cred, acct_used_flag=acct != "0", medfee_sumamt=total,
                        medins_setl_id=ctx.env.msgid, expected=expected)
    return visit, tuple(lines), ask


def _cut(v: svc.SettlementView, lines: tuple[svc.FeeIn, ...]) -> list[dict[str, Any]]:
    """detlcutinfo: each line as classified, with the cnt and pric the pharmacy sent."""
    sent = {f.feedetl_sn: f for f in lines}
    return [shape(DETLCUTINFO, med_list_codg=x.med_list_codg,
                  **_line(x, sent.get(x.feedetl_sn))) for x in v.lines]


@handles("2101", name="药店预结算 pharmacy pre-settlement")
def pharmacy_pre(ctx: Ctx) -> Any:
    visit, lines, ask = _drugs(ctx)
    v = svc.quote_purchase(ctx.app, ctx.who, visit, lines,
                           svc.SettleAsk(ask.credential, ask.acct_used_flag, ask.medfee_sumamt))
    return {**_settled(v), "detlcutinfo": _cut(v, lines)}


@handles("2102", name="药店结算 pharmacy settlement")
def pharmacy_settle(ctx: Ctx) -> Any:
    visit, lines, ask = _drugs(ctx)
    v = svc.purchase(ctx.app, ctx.who, ctx.key, visit, lines, ask).value
    return {**_settled(v), "detlcutinfo": _cut(v, lines)}


@handles("2103", name="药店结算撤销 cancel pharmacy settlement")
def pharmacy_cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    setl_id = d.need("setl_id", 30)
    psn_no = d.need("psn_no", 30)
    return _settled(svc.cancel(ctx.app, ctx.who, ctx.key, setl_id, psn_no=psn_no).value,
                    sign=-1, fields=PHARMACY_CANCEL_SETLINFO)


# -- reversal --------------------------------------------------------------------------------

REVERSIBLE: dict[str, svc.MessageKind] = {
    "2201": "visit", "2401": "visit", "2204": "fees", "2301": "fees", "2207": "settlement",
    "2304": "settlement", "2102": "purchase", "3505": "sale"}
"""What each reversible transaction did, for 冲正."""


@handles("2601", name="冲正交易 reversal")
def reversal(ctx: Ctx) -> Any:
    """Undo the effect of an earlier message if it took effect; a message that never took
    effect (or was already undone) is reversed with nothing done."""
    d = ctx.input.need_obj("data")
    d.need("psn_no", 30)
    omsgid = d.need("omsgid", 30)
    oinfno = d.need("oinfno", 4, allowed=set(REVERSIBLE))
    r = svc.reverse_by_msgid(ctx.app, ctx.who, ctx.key, omsgid, REVERSIBLE[oinfno]).value
    if r.outcome == "nothing":
        text = "nothing took effect"
    elif r.outcome == "already_undone":
        text = "already undone"
    elif r.kind in ("settlement", "purchase"):
        text = f"settlement {r.setl_id} cancelled"
    elif r.kind == "visit":
        text = f"visit {r.mdtrt_id} cancelled"
    elif r.kind == "fees":
        text = f"{r.count} fee line(s) withdrawn"
    else:
        text = f"{r.count} sale(s) returned"
    return shape(REVERSED, result=text)


# -- filings ---------------------------------------------------------------------------------

@handles("2501", name="转院备案 referral filing")
def referral(ctx: Ctx) -> Any:
    r = ctx.input.need_obj("refmedin")
    psn_no = r.need("psn_no", 30)
    r.char("insutype", 6)
    target = r.need("mdtrtarea_admdvs", 6)
    begndate = r.day("begndate", required=True)
    enddate = r.day("enddate")
    for f in ("diag_code", "diag_name", "reflin_medins_no", "refl_rea", "refl_opnn"):
        r.char(f, 200)
    assert begndate is not None
    filed = filing.file(ctx.app, ctx.who, ctx.key, psn_no,
                        filing.File("referral", target, begndate, enddate)).value
    return {"result": shape(FILED, trt_dcla_detl_sn=filed.id)}


@handles("2502", name="转院备案撤销 cancel referral filing")
def referral_cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    sn = d.need("trt_dcla_detl_sn", 36)
    d.need("psn_no", 30)
    d.char("memo", 500)
    filing.revoke(ctx.app, ctx.who, ctx.key, sn)
    return {}


@handles("2503", name="人员慢特病备案 chronic disease filing")
def chronic(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    d.char("insutype", 6)
    code = d.need("opsp_dise_code", 30)
    d.char("opsp_dise_name", 300)
    begndate = d.day("begndate", required=True)
    d.day("enddate")
    assert begndate is not None
    rec = filing.recognize(ctx.app, ctx.who, ctx.key, psn_no, code, begndate).value
    return {"result": shape(FILED, trt_dcla_detl_sn=rec.id)}


@handles("2504", name="人员慢特病备案撤销 cancel chronic disease filing")
def chronic_cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    sn = d.need("trt_dcla_detl_sn", 36)
    d.need("psn_no", 30)
    filing.withdraw_recognition(ctx.app, ctx.who, ctx.key, sn)
    return {}


# -- reconciliation --------------------------------------------------------------------------

@handles("3201", name="对总账 total reconciliation")
def total_reconciliation(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    insutype = d.char("insutype", 6)
    clr_type = d.char("clr_type", 30)
    optins = d.char("setl_optins", 6)
    begin, end = d.day("stmt_begndate", required=True), d.day("stmt_enddate", required=True)
    claimed = {k: d.fen(k, required=True) for k in ("medfee_sumamt", "fund_pay_sumamt",
                                                    "acct_pay")}
    cnt = d.number("fixmedins_setl_cnt", 0, required=True)
    assert begin is not None and end is not None and cnt is not None
    r = clearing.reconcile(ctx.app, ctx.who, clearing.Claimed(
        begndate=begin, enddate=end, insutype=insutype, clr_type=clr_type,
        fixmedins_setl_cnt=int(cnt), **claimed))  # type: ignore[arg-type]
    text = "对账一致" if r.matched else "对账不一致：" + "；".join(
        f"{k} 医保 {r.ours_text(k)}" for k in r.differing)
    return {"stmtinfo": shape(STMTINFO, setl_optins=optins,
                              stmt_rslt="0" if r.matched else "1", stmt_rslt_dscr=text)}


@handles("3202", name="对明细账 detail reconciliation")
def detail_reconciliation(ctx: Ctx) -> Any:
    """The HIS uploads its lines (9101); the answer is a result file (9102) of every
    difference, and the counts."""
    d = ctx.input.need_obj("data")
    optins = d.char("setl_optins", 6)
    file_no = d.need("file_qury_no", 40)
    begin, end = d.day("stmt_begndate", required=True), d.day("stmt_enddate", required=True)
    assert begin is not None and end is not None
    r = clearing.reconcile_lines(ctx.app, ctx.who, ctx.key, begndate=begin, enddate=end,
                                 file_qury_no=file_no, result_name=f"3202-{ctx.env.msgid}.txt")
    return {"fileinfo": shape(FILEINFO, file_qury_no=r.file_qury_no, filename=r.filename),
            "stmtinfo": shape(STMTINFO, setl_optins=optins,
                              stmt_rslt="1" if r.mismatches else "0",
                              stmt_rslt_dscr=f"{r.lines} 条，{r.mismatches} 处不一致")}


# -- files and catalogs ---------------------------------------------------------------------

@handles("9101", name="文件上传 file upload")
def upload_file(ctx: Ctx) -> Any:
    f = ctx.input.need_obj("fsUploadIn")
    name = f.need("filename", 200)
    raw = f.data.get("in")
    if raw is None or raw == "" or raw == []:
        raise bad("input.fsUploadIn.in", "必填：文件内容（base64）", "is required: the file's "
                  "content (base64)")
    try:
        content = bytes(raw) if isinstance(raw, list) else base64.b64decode(str(raw),
                                                                           validate=True)
    except (ValueError, TypeError):
        raise bad("input.fsUploadIn.in", "应为 base64 文本或字节数组",
                  "must be base64 text or an array of bytes") from None
    stored = files.upload(ctx.app, ctx.who, ctx.key, name, content)
    return shape(UPLOADED, file_qury_no=stored.file_qury_no, filename=name,
                 fixmedins_code=ctx.who.id)


@handles("9102", name="文件下载 file download")
def download_file(ctx: Ctx) -> Any:
    f = ctx.input.need_obj("fsDownloadIn")
    no = f.need("file_qury_no", 40)
    f.char("filename", 200)
    content = files.download(ctx.app, ctx.who, no)
    return shape(DOWNLOADED, file_qury_no=no, content=base64.b64encode(content).decode())


CATALOG_DOWNLOADS = {"1301": "101", "1305": "201", "1306": "301"}
"""The list type each catalog download carries."""


@handles("1301", "1305", "1306", name="西药中成药目录下载 drug catalog | "
                                      "医疗服务项目目录下载 service catalog | "
                                      "医用耗材目录下载 consumable catalog")
def catalog_download(ctx: Ctx) -> Any:
    """The catalog of one list type as a zip of tab-separated text (docs/GATEWAY.md), the
    items newer than ver."""
    ver = ctx.input.need_obj("data").char("ver", 40) or ""
    out = catalog.download(ctx.app, ctx.who, ctx.env.infno,
                           CATALOG_DOWNLOADS[ctx.env.infno], ver)
    return downloaded(out)


def downloaded(out: catalog.Download) -> dict[str, Any]:
    """A catalog or list download's answer (1301-1309): data_cnt, and count as before."""
    return shape(DOWNLOAD, file_qury_no=out.file_qury_no, filename=out.filename,
                 data_cnt=Decimal(out.count), ver=out.ver, count=Decimal(out.count))


# -- pharmacy sales with trace codes ------------------------------------------------------

def _selinfo(ctx: Ctx) -> tracing.SaleIn:
    s = ctx.input.need_obj("selinfo")
    code = s.need("med_list_codg", 50)
    psn_no = s.char("psn_no", 30)
    setl_id = s.char("setl_id", 30)
    trdn = s.char("trdn_flag", 1) == "1"
    cnt = s.number("sel_retn_cnt", 4, required=True)
    s.when("sel_retn_time", required=True)
    s.char("manu_lotnum", 30)
    s.day("expy_end")
    codes = [t.need("drug_trac_codg", 128) for t in s.objs("drugtracinfo", required=True,
                                                           most=100)]
    assert cnt is not None
    return tracing.SaleIn(code, tuple(codes), cnt, trdn, psn_no, setl_id)


@handles("3505", name="商品销售 pharmacy sale with trace codes")
def sale(ctx: Ctx) -> Any:
    n = tracing.record_sale(ctx.app, ctx.who, ctx.key, _selinfo(ctx)).value.count
    return shape(SALE, retRslt="1", msgRslt=f"{n} 个追溯码已记录 recorded")


@handles("3506", name="商品销售退货 pharmacy sale return")
def sale_return(ctx: Ctx) -> Any:
    n = tracing.return_sale(ctx.app, ctx.who, ctx.key, _selinfo(ctx)).value.count
    return shape(SALE, retRslt="1", msgRslt=f"{n} 个追溯码已退回 returned")


# -- queries ---------------------------------------------------------------------------------

@handles("5203", name="结算信息查询 settlement query")
def settlement_query(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    setl_id = d.need("setl_id", 30)
    d.char("mdtrt_id", 30)
    v = svc.get(ctx.app, ctx.who, setl_id, psn_no=psn_no)
    return _settled(v, fields=QUERY_SETLINFO, fixmedins_code=ctx.who.id,
                    year=str(business_date(v.setl_time).year),
                    refd_setl_flag="1" if v.status == "cancelled" else "0")


CUM_TYPES = {"ded": "C001", "base": "C002", "paid": "C003", "supp:base": "C004",
             "supp:paid": "C005", "maf:base": "C006", "maf:paid": "C007"}
"""Our accumulation type codes (the national cum_type_code table differs by region):
C001 deductible used, C002 amount above the deductible, C003 pooled fund paid, C004/C005
supplementary base and paid, C006/C007 assistance base and paid."""


@handles("5206", name="人员累计信息查询 accumulation query")
def accumulation_query(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    cum_ym = d.need("cum_ym", 6)
    if not cum_ym.isdigit() or not 1 <= int(cum_ym[4:]) <= 12:
        raise bad("input.data.cum_ym", "格式应为 yyyyMM", "must be yyyyMM")
    out = []
    for a in svc.accumulations(ctx.app, ctx.who, psn_no, int(cum_ym[:4])):
        base, _, group = a.name.partition(":")
        kind = CUM_TYPES.get(a.name) or CUM_TYPES.get(base)
        grouped = group and base in ("ded", "base", "paid")
        out.append(shape(CUMINFO, insutype=a.insutype, year=str(a.year), cum_ym=cum_ym,
                         cum_type_code=f"{kind}-{group}" if grouped else kind,
                         cum=yuan(a.value)))
    return {"cuminfo": out}


MOBILE_PAY = frozenset({"6201", "6202", "6203", "6301", "6401"})
"""The mobile-payment transactions: the national mobile-payment center has no 9001 sign-in
(its clients hold the person's payAuthNo and the order's payToken instead)."""


def needs_sign_in(infno: str) -> bool:
    """Every transaction but sign-in and mobile payment names an open sign-in (sign_no)."""
    return infno != "9001" and infno not in MOBILE_PAY
