"""Hand claims over HTTP: yuan strings at the edge, the person submits, the operator reviews
line by line and pays, refusals are 4xx with the code in both languages and nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.api.test_fhir import OP, WALL, person_token
from tests.clinic import D_B, HOSPITAL, S_A, Clinic, open_clinic
from tests.conftest import table_counts
from tests.family import make_family


@pytest.fixture
def clinic(database: Database, clock: FixedClock) -> Clinic:
    return open_clinic(make_family(Gongji(database, clock, wall=FixedClock(WALL))))


@pytest.fixture
def client(clinic: Clinic) -> Iterator[TestClient]:
    app = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def body(**over: Any) -> dict[str, Any]:
    return {"insutype": "390", "fixmedins_code": HOSPITAL, "med_type": "21",
            "begndate": "2026-11-10", "enddate": "2026-11-20", "dise_codg": "I63.900",
            "dise_name": "脑梗死", "invoice_no": "FP-API-1", "medfee_sumamt": "10830.00",
            "lines": [{"feedetl_sn": "1", "med_list_codg": S_A, "cnt": "1", "pric": "10800",
                       "det_item_fee_sumamt": "10800.00"},
                      {"feedetl_sn": "2", "med_list_codg": D_B, "cnt": "1", "pric": "30",
                       "det_item_fee_sumamt": "30.00"}],
            "bank_name": "中国农业银行", "bank_acct": "6228 4800 0000 1234 567"} | over


def test_a_claim_from_submission_to_payment(client: TestClient, clinic: Clinic) -> None:
    ma = clinic.fam["李秀英"]
    me = person_token(client, ma.certno)
    r = client.post(f"/api/v1/persons/{ma.psn_no}/claims", json=body(),
                    headers=me | {"Idempotency-Key": "k-1"})
    assert r.status_code == 201, r.text
    c = r.json()
    assert (c["status"], c["medfee_sumamt"], c["bank_acct_masked"]) == (
        "submitted", "10830.00", "6228****4567")
    assert "6228480000001234567" not in r.text
    again = client.post(f"/api/v1/persons/{ma.psn_no}/claims", json=body(),
                        headers=me | {"Idempotency-Key": "k-1"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["claim_id"] == c["claim_id"]
    queue = client.get("/api/v1/claims/queue", headers=OP).json()
    assert [q["claim_id"] for q in queue] == [c["claim_id"]]
    assert client.get("/api/v1/claims/queue", headers=me).status_code == 403

    r = client.post(f"/api/v1/claims/{c['claim_id']}/review", headers=OP | {
        "Idempotency-Key": "k-2"}, json={"approve": True, "lines": [
            {"feedetl_sn": "2", "cnt": "0", "reason": "非本病用药 not for this illness"}]})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["lines"][1]["admitted_amt"] == "0.00"
    re_ = done["reimbursement"]
    # (10,800.00 - 800.00 tertiary deductible) x (60% - 20% unfiled) = 4,000.00
    assert (re_["medfee_sumamt"], re_["hifp_pay"], re_["reimbursed"]) == (
        "10800.00", "4000.00", "4000.00")
    r = client.post(f"/api/v1/claims/{c['claim_id']}/pay",
                    headers=OP | {"Idempotency-Key": "k-3"})
    assert r.json()["status"] == "paid"
    mine = client.get(f"/api/v1/persons/{ma.psn_no}/claims", headers=me).json()
    assert [(x["status"], x["status_zh"]) for x in mine] == [("paid", "已支付到银行账户")]


@pytest.mark.parametrize(("over", "status", "code"), [
    ({"medfee_sumamt": "10830.001"}, 422, "VALIDATION_ERROR"),
    ({"medfee_sumamt": 10830.0}, 422, "VALIDATION_ERROR"),
    ({"medfee_sumamt": "10831.00"}, 422, "CLAIM_TOTAL_MISMATCH"),
    ({"enddate": "2026-11-25"}, 422, "CLAIM_DATES_INVALID"),
    ({"bank_acct": "6228-4800-0000-1234"}, 422, "CLAIM_BANK_ACCOUNT_INVALID"),
    ({"med_type": "99"}, 422, "VALIDATION_ERROR"),
    ({"lines": []}, 422, "VALIDATION_ERROR"),
])
def test_bad_claims_are_refused_with_nothing_written(
        client: TestClient, clinic: Clinic, database: Database, over: dict[str, Any],
        status: int, code: str) -> None:
    ma = clinic.fam["李秀英"]
    me = person_token(client, ma.certno)
    before = table_counts(database)
    r = client.post(f"/api/v1/persons/{ma.psn_no}/claims", json=body(**over),
                    headers=me | {"Idempotency-Key": "bad-1"})
    assert r.status_code == status, r.text
    e = r.json()
    assert e["code"] == code and e["message"] and e["message_en"]
    after = table_counts(database)
    assert {k: v for k, v in after.items() if k != "sessions"} == {
        k: v for k, v in before.items() if k != "sessions"}
