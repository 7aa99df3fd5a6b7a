"""Persons, enrollments, personal-account credits, cards and the insurance code."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from gongji.api.deps import Caller, IdempotencyKey, Operator, Services, replay_header
from gongji.api.routes.auth import EnrollmentOut, enrollment_out
from gongji.api.routes.ledger import EntryOut
from gongji.api.types import PLAIN, Admdvs, Certno, Day, In, Psn, Yuan
from gongji.services.credentials import service as credentials
from gongji.services.enrollment import service as enrollment
from gongji.services.people import service as people
from gongji.services.people.service import PersonView

router = APIRouter(prefix="/api/v1", tags=["persons"])


class PersonIn(In):
    certno: Certno
    name: str = Field(min_length=1, max_length=50)
    phone: str | None = Field(None, min_length=11, max_length=11)


class PersonOut(BaseModel):
    psn_no: str
    certno_masked: str
    name_masked: str
    gend: str = Field(description="1 male, 2 female (from the ID number)")
    brdy_year: int
    phone_masked: str | None

    @classmethod
    def of(cls, p: PersonView) -> PersonOut:
        return cls(psn_no=p.psn_no, certno_masked=p.certno_masked, name_masked=p.name_masked,
                   gend=p.gend, brdy_year=p.brdy_year, phone_masked=p.phone_masked)


class LookupIn(In):
    certno: Certno


class EnrollIn(In):
    psn_no: Psn
    insutype: Literal["310", "390"]
    psn_type: str = Field(pattern=r"^[0-9]{4}$",
                          description="310: 1101 in service, 1201 retired; 390: 1401-1405 "
                                      "minors, 1501 adult resident")
    insuplc_admdvs: Admdvs
    begndate: Day
    has_personal_account: bool = True
    emp_name: str | None = Field(None, max_length=100)


class EnrollmentResultOut(BaseModel):
    enrollment: EnrollmentOut
    personal_account_id: str | None
    ended_bindings: list[str]
    new_enrollment: EnrollmentOut | None


class EndIn(In):
    enddate: Day
    reason: Literal["ended", "moved"] = "ended"
    new_admdvs: Admdvs | None = None


class CreditIn(In):
    amount: Yuan
    memo: str = Field("", max_length=200)


class CardIn(In):
    card_no: Annotated[str, PLAIN] = Field(min_length=6, max_length=32)


class CardOut(BaseModel):
    card_no_masked: str
    psn_no: str
    status: str


class CodeOut(BaseModel):
    token: str = Field(description="The insurance code (医保码) to show as a QR code")
    psn_no: str
    expires_at: datetime


class RedeemIn(In):
    token: Annotated[str, PLAIN] = Field(min_length=10, max_length=200)


class RedeemedOut(BaseModel):
    psn_no: str
    name_masked: str
    insuplc_admdvs: str | None


def _result(r: enrollment.EnrollmentResult) -> EnrollmentResultOut:
    return EnrollmentResultOut(
        enrollment=enrollment_out(r.enrollment), personal_account_id=r.personal_account_id,
        ended_bindings=list(r.ended_bindings),
        new_enrollment=enrollment_out(r.new_enrollment) if r.new_enrollment else None)


@router.post("/persons", status_code=status.HTTP_201_CREATED, response_model=PersonOut,
             summary="Register a person by resident ID number (GB 11643 checked)")
def register(body: PersonIn, who: Operator, services: Services, response: Response,
             key: IdempotencyKey = None) -> PersonOut:
    w = enrollment.register(services, who, key, enrollment.RegisterPerson(**body.model_dump()))
    replay_header(response, w)
    return PersonOut.of(w.value)


@router.post("/persons/lookup", response_model=PersonOut,
             summary="Find a person by ID number (in the body: ID numbers never go in URLs)")
def lookup(body: LookupIn, who: Operator, services: Services) -> PersonOut:
    return PersonOut.of(people.lookup(services, who, body.certno))


@router.get("/persons/{psn_no}", response_model=PersonOut, summary="One person (masked)")
def get_person(psn_no: Psn, who: Caller, services: Services) -> PersonOut:
    return PersonOut.of(people.get(services, who, psn_no))


@router.get("/persons/{psn_no}/enrollments", response_model=list[EnrollmentOut],
            summary="A person's enrollments, active and ended")
def list_enrollments(psn_no: Psn, who: Caller, services: Services) -> list[EnrollmentOut]:
    return [enrollment_out(e) for e in people.enrollments(services, who, psn_no)]


@router.post("/enrollments", status_code=status.HTTP_201_CREATED,
             response_model=EnrollmentResultOut,
             summary="Enroll a person in a scheme; employees get a personal account")
def enroll(body: EnrollIn, who: Operator, services: Services, response: Response,
           key: IdempotencyKey = None) -> EnrollmentResultOut:
    w = enrollment.enroll(services, who, key, enrollment.Enroll(**body.model_dump()))
    replay_header(response, w)
    return _result(w.value)


@router.post("/enrollments/{enrollment_id}/end", response_model=EnrollmentResultOut,
             summary="End or move an enrollment; the person's bindings end, quotas go home")
def end_enrollment(enrollment_id: str, body: EndIn, who: Operator, services: Services,
                   response: Response, key: IdempotencyKey = None) -> EnrollmentResultOut:
    w = enrollment.end(services, who, key, enrollment.EndEnrollment(
        enrollment_id=enrollment_id, **body.model_dump()))
    replay_header(response, w)
    return _result(w.value)


@router.post("/persons/{psn_no}/credits", status_code=status.HTTP_201_CREATED,
             response_model=EntryOut, summary="Credit a personal account (划入)")
def credit(psn_no: Psn, body: CreditIn, who: Operator, services: Services, response: Response,
           key: IdempotencyKey = None) -> EntryOut:
    w = enrollment.credit(services, who, key, enrollment.Credit(psn_no, body.amount, body.memo))
    replay_header(response, w)
    return EntryOut.of(w.value)


@router.post("/persons/{psn_no}/cards", status_code=status.HTTP_201_CREATED,
             response_model=CardOut, summary="Register a social security card (replaces any old)")
def issue_card(psn_no: Psn, body: CardIn, who: Operator, services: Services,
               response: Response, key: IdempotencyKey = None) -> CardOut:
    w = credentials.issue_card(services, who, key, psn_no, body.card_no)
    replay_header(response, w)
    return CardOut(card_no_masked="*" * (len(w.value.card_no) - 4) + w.value.card_no[-4:],
                   psn_no=w.value.psn_no, status=w.value.status)


@router.post("/persons/{psn_no}/code", response_model=CodeOut, tags=["credentials"],
             summary="A fresh insurance code (医保码), valid about a minute, usable once")
def show_code(psn_no: Psn, who: Caller, services: Services) -> CodeOut:
    t = credentials.issue_code(services, who, psn_no)
    return CodeOut(token=t.token, psn_no=t.psn_no, expires_at=t.expires_at)


@router.post("/credentials/redeem", response_model=RedeemedOut, tags=["credentials"],
             summary="Use up a presented insurance code and say whose it is")
def redeem(body: RedeemIn, who: Operator, services: Services, response: Response,
           key: IdempotencyKey = None) -> RedeemedOut:
    w = credentials.check_code(services, who, key, body.token)
    replay_header(response, w)
    return RedeemedOut(psn_no=w.value.psn_no, name_masked=w.value.name_masked,
                       insuplc_admdvs=w.value.insuplc_admdvs)
