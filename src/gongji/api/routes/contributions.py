"""Paying a relative's resident or long-term-care contribution from an account or quota."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from gongji.api.deps import Caller, IdempotencyKey, Person, Services, replay_header
from gongji.api.openapi import PIN_REFUSALS
from gongji.api.types import Admdvs, In, Pin, Psn, YuanOut
from gongji.domain.access import ANONYMOUS
from gongji.services.contributions import service as contributions

router = APIRouter(prefix="/api/v1", tags=["contributions"])


class PayIn(In):
    psn_no: Psn = Field(description="Whose contribution")
    insutype: Literal["390", "410"] = Field(description="390 resident, 410 long-term care")
    year: int = Field(ge=2000, le=2100, description="The coverage year")
    source: Literal["personal", "quota"]
    sponsor_psn_no: Psn | None = Field(None, description="For quota: whose quota pays")
    pin: Pin


class ContributionOut(BaseModel):
    id: str
    psn_no: str
    insutype: str
    year: int
    admdvs: str
    amount: YuanOut
    payer_psn_no: str
    source: str
    sponsor_psn_no: str | None
    entry_id: str
    paid_at: datetime
    benefits_from: date | None = Field(description=(
        "Resident (390): the first day the fund pays in the coverage year, after any waiting "
        "period (待遇等待期) for a payment outside the collection window or after a lapse"))

    @classmethod
    def of(cls, c: contributions.ContributionView) -> ContributionOut:
        return cls(**{f: getattr(c, f) for f in cls.model_fields})


class OfferOut(BaseModel):
    insutype: str
    year: int
    amount: YuanOut
    window_start: str
    window_end: str


@router.post("/contributions", status_code=status.HTTP_201_CREATED,
             response_model=ContributionOut, responses=PIN_REFUSALS,
             summary="Pay a contribution once a year: inside the collection window, or a "
                     "resident one later with a waiting period")
def pay(body: PayIn, who: Person, services: Services, response: Response,
        key: IdempotencyKey = None) -> ContributionOut:
    cmd = contributions.PayContribution(psn_no=body.psn_no, insutype=body.insutype,
                                        year=body.year, source=body.source,
                                        sponsor_psn_no=body.sponsor_psn_no)
    w = contributions.pay(services, who, key, cmd, body.pin)
    replay_header(response, w)
    return ContributionOut.of(w.value)


@router.get("/persons/{psn_no}/contributions", response_model=list[ContributionOut],
            summary="Contributions paid for or by a person")
def list_contributions(psn_no: Psn, who: Caller, services: Services) -> list[ContributionOut]:
    return [ContributionOut.of(c) for c in contributions.list_for(services, who, psn_no)]


@router.get("/regions/{admdvs}/contributions", response_model=list[OfferOut],
            tags=["regions and policy"], summary="Contribution amounts and windows by year")
def offers(admdvs: Admdvs, services: Services) -> list[OfferOut]:
    return [OfferOut(insutype=o.insutype, year=o.year, amount=o.amount,
                     window_start=o.window_start.isoformat(),
                     window_end=o.window_end.isoformat())
            for o in contributions.offers(services, ANONYMOUS, admdvs)]
