"""Electronic prescriptions over HTTP: a hospital issues (signed, keyed), the person and the
issuer read, a stranger is told it does not exist, the issuer revokes; quantities travel as
strings, the ID number only in a body; refusals write nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
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
from tests.api.test_trace_api import login
from tests.clinic import D_B, D_C, HOSPITAL, PHARMACY, S_A, Clinic, open_clinic
from tests.conftest import OPERATOR, table_counts
from tests.family import make_family

_n = count()
WALL = datetime(2026, 11, 24, 10, 0, 0, tzinfo=SHANGHAI)
OP = {"Authorization": "Bearer op"}


@pytest.fixture
def clinic(database: Database, clock: FixedClock) -> Clinic:
    return open_clinic(make_family(Gongji(database, clock, wall=FixedClock(WALL))))


@pytest.fixture
def client(clinic: Clinic) -> Iterator[TestClient]:
    app = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def moved(database: Database) -> dict[str, int]:
    """The rows an issue writes (a signed request's nonce is written whatever the answer)."""
    return {t: n for t, n in table_counts(database).items()
            if t in ("prescriptions", "prescription_items", "audit_log")}


class Signer:
    def __init__(self, c: TestClient, app: Gongji, code: str) -> None:
        self.c = c
        k = institutions.create_key(app, OPERATOR, code)
        self.key_id, self.secret = k.key_id, k.secret

    def call(self, method: str, path: str, body: Any = None, *, expect: int,
             key: str | None = None) -> Any:
        raw = b"" if body is None else json.dumps(body).encode()
        h = signed_headers(self.key_id, self.secret, method, path, raw,
                           timestamp=int(WALL.timestamp()))
        if method != "GET":
            h |= {"Idempotency-Key": key or f"rx{next(_n)}", "Content-Type": "application/json"}
        r = self.c.request(method, path, content=raw or None, headers=h)
        assert r.status_code == expect, r.text
        return r.json()


def test_issue_read_and_revoke(client: TestClient, clinic: Clinic) -> None:
    hospital = Signer(client, clinic.app, HOSPITAL)
    zw, zl = clinic.fam["张伟"], clinic.fam["张丽"]
    body = {"certno": zw.certno, "valid_days": 3, "dise_codg": "J00",
            "items": [{"med_list_codg": D_B, "cnt": "2"}, {"med_list_codg": D_C, "cnt": "0.50"}]}
    v = hospital.call("POST", "/api/v1/prescriptions", body, expect=201, key="rx-same")
    assert v["psn_no"] == zw.psn_no and v["status"] == "issued" and v["issued_by"] == HOSPITAL
    assert v["valid_until"].startswith("2026-11-26T23:59:59")
    assert sorted((i["med_list_codg"], i["cnt"]) for i in v["items"]) == sorted(
        [(D_B, "2"), (D_C, "0.5")])
    assert zw.certno not in json.dumps(v) and "张伟" not in json.dumps(v)
    # a retry with the same key answers the same prescription
    again = client.request("POST", "/api/v1/prescriptions", content=json.dumps(body).encode(),
                           headers=signed_headers(hospital.key_id, hospital.secret, "POST",
                                                  "/api/v1/prescriptions",
                                                  json.dumps(body).encode(),
                                                  timestamp=int(WALL.timestamp()))
                           | {"Idempotency-Key": "rx-same", "Content-Type": "application/json"})
    assert again.status_code == 201 and again.json() == v
    assert again.headers.get("Idempotent-Replayed") == "true"

    path = f"/api/v1/prescriptions/{v['hi_rxno']}"
    me = login(client, clinic, "张伟")
    assert client.get(path, headers=me).json() == v
    assert client.get(path, headers=OP).json() == v
    assert hospital.call("GET", path, expect=200) == v
    mine = client.get(f"/api/v1/persons/{zw.psn_no}/prescriptions", headers=me)
    assert mine.status_code == 200 and [x["hi_rxno"] for x in mine.json()] == [v["hi_rxno"]]
    her = login(client, clinic, "张丽")
    stranger = client.get(path, headers=her)
    assert stranger.status_code == 404 and stranger.json()["code"] == "RX_NOT_FOUND"
    assert client.get(f"/api/v1/persons/{zl.psn_no}/prescriptions", headers=her).json() == []
    r = client.get(f"/api/v1/persons/{zw.psn_no}/prescriptions", headers=her)
    assert r.status_code == 403

    pharmacy = Signer(client, clinic.app, PHARMACY)
    out = pharmacy.call("POST", f"{path}/revoke", expect=404)
    assert out["code"] == "RX_NOT_FOUND"
    done = hospital.call("POST", f"{path}/revoke", expect=200)
    assert done["status"] == "revoked"
    assert hospital.call("POST", f"{path}/revoke", expect=422)["code"] == "RX_REVOKED"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"items": [{"med_list_codg": D_B, "cnt": "1"}]}, 422, "VALIDATION_ERROR"),  # nobody named
    ({"psn_no": "P1", "items": []}, 422, "VALIDATION_ERROR"),
    ({"psn_no": "P1", "items": [{"med_list_codg": D_B, "cnt": "1.000001"}]}, 422,
     "VALIDATION_ERROR"),
    ({"psn_no": "P1", "items": [{"med_list_codg": D_B, "cnt": 1}]}, 422, "VALIDATION_ERROR"),
    ({"psn_no": "P1", "valid_days": 4, "items": [{"med_list_codg": D_B, "cnt": "1"}]}, 422,
     "VALIDATION_ERROR"),
    ({"psn_no": "ZW", "items": [{"med_list_codg": S_A, "cnt": "1"}]}, 422, "RX_ITEM_NOT_DRUG"),
    ({"psn_no": "ZW", "items": [{"med_list_codg": D_B, "cnt": "0"}]}, 422, "RX_ITEMS_INVALID"),
])
def test_refusals_write_nothing(client: TestClient, clinic: Clinic, database: Database,
                                body: dict[str, Any], status: int, code: str) -> None:
    hospital = Signer(client, clinic.app, HOSPITAL)
    if body.get("psn_no") == "ZW":
        body = body | {"psn_no": clinic.fam["张伟"].psn_no}
    before = moved(database)
    out = hospital.call("POST", "/api/v1/prescriptions", body, expect=status)
    assert out["code"] == code, out
    assert moved(database) == before


def test_a_pharmacy_does_not_prescribe(client: TestClient, clinic: Clinic,
                                       database: Database) -> None:
    pharmacy = Signer(client, clinic.app, PHARMACY)
    before = moved(database)
    out = pharmacy.call("POST", "/api/v1/prescriptions", {
        "psn_no": clinic.fam["张伟"].psn_no, "items": [{"med_list_codg": D_B, "cnt": "1"}]},
        expect=403)
    assert out["code"] == "RX_ISSUER_NOT_HOSPITAL" and "药店" in out["message"]
    assert moved(database) == before
