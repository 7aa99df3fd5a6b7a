"""The mobile-payment transactions through unmodified vendor clients (issue 19): a pharmacy's
system runs 6201 -> 6202 -> 6301 -> 6203 for an order the person authorized, for each client
shape through each transport profile, on both databases; the amounts are the service's to
the fen and every refusal is infcode -1 with the reason in both languages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji import sm
from gongji.services.institutions import service as institutions
from gongji.services.mobilepay import service as mp
from gongji.services.transport import service as transport
from gongji.services.transport.model import IssueCredential, SetTransport
from tests.clinic import D_B, HENAN_PHARMACY, Clinic
from tests.conftest import OPERATOR, table_counts
from tests.family import PIN, key
from tests.gateway.test_outputs import complete
from tests.gateway.vendors import (
    FASTJSON2,
    FASTJSON_RELAY,
    NEWTONSOFT,
    SHAPES,
    Shape,
    Vendor,
    Wire,
)
from tests.service.test_mobile_pay import D_OTC, TOTAL, order, prescribe, quota, ready


def vendor(client: TestClient, clinic: Clinic, shape: Shape, scheme: str, *,
           encrypted: bool = False) -> Vendor:
    app = clinic.app
    transport.set_profile(app, OPERATOR, key("tp"), HENAN_PHARMACY, SetTransport(
        scheme=scheme, infcode_as="string" if shape.relay else "number",  # type: ignore[arg-type]
        relay=shape.relay, encrypted=encrypted))
    wire = Wire(scheme)
    if scheme == "gongji":
        k = institutions.create_key(app, OPERATOR, HENAN_PHARMACY)
        wire.secret = {"key_id": k.key_id, "secret": k.secret}
    elif scheme == "tif":
        c = transport.issue(app, OPERATOR, key("c"), HENAN_PHARMACY, IssueCredential("tif")).value
        wire.secret = {"paasid": c.principal, "token": c.secret or ""}
    elif scheme == "esb":
        c = transport.issue(app, OPERATOR, key("c"), HENAN_PHARMACY, IssueCredential("esb")).value
        wire.secret = {"access_key": c.principal, "secret": c.secret or ""}
    else:
        c = transport.issue(app, OPERATOR, key("c"), HENAN_PHARMACY,
                            IssueCredential("oauth2")).value
        wire.secret = {"username": c.principal, "password": c.secret or ""}
    if encrypted:
        mine = sm.sm2_generate()
        c = transport.issue(app, OPERATOR, key("c"), HENAN_PHARMACY, IssueCredential(
            "sm", peer_public=mine.public_hex)).value
        assert c.secret and c.platform_public
        wire.sm_keys = (bytes.fromhex(c.secret), mine.private_hex, c.platform_public)
    return Vendor(client, HENAN_PHARMACY, shape, wire)


def fee_lines() -> list[dict[str, Any]]:
    return [{"feedetlSn": "1", "medListCodg": D_B, "medinsListCodg": "YP001", "cnt": Decimal(2),
             "pric": Decimal("30.00"), "detItemFeeSumamt": Decimal("60.00"),
             "feeOcurTime": "2026-11-24 10:00:00", "rxCircFlag": "0"},
            {"feedetlSn": "2", "medListCodg": D_OTC, "medinsListCodg": "YP002", "cnt": Decimal(1),
             "pric": Decimal("12.50"), "detItemFeeSumamt": Decimal("12.50"),
             "feeOcurTime": "2026-11-24 10:00:00", "rxCircFlag": "0"}]


def at_the_counter(v: Vendor, clinic: Clinic) -> dict[str, Any]:
    """The same items as a purchase at the pharmacy's counter (2101, computed and rolled
    back), with her ID card: what the online order must split to the fen."""
    ma = clinic.fam["李秀英"]
    v.sign_no = v.ok("9001", {"signIn": {"opter_no": "0001"}})["signinoutb"]["sign_no"]
    codes = iter([f"8{n:019d}" for n in range(900, 903)])
    drug = [{**x, "drugtracinfo": [{"drug_trac_codg": next(codes)}
                                   for _ in range(int(x["cnt"]))]} for x in fee_lines()]
    out = v.ok("2101", {"druginfo": {
        "psn_no": ma.psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": ma.certno,
        "begntime": "2026-11-24 10:00:00", "medfee_sumamt": Decimal("72.50"),
        "insutype": "390", "acct_used_flag": "1", "med_type": "41"},
        "drugdetail": [{"feedetl_sn": x["feedetlSn"], "fee_ocur_time": "2026-11-24 10:00:00",
                        "med_list_codg": x["medListCodg"], "medins_list_codg": "Y1",
                        "det_item_fee_sumamt": x["detItemFeeSumamt"], "cnt": x["cnt"],
                        "pric": x["pric"], "drugtracinfo": x["drugtracinfo"]}
                       for x in drug]})
    info: dict[str, Any] = out["setlinfo"]
    return info


def online_order(v: Vendor, clinic: Clinic, ord_no: str) -> dict[str, Any]:
    app = clinic.app
    ma = clinic.fam["李秀英"]
    counter = at_the_counter(v, clinic)
    a = mp.authorize(app, clinic.fam["张伟"].who, key("a"), order(clinic, ord_no), PIN).value
    up = v.ok("6201", {"data": {
        "payAuthNo": a.pay_auth_no, "orgCodg": HENAN_PHARMACY, "medOrgOrd": ord_no,
        "psnNo": ma.psn_no, "insutype": "390", "medType": "41", "begntime": "2026-11-24 10:00:00",
        "idNo": ma.certno, "userName": ma.name, "idType": "01", "insuCode": "411300",
        "feeType": "01", "psnSetlway": "01", "chrgBchno": "B1", "pubHospRfomFlag": "0",
        "medfeeSumamt": Decimal("72.50"), "acctUsedFlag": "1", "hiRxno": prescribe(clinic),
        "feedetailList": fee_lines()}})
    assert up["ordStas"] == "1" and up["payToken"] and up["payOrdId"]
    before = quota(clinic)
    paid = v.ok("6202", {"data": {
        "payAuthNo": a.pay_auth_no, "payOrdId": up["payOrdId"], "payToken": up["payToken"],
        "orgCodg": HENAN_PHARMACY, "orgBizSer": f"BIZ{ord_no}", "chrgBchno": "B1",
        "feeType": "01", "mdtrtId": up["mdtrtId"], "acctUsedFlag": "1"}})
    assert paid["ordStas"] == "6"
    for name in ("feeSumamt", "fundPay", "psnAcctPay", "ownPayAmt", "acctMulaidPay"):
        assert Decimal(str(paid[name])) == Decimal(str(up[name])), name
        assert Decimal(str(paid[name])).as_tuple().exponent == -2
    assert Decimal(str(paid["fundPay"])) + Decimal(str(paid["psnAcctPay"])) + \
        Decimal(str(paid["ownPayAmt"])) == Decimal("72.50")
    assert before - quota(clinic) == int(Decimal(str(paid["acctMulaidPay"])) * 100)
    # to the fen what the counter would have taken from each
    assert (Decimal(str(paid["fundPay"])), Decimal(str(paid["acctMulaidPay"])),
            Decimal(str(paid["selfAcctPay"])), Decimal(str(paid["ownPayAmt"]))) == (
        Decimal(str(counter["fund_pay_sumamt"])), Decimal(str(counter["acct_mulaid_pay"])),
        Decimal(str(counter["acct_pay"])), Decimal(str(counter["psn_cash_pay"])))
    q = v.ok("6301", {"data": {"payOrdId": up["payOrdId"], "payToken": up["payToken"],
                               "orgCodg": HENAN_PHARMACY, "idNo": ma.certno,
                               "userName": ma.name, "idType": "01"}})
    assert (q["ordStas"], q["medOrgOrd"], q["setlType"]) == ("6", ord_no, "ALL")
    back = v.ok("6203", {"data": {
        "payOrdId": up["payOrdId"], "appRefdSn": f"RF{ord_no}", "appRefdTime": "20261124100500",
        "totlRefdAmt": Decimal("72.50"), "psnAcctRefdAmt": paid["psnAcctPay"],
        "fundRefdAmt": paid["fundPay"], "cashRefdAmt": paid["ownPayAmt"],
        "payAuthNo": a.pay_auth_no, "refdType": "ALL", "expContent": ""}})
    assert (back["refStatus"], back["ordStas"]) == ("SUCC", "7")
    assert quota(clinic) == before
    for infno, out in (("6201", up), ("6202", paid), ("6301", q), ("6203", back)):
        complete(infno, out)  # exactly the declared fields, amounts with two decimals
    return paid


def test_an_upload_cancelled_by_6401(client: TestClient, clinic: Clinic) -> None:
    ready(clinic)
    v = vendor(client, clinic, FASTJSON2, "oauth2")
    ma = clinic.fam["李秀英"]
    a = mp.authorize(clinic.app, clinic.fam["张伟"].who, key("a"), order(clinic, "WX-C"),
                     PIN).value
    up = v.ok("6201", {"data": {"payAuthNo": a.pay_auth_no, "medOrgOrd": "WX-C",
                                "psnNo": ma.psn_no, "medfeeSumamt": "72.50",
                                "hiRxno": prescribe(clinic), "feedetailList": fee_lines()}})
    done = v.ok("6401", {"data": {"payOrdId": up["payOrdId"], "payToken": up["payToken"],
                                  "idNo": ma.certno, "userName": ma.name, "idType": "01"}})
    assert (done["success"], done["ordStas"]) == (True, "12")
    complete("6401", done)
    again = v.call("6202", {"data": {"payAuthNo": a.pay_auth_no, "payOrdId": up["payOrdId"],
                                     "payToken": up["payToken"]}})
    assert again["infcode"] in (-1, "-1") and again["err_code"] == "PAY_ORDER_STATE", again


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.name)
@pytest.mark.parametrize("scheme", ["gongji", "tif", "esb", "oauth2"])
def test_an_online_order_runs_unchanged_through_each_client_and_transport(
        client: TestClient, clinic: Clinic, shape: Shape, scheme: str) -> None:
    ready(clinic)
    v = vendor(client, clinic, shape, scheme)
    online_order(v, clinic, f"WX-{shape.name}-{scheme}")


def test_the_encrypted_profile_carries_the_same_order(client: TestClient,
                                                      clinic: Clinic) -> None:
    ready(clinic)
    v = vendor(client, clinic, NEWTONSOFT, "tif", encrypted=True)
    online_order(v, clinic, "WX-SM")


def test_refusals_are_infcode_minus_one_in_both_languages_and_write_nothing(
        client: TestClient, clinic: Clinic) -> None:
    ready(clinic)
    v = vendor(client, clinic, FASTJSON2, "tif")
    ma = clinic.fam["李秀英"]
    a = mp.authorize(clinic.app, clinic.fam["张伟"].who, key("a"), order(clinic, "WX-R"),
                     PIN).value
    database = clinic.app.db

    def counts() -> dict[str, int]:  # the transport's nonces are written for every request
        return {k: n for k, n in table_counts(database).items() if k != "request_nonces"}

    before = counts()
    base = {"payAuthNo": a.pay_auth_no, "medOrgOrd": "WX-R", "psnNo": ma.psn_no,
            "medfeeSumamt": Decimal("72.50"), "feedetailList": fee_lines()}
    for change, code in (({"payAuthNo": "A-NOT-THERE"}, "PAY_AUTH_NOT_FOUND"),
                         ({"medOrgOrd": "WX-OTHER"}, "PAY_AUTH_MISMATCH"),
                         ({"medfeeSumamt": Decimal("72.51")}, "SETTLE_AMOUNT_MISMATCH"),
                         ({"orgCodg": "P41130000999"}, "GATEWAY_FIELD_INVALID"),
                         ({"medfeeSumamt": Decimal("72.505")}, "GATEWAY_FIELD_INVALID")):
        answer = v.call("6201", {"data": {**base, **change}})
        assert answer["infcode"] == -1, (change, answer)
        assert code in answer["err_msg"] or answer.get("err_code") == code, (code, answer)
        assert answer["err_msg_en"], answer
        assert counts() == before


def test_a_relay_may_send_the_fields_in_input_itself(client: TestClient,
                                                    clinic: Clinic) -> None:
    ready(clinic)
    v = vendor(client, clinic, FASTJSON_RELAY, "esb")
    ma = clinic.fam["李秀英"]
    a = mp.authorize(clinic.app, clinic.fam["张伟"].who, key("a"), order(clinic, "WX-FLAT"),
                     PIN).value
    up = v.ok("6201", {"payAuthNo": a.pay_auth_no, "medOrgOrd": "WX-FLAT",
                       "hiRxno": prescribe(clinic),
                       "psnNo": ma.psn_no, "medfeeSumamt": Decimal("72.50"),
                       "feedetailList": fee_lines()})
    assert up["ordStas"] == "1"
    assert int(Decimal(str(up["feeSumamt"])) * 100) == TOTAL
