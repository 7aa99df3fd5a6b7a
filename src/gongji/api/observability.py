"""Request ids, access logs and HTTP metrics, as one plain ASGI middleware."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from gongji.domain.ids import new_id
from gongji.logs import request_id
from gongji.metrics import HTTP_LATENCY, HTTP_REQUESTS
from gongji.services import door

log = logging.getLogger("gongji.access")
_SAFE_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")

Scope = dict[str, Any]


class RequestContext:
    """Gives every request an id (X-Request-ID, echoed back), times it, logs it, counts it,
    and records the service doors it goes through (services/door.py)."""

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

        try:
            with door.request(f"{scope.get('method', '-')} {scope.get('path', '')}"):
                await self.app(scope, receive, send_with_id)
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
            request_id.reset(token)
