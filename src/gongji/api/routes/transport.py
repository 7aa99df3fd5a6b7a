"""Operators set how each institution's system reaches the gateway: its transport profile and
its credentials (docs/GATEWAY.md, "Transport profiles")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from gongji.api.deps import IdempotencyKey, Operator, Services, replay_header
from gongji.api.types import In
from gongji.services.transport import service as transport
from gongji.services.transport.model import (
    CredentialView,
    IssueCredential,
    SetTransport,
    TransportView,
)

router = APIRouter(prefix="/api/v1", tags=["institutions and catalog"])


class TransportIn(In):
    scheme: Literal["gongji", "tif", "esb", "oauth2"] = Field(
        "gongji", description="gongji HMAC (X-Gongji-*), tif (x-tif-* headers), esb "
        "(_api_* HMAC-SHA1), oauth2 (password grant + Bearer)")
    infcode_as: Literal["number", "string"] = Field(
        "number", description="infcode 0/-1 as a JSON number (the specification) or string")
    relay: bool = Field(False, description="fill fixmedins_code, opter_type, opter, inf_time "
                        "a relay leaves out from the registration")
    relay_opter: str = Field("relay", min_length=1, max_length=30)
    encrypted: bool = Field(False, description="SM4-encrypted input/output, SM2 signatures")


class CredentialOut(BaseModel):
    credential_id: str
    kind: str
    principal: str
    created_at: datetime
    revoked_at: datetime | None
    peer_public: str | None = Field(None, description="sm: the institution's SM2 public key")
    platform_public: str | None = Field(None, description="sm: gongji's SM2 public key")


class TransportOut(BaseModel):
    fixmedins_code: str
    scheme: str
    infcode_as: str
    relay: bool
    relay_opter: str
    encrypted: bool
    credentials: list[CredentialOut]


class CredentialIn(In):
    kind: Literal["tif", "esb", "oauth2", "sm"]
    principal: str | None = Field(None, min_length=3, max_length=64, description=(
        "x-tif-paasid, _api_access_key or the OAuth2 username (made up when left out)"))
    password: str | None = Field(None, min_length=12, max_length=128,
                                 description="oauth2: the password (made up when left out)")
    peer_public: str | None = Field(None, min_length=128, max_length=130, description=(
        "sm: the institution's SM2 public key, hex x||y (04 prefix allowed)"))


class IssuedOut(BaseModel):
    credential_id: str
    kind: str
    fixmedins_code: str
    principal: str
    secret: str | None = Field(description="Shown once: TIF token, bus secret, OAuth2 "
                               "password or SM4 key (hex); null on an idempotent replay")
    platform_public: str | None = None


def _out(v: TransportView) -> TransportOut:
    return TransportOut(fixmedins_code=v.fixmedins_code, scheme=v.scheme,
                        infcode_as=v.infcode_as, relay=v.relay, relay_opter=v.relay_opter,
                        encrypted=v.encrypted, credentials=[_cred(c) for c in v.credentials])


def _cred(c: CredentialView) -> CredentialOut:
    return CredentialOut(credential_id=c.credential_id, kind=c.kind, principal=c.principal,
                         created_at=c.created_at, revoked_at=c.revoked_at,
                         peer_public=c.peer_public, platform_public=c.platform_public)


@router.get("/institutions/{code}/transport", response_model=TransportOut,
            summary="An institution's transport profile and credentials (no secrets)")
def get_transport(code: str, who: Operator, services: Services) -> TransportOut:
    return _out(transport.get(services, who, code))


@router.put("/institutions/{code}/transport", response_model=TransportOut,
            summary="Set how the institution's system connects to the gateway")
def set_transport(code: str, body: TransportIn, who: Operator, services: Services,
                  response: Response, key: IdempotencyKey = None) -> TransportOut:
    w = transport.set_profile(services, who, key, code, SetTransport(**body.model_dump()))
    replay_header(response, w)
    return _out(w.value)


@router.post("/institutions/{code}/transport/credentials", status_code=status.HTTP_201_CREATED,
             response_model=IssuedOut, summary="A new transport credential; the secret is "
             "shown once (rotate: issue a new one, then revoke the old)")
def issue_credential(code: str, body: CredentialIn, who: Operator, services: Services,
                     response: Response, key: IdempotencyKey = None) -> IssuedOut:
    w = transport.issue(services, who, key, code, IssueCredential(**body.model_dump()))
    replay_header(response, w)
    v = w.value
    return IssuedOut(credential_id=v.credential_id, kind=v.kind, fixmedins_code=code,
                     principal=v.principal, secret=v.secret, platform_public=v.platform_public)


@router.post("/institutions/{code}/transport/credentials/{credential_id}/revocation",
             response_model=CredentialOut, summary="Revoke a credential and its OAuth2 tokens")
def revoke_credential(code: str, credential_id: str, who: Operator, services: Services,
                      response: Response, key: IdempotencyKey = None) -> CredentialOut:
    w = transport.revoke(services, who, key, code, credential_id)
    replay_header(response, w)
    return _cred(w.value)
