"""The server's notification loop: started with the app, delivers what is due, goes on after a
failed round, stops on shutdown."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api import app as app_module
from gongji.api.app import create_app
from gongji.config import Settings
from gongji.services.notify import service as notify
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM
from tests.payorders import HOSPITAL, make_order


def wait_for(check: Any, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < end, "not in time"
        time.sleep(0.02)


def test_the_loop_delivers_and_survives_a_failed_round(
        app: Gongji, monkeypatch: pytest.MonkeyPatch) -> None:
    order = make_order(app)
    nid = app.transact(SYSTEM, lambda uow: notify.enqueue_in(
        uow, pay_ord_id=order, fixmedins_code=HOSPITAL, url="http://his.test/notify",
        event={"ordStas": "2"}))
    posted: list[str] = []
    rounds = {"n": 0}
    real = notify.deliver_due

    def flaky(services: Gongji, **kw: Any) -> Any:
        rounds["n"] += 1
        if rounds["n"] == 1:
            raise RuntimeError("database away for a moment")
        return real(services, **kw)

    def post(_url: str, _body: bytes, headers: dict[str, str]) -> int:
        posted.append(headers["X-Gongji-Notify-Id"])
        return 200

    monkeypatch.setattr(app_module, "NOTIFY_SECONDS", 0.02)
    monkeypatch.setattr(notify, "deliver_due", flaky)
    monkeypatch.setattr(notify, "http_post", post)
    with TestClient(create_app(app, Settings(db=app.db.url), sweeper=True)):
        wait_for(lambda: posted)
    assert posted == [nid] and rounds["n"] >= 2
    stopped = rounds["n"]
    time.sleep(0.1)
    assert rounds["n"] == stopped  # shut down with the app


def test_no_loop_without_the_sweeper(app: Gongji, monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[int] = []
    monkeypatch.setattr(app_module, "NOTIFY_SECONDS", 0.02)
    monkeypatch.setattr(notify, "deliver_due", lambda *_a, **_k: called.append(1))
    with TestClient(create_app(app, Settings(db=app.db.url))):
        time.sleep(0.1)
    assert called == []
