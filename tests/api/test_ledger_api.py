"""The ledger and health endpoints through HTTP: auth, money at the edge, idempotency, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as settlement
from gongji.services.tokens.service import create_token
from gongji.services.transfers import service as transfers
from gongji.store.db import Database
from gongji.store.tables import settlements, wallet_transfers
from tests.clinic import HOSPITAL, S_A, Clinic, open_clinic
from tests.conftest import table_counts
from tests.family import PIN, key, make_family

TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(app: Gongji) -> Iterator[TestClient]:
    settings = Settings(db=app.db.url, admin_token=TOKEN)
    with TestClient(create_app(app, settings), raise_server_exceptions=False) as c:
        yield c


class Api:
    def __init__(self, client: TestClient) -> None:
        self.c = client
        self.n = 0

    def post(self, path: str, body: dict[str, Any], key: str | None = "auto",
             expect: int = 201) -> dict[str, Any]:
        headers = dict(AUTH)
        if key == "auto":
            self.n += 1
            key = f"k{self.n}"
        if key is not None:
            headers["Idempotency-Key"] = key
        r = self.c.post(path, json=body, headers=headers)
        assert r.status_code == expect, r.text
        out: dict[str, Any] = r.json()
        return out

    def get(self, path: str, expect: int = 200, **params: Any) -> Any:
        r = self.c.get(path, headers=AUTH, params=params)
        assert r.status_code == expect, r.text
        return r.json()

    def account(self, kind: str, owner: str, **kw: str) -> str:
        return str(self.post("/api/v1/ledger/accounts",
                             {"kind": kind, "owner": owner, **kw})["id"])


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture
def funded(api: Api) -> dict[str, str]:
    """The operators' own money: a region's cash and two institutions' receivables (a
    person's accounts are not theirs to move: see the end of this file)."""
    cash, a, b = api.account("CASH", "510100"), api.account("INSTITUTION", "A"), \
        api.account("INSTITUTION", "B")
    api.post("/api/v1/ledger/transfers",
             {"debit_account_id": cash, "credit_account_id": a, "amount": "5000.00"})
    return {"cash": cash, "a": a, "b": b}


def assert_error(body: dict[str, Any], code: str) -> None:
    assert body["code"] == code
    assert body["message"] and body["message_en"]
    assert isinstance(body["detail"], dict)


def test_health_metrics_and_openapi(client: TestClient) -> None:
    h = client.get("/healthz")
    assert h.status_code == 200
    assert h.json()["status"] == "ok" and h.json()["timezone"] == "Asia/Shanghai"
    assert h.headers["x-request-id"]
    assert client.get("/metrics").status_code == 401  # operators only by default
    m = client.get("/metrics", headers=AUTH)
    assert m.status_code == 200 and "gongji_http_requests_total" in m.text
    spec = client.get("/openapi.json").json()
    assert "/api/v1/ledger/transfers" in spec["paths"]
    amount = spec["components"]["schemas"]["TransferIn"]["properties"]["amount"]
    assert amount["type"] == "string"
    assert client.get("/docs").status_code == 200


