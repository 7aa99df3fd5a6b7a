"""The notification schedule's boundaries and the signature (domain/notify.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gongji.client.notify import verify_signature
from gongji.domain.notify import MAX_ATTEMPTS, RETRY_SECONDS, retry_after, sign, signing_text


def test_the_schedule_is_the_channels_one() -> None:
    minutes = [s / 60 for s in RETRY_SECONDS]
    assert minutes == [0.25, 0.25, 0.5, 3, 10, 20, 30, 30, 30, 60, 180, 180, 180, 360, 360]
    assert MAX_ATTEMPTS == 16
    assert sum(RETRY_SECONDS) == 24 * 3600 + 4 * 60  # a day and four minutes in all


def test_first_and_last_waits_then_give_up() -> None:
    assert retry_after(1) == timedelta(seconds=15)
    assert retry_after(2) == timedelta(seconds=15)
    assert retry_after(3) == timedelta(seconds=30)
    assert retry_after(4) == timedelta(minutes=3)
    assert retry_after(10) == timedelta(hours=1)
    assert retry_after(11) == timedelta(hours=3)
    assert retry_after(14) == timedelta(hours=6)
    assert retry_after(15) == timedelta(hours=6)
    assert retry_after(16) is None
    assert retry_after(17) is None


@pytest.mark.parametrize("failures", [0, -1])
def test_no_wait_before_a_failure(failures: int) -> None:
    with pytest.raises(ValueError):
        retry_after(failures)


def test_signature_covers_timestamp_id_and_body() -> None:
    body = b'{"notifyId":"n1","ordStas":"2"}'
    assert signing_text(1764900000, "n1", body) == b"1764900000\nn1\n" + body
    s = sign("k" * 64, "1764900000", "n1", body)
    assert len(s) == 64 and s == s.lower()
    assert verify_signature("k" * 64, "1764900000", "n1", body, s)
    assert verify_signature("k" * 64, 1764900000, "n1", body.decode(), s.upper())
    assert not verify_signature("j" * 64, "1764900000", "n1", body, s)
    assert not verify_signature("k" * 64, "1764900001", "n1", body, s)
    assert not verify_signature("k" * 64, "1764900000", "n2", body, s)
    assert not verify_signature("k" * 64, "1764900000", "n1", body + b" ", s)
    assert not verify_signature("k" * 64, "1764900000", "n1", body, "签名")
    assert not verify_signature("k" * 64, "1764900000", "n1", body, "")
