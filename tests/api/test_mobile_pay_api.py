"""Online purchase over HTTP: the son quotes and authorizes his mother's order with his own
PIN (yuan strings, keyed), the pharmacy's system runs the order (here through the service, as
the gateway test does through vendors), ships it with trace codes (signed REST), both read
the order; the institution's pay key checks the notification; refusals are 4xx in both
languages and write nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.client.notify import verify_signature
from gongji.config import Settings
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.services.mobilepay import service as mp
from gongji.services.mobilepay.model import Pay, Upload
from gongji.services.notify import service as notify
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.api.test_prescriptions_api import Signer
from tests.api.test_trace_api import login
from tests.clinic import HENAN_PHARMACY, Clinic, open_clinic, trace
from tests.conftest import table_counts
from tests.family import PIN, make_family
from tests.service.test_mobile_pay import ITEMS, TOTAL, lines, prescribe, ready

WALL = datetime(2026, 11, 24, 10, 0, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clinic(database: Database, clock: FixedClock) -> Clinic:
    return ready(open_clinic(make_family(Gongji(database, clock, wall=FixedClock(WALL)))))


@pytest.fixture
def client(clinic: Clinic) -> Iterator[TestClient]:
    app = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def body(clinic: Clinic, **over: Any) -> dict[str, Any]:
    return {"psn_no": clinic.fam["李秀英"].psn_no, "fixmedins_code": HENAN_PHARMACY,
            "med_org_ord": "WX-API", "fee_sumamt": "72.50",
            "items": [{"med_list_codg": i.med_list_codg, "cnt": i.cnt, "pric": i.pric,
                       "name": i.name} for i in ITEMS]} | over


def test_the_son_authorizes_and_both_read_the_shipped_order(client: TestClient,
                                                            clinic: Clinic) -> None:
    son = login(client, clinic, "张伟")
    q = client.post("/api/v1/pay-authorizations/quote", json=body(clinic), headers=son)
    assert q.status_code == 200, q.text
    split = q.json()
    assert split["fee_sumamt"] == "72.50"
    assert sum(int(split[k].replace(".", "")) for k in (
        "fund_pay", "acct_pay", "acct_mulaid_pay", "own_pay_amt")) == TOTAL
    r = client.post("/api/v1/pay-authorizations", json=body(clinic, pin=PIN),
                    headers=son | {"Idempotency-Key": "pa-1"})
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["authorized_by"] == clinic.fam["张伟"].psn_no and a["fee_sumamt"] == "72.50"
    again = client.post("/api/v1/pay-authorizations", json=body(clinic, pin=PIN),
                        headers=son | {"Idempotency-Key": "pa-1"})
    assert again.json() == a and again.headers["Idempotent-Replayed"] == "true"
    inst = clinic.inst(HENAN_PHARMACY)
    fees = tuple(replace(f, trace_codes=()) for f in lines())
    up = mp.upload(clinic.app, inst, "up", Upload(
        a["pay_auth_no"], "WX-API", "41", fees, TOTAL, hi_rxno=prescribe(clinic),
        notify_url="http://127.0.0.1:9/n")).value
    mp.pay(clinic.app, inst, Pay(a["pay_auth_no"], up.pay_ord_id, up.pay_token or ""))
    pharmacy = Signer(client, clinic.app, HENAN_PHARMACY)
    shipped = pharmacy.call("POST", f"/api/v1/pay-orders/{up.pay_ord_id}/shipment", {
        "lines": [{"feedetl_sn": "1", "trace_codes": [trace(), trace()]},
                  {"feedetl_sn": "2", "trace_codes": [trace()]}]}, expect=200)
    assert shipped["shipped_at"] and shipped["ord_stas"] == "6"
    mine = client.get(f"/api/v1/pay-orders/{up.pay_ord_id}", headers=son)
    assert mine.status_code == 200, mine.text
    page = mine.json()
    assert page["order"]["ord_stas_zh"] == "结算完成" and len(page["traces"]) == 3
    assert page["settlement"]["medfee_sumamt"] == "72.50"
    assert clinic.fam["李秀英"].certno not in mine.text
    listed = client.get(f"/api/v1/persons/{clinic.fam['李秀英'].psn_no}/pay-orders", headers=son)
    assert [o["pay_ord_id"] for o in listed.json()] == [up.pay_ord_id]
    assert pharmacy.call("GET", f"/api/v1/pay-orders/{up.pay_ord_id}", expect=200)[
        "order"]["med_org_ord"] == "WX-API"
    stranger = login(client, clinic, "张丽")
    assert client.get(f"/api/v1/pay-orders/{up.pay_ord_id}", headers=stranger
                      ).status_code == 404
    # the key the pharmacy checks gongji's notifications with
    key = pharmacy.call("GET", "/api/v1/mobile-pay/key", expect=200)["pay_key"]
    assert key == notify.pay_key(clinic.app, HENAN_PHARMACY)
    sent: list[tuple[bytes, dict[str, str]]] = []
    notify.deliver_due(clinic.app, post=lambda url, b, h: sent.append((b, h)) or 200)
    assert sent, "the paid and shipped states were notified"
    for raw, h in sent:
        assert verify_signature(key, h["X-Gongji-Timestamp"], h["X-Gongji-Notify-Id"], raw,
                                h["X-Gongji-Signature"])
        assert json.loads(raw)["payOrdId"] == up.pay_ord_id


def test_refusals_are_bilingual_4xx_and_write_nothing(client: TestClient, clinic: Clinic,
                                                      database: Database) -> None:
    son = login(client, clinic, "张伟")
    before = {t: n for t, n in table_counts(database).items() if t != "request_nonces"}
    for over, status, code in (
            ({"fee_sumamt": "72.49"}, 422, "PAY_AUTH_MISMATCH"),
            ({"pin": "000000"}, 403, "PIN_WRONG"),
            ({"psn_no": clinic.fam["张丽"].psn_no}, 403, "FORBIDDEN"),
            ({"fixmedins_code": "P00000000000"}, 404, "INSTITUTION_NOT_FOUND")):
        r = client.post("/api/v1/pay-authorizations", json=body(clinic, pin=PIN) | over,
                        headers=son | {"Idempotency-Key": f"bad-{code}"})
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
        assert r.json()["message"] and r.json()["message_en"]
    after = {t: n for t, n in table_counts(database).items() if t != "request_nonces"}
    # a wrong PIN counts the attempt (pins), nothing else moves
    assert {t: n for t, n in after.items() if t != "pins"} == \
        {t: n for t, n in before.items() if t != "pins"}
