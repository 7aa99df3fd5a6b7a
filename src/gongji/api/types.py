"""Field types at the HTTP edge: money travels as yuan strings, never as JSON numbers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan, parse_yuan


def _money(allow_zero: bool, allow_negative: bool) -> Any:
    def parse(value: Any, info: ValidationInfo) -> int:
        if not isinstance(value, str):
            raise PydanticCustomError(
                "gongji", "amount must be a string of yuan such as \"2000.00\"",
                {"code": "MONEY_INVALID", "zh": "金额应为字符串形式的元，如 \"2000.00\""})
        try:
            return parse_yuan(value, field=info.field_name or "amount",
                              allow_zero=allow_zero, allow_negative=allow_negative)
        except GongjiError as e:
            raise PydanticCustomError("gongji", e.message_en.replace("{", "(").replace("}", ")"),
                                      {"code": e.code, "zh": e.message}) from None

    return parse


_YUAN_SCHEMA = {"type": "string", "pattern": r"^-?(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$",
                "examples": ["2000.00"], "description": "yuan, at most two decimals"}

Yuan = Annotated[int, BeforeValidator(_money(False, False)), WithJsonSchema(_YUAN_SCHEMA)]
"""A positive amount: "2000.00" in JSON, 200000 fen inside."""

YuanOut = Annotated[int, PlainSerializer(format_yuan, return_type=str),
                    WithJsonSchema({**_YUAN_SCHEMA, "description": "yuan, two decimals"})]
"""Fen inside, "2000.00" on the wire (negative amounts allowed: postings)."""


Psn = Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9]+$",
                           description="psn_no: the person's number (人员编号)")]
Admdvs = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="6-digit region code")]
Pin = Annotated[str, Field(min_length=4, max_length=12, description="payment PIN (支付密码)")]
Certno = Annotated[str, Field(min_length=15, max_length=18,
                              description="resident ID number; sent in bodies, never in URLs")]


class In(BaseModel):
    """Request bodies refuse unknown fields: a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid")
