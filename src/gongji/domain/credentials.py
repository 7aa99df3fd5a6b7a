"""The insurance code (医保码) as a signed, short-lived, single-use token.

Format: GJ1.{psn_no}.{expires epoch seconds}.{jti}.{signature}, the signature an HMAC-SHA256
(base64url, 128 bits) over everything before it. Valid until it expires (about a minute) and
only once: redemption records the jti. A screenshot is useless a minute later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import GongjiError

PREFIX = "GJ1"


@dataclass(frozen=True, slots=True)
class CodeToken:
    token: str
    psn_no: str
    jti: str
    expires_at: datetime


def _sign(secret: bytes, body: str) -> str:
    mac = hmac.new(secret, body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def issue(secret: bytes, psn_no: str, now: datetime, ttl_seconds: int) -> CodeToken:
    expires = now + timedelta(seconds=ttl_seconds)
    jti = secrets.token_hex(8)
    body = f"{PREFIX}.{psn_no}.{int(expires.timestamp())}.{jti}"
    return CodeToken(f"{body}.{_sign(secret, body)}", psn_no, jti,
                     datetime.fromtimestamp(int(expires.timestamp()), SHANGHAI))


def read(secret: bytes, token: str, now: datetime, *, allow_expired: bool = False) -> CodeToken:
    """The token's contents if it is ours, unaltered and unexpired (not yet checked: used).
    allow_expired: for recognising a code already used to open a visit."""
    parts = token.split(".") if isinstance(token, str) and len(token) < 200 else []
    if len(parts) != 5 or parts[0] != PREFIX or not parts[2].isdigit():
        raise GongjiError("CREDENTIAL_INVALID")
    body = ".".join(parts[:4])
    if not hmac.compare_digest(_sign(secret, body), parts[4]):
        raise GongjiError("CREDENTIAL_INVALID")
    expires = datetime.fromtimestamp(int(parts[2]), SHANGHAI)
    if now >= expires and not allow_expired:
        raise GongjiError("CREDENTIAL_EXPIRED")
    return CodeToken(token, parts[1], parts[3], expires)
