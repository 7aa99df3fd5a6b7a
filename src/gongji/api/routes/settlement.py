"""Settlement for designated institutions (HMAC-signed), and the reads around it.

Institutions sign every request: X-Gongji-Key, X-Gongji-Timestamp (Unix seconds),
X-Gongji-Nonce (8-64 of A-Z a-z 0-9 _ -, once), X-Gongji-Signature = hex HMAC-SHA256(secret,
timestamp \\n nonce \\n METHOD \\n path \\n sha256hex(body)).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, create_model

from gongji.api.deps import (
    AnyCaller,
    Caller,
    IdempotencyKey,
    Institution,
    Operator,
    Services,
    replay_header,
)
from gongji.api.types import Day, In, Month, Psn, Yuan, YuanOut
from gongji.domain.catalog import ratio_text
from gongji.domain.money import parse_yuan
from gongji.domain.settlement import SETLINFO_AMOUNTS, SETLINFO_FIELDS
from gongji.services.clearing import service as clearing
from gongji.services.settlement import service as svc

router = APIRouter(prefix="/api/v1", tags=["settlement"])

Money0 = Annotated[str, Field(pattern=r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$",
                              description="yuan, at most two decimals; zero allowed")]


class CredentialIn(In):
    mdtrt_cert_type: Literal["01", "02", "03"] = Field(
        description="01 insurance code (医保码) token, 02 ID number, 03 social security card")
    mdtrt_cert_no: str = Field(min_length=6, max_length=200)

    def cmd(self) -> svc.Credential:
        return svc.Credential(self.mdtrt_cert_type, self.mdtrt_cert_no)


class VisitIn(In):
    credential: CredentialIn
    insutype: Literal["310", "390"]
    med_type: str = Field(pattern=r"^[0-9]{2}$", description="11 outpatient, 13 emergency, "
                          "14 chronic/special, 21 inpatient, 25, 28, 41 pharmacy")
    ipt_otp_no: str | None = Field(None, max_length=30)
    dise_codg: str | None = Field(None, max_length=30)


class VisitOut(BaseModel):
    mdtrt_id: str
    psn_no: str
    insutype: str
    med_type: str
    care: str
    fixmedins_code: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    out_of_area: bool
    first_stay: bool
    status: str
    begntime: datetime

    @classmethod
    def of(cls, v: svc.VisitView) -> VisitOut:
        return cls(**{f: getattr(v, f) for f in cls.model_fields})


class FeeLineIn(In):
    feedetl_sn: str = Field(min_length=1, max_length=30)
    med_list_codg: str = Field(min_length=1, max_length=30)
    medins_list_codg: str | None = Field(None, max_length=30)
    cnt: str = Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,4})?$", description="16,4")
    pric: str = Field(pattern=r"^[0-9]{1,10}(\.[0-9]{1,6})?$", description="16,6 yuan")
    det_item_fee_sumamt: Money0
    within_limits: bool = Field(False, description="A limited-use item used for its approved "
                                                    "indication (限制使用)")
    trace_codes: list[Annotated[str, Field(max_length=128)]] = Field([], max_length=100,
                                   description="Drug trace codes, one per box sold")
    trdn_flag: bool = Field(False, description="Split sale (拆零) of one box: cnt counts units "
                            "when the catalog gives the item's units per box (pack_cnt), "
                            "else cnt is the part of the box")

    def cmd(self) -> svc.FeeIn:
        return svc.FeeIn(feedetl_sn=self.feedetl_sn, med_list_codg=self.med_list_codg,
                         cnt=self.cnt, pric=self.pric,
                         det_item_fee_sumamt=parse_yuan(self.det_item_fee_sumamt,
                                                        field="det_item_fee_sumamt",
                                                        allow_zero=True),
                         medins_list_codg=self.medins_list_codg,
                         within_limits=self.within_limits,
                         trace_codes=tuple(self.trace_codes), trdn_flag=self.trdn_flag)


class FeesIn(In):
    lines: list[FeeLineIn] = Field(min_length=1, max_length=500)


class LineOut(BaseModel):
    feedetl_sn: str
    med_list_codg: str
    name: str | None
    det_item_fee_sumamt: YuanOut
    fulamt_ownpay_amt: YuanOut
    overlmt_amt: YuanOut
    preselfpay_amt: YuanOut
    inscp_scp_amt: YuanOut
    pric_uplmt_amt: YuanOut | None
    selfpay_prop: str
    chrgitm_lv: str
    med_chrgitm_type: str
    lmt_used_flag: bool
    in_catalog: bool

    @classmethod
    def of(cls, x: svc.LineView) -> LineOut:
        return cls(**{f: getattr(x, f) for f in cls.model_fields})


class CancelFeesIn(In):
    feedetl_sns: list[Annotated[str, Field(min_length=1, max_length=30)]] = Field(
        [], max_length=500, description="Which lines; all pending ones if empty")


class SettleIn(In):
    credential: CredentialIn
    acct_used_flag: bool = Field(True, description="False: pay the personal burden in cash")
    medfee_sumamt: Yuan | None = Field(None, description="The HIS's total, checked")
    medins_setl_id: str | None = Field(None, max_length=30)
    final: bool = Field(True, description="False: a mid-stay settlement (中途结算)")

    def cmd(self) -> svc.SettleAsk:
        return svc.SettleAsk(credential=self.credential.cmd(),
                             acct_used_flag=self.acct_used_flag,
                             medfee_sumamt=self.medfee_sumamt,
                             medins_setl_id=self.medins_setl_id, final=self.final)


class DetailOut(BaseModel):
    fund_pay_type: str
    fund_pay_type_name: str
    inscp_scp_amt: YuanOut
    crt_payb_lmt_amt: YuanOut | None
    fund_payamt: YuanOut


class PaymentOut(BaseModel):
    kind: Literal["own", "family", "quota"]
    sponsor: str | None
    amount: YuanOut


SetlinfoAmounts: type[BaseModel] = create_model(
    "SetlinfoAmounts", __doc__="The national setlinfo's amounts (domain.settlement.Setlinfo).",
    **{name: ((str, Field(description="the pooled fund's ratio, four decimals"))
              if name == "pool_prop_selfpay" else (YuanOut, ...))
       for name in SETLINFO_FIELDS})  # type: ignore[call-overload]
"""Generated from the one declaration of the setlinfo, so the REST answer cannot drift."""


class SetlinfoOut(SetlinfoAmounts):
    """The national setlinfo with its setldetail; amounts in yuan."""

    setl_id: str | None
    mdtrt_id: str
    psn_no: str
    psn_name: str = Field(description="masked")
    insutype: str
    psn_type: str
    med_type: str
    setl_time: datetime
    medins_setl_id: str | None
    status: Literal["presettled", "settled", "cancelled"]
    balc: YuanOut | None
    clr_type: str
    clr_optins: str
    out_of_area: bool
    filing_kind: str | None
    setldetail: list[DetailOut]
    lines: list[LineOut]
    payments: list[PaymentOut]
    quota_not_accepted: YuanOut = Field(
        description="Wallet quota the person held that paid nothing because this institution "
        "does not take the wallet (医保钱包): what it would have paid; \"0.00\" when none")

    @classmethod
    def of(cls, v: svc.SettlementView) -> SetlinfoOut:
        return cls(**{n: getattr(v, n) for n in SETLINFO_AMOUNTS},
                   pool_prop_selfpay=ratio_text(v.pool_prop_selfpay),
                   setl_id=v.setl_id, mdtrt_id=v.mdtrt_id, psn_no=v.psn_no,
                   psn_name=v.psn_name_masked, insutype=v.insutype, psn_type=v.psn_type,
                   med_type=v.med_type, setl_time=v.setl_time,
                   medins_setl_id=v.medins_setl_id, status=v.status, balc=v.balc,
                   clr_type=v.clr_type, clr_optins=v.clr_optins, out_of_area=v.out_of_area,
                   filing_kind=v.filing_kind,
                   setldetail=[DetailOut(fund_pay_type=d.fund_pay_type,
                                         fund_pay_type_name=d.fund_pay_type_name,
                                         inscp_scp_amt=d.inscp_scp_amt,
                                         crt_payb_lmt_amt=d.crt_payb_lmt_amt,
                                         fund_payamt=d.fund_payamt) for d in v.setldetail],
                   lines=[LineOut.of(x) for x in v.lines],
                   payments=[PaymentOut(kind=p.kind, sponsor=p.sponsor, amount=p.amount)
                             for p in v.payments],
                   quota_not_accepted=v.quota_not_accepted)


@router.post("/visits", status_code=status.HTTP_201_CREATED, response_model=VisitOut,
             summary="Open a visit with the credential the person presents (2201/2401)")
def open_visit(body: VisitIn, who: Institution, services: Services, response: Response,
               key: IdempotencyKey = None) -> VisitOut:
    w = svc.open_visit(services, who, key, svc.OpenVisit(
        credential=body.credential.cmd(), insutype=body.insutype, med_type=body.med_type,
        ipt_otp_no=body.ipt_otp_no, dise_codg=body.dise_codg))
    replay_header(response, w)
    return VisitOut.of(w.value)


@router.post("/visits/{mdtrt_id}/fees", status_code=status.HTTP_201_CREATED,
             response_model=list[LineOut],
             summary="Upload fee lines; each comes back classified (2204/2301)")
def upload_fees(mdtrt_id: str, body: FeesIn, who: Institution, services: Services,
                response: Response, key: IdempotencyKey = None) -> list[LineOut]:
    w = svc.upload_fees(services, who, key, mdtrt_id, tuple(x.cmd() for x in body.lines))
    replay_header(response, w)
    return [LineOut.of(x) for x in w.value.lines]


@router.post("/visits/{mdtrt_id}/fees/cancel", summary="Withdraw unsettled lines (2205/2302)")
def cancel_fees(mdtrt_id: str, body: CancelFeesIn, who: Institution, services: Services,
                response: Response, key: IdempotencyKey = None) -> dict[str, int]:
    w = svc.cancel_fees(services, who, key, mdtrt_id, tuple(body.feedetl_sns))
    replay_header(response, w)
    return {"cancelled": w.value}


@router.post("/visits/{mdtrt_id}/cancel", response_model=VisitOut,
             summary="Cancel a registration without a live settlement (2202/2404)")
def cancel_visit(mdtrt_id: str, who: Institution, services: Services, response: Response,
                 key: IdempotencyKey = None) -> VisitOut:
    w = svc.cancel_visit(services, who, key, mdtrt_id)
    replay_header(response, w)
    return VisitOut.of(w.value)


@router.post("/visits/{mdtrt_id}/pre-settle", response_model=SetlinfoOut,
             summary="Every amount settling now would give; nothing moves (2206/2303)")
def pre_settle(mdtrt_id: str, body: SettleIn, who: Institution,
               services: Services) -> SetlinfoOut:
    return SetlinfoOut.of(svc.pre_settle(services, who, mdtrt_id, body.cmd()))


@router.post("/visits/{mdtrt_id}/settle", status_code=status.HTTP_201_CREATED,
             response_model=SetlinfoOut,
             summary="Settle: one ledger entry moves every amount (2207/2304)")
def settle(mdtrt_id: str, body: SettleIn, who: Institution, services: Services,
           response: Response, key: IdempotencyKey = None) -> SetlinfoOut:
    w = svc.settle(services, who, key, mdtrt_id, body.cmd())
    replay_header(response, w)
    return SetlinfoOut.of(w.value)


@router.post("/settlements/{setl_id}/cancel", response_model=SetlinfoOut,
             summary="Cancel a settlement: every amount and accumulator goes back (2208)")
def cancel(setl_id: str, who: Institution, services: Services, response: Response,
           key: IdempotencyKey = None) -> SetlinfoOut:
    w = svc.cancel(services, who, key, setl_id)
    replay_header(response, w)
    return SetlinfoOut.of(w.value)


class ReverseIn(In):
    medins_setl_id: str = Field(min_length=1, max_length=30,
                                description="The institution's own id of the settlement")


class ReversedOut(BaseModel):
    medins_setl_id: str
    setl_id: str | None
    done: bool = Field(description="False: the message never took effect, nothing to undo")


@router.post("/settlements/reverse", response_model=ReversedOut,
             summary="Reverse by the institution's message id (冲正): idempotent")
def reverse(body: ReverseIn, who: Institution, services: Services, response: Response,
            key: IdempotencyKey = None) -> ReversedOut:
    w = svc.reverse_by_msgid(services, who, key, body.medins_setl_id)
    replay_header(response, w)
    return ReversedOut(medins_setl_id=w.value.omsgid, setl_id=w.value.setl_id,
                       done=w.value.done)


@router.get("/settlements/{setl_id}", response_model=SetlinfoOut,
            summary="One settlement (its institution, the person, or an operator)")
def get_settlement(setl_id: str, who: AnyCaller, services: Services) -> SetlinfoOut:
    return SetlinfoOut.of(svc.get(services, who, setl_id))


@router.get("/persons/{psn_no}/settlements", response_model=list[SetlinfoOut],
            summary="A person's settlements, newest first, every yuan explained")
def person_settlements(psn_no: Psn, who: Caller, services: Services,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[SetlinfoOut]:
    return [SetlinfoOut.of(v) for v in svc.list_for_person(services, who, psn_no, limit=limit)]



class PairOut(BaseModel):
    insuplc_admdvs: str = Field(description="The insured region, which owes")
    mdtrtarea_admvs: str = Field(description="The care region, which advanced the money")
    count: int
    medfee_sumamt: YuanOut
    fund_pay_sumamt: YuanOut
    acct_pay: YuanOut
    acct_mulaid_pay: YuanOut
    clearing_amt: YuanOut


@router.get("/clearing/statement", response_model=list[PairOut], tags=["clearing"],
            summary="A month's obligations between regions (cancelled settlements excluded)")
def clearing_statement(who: Operator, services: Services,
                       month: Month
                       ) -> list[PairOut]:
    return [PairOut(**{f: getattr(x, f) for f in PairOut.model_fields})
            for x in clearing.statement(services, who, month)]


class ReconcileIn(In):
    stmt_begndate: Day
    stmt_enddate: Day
    insutype: Literal["310", "390"] | None = None
    clr_type: Literal["11", "21", "41"] | None = None
    medfee_sumamt: Money0
    fund_pay_sumamt: Money0
    acct_pay: Money0
    fixmedins_setl_cnt: int = Field(ge=0, le=1_000_000_000)


class ReconcileOut(BaseModel):
    stmt_rslt: Literal["0", "1"] = Field(description="0 totals match, 1 they differ")
    stmt_rslt_dscr: str
    medfee_sumamt: YuanOut
    fund_pay_sumamt: YuanOut
    acct_pay: YuanOut
    fixmedins_setl_cnt: int


@router.post("/reconciliation", response_model=ReconcileOut, tags=["clearing"],
             summary="Compare the institution's totals with ours for a period (3201)")
def reconcile(body: ReconcileIn, who: Institution, services: Services) -> ReconcileOut:
    r = clearing.reconcile(services, who, clearing.Claimed(
        begndate=body.stmt_begndate, enddate=body.stmt_enddate, insutype=body.insutype,
        clr_type=body.clr_type,
        medfee_sumamt=parse_yuan(body.medfee_sumamt, field="medfee_sumamt", allow_zero=True),
        fund_pay_sumamt=parse_yuan(body.fund_pay_sumamt, field="fund_pay_sumamt",
                                   allow_zero=True),
        acct_pay=parse_yuan(body.acct_pay, field="acct_pay", allow_zero=True),
        fixmedins_setl_cnt=body.fixmedins_setl_cnt))
    text = "一致 match" if r.matched else "不一致 mismatch: " + ", ".join(
        f"{k} ours {r.ours_text(k)}" for k in r.differing)
    return ReconcileOut(stmt_rslt="0" if r.matched else "1", stmt_rslt_dscr=text,
                        medfee_sumamt=r.ours.medfee_sumamt,
                        fund_pay_sumamt=r.ours.fund_pay_sumamt, acct_pay=r.ours.acct_pay,
                        fixmedins_setl_cnt=r.ours.fixmedins_setl_cnt)
