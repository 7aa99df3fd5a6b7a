"""Electronic prescriptions (电子处方): a hospital issues and revokes (signed requests); the
issuer, the person, their proxy holder and operators read. Quantities are decimal strings;
the person is named by psn_no or ID number in the body, never by name and never in a URL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from gongji.api.deps import (
    AnyCaller,
    Caller,
    IdempotencyKey,
    Institution,
    Services,
    replay_header,
)
from gongji.api.types import Certno, In, Psn
from gongji.services.prescriptions import service as prescriptions

router = APIRouter(prefix="/api/v1", tags=["prescriptions"])

class RxItemIn(In):
    med_list_codg: str = Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9]+$")
    cnt: str = Field(pattern=r"^[0-9]{1,5}(\.[0-9]{1,5})?$",
                     description="Quantity, more than 0, at most 5 decimals (\"2\", \"0.5\")")


class PrescriptionIn(In):
    psn_no: Psn | None = Field(None, description="The person, or certno (exactly one)")
    certno: Certno | None = Field(None, description="The person's ID number, or psn_no")
    items: list[RxItemIn] = Field(min_length=1, max_length=5,
                                  description="1 to 5 drugs (《处方管理办法》第六条)")
    valid_days: int | None = Field(None, ge=1, le=3, description=(
        "Days valid counting the day of issue (1, the default: that day only; at most 3, or "
        "the region's policy maximum; 《处方管理办法》第十八条)"))
    dise_codg: str | None = Field(None, max_length=30)


class RxItemOut(BaseModel):
    med_list_codg: str
    cnt: str


class PrescriptionOut(BaseModel):
    hi_rxno: str
    psn_no: str
    issued_by: str
    dise_codg: str | None
    issued_at: datetime
    valid_until: datetime = Field(description="The last second it is valid (Asia/Shanghai)")
    status: str = Field(description="issued, filled or revoked")
    items: list[RxItemOut]
    filled_by: str | None
    filled_at: datetime | None

    @classmethod
    def of(cls, v: prescriptions.PrescriptionView) -> PrescriptionOut:
        return cls(hi_rxno=v.hi_rxno, psn_no=v.psn_no, issued_by=v.issued_by,
                   dise_codg=v.dise_codg, issued_at=v.issued_at, valid_until=v.valid_until,
                   status=v.status, items=[RxItemOut(med_list_codg=i.med_list_codg, cnt=i.cnt)
                                           for i in v.items],
                   filled_by=v.filled_by, filled_at=v.filled_at)


@router.post("/prescriptions", status_code=status.HTTP_201_CREATED,
             response_model=PrescriptionOut,
             summary="Issue an electronic prescription (开具电子处方)")
def issue(body: PrescriptionIn, who: Institution, services: Services, response: Response,
          key: IdempotencyKey = None) -> PrescriptionOut:
    w = prescriptions.issue(services, who, key, prescriptions.IssuePrescription(
        items=tuple(prescriptions.RxItemIn(i.med_list_codg, Decimal(i.cnt))
                    for i in body.items),
        psn_no=body.psn_no, certno=body.certno, valid_days=body.valid_days,
        dise_codg=body.dise_codg))
    replay_header(response, w)
    return PrescriptionOut.of(w.value)


@router.get("/prescriptions/{hi_rxno}", response_model=PrescriptionOut,
            summary="One electronic prescription")
def get(hi_rxno: str, who: AnyCaller, services: Services) -> PrescriptionOut:
    return PrescriptionOut.of(prescriptions.get(services, who, hi_rxno))


@router.get("/persons/{psn_no}/prescriptions", response_model=list[PrescriptionOut],
            summary="A person's electronic prescriptions, newest first")
def list_for(psn_no: Psn, who: Caller, services: Services) -> list[PrescriptionOut]:
    return [PrescriptionOut.of(v) for v in prescriptions.list_for(services, who, psn_no)]


@router.post("/prescriptions/{hi_rxno}/revoke", response_model=PrescriptionOut,
             summary="Revoke an electronic prescription not yet filled (the issuer)")
def revoke(hi_rxno: str, who: Institution, services: Services, response: Response,
           key: IdempotencyKey = None) -> PrescriptionOut:
    w = prescriptions.revoke(services, who, key, hi_rxno)
    replay_header(response, w)
    return PrescriptionOut.of(w.value)
