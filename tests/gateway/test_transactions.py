"""A transcript per transaction: the request in, the response checked field by field."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from gongji.client.signing import signed_headers
from gongji.services import door
from gongji.services.credentials import service as credentials
from tests.clinic import CLINIC, D_B, HOSPITAL, S_A, Clinic, trace
from tests.conftest import OPERATOR, table_counts
from tests.gateway.conftest import WALL, His

NOW = "2026-11-24 10:00:00"


def cert(clinic: Clinic, name: str = "张伟") -> dict[str, str]:
    return {"mdtrt_cert_type": "02", "mdtrt_cert_no": clinic.fam[name].certno}


def register(his: His, clinic: Clinic, name: str = "张伟") -> str:
    out = his.ok("2201", {"data": {"psn_no": clinic.fam[name].psn_no, "insutype":
                                   "310" if name == "张伟" else "390", "begntime": NOW,
                                   **cert(clinic, name), "ipt_otp_no": "MZ1"}})
    mdtrt_id: str = out["data"]["mdtrt_id"]
    return mdtrt_id


def fee(mdtrt_id: str, psn_no: str, sn: str, code: str, cnt: str, pric: str,
        total: str, **more: Any) -> dict[str, Any]:
    return {"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "B1",
            "fee_ocur_time": NOW, "med_list_codg": code, "medins_list_codg": "L" + sn,
            "det_item_fee_sumamt": total, "cnt": cnt, "pric": pric} | more


def test_sign_in_and_out(his: His) -> None:
    assert len(his.sign_no) == 30 and his.sign_no.startswith(CLINIC)
    out = his.ok("9002", {"signOut": {"sign_no": his.sign_no, "opter_no": "001"}})
    assert out["signoutoutb"]["sign_time"] == NOW
    after = his.call("1901", {"data": {"type": "insutype"}})
    assert (after["infcode"], after["err_code"]) == (-1, "GATEWAY_NOT_SIGNED_IN")


def test_response_envelope(his: His) -> None:
    body = his.call("1901", {"data": {"type": "med_type"}})
    assert body["infcode"] == 0 and body["err_msg"] is None
    assert len(body["inf_refmsgid"]) == 30 and body["inf_refmsgid"].startswith(
        "51010020261124100000")
    assert body["refmsg_time"] == body["respond_time"] == "20261124100000000"
    assert {"type": "med_type", "label": "定点药店购药", "value": "41", "parent_value": None,
            "sort": "7", "vali_flag": "1", "create_user": None, "create_date": None,
            "version": None} in body["output"]["list"]


def test_1101_by_each_credential(his: His, clinic: Clinic) -> None:
    zw = clinic.fam["张伟"]
    token = credentials.issue_code(clinic.app, zw.who, zw.psn_no).token
    by_code = his.ok("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}})
    assert by_code["baseinfo"] == {"psn_no": zw.psn_no, "psn_cert_type": "01",
                                   "certno": zw.certno, "psn_name": "张伟", "gend": "1",
                                   "naty": "01", "brdy": "1990-03-07", "age": Decimal(36)}
    assert by_code["insuinfo"][0] | {"psn_insu_date": None} == {
        "balc": Decimal("12000.00"), "insutype": "310", "psn_type": "1101",
        "psn_insu_stas": "1", "psn_insu_date": None, "paus_insu_date": None,
        "cvlserv_flag": "0", "insuplc_admdvs": "510100", "emp_name": None}
    # 1101 does not use the code up: the visit does
    assert his.ok("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}})
    by_id = his.ok("1101", {"data": cert(clinic)})
    assert by_id["baseinfo"]["psn_no"] == zw.psn_no
    credentials.issue_card(clinic.app, OPERATOR, "card-1", zw.psn_no, "A12345678")
    by_card = his.ok("1101", {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": "A12345678"}})
    assert by_card["baseinfo"]["psn_no"] == zw.psn_no
    wrong = his.call("1101", {"data": cert(clinic) | {"psn_name": "王五"}})
    assert wrong["err_code"] == "CREDENTIAL_MISMATCH"


def test_outpatient_visit_2201_to_2208(his: His, clinic: Clinic) -> None:
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    assert his.ok("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": zw.psn_no,
                                         "med_type": "11", "dise_codg": "J06.900"}}) == {}
    res = his.ok("2204", {"feedetail": [
        fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "300", "300.00"),
        fee(mdtrt_id, zw.psn_no, "2", D_B, "2", "30.000000", "60.00",
            drugtracinfo=[{"drug_trac_codg": trace()}, {"drug_trac_codg": trace()}])]})
    assert res["result"][1] == {
        "feedetl_sn": "2", "det_item_fee_sumamt": Decimal("60.00"), "cnt": Decimal("2"),
        "pric": Decimal("30.000000"), "pric_uplmt_amt": Decimal("28.00"),
        "selfpay_prop": Decimal("0.1000"), "fulamt_ownpay_amt": Decimal("0.00"),
        "overlmt_amt": Decimal("4.00"), "preselfpay_amt": Decimal("5.60"),
        "inscp_scp_amt": Decimal("50.40"), "chrgitm_lv": "02", "med_chrgitm_type": "09",
        "lmt_used_flag": "0", "memo": "乙类药", "bas_medn_flag": None,
        "hi_nego_drug_flag": None, "chld_medc_flag": None, "list_sp_item_flag": None,
        "drt_reim_flag": None}
    ask = {"psn_no": zw.psn_no, **cert(clinic), "med_type": "11", "medfee_sumamt": "360.00",
           "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1", "insutype": "310",
           "acct_used_flag": "1"}
    pre = his.ok("2206", {"data": ask})
    s = his.ok("2207", {"data": ask | {"invono": "INV1", "fulamt_ownpay_amt": "0.00",
                                       "overlmt_selfpay": "4.00", "preselfpay_amt": "5.60",
                                       "inscp_scp_amt": "350.40"}})
    info = s["setlinfo"]
    assert pre["setlinfo"]["medfee_sumamt"] == info["medfee_sumamt"] == Decimal("360.00")
    assert (info["act_pay_dedc"], info["hifp_pay"], info["acct_pay"], info["psn_cash_pay"],
            info["balc"]) == (Decimal("350.40"), Decimal("0.00"), Decimal("356.00"),
                              Decimal("4.00"), Decimal("11644.00"))
    assert info["medins_setl_id"].startswith(CLINIC) and info["clr_type"] == "11"
    assert [d["fund_pay_type"] for d in s["setldetail"]] == ["310100"]
    q = his.ok("5203", {"data": {"psn_no": zw.psn_no, "setl_id": info["setl_id"]}})
    assert q["setlinfo"]["acct_pay"] == Decimal("356.00")
    c = his.ok("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id,
                                 "psn_no": zw.psn_no}})
    assert (c["setlinfo"]["medfee_sumamt"], c["setlinfo"]["acct_pay"]) == \
        (Decimal("-360.00"), Decimal("-356.00"))
    # fees can be withdrawn (2205) and the registration cancelled (2202)
    assert his.ok("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "0000",
                                    "psn_no": zw.psn_no}}) == {}
    assert his.ok("2202", {"data": {"psn_no": zw.psn_no, "mdtrt_id": mdtrt_id}}) == {}


def test_settle_refuses_amounts_that_differ(his: His, clinic: Clinic) -> None:
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    his.ok("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "10", "10.00")]})
    ask = {"psn_no": zw.psn_no, **cert(clinic), "medfee_sumamt": "10.00",
           "mdtrt_id": mdtrt_id, "insutype": "310", "inscp_scp_amt": "9.99"}
    bad = his.call("2207", {"data": ask})
    assert bad["err_code"] == "GATEWAY_AMOUNT_MISMATCH" and "inscp_scp_amt" in bad["err_msg"]
    total = his.call("2207", {"data": ask | {"medfee_sumamt": "11.00",
                                             "inscp_scp_amt": "10.00"}})
    assert total["err_code"] == "SETTLE_AMOUNT_MISMATCH"


def test_inpatient_stay_2401_to_2305(client: TestClient, clinic: Clinic) -> None:
    his = His(client, clinic.app, HOSPITAL)
    his.sign_in()
    zw = clinic.fam["张伟"]
    adm = his.ok("2401", {"mdtrtinfo": {"psn_no": zw.psn_no, "insutype": "310",
                                        **cert(clinic), "med_type": "21", "ipt_no": "ZY1",
                                        "begntime": NOW, "dise_codg": "K35.800"},
                          "diseinfo": [{"diag_code": "K35.800"}]})
    mdtrt_id = adm["result"]["mdtrt_id"]
    his.ok("2301", {"feedetail": [
        fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "600", "600.00"),
        fee(mdtrt_id, zw.psn_no, "2", S_A, "1", "99", "99.00")]})
    refund = his.ok("2301", {"feedetail": [fee(mdtrt_id, zw.psn_no, "3", S_A, "-1", "99",
                                               "-99.00", init_feedetl_sn="2")]})
    assert refund["result"] == []
    partial = his.call("2301", {"feedetail": [fee(mdtrt_id, zw.psn_no, "4", S_A, "-1", "1",
                                                  "-1.00", init_feedetl_sn="1")]})
    assert partial["err_code"] == "GATEWAY_FIELD_INVALID"
    ask = {"psn_no": zw.psn_no, **cert(clinic), "medfee_sumamt": "600.00",
           "mdtrt_id": mdtrt_id, "insutype": "310", "acct_used_flag": "1"}
    mid = his.ok("2304", {"data": ask | {"mid_setl_flag": "1"}})
    assert (mid["setlinfo"]["act_pay_dedc"], mid["setlinfo"]["hifp_pay"]) == \
        (Decimal("600.00"), Decimal("0.00"))
    his.ok("2301", {"feedetail": [fee(mdtrt_id, zw.psn_no, "5", S_A, "1", "1400",
                                      "1400.00")]})
    assert his.ok("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": zw.psn_no,
                                        "endtime": NOW}}) == {}
    assert his.ok("2405", {"data": {"mdtrt_id": mdtrt_id, "psn_no": zw.psn_no}}) == {}
    pre = his.ok("2303", {"data": ask | {"medfee_sumamt": "1400.00"}})
    assert pre["setlinfo"]["act_pay_dedc"] == Decimal("400.00")
    final = his.ok("2304", {"data": ask | {"medfee_sumamt": "1400.00", "mid_setl_flag": "0"}})
    assert final["setlinfo"]["hifp_pay"] == Decimal("850.00")   # 85% of 1,000 above the rest
    cancelled = his.ok("2305", {"data": {"mdtrt_id": mdtrt_id,
                                         "setl_id": final["setlinfo"]["setl_id"],
                                         "psn_no": zw.psn_no}})
    assert cancelled["setlinfo"]["hifp_pay"] == Decimal("-850.00")
    # a stay without settlement can be cancelled (2404)
    other = his.ok("2401", {"mdtrtinfo": {"psn_no": zw.psn_no, "insutype": "310",
                                          **cert(clinic), "med_type": "21", "ipt_no": "ZY2",
                                          "begntime": NOW}})["result"]["mdtrt_id"]
    assert his.ok("2404", {"data": {"mdtrt_id": other, "psn_no": zw.psn_no}}) == {}


def purchase(clinic: Clinic, code: str, total: str = "20.00") -> dict[str, Any]:
    zw = clinic.fam["张伟"]
    return {"druginfo": {"psn_no": zw.psn_no, **cert(clinic), "begntime": NOW,
                         "medfee_sumamt": total, "insutype": "310", "acct_used_flag": "1",
                         "med_type": "41"},
            "drugdetail": [{"feedetl_sn": "1", "fee_ocur_time": NOW, "med_list_codg": D_B,
                            "medins_list_codg": "Y1", "det_item_fee_sumamt": total,
                            "cnt": "1", "pric": total,
                            "drugtracinfo": [{"drug_trac_codg": code}]}]}


def test_pharmacy_2101_2102_2103(pos: His, clinic: Clinic) -> None:
    code = trace()
    counts = table_counts(clinic.app.db)
    pre = pos.ok("2101", purchase(clinic, code))
    after = table_counts(clinic.app.db)
    assert after.pop("request_nonces") == counts.pop("request_nonces") + 1
    assert after == counts                              # the pre-settlement is rolled back
    assert pre["setlinfo"]["setl_id"] is None
    sold = pos.ok("2102", purchase(clinic, code))
    assert sold["setlinfo"]["acct_pay"] == Decimal("20.00")
    assert sold["detlcutinfo"][0]["inscp_scp_amt"] == Decimal("18.00")
    again = pos.call("2102", purchase(clinic, code))
    assert again["err_code"] == "TRACE_CODE_SOLD"
    c = pos.ok("2103", {"data": {"setl_id": sold["setlinfo"]["setl_id"],
                                 "psn_no": clinic.fam["张伟"].psn_no}})
    assert c["setlinfo"]["medfee_sumamt"] == Decimal("-20.00")
    assert pos.ok("2102", purchase(clinic, code))["setlinfo"]["setl_id"]  # freed


def test_sales_3505_3506(pos: His, clinic: Clinic) -> None:
    code = trace()
    sale = {"selinfo": {"med_list_codg": D_B, "psn_no": clinic.fam["张伟"].psn_no,
                        "trdn_flag": "0", "sel_retn_cnt": "1", "sel_retn_time": NOW,
                        "drugtracinfo": [{"drug_trac_codg": code}]}}
    assert pos.ok("3505", sale)["retRslt"] == "1"
    assert pos.call("3505", sale)["err_code"] == "TRACE_CODE_SOLD"
    assert pos.ok("3506", sale)["retRslt"] == "1"
    assert pos.ok("3505", sale)["retRslt"] == "1"


def test_filings_2501_to_2504(client: TestClient, clinic: Clinic, his: His) -> None:
    ma = clinic.fam["李秀英"]
    ref = his.ok("2501", {"refmedin": {"psn_no": ma.psn_no, "insutype": "390",
                                       "mdtrtarea_admdvs": "510100", "begndate": "2026-11-24",
                                       "diag_code": "I10"}})
    sn = ref["result"]["trt_dcla_detl_sn"]
    assert his.ok("2502", {"data": {"trt_dcla_detl_sn": sn, "psn_no": ma.psn_no}}) == {}
    again = his.call("2502", {"data": {"trt_dcla_detl_sn": sn, "psn_no": ma.psn_no}})
    assert again["err_code"] == "FILING_NOT_ACTIVE"
    rec = his.ok("2503", {"data": {"psn_no": ma.psn_no, "insutype": "390",
                                   "opsp_dise_code": "diabetes", "begndate": "2026-01-01"}})
    assert his.ok("2504", {"data": {"trt_dcla_detl_sn": rec["result"]["trt_dcla_detl_sn"],
                                    "psn_no": ma.psn_no}}) == {}
    bad = his.call("2503", {"data": {"psn_no": ma.psn_no, "opsp_dise_code": "flu",
                                     "begndate": "2026-01-01"}})
    assert bad["err_code"] == "CHRONIC_DISEASE_INVALID"


def test_reconciliation_3201_and_3202(his: His, clinic: Clinic, client: TestClient) -> None:
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    his.ok("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "10", "10.00")]})
    s = his.ok("2207", {"data": {"psn_no": zw.psn_no, **cert(clinic), "medfee_sumamt": "10.00",
                                 "mdtrt_id": mdtrt_id, "insutype": "310"}})["setlinfo"]
    claim = {"insutype": "310", "clr_type": "11", "setl_optins": "510100",
             "stmt_begndate": "2026-11-24", "stmt_enddate": "2026-11-24",
             "medfee_sumamt": "10.00", "fund_pay_sumamt": "0.00", "acct_pay": "10.00",
             "fixmedins_setl_cnt": "1"}
    assert his.ok("3201", {"data": claim})["stmtinfo"]["stmt_rslt"] == "0"
    off = his.ok("3201", {"data": claim | {"acct_pay": "9.00"}})["stmtinfo"]
    assert off["stmt_rslt"] == "1" and "acct_pay" in off["stmt_rslt_dscr"]
    lines = (f"{s['setl_id']}\t{mdtrt_id}\t{zw.psn_no}\t10.00\t0.00\t9.00\t0\n"
             "S-UNKNOWN\tx\tx\t1\t0\t0\t0\n")
    up = his.ok("9101", {"fsUploadIn": {"in": base64.b64encode(lines.encode()).decode(),
                                        "filename": "detail.txt"}})
    out = his.ok("3202", {"data": {"setl_optins": "510100", "file_qury_no": up["file_qury_no"],
                                   "stmt_begndate": "2026-11-24", "stmt_enddate": "2026-11-24",
                                   "medfee_sumamt": "10.00", "fund_pay_sumamt": "0.00",
                                   "fixmedins_setl_cnt": "1"}})
    assert out["stmtinfo"]["stmt_rslt"] == "1"
    body = his.call("9102", {"fsDownloadIn": {"file_qury_no": out["fileinfo"]["file_qury_no"]}})
    assert body["infcode"] == 0
    text = base64.b64decode(body["output"]["content"]).decode()
    assert "acct_pay" in text and "S-UNKNOWN\tnot found" in text


def test_catalog_download_1301_through_9102(his: His, client: TestClient) -> None:
    out = his.ok("1301", {"data": {"ver": "0"}})
    assert out["filename"].startswith("1301_") and out["count"] == Decimal(3)
    raw = his.post("/fsi/api/fileupload/download", his.envelope(
        "9102", {"fsDownloadIn": {"file_qury_no": out["file_qury_no"]}}))
    assert raw.headers["content-type"] == "application/octet-stream"
    assert zipfile.ZipFile(io.BytesIO(raw.content)).namelist() == [
        out["filename"].replace(".zip", ".txt")]
    missing = his.post("/fsi/api/fileupload/download", his.envelope(
        "9102", {"fsDownloadIn": {"file_qury_no": "NOPE"}})).json()
    assert missing["err_code"] == "GATEWAY_FILE_NOT_FOUND"
    newer = his.ok("1301", {"data": {"ver": out["ver"]}})
    assert newer["count"] == Decimal(0)
    services = his.ok("1305", {"data": {"ver": "0"}})
    assert services["count"] == Decimal(2)


def test_catalog_zip_contents(his: His) -> None:
    out = his.ok("1306", {"data": {"ver": "0"}})
    assert out["count"] == Decimal(0)
    drugs = his.ok("1301", {"data": {}})
    body = his.call("9102", {"fsDownloadIn": {"file_qury_no": drugs["file_qury_no"]}})
    z = zipfile.ZipFile(io.BytesIO(base64.b64decode(body["output"]["content"])))
    text = z.read(z.namelist()[0]).decode()
    row = next(line for line in text.splitlines() if line.startswith(D_B)).split("\t")
    assert row[:7] == [D_B, "乙类药", "101", "09", "02", "0.1000", "28.00"]
    assert len(row) == 13 and row[12] == "1"


def test_accumulation_query_5206(his: His, clinic: Clinic) -> None:
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    his.ok("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "300", "300.00")]})
    his.ok("2207", {"data": {"psn_no": zw.psn_no, **cert(clinic), "medfee_sumamt": "300.00",
                             "mdtrt_id": mdtrt_id, "insutype": "310"}})
    cum = his.ok("5206", {"data": {"psn_no": zw.psn_no, "cum_ym": "202611"}})["cuminfo"]
    by = {c["cum_type_code"]: c["cum"] for c in cum}
    assert by["C001-employee_outpatient"] == Decimal("300.00")
    assert his.call("5206", {"data": {"psn_no": zw.psn_no, "cum_ym": "202613"}})[
        "err_code"] == "GATEWAY_FIELD_INVALID"


def test_same_amounts_through_rest_and_gateway(his: His, clinic: Clinic) -> None:
    """The gateway only translates: two people in the same situation (employees in service
    in Chengdu, nothing spent this year) get identical amounts, one through REST, one
    through the national interface."""
    zw = clinic.fam["张伟"]
    v = clinic.visit("王芳", at=CLINIC, med_type="11")
    clinic.fees(v, (S_A, "1", "1234.56"), (D_B, "3", "29.99"))
    rest = clinic.settle(v, "王芳")
    mdtrt_id = register(his, clinic)
    his.ok("2204", {"feedetail": [
        fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "1234.56", "1234.56"),
        fee(mdtrt_id, zw.psn_no, "2", D_B, "3", "29.99", "89.97",
            drugtracinfo=[{"drug_trac_codg": trace()} for _ in range(3)])]})
    gw = his.ok("2207", {"data": {"psn_no": zw.psn_no, **cert(clinic),
                                  "medfee_sumamt": "1324.53", "mdtrt_id": mdtrt_id,
                                  "insutype": "310"}})
    for k in ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
              "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "hifmi_pay", "hifob_pay",
              "maf_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "acct_mulaid_pay",
              "psn_cash_pay", "hosp_part_amt"):
        assert gw["setlinfo"][k] == Decimal(getattr(rest, k)).scaleb(-2), k
    assert [(d["fund_pay_type"], d["fund_payamt"]) for d in gw["setldetail"]] == \
        [(d.fund_pay_type, Decimal(d.fund_payamt).scaleb(-2)) for d in rest.setldetail]


def test_rest_settle_and_2207_go_through_the_same_door(his: His, client: TestClient,
                                                      clinic: Clinic) -> None:
    """Below the entrypoint a settlement takes one path: REST and 2207 each make one service
    call, the same one."""
    calls: list[list[str]] = []
    stop = door.observe(lambda _label, seen: calls.append(
        [c.name for c in seen if not (c.auth or c.trail)]))
    try:
        mdtrt_id = register(his, clinic)
        his.ok("2204", {"feedetail": [fee(mdtrt_id, clinic.fam["张伟"].psn_no, "1", S_A, "1",
                                          "300", "300.00")]})
        calls.clear()
        his.ok("2207", {"data": {"psn_no": clinic.fam["张伟"].psn_no, **cert(clinic),
                                 "medfee_sumamt": "300.00", "mdtrt_id": mdtrt_id,
                                 "insutype": "310"}})
        through_gateway = calls[:]
        v = clinic.visit("王芳", at=CLINIC, med_type="11")
        clinic.fees(v, (S_A, "1", "300.00"))
        path = f"/api/v1/visits/{v.mdtrt_id}/settle"
        body = json.dumps({"credential": {"mdtrt_cert_type": "02",
                                          "mdtrt_cert_no": clinic.fam["王芳"].certno},
                           "medfee_sumamt": "300.00"}).encode()
        calls.clear()
        r = client.post(path, content=body, headers={
            "Content-Type": "application/json", "Idempotency-Key": "same-door",
            **signed_headers(his.key_id, his.secret, "POST", path, body,
                             timestamp=int(WALL.timestamp()))})
        assert r.status_code == 201, r.text
        through_rest = calls[:]
    finally:
        stop()
    assert through_gateway == through_rest == [["settlement.service.settle"]]


def test_withdraw_inpatient_lines_2302(client: TestClient, clinic: Clinic) -> None:
    his = His(client, clinic.app, HOSPITAL)
    his.sign_in()
    zw = clinic.fam["张伟"]
    mdtrt_id = his.ok("2401", {"mdtrtinfo": {"psn_no": zw.psn_no, "insutype": "310",
                                             **cert(clinic), "med_type": "21", "ipt_no": "Z",
                                             "begntime": NOW}})["result"]["mdtrt_id"]
    his.ok("2301", {"feedetail": [fee(mdtrt_id, zw.psn_no, str(i), S_A, "1", "10", "10.00")
                                  for i in (1, 2, 3)]})
    assert his.ok("2302", {"data": {"feedetl_sn": "2", "mdtrt_id": mdtrt_id,
                                    "psn_no": zw.psn_no}}) == {}
    pre = his.ok("2303", {"data": {"psn_no": zw.psn_no, **cert(clinic), "mdtrt_id": mdtrt_id,
                                   "medfee_sumamt": "20.00", "insutype": "310"}})
    assert pre["setlinfo"]["medfee_sumamt"] == Decimal("20.00")
    his.ok("2302", {"data": {"feedetl_sn": "0000", "mdtrt_id": mdtrt_id, "psn_no": zw.psn_no}})
    empty = his.call("2303", {"data": {"psn_no": zw.psn_no, **cert(clinic),
                                       "mdtrt_id": mdtrt_id, "medfee_sumamt": "0.00",
                                       "insutype": "310"}})
    assert empty["err_code"] == "FEE_LINES_EMPTY"
