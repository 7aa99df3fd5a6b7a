"""FastAPI dependencies: the services, the caller, the idempotency key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from gongji.domain.access import Principal
from gongji.domain.errors import GongjiError
from gongji.metrics import IDEMPOTENT_REPLAYS
from gongji.services.auth.service import SESSION_PREFIX
from gongji.services.auth.service import authenticate as person_session
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji, Written
from gongji.services.tokens.service import authenticate

_bearer = HTTPBearer(auto_error=False, description="An operator token (GONGJI_ADMIN_TOKEN or "
                     "`gongji token create`) or a person's session token (/api/v1/auth/login)")


def get_services(request: Request) -> Gongji:
    services: Gongji = request.app.state.services
    return services


Services = Annotated[Gongji, Depends(get_services)]


def get_caller(request: Request, services: Services,
               cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
               ) -> Principal:
    """An operator (GONGJI_ADMIN_TOKEN or a `gongji token create` token) or a person (a
    session token from /api/v1/auth/login)."""
    if cred is None or cred.scheme.lower() != "bearer":
        raise GongjiError("UNAUTHENTICATED")
    token = cred.credentials
    if token.startswith(SESSION_PREFIX):
        who = person_session(services, token)
    else:
        who = authenticate(services, token, bootstrap=request.app.state.settings.admin_token)
    if who is None:
        raise GongjiError("UNAUTHENTICATED")
    return who


Caller = Annotated[Principal, Depends(get_caller)]


def get_operator(caller: Caller) -> Principal:
    if caller.kind != "operator":
        raise GongjiError("FORBIDDEN")
    return caller


def get_person(caller: Caller) -> Principal:
    if caller.kind != "person":
        raise GongjiError("FORBIDDEN")
    return caller


Operator = Annotated[Principal, Depends(get_operator)]
Person = Annotated[Principal, Depends(get_person)]


async def get_institution(request: Request, services: Services) -> Principal:
    """A designated institution, from its HMAC-signed request (docs/ARCHITECTURE.md)."""
    h = request.headers
    key_id = h.get("X-Gongji-Key")
    if not key_id:
        raise GongjiError("UNAUTHENTICATED")
    body = await request.body()
    return await run_in_threadpool(
        institutions.authenticate, services, key_id=key_id,
        timestamp=h.get("X-Gongji-Timestamp", ""), nonce=h.get("X-Gongji-Nonce", ""),
        signature=h.get("X-Gongji-Signature", ""), method=request.method,
        path=request.url.path, body=body)


Institution = Annotated[Principal, Depends(get_institution)]


async def get_signed_or_bearer(
        request: Request, services: Services,
        cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """An institution (a signed request) or an operator or person (a bearer token)."""
    if request.headers.get("X-Gongji-Key"):
        return await get_institution(request, services)
    return await run_in_threadpool(get_caller, request, services, cred)


AnyCaller = Annotated[Principal, Depends(get_signed_or_bearer)]


IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key",
    description="Required on every write: a client-chosen key (1-64 of A-Z a-z 0-9 - _ . :). "
                "A retry with the same key and body returns the first result; with a "
                "different body, 409 IDEMPOTENCY_CONFLICT naming the differing fields.")]


def replay_header(response: Response, written: Written[Any]) -> None:
    """Mark a response that was answered from the stored result of an earlier call."""
    if written.replayed:
        IDEMPOTENT_REPLAYS.inc()
        response.headers["Idempotent-Replayed"] = "true"
