"""Crafted requests over REST and the whole HTTP server (issue 15): dates at the ends of the
calendar, bodies that are not JSON or not UTF-8, bodies too large to read, values too long to
echo, a catalog file that is not CSV. Each is refused with a registry code in both languages
(never a 500), and nothing is written."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator, MutableMapping
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.client.signing import signed_headers
from gongji.config import Settings
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.services.auth import service as auth
from gongji.services.catalog.model import CSV_COLUMNS
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.clinic import CLINIC, Clinic, open_clinic
from tests.conftest import OPERATOR, table_counts
from tests.family import make_family

WALL = datetime(2026, 11, 24, 10, 0, 0, tzinfo=SHANGHAI)
OP = {"Authorization": "Bearer op"}
LIMIT = 4096          # max_body_bytes in these tests
UPLOAD_LIMIT = 65536  # max_upload_bytes in these tests
GATEWAY = "/fsi/api/rsfComIfsService/callService"
GATEWAY_UPLOAD = "/fsi/api/fileupload/upload"  # 9101 beside GATEWAY
_n = count()


@pytest.fixture
def clinic(database: Database, clock: FixedClock) -> Clinic:
    return open_clinic(make_family(Gongji(database, clock, wall=FixedClock(WALL))))


def settings(db_url: str) -> Settings:
    return Settings(db=db_url, admin_token="op", max_body_bytes=LIMIT,
                    max_upload_bytes=UPLOAD_LIMIT)


@pytest.fixture
def client(clinic: Clinic) -> Iterator[TestClient]:
    app = create_app(clinic.app, settings(clinic.app.db.url))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def keyed(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**OP, "Idempotency-Key": f"x{next(_n)}", **(extra or {})}


def refusal(r: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the registry's refusal: this status and code, Chinese and English."""
    assert r.status_code == status, r.text[:500]
    body = r.json()
    assert body["code"] == code, body
    assert body["message"] and body["message_en"] and body["message"] != body["message_en"]
    assert re.search(r"[\u4e00-\u9fff]", body["message"]), body["message"]
    return body  # type: ignore[no-any-return]


def login(client: TestClient, clinic: Clinic, name: str) -> dict[str, str]:
    m = clinic.fam[name]
    auth.request_code(clinic.app, m.certno)
    text = client.get("/api/v1/outbox", headers=OP, params={"limit": 1}).json()[0]["body"]
    code = re.search(r"验证码是 (\d+)", text).group(1)  # type: ignore[union-attr]
    token = client.post("/api/v1/auth/login", json={"certno": m.certno, "code": code}).json()
    return {"Authorization": f"Bearer {token['token']}"}


def signed_post(client: TestClient, app: Gongji, path: str, body: Any) -> Any:
    k = institutions.create_key(app, OPERATOR, CLINIC)
    raw = json.dumps(body).encode()
    h = signed_headers(k.key_id, k.secret, "POST", path, raw, timestamp=int(WALL.timestamp()))
    return client.post(path, content=raw, headers={**h, "Content-Type": "application/json"})


# -- 5: dates at the ends of the calendar ----------------------------------------------------

def test_filing_at_the_end_of_the_calendar_is_a_field_error(
        client: TestClient, clinic: Clinic, database: Database) -> None:
    """9999-12-31 used to reach add_months and fail its `unreachable` assertion (a 500)."""
    h = login(client, clinic, "李秀英")
    psn = clinic.fam["李秀英"].psn_no
    before = table_counts(database)
    r = client.post(f"/api/v1/persons/{psn}/filings", headers={**h, "Idempotency-Key": "f1"},
                    json={"kind": "referral", "target_admdvs": "510000",
                          "begndate": "9999-12-31", "enddate": "9999-12-31"})
    body = refusal(r, 422, "VALIDATION_ERROR")
    fields = {f["field"]: f for f in body["detail"]["fields"]}
    assert set(fields) == {"begndate", "enddate"}
    assert {f["code"] for f in fields.values()} == {"DATE_OUT_OF_RANGE"}
    assert "2099-12-31" in fields["begndate"]["message"]
    assert table_counts(database) == before
    # one far date alone keeps its own code
    r = client.post(f"/api/v1/persons/{psn}/filings", headers={**h, "Idempotency-Key": "f2"},
                    json={"kind": "referral", "target_admdvs": "510000",
                          "begndate": "2099-12-31"})
    assert r.status_code != 500, r.text
    # the last day of the window itself: its six months run past the window, refused by rule
    refusal(r, 422, "DATE_OUT_OF_RANGE")
    assert table_counts(database) == before


