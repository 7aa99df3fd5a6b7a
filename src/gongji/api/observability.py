"""Request ids, access logs and HTTP metrics, as one plain ASGI middleware; and who may read
the metrics (GONGJI_METRICS)."""

from __future__ import annotations

import logging
import re
import time
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from gongji.api.deps import Services, _bearer, get_caller, get_operator
from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_id
from gongji.logs import request_id
from gongji.metrics import HTTP_LATENCY, HTTP_REQUESTS
from gongji.services import door

log = logging.getLogger("gongji.access")
_SAFE_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")

Scope = dict[str, Any]


class RequestContext:
    """Gives every request an id (X-Request-ID, echoed back), times it, logs it, counts it,
    and records the service doors it goes through (services/door.py).

    The id is a context variable, set in the request's own task. When the request fails, it is
    left set: the handler that logs "unhandled error" runs after this middleware, in the same
    task (Starlette's ServerErrorMiddleware is outside every other), and putting the old value
    back would give that line whatever id the task started with: a server may start a task
    inside another request's context (uvicorn starts a keep-alive connection's next request from
    the previous one's answer), so that old value is another request's id."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.fullmatch(incoming) else new_id()
        token = request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid  # for handlers outside this middleware
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        failed = False
        try:
            with door.request(f"{scope.get('method', '-')} {scope.get('path', '')}"):
                await self.app(scope, receive, send_with_id)
        except BaseException:
            failed = True
            raise
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            method = scope.get("method", "-")
            HTTP_REQUESTS.labels(method, template, str(status)).inc()
            HTTP_LATENCY.labels(method, template).observe(elapsed)
            log.info("%s %s %s %.1fms", method, template, status, elapsed * 1000,
                     extra={"method": method, "path": template, "status": status,
                            "duration_ms": round(elapsed * 1000, 1)})
            if not failed:  # a failure is logged outside this middleware, under this id
                request_id.reset(token)


METRICS_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "UNAUTHENTICATED: GONGJI_METRICS=token (the default) and no operator "
                         "token (Authorization: Bearer)"},
    403: {"description": "FORBIDDEN: a person's session token"},
    404: {"description": "NOT_FOUND: GONGJI_METRICS=off"},
}
"""`responses=` of /metrics."""


def metrics_access(request: Request, services: Services,
                   cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                   ) -> None:
    """Who may read /metrics (route timings, refusal counts by code): by GONGJI_METRICS, an
    operator token (token, the default), anyone (public), or no one (off: 404)."""
    mode = getattr(request.app.state.settings, "metrics", "token")
    if mode == "off":
        raise GongjiError("NOT_FOUND", what="/metrics")
    if mode != "public":
        get_operator(get_caller(request, services, cred))
