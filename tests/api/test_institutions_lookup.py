"""Where the wallet is accepted over HTTP (issue 17, point 7): GET /api/v1/institutions is
public (a designated institution's name, code, level, area and whether it takes the wallet
are public information, as the trace-code query is); its filters, its pages, and bad input
refused with a stable code and a message in both languages. A settlement at an institution
that does not take the wallet names the quota it left unused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.services.transfers import service as transfers
from tests.clinic import D_B, Clinic, open_clinic
from tests.conftest import OPERATOR
from tests.family import PIN, key, make_family

NO_WALLET = "P41130000002"
URL = "/api/v1/institutions"


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    c = open_clinic(make_family(app))
    institutions.register(app, OPERATOR, key("i"), institutions.RegisterInstitution(
        NO_WALLET, "宛城小药房", "0", "411300", wallet_supported=False))
    return c


@pytest.fixture
def client(clinic: Clinic) -> Iterator[TestClient]:
    with TestClient(create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op")),
                    raise_server_exceptions=False) as c:
        yield c


def get(c: TestClient, **params: Any) -> Any:
    r = c.get(URL, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_anyone_looks_up_where_the_wallet_is_accepted(client: TestClient) -> None:
    body = get(client, wallet="true", admdvs="51")
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 20)
    assert [i["fixmedins_name"] for i in body["items"]] == \
        ["成都共济医院", "成都大药房", "社区卫生服务中心"]
    assert body["items"][0] == {"fixmedins_code": "H51010000001",
                                "fixmedins_name": "成都共济医院", "fixmedins_type": "1",
                                "hosp_lv": "3", "admdvs": "510100", "wallet_supported": True}
    assert [i["fixmedins_code"] for i in get(client, wallet="false")["items"]] == [NO_WALLET]
    assert get(client)["total"] == 6, "without wallet=: every institution"
    assert [i["fixmedins_name"] for i in get(client, wallet="true", q="药房")["items"]] == \
        ["南阳大药房", "成都大药房"]
    assert get(client, wallet="true", admdvs="411300", q="药房")["total"] == 1
    assert get(client, admdvs="4113")["total"] == 3
    assert get(client, admdvs="510104")["total"] == 0


def test_pages(client: TestClient) -> None:
    seen = []
    for n in (1, 2, 3):
        body = get(client, wallet="true", per_page=2, page=n)
        assert body["total"] == 5
        seen += [i["fixmedins_code"] for i in body["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert get(client, wallet="true", per_page=2, page=4)["items"] == []


@pytest.mark.parametrize(("params", "code"), [
    ({"admdvs": "5"}, "AREA_INVALID"), ({"admdvs": "510"}, "AREA_INVALID"),
    ({"admdvs": "abcdef"}, "AREA_INVALID"), ({"admdvs": "5" * 80}, "VALIDATION_ERROR"),
    ({"q": "x" * 51}, "VALIDATION_ERROR"), ({"page": "0"}, "VALIDATION_ERROR"),
    ({"page": "x"}, "VALIDATION_ERROR"), ({"per_page": "101"}, "VALIDATION_ERROR"),
    ({"wallet": "maybe"}, "VALIDATION_ERROR"), ({"q": "a\x00"}, "VALIDATION_ERROR"),
])
def test_bad_input_is_refused_with_a_stable_code(client: TestClient, params: dict[str, str],
                                                 code: str) -> None:
    r = client.get(URL, params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == code and body["message"] and body["message_en"]
    assert body["message"] != body["message_en"], "Chinese and English"
    assert "5" * 65 not in r.text, "a long value is not echoed whole"


def test_operators_still_register_and_others_may_not(client: TestClient) -> None:
    new = {"fixmedins_code": "H51010000077", "fixmedins_name": "测试医院", "hosp_lv": "3",
           "admdvs": "510100", "wallet_supported": False}
    assert client.post(URL, json=new).status_code == 401
    r = client.post(URL, json=new, headers={"Authorization": "Bearer op",
                                            "Idempotency-Key": "reg-1"})
    assert r.status_code == 201, r.text
    assert get(client, wallet="false", q="测试")["items"][0]["fixmedins_code"] == "H51010000077"


def test_a_settlement_names_the_quota_an_institution_left_unused(clinic: Clinic,
                                                                 client: TestClient) -> None:
    fam, app = clinic.fam, clinic.app
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    fam.bind("张伟", "李秀英", "parent")
    t = transfers.send(app, fam["张伟"].who, key(), transfers.SendTransfer(
        fam["李秀英"].psn_no, 100_00), PIN).value
    transfers.respond(app, fam["李秀英"].who, key(), t.id, "accept")
    v = clinic.visit("李秀英", at=NO_WALLET, med_type="41")
    clinic.fees(v, (D_B, "2", "30"))
    s = clinic.settle(v, "李秀英")
    r = client.get(f"/api/v1/settlements/{s.setl_id}", headers={"Authorization": "Bearer op"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["quota_not_accepted"], out["acct_mulaid_pay"], out["psn_cash_pay"]) == \
        ("56.00", "0.00", "60.00")
