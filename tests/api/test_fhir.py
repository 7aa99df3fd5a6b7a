"""FHIR R4 over HTTP: application/fhir+json, exact decimals, the REST API's callers (operator
bearer, institution signature), refusals as OperationOutcome with the error code and a 4xx,
and the routes in the OpenAPI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.client.signing import signed_headers
from gongji.config import Settings
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.services.fhir import service as fhir
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.store.db import Database
from tests.clinic import CLINIC, D_B, HOSPITAL, S_A, Clinic, open_clinic
from tests.conftest import OPERATOR
from tests.family import make_family

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


@pytest.fixture
def settled(clinic: Clinic) -> svc.SettlementView:
    v = clinic.visit("张伟", at=CLINIC, med_type="11")
    clinic.fees(v, (S_A, "1", "1300.55"), (D_B, "2", "30"))
    return clinic.settle(v, "张伟")


def get(c: TestClient, path: str, headers: dict[str, str] | None = None) -> Any:
    r = c.get(path, headers=OP if headers is None else headers)
    assert r.headers["content-type"].startswith("application/fhir+json"), r.text
    return r.status_code, fhir.parse(r.text), r.text


def signed(c: TestClient, app: Gongji, code: str, path: str) -> dict[str, str]:
    k = institutions.create_key(app, OPERATOR, code)
    return signed_headers(k.key_id, k.secret, "GET", path, b"", timestamp=int(WALL.timestamp()))


def issue(body: dict[str, Any]) -> tuple[str, str]:
    assert body["resourceType"] == "OperationOutcome"
    i = body["issue"][0]
    return i["details"]["coding"][0]["code"], i["code"]


def test_metadata_lists_the_resources(client: TestClient) -> None:
    status, body, _ = get(client, "/fhir/R4/metadata", headers={})
    assert status == 200 and body["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in body["rest"][0]["resource"]}
    assert types == {"Patient", "Coverage", "Account", "Claim", "ClaimResponse",
                     "ExplanationOfBenefit", "PaymentReconciliation"}
    fhir.MODELS["CapabilityStatement"].model_validate(body)


def test_eob_over_http_is_exact(client: TestClient, settled: svc.SettlementView) -> None:
    status, body, text = get(client, f"/fhir/R4/ExplanationOfBenefit/{settled.setl_id}")
    assert status == 200
    fhir.MODELS["ExplanationOfBenefit"].model_validate(body)
    submitted = next(t for t in body["total"]
                     if t["category"]["coding"][0]["code"] == "submitted")
    assert submitted["amount"]["value"] == Decimal(settled.medfee_sumamt) / 100
    assert '"value":1360.55' in text  # two decimals, exactly, as a JSON number
    status, bundle, _ = get(client, f"/fhir/R4/ExplanationOfBenefit?patient=Patient/"
                                    f"{settled.psn_no}")
    assert status == 200 and [e["resource"]["id"] for e in bundle["entry"]] == [settled.setl_id]


def test_every_read_route_answers(client: TestClient, clinic: Clinic,
                                  settled: svc.SettlementView) -> None:
    psn = settled.psn_no
    _, cov, _ = get(client, f"/fhir/R4/Coverage?beneficiary={psn}")
    paths = [f"/fhir/R4/Patient/{psn}", f"/fhir/R4/Account/{psn}",
             f"/fhir/R4/Coverage/{cov['entry'][0]['resource']['id']}",
             f"/fhir/R4/Claim/{settled.mdtrt_id}", f"/fhir/R4/ClaimResponse/{settled.setl_id}",
             "/fhir/R4/PaymentReconciliation/2026-11"]
    for path in paths:
        status, body, _ = get(client, path)
        assert status == 200, (path, body)
        fhir.MODELS[body["resourceType"]].model_validate(body)


def test_an_institution_reads_its_own_settlements_only(
        client: TestClient, clinic: Clinic, settled: svc.SettlementView) -> None:
    path = f"/fhir/R4/ExplanationOfBenefit/{settled.setl_id}"
    status, body, _ = get(client, path, signed(client, clinic.app, CLINIC, path))
    assert status == 200 and body["provider"]["identifier"]["value"] == CLINIC
    status, body, _ = get(client, path, signed(client, clinic.app, HOSPITAL, path))
    assert status == 404 and issue(body) == ("FHIR_RESOURCE_NOT_FOUND", "not-found")
    path = f"/fhir/R4/Patient/{settled.psn_no}"
    status, body, _ = get(client, path, signed(client, clinic.app, CLINIC, path))
    assert status == 403 and issue(body) == ("FORBIDDEN", "forbidden")


@pytest.mark.parametrize(("path", "headers", "status", "code"), [
    ("/fhir/R4/Patient/P1", {}, 401, "UNAUTHENTICATED"),
    ("/fhir/R4/Patient/P1", {"Authorization": "Bearer wrong"}, 401, "UNAUTHENTICATED"),
    ("/fhir/R4/Patient/NOPE", OP, 404, "FHIR_RESOURCE_NOT_FOUND"),
    ("/fhir/R4/Patient/a_b", OP, 400, "FHIR_ID_INVALID"),
    ("/fhir/R4/Observation/1", OP, 404, "FHIR_RESOURCE_UNSUPPORTED"),
    ("/fhir/R4/Coverage", OP, 422, "VALIDATION_ERROR"),
    ("/fhir/R4/PaymentReconciliation/2026-13", OP, 422, "VALIDATION_ERROR"),
    ("/fhir/R4/PaymentReconciliation/11-2026", OP, 400, "FHIR_ID_INVALID"),
    ("/fhir/R4/nothing/here/at/all", OP, 404, "NOT_FOUND"),
])
def test_refusals_are_operation_outcomes(client: TestClient, path: str,
                                         headers: dict[str, str], status: int,
                                         code: str) -> None:
    got, body, _ = get(client, path, headers)
    assert got == status
    assert issue(body)[0] == code
    fhir.MODELS["OperationOutcome"].model_validate(body)
    assert body["issue"][0]["details"]["text"] and body["issue"][0]["diagnostics"]


def test_the_rest_api_keeps_its_json_errors(client: TestClient) -> None:
    r = client.get("/api/v1/persons/NOPE", headers=OP)
    assert r.headers["content-type"] == "application/json" and r.json()["code"]


def test_openapi_lists_the_fhir_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    fhir_paths = {p for p in spec["paths"] if p.startswith("/fhir/R4/")}
    assert {"/fhir/R4/metadata", "/fhir/R4/Patient/{psn_no}",
            "/fhir/R4/ExplanationOfBenefit/{setl_id}", "/fhir/R4/ExplanationOfBenefit",
            "/fhir/R4/PaymentReconciliation/{month}", "/fhir/R4/Coverage",
            "/fhir/R4/Account/{account_id}", "/fhir/R4/Claim/{mdtrt_id}",
            "/fhir/R4/ClaimResponse/{setl_id}", "/fhir/R4/Coverage/{enrollment_id}"} == fhir_paths
    for p in fhir_paths:
        op = spec["paths"][p]["get"]
        assert op["tags"] == ["FHIR R4"]
        assert "application/fhir+json" in op["responses"]["200"]["content"]


def person_token(c: TestClient, certno: str) -> dict[str, str]:
    assert c.post("/api/v1/auth/code", json={"certno": certno}).status_code == 202
    message = c.get("/api/v1/outbox", headers=OP, params={"limit": 1}).json()[0]
    code = re.search(r"验证码是 (\d{6})", message["body"]).group(1)  # type: ignore[union-attr]
    r = c.post("/api/v1/auth/login", json={"certno": certno, "code": code})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_a_person_reads_their_own_records_only(client: TestClient, clinic: Clinic,
                                               settled: svc.SettlementView) -> None:
    me = person_token(client, clinic.fam["张伟"].certno)
    status, body, text = get(client, f"/fhir/R4/Patient/{settled.psn_no}", me)
    assert status == 200 and body["name"] == [{"text": "张*"}]
    assert clinic.fam["张伟"].certno not in text
    status, body, _ = get(client, f"/fhir/R4/ExplanationOfBenefit/{settled.setl_id}", me)
    assert status == 200 and body["patient"]["reference"] == f"Patient/{settled.psn_no}"
    other = clinic.fam["王芳"].psn_no
    for path in (f"/fhir/R4/Patient/{other}", f"/fhir/R4/Account/{other}",
                 f"/fhir/R4/ExplanationOfBenefit?patient={other}"):
        status, body, _ = get(client, path, me)
        assert status == 403 and issue(body) == ("FORBIDDEN", "forbidden"), path
    status, body, _ = get(client, "/fhir/R4/PaymentReconciliation/2026-11", me)
    assert status == 403


def test_a_hand_claim_is_a_claim_and_its_review_a_claim_response(
        client: TestClient, clinic: Clinic) -> None:
    """手工报销 in FHIR: Claim/{claim_id} as submitted (route: hand), ClaimResponse/{claim_id}
    queued while waiting, partial once a line was reduced, its payment when paid; the
    person reads them, an institution does not (the claim is between the person and their
    region)."""
    from gongji.services.claims import service as claims
    from gongji.services.claims.model import LineDecision, Review
    from tests.service.test_claims import claim_of

    app, ma = clinic.app, clinic.fam["李秀英"]
    c = claims.submit(app, ma.who, "fh-c", claim_of(clinic, "李秀英", (S_A, "1", "10800"),
                                                    (D_B, "2", "30"))).value
    status, body, _ = get(client, f"/fhir/R4/Claim/{c.claim_id}")
    assert status == 200 and body["total"] == {"value": Decimal("10860.00"), "currency": "CNY"}
    assert body["extension"][0]["valueCode"] == "hand" and len(body["item"]) == 2
    assert body["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["display"] == "脑梗死"
    fhir.MODELS["Claim"].model_validate(body)
    status, body, _ = get(client, f"/fhir/R4/ClaimResponse/{c.claim_id}")
    assert status == 200 and body["outcome"] == "queued" and "payment" not in body

    claims.review(app, OPERATOR, "fh-r", c.claim_id, Review(True, (
        LineDecision("2", "1", "一盒超量 one box too many"),)))
    claims.pay(app, OPERATOR, "fh-p", c.claim_id)
    status, body, _ = get(client, f"/fhir/R4/ClaimResponse/{c.claim_id}")
    assert status == 200 and body["outcome"] == "partial"
    # one box admitted: 30.00 over the 28.00 cap (2.00 self-paid), 10% of 28.00 first
    # self-paid; (10,800.00 + 25.20 - 800.00 deductible) x (60% - 20% unfiled) = 4,010.08
    assert body["payment"]["amount"]["value"] == Decimal("4010.08")
    paid = {a["category"]["coding"][0]["code"]: a["amount"]["value"]
            for a in body["total"]}
    assert (paid["submitted"], paid["benefit"]) == (Decimal("10830.00"), Decimal("4010.08"))
    fhir.MODELS["ClaimResponse"].model_validate(body)
    me = person_token(client, ma.certno)
    assert get(client, f"/fhir/R4/ClaimResponse/{c.claim_id}", me)[0] == 200
    path = f"/fhir/R4/Claim/{c.claim_id}"
    status, body, _ = get(client, path, signed(client, app, HOSPITAL, path))
    assert status == 404 and issue(body)[0] == "FHIR_RESOURCE_NOT_FOUND"
