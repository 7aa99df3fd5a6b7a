"""Each log line carries the id of its own request (issue 15, item 17).

A server starts a request's task in the context it is in at that moment: uvicorn starts the
next request of a keep-alive connection from inside the previous one's answer, so the new task
begins with the previous request's id. The "unhandled error" line is written by the handler
outside the request middleware; if the middleware has put the old value back by then, that line
names another request. Here many requests run at once, each started in a context that holds
another request's id, half of them failing; then the same through a real uvicorn with two
requests pipelined on one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import io
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from gongji import logs
from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock, shanghai
from gongji.services.runtime import Gongji
from gongji.store.db import Database

N = 40


@pytest.fixture
def api(tmp_path: Path) -> Iterator[FastAPI]:
    db = Database(f"sqlite:///{tmp_path / 'ids.db'}")
    app = create_app(Gongji(db, FixedClock(shanghai(2026, 11, 24, 10, 0, 0))),
                     Settings(db=db.url))
    log = logging.getLogger("gongji.test")

    @app.get("/api/v1/work/{n}")
    async def work(n: int) -> dict[str, int]:
        await asyncio.sleep(random.uniform(0, 0.01))
        log.info("working on %d", n)
        await asyncio.sleep(random.uniform(0, 0.01))
        return {"n": n}

    @app.get("/api/v1/boom/{n}")
    async def boom(n: int) -> None:
        await asyncio.sleep(random.uniform(0, 0.02))
        raise RuntimeError(f"boom {n}")

    yield app
    db.dispose()


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    root = logging.getLogger("gongji")
    before = (root.handlers[:], root.level, root.propagate)
    logs.setup("info", json_lines=True)
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    root.handlers[:], root.level, root.propagate = before


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(x) for x in stream.getvalue().splitlines()]


async def call(app: FastAPI, path: str, rid: str) -> int:
    """One request straight through ASGI, as a server sends it."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 40000),
             "server": ("testserver", 80), "state": {},
             "headers": [(b"host", b"testserver"), (b"x-request-id", rid.encode())]}
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    # the server error middleware answers, then raises again for the server
    with contextlib.suppress(RuntimeError):
        await app(scope, receive, send)
    return status


def test_concurrent_requests_each_log_their_own_id(api: FastAPI, lines: io.StringIO) -> None:
    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        tasks = []
        for i in range(N):
            # started where another request's id is current, as a pipelined request is
            started_in = contextvars.copy_context()
            started_in.run(logs.request_id.set, f"other-{(i + 1) % N}")
            path = f"/api/v1/boom/{i}" if i % 2 else f"/api/v1/work/{i}"
            tasks.append(loop.create_task(call(api, path, f"req-{i}"), context=started_in))
        return list(await asyncio.gather(*tasks))

    statuses = asyncio.run(main())
    assert statuses == [500 if i % 2 else 200 for i in range(N)]
    seen = records(lines)
    errors = [x for x in seen if x["message"].startswith("unhandled error")]
    assert len(errors) == N // 2
    for x in errors:
        assert x["message"] == f"unhandled error [{x['request_id']}]", x
    working = [x for x in seen if x["message"].startswith("working on")]
    assert sorted(x["request_id"] for x in working) == sorted(
        f"req-{i}" for i in range(0, N, 2))
    for x in working:
        assert x["message"] == f"working on {x['request_id'][4:]}", x
    access = [x for x in seen if x["logger"] == "gongji.access"]
    assert len(access) == N
    for x in access:
        assert x["path"].endswith("/{n}")
        assert (x["status"] == 500) == (int(x["request_id"][4:]) % 2 == 1), x


def test_a_pipelined_request_through_uvicorn(api: FastAPI, lines: io.StringIO) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api, http="h11", log_level="critical",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(b"GET /api/v1/work/1 HTTP/1.1\r\nHost: t\r\nX-Request-ID: first\r\n\r\n"
                         b"GET /api/v1/boom/2 HTTP/1.1\r\nHost: t\r\nX-Request-ID: second\r\n"
                         b"\r\n")
            received = b""
            while received.count(b"HTTP/1.1 ") < 2 or not received.endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
        assert b"HTTP/1.1 200" in received and b"HTTP/1.1 500" in received
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    errors = [x for x in records(lines) if x["message"].startswith("unhandled error")]
    assert [(x["message"], x["request_id"]) for x in errors] == [
        ("unhandled error [second]", "second")]
