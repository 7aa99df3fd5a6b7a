from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.domain.errors import GongjiError
from gongji.domain.money import (
    MAX_FEN,
    apply_ratio,
    check_fen,
    format_yuan,
    from_decimal,
    parse_yuan,
)


@pytest.mark.parametrize(("text", "fen"), [
    ("2000.00", 200000), ("2000", 200000), ("2000.5", 200050), ("0.01", 1), ("0.1", 10),
    ("2000.01", 200001), ("100000000000.00", MAX_FEN),
])
def test_parse_accepts(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(("text", "code"), [
    ("2000.001", "MONEY_TOO_PRECISE"), ("0.005", "MONEY_TOO_PRECISE"),
    ("1e3", "MONEY_INVALID"), (" 2000", "MONEY_INVALID"), ("2000 ", "MONEY_INVALID"),
    ("+5", "MONEY_INVALID"), ("2,000.00", "MONEY_INVALID"), ("２０００", "MONEY_INVALID"),
    ("", "MONEY_INVALID"), ("01.00", "MONEY_INVALID"), (".5", "MONEY_INVALID"),
    ("5.", "MONEY_INVALID"), ("NaN", "MONEY_INVALID"), ("¥5", "MONEY_INVALID"),
    ("-1.00", "MONEY_NEGATIVE"), ("0.00", "MONEY_ZERO"), ("0", "MONEY_ZERO"),
    ("100000000000.01", "MONEY_OVERFLOW"), ("999999999999.99", "MONEY_OVERFLOW"),
])
def test_parse_refuses(text: str, code: str) -> None:
    with pytest.raises(GongjiError) as e:
        parse_yuan(text)
    assert e.value.code == code


def test_parse_refuses_non_strings() -> None:
    for bad in (2000.0, 2000, None, Decimal("1")):
        with pytest.raises(GongjiError) as e:
            parse_yuan(bad)  # type: ignore[arg-type]
        assert e.value.code == "MONEY_INVALID"


def test_parse_negative_and_zero_when_allowed() -> None:
    assert parse_yuan("-0.01", allow_negative=True) == -1
    assert parse_yuan("0.00", allow_zero=True) == 0


def test_error_names_the_field_in_both_languages() -> None:
    with pytest.raises(GongjiError) as e:
        parse_yuan("1.234", field="medfee_sumamt")
    # the field's label in each language (issue 18, point 4); detail keeps its name
    assert e.value.message == "医疗费用总额最多两位小数：1.234"
    assert e.value.message_en == "total medical fees has more than two decimals: 1.234"
    assert e.value.body()["detail"]["field"] == "medfee_sumamt"


@pytest.mark.parametrize(("fen", "text"), [
    (0, "0.00"), (1, "0.01"), (10, "0.10"), (200000, "2000.00"), (-1, "-0.01"),
    (-200050, "-2000.50"), (MAX_FEN, "100000000000.00"),
])
def test_format(fen: int, text: str) -> None:
    assert format_yuan(fen) == text


def test_format_refuses_overflow_and_floats() -> None:
    with pytest.raises(GongjiError):
        format_yuan(MAX_FEN + 1)
    with pytest.raises(GongjiError):
        check_fen(1.0)  # type: ignore[arg-type]
    with pytest.raises(GongjiError):
        check_fen(True)


@given(st.integers(min_value=-MAX_FEN, max_value=MAX_FEN))
def test_format_parse_round_trip(fen: int) -> None:
    assert parse_yuan(format_yuan(fen), allow_negative=True, allow_zero=True) == fen


@pytest.mark.parametrize(("value", "fen"), [
    (Decimal("12.34"), 1234), (Decimal("12.3"), 1230), (Decimal("12"), 1200),
    (Decimal("12.340000"), 1234), (Decimal("0"), 0),
])
def test_from_decimal(value: Decimal, fen: int) -> None:
    assert from_decimal(value) == fen


@pytest.mark.parametrize("value", [Decimal("12.345"), Decimal("NaN"), Decimal("Infinity")])
def test_from_decimal_refuses(value: Decimal) -> None:
    with pytest.raises(GongjiError):
        from_decimal(value)


@pytest.mark.parametrize(("fen", "ratio", "expected"), [
    (100, Fraction(1, 2), 50),
    (1, Fraction(1, 2), 1),         # 0.5 fen rounds up
    (3, Fraction(1, 2), 2),         # 1.5 -> 2
    (1, Fraction(49, 100), 0),      # 0.49 -> 0
    (-1, Fraction(1, 2), -1),       # symmetric: a reversal mirrors its original
    (-3, Fraction(1, 2), -2),
    (12345, Decimal("0.85"), 10493),  # 10493.25
    (12346, Decimal("0.85"), 10494),  # 10494.1
    (10, Decimal("0.05"), 1),         # 0.5 -> 1
])
def test_apply_ratio_half_up(fen: int, ratio: Fraction | Decimal, expected: int) -> None:
    assert apply_ratio(fen, ratio) == expected


@given(st.integers(min_value=0, max_value=MAX_FEN),
       st.fractions(min_value=0, max_value=1, max_denominator=10000))
def test_apply_ratio_bounds(fen: int, ratio: Fraction) -> None:
    got = apply_ratio(fen, ratio)
    exact = Fraction(fen) * ratio
    assert abs(Fraction(got) - exact) <= Fraction(1, 2)
    assert apply_ratio(-fen, ratio) == -got
