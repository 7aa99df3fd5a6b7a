"""The conformance kit for HIS vendors (operators): record an institution's gateway messages
for a while, then read per infno what was refused and what was tolerated, and the recorded
requests with personal data masked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from gongji.api.deps import IdempotencyKey, Operator, Services, replay_header
from gongji.api.types import In, Moment
from gongji.services.conformance import service as conformance
from gongji.services.conformance.model import (
    ConformanceReport,
    InfnoReport,
    RecordedMessage,
)

router = APIRouter(prefix="/api/v1", tags=["conformance kit"])


class RecordingIn(In):
    minutes: int = Field(description="Record the institution's gateway messages for this "
                                     "many minutes from now (1-10080); 0 stops recording")


class RecordingOut(BaseModel):
    fixmedins_code: str
    recording: bool
    until: datetime | None = Field(description="Messages are recorded until then (business "
                                               "time); null when off")
    set_at: datetime


class RefusedOut(BaseModel):
    code: str
    field: str | None
    message: str
    message_en: str


class RefusalOut(RefusedOut):
    count: int = Field(description="Messages refused with this code on this field")


class ToleranceOut(BaseModel):
    field: str
    message: str = Field(description="What was accepted that the specification does not name")
    message_en: str
    count: int


class InfnoOut(BaseModel):
    infno: str | None = Field(description="null: refused before the infno could be read")
    sent: int
    ok: int = Field(description="Answered infcode 0")
    refused: int
    refusals: list[RefusalOut]
    tolerances: list[ToleranceOut]


class ConformanceOut(BaseModel):
    fixmedins_code: str
    since: datetime | None
    at: datetime = Field(description="When the report was made (business time)")
    recording_until: datetime | None = Field(description="Record mode is on until then")
    sent: int
    ok: int
    refused: int
    transactions: list[InfnoOut]


class DeviationOut(BaseModel):
    field: str
    message: str
    message_en: str


class RecordedOut(BaseModel):
    id: str
    received_at: datetime
    infno: str | None
    msgid: str | None
    path: str
    scheme: str
    infcode: int
    refusal: RefusedOut | None
    deviations: list[DeviationOut]
    raw: str | None = Field(description="The request envelope as JSON text (amounts with "
                                        "their exact digits), ID numbers, names, phones and "
                                        "addresses masked; cut at 64 KiB with a marker")
    raw_bytes: int
    truncated: bool


@router.put("/institutions/{code}/recording", response_model=RecordingOut,
            summary="Turn record mode on for an institution's gateway messages (minutes), or "
                    "off (0)")
def set_recording(code: str, body: RecordingIn, who: Operator, services: Services,
                  response: Response, key: IdempotencyKey = None) -> RecordingOut:
    w = conformance.record(services, who, key, code, minutes=body.minutes)
    replay_header(response, w)
    r = w.value
    return RecordingOut(fixmedins_code=r.fixmedins_code, recording=r.until is not None,
                        until=r.until, set_at=r.set_at)


@router.get("/institutions/{code}/conformance", response_model=ConformanceOut,
            summary="Per infno: messages sent, answered, refused (by code and field) and the "
                    "forms tolerated, from the recorded messages")
def get_conformance(code: str, who: Operator, services: Services,
                    since: Moment | None = None) -> ConformanceOut:
    return _report(conformance.report(services, who, code, since=since))


@router.get("/institutions/{code}/recorded-messages", response_model=list[RecordedOut],
            summary="The recorded requests of an institution, masked, newest first")
def recorded_messages(code: str, who: Operator, services: Services,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[RecordedOut]:
    return [_recorded(m) for m in conformance.messages(services, who, code, limit=limit)]


def _report(r: ConformanceReport) -> ConformanceOut:
    return ConformanceOut(fixmedins_code=r.fixmedins_code, since=r.since, at=r.at,
                          recording_until=r.recording_until, sent=r.sent, ok=r.ok,
                          refused=r.refused, transactions=[_infno(t) for t in r.transactions])


def _infno(t: InfnoReport) -> InfnoOut:
    return InfnoOut(
        infno=t.infno, sent=t.sent, ok=t.ok, refused=t.refused,
        refusals=[RefusalOut(code=x.code, field=x.field, message=x.zh, message_en=x.en,
                             count=x.count) for x in t.refusals],
        tolerances=[ToleranceOut(field=x.field, message=x.zh, message_en=x.en, count=x.count)
                    for x in t.tolerances])


def _recorded(m: RecordedMessage) -> RecordedOut:
    refusal = None if m.refusal_code is None else RefusedOut(
        code=m.refusal_code, field=m.refusal_field, message=m.refusal_zh or "",
        message_en=m.refusal_en or "")
    return RecordedOut(
        id=m.id, received_at=m.received_at, infno=m.infno, msgid=m.msgid, path=m.path,
        scheme=m.scheme, infcode=m.infcode, refusal=refusal,
        deviations=[DeviationOut(field=d.field, message=d.zh, message_en=d.en)
                    for d in m.deviations],
        raw=m.raw, raw_bytes=m.raw_bytes, truncated=m.truncated)
