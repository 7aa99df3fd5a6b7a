"""The insurance code (医保码) as a signed, short-lived, single-use token.

Format: GJ1.{psn_no}.{expires epoch seconds}.{jti}.{signature}, the signature an HMAC-SHA256
(base64url, 128 bits) over everything before it. Valid until it expires (about a minute) and
only once: redemption records the jti. A screenshot is useless a minute later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
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


CODE, CERTNO, CARD = "01", "02", "03"
"""The national mdtrt_cert_type: 医保电子凭证 (the insurance code), 居民身份证, 社会保障卡."""
_CERTNO_SHAPE = re.compile(r"[0-9]{17}[0-9Xx]|[0-9]{15}")
_CARD_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9]{5,31}")


def recognise(text: str) -> str | None:
    """The credential type a pasted or scanned value clearly is, or None when it could be
    more than one: an insurance code starts "GJ1."; an ID number is 18 characters (17
    digits and a digit or X) or 15 digits; a social security card number starts with a
    letter ("A12345678")."""
    value = text.strip()
    if value.startswith(PREFIX + "."):
        return CODE
    if _CERTNO_SHAPE.fullmatch(value):
        return CERTNO
    if _CARD_SHAPE.fullmatch(value):
        return CARD
    return None
