"""Out-of-area filing (persons), chronic recognition and eligibility flags (operators),
authorization switches (persons)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from gongji.api.deps import Caller, IdempotencyKey, Operator, Services, replay_header
from gongji.api.types import Admdvs, Day, In, Psn
from gongji.services.enrollment import service as enrollment
from gongji.services.filing import service as filing

router = APIRouter(prefix="/api/v1", tags=["filing"])

Kind = Literal["retiree_settled", "long_term_resident", "posted_staff", "referral",
               "emergency", "other_temporary"]


class FilingIn(In):
    kind: Kind
    target_admdvs: Admdvs = Field(description="Where care will happen: a pooling region or a "
                                              "province")
    begndate: Day
    enddate: Day | None = Field(None, description="Temporary kinds: at least six months on "
                                                   "(the default); long-term kinds: none")
    opsp_dise_code: str | None = Field(None, max_length=30,
                                       description="For a chronic/special disease filing")


class FilingOut(BaseModel):
    id: str
    psn_no: str
    kind: str
    insuplc_admdvs: str
    target_admdvs: str
    begndate: date
    enddate: date | None
    opsp_dise_code: str | None
    status: str
    created_at: datetime

    @classmethod
    def of(cls, f: filing.FilingView) -> FilingOut:
        return cls(**{k: getattr(f, k) for k in cls.model_fields})


class ChronicIn(In):
    opsp_dise_code: Literal["hypertension", "diabetes", "cancer_treatment", "uremia_dialysis",
                            "transplant_antirejection", "copd", "rheumatoid_arthritis",
                            "coronary_heart_disease", "viral_hepatitis",
                            "ankylosing_spondylitis"]
    begndate: Day


class FlagIn(In):
    flag: Literal["assistance", "low_income"]
    begndate: Day
    enddate: Day | None = None


class SwitchIn(In):
    enabled: bool


@router.post("/persons/{psn_no}/filings", status_code=status.HTTP_201_CREATED,
             response_model=FilingOut, summary="File out-of-area care (异地就医备案)")
def create_filing(psn_no: Psn, body: FilingIn, who: Caller, services: Services,
                  response: Response, key: IdempotencyKey = None) -> FilingOut:
    w = filing.file(services, who, key, psn_no, filing.File(**body.model_dump()))
    replay_header(response, w)
    return FilingOut.of(w.value)


@router.get("/persons/{psn_no}/filings", response_model=list[FilingOut],
            summary="A person's filings")
def list_filings(psn_no: Psn, who: Caller, services: Services) -> list[FilingOut]:
    return [FilingOut.of(f) for f in filing.list_for(services, who, psn_no)]


@router.post("/filings/{filing_id}/revoke", response_model=FilingOut, summary="Revoke a filing")
def revoke_filing(filing_id: str, who: Caller, services: Services, response: Response,
                  key: IdempotencyKey = None) -> FilingOut:
    w = filing.revoke(services, who, key, filing_id)
    replay_header(response, w)
    return FilingOut.of(w.value)


@router.post("/persons/{psn_no}/chronic", status_code=status.HTTP_201_CREATED,
             tags=["operators"], summary="Recognise a chronic/special disease (门诊慢特病)")
def recognize(psn_no: Psn, body: ChronicIn, who: Operator, services: Services,
              response: Response, key: IdempotencyKey = None) -> dict[str, str]:
    w = filing.recognize(services, who, key, psn_no, body.opsp_dise_code, body.begndate)
    replay_header(response, w)
    return {"id": w.value.id, "opsp_dise_code": w.value.opsp_dise_code,
            "admdvs": w.value.admdvs}


@router.post("/persons/{psn_no}/flags", status_code=status.HTTP_201_CREATED,
             tags=["operators"], summary="Record medical-assistance or low-income eligibility")
def set_flag(psn_no: Psn, body: FlagIn, who: Operator, services: Services,
             response: Response, key: IdempotencyKey = None) -> dict[str, str]:
    w = enrollment.set_flag(services, who, key, enrollment.Flag(psn_no, body.flag,
                                                                 body.begndate, body.enddate))
    replay_header(response, w)
    return {"psn_no": psn_no, "flag": w.value.flag}


@router.put("/persons/{psn_no}/switches/{scope}", summary="Turn an authorization switch on "
            "or off (刷卡购药设置·跨省: pharmacy_cross_province)")
def set_switch(psn_no: Psn, scope: Literal["pharmacy_cross_province"], body: SwitchIn,
               who: Caller, services: Services, response: Response,
               key: IdempotencyKey = None) -> dict[str, object]:
    w = filing.set_switch(services, who, key, psn_no, scope, body.enabled)
    replay_header(response, w)
    return {"psn_no": psn_no, "scope": scope, "enabled": w.value}
