"""Field types at the HTTP edge: money travels as yuan strings, never as JSON numbers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from gongji.domain import dates
from gongji.domain.edge import plain, plain_any
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan, parse_yuan

MONEY_MAX_LENGTH = 20
"""Longer than any amount parse_yuan accepts (its limit, 10^13 fen, is "100000000000.00"): a
longer text is refused before it is parsed, and never echoed whole."""


def _field_error(e: GongjiError) -> PydanticCustomError:
    """A registry refusal as a pydantic error: api/errors.py renders it with its own code."""
    return PydanticCustomError("gongji", e.message_en.replace("{", "(").replace("}", ")"),
                               {"code": e.code, "zh": e.message})


def _money(allow_zero: bool, allow_negative: bool) -> Any:
    def parse(value: Any, info: ValidationInfo) -> int:
        field = info.field_name or "amount"
        if not isinstance(value, str):
            raise PydanticCustomError(
                "gongji", "amount must be a string of yuan such as \"2000.00\"",
                {"code": "MONEY_INVALID", "zh": "金额应为字符串形式的元，如 \"2000.00\""})
        if len(value) <= 4 * MONEY_MAX_LENGTH:
            value = plain(value)  # "２０００。００" as an input method types it
        if len(value) > MONEY_MAX_LENGTH:
            raise _field_error(GongjiError("MONEY_INVALID", field=field,
                                           value=value[:MONEY_MAX_LENGTH] + "…"))
        try:
            return parse_yuan(value, field=field, allow_zero=allow_zero,
                              allow_negative=allow_negative)
        except GongjiError as e:
            raise _field_error(e) from None

    return parse


_YUAN_SCHEMA = {"type": "string", "pattern": r"^-?(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$",
                "maxLength": MONEY_MAX_LENGTH,
                "examples": ["2000.00"], "description": "yuan, at most two decimals"}

Yuan = Annotated[int, BeforeValidator(_money(False, False)), WithJsonSchema(_YUAN_SCHEMA)]
"""A positive amount: "2000.00" in JSON, 200000 fen inside."""

YuanOut = Annotated[int, PlainSerializer(format_yuan, return_type=str),
                    WithJsonSchema({**_YUAN_SCHEMA, "description": "yuan, two decimals"})]
"""Fen inside, "2000.00" on the wire (negative amounts allowed: postings)."""


def _day(value: date, info: ValidationInfo) -> date:
    try:
        return dates.check_day(value, info.field_name or "date")
    except GongjiError as e:
        raise _field_error(e) from None


def _moment(value: datetime, info: ValidationInfo) -> datetime:
    try:
        return dates.check_moment(value, info.field_name or "time")
    except GongjiError as e:
        raise _field_error(e) from None


def _month(value: str, info: ValidationInfo) -> str:
    try:
        dates.month_span(value, info.field_name or "month")
    except GongjiError as e:
        raise _field_error(e) from None
    return value


_PLAIN = BeforeValidator(plain_any)
"""Full-width digits and letters, 。 and U+3000 made plain before the field's rules."""
PLAIN = _PLAIN
"""For a code field of a request model: `x: Annotated[str, PLAIN] = Field(...)`."""

_WINDOW = f"{dates.EARLIEST} to {dates.LATEST}"

# The schemas go in WithJsonSchema, not Field: FastAPI would read a Field on a query
# parameter's type as a body.
Day = Annotated[date, _PLAIN, AfterValidator(_day), WithJsonSchema(
    {"type": "string", "format": "date", "description": f"a date, {_WINDOW}"})]
"""A date in the calendar window (domain/dates.py); outside it DATE_OUT_OF_RANGE."""

Moment = Annotated[AwareDatetime, _PLAIN, AfterValidator(_moment), WithJsonSchema(
    {"type": "string", "format": "date-time",
     "description": f"a time with its zone (2026-11-24T22:00:00+08:00), {_WINDOW}"})]
"""An aware time whose day lies in the calendar window."""

Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}$"),
                  _PLAIN, AfterValidator(_month),
                  WithJsonSchema({"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$",
                                  "description": f"YYYY-MM, {_WINDOW}"})]
"""A month of the calendar window."""


Psn = Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9]+$",
                           description="psn_no: the person's number (人员编号)"), _PLAIN]
Admdvs = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="6-digit region code"),
                   _PLAIN]
Pin = Annotated[str, Field(min_length=4, max_length=12, description="payment PIN (支付密码)"),
                _PLAIN]
Certno = Annotated[str, Field(min_length=15, max_length=18,
                              description="resident ID number; sent in bodies, never in URLs"),
                   _PLAIN]


class In(BaseModel):
    """Request bodies refuse unknown fields: a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid")
