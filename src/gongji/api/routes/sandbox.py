"""The sandbox test clock (only with `gongji serve --sandbox`, on in `gongji demo`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from gongji.api.deps import Operator, Services
from gongji.api.types import In, Moment
from gongji.services.sandbox import service as sandbox

router = APIRouter(prefix="/api/v1/sandbox", tags=["sandbox"])


class ClockOut(BaseModel):
    now: datetime
    returned_holds: list[str] = Field([], description="Holds that came due and were returned")


class MoveIn(In):
    set: Moment | None = Field(None, description="Jump to this moment (forward only)")
    advance_seconds: int | None = Field(None, ge=0, le=366 * 86400)

    @model_validator(mode="after")
    def _one(self) -> MoveIn:
        if (self.set is None) == (self.advance_seconds is None):
            raise ValueError("give exactly one of set or advance_seconds")
        return self


@router.get("/clock", response_model=ClockOut, summary="The sandbox business time")
def get_clock(who: Operator, services: Services) -> ClockOut:
    return ClockOut(now=sandbox.now(services, who))


@router.post("/clock", response_model=ClockOut,
             summary="Set or advance the sandbox clock; due transfers return at once")
def move_clock(body: MoveIn, who: Operator, services: Services) -> ClockOut:
    now, returned = sandbox.move(services, who, to=body.set, seconds=body.advance_seconds)
    return ClockOut(now=now, returned_holds=returned)
