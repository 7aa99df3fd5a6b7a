"""One handler per infno: read the input by the specification, call the services, write the
output by the specification. msgid is the idempotency key of every transaction that writes.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from gongji.domain.catalog import CHRGITM_TYPES, LEVELS, LIST_TYPES
from gongji.domain.errors import GongjiError
from gongji.domain.filing import CHRONIC_DISEASES
from gongji.domain.ids import new_code
from gongji.domain.money import format_yuan
from gongji.domain.settlement import FUND_TYPES
from gongji.gateway.envelope import Envelope, plain
from gongji.gateway.fields import Reader, bad
from gongji.gateway.jsonio import yuan
from gongji.services import clearing, filing, people, tracing
from gongji.services import settlement as svc
from gongji.services.enrollment import PSN_TYPES
from gongji.services.idempotency import peek
from gongji.services.runtime import Gongji, from_json
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import (
    accumulators,
    catalog_items,
    gateway_files,
    gateway_signins,
    settlements,
    visits,
)

FILE_DAYS = 1
"""Uploaded and generated files can be downloaded for a day."""


@dataclass
class Ctx:
    app: Gongji
    who: Principal
    env: Envelope

    @property
    def input(self) -> Reader:
        return Reader(self.env.input, "input")

    def write(self, fn: Callable[[UnitOfWork], Any], result_type: Any) -> Any:
        """Run a writing transaction once per msgid: a repeat with the same input returns the
        first result; with another input, IDEMPOTENCY_CONFLICT."""
        return self.app.write(self.who, key=self.env.msgid, operation=f"gw.{self.env.infno}",
                              request=plain(self.env.input), fn=fn,
                              result_type=result_type).value

    def read(self, fn: Callable[[UnitOfWork], Any]) -> Any:
        return self.app.read(fn, principal=self.who)


Handler = Callable[[Ctx], Any]
HANDLERS: dict[str, Handler] = {}
NAMES: dict[str, str] = {}


def handles(infno: str, name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[infno] = fn
        NAMES[infno] = name
        return fn

    return register


# -- sign-in ------------------------------------------------------------------------------

@handles("9001", "签到 sign-in")
def sign_in(ctx: Ctx) -> Any:
    s = ctx.input.need_obj("signIn")
    opter_no = s.need("opter_no", 30)
    mac, ip = s.char("mac", 40), s.char("ip", 45)

    def run(uow: UnitOfWork) -> dict[str, str]:
        sign_no = f"{ctx.who.id}{uow.now:%Y%m%d%H%M%S}{new_code('')[-4:]}"[:30]
        uow.conn.execute(insert(gateway_signins).values(
            sign_no=sign_no, fixmedins_code=ctx.who.id, opter_no=opter_no, mac=mac, ip=ip,
            signed_in_at=uow.now))
        return {"sign_time": f"{uow.now:%Y-%m-%d %H:%M:%S}", "sign_no": sign_no}

    return {"signinoutb": ctx.write(run, dict[str, str])}


@handles("9002", "签退 sign-out")
def sign_out(ctx: Ctx) -> Any:
    s = ctx.input.need_obj("signOut")
    sign_no = s.need("sign_no", 30)
    s.need("opter_no", 30)

    def run(uow: UnitOfWork) -> dict[str, str]:
        done = uow.conn.execute(update(gateway_signins).where(
            gateway_signins.c.sign_no == sign_no,
            gateway_signins.c.fixmedins_code == ctx.who.id,
            gateway_signins.c.signed_out_at.is_(None)).values(signed_out_at=uow.now))
        if done.rowcount != 1:
            raise GongjiError("GATEWAY_NOT_SIGNED_IN")
        return {"sign_time": f"{uow.now:%Y-%m-%d %H:%M:%S}"}

    return {"signoutoutb": ctx.write(run, dict[str, str])}


def check_signed_in(app: Gongji, who: Principal, env: Envelope) -> None:
    """Every transaction but sign-in carries the sign_no of an open sign-in."""
    if env.infno == "9001":
        return
    row = app.read_conn(lambda c: c.execute(select(gateway_signins.c.signed_out_at).where(
        gateway_signins.c.sign_no == (env.sign_no or ""),
        gateway_signins.c.fixmedins_code == who.id)).first())
    if row is None or row.signed_out_at is not None:
        raise GongjiError("GATEWAY_NOT_SIGNED_IN")


# -- person and dictionary ----------------------------------------------------------------

def credential(r: Reader) -> svc.Credential:
    t = r.need("mdtrt_cert_type", 3, allowed={"01", "02", "03"})
    return svc.Credential(t, r.need("mdtrt_cert_no", 200))  # type: ignore[arg-type]


@handles("1101", "人员信息获取 person information")
def person_info(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    cred = credential(d)
    d.char("card_sn", 32)
    d.when("begntime")
    d.char("psn_cert_type", 6)
    certno, psn_name = d.char("certno", 50), d.char("psn_name", 50)
    info = ctx.read(lambda uow: svc.person_info(uow, ctx.who, cred))
    if (certno and certno.upper() != info.certno) or (psn_name and psn_name != info.psn_name):
        raise GongjiError("CREDENTIAL_MISMATCH")
    today = ctx.app.clock.now().date()
    age = today.year - info.brdy.year - ((today.month, today.day) < (info.brdy.month,
                                                                     info.brdy.day))
    return {
        "baseinfo": {"psn_no": info.psn_no, "psn_cert_type": "01", "certno": info.certno,
                     "psn_name": info.psn_name, "gend": info.gend, "naty": "01",
                     "brdy": info.brdy.isoformat(), "age": Decimal(age)},
        "insuinfo": [{
            "balc": yuan(info.balc or 0) if e.has_personal_account else yuan(0),
            "insutype": e.insutype, "psn_type": e.psn_type,
            "psn_insu_stas": "1" if e.status == "active" else "2",
            "psn_insu_date": e.begndate.isoformat(),
            "paus_insu_date": e.enddate.isoformat() if e.enddate else None,
            "cvlserv_flag": "0", "insuplc_admdvs": e.insuplc_admdvs, "emp_name": e.emp_name}
            for e in info.enrollments],
        "idetinfo": [],
    }


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


@handles("1901", "字典表查询 dictionary")
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
    return {"list": [{"type": kind, "label": label, "value": value, "sort": str(i + 1),
                      "vali_flag": "1"} for i, (value, label) in enumerate(table.items())]}


# -- visits -------------------------------------------------------------------------------

def _person_matches(uow: UnitOfWork, cred: svc.Credential, psn_no: str, who: Principal) -> None:
    info = svc.person_info(uow, who, cred)
    if info.psn_no != psn_no:
        raise GongjiError("CREDENTIAL_MISMATCH")


@handles("2201", "门诊挂号 outpatient registration")
def outpatient_register(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    insutype = d.need("insutype", 6)
    d.when("begntime", required=True)
    cred = credential(d)
    ipt_otp_no = d.need("ipt_otp_no", 30)
    for f in ("atddr_no", "dr_name", "dept_code", "dept_name", "caty"):
        d.char(f, 50)

    def run(uow: UnitOfWork) -> svc.VisitView:
        _person_matches(uow, cred, psn_no, ctx.who)
        return svc.open_in(uow, ctx.who, svc.OpenVisit(cred, insutype, "11",
                                                       ipt_otp_no=ipt_otp_no))

    v = ctx.write(run, svc.VisitView)
    return {"data": {"mdtrt_id": v.mdtrt_id, "psn_no": v.psn_no, "ipt_otp_no": ipt_otp_no}}


@handles("2202", "门诊挂号撤销 cancel registration")
def outpatient_unregister(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    d.need("psn_no", 30)
    mdtrt_id = d.need("mdtrt_id", 30)
    d.char("ipt_otp_no", 30)
    ctx.write(lambda uow: svc.cancel_visit_in(uow, ctx.who, mdtrt_id), svc.VisitView)
    return {}


@handles("2203", "门诊就诊信息上传 visit information")
def outpatient_info(ctx: Ctx) -> Any:
    m = ctx.input.need_obj("mdtrtinfo")
    mdtrt_id = m.need("mdtrt_id", 30)
    m.need("psn_no", 30)
    med_type = m.need("med_type", 6)
    m.when("begntime")
    dise_codg = m.char("dise_codg", 30)
    m.char("dise_name", 300)
    for x in ctx.input.objs("diseinfo"):
        x.char("diag_code", 30)
    ctx.write(lambda uow: svc.update_visit(uow, ctx.who, mdtrt_id, med_type=med_type,
                                           dise_codg=dise_codg), svc.VisitView)
    return {}


@handles("2401", "入院办理 admission")
def admission(ctx: Ctx) -> Any:
    m = ctx.input.need_obj("mdtrtinfo")
    psn_no = m.need("psn_no", 30)
    insutype = m.need("insutype", 6)
    cred = credential(m)
    med_type = m.need("med_type", 6, allowed={"21", "25", "28"})
    ipt_no = m.need("ipt_no", 30)
    m.when("begntime", required=True)
    dise_codg = m.char("dise_codg", 30) or m.char("adm_diag_dscr", 200)
    for x in ctx.input.objs("diseinfo"):
        x.char("diag_code", 30)

    def run(uow: UnitOfWork) -> svc.VisitView:
        _person_matches(uow, cred, psn_no, ctx.who)
        return svc.open_in(uow, ctx.who, svc.OpenVisit(cred, insutype, med_type,
                                                       ipt_otp_no=ipt_no,
                                                       dise_codg=dise_codg))

    v = ctx.write(run, svc.VisitView)
    return {"result": {"mdtrt_id": v.mdtrt_id, "psn_no": v.psn_no, "ipt_otp_no": ipt_no}}


@handles("2402", "出院办理 discharge")
def discharge(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("dscginfo")
    mdtrt_id = d.need("mdtrt_id", 30)
    d.need("psn_no", 30)
    d.when("endtime", required=True)
    for x in ctx.input.objs("diseinfo"):
        x.char("diag_code", 30)
    ctx.write(lambda uow: svc.discharge(uow, ctx.who, mdtrt_id), svc.VisitView)
    return {}


@handles("2404", "入院撤销 cancel admission")
def cancel_admission(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    mdtrt_id = d.need("mdtrt_id", 30)
    d.need("psn_no", 30)
    ctx.write(lambda uow: svc.cancel_visit_in(uow, ctx.who, mdtrt_id), svc.VisitView)
    return {}


@handles("2405", "出院撤销 cancel discharge")
def cancel_discharge(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    mdtrt_id = d.need("mdtrt_id", 30)
    d.need("psn_no", 30)
    ctx.write(lambda uow: svc.discharge(uow, ctx.who, mdtrt_id, undo=True), svc.VisitView)
    return {}


# -- fee details ----------------------------------------------------------------------------

def _fee(x: Reader, *, refunds: bool) -> tuple[str, svc.FeeIn, str | None]:
    mdtrt_id = x.need("mdtrt_id", 30)
    x.need("psn_no", 30)
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
    return mdtrt_id, svc.FeeIn(
        feedetl_sn=sn, med_list_codg=code, cnt=format(cnt, "f"), pric=format(pric, "f"),
        det_item_fee_sumamt=fee, medins_list_codg=x.char("medins_list_codg", 150),
        within_limits=x.char("hosp_appr_flag", 3) == "1", trace_codes=tuple(codes),
        trdn_flag=x.char("trdn_flag", 1) == "1", chrg_bchno=x.char("chrg_bchno", 30)), init_sn


def _line_out(x: svc.LineView, f: svc.FeeIn) -> dict[str, Any]:
    return {"feedetl_sn": x.feedetl_sn, "det_item_fee_sumamt": yuan(x.det_item_fee_sumamt),
            "cnt": Decimal(f.cnt), "pric": Decimal(f.pric),
            "pric_uplmt_amt": yuan(x.pric_uplmt_amt), "selfpay_prop": Decimal(x.selfpay_prop),
            "fulamt_ownpay_amt": yuan(x.fulamt_ownpay_amt), "overlmt_amt": yuan(x.overlmt_amt),
            "preselfpay_amt": yuan(x.preselfpay_amt), "inscp_scp_amt": yuan(x.inscp_scp_amt),
            "chrgitm_lv": x.chrgitm_lv, "med_chrgitm_type": x.med_chrgitm_type,
            "lmt_used_flag": "1" if x.lmt_used_flag else "0", "memo": x.name}


def _upload(ctx: Ctx, *, refunds: bool) -> Any:
    rows = [_fee(x, refunds=refunds) for x in ctx.input.objs("feedetail", required=True,
                                                              most=500)]
    ids = {m for m, _, _ in rows}
    if len(ids) != 1:
        raise bad("input.feedetail", "一次只能上传一个就诊的明细", "one mdtrt_id per upload")
    mdtrt_id = ids.pop()
    new = tuple(f for _, f, init in rows if init is None and Decimal(f.cnt) > 0)
    refund_of = {init: f for _, f, init in rows if init is not None or Decimal(f.cnt) <= 0}

    def run(uow: UnitOfWork) -> list[svc.LineView]:
        for init, f in refund_of.items():
            _refund(uow, ctx.who, mdtrt_id, init, f)
        return svc.upload_in(uow, ctx.who, mdtrt_id, new) if new else []

    out = ctx.write(run, list[svc.LineView])
    by_sn = {f.feedetl_sn: f for f in new}
    return {"result": [_line_out(x, by_sn[x.feedetl_sn]) for x in out]}


def _refund(uow: UnitOfWork, who: Principal, mdtrt_id: str, init_sn: str | None,
            f: svc.FeeIn) -> None:
    """A refund line (negative cnt, init_feedetl_sn) withdraws the whole line it names; a
    partial refund is refused: cancel the line and upload the corrected one."""
    from gongji.store.tables import fee_details

    if init_sn is None:
        raise bad("input.feedetail.init_feedetl_sn", "退费明细须填写原明细流水号",
                  "a refund line names the line it refunds")
    row = uow.conn.execute(select(fee_details).where(
        fee_details.c.mdtrt_id == mdtrt_id, fee_details.c.feedetl_sn == init_sn,
        fee_details.c.status == "pending")).first()
    if row is None:
        raise bad("input.feedetail.init_feedetl_sn", "原明细不存在或已结算",
                  "the refunded line is not pending")
    if -Decimal(f.cnt) != Decimal(row.cnt) or -f.det_item_fee_sumamt != row.det_item_fee_sumamt:
        raise bad("input.feedetail.cnt", "只支持整条退费：请撤销原明细后重新上传",
                  "partial refunds: cancel the line (2302) and upload the corrected one")
    svc.cancel_fees_in(uow, who, mdtrt_id, (init_sn,))


@handles("2204", "门诊费用明细上传 outpatient fee details")
def outpatient_fees(ctx: Ctx) -> Any:
    return _upload(ctx, refunds=False)


@handles("2301", "住院费用明细上传 inpatient fee details")
def inpatient_fees(ctx: Ctx) -> Any:
    return _upload(ctx, refunds=True)


@handles("2205", "门诊费用明细撤销 cancel outpatient fee details")
def outpatient_fees_cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    mdtrt_id = d.need("mdtrt_id", 30)
    batch = d.need("chrg_bchno", 30)
    d.need("psn_no", 30)
    ctx.write(lambda uow: svc.cancel_fees_in(uow, ctx.who, mdtrt_id,
                                             chrg_bchno=None if batch == "0000" else batch),
              int)
    return {}


@handles("2302", "住院费用明细撤销 cancel inpatient fee details")
def inpatient_fees_cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    sn = d.need("feedetl_sn", 30)
    mdtrt_id = d.need("mdtrt_id", 30)
    d.need("psn_no", 30)
    ctx.write(lambda uow: svc.cancel_fees_in(uow, ctx.who, mdtrt_id,
                                             () if sn == "0000" else (sn,)), int)
    return {}


# -- settlement ------------------------------------------------------------------------------

def setlinfo(v: svc.SettlementView, *, sign: int = 1) -> dict[str, Any]:
    """The national setlinfo; sign -1 for a cancellation (the amounts reversed)."""
    def y(fen: int | None) -> Decimal | None:
        return None if fen is None else yuan(sign * fen)

    return {
        "mdtrt_id": v.mdtrt_id or None, "setl_id": v.setl_id, "psn_no": v.psn_no,
        "psn_name": v.psn_name_masked, "psn_cert_type": "01", "insutype": v.insutype,
        "psn_type": v.psn_type, "med_type": v.med_type,
        "setl_time": f"{v.setl_time:%Y-%m-%d %H:%M:%S}",
        "medfee_sumamt": y(v.medfee_sumamt), "fulamt_ownpay_amt": y(v.fulamt_ownpay_amt),
        "overlmt_selfpay": y(v.overlmt_selfpay), "preselfpay_amt": y(v.preselfpay_amt),
        "inscp_scp_amt": y(v.inscp_scp_amt), "act_pay_dedc": y(v.act_pay_dedc),
        "hifp_pay": y(v.hifp_pay), "pool_prop_selfpay": Decimal(v.pool_prop_selfpay),
        "cvlserv_pay": y(v.cvlserv_pay), "hifes_pay": y(v.hifes_pay),
        "hifmi_pay": y(v.hifmi_pay), "hifob_pay": y(v.hifob_pay), "maf_pay": y(v.maf_pay),
        "oth_pay": y(v.oth_pay), "fund_pay_sumamt": y(v.fund_pay_sumamt),
        "psn_part_amt": y(v.psn_part_amt), "acct_pay": y(v.acct_pay),
        "acct_mulaid_pay": y(v.acct_mulaid_pay), "psn_cash_pay": y(v.psn_cash_pay),
        "hosp_part_amt": y(v.hosp_part_amt), "balc": yuan(v.balc),
        "medins_setl_id": v.medins_setl_id, "clr_optins": v.clr_optins, "clr_way": "1",
        "clr_type": v.clr_type,
    }


def setldetail(v: svc.SettlementView, *, sign: int = 1) -> list[dict[str, Any]]:
    return [{"fund_pay_type": d.fund_pay_type, "inscp_scp_amt": yuan(sign * d.inscp_scp_amt),
             "crt_payb_lmt_amt": yuan(d.crt_payb_lmt_amt),
             "fund_payamt": yuan(sign * d.fund_payamt),
             "fund_pay_type_name": d.fund_pay_type_name, "setl_proc_info": None}
            for d in v.setldetail]


def _ask(d: Reader, *, settle: bool, msgid: str) -> tuple[str, svc.SettleAsk, dict[str, int]]:
    d.need("psn_no", 30)
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
    splits = {k: v for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
                             "inscp_scp_amt") if (v := d.fen(k)) is not None}
    return mdtrt_id, svc.SettleAsk(credential=cred, acct_used_flag=acct != "0",
                                   medfee_sumamt=total,
                                   medins_setl_id=msgid if settle else None,
                                   final=mid != "1"), splits


def _check_splits(v: svc.SettlementView, splits: dict[str, int]) -> None:
    for k, given in splits.items():
        ours = getattr(v, k)
        if ours != given:
            raise GongjiError("GATEWAY_AMOUNT_MISMATCH", field=k, given=format_yuan(given),
                              ours=format_yuan(ours))


def _pre(ctx: Ctx) -> Any:
    mdtrt_id, ask, _ = _ask(ctx.input.need_obj("data"), settle=False, msgid=ctx.env.msgid)
    v = ctx.read(lambda uow: svc.settle_in(uow, ctx.who, mdtrt_id, ask, write=False))
    return {"setlinfo": setlinfo(v), "setldetail": setldetail(v)}


def _settle(ctx: Ctx) -> Any:
    mdtrt_id, ask, splits = _ask(ctx.input.need_obj("data"), settle=True, msgid=ctx.env.msgid)

    def run(uow: UnitOfWork) -> svc.SettlementView:
        v = svc.settle_in(uow, ctx.who, mdtrt_id, ask, write=True)
        _check_splits(v, splits)
        return v

    v = ctx.write(run, svc.SettlementView)
    return {"setlinfo": setlinfo(v), "setldetail": setldetail(v)}


def _cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    setl_id = d.need("setl_id", 30)
    d.char("mdtrt_id", 30)
    d.need("psn_no", 30)
    v = ctx.write(lambda uow: svc.cancel_in(uow, ctx.who, setl_id), svc.SettlementView)
    return {"setlinfo": setlinfo(v, sign=-1), "setldetail": setldetail(v, sign=-1)}


HANDLERS.update({"2206": _pre, "2207": _settle, "2208": _cancel, "2303": _pre,
                 "2304": _settle, "2305": _cancel})
NAMES.update({"2206": "门诊预结算 outpatient pre-settlement",
              "2207": "门诊结算 outpatient settlement",
              "2208": "门诊结算撤销 cancel outpatient settlement",
              "2303": "住院预结算 inpatient pre-settlement",
              "2304": "住院结算 inpatient settlement",
              "2305": "住院结算撤销 cancel inpatient settlement"})


# -- pharmacies --------------------------------------------------------------------------------

def _drugs(ctx: Ctx) -> tuple[svc.OpenVisit, tuple[svc.FeeIn, ...], svc.SettleAsk, dict[str, int]]:
    d = ctx.input.need_obj("druginfo")
    d.need("psn_no", 30)
    cred = credential(d)
    d.when("begntime")
    total = d.fen("medfee_sumamt", required=True)
    insutype = d.need("insutype", 6)
    acct = d.char("acct_used_flag", 3, allowed={"0", "1"})
    d.char("med_type", 6, allowed={"41"})
    splits = {k: v for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
                             "inscp_scp_amt") if (v := d.fen(k)) is not None}
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
    visit = svc.OpenVisit(cred, insutype, "41")
    ask = svc.SettleAsk(credential=cred, acct_used_flag=acct != "0", medfee_sumamt=total,
                        medins_setl_id=ctx.env.msgid)
    return visit, tuple(lines), ask, splits


def _cut(v: svc.SettlementView) -> list[dict[str, Any]]:
    return [{"feedetl_sn": x.feedetl_sn, "med_list_codg": x.med_list_codg,
             "det_item_fee_sumamt": yuan(x.det_item_fee_sumamt),
             "fulamt_ownpay_amt": yuan(x.fulamt_ownpay_amt), "overlmt_amt": yuan(x.overlmt_amt),
             "preselfpay_amt": yuan(x.preselfpay_amt), "inscp_scp_amt": yuan(x.inscp_scp_amt),
             "chrgitm_lv": x.chrgitm_lv} for x in v.lines]


@handles("2101", "药店预结算 pharmacy pre-settlement")
def pharmacy_pre(ctx: Ctx) -> Any:
    visit, lines, ask, _ = _drugs(ctx)
    v = svc.quote_purchase(ctx.app, ctx.who, visit, lines,
                           svc.SettleAsk(ask.credential, ask.acct_used_flag, ask.medfee_sumamt))
    return {"setlinfo": setlinfo(v), "setldetail": setldetail(v), "detlcutinfo": _cut(v)}


@handles("2102", "药店结算 pharmacy settlement")
def pharmacy_settle(ctx: Ctx) -> Any:
    visit, lines, ask, splits = _drugs(ctx)

    def run(uow: UnitOfWork) -> svc.SettlementView:
        opened = svc.open_in(uow, ctx.who, visit)
        svc.upload_in(uow, ctx.who, opened.mdtrt_id, lines)
        v = svc.settle_in(uow, ctx.who, opened.mdtrt_id, ask, write=True)
        _check_splits(v, splits)
        return v

    v = ctx.write(run, svc.SettlementView)
    return {"setlinfo": setlinfo(v), "setldetail": setldetail(v), "detlcutinfo": _cut(v)}


@handles("2103", "药店结算撤销 cancel pharmacy settlement")
def pharmacy_cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    setl_id = d.need("setl_id", 30)
    d.need("psn_no", 30)
    v = ctx.write(lambda uow: svc.cancel_in(uow, ctx.who, setl_id), svc.SettlementView)
    return {"setlinfo": setlinfo(v, sign=-1), "setldetail": setldetail(v, sign=-1)}


# -- reversal --------------------------------------------------------------------------------

REVERSIBLE = {"2201", "2401", "2204", "2301", "2207", "2304", "2102", "3505"}


@handles("2601", "冲正交易 reversal")
def reversal(ctx: Ctx) -> Any:
    """Undo the effect of an earlier message if it took effect; a message that never took
    effect (or was already undone) is reversed with nothing done."""
    d = ctx.input.need_obj("data")
    d.need("psn_no", 30)
    omsgid = d.need("omsgid", 30)
    oinfno = d.need("oinfno", 4, allowed=REVERSIBLE)

    def run(uow: UnitOfWork) -> dict[str, str]:
        stored = peek(uow.conn, scope=ctx.who.scope, key=omsgid, operation=f"gw.{oinfno}",
                      request=_stored_request(uow, ctx.who, omsgid))
        if stored is None:
            return {"result": "nothing took effect"}
        return {"result": _undo(uow, ctx.who, oinfno, omsgid, stored)}

    return ctx.write(run, dict[str, str])


def _stored_request(uow: UnitOfWork, who: Principal, msgid: str) -> dict[str, Any]:
    from gongji.store.tables import idempotency

    row = uow.conn.execute(select(idempotency.c.request).where(
        idempotency.c.scope == who.scope, idempotency.c.key == msgid)).first()
    return json.loads(row.request) if row else {}


def _undo(uow: UnitOfWork, who: Principal, oinfno: str, omsgid: str, stored: Any) -> str:
    if oinfno in ("2207", "2304", "2102"):
        v = from_json(stored, svc.SettlementView)
        status = uow.conn.execute(select(settlements.c.status).where(
            settlements.c.setl_id == v.setl_id)).scalar()
        if status != "settled":
            return "already undone"
        svc.cancel_in(uow, who, v.setl_id)
        if oinfno == "2102":
            svc.cancel_visit_in(uow, who, v.mdtrt_id)
        return f"settlement {v.setl_id} cancelled"
    if oinfno in ("2201", "2401"):
        v2 = from_json(stored, svc.VisitView)
        status = uow.conn.execute(select(visits.c.status).where(
            visits.c.mdtrt_id == v2.mdtrt_id)).scalar()
        if status != "open":
            return "already undone"
        svc.cancel_visit_in(uow, who, v2.mdtrt_id)
        return f"visit {v2.mdtrt_id} cancelled"
    if oinfno in ("2204", "2301"):
        request = _stored_request(uow, who, omsgid)
        lines = request.get("feedetail") or []
        mdtrt_id = lines[0].get("mdtrt_id") if lines else None
        sns = tuple(str(x.get("feedetl_sn")) for x in lines)
        n = svc.cancel_fees_in(uow, who, str(mdtrt_id), sns) if mdtrt_id else 0
        return f"{n} fee line(s) withdrawn"
    request = _stored_request(uow, who, omsgid)  # 3505
    codes = [t.get("drug_trac_codg") for t in (request.get("selinfo") or {}).get(
        "drugtracinfo", [])]
    n = tracing.return_sale_in(uow, who.id, codes=[c for c in codes if c])
    return f"{n} sale(s) returned"


# -- filings ---------------------------------------------------------------------------------

@handles("2501", "转院备案 referral filing")
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
    f = ctx.write(lambda uow: filing.file_in(uow, ctx.who, psn_no, filing.File(
        "referral", target, begndate, enddate)), filing.FilingView)
    return {"result": {"trt_dcla_detl_sn": f.id}}


@handles("2502", "转院备案撤销 cancel referral filing")
def referral_cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    sn = d.need("trt_dcla_detl_sn", 36)
    d.need("psn_no", 30)
    d.char("memo", 500)
    ctx.write(lambda uow: filing.revoke_in(uow, ctx.who, sn), filing.FilingView)
    return {}


@handles("2503", "人员慢特病备案 chronic disease filing")
def chronic(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    d.char("insutype", 6)
    code = d.need("opsp_dise_code", 30)
    d.char("opsp_dise_name", 300)
    begndate = d.day("begndate", required=True)
    d.day("enddate")
    assert begndate is not None
    rec = ctx.write(lambda uow: filing.recognize_in(uow, ctx.who, psn_no, code, begndate),
                    filing.Recognition)
    return {"result": {"trt_dcla_detl_sn": rec.id}}


@handles("2504", "人员慢特病备案撤销 cancel chronic disease filing")
def chronic_cancel(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    sn = d.need("trt_dcla_detl_sn", 36)
    d.need("psn_no", 30)
    ctx.write(lambda uow: filing.withdraw_recognition_in(uow, ctx.who, sn), bool)
    return {}


# -- reconciliation --------------------------------------------------------------------------

@handles("3201", "对总账 total reconciliation")
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
    ours = clearing.totals(ctx.app, ctx.who.id, begin, end, insutype=insutype,
                           clr_type=clr_type)
    diffs = [k for k, v in claimed.items() if getattr(ours, k) != v]
    if int(cnt) != ours.fixmedins_setl_cnt:
        diffs.append("fixmedins_setl_cnt")
    text = "对账一致" if not diffs else "对账不一致：" + "；".join(
        f"{k} 医保 {getattr(ours, k) if k.endswith('cnt') else format_yuan(getattr(ours, k))}"
        for k in diffs)
    return {"stmtinfo": {"setl_optins": optins, "stmt_rslt": "1" if diffs else "0",
                         "stmt_rslt_dscr": text}}


@handles("3202", "对明细账 detail reconciliation")
def detail_reconciliation(ctx: Ctx) -> Any:
    """The HIS uploads its lines (9101) as tab-separated text: setl_id, mdtrt_id, psn_no,
    medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag. The answer is a result file
    (9102) listing every difference, and the counts."""
    d = ctx.input.need_obj("data")
    d.char("setl_optins", 6)
    file_no = d.need("file_qury_no", 40)
    begin, end = d.day("stmt_begndate", required=True), d.day("stmt_enddate", required=True)
    assert begin is not None and end is not None
    text = _file(ctx, file_no).decode("utf-8-sig")

    def run(uow: UnitOfWork) -> dict[str, Any]:
        start = datetime(begin.year, begin.month, begin.day, tzinfo=uow.now.tzinfo)
        stop = datetime(end.year, end.month, end.day, tzinfo=uow.now.tzinfo) + timedelta(days=1)
        ours = {r.setl_id: r for r in uow.conn.execute(select(settlements).where(
            settlements.c.fixmedins_code == ctx.who.id, settlements.c.setl_time >= start,
            settlements.c.setl_time < stop))}
        theirs: dict[str, list[str]] = {}
        for line in text.splitlines():
            cells = line.split("\t")
            if len(cells) >= 7 and cells[0]:
                theirs[cells[0]] = cells
        problems = []
        for setl_id, cells in theirs.items():
            r = ours.get(setl_id)
            if r is None:
                problems.append(f"{setl_id}\tnot found\t医保无此结算")
                continue
            cancelled = cells[6].strip() == "1"
            if cancelled != (r.status == "cancelled"):
                problems.append(f"{setl_id}\trefd_setl_flag\t医保状态 {r.status}")
            for i, name in ((3, "medfee_sumamt"), (4, "fund_pay_sumamt"), (5, "acct_pay")):
                try:
                    given = int(Decimal(cells[i]) * 100)
                except ArithmeticError:
                    given = -1
                if given != getattr(r, name):
                    problems.append(f"{setl_id}\t{name}\t医保 {format_yuan(getattr(r, name))}")
        for setl_id in ours.keys() - theirs.keys():
            problems.append(f"{setl_id}\tmissing\t机构未上报该结算")
        body = "\n".join(["setl_id\tfield\tnote", *problems]).encode()
        name = f"3202-{ctx.env.msgid}.txt"
        no = _store_file(uow, ctx.who.id, name, body)
        return {"file_qury_no": no, "filename": name, "mismatches": len(problems),
                "lines": len(theirs)}

    res = ctx.write(run, dict[str, Any])
    return {"fileinfo": {"file_qury_no": res["file_qury_no"], "filename": res["filename"],
                         "dld_endtime": None},
            "stmtinfo": {"stmt_rslt": "1" if res["mismatches"] else "0",
                         "stmt_rslt_dscr": f"{res['lines']} 条，{res['mismatches']} 处不一致"}}


# -- files and catalogs ---------------------------------------------------------------------

def _store_file(uow: UnitOfWork, code: str, filename: str, content: bytes) -> str:
    no = new_code("F")
    uow.conn.execute(insert(gateway_files).values(
        file_qury_no=no, fixmedins_code=code, filename=filename[:200], content=content,
        created_at=uow.now, expires_at=uow.now + timedelta(days=FILE_DAYS)))
    return no


def _file(ctx: Ctx, file_no: str) -> bytes:
    row = ctx.app.read_conn(lambda c: c.execute(select(gateway_files).where(
        gateway_files.c.file_qury_no == file_no,
        gateway_files.c.fixmedins_code == ctx.who.id)).first())
    if row is None:
        raise GongjiError("GATEWAY_FILE_NOT_FOUND", file_qury_no=file_no)
    return bytes(row.content)


@handles("9101", "文件上传 file upload")
def upload(ctx: Ctx) -> Any:
    f = ctx.input.need_obj("fsUploadIn")
    name = f.need("filename", 200)
    raw = f.data.get("in")
    try:
        content = bytes(raw) if isinstance(raw, list) else base64.b64decode(str(raw),
                                                                           validate=True)
    except (ValueError, TypeError):
        raise bad("input.fsUploadIn.in", "应为 base64 文本或字节数组",
                  "must be base64 text or an array of bytes") from None
    if len(content) > 20 * 1024 * 1024:
        raise bad("input.fsUploadIn.in", "文件超过 20MB", "is larger than 20 MB")
    no = ctx.write(lambda uow: _store_file(uow, ctx.who.id, name, content), str)
    return {"file_qury_no": no, "filename": name, "dld_endtime": None}


@handles("9102", "文件下载 file download")
def download(ctx: Ctx) -> Any:
    f = ctx.input.need_obj("fsDownloadIn")
    no = f.need("file_qury_no", 40)
    f.char("filename", 200)
    content = _file(ctx, no)
    return {"file_qury_no": no, "content": base64.b64encode(content).decode()}


CATALOG_DOWNLOADS = {"1301": "101", "1305": "201", "1306": "301"}


def _catalog(ctx: Ctx) -> Any:
    """The care region's catalog of one list type as a zip of tab-separated text (our
    reading of the national download format, docs/GATEWAY.md), items newer than ver."""
    list_type = CATALOG_DOWNLOADS[ctx.env.infno]
    ver = ctx.input.need_obj("data").char("ver", 40) or ""

    def run(uow: UnitOfWork) -> dict[str, str]:
        rows = uow.conn.execute(select(catalog_items).where(
            catalog_items.c.list_type == list_type).order_by(
            catalog_items.c.imported_at, catalog_items.c.med_list_codg)).all()
        versions = [f"{r.imported_at:%Y%m%d%H%M%S}" for r in rows]
        latest = max(versions, default="0")
        lines = []
        for r, v in zip(rows, versions, strict=True):
            if v <= ver:
                continue
            cap = "" if r.pric_uplmt_amt is None else format_yuan(r.pric_uplmt_amt)
            lines.append("\t".join([
                r.med_list_codg, r.name, r.list_type, r.med_chrgitm_type, r.chrgitm_lv,
                "" if r.chrgitm_lv != "02" else r.selfpay_prop, cap,
                "1" if r.lmt_used_flag else "0", r.spec, r.unit,
                f"{r.begndate:%Y-%m-%d} 00:00:00",
                f"{r.enddate:%Y-%m-%d} 00:00:00" if r.enddate else "", "1"]))
        buffer = io.BytesIO()
        name = f"{ctx.env.infno}_{latest}.txt"
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, "\n".join(lines))
        zipname = f"{ctx.env.infno}_{latest}.zip"
        no = _store_file(uow, ctx.who.id, zipname, buffer.getvalue())
        return {"file_qury_no": no, "filename": zipname, "ver": latest, "count": str(len(lines))}

    out = ctx.app.transact(ctx.who, run)
    return {"file_qury_no": out["file_qury_no"], "filename": out["filename"],
            "dld_endtime": None, "ver": out["ver"], "count": Decimal(out["count"])}


for _infno, _name in (("1301", "西药中成药目录下载 drug catalog"),
                      ("1305", "医疗服务项目目录下载 service catalog"),
                      ("1306", "医用耗材目录下载 consumable catalog")):
    HANDLERS[_infno] = _catalog
    NAMES[_infno] = _name


# -- pharmacy sales with trace codes ------------------------------------------------------

def _selinfo(ctx: Ctx) -> tuple[str, list[str], str | None, str | None, bool, Decimal]:
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
    return code, codes, psn_no, setl_id, trdn, cnt


@handles("3505", "商品销售 pharmacy sale with trace codes")
def sale(ctx: Ctx) -> Any:
    code, codes, psn_no, setl_id, trdn, cnt = _selinfo(ctx)
    n = ctx.write(lambda uow: tracing.record_sale_in(
        uow, ctx.who.id, med_list_codg=code, codes=codes, psn_no=psn_no, setl_id=setl_id,
        trdn_flag=trdn, cnt=cnt), int)
    return {"retRslt": "1", "msgRslt": f"{n} 个追溯码已记录 recorded"}


@handles("3506", "商品销售退货 pharmacy sale return")
def sale_return(ctx: Ctx) -> Any:
    _code, codes, *_ = _selinfo(ctx)
    n = ctx.write(lambda uow: tracing.return_sale_in(uow, ctx.who.id, codes=codes), int)
    return {"retRslt": "1", "msgRslt": f"{n} 个追溯码已退回 returned"}


# -- queries ---------------------------------------------------------------------------------

@handles("5203", "结算信息查询 settlement query")
def settlement_query(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    d.need("psn_no", 30)
    setl_id = d.need("setl_id", 30)
    d.char("mdtrt_id", 30)
    v = svc.get(ctx.app, ctx.who, setl_id)
    return {"setlinfo": setlinfo(v), "setldetail": setldetail(v)}


CUM_TYPES = {"ded": "C001", "base": "C002", "paid": "C003", "supp:base": "C004",
             "supp:paid": "C005", "maf:base": "C006", "maf:paid": "C007"}
"""Our accumulation type codes (the national cum_type_code table differs by region):
C001 deductible used, C002 amount above the deductible, C003 pooled fund paid, C004/C005
supplementary base and paid, C006/C007 assistance base and paid."""


@handles("5206", "人员累计信息查询 accumulation query")
def accumulation_query(ctx: Ctx) -> Any:
    d = ctx.input.need_obj("data")
    psn_no = d.need("psn_no", 30)
    cum_ym = d.need("cum_ym", 6)
    if not cum_ym.isdigit() or not 1 <= int(cum_ym[4:]) <= 12:
        raise bad("input.data.cum_ym", "格式应为 yyyyMM", "must be yyyyMM")

    def run(uow: UnitOfWork) -> list[dict[str, Any]]:
        people.person(uow.conn, psn_no)
        rows = uow.conn.execute(select(accumulators).where(
            accumulators.c.psn_no == psn_no, accumulators.c.year == int(cum_ym[:4]))).all()
        out = []
        for r in rows:
            base, _, group = r.name.partition(":")
            kind = CUM_TYPES.get(r.name) or CUM_TYPES.get(base)
            grouped = group and base in ("ded", "base", "paid")
            out.append({"insutype": r.insutype, "year": str(r.year), "cum_ym": cum_ym,
                        "cum_type_code": f"{kind}-{group}" if grouped else kind,
                        "cum": yuan(int(r.value))})
        return out

    return {"cuminfo": ctx.read(run)}

