"""Designated institutions (定点医药机构) and how their requests are signed.

A request is signed with HMAC-SHA256 over timestamp, nonce, method, path and the SHA-256 of
the body; it is accepted within a window around the server's wall clock, and each nonce once.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from gongji.domain.errors import GongjiError

_CODE = re.compile(r"[HP][0-9]{11}")
LEVELS = {"0": "未定级/药店 unrated or pharmacy", "1": "一级 primary", "2": "二级 secondary",
          "3": "三级 tertiary"}


def check_code(code: str) -> str:
    """H + 11 digits for a medical institution, P + 11 digits for a pharmacy."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise GongjiError("INSTITUTION_CODE_INVALID", code=str(code)[:20])
    return code


def kind_of(code: str) -> str:
    """fixmedins_type: 1 medical institution, 2 retail pharmacy."""
    return "1" if code.startswith("H") else "2"


def string_to_sign(timestamp: str, nonce: str, method: str, path: str, body: bytes) -> bytes:
    return "\n".join([timestamp, nonce, method.upper(), path,
                      hashlib.sha256(body).hexdigest()]).encode()


def sign(secret: str, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    return hmac.new(bytes.fromhex(secret), string_to_sign(timestamp, nonce, method, path, body),
                    hashlib.sha256).hexdigest()


def check_signature(secret: str, signature: str, *, timestamp: str, nonce: str, method: str,
                    path: str, body: bytes, now_epoch: int, window_seconds: int) -> None:
    """Refuse a malformed, stale, future or forged signature (the nonce is checked apart)."""
    if not timestamp.isdigit() or not re.fullmatch(r"[A-Za-z0-9_\-]{8,64}", nonce):
        raise GongjiError("SIGNATURE_INVALID", reason="timestamp or nonce malformed")
    if abs(now_epoch - int(timestamp)) > window_seconds:
        raise GongjiError("SIGNATURE_EXPIRED", window=window_seconds)
    expected = sign(secret, timestamp, nonce, method, path, body)
    if not hmac.compare_digest(expected, signature.lower()):
        raise GongjiError("SIGNATURE_INVALID", reason="signature does not match")
