"""JSON in and out with exact decimals: amounts arrive and leave as JSON numbers (16,2), and
never pass through a float."""

from __future__ import annotations

from decimal import Decimal

from gongji.exactjson import TooDeep, dumps, loads

__all__ = ["TooDeep", "dumps", "loads", "yuan"]


def yuan(fen: int | None) -> Decimal | None:
    """Fen as a 16,2 number."""
    return None if fen is None else Decimal(fen).scaleb(-2)
