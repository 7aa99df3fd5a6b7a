"""Unmodified vendor clients complete a whole day: 9001 -> 1101 -> 5301 -> 2201 -> 2203 ->
2204 -> 2206 -> 2207 -> 2208 -> 2601 -> 3201, for each client shape (Java fastjson2, Java
fastjson 1.x, Java fastjson behind a relay, C# Newtonsoft) through each transport (gongji HMAC,
TIF, service bus, OAuth2, and encrypted SM4/SM2), on both databases. A vendor sets only the
base URL, the institution code and its credentials: the operator sets the transport profile."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji import sm
from gongji.services.institutions import service as institutions
from gongji.services.transport import service as transport
from gongji.services.transport.model import IssueCredential, SetTransport
from tests.clinic import CLINIC, D_B, S_A, Clinic, trace
from tests.conftest import OPERATOR, table_counts
from tests.gateway.conftest import WALL
from tests.gateway.vendors import FASTJSON2, FASTJSON_RELAY, NEWTONSOFT, SHAPES, Shape, Vendor, Wire

_keys = iter(range(10**6))


def _k() -> str:
    return f"test-{next(_keys)}-{id(object())}"


def vendor(client: TestClient, clinic: Clinic, shape: Shape, scheme: str, *,
           encrypted: bool = False, path: str = "/fsi/api/rsfComIfsService/callService"
           ) -> Vendor:
    """What the operator sets up for the institution; the vendor gets only the credentials."""
    app = clinic.app
    transport.set_profile(app, OPERATOR, _k(), CLINIC, SetTransport(
        scheme=scheme, infcode_as="string" if shape.relay else "number",  # type: ignore[arg-type]
        relay=shape.relay, encrypted=encrypted))
    wire = Wire(scheme)
    if scheme == "gongji":
        k = institutions.create_key(app, OPERATOR, CLINIC)
        wire.secret = {"key_id": k.key_id, "secret": k.secret}
    elif scheme == "tif":
        c = transport.issue(app, OPERATOR, _k(), CLINIC, IssueCredential("tif")).value
        wire.secret = {"paasid": c.principal, "token": c.secret or ""}
    elif scheme == "esb":
        c = transport.issue(app, OPERATOR, _k(), CLINIC, IssueCredential("esb")).value
        wire.secret = {"access_key": c.principal, "secret": c.secret or ""}
    else:
        c = transport.issue(app, OPERATOR, _k(), CLINIC, IssueCredential("oauth2")).value
        wire.secret = {"username": c.principal, "password": c.secret or ""}
    if encrypted:
        mine = sm.sm2_generate()
        c = transport.issue(app, OPERATOR, _k(), CLINIC, IssueCredential(
            "sm", peer_public=mine.public_hex)).value
        assert c.secret and c.platform_public
        wire.sm_keys = (bytes.fromhex(c.secret), mine.private_hex, c.platform_public)
    return Vendor(client, CLINIC, shape, wire, path=path)


def day(v: Vendor, clinic: Clinic) -> dict[str, Any]:
    """The day's sequence as an HIS runs it; every step must answer infcode 0."""
    zw = clinic.fam["张伟"]
    at = WALL.replace(tzinfo=None)
    v.sign_no = v.ok("9001", {"signIn": {"opter_no": "0001", "mac": "00-16-EA-AE-3C-40",
                                         "ip": "10.1.1.8"}})["signinoutb"]["sign_no"]
    cert = {"mdtrt_cert_type": "02", "mdtrt_cert_no": zw.certno}
    person = v.ok("1101", {"data": {**cert, "card_sn": None, "begntime": at,
                                    "psn_cert_type": "01", "certno": zw.certno,
                                    "psn_name": "张伟"}})
    psn_no = person["baseinfo"]["psn_no"]
    insutype = person["insuinfo"][0]["insutype"]
    v.ok("5301", {"data": {"psn_no": psn_no}})
    reg = v.ok("2201", {"data": {"psn_no": psn_no, "insutype": insutype, "begntime": at,
                                 **cert, "ipt_otp_no": "MZ20261124001", "atddr_no": "D001",
                                 "dr_name": "李医生", "dept_code": "03", "dept_name": "内科",
                                 "caty": "03"}})
    mdtrt_id = reg["data"]["mdtrt_id"]
    v.ok("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "11",
                                "begntime": at, "main_cond_dscr": None, "dise_codg": "J06.900",
                                "dise_name": "急性上呼吸道感染"},
                  "diseinfo": [{"psn_no": psn_no, "diag_type": "1", "diag_srt_no": "1",
                                "diag_code": "J06.900", "diag_name": "急性上呼吸道感染",
                                "diag_dept": "内科", "dise_dor_no": "D001",
                                "dise_dor_name": "李医生", "diag_time": at, "vali_flag": "1"}]})
    lines = [
        {"feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "B1",
         "fee_ocur_time": at, "med_list_codg": S_A, "medins_list_codg": "L1",
         "det_item_fee_sumamt": Decimal("300.00"), "cnt": Decimal("1"),
         "pric": Decimal("300.00"), "bilg_dept_codg": "03", "bilg_dr_codg": "D001",
         "hosp_appr_flag": None},
        {"feedetl_sn": "2", "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "B1",
         "fee_ocur_time": at, "med_list_codg": D_B, "medins_list_codg": "L2",
         "det_item_fee_sumamt": Decimal("60.00"), "cnt": Decimal("2"),
         "pric": Decimal("30.00"), "rxno": "RX" + "0" * 28,
         "drugtracinfo": [{"drug_trac_codg": trace()}, {"drug_trac_codg": trace()}]},
    ]
    upload_msgid = v.msgid()
    fees = v.ok("2204", {"feedetail": lines}, msgid=upload_msgid)
    assert [r["feedetl_sn"] for r in fees["result"]] == ["1", "2"]
    ask = {"psn_no": psn_no, **cert, "med_type": "11", "medfee_sumamt": Decimal("360.00"),
           "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1",
           "insutype": insutype, "acct_used_flag": "1"}
    pre = v.ok("2206", {"data": ask})["setlinfo"]
    settled = v.ok("2207", {"data": ask | {
        "invono": "INV0001", "fulamt_ownpay_amt": pre["fulamt_ownpay_amt"],
        "overlmt_selfpay": pre["overlmt_selfpay"], "preselfpay_amt": pre["preselfpay_amt"],
        "inscp_scp_amt": pre["inscp_scp_amt"]}})
    info = settled["setlinfo"]
    assert isinstance(settled["setldetail"], list)
    assert Decimal(str(info["medfee_sumamt"])) == Decimal("360.00")
    cancelled = v.ok("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id,
                                       "psn_no": psn_no}})
    assert Decimal(str(cancelled["setlinfo"]["medfee_sumamt"])) == Decimal("-360.00")
    undone = v.ok("2601", {"data": {"psn_no": psn_no, "omsgid": upload_msgid,
                                    "oinfno": "2204"}})
    assert "2 fee line(s) withdrawn" in undone["result"]
    stmt = v.ok("3201", {"data": {
        "insutype": insutype, "clr_type": "11", "setl_optins": "510100",
        "stmt_begndate": "2026-11-24", "stmt_enddate": "2026-11-24",
        "medfee_sumamt": Decimal("0.00"), "fund_pay_sumamt": Decimal("0.00"),
        "acct_pay": Decimal("0.00"), "fixmedins_setl_cnt": 0}})["stmtinfo"]
    assert stmt["stmt_rslt"] == "0", stmt
    return {"settled": info, "pre": pre}


