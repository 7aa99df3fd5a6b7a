"""The OpenAPI tells the truth (issue 15, item 23), so a client generated from it works: each
refusal a route can give is documented with the body it is sent in, OPTIONS names every method
of a path, Idempotency-Key is required where the server refuses a write without it, and
/metrics says it is Prometheus text. tests/api/test_schemathesis.py checks the same at large."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.certno import make_certno
from gongji.services.runtime import Gongji
from tests.conftest import table_counts

TOKEN = "contract-operator-token"
OP = {"Authorization": f"Bearer {TOKEN}"}
METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def client(app: Gongji, db_url: str) -> Iterator[TestClient]:
    if not db_url.startswith("sqlite"):
        pytest.skip("one database is enough for the HTTP contract")
    with TestClient(create_app(app, Settings(db=db_url, admin_token=TOKEN)),
                    raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    out: dict[str, Any] = client.get("/openapi.json").json()
    return out


def documented(spec: dict[str, Any], method: str, path: str, r: Any) -> None:
    """The response's status is documented for the operation, with its media type, and the
    body validates against the documented schema."""
    op = spec["paths"][path][method.lower()]
    status = str(r.status_code)
    answer = op["responses"].get(status) or op["responses"].get(status[0] + "XX")
    assert answer is not None, f"{method} {path}: {status} undocumented ({sorted(op['responses'])})"
    kind = r.headers["content-type"].split(";")[0].strip()
    content = answer.get("content", {})
    assert kind in content, f"{method} {path} {status}: {kind} not in {sorted(content)}"
    schema = {**content[kind]["schema"], "components": spec["components"]}
    errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(r.json())]
    assert not errors, f"{method} {path} {status}: {errors} in {r.text[:300]}"


def test_a_422_body_is_the_documented_error(client: TestClient, spec: dict[str, Any]) -> None:
    """FastAPI documents 422 as HTTPValidationError (detail: a list); gongji sends
    {code, message, message_en, detail: {fields: [...]}}: the document must say so."""
    r = client.post("/api/v1/persons", json={"certno": "x", "name": ""},
                    headers={**OP, "Idempotency-Key": "k-422"})
    assert r.status_code == 422 and r.json()["code"] == "VALIDATION_ERROR", r.text
    documented(spec, "POST", "/api/v1/persons", r)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    # a query parameter, and a money field with its own code
    r = client.get("/api/v1/ledger/accounts", params={"limit": "many"}, headers=OP)
    assert r.status_code == 422, r.text
    documented(spec, "GET", "/api/v1/ledger/accounts", r)


def test_every_refusal_is_documented_with_the_error_body(client: TestClient,
                                                        spec: dict[str, Any]) -> None:
    """401 (nobody), 404 (an id that is not there), 400 (a body that is not JSON), 409
    (a second registration), 413 (a body over the limit), each as the Error schema."""
    for method, path, template, kw, status in (
            ("GET", "/api/v1/persons/P0000000000000001", "/api/v1/persons/{psn_no}", {}, 401),
            ("GET", "/api/v1/persons/P0000000000000001", "/api/v1/persons/{psn_no}",
             {"headers": OP}, 404),
            ("POST", "/api/v1/persons", "/api/v1/persons",
             {"content": b"{not json", "headers": {**OP, "Idempotency-Key": "k-400",
                                                   "Content-Type": "application/json"}}, 400),
            ("POST", "/api/v1/persons", "/api/v1/persons",
             {"content": b"x" * (2 << 20), "headers": {**OP, "Idempotency-Key": "k-413",
                                                       "Content-Type": "application/json"}},
             413)):
        r = client.request(method, path, **kw)
        assert r.status_code == status, (method, path, r.text[:300])
        documented(spec, method, template, r)
    person = {"certno": make_certno("510104", date(1980, 1, 1), 1), "name": "张三"}
    assert client.post("/api/v1/persons", json=person,
                       headers={**OP, "Idempotency-Key": "k-first"}).status_code == 201
    r = client.post("/api/v1/persons", json=person, headers={**OP, "Idempotency-Key": "k-again"})
    assert r.status_code == 409, r.text
    documented(spec, "POST", "/api/v1/persons", r)


def test_fhir_refusals_are_documented_as_operation_outcomes(client: TestClient,
                                                           spec: dict[str, Any]) -> None:
    r = client.get("/fhir/R4/Patient/P0000000000000001", headers=OP)
    assert r.status_code == 404, r.text
    assert r.json()["resourceType"] == "OperationOutcome"
    documented(spec, "GET", "/fhir/R4/Patient/{psn_no}", r)
    r = client.get("/fhir/R4/Patient/P0000000000000001")
    assert r.status_code == 401, r.text
    documented(spec, "GET", "/fhir/R4/Patient/{psn_no}", r)


def test_routes_document_what_they_can_answer(spec: dict[str, Any]) -> None:
    """The rules of api/openapi.py, read back: a route that needs a caller documents 401 and
    403, one with a path id 404, a write 409, every route with input 400/413/422; no
    HTTPValidationError is left."""
    wrong = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            if "x-gongji-refusals" in op:  # a route that answers its own way declares them
                if set(op["responses"]) - {"200", "201", "202", "204"} \
                        != {str(s) for s in op["x-gongji-refusals"]}:
                    wrong.append(f"{method.upper()} {path}: not its declared refusals")
                continue
            codes = set(op["responses"])
            want = {"413"}
            if op.get("parameters") or op.get("requestBody"):
                want |= {"400", "422"}
            if op.get("security"):
                want |= {"401", "403"}
            if "{" in path:
                want |= {"404", "409"}
            if method != "get" and op.get("requestBody"):
                want |= {"404", "409"}
            if want - codes:
                wrong.append(f"{method.upper()} {path}: lacks {sorted(want - codes)}")
            for code, answer in op["responses"].items():
                if code.startswith("4"):
                    content = answer.get("content", {})
                    schemas = [m["schema"] for m in content.values()]
                    if not schemas or any(s == {} for s in schemas):
                        wrong.append(f"{method.upper()} {path} {code}: no schema")
    assert not wrong, "\n".join(wrong)
    assert "HTTPValidationError" not in str(spec)


def test_options_allows_every_method_of_the_path(client: TestClient,
                                                 spec: dict[str, Any]) -> None:
    """Starlette's 405 named only the methods of the first route matching the path: OPTIONS
    /api/v1/institutions said `Allow: POST` although GET is there too."""
    wrong = []
    for path, item in spec["paths"].items():
        concrete = path.replace("{", "x").replace("}", "")
        r = client.options(concrete, headers=OP)
        allowed = {m.strip().lower() for m in r.headers.get("allow", "").split(",") if m.strip()}
        if r.status_code != 405 or allowed - {"head", "options"} != set(item) & METHODS:
            wrong.append(f"{path}: {r.status_code} Allow: {r.headers.get('allow')} "
                         f"(documented: {sorted(set(item) & METHODS)})")
    assert not wrong, "\n".join(wrong)
    r = client.options("/api/v1/institutions")
    documented_methods = {m.strip() for m in r.headers["allow"].split(",")}
    assert {"GET", "POST"} <= documented_methods
    assert r.json()["code"] == "METHOD_NOT_ALLOWED"


def test_idempotency_key_is_required_where_the_server_refuses_without_it(
        client: TestClient, spec: dict[str, Any]) -> None:
    person = {"certno": make_certno("510104", date(1980, 1, 1), 2), "name": "李四"}
    before = table_counts(client.app.state.services.db)  # type: ignore[attr-defined]
    r = client.post("/api/v1/persons", json=person, headers=OP)
    assert r.status_code == 400 and r.json()["code"] == "IDEMPOTENCY_KEY_MISSING", r.text
    assert table_counts(client.app.state.services.db) == before  # type: ignore[attr-defined]
    documented(spec, "POST", "/api/v1/persons", r)
    keyed = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []):
                if p["name"] == "Idempotency-Key":
                    keyed.append(f"{method} {path}")
                    assert p["in"] == "header" and p["required"] is True, (method, path, p)
                    assert p["schema"]["type"] == "string" and "pattern" in p["schema"], p
    assert "post /api/v1/persons" in keyed and "post /api/v1/transfers" in keyed
    assert len(keyed) > 30


def test_metrics_documents_prometheus_text(client: TestClient, spec: dict[str, Any]) -> None:
    op = spec["paths"]["/metrics"]["get"]
    content = op["responses"]["200"]["content"]
    assert list(content) == ["text/plain"], content
    assert CONTENT_TYPE_LATEST.split(";")[1].strip() in op["responses"]["200"]["description"]
    r = client.get("/metrics", headers=OP)
    if r.status_code == 200:
        assert r.headers["content-type"].split(";")[0] == "text/plain"
    else:
        documented(spec, "GET", "/metrics", r)
