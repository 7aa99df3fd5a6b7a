"""What the institution doors take and give: registering an institution, the institution,
and its API keys."""

from __future__ import annotations

from dataclasses import dataclass

WINDOW_SECONDS = 300
"""How far a request's timestamp may be from the server's wall clock (either way)."""
PER_PAGE = 20
"""Institutions on a page of a lookup, unless asked otherwise (at most MAX_PER_PAGE)."""
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
NAME_QUERY_MAX = 50


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


@dataclass(frozen=True, slots=True)
class Lookup:
    """Which designated institutions to list (public information: anyone may ask)."""

    wallet: bool | None = True
    """True: those that take the wallet (医保钱包); False: those that do not; None: all."""
    area: str = ""
    """A province (2 digits), a city (4) or one admdvs (6); "" everywhere
    (domain.regions.area_prefix)."""
    q: str = ""
    """A fragment of the name (case ignored); "" any name."""
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True, slots=True)
class InstitutionPage:
    """One page of a lookup, sorted by name (code-point order, the same on every database),
    then code."""

    institutions: list[Institution]
    page: int
    per_page: int
    total: int
    """Institutions matching, on every page."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
