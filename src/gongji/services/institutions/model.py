"""What the institution doors take and give: registering an institution, the institution,
and its API keys."""

from __future__ import annotations

from dataclasses import dataclass

WINDOW_SECONDS = 300
"""How far a request's timestamp may be from the server's wall clock (either way)."""


@dataclass(frozen=True, slots=True)
class RegisterInstitution:
    fixmedins_code: str
    fixmedins_name: str
    hosp_lv: str
    admdvs: str
    wallet_supported: bool = True


@dataclass(frozen=True, slots=True)
class Institution:
    fixmedins_code: str
    fixmedins_name: str
    fixmedins_type: str
    hosp_lv: str
    admdvs: str
    wallet_supported: bool


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    fixmedins_code: str
    secret: str
    """Hex; shown once. The server keeps it to check signatures."""


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    fixmedins_code: str
    secret: str | None
    """The secret, on the call that made the key only; None when a retry with the same
    idempotency key is answered (the secret was shown once and is not stored with the key)."""
