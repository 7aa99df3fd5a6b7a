"""Persons' login by one-time code, and the regions and policy endpoints."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock, shanghai
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.conftest import table_counts
from tests.family import Family, make_family

OP = {"Authorization": "Bearer op-token"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(shanghai(2026, 11, 24, 10, 0, 0))


@pytest.fixture
def fam(database: Database, clock: FixedClock) -> Family:
    return make_family(Gongji(database, clock, sandbox=True))


@pytest.fixture
def client(fam: Family) -> Iterator[TestClient]:
    app = create_app(fam.app, Settings(db=fam.app.db.url, admin_token="op-token"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def last_code(c: TestClient) -> str:
    body = c.get("/api/v1/outbox", headers=OP, params={"limit": 1}).json()[0]["body"]
    m = re.search(r"验证码是 (\d+)", body)
    assert m is not None
    return m.group(1)


def test_login_happy_path_and_logout(client: TestClient, fam: Family) -> None:
    certno = fam["张伟"].certno
    assert client.post("/api/v1/auth/code", json={"certno": certno}).status_code == 202
    r = client.post("/api/v1/auth/login", json={"certno": certno, "code": last_code(client)})
    assert r.status_code == 200
    token = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/api/v1/me", headers=token).json()["psn_no"] == fam["张伟"].psn_no
    assert client.post("/api/v1/auth/logout", headers=token).status_code == 204
    assert client.get("/api/v1/me", headers=token).status_code == 401


def test_codes_expire_are_single_use_and_lock(client: TestClient, fam: Family,
                                              clock: FixedClock, database: Database) -> None:
    certno = fam["王芳"].certno
    client.post("/api/v1/auth/code", json={"certno": certno})
    code = last_code(client)
    too_soon = client.post("/api/v1/auth/code", json={"certno": certno})
    assert too_soon.status_code == 429 and too_soon.json()["code"] == "OTP_TOO_SOON"
    for _ in range(4):
        bad = client.post("/api/v1/auth/login", json={"certno": certno, "code": "000000"})
        assert bad.status_code == 401 and bad.json()["code"] == "OTP_INVALID"
    fifth = client.post("/api/v1/auth/login", json={"certno": certno, "code": "000000"})
    assert fifth.json()["code"] == "OTP_LOCKED"
    locked = client.post("/api/v1/auth/login", json={"certno": certno, "code": code})
    assert locked.status_code == 429 and locked.json()["code"] == "OTP_LOCKED"
    clock.advance(timedelta(seconds=61))
    client.post("/api/v1/auth/code", json={"certno": certno})
    code2 = last_code(client)
    clock.advance(timedelta(seconds=300))  # the code lives 300 s: at 300 s it is gone
    gone = client.post("/api/v1/auth/login", json={"certno": certno, "code": code2})
    assert gone.json()["code"] == "OTP_INVALID"
    client.post("/api/v1/auth/code", json={"certno": certno})
    code3 = last_code(client)
    assert client.post("/api/v1/auth/login", json={"certno": certno,
                                                   "code": code3}).status_code == 200
    reused = client.post("/api/v1/auth/login", json={"certno": certno, "code": code3})
    assert reused.json()["code"] == "OTP_INVALID"


def test_sessions_expire(client: TestClient, fam: Family, clock: FixedClock) -> None:
    certno = fam["张伟"].certno
    client.post("/api/v1/auth/code", json={"certno": certno})
    token = client.post("/api/v1/auth/login", json={"certno": certno,
                                                    "code": last_code(client)}).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    clock.advance(timedelta(hours=12) - timedelta(seconds=1))
    assert client.get("/api/v1/me", headers=h).status_code == 200
    clock.advance(timedelta(seconds=1))
    assert client.get("/api/v1/me", headers=h).status_code == 401


def test_unknown_person_and_bad_certno(client: TestClient) -> None:
    """A number nobody has is answered as a registered one (tests/api/test_signin_privacy.py);
    a malformed one is refused."""
    sent = len(client.get("/api/v1/outbox", headers=OP, params={"limit": 500}).json())
    r = client.post("/api/v1/auth/code", json={"certno": "110101199003071233"})
    assert r.status_code == 202 and "110101199003071233" not in r.text
    assert len(client.get("/api/v1/outbox", headers=OP, params={"limit": 500}).json()) == sent
    r = client.post("/api/v1/auth/code", json={"certno": "x"})
    assert r.status_code == 422
    r = client.post("/api/v1/auth/code", json={"certno": "110101199003071234"})  # check digit
    assert r.status_code == 422 and r.json()["code"] == "CERTNO_INVALID"


def test_regions_and_resolved_policy(client: TestClient) -> None:
    one = client.get("/api/v1/regions/510100").json()
    assert (one["name"], one["name_en"], one["province"]) == ("成都市", "Chengdu", "510000")
    assert one["place_of_use_change"] is True
    provinces = client.get("/api/v1/regions", params={"level": "province"}).json()
    assert {p["admdvs"] for p in provinces} >= {"110000", "440000", "650000", "660000"}
    p = client.get("/api/v1/regions/440100/policy").json()["policy"]
    assert p["wallet"]["enabled"] is False and p["wallet"]["max_transfer"] == "2000.00"
    old = client.get("/api/v1/regions/510100/policy", params={"day": "2024-06-30"}).json()
    assert sorted(old["policy"]["mutual_aid"]["relations"]) == ["child", "parent", "spouse"]
    assert client.get("/api/v1/regions/999999").json()["code"] == "REGION_NOT_FOUND"
    offers = client.get("/api/v1/regions/510100/contributions").json()
    assert {"insutype": "410", "year": 2027, "amount": "25.00", "window_start": "2026-09-01",
            "window_end": "2026-12-31"} in offers


def test_policy_check_and_upload(client: TestClient, database: Database) -> None:
    bad = "region: '510100'\neffective_from: 2027-01-01\nwallet: {max_transfer: 3000}\n"
    r = client.post("/api/v1/policies/check", content=bad,
                    headers={**OP, "Content-Type": "application/yaml"})
    assert r.json()["ok"] is False
    assert r.json()["errors"][0].startswith("wallet.max_transfer")
    before = table_counts(database)
    r = client.post("/api/v1/policies", content=bad,
                    headers={**OP, "Content-Type": "application/yaml", "Idempotency-Key": "p1"})
    assert r.status_code == 422 and r.json()["code"] == "POLICY_INVALID"
    assert table_counts(database) == before
    good = "region: '510100'\neffective_from: 2027-01-01\nwallet: {max_transfer: '1500.00'}\n"
    r = client.post("/api/v1/policies", content=good,
                    headers={**OP, "Content-Type": "application/yaml", "Idempotency-Key": "p2"})
    assert r.status_code == 201, r.text
    later = client.get("/api/v1/regions/510100/policy", params={"day": "2027-01-01"}).json()
    assert later["policy"]["wallet"]["max_transfer"] == "1500.00"
    now = client.get("/api/v1/regions/510100/policy", params={"day": "2026-12-31"}).json()
    assert now["policy"]["wallet"]["max_transfer"] == "2000.00"
    clash = client.post("/api/v1/policies", content=good,
                        headers={**OP, "Content-Type": "application/yaml",
                                 "Idempotency-Key": "p3"})
    assert clash.json()["code"] == "POLICY_INVALID" and "overlaps" in clash.json()["message_en"]
    person = client.post("/api/v1/policies", content=good,
                         headers={"Content-Type": "application/yaml", "Idempotency-Key": "p4"})
    assert person.status_code == 401