def test_request_id_is_echoed_when_safe(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers[
        "x-request-id"] == "abc-123"
    assert client.get("/healthz", headers={"X-Request-ID": "bad id!"}).headers[
        "x-request-id"] != "bad id!"


def test_operator_auth_required(client: TestClient) -> None:
    for r in (client.get("/api/v1/ledger/accounts"),
              client.get("/api/v1/ledger/accounts", headers={"Authorization": "Bearer nope"}),
              client.get("/api/v1/ledger/accounts", headers={"Authorization": "Basic eDp5"}),
              client.post("/api/v1/ledger/transfers", json={})):
        assert r.status_code == 401
        assert_error(r.json(), "UNAUTHENTICATED")


def test_created_tokens_work(client: TestClient, app: Gongji) -> None:
    t = create_token(app, "ops-desk", "operator")
    r = client.get("/api/v1/ledger/accounts", headers={"Authorization": f"Bearer {t.token}"})
    assert r.status_code == 200


def test_transfer_amounts_are_yuan_strings(api: Api, funded: dict[str, str]) -> None:
    e = api.post("/api/v1/ledger/transfers", {"debit_account_id": funded["a"],
                                              "credit_account_id": funded["b"],
                                              "amount": "2000.01", "memo": "x"})
    assert [p["amount"] for p in e["postings"]] == ["-2000.01", "2000.01"]
    assert api.get(f"/api/v1/ledger/accounts/{funded['a']}")["balance"] == "2999.99"
    assert api.get(f"/api/v1/ledger/accounts/{funded['b']}")["balance"] == "2000.01"
    listed = api.get(f"/api/v1/ledger/accounts/{funded['b']}/entries")
    assert [x["id"] for x in listed] == [e["id"]]
    assert api.get(f"/api/v1/ledger/entries/{e['id']}") == e


@pytest.mark.parametrize(("amount", "code"), [
    ("2000.001", "MONEY_TOO_PRECISE"), ("-1.00", "MONEY_NEGATIVE"), ("0", "MONEY_ZERO"),
    ("1e3", "MONEY_INVALID"), (2000, "MONEY_INVALID"), (20.5, "MONEY_INVALID"),
    ("100000000000.01", "MONEY_OVERFLOW"),
])
def test_bad_amounts_are_refused_and_nothing_written(api: Api, funded: dict[str, str],
                                                     database: Database, amount: Any,
                                                     code: str) -> None:
    before = table_counts(database)
    body = api.post("/api/v1/ledger/transfers", {"debit_account_id": funded["a"],
                                                 "credit_account_id": funded["b"],
                                                 "amount": amount}, expect=422)
    assert_error(body, code)
    assert body["detail"]["fields"][0]["field"] == "amount"
    assert table_counts(database) == before


def test_validation_errors_name_every_field_in_both_languages(api: Api) -> None:
    body = api.post("/api/v1/ledger/transfers", {"amount": "1.00", "colour": "red"},
                    expect=422)
    assert_error(body, "VALIDATION_ERROR")
    fields = {f["field"]: f for f in body["detail"]["fields"]}
    assert set(fields) == {"debit_account_id", "credit_account_id", "colour"}
    assert fields["debit_account_id"]["message"] == "缺少必填字段"
    assert fields["colour"]["message"] == "不允许的字段"
    assert "debit_account_id" in body["message"] and "debit_account_id" in body["message_en"]


def test_malformed_json_is_a_clear_4xx(client: TestClient) -> None:
    r = client.post("/api/v1/ledger/transfers", content=b"{not json",
                    headers={**AUTH, "Idempotency-Key": "x", "Content-Type": "application/json"})
    assert r.status_code == 400
    assert_error(r.json(), "BODY_NOT_JSON")


def test_idempotency_over_http(api: Api, funded: dict[str, str], client: TestClient,
                               database: Database) -> None:
    body = {"debit_account_id": funded["a"], "credit_account_id": funded["b"],
            "amount": "10.00"}
    first = client.post("/api/v1/ledger/transfers", json=body,
                        headers={**AUTH, "Idempotency-Key": "pay-7"})
    before = table_counts(database)
    again = client.post("/api/v1/ledger/transfers", json=body,
                        headers={**AUTH, "Idempotency-Key": "pay-7"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert table_counts(database) == before
    conflict = client.post("/api/v1/ledger/transfers", json={**body, "amount": "10.01"},
                           headers={**AUTH, "Idempotency-Key": "pay-7"})
    assert conflict.status_code == 409
    assert_error(conflict.json(), "IDEMPOTENCY_CONFLICT")
    assert conflict.json()["detail"]["differing"] == ["amount"]
    missing = api.post("/api/v1/ledger/transfers", body, key=None, expect=400)
    assert_error(missing, "IDEMPOTENCY_KEY_MISSING")
    bad = api.post("/api/v1/ledger/transfers", body, key="no spaces please", expect=400)
    assert_error(bad, "IDEMPOTENCY_KEY_INVALID")


def test_holds_post_void_and_reversal(api: Api, funded: dict[str, str],
                                      clock: FixedClock) -> None:
    deadline = (clock.now() + timedelta(hours=20)).isoformat()
    h = api.post("/api/v1/ledger/holds", {"source_account_id": funded["a"],
                                          "dest_account_id": funded["b"],
                                          "amount": "2000.00", "deadline": deadline})
    assert h["state"] == "pending" and h["amount"] == "2000.00"
    assert api.get(f"/api/v1/ledger/accounts/{funded['a']}")["balance"] == "3000.00"
    r = api.post(f"/api/v1/ledger/holds/{h['id']}/post", {}, expect=200)
    assert r["hold"]["state"] == "posted" and r["entry"]["kind"] == "post"
    again = api.post(f"/api/v1/ledger/holds/{h['id']}/void", {}, expect=409)
    assert_error(again, "HOLD_NOT_PENDING")
    assert api.get(f"/api/v1/ledger/holds/{h['id']}")["state"] == "posted"

    e = api.post("/api/v1/ledger/transfers", {"debit_account_id": funded["a"],
                                              "credit_account_id": funded["b"],
                                              "amount": "1.00"})
    rev = api.post(f"/api/v1/ledger/entries/{e['id']}/reversal", {"memo": "oops"})
    assert rev["kind"] == "reversal" and rev["ref_entry_id"] == e["id"]
    assert_error(api.post(f"/api/v1/ledger/entries/{e['id']}/reversal", {}, expect=409),
                 "ENTRY_ALREADY_REVERSED")


def test_naive_deadline_is_refused(api: Api, funded: dict[str, str]) -> None:
    body = api.post("/api/v1/ledger/holds", {"source_account_id": funded["a"],
                                             "dest_account_id": funded["b"],
                                             "amount": "1.00",
                                             "deadline": "2026-11-25T06:00:00"}, expect=422)
    assert_error(body, "VALIDATION_ERROR")
    assert "时区" in body["detail"]["fields"][0]["message"]


def test_not_found_and_method_errors_use_the_registry(api: Api, client: TestClient) -> None:
    assert_error(api.get("/api/v1/ledger/accounts/nope", expect=404), "ACCOUNT_NOT_FOUND")
    assert_error(api.get("/api/v1/ledger/entries/nope", expect=404), "ENTRY_NOT_FOUND")
    assert_error(api.get("/api/v1/ledger/holds/nope", expect=404), "HOLD_NOT_FOUND")
    assert_error(api.get("/api/v1/no/such/path", expect=404), "NOT_FOUND")
    r = client.delete("/api/v1/ledger/transfers", headers=AUTH)
    assert r.status_code == 405
    assert_error(r.json(), "METHOD_NOT_ALLOWED")


def test_list_accounts_filters_and_pages(api: Api, funded: dict[str, str]) -> None:
    theirs = api.get("/api/v1/ledger/accounts", kind="INSTITUTION")
    assert {a["owner"] for a in theirs} == {"A", "B"}
    first = api.get("/api/v1/ledger/accounts", limit=1)
    rest = api.get("/api/v1/ledger/accounts", after=first[0]["id"])
    assert len(first) + len(rest) == len(api.get("/api/v1/ledger/accounts"))
    assert api.get("/api/v1/ledger/accounts", owner="A")[0]["balance"] == "5000.00"
    assert_error(api.get("/api/v1/ledger/accounts", expect=422, limit=0), "VALIDATION_ERROR")


def test_verify_endpoint(api: Api, funded: dict[str, str]) -> None:
    report = api.get("/api/v1/ledger/verify")
    assert report["ok"] is True
    assert {c["name"] for c in report["checks"]} >= {"balances", "audit_chain"}


# -- a person's money and a business record's entries are not the operator ledger's ---------

@pytest.fixture
def world(app: Gongji) -> Clinic:
    """A settled visit (张伟 paid from his personal account) and a pending wallet transfer
    (张伟 to his mother): a person's money, moved by the capabilities that own it."""
    clinic = open_clinic(make_family(app))
    fam = clinic.fam
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    fam.bind("张伟", "李秀英", "parent")
    transfers.send(app, fam["张伟"].who, key("t"),
                   transfers.SendTransfer(fam["李秀英"].psn_no, 100_00), PIN)
    v = clinic.visit("张伟")
    clinic.fees(v, (S_A, "1", "200"))
    clinic.settle(v, "张伟")
    return clinic


def _row(app: Gongji, column: Any) -> str:
    return str(app.read_conn(lambda c: c.execute(select(column)).scalar_one()))


def test_a_settlements_entry_is_undone_only_by_the_settlement(api: Api, world: Clinic,
                                                              database: Database) -> None:
    app = world.app
    setl_id, entry_id = _row(app, settlements.c.setl_id), _row(app, settlements.c.entry_id)
    before = table_counts(database)
    body = api.post(f"/api/v1/ledger/entries/{entry_id}/reversal", {"memo": "x"}, expect=409)
    assert_error(body, "ENTRY_OWNED")
    assert "settlement" in body["message"] and "settlement" in body["message_en"]
    assert table_counts(database) == before                 # nothing refunded, nothing kept
    assert api.get("/api/v1/ledger/verify")["ok"] is True
    # the institution's cancel, the owner of the entry, still undoes it
    undone = settlement.cancel(app, world.inst(HOSPITAL), key("c"), setl_id).value
    assert undone.status == "cancelled"
    assert api.get("/api/v1/ledger/verify")["ok"] is True


def test_a_persons_accounts_are_not_moved_by_the_operator_ledger(api: Api, world: Clinic,
                                                                 database: Database,
                                                                 clock: FixedClock) -> None:
    zw = world.fam["张伟"].psn_no
    personal = api.get("/api/v1/ledger/accounts", kind="PERSONAL", owner=zw)[0]["id"]
    quota = api.get("/api/v1/ledger/accounts", kind="WALLET_QUOTA")[0]["id"]
    held = api.get("/api/v1/ledger/accounts", kind="HOLD")[0]["id"]
    cash = api.account("CASH", "510100")
    before = table_counts(database)
    deadline = (clock.now() + timedelta(hours=2)).isoformat()
    for mine in (personal, quota, held):
        for debit, credit in ((mine, cash), (cash, mine)):
            body = api.post("/api/v1/ledger/transfers", {
                "debit_account_id": debit, "credit_account_id": credit, "amount": "1.00"},
                expect=409)
            assert_error(body, "LEDGER_PERSON_ACCOUNT")
            body = api.post("/api/v1/ledger/holds", {
                "source_account_id": debit, "dest_account_id": credit, "amount": "1.00",
                "deadline": deadline}, expect=409)
            assert_error(body, "LEDGER_PERSON_ACCOUNT")
    # the wallet transfer's hold resolves through the transfer (accept, reject, cancel) only
    hold_id = _row(world.app, wallet_transfers.c.hold_id)
    for action in ("post", "void"):
        assert_error(api.post(f"/api/v1/ledger/holds/{hold_id}/{action}", {}, expect=409),
                     "HOLD_OWNED")
    # nor does the operator ledger open a person's account
    body = api.post("/api/v1/ledger/accounts", {"kind": "PERSONAL", "owner": zw}, expect=422)
    assert_error(body, "VALIDATION_ERROR")
    assert table_counts(database) == before
