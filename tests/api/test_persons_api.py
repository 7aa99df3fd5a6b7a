"""Operators register, enroll, credit and move persons over HTTP; ID numbers stay out of URLs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.certno import make_certno
from gongji.services.runtime import Gongji

OP = {"Authorization": "Bearer op-token"}
_n = count()
CERTNO = make_certno("510104", date(1990, 3, 7), 123)


@pytest.fixture
def client(app: Gongji) -> Iterator[TestClient]:
    with TestClient(create_app(app, Settings(db=app.db.url, admin_token="op-token")),
                    raise_server_exceptions=False) as c:
        yield c


def post(c: TestClient, path: str, body: Any, expect: int) -> Any:
    r = c.post(path, json=body, headers={**OP, "Idempotency-Key": f"p{next(_n)}"})
    assert r.status_code == expect, r.text
    return r.json()


def test_register_enroll_credit_and_move(client: TestClient) -> None:
    c = client
    p = post(c, "/api/v1/persons", {"certno": CERTNO, "name": "张伟", "phone": "13800000001"},
             201)
    assert p["certno_masked"] == "510104********1237" and p["name_masked"] == "张*"
    assert CERTNO not in str(p)
    psn = p["psn_no"]
    found = post(c, "/api/v1/persons/lookup", {"certno": CERTNO}, 200)
    assert found["psn_no"] == psn
    e = post(c, "/api/v1/enrollments", {"psn_no": psn, "insutype": "310", "psn_type": "1101",
                                        "insuplc_admdvs": "510100", "begndate": "2020-01-01"},
             201)
    assert e["personal_account_id"] and e["enrollment"]["status"] == "active"
    credit = post(c, f"/api/v1/persons/{psn}/credits", {"amount": "1234.56"}, 201)
    assert [x["amount"] for x in credit["postings"]] == ["-1234.56", "1234.56"]
    moved = post(c, f"/api/v1/enrollments/{e['enrollment']['id']}/end",
                 {"enddate": "2026-11-23", "reason": "moved", "new_admdvs": "411300"}, 200)
    assert moved["enrollment"]["status"] == "moved"
    assert moved["new_enrollment"]["insuplc_admdvs"] == "411300"
    rows = c.get(f"/api/v1/persons/{psn}/enrollments", headers=OP).json()
    assert [r["status"] for r in rows] == ["moved", "active"]
    card = post(c, f"/api/v1/persons/{psn}/cards", {"card_no": "A12345678"}, 201)
    assert card["card_no_masked"] == "*****5678"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"certno": CERTNO[:-1] + "0", "name": "张伟"}, 422, "CERTNO_INVALID"),
    ({"certno": CERTNO, "name": ""}, 422, "VALIDATION_ERROR"),
    ({"certno": CERTNO, "name": "张伟", "phone": "12345678901"}, 422, "PHONE_INVALID"),
    ({"certno": CERTNO, "name": "张伟", "nickname": "伟伟"}, 422, "VALIDATION_ERROR"),
])
def test_register_refusals(client: TestClient, body: dict[str, Any], status: int,
                           code: str) -> None:
    assert post(client, "/api/v1/persons", body, status)["code"] == code


def test_enroll_refusals(client: TestClient) -> None:
    psn = post(client, "/api/v1/persons", {"certno": CERTNO, "name": "张伟"}, 201)["psn_no"]
    r = post(client, "/api/v1/enrollments", {"psn_no": psn, "insutype": "390",
                                             "psn_type": "1101", "insuplc_admdvs": "510100",
                                             "begndate": "2020-01-01"}, 422)
    assert r["code"] == "PSN_TYPE_INVALID"
    r = post(client, "/api/v1/enrollments", {"psn_no": psn, "insutype": "310",
                                             "psn_type": "1101", "insuplc_admdvs": "999999",
                                             "begndate": "2020-01-01"}, 404)
    assert r["code"] == "REGION_NOT_FOUND"
    r = post(client, f"/api/v1/persons/{psn}/credits", {"amount": "10.00"}, 409)
    assert r["code"] == "NO_PERSONAL_ACCOUNT"
    r = post(client, "/api/v1/enrollments", {"psn_no": "PNOBODY", "insutype": "310",
                                             "psn_type": "1101", "insuplc_admdvs": "510100",
                                             "begndate": "2020-01-01"}, 404)
    assert r["code"] == "PERSON_NOT_FOUND"
