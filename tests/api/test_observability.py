"""Request ids reach the logs, personal data does not, and even a bug answers in the registry."""

from __future__ import annotations

import io
import json
import logging

from fastapi.testclient import TestClient

from gongji import logs
from gongji.api.app import create_app
from gongji.config import Settings
from gongji.services.runtime import Gongji


def capture(json_lines: bool) -> io.StringIO:
    logs.setup("info", json_lines=json_lines)
    stream = io.StringIO()
    handler = logging.getLogger("gongji").handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    return stream


def test_access_log_carries_the_request_id(app: Gongji) -> None:
    stream = capture(json_lines=True)
    with TestClient(create_app(app, Settings(db=app.db.url))) as c:
        c.get("/healthz", headers={"X-Request-ID": "req-42"})
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    access = [x for x in lines if x["logger"] == "gongji.access"]
    assert access and access[-1]["request_id"] == "req-42"
    assert access[-1]["path"] == "/healthz" and access[-1]["status"] == 200


def test_personal_data_is_masked_in_every_line() -> None:
    stream = capture(json_lines=False)
    logging.getLogger("gongji.test").info("person 110101199003071234 phone 13812345678")
    text = stream.getvalue()
    assert "110101199003071234" not in text and "13812345678" not in text
    assert "110101********1234" in text and "138****5678" in text


def test_an_unexpected_bug_still_answers_with_a_code(app: Gongji) -> None:
    api = create_app(app, Settings(db=app.db.url))

    @api.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("certno 110101199003071234 leaked?")

    stream = capture(json_lines=False)
    with TestClient(api, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/boom", headers={"X-Request-ID": "req-boom"})
    assert r.status_code == 500
    body = r.json()
    assert body["code"] == "INTERNAL" and "req-boom" in body["message_en"]
    assert "110101199003071234" not in r.text
    assert "110101199003071234" not in stream.getvalue()
