"""exactjson: nesting measured before parsing, integer literals past int()'s limit kept as
numbers, and a far exponent written as written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.exactjson import MAX_DEPTH, TooDeep, depth, dumps, loads


@pytest.mark.parametrize(("text", "deep"), [
    (b"1", 0), (b'"[[["', 0), (b"{}", 1), (b"[{}]", 2), (b'[{"a": "]]]}}}"}, [[]]]', 3),
    (b'["\\"[[["]', 1), (b"[" * 100_000, 100_000),
])
def test_depth_counts_brackets_outside_strings(text: bytes, deep: int) -> None:
    assert depth(text) == deep


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(alphabet='[]{}"\\ab', max_size=3), inner, max_size=3), max_leaves=20)


def nesting(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((nesting(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((nesting(v) for v in value.values()), default=0)
    return 0


@given(json_values)
def test_depth_is_the_nesting_of_what_parses(value: object) -> None:
    assert depth(dumps(value).encode()) == nesting(value)


def test_loads_refuses_past_the_limit_and_takes_the_limit_itself() -> None:
    assert loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(TooDeep) as e:
        loads(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert e.value.limit == MAX_DEPTH and isinstance(e.value, ValueError)


def test_an_integer_past_int_limits_stays_a_number() -> None:
    assert loads(b"[" + b"9" * 5000 + b"]") == [Decimal("9" * 5000)]
    assert loads(b"[12]") == [12] and isinstance(loads(b"12"), int)


def test_a_far_exponent_is_written_as_written() -> None:
    assert dumps(Decimal("1e999999")) == "1E+999999"
    assert loads(dumps([Decimal("1e-999999")]).encode()) == [Decimal("1e-999999")]
    assert dumps(Decimal("-1E+3")) == "-1000" and dumps(Decimal("12.30")) == "12.30"
