"""JSON in and out with exact decimals: amounts arrive and leave as JSON numbers (16,2), and
never pass through a float."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def loads(raw: bytes) -> Any:
    return json.loads(raw, parse_float=Decimal, parse_int=int)


def dumps(obj: Any) -> str:
    """Like json.dumps, but a Decimal is written as its exact digits (a JSON number)."""
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, Decimal):
        return format(obj, "f")
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, datetime | date):
        return json.dumps(obj.isoformat())
    if isinstance(obj, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{dumps(v)}"
                              for k, v in obj.items()) + "}"
    if isinstance(obj, list | tuple):
        return "[" + ",".join(dumps(v) for v in obj) + "]"
    raise TypeError(f"cannot encode {type(obj).__name__}")


def yuan(fen: int | None) -> Decimal | None:
    """Fen as a 16,2 number."""
    return None if fen is None else Decimal(fen).scaleb(-2)
