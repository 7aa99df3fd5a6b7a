import uuid

import pytest

from gongji.domain.errors import GongjiError
from gongji.domain.ids import check_idempotency_key, new_id


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
