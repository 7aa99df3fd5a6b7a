"""Checking a notification gongji sent to an institution (an order's state changed).

The POST carries the headers X-Gongji-Notify-Id, X-Gongji-Timestamp (Unix seconds, real time)
and X-Gongji-Signature: lower-case hex HMAC-SHA256 over f"{timestamp}\\n{notifyId}\\n{body}"
under the institution's pay key. Check the signature over the raw body bytes before parsing
it; answer 2xx once the notification is stored; deduplicate by notifyId (a notification may
come more than once: after a lost answer, or two deliverers racing past a lease).
"""

from __future__ import annotations

from gongji.domain.notify import verify


def verify_signature(key: str, timestamp: str | int, notify_id: str, body: bytes | str,
                     signature: str) -> bool:
    """True when signature is what gongji signs for this body with this pay key (constant-time
    compare). body: the raw request body (bytes), or its text."""
    raw = body.encode() if isinstance(body, str) else body
    try:
        return verify(key, timestamp, notify_id, raw, signature)
    except (TypeError, ValueError):  # a non-ASCII signature header
        return False