def test_reconciliation_over_all_time_is_a_field_error(
        client: TestClient, clinic: Clinic) -> None:
    """0001-01-01 to 9999-12-31 used to overflow turning Shanghai days into UTC (a 500)."""
    claim = {"stmt_begndate": "0001-01-01", "stmt_enddate": "9999-12-31",
             "medfee_sumamt": "0", "fund_pay_sumamt": "0", "acct_pay": "0",
             "fixmedins_setl_cnt": 0}
    r = signed_post(client, clinic.app, "/api/v1/reconciliation", claim)
    body = refusal(r, 422, "VALIDATION_ERROR")
    assert {f["field"] for f in body["detail"]["fields"]} == {"stmt_begndate", "stmt_enddate"}
    ok = signed_post(client, clinic.app, "/api/v1/reconciliation",
                     claim | {"stmt_begndate": "1900-01-01", "stmt_enddate": "2099-12-31"})
    assert ok.status_code == 200 and ok.json()["stmt_rslt"] == "0", ok.text


@pytest.mark.parametrize(("method", "path", "params", "body"), [
    ("POST", "/api/v1/enrollments", None,
     {"psn_no": "P1", "insutype": "310", "psn_type": "1101", "insuplc_admdvs": "510100",
      "begndate": "0001-01-01"}),
    ("POST", "/api/v1/enrollments/e1/end", None, {"enddate": "9999-12-31"}),
    ("POST", "/api/v1/persons/P1/chronic", None,
     {"opsp_dise_code": "diabetes", "begndate": "1899-12-31"}),
    ("POST", "/api/v1/persons/P1/flags", None,
     {"flag": "assistance", "begndate": "2026-01-01", "enddate": "2100-01-01"}),
    ("GET", "/api/v1/regions/510100/policy", {"day": "9999-12-31"}, None),
    ("GET", "/api/v1/catalog/510100/items", {"q": "a", "day": "0001-01-01"}, None),
    ("POST", "/api/v1/catalog/510100/import", {"begndate": "9999-12-31"}, b"a,b\n"),
    ("POST", "/api/v1/ledger/holds", None,
     {"source_account_id": "a", "dest_account_id": "b", "amount": "1.00",
      "deadline": "9999-12-31T23:59:59-10:00"}),
    ("POST", "/api/v1/sandbox/clock", None, {"set": "9999-12-31T00:00:00+08:00"}),
    ("GET", "/api/v1/institutions/H51010000002/conformance",
     {"since": "0001-01-01T00:00:00+08:00"}, None),
])
def test_every_date_the_api_takes_is_bounded(client: TestClient, database: Database,
                                             method: str, path: str,
                                             params: dict[str, str] | None,
                                             body: dict[str, Any] | bytes | None) -> None:
    before = table_counts(database)
    if isinstance(body, bytes):
        r = client.request(method, path, params=params, content=body,
                           headers=keyed({"Content-Type": "text/csv"}))
    else:
        r = client.request(method, path, params=params, json=body, headers=keyed())
    refusal(r, 422, "DATE_OUT_OF_RANGE")
    assert table_counts(database) == before


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2100-01"])
def test_months_outside_the_window_are_refused(client: TestClient, month: str) -> None:
    """A month past 9999-11 used to fail building its end (year 10000), a 500; one before
    year 2 to overflow into UTC."""
    r = client.get("/api/v1/clearing/statement", params={"month": month}, headers=OP)
    refusal(r, 422, "DATE_OUT_OF_RANGE")
    fhir = client.get(f"/fhir/R4/PaymentReconciliation/{month}", headers=OP)
    assert fhir.status_code == 422, fhir.text[:300]
    assert fhir.json()["issue"][0]["details"]["coding"][0]["code"] == "DATE_OUT_OF_RANGE"


