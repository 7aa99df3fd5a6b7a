"""Persons' login (ID number + one-time code), who am I, and the operators' outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from gongji.api.deps import Caller, Operator, Services, _bearer
from gongji.api.openapi import OTP_REFUSALS
from gongji.api.peer import client_address
from gongji.api.types import PLAIN, Certno, In, Psn
from gongji.services.auth import service as auth
from gongji.services.people import service as people

router = APIRouter(prefix="/api/v1", tags=["login"])


class CodeIn(In):
    certno: Certno


class CodeSentOut(BaseModel):
    """The same for every well-formed ID number, registered or not: it names no phone, and a
    number nobody has gets no message (but the same answer, and the same refusals after)."""

    expires_at: datetime
    resend_after: datetime


class LoginIn(In):
    certno: Certno
    code: Annotated[str, PLAIN] = Field(min_length=4, max_length=10)


class SessionOut(BaseModel):
    token: str = Field(description="Send as Authorization: Bearer <token>")
    psn_no: str
    expires_at: datetime


@router.post("/auth/code", status_code=status.HTTP_202_ACCEPTED, response_model=CodeSentOut,
             responses=OTP_REFUSALS,
             summary="Send a one-time login code to the phone of the person with this ID "
                     "number, if there is one (sandbox: the outbox)")
def send_code(body: CodeIn, services: Services, request: Request) -> CodeSentOut:
    s = auth.request_code(services, body.certno, client=client_address(request))
    return CodeSentOut(expires_at=s.expires_at, resend_after=s.resend_after)


@router.post("/auth/login", response_model=SessionOut, responses=OTP_REFUSALS,
             summary="Log in with the ID number and the one-time code")
def login(body: LoginIn, services: Services, request: Request) -> SessionOut:
    s = auth.login(services, body.certno, body.code, client=client_address(request))
    return SessionOut(token=s.token, psn_no=s.psn_no, expires_at=s.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End the session")
def logout(who: Caller, services: Services,
           cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    if who.kind == "person" and cred is not None:
        auth.logout(services, cred.credentials)


class EnrollmentOut(BaseModel):
    id: str
    insutype: str
    psn_type: str
    insuplc_admdvs: str
    begndate: str
    enddate: str | None
    status: str
    has_personal_account: bool


class ProxyBrief(BaseModel):
    id: str
    subject_psn_no: str
    subject_name_masked: str
    relation: str
    status: str


class MeOut(BaseModel):
    kind: str
    psn_no: str | None = None
    name_masked: str | None = None
    certno_masked: str | None = None
    phone_masked: str | None = None
    enrollments: list[EnrollmentOut] = []
    proxies_held: list[ProxyBrief] = Field(
        [], description="Relatives this person may act for (亲情账户)")
    operator_id: str | None = None
    role: str | None = None


@router.get("/me", response_model=MeOut, summary="Who the token belongs to")
def me(who: Caller, services: Services) -> MeOut:
    m = auth.me(services, who)
    if m.person is None:
        return MeOut(kind=who.kind, operator_id=who.id, role=who.role)
    p = m.person
    return MeOut(kind="person", psn_no=p.psn_no, name_masked=p.name_masked,
                 certno_masked=p.certno_masked, phone_masked=p.phone_masked,
                 enrollments=[enrollment_out(e) for e in m.enrollments],
                 proxies_held=[ProxyBrief(id=x.id, subject_psn_no=x.subject_psn_no,
                                          subject_name_masked=x.subject_name_masked,
                                          relation=x.relation, status=x.status)
                               for x in m.proxies_held])


def enrollment_out(e: people.Enrollment) -> EnrollmentOut:
    return EnrollmentOut(id=e.id, insutype=e.insutype, psn_type=e.psn_type,
                         insuplc_admdvs=e.insuplc_admdvs, begndate=e.begndate.isoformat(),
                         enddate=e.enddate.isoformat() if e.enddate else None, status=e.status,
                         has_personal_account=e.has_personal_account)


class OutboxOut(BaseModel):
    id: str
    psn_no: str | None
    to_masked: str
    body: str
    created_at: datetime


@router.get("/outbox", response_model=list[OutboxOut], tags=["operators"],
            summary="Messages sent to persons (the default sender's outbox)")
def outbox(who: Operator, services: Services, psn_no: Psn | None = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[OutboxOut]:
    return [OutboxOut(id=m.id, psn_no=m.psn_no, to_masked=m.to_masked, body=m.body,
                      created_at=m.created_at)
            for m in auth.read_outbox(services, who, psn_no=psn_no, limit=limit)]
