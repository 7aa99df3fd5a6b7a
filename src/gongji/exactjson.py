"""JSON with exact decimals: numbers are read as Decimal and written as their exact digits,
never through a float. The gateway's messages and the conformance trail share it."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64
"""How deeply a message may nest arrays and objects. The national messages go five deep; the
limit is checked before parsing, so a body nested 100,000 deep is refused by name instead of
exhausting the parser's stack."""

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class TooDeep(ValueError):
    """The body nests deeper than MAX_DEPTH."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit}")
        self.limit = limit


def depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, brackets inside strings not
    counted. Linear and in C but for one pass over the brackets themselves."""
    brackets = _STRINGS.sub(b"", raw).translate(None, _NOT_BRACKETS)
    opened = brackets.count(b"[") + brackets.count(b"{")
    if opened <= 1:
        return opened
    return max(accumulate(1 if b in b"[{" else -1 for b in brackets))


def loads(raw: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Numbers as Decimal (never a float); TooDeep (a ValueError) past max_depth."""
    if depth(raw) > max_depth:
        raise TooDeep(max_depth)
    return json.loads(raw, parse_float=Decimal, parse_int=_int)


def _int(text: str) -> int | Decimal:
    """An integer literal; one too long for int() (Python refuses over 4,300 digits) stays
    a Decimal, so the field it sits in is refused by name rather than the whole body."""
    return int(text) if len(text) <= 4000 else Decimal(text)


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
        if obj and abs(obj.adjusted()) > 40:
            return str(obj)  # 1E+999999 as written: its digits spelt out would be a megabyte
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