# -- 11: bodies that are not JSON, or not UTF-8 ----------------------------------------------

@pytest.mark.parametrize(("raw", "code"), [
    (b"{not json", "BODY_NOT_JSON"),
    (b'{"certno": "1", ', "BODY_NOT_JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "BODY_NOT_JSON"),   # deeper than the parser goes
    (b'{"certno": "\xff\xfe"}', "BODY_NOT_UTF8"),
    (b"\xc3\x28", "BODY_NOT_UTF8"),
])
def test_a_body_that_is_not_json_is_a_400_in_both_languages(
        clinic: Clinic, database: Database, raw: bytes, code: str) -> None:
    app = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        before = table_counts(database)
        r = c.post("/api/v1/persons", content=raw,
                   headers=keyed({"Content-Type": "application/json"}))
        body = refusal(r, 400, code)
        assert "parsing" not in body["message"]
        assert table_counts(database) == before


def test_a_text_body_that_is_not_utf8_is_refused(client: TestClient) -> None:
    r = client.post("/api/v1/catalog/510100/import", params={"begndate": "2026-01-01"},
                    content=b"med_list_codg,name\n\xff\xfe\n",
                    headers=keyed({"Content-Type": "text/csv"}))
    refusal(r, 400, "BODY_NOT_UTF8")


# -- 14: bodies too large, values too long ---------------------------------------------------

def test_a_declared_body_over_the_limit_is_refused_unread(client: TestClient,
                                                          database: Database) -> None:
    before = table_counts(database)
    big = json.dumps({"certno": "1" * LIMIT, "name": "张伟"}).encode()
    r = client.post("/api/v1/persons", content=big,
                    headers=keyed({"Content-Type": "application/json"}))
    body = refusal(r, 413, "BODY_TOO_LARGE")
    assert body["detail"]["limit_bytes"] == LIMIT
    assert r.headers.get("connection") == "close"
    assert table_counts(database) == before


def test_a_streamed_body_without_length_is_counted(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"certno": "'
        for _ in range(10):
            yield b"1" * 1000
        yield b'", "name": "x"}'

    r = client.post("/api/v1/persons", content=chunks(),
                    headers=keyed({"Content-Type": "application/json"}))
    assert "content-length" not in {k.lower() for k in r.request.headers}
    refusal(r, 413, "BODY_TOO_LARGE")


def test_the_server_stops_reading_a_stream_at_the_limit(clinic: Clinic) -> None:
    """Straight through ASGI: a body arriving in many pieces without a Content-Length is not
    read to its end once it passes the limit."""
    app = create_app(clinic.app, settings(clinic.app.db.url))
    pieces = [b"x" * 1000] * 1000   # a megabyte, far past the 4 KiB limit
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled < len(pieces):
            pulled += 1
            return {"type": "http.request", "body": pieces[pulled - 1],
                    "more_body": pulled < len(pieces)}
        await asyncio.sleep(3600)  # a client that never hangs up
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/v1/persons", "raw_path":
             b"/api/v1/persons", "root_path": "", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 10))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert pulled <= LIMIT // 1000 + 1, f"read {pulled} of {len(pieces)} pieces"
    body = json.loads(b"".join(m.get("body", b"") for m in sent
                               if m["type"] == "http.response.body"))
    assert body["code"] == "BODY_TOO_LARGE"


def test_the_default_limit_is_a_mebibyte(clinic: Clinic) -> None:
    app = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        big = json.dumps({"certno": "1" * (1 << 20), "name": "x"}).encode()
        refusal(c.post("/api/v1/persons", content=big,
                       headers=keyed({"Content-Type": "application/json"})),
                413, "BODY_TOO_LARGE")
        small = json.dumps({"certno": "1" * 1000, "name": "x"}).encode()
        r = c.post("/api/v1/persons", content=small,
                   headers=keyed({"Content-Type": "application/json"}))
        assert r.status_code == 422, r.text[:300]


