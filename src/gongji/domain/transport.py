"""How a designated institution's system reaches the gateway: its transport profile.

Real hospital systems do not sign with gongji's own scheme. They reach the national platform
through a provincial front gateway (TIF headers), a provincial service bus (`_api_*` HMAC),
or an OAuth2 password-grant token, and some deployments encrypt the input with SM4 and sign
with SM2. An operator sets, per institution, which of these it speaks, how infcode is
written back (a number, as the specification has it, or the string a relay compares with),
and whether a relay leaves envelope fields to be filled from the registration.

Every signature here is computed over text the scheme itself defines; docs/GATEWAY.md shows
each with a worked example, and the tests recompute them independently.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from gongji.domain.errors import Bi, GongjiError, missing

Scheme = Literal["gongji", "tif", "esb", "oauth2"]
SCHEMES: Mapping[Scheme, str] = {
    "gongji": "gongji HMAC-SHA256 (X-Gongji-*)",
    "tif": "国家医保前置网关 TIF headers (x-tif-*)",
    "esb": "省级服务总线 service bus (_api_* HMAC-SHA1)",
    "oauth2": "OAuth2 password grant + Bearer",
}
InfcodeAs = Literal["number", "string"]

WINDOW_SECONDS = 300
"""How far a request's timestamp may be from the server's wall clock, either way."""
TOKEN_SECONDS = 7200
"""How long an OAuth2 access token lives (the platforms' usual two hours)."""
_NONCE = re.compile(r"[A-Za-z0-9_\-]{8,64}")


@dataclass(frozen=True, slots=True)
class Profile:
    """An institution's transport profile (the default: gongji HMAC, infcode a number)."""

    scheme: Scheme = "gongji"
    infcode_as: InfcodeAs = "number"
    relay: bool = False
    """A relay sends the envelope without fixmedins_code, opter_type, opter and inf_time;
    they are filled from the institution's registration and the arrival time."""
    relay_opter: str = "relay"
    """The operator code a relay's messages are recorded under."""
    encrypted: bool = False
    """SM4-encrypted input and output, SM2-signed messages (keys: an `sm` credential)."""

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise GongjiError("VALIDATION_ERROR", fields="scheme")
        if self.infcode_as not in ("number", "string"):
            raise GongjiError("VALIDATION_ERROR", fields="infcode_as")
        if not self.relay_opter:
            raise missing("relay_opter")
        if len(self.relay_opter) > 30:
            raise GongjiError("VALIDATION_ERROR", fields="relay_opter", rule=Bi(
                "太长：最多 30 个字符", "too long: at most 30 characters"))


CredentialKind = Literal["tif", "esb", "oauth2", "sm"]
CREDENTIAL_KINDS: tuple[CredentialKind, ...] = ("tif", "esb", "oauth2", "sm")


def fresh(timestamp: str, *, now_epoch: int, unit: Literal["s", "ms"] = "s") -> None:
    """Refuse a malformed timestamp or one outside the window around the wall clock."""
    if not timestamp.isdigit() or len(timestamp) > 16:
        raise GongjiError("SIGNATURE_INVALID", reason="timestamp malformed")
    seconds = int(timestamp) // (1000 if unit == "ms" else 1)
    if abs(now_epoch - seconds) > WINDOW_SECONDS:
        raise GongjiError("SIGNATURE_EXPIRED", window=WINDOW_SECONDS)


def check_nonce(nonce: str) -> None:
    if not _NONCE.fullmatch(nonce):
        raise GongjiError("SIGNATURE_INVALID", reason="nonce malformed")


def same(expected: str, given: str) -> None:
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise GongjiError("SIGNATURE_INVALID", reason="signature does not match")


# -- TIF: the national front gateway ------------------------------------------------------------

def tif_signature(timestamp: str, token: str, nonce: str) -> str:
    """x-tif-signature: hex SHA-256 of timestamp + token + nonce + timestamp."""
    return hashlib.sha256(f"{timestamp}{token}{nonce}{timestamp}".encode()).hexdigest()


def check_tif(token: str, *, timestamp: str, nonce: str, signature: str,
              now_epoch: int) -> None:
    """The TIF headers hold: fresh (Unix seconds), a well-formed nonce, the digest matches
    (lower or upper case hex). The body is not covered: that is the scheme's own property."""
    fresh(timestamp, now_epoch=now_epoch)
    check_nonce(nonce)
    same(tif_signature(timestamp, token, nonce), signature.lower())


# -- the provincial service bus -------------------------------------------------------------------

ESB_SIGNED = ("_api_access_key", "_api_name", "_api_nonce", "_api_timestamp", "_api_version")
"""The bus's fields that enter its signature (a nonce only when sent)."""


def esb_string(fields: Mapping[str, str]) -> str:
    """The bus's text to sign: its fields sorted by name, `name=value` joined by `&`."""
    return "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k in ESB_SIGNED
                    and fields[k] != "")


def esb_signature(secret: str, fields: Mapping[str, str]) -> str:
    """_api_signature: base64 of HMAC-SHA1(secret, esb_string(fields))."""
    digest = hmac.new(secret.encode(), esb_string(fields).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def check_esb(secret: str, fields: Mapping[str, str], *, signature: str,
              now_epoch: int) -> None:
    """_api_timestamp is Unix milliseconds; the signature is compared as sent (base64)."""
    for name in ("_api_name", "_api_version"):
        if not fields.get(name):
            raise GongjiError("SIGNATURE_INVALID", reason=f"{name} missing")
    fresh(fields.get("_api_timestamp", ""), now_epoch=now_epoch, unit="ms")
    if fields.get("_api_nonce"):
        check_nonce(fields["_api_nonce"])
    same(esb_signature(secret, fields), signature)


# -- OAuth2 ----------------------------------------------------------------------------------

def token_digest(token: str) -> str:
    """Tokens are kept as their SHA-256 only: a stolen table gives no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()
