"""What the transport doors take and give: an institution's transport profile, its
credentials (secrets shown once), an admitted gateway request, an OAuth2 token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gongji.domain.access import Principal
from gongji.domain.transport import CredentialKind, InfcodeAs, Profile, Scheme


@dataclass(frozen=True, slots=True)
class SetTransport:
    scheme: Scheme = "gongji"
    infcode_as: InfcodeAs = "number"
    relay: bool = False
    relay_opter: str = "relay"
    encrypted: bool = False


@dataclass(frozen=True, slots=True)
class IssueCredential:
    kind: CredentialKind
    principal: str | None = None
    """x-tif-paasid, _api_access_key or the OAuth2 username; made up when not given."""
    password: str | None = None
    """OAuth2 only: the password to set (made up when not given; 12-128 characters)."""
    peer_public: str | None = None
    """sm only: the institution's SM2 public key (128 hex, x||y, or 130 with the 04 prefix)."""


@dataclass(frozen=True, slots=True)
class CredentialView:
    credential_id: str
    kind: CredentialKind
    principal: str
    created_at: datetime
    revoked_at: datetime | None
    peer_public: str | None = None
    platform_public: str | None = None
    """sm only: gongji's SM2 public key for this credential (checks our answers)."""


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    credential_id: str
    kind: CredentialKind
    fixmedins_code: str
    principal: str
    secret: str | None
    """Shown once: the TIF token, the bus secret, the OAuth2 password or the SM4 key (hex).
    None when a retry with the same idempotency key is answered."""
    platform_public: str | None = None


@dataclass(frozen=True, slots=True)
class TransportView:
    fixmedins_code: str
    scheme: Scheme
    infcode_as: InfcodeAs
    relay: bool
    relay_opter: str
    encrypted: bool
    credentials: tuple[CredentialView, ...]

    @property
    def profile(self) -> Profile:
        return Profile(self.scheme, self.infcode_as, self.relay, self.relay_opter,
                       self.encrypted)


@dataclass(frozen=True, slots=True)
class SmKeys:
    """One live `sm` credential's keys, for the gateway to open and seal one message."""

    credential_id: str
    sm4_key: bytes
    platform_private: str
    peer_public: str


@dataclass(frozen=True, slots=True)
class Admitted:
    """A gateway request whose transport held: who sent it and how to answer."""

    principal: Principal
    scheme: Scheme
    profile: Profile
    fixmedins_name: str
    admdvs: str
    sm: tuple[SmKeys, ...] = ()


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    token_type: str
    expires_in: int
    scope: str
