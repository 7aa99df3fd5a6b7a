"""A signed HIS talking to the gateway through the ASGI app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.client.signing import signed_headers
from gongji.config import Settings
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.clinic import CLINIC, PHARMACY, Clinic, open_clinic
from tests.conftest import OPERATOR
from tests.family import make_family

WALL = datetime(2026, 11, 24, 10, 0, 0, tzinfo=SHANGHAI)
PATH = "/fsi/api/rsfComIfsService/callService"
_seq = count(1)


class His:
    def __init__(self, client: TestClient, app: Gongji, code: str) -> None:
        self.c, self.code = client, code
        k = institutions.create_key(app, OPERATOR, code)
        self.key_id, self.secret = k.key_id, k.secret
        self.sign_no = ""

    def msgid(self) -> str:
        return f"{self.code}20261124100000{next(_seq):04d}"

    def envelope(self, infno: str, input_: Any, **over: Any) -> dict[str, Any]:
        return {"infno": infno, "msgid": self.msgid(), "mdtrtarea_admvs": "510100",
                "insuplc_admdvs": "510100", "recer_sys_code": "GONGJI", "infver": "V1.0",
                "opter_type": "1", "opter": "001", "opter_name": "收费员",
                "inf_time": "2026-11-24 10:00:00", "fixmedins_code": self.code,
                "fixmedins_name": "测试", "sign_no": self.sign_no, "input": input_} | over

    def send(self, body: Any, *, raw: bytes | None = None, path: str = PATH,
             signed: bool = True) -> dict[str, Any]:
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signed:
            headers |= signed_headers(self.key_id, self.secret, "POST", path, data,
                                      timestamp=int(WALL.timestamp()))
        r = self.c.post(path, content=data, headers=headers)
        assert r.status_code == 200, r.text
        out: dict[str, Any] = json.loads(r.content, parse_float=Decimal)
        return out

    def post(self, path: str, body: Any) -> Any:
        """The raw HTTP response (a file download answers bytes)."""
        data = json.dumps(body, ensure_ascii=False).encode()
        return self.c.post(path, content=data, headers={
            "Content-Type": "application/json",
            **signed_headers(self.key_id, self.secret, "POST", path, data,
                             timestamp=int(WALL.timestamp()))})

    def call(self, infno: str, input_: Any, **over: Any) -> dict[str, Any]:
        return self.send(self.envelope(infno, input_, **over))

    def ok(self, infno: str, input_: Any, **over: Any) -> dict[str, Any]:
        body = self.call(infno, input_, **over)
        assert body["infcode"] == 0, body
        out: dict[str, Any] = body["output"]
        return out

    def sign_in(self) -> None:
        self.sign_no = self.ok("9001", {"signIn": {"opter_no": "001"}})["signinoutb"]["sign_no"]


@pytest.fixture
def clinic(database: Database, clock: FixedClock) -> Clinic:
    return open_clinic(make_family(Gongji(database, clock, wall=FixedClock(WALL))))


@pytest.fixture
def client(clinic: Clinic) -> Iterator[TestClient]:
    with TestClient(create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op")),
                    raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def his(client: TestClient, clinic: Clinic) -> His:
    h = His(client, clinic.app, CLINIC)
    h.sign_in()
    return h


@pytest.fixture
def pos(client: TestClient, clinic: Clinic) -> His:
    h = His(client, clinic.app, PHARMACY)
    h.sign_in()
    return h
