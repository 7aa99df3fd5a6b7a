"""The story of the issue, through HTTP only, from the demo data: log in, open two wallets,
bind a parent in another province, send 2,000 yuan three times, see the fourth refused, watch
an unaccepted one come back at 06:00 on the sandbox clock, end the binding, quota returns."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock, shanghai
from gongji.services.demo.service import DEMO_PIN, FAMILY, certno_of, seed
from gongji.services.runtime import Gongji
from gongji.store.db import Database

OP = {"Authorization": "Bearer op-token"}
_n = count()


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    clock = FixedClock(shanghai(2026, 11, 24, 20, 0, 0))
    services = Gongji(database, clock, sandbox=True)
    seed(services)
    app = create_app(services, Settings(db=database.url, admin_token="op-token", sandbox=True))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def demo(name: str) -> Any:
    return next(p for p in FAMILY if p.name == name)


def login(c: TestClient, name: str) -> tuple[dict[str, str], str]:
    certno = certno_of(demo(name))
    sent = c.post("/api/v1/auth/code", json={"certno": certno})
    assert sent.status_code == 202, sent.text
    assert set(sent.json()) == {"expires_at", "resend_after"}  # no phone: nothing to tell
    message = c.get("/api/v1/outbox", headers=OP, params={"limit": 1}).json()[0]
    code = re.search(r"验证码是 (\d{6})", message["body"]).group(1)  # type: ignore[union-attr]
    r = c.post("/api/v1/auth/login", json={"certno": certno, "code": code})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}, r.json()["psn_no"]


def post(c: TestClient, path: str, headers: dict[str, str], body: Any = None,
         expect: int | None = None) -> Any:
    r = c.post(path, json=body or {}, headers={**headers, "Idempotency-Key": f"k{next(_n)}"})
    if expect is not None:
        assert r.status_code == expect, r.text
    return r.json()


def test_the_family_story(client: TestClient) -> None:
    c = client
    son, son_no = login(c, "张伟")
    mother, mother_no = login(c, "李秀英")
    me = c.get("/api/v1/me", headers=son).json()
    assert me["name_masked"] == "张*" and me["certno_masked"].endswith("1237")
    assert "510104199003071237" not in str(me)

    # open two wallets
    assert post(c, f"/api/v1/persons/{son_no}/wallet", son, expect=201)["status"] == "open"
    assert post(c, f"/api/v1/persons/{mother_no}/wallet", mother, expect=201)["enabled"]

    # bind a parent in another province: he asks, she consents
    b = post(c, "/api/v1/bindings", son, {"other_certno": certno_of(demo("李秀英")),
                                          "other_name": "李秀英", "my_role": "sponsor",
                                          "relation": "parent"}, expect=201)
    assert b["status"] == "pending" and b["cross_province"] is True
    assert post(c, f"/api/v1/bindings/{b['id']}/consent", mother, expect=200)["status"] \
        == "active"

    limits = c.get(f"/api/v1/persons/{son_no}/transfer-limits", headers=son).json()
    assert (limits["max_transfer"], limits["left_today"], limits["closed_hours_start"]) == \
        ("2000.00", 3, "22:00")

    # send 2,000 yuan three times (she accepts the first two), the fourth is refused
    sent = []
    for i in range(3):
        t = post(c, "/api/v1/transfers", son, {"receiver_psn_no": mother_no,
                                               "amount": "2000.00", "pin": DEMO_PIN},
                 expect=201)
        assert t["deadline"] == "2026-11-25T06:00:00+08:00"
        sent.append(t)
        if i < 2:
            assert post(c, f"/api/v1/transfers/{t['id']}/accept", mother,
                        expect=200)["status"] == "accepted"
    fourth = post(c, "/api/v1/transfers", son, {"receiver_psn_no": mother_no,
                                                "amount": "2000.00", "pin": DEMO_PIN},
                  expect=409)
    assert fourth["code"] == "TRANSFER_DAILY_LIMIT"
    assert "3" in fourth["message"] and "at most 3" in fourth["message_en"]

    w = c.get(f"/api/v1/persons/{mother_no}/wallet", headers=mother).json()
    assert w["quota_total"] == "4000.00"
    assert w["quotas"][0] == {"sponsor_psn_no": son_no, "sponsor_name_masked": "张*",
                              "relation": "parent", "balance": "4000.00"}
    assert c.get(f"/api/v1/persons/{son_no}/wallet", headers=son).json()[
        "personal_account"] == "6000.00"

    # the third was not accepted: on the sandbox clock it comes back at 06:00
    early = c.post("/api/v1/sandbox/clock", headers=OP,
                   json={"set": "2026-11-25T05:59:59+08:00"}).json()
    assert early["returned_holds"] == []
    on_time = c.post("/api/v1/sandbox/clock", headers=OP, json={"advance_seconds": 1}).json()
    assert on_time["now"] == "2026-11-25T06:00:00+08:00"
    assert len(on_time["returned_holds"]) == 1
    third = c.get(f"/api/v1/transfers/{sent[2]['id']}", headers=son).json()
    assert third["status"] == "returned"
    assert c.get(f"/api/v1/persons/{son_no}/wallet", headers=son).json()[
        "personal_account"] == "8000.00"

    # end the binding: her unused quota returns to him
    ended = post(c, f"/api/v1/bindings/{b['id']}/end", son, expect=200)
    assert ended["status"] == "ended" and ended["quota"] == "0.00"
    assert c.get(f"/api/v1/persons/{son_no}/wallet", headers=son).json()[
        "personal_account"] == "12000.00"
    assert c.get(f"/api/v1/persons/{mother_no}/wallet", headers=mother).json()[
        "quota_total"] == "0.00"
    assert c.get("/api/v1/ledger/verify", headers=OP).json()["ok"] is True


def test_guangdong_sibling_sees_why(client: TestClient) -> None:
    sister, sister_no = login(client, "张丽")
    r = post(client, f"/api/v1/persons/{sister_no}/wallet", sister, expect=409)
    assert r["code"] == "WALLET_REGION_DISABLED" and r["detail"]["admdvs"] == "440100"
    regions = {x["admdvs"]: x for x in client.get("/api/v1/regions").json()}
    assert regions["440100"]["wallet_enabled"] is False
    assert regions["510100"]["wallet_enabled"] is True
    assert len([r for r in regions.values() if r["level"] == "province"]) == 32


def test_a_person_cannot_read_or_move_anothers_money(client: TestClient) -> None:
    c = client
    son, son_no = login(c, "张伟")
    wife, wife_no = login(c, "王芳")
    for path in (f"/api/v1/persons/{son_no}/wallet", f"/api/v1/persons/{son_no}/transfers",
                 f"/api/v1/persons/{son_no}/bindings", f"/api/v1/persons/{son_no}",
                 f"/api/v1/persons/{son_no}/enrollments",
                 f"/api/v1/persons/{son_no}/contributions"):
        r = c.get(path, headers={"Authorization": "Bearer nonsense"})
        assert r.status_code == 401, path
    grandfather, _ = login(c, "张德福")
    for path in (f"/api/v1/persons/{son_no}/wallet", f"/api/v1/persons/{son_no}/transfers"):
        r = c.get(path, headers=grandfather)
        assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN", path
    assert post(c, f"/api/v1/persons/{son_no}/code", grandfather, expect=403)["code"] \
        == "FORBIDDEN"
    assert post(c, f"/api/v1/persons/{son_no}/wallet/close", grandfather,
                expect=403)["code"] == "FORBIDDEN"
    # the wife is bound already (demo): she still cannot read his wallet or send his money
    assert c.get(f"/api/v1/persons/{son_no}/wallet", headers=wife).status_code == 403
    # persons cannot use operator endpoints, operators cannot send a person's money
    assert c.get("/api/v1/ledger/accounts", headers=son).status_code == 403
    assert c.get("/api/v1/outbox", headers=son).status_code == 403
    r = post(c, "/api/v1/transfers", OP, {"receiver_psn_no": wife_no, "amount": "1.00",
                                          "pin": DEMO_PIN}, expect=403)
    assert r["code"] == "FORBIDDEN"


def test_proxy_through_http(client: TestClient) -> None:
    c = client
    son, _son_no = login(c, "张伟")
    mother, mother_no = login(c, "李秀英")
    p = post(c, "/api/v1/proxies", son, {"relative_certno": certno_of(demo("李秀英")),
                                         "relative_name": "李秀英", "relation": "parent"},
             expect=201)
    assert p["needs"] == "consent"
    assert post(c, f"/api/v1/persons/{mother_no}/wallet", son, expect=403)["code"] == \
        "FORBIDDEN"
    assert post(c, f"/api/v1/proxies/{p['id']}/approve", mother, expect=200)["status"] == \
        "active"
    assert post(c, f"/api/v1/persons/{mother_no}/wallet", son, expect=201)[
        "opened_by_proxy"] is True
    code = post(c, f"/api/v1/persons/{mother_no}/code", son, expect=200)
    assert code["token"].startswith("GJ1.") and code["psn_no"] == mother_no
    redeemed = post(c, "/api/v1/credentials/redeem", OP, {"token": code["token"]}, expect=200)
    assert redeemed["psn_no"] == mother_no and redeemed["name_masked"] == "李**"
    again = post(c, "/api/v1/credentials/redeem", OP, {"token": code["token"]}, expect=409)
    assert again["code"] == "CREDENTIAL_USED"
    assert post(c, f"/api/v1/persons/{mother_no}/wallet/close", son, expect=403)["code"] == \
        "PROXY_NOT_ALLOWED"
    me = c.get("/api/v1/me", headers=son).json()
    assert [x["subject_psn_no"] for x in me["proxies_held"]] == [mother_no]
    son_son = next(p for p in FAMILY if p.name == "张小宝")
    ask = {"relative_certno": certno_of(son_son), "relative_name": "张小宝",
           "relation": "child"}
    missing = post(c, "/api/v1/proxies", son, ask, expect=422)
    assert missing["code"] == "PROXY_DOCUMENTS_MISSING"
    assert "出生医学证明" in missing["message"] and "birth medical certificate" in \
        missing["message_en"]
    minor = post(c, "/api/v1/proxies", son, ask | {"documents": [
        {"kind": "birth_certificate", "reference": "Q510012345"}]}, expect=201)
    assert minor["needs"] == "operator"
    assert minor["documents"] == [{"kind": "birth_certificate",
                                   "reference_masked": "Q5******45"}]
    assert "Q510012345" not in str(minor)
    queue = c.get("/api/v1/proxies/queue", headers=OP).json()
    assert [x["id"] for x in queue] == [minor["id"]]


def test_transfers_refused_at_the_closed_hour_over_http(client: TestClient) -> None:
    c = client
    son, son_no = login(c, "张伟")
    _, wife_no = login(c, "王芳")  # bound and with a wallet in the demo
    post(c, f"/api/v1/persons/{son_no}/wallet", son, expect=201)
    c.post("/api/v1/sandbox/clock", headers=OP, json={"set": "2026-11-24T21:59:59+08:00"})
    ok = post(c, "/api/v1/transfers", son, {"receiver_psn_no": wife_no, "amount": "1.00",
                                            "pin": DEMO_PIN}, expect=201)
    assert ok["status"] == "pending"
    post(c, f"/api/v1/transfers/{ok['id']}/cancel", son, expect=200)
    c.post("/api/v1/sandbox/clock", headers=OP, json={"advance_seconds": 1})
    closed = post(c, "/api/v1/transfers", son, {"receiver_psn_no": wife_no,
                                                "amount": "1.00", "pin": DEMO_PIN},
                  expect=409)
    assert closed["code"] == "TRANSFER_WINDOW_CLOSED"
    assert closed["detail"]["reopens"] == "2026-11-25 06:00:00"
    back = c.post("/api/v1/sandbox/clock", headers=OP,
                  json={"set": "2026-11-24T12:00:00+08:00"})
    assert back.status_code == 409 and back.json()["code"] == "CLOCK_BACKWARDS"


def test_bad_input_gets_clear_errors(client: TestClient) -> None:
    son, _son_no = login(client, "张伟")
    r = post(client, "/api/v1/transfers", son, {"receiver_psn_no": "P1", "amount": 2000,
                                                "pin": DEMO_PIN}, expect=422)
    assert r["code"] == "MONEY_INVALID"
    r = post(client, "/api/v1/bindings", son, {"other_certno": "110101199003071234",
                                               "other_name": "X", "my_role": "sponsor",
                                               "relation": "boss"}, expect=422)
    assert r["code"] == "VALIDATION_ERROR" and r["detail"]["fields"][0]["field"] == "relation"
    r = post(client, "/api/v1/bindings", son, {"other_certno": certno_of(demo("王芳")),
                                               "other_name": "王芳", "my_role": "sponsor",
                                               "relation": "parent_in_law"}, expect=422)
    assert r["code"] == "RELATION_NOT_CLOSE" and "in-law" in r["message_en"]
