"""JSON with exact decimals: numbers are read as Decimal and written as their exact digits,
never through a float. The gateway's messages and the conformance trail share it."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def loads(raw: bytes) -> Any:
    return json.loads(raw, parse_float=Decimal, parse_int=int)


def dumps(obj: Any, *, lenient: bool = False) -> str:
    """Like json.dumps, but a Decimal is written as its exact digits (a JSON number). Lenient
    (records of what a client sent): a non-finite number or an unknown value is written as its
    text instead of refused."""
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, Decimal):
        if lenient and not obj.is_finite():
            return json.dumps(str(obj))
        return format(obj, "f")
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, float) and lenient:
        return json.dumps(obj)
    if isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, datetime | date):
        return json.dumps(obj.isoformat())
    if isinstance(obj, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:"
                              f"{dumps(v, lenient=lenient)}" for k, v in obj.items()) + "}"
    if isinstance(obj, list | tuple):
        return "[" + ",".join(dumps(v, lenient=lenient) for v in obj) + "]"
    if lenient:
        return json.dumps(str(obj), ensure_ascii=False)
    raise TypeError(f"cannot encode {type(obj).__name__}")
