"""Money: an integer count of fen (分) inside, a yuan string with two decimals at the edges.

Why integers: every published amount is in fen, the ledger must balance exactly, and a float
cannot hold 0.1 yuan. Parsing is strict so that a typo is refused rather than guessed at.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from gongji.domain.errors import GongjiError

FEN_PER_YUAN = 100
MAX_FEN = 10**13
"""Largest amount accepted anywhere (100 billion yuan): far above any real account or claim,
far below 2**63, so sums of many amounts cannot overflow a database BIGINT."""

_YUAN = re.compile(r"(?P<sign>-?)(?P<int>0|[1-9][0-9]{0,11})(?:\.(?P<frac>[0-9]{1,2}))?")


def parse_yuan(text: str, *, field: str = "amount", allow_negative: bool = False,
               allow_zero: bool = False) -> int:
    """Parse "2000.00" (or "2000", "2000.5") into fen, refusing anything ambiguous.

    Refused: more than two decimals, exponents, signs other than a leading "-", spaces,
    thousands separators, full-width digits, negatives unless allowed, zero unless allowed,
    and values past MAX_FEN.
    """
    if not isinstance(text, str):
        raise GongjiError("MONEY_INVALID", field=field, value=repr(text))
    m = _YUAN.fullmatch(text)
    if m is None:
        if re.fullmatch(r"-?[0-9]+\.[0-9]{3,}", text):
            raise GongjiError("MONEY_TOO_PRECISE", field=field, value=text)
        raise GongjiError("MONEY_INVALID", field=field, value=text)
    fen = int(m["int"]) * FEN_PER_YUAN + int((m["frac"] or "0").ljust(2, "0"))
    if m["sign"]:
        fen = -fen
    return check_fen(fen, field=field, allow_negative=allow_negative, allow_zero=allow_zero)


def from_decimal(value: Decimal, *, field: str = "amount", allow_negative: bool = False,
                 allow_zero: bool = True) -> int:
    """Exact Decimal yuan (as the national interface's 16,2 JSON numbers parse) into fen."""
    try:
        scaled = value * FEN_PER_YUAN
        if not value.is_finite() or scaled != scaled.to_integral_value():
            raise GongjiError("MONEY_TOO_PRECISE", field=field, value=str(value))
    except InvalidOperation:
        raise GongjiError("MONEY_INVALID", field=field, value=str(value)) from None
    return check_fen(int(scaled), field=field, allow_negative=allow_negative,
                     allow_zero=allow_zero)


def check_fen(fen: int, *, field: str = "amount", allow_negative: bool = False,
              allow_zero: bool = True) -> int:
    """Validate an amount already in fen (bool and float are refused: they are not money)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise GongjiError("MONEY_INVALID", field=field, value=repr(fen))
    if abs(fen) > MAX_FEN:
        raise GongjiError("MONEY_OVERFLOW", field=field, value=format_yuan_unchecked(fen),
                          limit=format_yuan(MAX_FEN))
    if fen < 0 and not allow_negative:
        raise GongjiError("MONEY_NEGATIVE", field=field, value=format_yuan(fen))
    if fen == 0 and not allow_zero:
        raise GongjiError("MONEY_ZERO", field=field)
    return fen


def format_yuan(fen: int) -> str:
    """2000_00 fen -> "2000.00"; -1 -> "-0.01". Always two decimals, no separators."""
    check_fen(fen, allow_negative=True)
    return format_yuan_unchecked(fen)


def format_yuan_unchecked(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{part:02d}"


def to_decimal(fen: int) -> Decimal:
    """Fen as an exact two-decimal Decimal (for JSON numbers at the national interface)."""
    return Decimal(fen).scaleb(-2)


def apply_ratio(fen: int, ratio: Fraction | Decimal | int) -> int:
    """fen x ratio rounded half up to a whole fen: the one rounding rule for published steps.

    Half up means away from zero for positive amounts (0.5 fen -> 1 fen); negative amounts
    round symmetrically, so a reversal mirrors its original exactly.
    """
    exact = Fraction(fen) * Fraction(ratio)
    sign = -1 if exact < 0 else 1
    q, r = divmod(abs(exact.numerator), exact.denominator)
    if 2 * r >= exact.denominator:
        q += 1
    return sign * q


def round_half_up(value: Decimal) -> int:
    """A Decimal count of fen rounded half up (away from zero) to an integer."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