SCHEMES = ("gongji", "tif", "esb", "oauth2")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_a_vendor_completes_the_day(client: TestClient, clinic: Clinic, shape: Shape,
                                    scheme: str) -> None:
    v = vendor(client, clinic, shape, scheme)
    out = day(v, clinic)
    assert len(v.sent) == 11
    assert Decimal(str(out["settled"]["acct_pay"])) == Decimal("356.00")


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_a_vendor_completes_the_day_encrypted(client: TestClient, clinic: Clinic,
                                              shape: Shape) -> None:
    """The encrypted deployment: SM4 input and output, SM2 signatures both ways."""
    v = vendor(client, clinic, shape, "tif", encrypted=True)
    day(v, clinic)
    assert all(s["answer"]["enc_type"] == "SM4" for s in v.sent)


def test_a_provincial_path_works_the_same(client: TestClient, clinic: Clinic) -> None:
    v = vendor(client, clinic, NEWTONSOFT, "tif",
               path="/mbs/fmi/fsi/api/callFsiService/callService")
    day(v, clinic)


def test_the_same_amounts_whatever_the_client(client: TestClient, clinic: Clinic) -> None:
    """A Double from fastjson, a BigDecimal from fastjson2 and a C# decimal settle alike."""
    seen = []
    for shape in (FASTJSON2, FASTJSON_RELAY, NEWTONSOFT):
        seen.append(day(vendor(client, clinic, shape, "gongji"), clinic)["settled"])
    keys = ("medfee_sumamt", "acct_pay", "psn_cash_pay", "hifp_pay", "inscp_scp_amt")
    assert len({tuple(Decimal(str(s[k])) for k in keys) for s in seen}) == 1


# -- what each transport refuses ----------------------------------------------------------------

def _refused(v: Vendor, clinic: Clinic, code: str, *, infcode: Any = -1) -> None:
    before = table_counts(clinic.app.db)
    answer = v.call("1101", {"data": {"mdtrt_cert_type": "02",
                                      "mdtrt_cert_no": clinic.fam["张伟"].certno}})
    assert answer["infcode"] == infcode and answer["err_code"] == code, answer
    assert answer["err_msg"] and answer["err_msg_en"]
    after = table_counts(clinic.app.db)
    assert {k: n for k, n in after.items() if k != "request_nonces"} == \
        {k: n for k, n in before.items() if k != "request_nonces"}


