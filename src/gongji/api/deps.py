"""FastAPI dependencies: the services, the caller, the idempotency key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gongji.domain.errors import GongjiError
from gongji.metrics import IDEMPOTENT_REPLAYS
from gongji.services.auth import SESSION_PREFIX
from gongji.services.auth import authenticate as person_session
from gongji.services.runtime import Gongji, Written
from gongji.services.tokens import authenticate
from gongji.services.unit_of_work import Principal

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
