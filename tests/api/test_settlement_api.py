"""Settlement over HTTP: signed requests (replay, skew, forgery), the whole visit, yuan at
the edge, and the same amounts as the services give."""

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
from tests.clinic import CLINIC, D_B, HOSPITAL, S_A, Clinic, open_clinic, trace
from tests.conftest import OPERATOR, table_counts
from tests.family import make_family

_n = count()
WALL = datetime(2026, 11, 24, 10, 0, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clinic(database: Database, clock: FixedClock) -> Clinic:
    return open_clinic(make_family(Gongji(database, clock, wall=FixedClock(WALL))))


@pytest.fixture
def client(clinic: Clinic) -> Iterator[TestClient]:
    app = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


class Signer:
    def __init__(self, c: TestClient, app: Gongji, code: str) -> None:
        self.c = c
        k = institutions.create_key(app, OPERATOR, code)
        self.key_id, self.secret = k.key_id, k.secret

    def post(self, path: str, body: Any, *, expect: int | None = None, ts: int | None = None,
             nonce: str | None = None, key: str | None = "auto",
             tamper: bool = False) -> Any:
        raw = json.dumps(body).encode()
        h = signed_headers(self.key_id, self.secret, "POST", path, raw,
                           timestamp=int(WALL.timestamp()) if ts is None else ts, nonce=nonce)
        if tamper:
            raw = raw.replace(b"10", b"11")
        if key == "auto":
            key = f"k{next(_n)}"
        if key:
            h["Idempotency-Key"] = key
        r = self.c.post(path, content=raw, headers={**h, "Content-Type": "application/json"})
        if expect is not None:
            assert r.status_code == expect, r.text
        return r.json()


def cred(clinic: Clinic, name: str) -> dict[str, str]:
    return {"mdtrt_cert_type": "02", "mdtrt_cert_no": clinic.fam[name].certno}


def test_a_visit_over_http(client: TestClient, clinic: Clinic, database: Database) -> None:
    h = Signer(client, clinic.app, CLINIC)
    v = h.post("/api/v1/visits", {"credential": cred(clinic, "张伟"), "insutype": "310",
                                  "med_type": "11"}, expect=201)
    assert v["care"] == "outpatient" and v["out_of_area"] is False
    lines = h.post(f"/api/v1/visits/{v['mdtrt_id']}/fees", {"lines": [
        {"feedetl_sn": "1", "med_list_codg": S_A, "cnt": "1", "pric": "300",
         "det_item_fee_sumamt": "300.00"},
        {"feedetl_sn": "2", "med_list_codg": D_B, "cnt": "2", "pric": "30.00",
         "det_item_fee_sumamt": "60.00", "trace_codes": [trace(), trace()]}]}, expect=201)
    assert lines[1] | {"name": None} == {
        "feedetl_sn": "2", "med_list_codg": D_B, "name": None, "det_item_fee_sumamt": "60.00",
        "fulamt_ownpay_amt": "0.00", "overlmt_amt": "4.00", "preselfpay_amt": "5.60",
        "inscp_scp_amt": "50.40", "pric_uplmt_amt": "28.00", "selfpay_prop": "0.1000",
        "chrgitm_lv": "02", "med_chrgitm_type": "09", "lmt_used_flag": False,
        "in_catalog": True}
    ask = {"credential": cred(clinic, "张伟"), "medfee_sumamt": "360.00"}
    before = table_counts(database)
    pre = h.post(f"/api/v1/visits/{v['mdtrt_id']}/pre-settle", ask, expect=200, key=None)
    after = table_counts(database)
    assert after.pop("request_nonces") == before.pop("request_nonces") + 1  # only the nonce
    assert after == before and pre["status"] == "presettled"
    s = h.post(f"/api/v1/visits/{v['mdtrt_id']}/settle", ask, expect=201)
    # employee outpatient: annual deductible 1,000 not reached; in scope 350.40 + 5.60 first
    # self-pay from the account, the 4.00 over the cap in cash
    assert (s["medfee_sumamt"], s["act_pay_dedc"], s["hifp_pay"], s["acct_pay"],
            s["psn_cash_pay"]) == ("360.00", "350.40", "0.00", "356.00", "4.00")
    assert s["psn_name"] == "张*" and s["status"] == "settled"
    for k in ("medfee_sumamt", "hifp_pay", "acct_pay", "psn_cash_pay"):
        assert s[k] == pre[k]
    got = client.get(f"/api/v1/settlements/{s['setl_id']}",
                     headers={"Authorization": "Bearer op"}).json()
    assert got["setl_id"] == s["setl_id"]
    c = h.post(f"/api/v1/settlements/{s['setl_id']}/cancel", {}, expect=200)
    assert c["status"] == "cancelled"


def test_signatures_refuse_forgery_replay_and_skew(client: TestClient,
                                                   clinic: Clinic) -> None:
    h = Signer(client, clinic.app, CLINIC)
    body = {"credential": cred(clinic, "张伟"), "insutype": "310", "med_type": "11"}
    ok = h.post("/api/v1/visits", body, nonce="nonce-000001", expect=201)
    assert ok["mdtrt_id"]
    replay = h.post("/api/v1/visits", body, nonce="nonce-000001", expect=401)
    assert replay["code"] == "NONCE_REUSED"
    now = int(WALL.timestamp())
    assert h.post("/api/v1/visits", body, ts=now - 301, expect=401)["code"] == \
        "SIGNATURE_EXPIRED"
    assert h.post("/api/v1/visits", body, ts=now + 301, expect=401)["code"] == \
        "SIGNATURE_EXPIRED"
    assert h.post("/api/v1/visits", body, ts=now - 300, expect=201)["mdtrt_id"]
    assert h.post("/api/v1/visits", body, ts=now + 300, expect=201)["mdtrt_id"]
    forged = h.post("/api/v1/visits", body | {"med_type": "10"}, tamper=True, expect=401)
    assert forged["code"] == "SIGNATURE_INVALID"
    other = Signer(client, clinic.app, HOSPITAL)
    other.secret = h.secret
    assert other.post("/api/v1/visits", body, expect=401)["code"] == "SIGNATURE_INVALID"
    unsigned = client.post("/api/v1/visits", json=body)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "UNAUTHENTICATED"
    bearer = client.post("/api/v1/visits", json=body,
                         headers={"Authorization": "Bearer op", "Idempotency-Key": "x"})
    assert bearer.status_code == 401


def test_an_institution_cannot_touch_anothers_visit(client: TestClient,
                                                    clinic: Clinic) -> None:
    a, b = Signer(client, clinic.app, CLINIC), Signer(client, clinic.app, HOSPITAL)
    v = a.post("/api/v1/visits", {"credential": cred(clinic, "张伟"), "insutype": "310",
                                  "med_type": "11"}, expect=201)
    r = b.post(f"/api/v1/visits/{v['mdtrt_id']}/fees", {"lines": [
        {"feedetl_sn": "1", "med_list_codg": S_A, "cnt": "1", "pric": "1",
         "det_item_fee_sumamt": "1.00"}]}, expect=404)
    assert r["code"] == "VISIT_NOT_FOUND"


@pytest.mark.parametrize(("line", "status", "code"), [
    ({"cnt": "-1"}, 422, "VALIDATION_ERROR"),
    ({"det_item_fee_sumamt": "1.001"}, 422, "VALIDATION_ERROR"),
    ({"det_item_fee_sumamt": "3.00"}, 422, "FEE_LINE_MISMATCH"),
    ({"med_list_codg": "000000000000000"}, 404, "CATALOG_ITEM_NOT_FOUND"),
    ({"trace_codes": ["8123"]}, 422, "TRACE_CODE_INVALID"),
])
def test_bad_fee_lines_over_http(client: TestClient, clinic: Clinic, database: Database,
                                 line: dict[str, Any], status: int, code: str) -> None:
    h = Signer(client, clinic.app, CLINIC)
    v = h.post("/api/v1/visits", {"credential": cred(clinic, "张伟"), "insutype": "310",
                                  "med_type": "11"}, expect=201)
    before = table_counts(database)
    body = {"feedetl_sn": "1", "med_list_codg": S_A, "cnt": "1", "pric": "2",
            "det_item_fee_sumamt": "2.00"} | line
    r = h.post(f"/api/v1/visits/{v['mdtrt_id']}/fees", {"lines": [body]}, expect=status)
    assert r["code"] == code
    after = table_counts(database)
    assert after.pop("request_nonces") == before.pop("request_nonces") + 1  # the signature
    assert after == before


def test_the_person_reads_their_settlements_and_the_public_trace_query(
        client: TestClient, clinic: Clinic) -> None:
    h = Signer(client, clinic.app, CLINIC)
    code = trace()
    v = h.post("/api/v1/visits", {"credential": cred(clinic, "张伟"), "insutype": "310",
                                  "med_type": "11"}, expect=201)
    h.post(f"/api/v1/visits/{v['mdtrt_id']}/fees", {"lines": [
        {"feedetl_sn": "1", "med_list_codg": D_B, "cnt": "1", "pric": "20",
         "det_item_fee_sumamt": "20.00", "trace_codes": [code]}]}, expect=201)
    h.post(f"/api/v1/visits/{v['mdtrt_id']}/settle", {"credential": cred(clinic, "张伟")},
           expect=201)
    q = client.post("/api/v1/trace-codes/query", json={"code": code}).json()
    assert q["outcome"] == "sold_once" and "核对" in q["message"]
    fresh = client.post("/api/v1/trace-codes/query", json={"code": trace()}).json()
    assert fresh["outcome"] == "unsold"
    bad = client.post("/api/v1/trace-codes/query", json={"code": "81234567"})
    assert bad.status_code == 422 and bad.json()["code"] == "TRACE_CODE_INVALID"
    mine = client.get(f"/api/v1/persons/{clinic.fam['张伟'].psn_no}/settlements",
                      headers={"Authorization": "Bearer op"}).json()
    assert len(mine) == 1 and mine[0]["lines"][0]["name"] == "乙类药"


def test_reconciliation_match_and_mismatch(client: TestClient, clinic: Clinic) -> None:
    h = Signer(client, clinic.app, CLINIC)
    v = h.post("/api/v1/visits", {"credential": cred(clinic, "张伟"), "insutype": "310",
                                  "med_type": "11"}, expect=201)
    h.post(f"/api/v1/visits/{v['mdtrt_id']}/fees", {"lines": [
        {"feedetl_sn": "1", "med_list_codg": S_A, "cnt": "1", "pric": "10",
         "det_item_fee_sumamt": "10.00"}]}, expect=201)
    s = h.post(f"/api/v1/visits/{v['mdtrt_id']}/settle", {"credential": cred(clinic, "张伟")},
               expect=201)
    claim = {"stmt_begndate": "2026-11-24", "stmt_enddate": "2026-11-24",
             "medfee_sumamt": "10.00", "fund_pay_sumamt": s["fund_pay_sumamt"],
             "acct_pay": s["acct_pay"], "fixmedins_setl_cnt": 1}
    ok = h.post("/api/v1/reconciliation", claim, expect=200, key=None)
    assert ok["stmt_rslt"] == "0"
    bad = h.post("/api/v1/reconciliation", claim | {"fixmedins_setl_cnt": 2}, expect=200,
                 key=None)
    assert bad["stmt_rslt"] == "1" and "fixmedins_setl_cnt" in bad["stmt_rslt_dscr"]
    statement = client.get("/api/v1/clearing/statement", params={"month": "2026-11"},
                           headers={"Authorization": "Bearer op"})
    assert statement.status_code == 200 and statement.json() == []


def test_filing_and_switch_over_http(client: TestClient, clinic: Clinic) -> None:
    from gongji.services.auth import service as auth

    ma = clinic.fam["李秀英"]
    auth.request_code(clinic.app, ma.certno)
    body = client.get("/api/v1/outbox", headers={"Authorization": "Bearer op"},
                      params={"limit": 1}).json()[0]["body"]
    import re

    code = re.search(r"验证码是 (\d+)", body).group(1)  # type: ignore[union-attr]
    token = client.post("/api/v1/auth/login", json={"certno": ma.certno, "code": code}).json()
    h = {"Authorization": f"Bearer {token['token']}"}
    r = client.post(f"/api/v1/persons/{ma.psn_no}/filings",
                    json={"kind": "referral", "target_admdvs": "510000",
                          "begndate": "2026-11-24"}, headers={**h, "Idempotency-Key": "f1"})
    assert r.status_code == 201 and r.json()["enddate"] == "2027-05-24"
    assert client.get(f"/api/v1/persons/{ma.psn_no}/filings", headers=h).json()[0]["kind"] \
        == "referral"
    s = client.put(f"/api/v1/persons/{ma.psn_no}/switches/pharmacy_cross_province",
                   json={"enabled": True}, headers={**h, "Idempotency-Key": "s1"})
    assert s.status_code == 200 and s.json()["enabled"] is True
    other = client.put(f"/api/v1/persons/{clinic.fam['张伟'].psn_no}/switches/"
                       "pharmacy_cross_province", json={"enabled": True},
                       headers={**h, "Idempotency-Key": "s2"})
    assert other.status_code == 403
    rec = client.post(f"/api/v1/persons/{ma.psn_no}/chronic",
                      json={"opsp_dise_code": "diabetes", "begndate": "2026-01-01"},
                      headers={"Authorization": "Bearer op", "Idempotency-Key": "c1"})
    assert rec.status_code == 201
    assert client.post(f"/api/v1/persons/{ma.psn_no}/chronic",
                       json={"opsp_dise_code": "flu", "begndate": "2026-01-01"},
                       headers={"Authorization": "Bearer op",
                                "Idempotency-Key": "c2"}).status_code == 422
