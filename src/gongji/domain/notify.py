"""Notifications to institutions: when to try again, when to give up, and how a notification
is signed. Pure rules; the delivery itself is services/notify.

The schedule is the one Chinese payment channels use for their callbacks: a first attempt at
once, then 15 retries over about a day (15 s, 15 s, 30 s, 3 min, 10 min, 20 min, 30 min,
30 min, 30 min, 60 min, 3 h, 3 h, 3 h, 6 h, 6 h). After the 16th failed attempt the
notification is given up: the institution can still query the order (6301).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

RETRY_SECONDS: tuple[int, ...] = (
    15, 15, 30, 3 * 60, 10 * 60, 20 * 60, 30 * 60, 30 * 60, 30 * 60, 60 * 60,
    3 * 3600, 3 * 3600, 3 * 3600, 6 * 3600, 6 * 3600,
)
"""The wait after the 1st, 2nd, ... 15th failed attempt."""

MAX_ATTEMPTS = len(RETRY_SECONDS) + 1
"""Attempts in all (the first and its 15 retries) before a notification is given up."""

GAVE_UP = "gave up"
"""last_error of a notification given up."""

NEVER = datetime(2999, 12, 31, tzinfo=UTC)
"""next_at of a notification given up: no deliverer picks it again."""


def retry_after(failures: int) -> timedelta | None:
    """The wait before the next attempt once `failures` attempts have failed (1 = the first
    attempt failed), or None: give up. failures must be at least 1."""
    if failures < 1:
        raise ValueError("retry_after: at least one attempt must have failed")
    if failures > len(RETRY_SECONDS):
        return None
    return timedelta(seconds=RETRY_SECONDS[failures - 1])


def signing_text(timestamp: str | int, notify_id: str, body: bytes) -> bytes:
    """What the signature covers: f"{timestamp}\\n{notifyId}\\n{body}" (body as sent)."""
    return f"{timestamp}\n{notify_id}\n".encode() + body


def sign(key: str, timestamp: str | int, notify_id: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of signing_text under the institution's pay key (its text,
    UTF-8 encoded)."""
    return hmac.new(key.encode(), signing_text(timestamp, notify_id, body),
                    hashlib.sha256).hexdigest()


def verify(key: str, timestamp: str | int, notify_id: str, body: bytes, signature: str) -> bool:
    """Whether signature is sign(key, ...), compared in constant time."""
    return hmac.compare_digest(sign(key, timestamp, notify_id, body).encode(),
                               signature.strip().lower().encode())
