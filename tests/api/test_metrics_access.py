"""/metrics (route timings, refusal counts) is for operators unless configured otherwise
(issue 15, item 13): GONGJI_METRICS=token (the default: an operator token), public, or off."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.services.runtime import Gongji
from tests.family import make_family

TOKEN = "metrics-operator-token"


def status_of(app: Gongji, mode: str | None, headers: dict[str, str] | None = None
              ) -> tuple[int, str]:
    settings = Settings(db=app.db.url, admin_token=TOKEN,
                        **({"metrics": mode} if mode is not None else {}))
    with TestClient(create_app(app, settings), raise_server_exceptions=False) as c:
        c.get("/healthz")  # something to count
        r = c.get("/metrics", headers=headers or {})
    return r.status_code, r.text


def person_token(app: Gongji) -> str:
    fam = make_family(app)
    with TestClient(create_app(app, Settings(db=app.db.url, admin_token=TOKEN))) as c:
        certno = fam["张伟"].certno
        assert c.post("/api/v1/auth/code", json={"certno": certno}).status_code == 202
        body = c.get("/api/v1/outbox", headers={"Authorization": f"Bearer {TOKEN}"},
                     params={"limit": 1}).json()[0]["body"]
        code = re.search(r"验证码是 (\d+)", body).group(1)  # type: ignore[union-attr]
        token: str = c.post("/api/v1/auth/login",
                            json={"certno": certno, "code": code}).json()["token"]
    return token


def test_by_default_only_an_operator_reads_the_metrics(app: Gongji) -> None:
    assert status_of(app, None)[0] == 401
    assert status_of(app, None, {"Authorization": "Bearer not-a-token"})[0] == 401
    person = {"Authorization": f"Bearer {person_token(app)}"}
    assert status_of(app, None, person)[0] == 403
    status, text = status_of(app, None, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and "gongji_http_requests_total" in text
    assert status_of(app, "token")[0] == 401


def test_public_and_off(app: Gongji) -> None:
    status, text = status_of(app, "public")
    assert status == 200 and "gongji_http_requests_total" in text
    assert status_of(app, "off")[0] == 404
    assert status_of(app, "off", {"Authorization": f"Bearer {TOKEN}"})[0] == 404


def test_an_unknown_mode_is_refused_at_start() -> None:
    with pytest.raises(ValidationError):
        Settings(metrics="sometimes")
