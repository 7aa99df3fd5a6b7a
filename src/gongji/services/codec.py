"""Commands and results as plain JSON, and back: what idempotency records and stored
settlements keep. One TypeAdapter per type, built once."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter


@cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def to_json(value: Any, tp: Any) -> Any:
    return _adapter(tp).dump_python(value, mode="json")


def from_json(data: Any, tp: Any) -> Any:
    return _adapter(tp).validate_python(data)
