"""Signing an institution's request: what the server checks (domain/institutions.py)."""

from __future__ import annotations

import secrets
import time

from gongji.domain.institutions import sign


def signed_headers(key_id: str, secret: str, method: str, path: str, body: bytes, *,
                   timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """The four X-Gongji-* headers for one request (a fresh nonce unless one is given)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    n = nonce or secrets.token_hex(12)
    return {"X-Gongji-Key": key_id, "X-Gongji-Timestamp": ts, "X-Gongji-Nonce": n,
            "X-Gongji-Signature": sign(secret, ts, n, method, path, body)}