def test_uploads_have_the_larger_limit(client: TestClient) -> None:
    """The catalog import and 9101 take files: past max_body_bytes, within max_upload_bytes."""
    header = ",".join(CSV_COLUMNS) + "\n"
    csv = header + "".join(f"XA{i:021d},药{i},101,09,02,0.10,,0\n" for i in range(400))
    assert LIMIT < len(csv.encode()) < UPLOAD_LIMIT
    r = client.post("/api/v1/catalog/510100/import", params={"begndate": "2026-01-01"},
                    content=csv.encode(), headers=keyed({"Content-Type": "text/csv"}))
    assert r.status_code == 200, r.text[:300]
    assert r.json()["imported"] + len(r.json()["rejected"]) == 400
    too_big = csv.encode() * (UPLOAD_LIMIT // len(csv.encode()) + 1)
    r = client.post("/api/v1/catalog/510100/import", params={"begndate": "2026-01-01"},
                    content=too_big, headers=keyed({"Content-Type": "text/csv"}))
    refusal(r, 413, "BODY_TOO_LARGE")
    # 9101 past the ordinary limit is read (and refused for want of a signature, not size)
    upload = client.post(GATEWAY_UPLOAD, content=b'{"infno": "9101", "x": "' + b"a" * LIMIT
                         + b'"}', headers={"Content-Type": "application/json"})
    assert upload.status_code == 200 and upload.json()["err_code"] != "BODY_TOO_LARGE"


def test_a_gateway_body_too_large_is_answered_as_the_gateway_answers(
        client: TestClient) -> None:
    """The national interface answers every refusal in its envelope: HTTP 200, infcode -1."""
    for path, size in ((GATEWAY, LIMIT + 1), (GATEWAY_UPLOAD, UPLOAD_LIMIT + 1)):
        r = client.post(path, content=b"{" + b" " * size + b"}",
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text[:300]
        body = r.json()
        assert body["infcode"] == -1 and body["err_code"] == "BODY_TOO_LARGE"
        assert "BODY_TOO_LARGE" in body["err_msg"] and body["err_msg_en"]


def test_an_overlong_amount_is_not_echoed(clinic: Clinic) -> None:
    """A 100 KB amount used to come back four times over in its error; now a field error with
    the value cut short."""
    app = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/v1/persons/P1/credits", json={"amount": "1" * 100_000},
                   headers=keyed())
        refusal(r, 422, "MONEY_INVALID")
        assert len(r.content) < 2000, len(r.content)
        assert "1" * 65 not in r.text


def test_echoed_values_are_cut_in_every_error(client: TestClient) -> None:
    """A value a service names in its refusal (an id from the path) is cut to 64 characters
    in the message and the detail."""
    long_id = "v" * 3000
    r = client.get(f"/api/v1/settlements/{long_id}", headers=OP)
    assert 400 <= r.status_code < 500, r.text[:300]
    assert "v" * 65 not in r.text
    assert len(r.content) < 1000


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/visits/m1/fees/cancel", {"feedetl_sns": ["x" * 31]}, "feedetl_sns.0"),
    ("/api/v1/visits/m1/fees/cancel", {"feedetl_sns": ["1"] * 501}, "feedetl_sns"),
    ("/api/v1/visits/m1/fees", {"lines": [
        {"feedetl_sn": "1", "med_list_codg": "X", "cnt": "1", "pric": "1",
         "det_item_fee_sumamt": "1", "trace_codes": ["8" * 129]}]}, "lines.0.trace_codes.0"),
])
def test_string_inputs_have_a_maximum_length(client: TestClient, clinic: Clinic, path: str,
                                             body: dict[str, Any], field: str) -> None:
    r = signed_post(client, clinic.app, path, body)
    assert r.status_code == 422, r.text[:300]
    assert field in {f["field"] for f in r.json()["detail"]["fields"]}, r.text[:300]


