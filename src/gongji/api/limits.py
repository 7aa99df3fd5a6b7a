"""Request bodies are bounded before they are read, as one plain ASGI middleware.

A body whose Content-Length is over the limit is refused without reading a byte of it; one
that streams in without a length (chunked) is counted as it arrives and refused the moment
it passes the limit. Either way the answer is 413 BODY_TOO_LARGE in both languages (the
national interface answers in its envelope instead, as it answers every refusal) and the
connection is closed, since the rest of the body was never read. A body within the limit is
read here whole and handed on, so nothing after this point reads more than the limit.

Limits (config.Settings): max_body_bytes for every request, max_upload_bytes for the paths
that take files: the national interface's 9101 and the catalog imports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gongji.api.errors import error_response
from gongji.domain.errors import Bi, GongjiError
from gongji.gateway import envelope, jsonio
from gongji.metrics import GATEWAY_CALLS

CATALOG_IMPORTS = re.compile(r"/api/v1/catalog/[^/]+/import|/console/catalog")


def size_text(n: int) -> Bi | str:
    """1048576 -> "1 MiB"; a size that is no whole KiB in bytes, in each language."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return Bi(f"{n} 字节", f"{n} bytes")


class BodyLimit:
    """Refuses request bodies over the limit of their path before the application reads
    them (docs: Settings.max_body_bytes, max_upload_bytes)."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int, call_paths: Iterable[str],
                 clock: Callable[[], Any]) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.clock = clock
        self.gateway: set[str] = set()
        self.uploads: set[str] = set()
        for path in call_paths:
            prefix = path.rsplit("/", 2)[0]
            self.gateway |= {path, f"{prefix}/fileupload/upload", f"{prefix}/fileupload/download"}
            self.uploads.add(f"{prefix}/fileupload/upload")

    def limit_for(self, path: str) -> int:
        if path in self.uploads or CATALOG_IMPORTS.fullmatch(path):
            return self.max_upload
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.limit_for(path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self.refuse(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client left: let the app see it
                await self.app(scope, _replay([message], receive), send)
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self.refuse(scope, receive, send, limit)
                return
            chunks.append(body)
            more = bool(message.get("more_body", False))
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        err = GongjiError("BODY_TOO_LARGE", limit=size_text(limit), limit_bytes=limit)
        headers = {"Connection": "close"}
        response: Response
        if scope.get("path", "") in self.gateway:
            now = self.clock()
            GATEWAY_CALLS.labels("-", "-1").inc()
            response = Response(jsonio.dumps(envelope.respond(
                env=None, received=now, now=now, error=err)),
                media_type="application/json", headers=headers)
        else:
            response = error_response(err, headers=headers)
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(first: list[Message], receive: Receive) -> Receive:
    """The messages already read, then the client's own (a disconnect, later)."""
    pending = list(first)

    async def again() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return again