def test_a_scheme_other_than_the_profile_is_refused(client: TestClient, clinic: Clinic
                                                    ) -> None:
    v = vendor(client, clinic, NEWTONSOFT, "tif")
    transport.set_profile(clinic.app, OPERATOR, _k(), CLINIC, SetTransport(scheme="esb"))
    _refused(v, clinic, "TRANSPORT_SCHEME_REFUSED")


@pytest.mark.parametrize("scheme", ("tif", "esb"))
def test_a_replayed_request_is_refused(client: TestClient, clinic: Clinic, scheme: str) -> None:
    v = vendor(client, clinic, NEWTONSOFT, scheme)
    body = NEWTONSOFT.dumps(NEWTONSOFT.envelope(CLINIC, "9001", v.msgid(), "", {
        "signIn": {"opter_no": "0001"}}, WALL.replace(tzinfo=None)))
    headers = {"Content-Type": "application/json", **v.wire.headers(v.path, body, client)}
    first = client.post(v.path, content=body, headers=headers).json()
    again = client.post(v.path, content=body, headers=headers).json()
    assert first["infcode"] == 0 and again["err_code"] == "NONCE_REUSED"


def test_a_wrong_tif_signature_or_stale_time_is_refused(client: TestClient, clinic: Clinic
                                                        ) -> None:
    v = vendor(client, clinic, NEWTONSOFT, "tif")
    v.wire.secret["token"] += "x"
    _refused(v, clinic, "SIGNATURE_INVALID")


def test_an_oauth2_token_expires_and_can_be_revoked(client: TestClient, clinic: Clinic
                                                    ) -> None:
    v = vendor(client, clinic, NEWTONSOFT, "oauth2")
    v.sign_no = v.ok("9001", {"signIn": {"opter_no": "0001"}})["signinoutb"]["sign_no"]
    token = v.wire.secret["access_token"]
    assert client.post("/auth/oauth/revoke", data={"token": token}).status_code == 200
    _refused(v, clinic, "TRANSPORT_TOKEN_INVALID")
    bad = client.post("/auth/oauth/token", data={"grant_type": "password", "username":
                                                 v.wire.secret["username"], "password": "no"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


def test_an_encrypted_institution_must_encrypt(client: TestClient, clinic: Clinic) -> None:
    v = vendor(client, clinic, NEWTONSOFT, "tif", encrypted=True)
    keys = v.wire.sm_keys
    v.wire.sm_keys = None
    _refused(v, clinic, "TRANSPORT_ENCRYPTION_REQUIRED")
    assert keys is not None
    other = sm.sm2_generate()  # signed by a key that is not the institution's
    v.wire.sm_keys = (keys[0], other.private_hex, keys[2])
    answer = v.call("1101", {"data": {"mdtrt_cert_type": "02",
                                      "mdtrt_cert_no": clinic.fam["张伟"].certno}})
    assert answer["err_code"] == "TRANSPORT_SIGNATURE_INVALID"


def test_the_relay_shape_without_its_profile_is_refused_by_name(client: TestClient,
                                                                clinic: Clinic) -> None:
    """A relay's message on an institution not set up as a relay: the missing envelope
    fields are named, and nothing is written."""
    v = vendor(client, clinic, FASTJSON_RELAY, "gongji")
    transport.set_profile(clinic.app, OPERATOR, _k(), CLINIC, SetTransport(scheme="gongji"))
    before = table_counts(clinic.app.db)
    answer = v.call("9001", {"signIn": {"opter_no": "0001"}})
    assert answer["infcode"] == -1 and answer["err_code"] == "GATEWAY_FIELD_INVALID"
    assert "envelope.fixmedins_code" in answer["err_msg"]
    after = table_counts(clinic.app.db)
    assert {k: n for k, n in after.items() if k != "request_nonces"} == \
        {k: n for k, n in before.items() if k != "request_nonces"}


def test_files_answer_beside_each_provincial_path(client: TestClient, clinic: Clinic) -> None:
    """9101 and 9102 at .../fileupload/upload and .../fileupload/download beside the path."""
    v = vendor(client, clinic, NEWTONSOFT, "tif",
               path="/mbs/fmi/fsi/api/callFsiService/callService")
    v.sign_no = v.ok("9001", {"signIn": {"opter_no": "0001"}})["signinoutb"]["sign_no"]
    v.path = "/mbs/fmi/fsi/api/fileupload/upload"
    up = v.ok("9101", {"fsUploadIn": {"in": "aGVsbG8=", "filename": "hello.txt"}})
    v.path = "/mbs/fmi/fsi/api/fileupload/download"
    env = NEWTONSOFT.envelope(CLINIC, "9102", v.msgid(), v.sign_no, {
        "fsDownloadIn": {"file_qury_no": up["file_qury_no"], "filename": "hello.txt"}},
        WALL.replace(tzinfo=None))
    body = NEWTONSOFT.dumps(env)
    r = client.post(v.path, content=body, headers={
        "Content-Type": "application/json", **v.wire.headers(v.path, body, client)})
    assert r.status_code == 200 and r.content == b"hello"