def test_request_models_bound_every_string(tmp_path: Path) -> None:
    """Every string a REST request model or query takes has a maximum length (or a pattern
    fixing it), every list a maximum count: read from the OpenAPI, so a new field cannot
    forget it. (Raw text bodies, a CSV or a YAML document, are bounded by the body limit; path
    segments by the server's limit on a request line.)"""
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    app = create_app(Gongji(Database(url), FixedClock(WALL)), Settings(db=url))
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    unbounded: list[str] = []

    def walk(where: str, s: dict[str, Any]) -> None:
        if "$ref" in s:
            return  # checked under its own name
        for sub in s.get("anyOf", []) + s.get("allOf", []):
            walk(where, sub)
        t = s.get("type")
        if t == "string" and s.get("format") not in ("date", "date-time") \
                and "enum" not in s and "const" not in s \
                and "maxLength" not in s and not _fixed(s.get("pattern")):
            unbounded.append(where)
        if t == "array":
            if "maxItems" not in s:
                unbounded.append(where + "[]")
            walk(where + "[]", s.get("items", {}))
        for name, p in s.get("properties", {}).items():
            walk(f"{where}.{name}", p)

    inputs = set()
    for path_item in spec["paths"].values():
        for op in path_item.values():
            for p in op.get("parameters", []):
                if p["in"] == "query":
                    walk(f"{op['operationId']}:{p['name']}", p["schema"])
            content = (op.get("requestBody") or {}).get("content", {})
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "")
                if ref:
                    inputs.add(ref.rsplit("/", 1)[1])
    while True:
        more = {r.rsplit("/", 1)[1] for n in inputs
                for r in re.findall(r'"\$ref": "([^"]+)"', json.dumps(schemas[n]))} - inputs
        if not more:
            break
        inputs |= more
    for name in sorted(inputs):
        walk(name, schemas[name])
    assert not unbounded, unbounded


def _fixed(pattern: str | None) -> bool:
    """A pattern anchored at both ends with no unbounded repetition fixes the length."""
    return pattern is not None and pattern.startswith("^") and pattern.endswith("$") \
        and not re.search(r"[*+]|\{\d+,\}", pattern)


# -- 21: a catalog file that is not CSV --------------------------------------------------------

def test_a_carriage_return_in_an_unquoted_field_is_a_row_error(
        client: TestClient, database: Database) -> None:
    """`--data-binary $'a\\rb'` used to raise _csv.Error out of the import (a 500)."""
    before = table_counts(database)
    r = client.post("/api/v1/catalog/510100/import", params={"begndate": "2026-01-01"},
                    content=b"a\rb", headers=keyed({"Content-Type": "text/csv"}))
    body = refusal(r, 422, "CATALOG_FILE_INVALID")
    assert body["detail"]["line"] == 1
    header = ",".join(CSV_COLUMNS) + "\n"
    r = client.post("/api/v1/catalog/510100/import", params={"begndate": "2026-01-01"},
                    content=(header + "XA11HAA040B004010300002,丙\r药,101,09,03,,,0\n").encode(),
                    headers=keyed({"Content-Type": "text/csv"}))
    assert refusal(r, 422, "CATALOG_FILE_INVALID")["detail"]["line"] == 2
    assert table_counts(database) == before
    # a quoted carriage return, and CRLF line ends, are CSV
    r = client.post("/api/v1/catalog/510100/import", params={"begndate": "2026-01-01"},
                    content=(header.replace("\n", "\r\n")
                             + 'XA11HAA040B004010300002,"丙\r药",101,09,03,,,0\r\n').encode(),
                    headers=keyed({"Content-Type": "text/csv"}))
    assert r.status_code == 200 and r.json()["imported"] == 1, r.text[:300]


def test_a_field_past_the_csv_field_limit_is_a_row_error(clinic: Clinic) -> None:
    """Python's csv reader refuses a field over 131,072 characters with the same _csv.Error."""
    header = ",".join(CSV_COLUMNS) + "\n"
    text = header + "XA11HAA040B004010300002," + "药" * 140_000 + ",101,09,03,,,0\n"
    app = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/v1/catalog/510100/import", params={"begndate": "2026-01-01"},
                   content=text.encode(), headers=keyed({"Content-Type": "text/csv"}))
        assert refusal(r, 422, "CATALOG_FILE_INVALID")["detail"]["line"] == 2
