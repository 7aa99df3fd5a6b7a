"""Field types at the HTTP edge: money travels as yuan strings, never as JSON numbers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo, WithJsonSchema
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
