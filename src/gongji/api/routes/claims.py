"""Hand claims (手工报销): a person or their proxy submits; the insured region reviews, pays or
cancels before payment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from gongji.api.deps import Caller, IdempotencyKey, Operator, Services, replay_header
from gongji.api.routes.settlement import DetailOut, LineOut, Money0
from gongji.api.types import PLAIN, Day, In, Psn, YuanOut
from gongji.domain.money import parse_yuan
from gongji.services.claims import service as claims
from gongji.services.claims.model import (
    ClaimLineIn,
    ClaimView,
    LineDecision,
    Review,
    SubmitClaim,
)

router = APIRouter(prefix="/api/v1", tags=["claims"])

Text = Annotated[str, Field(min_length=1, max_length=100)]


class ClaimLine(In):
    feedetl_sn: str = Field(min_length=1, max_length=30)
    med_list_codg: Annotated[str, PLAIN] = Field(min_length=1, max_length=30)
    cnt: Annotated[str, PLAIN] = Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,4})?$", description="16,4")
    pric: Annotated[str, PLAIN] = Field(pattern=r"^[0-9]{1,10}(\.[0-9]{1,6})?$",
                                        description="16,6 yuan")
    det_item_fee_sumamt: Money0


class ClaimIn(In):
    insutype: Literal["310", "390"]
    fixmedins_code: Annotated[str, PLAIN] = Field(min_length=1, max_length=12,
                                description="The designated institution that gave the care")
    med_type: Literal["11", "13", "14", "21", "25", "28", "41"]
    begndate: Day
    enddate: Day = Field(description="When the care ended (discharge); the deadline counts "
                                     "from here")
    dise_codg: str = Field(min_length=1, max_length=30, description="Diagnosis code (ICD-10)")
    dise_name: Text
    invoice_no: str = Field(min_length=1, max_length=40, description="The invoice (发票号)")
    medfee_sumamt: Money0 = Field(description="The invoice's total; the lines add up to it")
    lines: list[ClaimLine] = Field(min_length=1, max_length=500)
    bank_name: Text
    bank_acct: str = Field(min_length=12, max_length=40, description="12-30 digits")
    acct_used: bool = Field(True, description="Let the personal account pay its share")

    def cmd(self, psn_no: str) -> SubmitClaim:
        return SubmitClaim(
            psn_no=psn_no, insutype=self.insutype, fixmedins_code=self.fixmedins_code,
            med_type=self.med_type, begndate=self.begndate, enddate=self.enddate,
            dise_codg=self.dise_codg, dise_name=self.dise_name, invoice_no=self.invoice_no,
            medfee_sumamt=parse_yuan(self.medfee_sumamt, field="medfee_sumamt",
                                     allow_zero=True),
            lines=tuple(ClaimLineIn(x.feedetl_sn, x.med_list_codg, x.cnt, x.pric,
                                    parse_yuan(x.det_item_fee_sumamt,
                                               field="det_item_fee_sumamt", allow_zero=True))
                        for x in self.lines),
            bank_name=self.bank_name, bank_acct=self.bank_acct, acct_used=self.acct_used)


class DecisionIn(In):
    feedetl_sn: str = Field(min_length=1, max_length=30)
    cnt: str = Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,4})?$",
                     description="The quantity admitted: at most what was claimed; 0 leaves "
                                 "the line out")
    reason: str = Field("", max_length=200, description="Why less (required when less)")


class ReviewIn(In):
    approve: bool
    lines: list[DecisionIn] = Field([], max_length=500,
                                    description="Lines admitted otherwise than in full")
    reason: str = Field("", max_length=300, description="Required to refuse")


class CancelIn(In):
    reason: str = Field(min_length=1, max_length=300)


class ClaimLineOut(BaseModel):
    feedetl_sn: str
    med_list_codg: str
    name: str | None
    cnt: str
    pric: str
    det_item_fee_sumamt: YuanOut
    admitted_cnt: str | None
    admitted_amt: YuanOut | None
    reason: str | None


class ReimbursementOut(BaseModel):
    medfee_sumamt: YuanOut
    fulamt_ownpay_amt: YuanOut
    overlmt_selfpay: YuanOut
    preselfpay_amt: YuanOut
    inscp_scp_amt: YuanOut
    act_pay_dedc: YuanOut
    hifp_pay: YuanOut
    hifmi_pay: YuanOut
    hifob_pay: YuanOut
    maf_pay: YuanOut
    fund_pay_sumamt: YuanOut
    acct_pay: YuanOut
    psn_cash_pay: YuanOut
    reimbursed: YuanOut = Field(description="Paid to the person: funds and personal account")
    rule: str
    filing_kind: str | None
    setldetail: list[DetailOut]
    lines: list[LineOut]


class ClaimOut(BaseModel):
    claim_id: str
    psn_no: str
    psn_name_masked: str
    insutype: str
    insuplc_admdvs: str
    fixmedins_code: str
    fixmedins_name: str
    mdtrtarea_admvs: str
    med_type: str
    care: str
    begndate: date
    enddate: date
    dise_codg: str
    dise_name: str
    invoice_no: str
    medfee_sumamt: YuanOut
    bank_name: str
    bank_acct_masked: str
    acct_used: bool
    status: Literal["submitted", "approved", "refused", "paid", "cancelled"]
    status_zh: str
    status_en: str
    submitted_by: Literal["person", "proxy"]
    submitted_at: datetime
    reviewed_at: datetime | None
    reason: str | None
    paid_at: datetime | None
    cancelled_at: datetime | None
    lines: list[ClaimLineOut]
    reimbursement: ReimbursementOut | None

    @classmethod
    def of(cls, c: ClaimView) -> ClaimOut:
        r = c.reimbursement
        return cls(**{f: getattr(c, f) for f in cls.model_fields
                      if f not in ("lines", "reimbursement")},
                   lines=[ClaimLineOut(**{f: getattr(x, f) for f in ClaimLineOut.model_fields})
                          for x in c.lines],
                   reimbursement=None if r is None else ReimbursementOut(
                       **{f: getattr(r, f) for f in ReimbursementOut.model_fields
                          if f not in ("setldetail", "lines")},
                       setldetail=[DetailOut(**{f: getattr(d, f) for f in DetailOut.model_fields})
                                   for d in r.setldetail],
                       lines=[LineOut.of(x) for x in r.lines]))


@router.post("/persons/{psn_no}/claims", status_code=status.HTTP_201_CREATED,
             response_model=ClaimOut, summary="Submit a hand claim (手工报销): care paid in full")
def submit(psn_no: Psn, body: ClaimIn, who: Caller, services: Services, response: Response,
           key: IdempotencyKey = None) -> ClaimOut:
    w = claims.submit(services, who, key, body.cmd(psn_no))
    replay_header(response, w)
    return ClaimOut.of(w.value)


@router.get("/persons/{psn_no}/claims", response_model=list[ClaimOut],
            summary="A person's hand claims, newest first")
def list_claims(psn_no: Psn, who: Caller, services: Services) -> list[ClaimOut]:
    return [ClaimOut.of(c) for c in claims.list_for(services, who, psn_no)]


@router.get("/claims/queue", response_model=list[ClaimOut],
            summary="Operators: claims waiting for review, then for payment")
def queue(who: Operator, services: Services) -> list[ClaimOut]:
    return [ClaimOut.of(c) for c in claims.queue(services, who)]


@router.get("/claims/{claim_id}", response_model=ClaimOut, summary="One hand claim")
def get_claim(claim_id: str, who: Caller, services: Services) -> ClaimOut:
    return ClaimOut.of(claims.get(services, who, claim_id))


@router.post("/claims/{claim_id}/withdraw", response_model=ClaimOut,
             summary="Withdraw a claim not yet reviewed (the person or their proxy)")
def withdraw(claim_id: str, who: Caller, services: Services, response: Response,
             key: IdempotencyKey = None) -> ClaimOut:
    w = claims.withdraw(services, who, key, claim_id)
    replay_header(response, w)
    return ClaimOut.of(w.value)


@router.post("/claims/{claim_id}/review", response_model=ClaimOut,
             summary="Operators: approve (each line in full, in part or not at all) or refuse")
def review(claim_id: str, body: ReviewIn, who: Operator, services: Services,
           response: Response, key: IdempotencyKey = None) -> ClaimOut:
    w = claims.review(services, who, key, claim_id, Review(
        approve=body.approve, reason=body.reason,
        lines=tuple(LineDecision(d.feedetl_sn, d.cnt, d.reason) for d in body.lines)))
    replay_header(response, w)
    return ClaimOut.of(w.value)


@router.post("/claims/{claim_id}/pay", response_model=ClaimOut,
             summary="Operators: pay an approved claim to the person's bank account")
def pay(claim_id: str, who: Operator, services: Services, response: Response,
        key: IdempotencyKey = None) -> ClaimOut:
    w = claims.pay(services, who, key, claim_id)
    replay_header(response, w)
    return ClaimOut.of(w.value)


@router.post("/claims/{claim_id}/cancel", response_model=ClaimOut,
             summary="Operators: cancel an approved claim before payment (a reversal)")
def cancel(claim_id: str, body: CancelIn, who: Operator, services: Services,
           response: Response, key: IdempotencyKey = None) -> ClaimOut:
    w = claims.cancel(services, who, key, claim_id, body.reason)
    replay_header(response, w)
    return ClaimOut.of(w.value)
