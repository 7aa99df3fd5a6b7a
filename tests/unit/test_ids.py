import time
import uuid

import pytest

from gongji.domain.errors import GongjiError
from gongji.domain.ids import check_idempotency_key, new_code, new_id


def test_ids_are_uuid7_unique_and_ordered() -> None:
    ids = [new_id() for _ in range(20000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    u = uuid.UUID(ids[0])
    assert u.version == 7
    assert u.variant == uuid.RFC_4122


@pytest.mark.parametrize("key", ["a", "A-1_b.c:d", "x" * 64])
def test_good_keys(key: str) -> None:
    assert check_idempotency_key(key) == key


@pytest.mark.parametrize(("key", "code"), [
    (None, "IDEMPOTENCY_KEY_MISSING"), ("", "IDEMPOTENCY_KEY_MISSING"),
    ("x" * 65, "IDEMPOTENCY_KEY_INVALID"), ("has space", "IDEMPOTENCY_KEY_INVALID"),
    ("中文", "IDEMPOTENCY_KEY_INVALID"), ("a/b", "IDEMPOTENCY_KEY_INVALID"),
])
def test_bad_keys(key: str | None, code: str) -> None:
    with pytest.raises(GongjiError) as e:
        check_idempotency_key(key)
    assert e.value.code == code


def test_business_codes_are_time_then_random_in_crockford_base32() -> None:
    """new_code spells its 80 bits (48 of milliseconds, 32 random) as 16 Crockford digits,
    most significant first: decoded back, the time is the clock's, and codes sort by it."""
    digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    before = time.time_ns() // 1_000_000
    codes = [new_code("M") for _ in range(2000)]
    after = time.time_ns() // 1_000_000
    assert len(set(codes)) == len(codes)
    times = []
    for c in codes:
        assert len(c) == 17 and c[0] == "M" and set(c[1:]) <= set(digits)
        value = 0
        for ch in c[1:]:
            value = value * 32 + digits.index(ch)
        times.append(value >> 32)
    assert before <= times[0] and times == sorted(times) and times[-1] <= after
