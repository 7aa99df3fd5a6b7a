"""The HIS's daily queries (2001, 5201, 5204, 5205, 5301, 5302) and the further catalog
downloads (1302, 1307, 1309), each after a real sequence of messages: the output field by
field, the empty answers, and the refusals (infcode -1, nothing written)."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.domain.filing import CHRONIC_DISEASES
from gongji.gateway import envelope
from gongji.gateway.fields import collecting
from gongji.gateway.queries import (
    DOWNLOAD,
    FEE_QUERY,
    MDTRTINFO,
    MEDICATION,
    OPSP_FEEDETAIL,
    REFMEDIN,
    STAY,
    TRTINFO,
)
from gongji.gateway.transactions import HANDLERS, Ctx
from gongji.services import door
from gongji.services.catalog import service as catalog
from gongji.services.catalog.model import CHRONIC_LIST_VER, OPSP_COLUMNS
from gongji.services.enrollment import service as enrollment
from gongji.services.filing import service as filing
from gongji.services.people import service as people
from tests.clinic import CLINIC, D_B, HOSPITAL, S_A, Clinic, trace
from tests.conftest import OPERATOR, table_counts
from tests.family import key
from tests.gateway.conftest import His
from tests.gateway.test_transactions import NOW, cert, fee, purchase, register

TODAY = {"begntime": "2026-11-24 00:00:00", "endtime": "2026-11-24 23:59:59"}


def refused(his: His, clinic: Clinic, infno: str, input_: Any) -> dict[str, Any]:
    """The message is refused with infcode -1 and writes nothing but its nonce."""
    before = table_counts(clinic.app.db)
    body = his.call(infno, input_)
    assert body["infcode"] == -1, body
    after = table_counts(clinic.app.db)
    assert after.pop("request_nonces") - before.pop("request_nonces") in (0, 1)
    assert after == before
    return body


def hospital(client: TestClient, clinic: Clinic) -> His:
    h = His(client, clinic.app, HOSPITAL)
    h.sign_in()
    return h


def settle(his: His, clinic: Clinic, mdtrt_id: str, total: str) -> dict[str, Any]:
    out: dict[str, Any] = his.ok("2207", {"data": {
        "psn_no": clinic.fam["张伟"].psn_no, **cert(clinic), "medfee_sumamt": total,
        "mdtrt_id": mdtrt_id, "insutype": "310"}})["setlinfo"]
    return out


def unzip(his: His, file_qury_no: str) -> tuple[str, str]:
    body = his.call("9102", {"fsDownloadIn": {"file_qury_no": file_qury_no}})
    z = zipfile.ZipFile(io.BytesIO(base64.b64decode(body["output"]["content"])))
    (name,) = z.namelist()
    return name, z.read(name).decode()


# -- 5301: recognitions, asked after every 1101 -------------------------------------------

def test_5301_follows_2503_and_2504(his: His, clinic: Clinic) -> None:
    ma = clinic.fam["李秀英"]
    his.ok("1101", {"data": cert(clinic, "李秀英")})
    assert his.ok("5301", {"data": {"psn_no": ma.psn_no}}) == {"feedetail": []}
    rec = his.ok("2503", {"data": {"psn_no": ma.psn_no, "insutype": "390",
                                   "opsp_dise_code": "diabetes", "begndate": "2026-01-01"}})
    out = his.ok("5301", {"data": {"psn_no": ma.psn_no}})["feedetail"]
    assert out == [{"opsp_dise_code": "diabetes", "opsp_dise_name": "糖尿病",
                    "begndate": "2026-01-01", "enddate": None}]
    assert list(out[0]) == list(OPSP_FEEDETAIL)
    his.ok("2504", {"data": {"trt_dcla_detl_sn": rec["result"]["trt_dcla_detl_sn"],
                             "psn_no": ma.psn_no}})
    assert his.ok("5301", {"data": {"psn_no": ma.psn_no}}) == {"feedetail": []}
    # another person's recognitions are theirs alone
    his.ok("2503", {"data": {"psn_no": ma.psn_no, "opsp_dise_code": "copd",
                             "begndate": "2026-02-01"}})
    assert his.ok("5301", {"data": {"psn_no": clinic.fam["张伟"].psn_no}})["feedetail"] == []


def test_5301_and_5302_refusals(his: His, clinic: Clinic) -> None:
    for infno in ("5301", "5302"):
        missing = refused(his, clinic, infno, {"data": {}})
        assert missing["err_code"] == "GATEWAY_FIELD_INVALID"
        assert "input.data.psn_no" in missing["err_msg"]
        unknown = refused(his, clinic, infno, {"data": {"psn_no": "P0NOBODY"}})
        assert unknown["err_code"] == "PERSON_NOT_FOUND"


def test_5302_no_designated_institution(his: His, clinic: Clinic) -> None:
    out = his.ok("5302", {"data": {"psn_no": clinic.fam["张伟"].psn_no,
                                   "biz_appy_type": "01"}})
    assert out == {"psnfixmedin": []}


# -- 2001: treatment, from the enrollment --------------------------------------------------

def check(clinic: Clinic, name: str = "张伟", **over: str) -> dict[str, Any]:
    return {"data": {"psn_no": clinic.fam[name].psn_no, "insutype": "310",
                     "fixmedins_code": CLINIC, "med_type": "11", "begntime": NOW,
                     "dise_codg": "J06.900", **over}}


def test_2001_enrolled_and_active_enjoys(his: His, clinic: Clinic) -> None:
    (row,) = his.ok("2001", check(clinic))["trtinfo"]
    assert list(row) == list(TRTINFO)
    assert row == {"psn_no": clinic.fam["张伟"].psn_no, "trt_chk_type": "01",
                   "fund_pay_type": "310100", "trt_enjymnt_flag": "1",
                   "begndate": "2020-01-01", "enddate": None, "trt_chk_rslt": None}
    resident = his.ok("2001", check(clinic, "张小宝", insutype="390"))["trtinfo"][0]
    assert (resident["fund_pay_type"], resident["trt_enjymnt_flag"]) == ("390100", "1")


def test_2001_says_why_not(his: His, clinic: Clinic) -> None:
    before = his.ok("2001", check(clinic, begntime="2019-06-01 08:00:00"))["trtinfo"][0]
    assert before["trt_enjymnt_flag"] == "0" and before["begndate"] == "2020-01-01"
    assert "2020-01-01" in before["trt_chk_rslt"]
    other = his.ok("2001", check(clinic, insutype="390"))["trtinfo"][0]
    assert (other["trt_enjymnt_flag"], other["begndate"], other["fund_pay_type"]) == \
        ("0", None, "390100")
    assert "390" in other["trt_chk_rslt"]
    wf = clinic.fam["王芳"]
    (e,) = people.enrollments(clinic.app, OPERATOR, wf.psn_no)
    enrollment.end(clinic.app, OPERATOR, key("end"),
                   enrollment.EndEnrollment(e.id, date(2026, 10, 31)))
    ended = his.ok("2001", check(clinic, "王芳"))["trtinfo"][0]
    assert (ended["trt_enjymnt_flag"], ended["enddate"]) == ("0", "2026-10-31")
    assert "2026-10-31" in ended["trt_chk_rslt"]
    # the enrollment's last day is still covered
    last = his.ok("2001", check(clinic, "王芳", begntime="2026-10-31 23:00:00"))["trtinfo"][0]
    assert last["trt_enjymnt_flag"] == "1"


def test_2001_refusals(his: His, clinic: Clinic) -> None:
    for field in ("psn_no", "insutype", "fixmedins_code", "med_type", "begntime"):
        body = check(clinic)
        del body["data"][field]
        out = refused(his, clinic, "2001", body)
        assert out["err_code"] == "GATEWAY_FIELD_INVALID"
        assert f"input.data.{field}" in out["err_msg"]
    other = refused(his, clinic, "2001", check(clinic, fixmedins_code=HOSPITAL))
    assert "input.data.fixmedins_code" in other["err_msg"]
    assert refused(his, clinic, "2001", check(clinic, psn_no="P0NOBODY"))[
        "err_code"] == "PERSON_NOT_FOUND"


# -- 5201: visits ----------------------------------------------------------------------------

def test_5201_the_institutions_own_visits(his: His, clinic: Clinic,
                                          client: TestClient) -> None:
    zw = clinic.fam["张伟"]
    query = {"data": {"psn_no": zw.psn_no, **TODAY, "med_type": "11"}}
    assert his.ok("5201", query) == {"mdtrtinfo": []}
    mdtrt_id = register(his, clinic)
    (v,) = his.ok("5201", query)["mdtrtinfo"]
    assert list(v) == list(MDTRTINFO)
    assert {k: v[k] for k in ("mdtrt_id", "psn_no", "psn_cert_type", "certno", "psn_name",
                              "gend", "brdy", "age", "insutype", "psn_type", "maf_psn_flag",
                              "insu_optins", "begntime", "endtime", "mdtrt_cert_type",
                              "med_type", "ipt_otp_no", "inhosp_stas")} == {
        "mdtrt_id": mdtrt_id, "psn_no": zw.psn_no, "psn_cert_type": "01",
        "certno": zw.certno, "psn_name": "张*", "gend": "1", "brdy": "1990-03-07",
        "age": Decimal(36), "insutype": "310", "psn_type": "1101", "maf_psn_flag": "0",
        "insu_optins": "510100", "begntime": NOW, "endtime": None, "mdtrt_cert_type": "02",
        "med_type": "11", "ipt_otp_no": "MZ1", "inhosp_stas": "0"}
    assert v["naty"] is None and v["dscg_maindiag_code"] is None
    # filters: the med_type, the period, the visit named
    assert his.ok("5201", {"data": query["data"] | {"med_type": "14"}}) == {"mdtrtinfo": []}
    assert his.ok("5201", {"data": query["data"] | {
        "begntime": "2026-11-25 00:00:00", "endtime": "2026-11-30 00:00:00"}})[
        "mdtrtinfo"] == []
    assert his.ok("5201", {"data": query["data"] | {"mdtrt_id": "M-OTHER"}})[
        "mdtrtinfo"] == []
    # another institution does not see it; a cancelled registration is no visit
    assert hospital(client, clinic).ok("5201", query) == {"mdtrtinfo": []}
    his.ok("2202", {"data": {"psn_no": zw.psn_no, "mdtrt_id": mdtrt_id}})
    assert his.ok("5201", query) == {"mdtrtinfo": []}


def test_5201_a_stay_in_hospital(client: TestClient, clinic: Clinic) -> None:
    h = hospital(client, clinic)
    zw = clinic.fam["张伟"]
    mdtrt_id = h.ok("2401", {"mdtrtinfo": {"psn_no": zw.psn_no, "insutype": "310",
                                           **cert(clinic), "med_type": "21", "ipt_no": "ZY9",
                                           "begntime": NOW}})["result"]["mdtrt_id"]
    query = {"data": {"psn_no": zw.psn_no, **TODAY, "med_type": "21"}}
    (v,) = h.ok("5201", query)["mdtrtinfo"]
    assert (v["mdtrt_id"], v["inhosp_stas"], v["ipt_otp_no"]) == (mdtrt_id, "1", "ZY9")
    h.ok("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": zw.psn_no, "endtime": NOW}})
    (out,) = h.ok("5201", query)["mdtrtinfo"]
    assert (out["inhosp_stas"], out["endtime"]) == ("0", NOW)


def test_5201_refusals(his: His, clinic: Clinic) -> None:
    full = {"psn_no": clinic.fam["张伟"].psn_no, **TODAY, "med_type": "11"}
    for field in ("psn_no", "begntime", "endtime", "med_type"):
        out = refused(his, clinic, "5201", {"data": {k: v for k, v in full.items()
                                                     if k != field}})
        assert f"input.data.{field}" in out["err_msg"]
    bad = refused(his, clinic, "5201", {"data": full | {"begntime": "2026-11-24"}})
    assert "input.data.begntime" in bad["err_msg"]


# -- 5204: fee lines -------------------------------------------------------------------------

def test_5204_lines_before_and_after_settling(his: His, clinic: Clinic,
                                              client: TestClient) -> None:
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    q = {"data": {"psn_no": zw.psn_no, "mdtrt_id": mdtrt_id}}
    assert his.ok("5204", q) == []
    up = his.ok("2204", {"feedetail": [
        fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "300", "300.00"),
        fee(mdtrt_id, zw.psn_no, "2", D_B, "2", "30.000000", "60.00",
            drugtracinfo=[{"drug_trac_codg": trace()}, {"drug_trac_codg": trace()}]),
        fee(mdtrt_id, zw.psn_no, "3", S_A, "1", "5", "5.00", chrg_bchno="B2")]})["result"]
    his.ok("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "B2", "psn_no": zw.psn_no}})
    pending = his.ok("5204", q)
    assert [x["feedetl_sn"] for x in pending] == ["1", "2"]       # withdrawn line 3 is gone
    assert all(list(x) == list(FEE_QUERY) for x in pending)
    drug = pending[1]
    for k in ("det_item_fee_sumamt", "cnt", "pric", "pric_uplmt_amt", "selfpay_prop",
              "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt",
              "chrgitm_lv", "med_chrgitm_type", "lmt_used_flag"):
        assert drug[k] == up[1][k], k                              # as 2204 classified it
    assert {k: drug[k] for k in ("mdtrt_id", "setl_id", "med_type", "fee_ocur_time",
                                 "hilist_code", "hilist_name", "list_type", "med_list_codg",
                                 "medins_list_codg", "hosp_appr_flag")} == {
        "mdtrt_id": mdtrt_id, "setl_id": None, "med_type": "11", "fee_ocur_time": NOW,
        "hilist_code": D_B, "hilist_name": "乙类药", "list_type": "101", "med_list_codg": D_B,
        "medins_list_codg": "L2", "hosp_appr_flag": "0"}
    s = settle(his, clinic, mdtrt_id, "360.00")
    settled = his.ok("5204", {"data": q["data"] | {"setl_id": s["setl_id"]}})
    assert [(x["feedetl_sn"], x["setl_id"]) for x in settled] == \
        [("1", s["setl_id"]), ("2", s["setl_id"])]
    assert sum(x["inscp_scp_amt"] for x in settled) == s["inscp_scp_amt"]
    assert settled[1]["overlmt_amt"] == s["overlmt_selfpay"] == Decimal("4.00")
    # a cancelled settlement holds no lines: they are pending again
    his.ok("2208", {"data": {"setl_id": s["setl_id"], "psn_no": zw.psn_no}})
    assert his.ok("5204", {"data": q["data"] | {"setl_id": s["setl_id"]}}) == []
    assert [x["setl_id"] for x in his.ok("5204", q)] == [None, None]


def test_5204_refusals(his: His, clinic: Clinic, client: TestClient) -> None:
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    his.ok("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "10", "10.00")]})
    s = settle(his, clinic, mdtrt_id, "10.00")
    for field in ("psn_no", "mdtrt_id"):
        data = {"psn_no": zw.psn_no, "mdtrt_id": mdtrt_id}
        del data[field]
        assert f"input.data.{field}" in refused(his, clinic, "5204", {"data": data})["err_msg"]
    ok = {"psn_no": zw.psn_no, "mdtrt_id": mdtrt_id}
    assert refused(his, clinic, "5204", {"data": ok | {"psn_no": clinic.fam["王芳"].psn_no}})[
        "err_code"] == "VISIT_NOT_FOUND"
    other = register(his, clinic)
    assert refused(his, clinic, "5204", {"data": {"psn_no": zw.psn_no, "mdtrt_id": other,
                                                  "setl_id": s["setl_id"]}})[
        "err_code"] == "SETTLEMENT_NOT_FOUND"
    assert refused(hospital(client, clinic), clinic, "5204", {"data": ok})[
        "err_code"] == "VISIT_NOT_FOUND"


# -- 5205: chronic/special disease medication records ---------------------------------------

def test_5205_drug_lines_of_chronic_visits_anywhere(his: His, clinic: Clinic,
                                                    client: TestClient, pos: His) -> None:
    zw = clinic.fam["张伟"]
    his.ok("2503", {"data": {"psn_no": zw.psn_no, "insutype": "310",
                             "opsp_dise_code": "diabetes", "begndate": "2026-01-01"}})
    chronic = register(his, clinic)
    his.ok("2203", {"mdtrtinfo": {"mdtrt_id": chronic, "psn_no": zw.psn_no,
                                  "med_type": "14", "dise_codg": "diabetes"}})
    his.ok("2204", {"feedetail": [
        fee(chronic, zw.psn_no, "1", D_B, "1", "20", "20.00",
            drugtracinfo=[{"drug_trac_codg": trace()}]),
        fee(chronic, zw.psn_no, "2", S_A, "1", "50", "50.00")]})
    settle(his, clinic, chronic, "70.00")
    # a drug line of an ordinary visit, and a pharmacy purchase, are no chronic record
    plain = register(his, clinic)
    his.ok("2204", {"feedetail": [fee(plain, zw.psn_no, "1", D_B, "1", "20", "20.00",
                                      drugtracinfo=[{"drug_trac_codg": trace()}])]})
    settle(his, clinic, plain, "20.00")
    pos.ok("2102", purchase(clinic, trace()))
    # the clinic that treats him sees it
    query = {"data": {"psn_no": zw.psn_no, "begntime": "2026-11-24 00:00:00"}}
    (x,) = his.ok("5205", query)["feedetail"]
    assert list(x) == list(MEDICATION)
    assert {k: x[k] for k in ("feedetl_sn", "fixmedins_code", "fixmedins_name", "psn_no",
                              "med_type", "fee_ocur_time", "cnt", "pric", "chrgitm_lv",
                              "hilist_code", "hilist_name", "list_type",
                              "med_chrgitm_type")} == {
        "feedetl_sn": "1", "fixmedins_code": CLINIC, "fixmedins_name": "社区卫生服务中心",
        "psn_no": zw.psn_no, "med_type": "14", "fee_ocur_time": NOW, "cnt": Decimal("1"),
        "pric": Decimal("20"), "chrgitm_lv": "02", "hilist_code": D_B,
        "hilist_name": "乙类药", "list_type": "101", "med_chrgitm_type": "09"}
    # a hospital that never saw him is refused; once he registers there, it sees it too
    h = hospital(client, clinic)
    assert refused(h, clinic, "5205", query)["err_code"] == "FORBIDDEN"
    register(h, clinic)
    assert [y["fixmedins_code"] for y in h.ok("5205", query)["feedetail"]] == [CLINIC]
    # the period: nothing received after, nor before
    assert his.ok("5205", {"data": query["data"] | {"begntime": "2026-11-25 00:00:00"}}) == \
        {"feedetail": []}
    assert his.ok("5205", {"data": query["data"] | {
        "begntime": "2026-11-01 00:00:00", "endtime": "2026-11-23 23:59:59"}}) == \
        {"feedetail": []}


def test_5205_refusals(his: His, clinic: Clinic) -> None:
    zw = clinic.fam["张伟"]
    register(his, clinic)
    for field in ("psn_no", "begntime"):
        data = {"psn_no": zw.psn_no, "begntime": NOW}
        del data[field]
        assert f"input.data.{field}" in refused(his, clinic, "5205", {"data": data})["err_msg"]
    assert his.ok("5205", {"data": {"psn_no": zw.psn_no, "begntime": NOW}}) == \
        {"feedetail": []}


# -- downloads: herbal pieces, diseases ----------------------------------------------------

def test_1309_chronic_disease_list_through_9102(his: His) -> None:
    out = his.ok("1309", {"data": {"ver": "0"}})
    assert list(out) == list(DOWNLOAD)
    assert (out["ver"], out["count"]) == (CHRONIC_LIST_VER, Decimal(len(CHRONIC_DISEASES)))
    name, text = unzip(his, out["file_qury_no"])
    assert name == f"1309_{CHRONIC_LIST_VER}.txt"
    rows = [line.split("\t") for line in text.splitlines()]
    assert all(len(r) == len(OPSP_COLUMNS) for r in rows)
    col = {c: i for i, c in enumerate(OPSP_COLUMNS)}
    assert {r[col["opsp_dise_code"]]: r[col["opsp_dise_name"]] for r in rows} == \
        {k: v.zh for k, v in CHRONIC_DISEASES.items()}
    assert {r[col["vali_flag"]] for r in rows} == {"1"}
    assert his.ok("1309", {"data": {"ver": CHRONIC_LIST_VER}})["count"] == Decimal(0)


def test_1307_is_a_valid_empty_file(his: His) -> None:
    out = his.ok("1307", {"data": {}})
    assert (out["count"], out["ver"]) == (Decimal(0), "0")
    assert unzip(his, out["file_qury_no"]) == ("1307_0.txt", "")


def test_1302_herbal_pieces(his: His, clinic: Clinic) -> None:
    assert his.ok("1302", {"data": {"ver": "0"}})["count"] == Decimal(0)
    report = catalog.import_rows(clinic.app, OPERATOR, "000000", [(2, {
        "med_list_codg": "T001700001", "name": "黄芪", "list_type": "102",
        "med_chrgitm_type": "10", "chrgitm_lv": "01", "selfpay_prop": "",
        "pric_uplmt_amt": "", "lmt_used_flag": "0"})], begndate=date(2026, 1, 1),
        version="herbs")
    assert report.imported == 1
    out = his.ok("1302", {"data": {"ver": "0"}})
    assert out["count"] == Decimal(1) and out["filename"].startswith("1302_")
    _, text = unzip(his, out["file_qury_no"])
    assert text.split("\t")[:3] == ["T001700001", "黄芪", "102"]
    assert his.ok("1302", {"data": {"ver": out["ver"]}})["count"] == Decimal(0)


def test_downloads_refuse_a_bad_ver(his: His, clinic: Clinic) -> None:
    for infno in ("1302", "1307", "1309"):
        out = refused(his, clinic, infno, {"data": {"ver": "9" * 41}})
        assert "input.data.ver" in out["err_msg"]
        assert refused(his, clinic, infno, {})["err_code"] == "GATEWAY_FIELD_INVALID"


# -- one door each -----------------------------------------------------------------------------

@pytest.mark.parametrize(("infno", "called"), [
    ("2001", "settlement.service.treatment_check"), ("5201", "settlement.service.visits"),
    ("5204", "settlement.service.fee_lines"),
    ("5205", "settlement.service.chronic_medication"),
    ("5301", "filing.service.recognitions"), ("5302", "filing.service.designations"),
    ("1302", "catalog.service.download"), ("1307", "catalog.service.download_diseases"),
    ("1309", "catalog.service.download_diseases")])
def test_each_query_makes_one_door_call(his: His, clinic: Clinic, infno: str,
                                        called: str) -> None:
    """The handler alone (the route around it may note the message elsewhere)."""
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    inputs = {
        "2001": check(clinic), "5201": {"data": {"psn_no": zw.psn_no, **TODAY,
                                                 "med_type": "11"}},
        "5204": {"data": {"psn_no": zw.psn_no, "mdtrt_id": mdtrt_id}},
        "5205": {"data": {"psn_no": zw.psn_no, "begntime": NOW}},
        "5301": {"data": {"psn_no": zw.psn_no}}, "5302": {"data": {"psn_no": zw.psn_no}},
        "1302": {"data": {}}, "1307": {"data": {}}, "1309": {"data": {}}}
    env = envelope.parse(his.envelope(infno, inputs[infno]), set(HANDLERS))
    with door.request("test") as calls:
        HANDLERS[infno](Ctx(clinic.app, clinic.inst(CLINIC), env))
    assert [c.name for c in calls if not c.auth] == [called]


# -- 5303: stays in hospital -----------------------------------------------------------------

def admit(h: His, clinic: Clinic, name: str = "张伟", ipt_no: str = "ZY1",
          **more: str) -> str:
    m = clinic.fam[name]
    mdtrt_id: str = h.ok("2401", {"mdtrtinfo": {
        "psn_no": m.psn_no, "insutype": "310" if name == "张伟" else "390",
        **cert(clinic, name), "med_type": "21", "ipt_no": ipt_no, "begntime": NOW,
        **more}})["result"]["mdtrt_id"]
    return mdtrt_id


def test_5303_the_institutions_stays_in_hospital(client: TestClient, clinic: Clinic,
                                                 his: His) -> None:
    h = hospital(client, clinic)
    zw, ma = clinic.fam["张伟"], clinic.fam["李秀英"]
    mine = {"data": {"psn_no": zw.psn_no}}
    assert h.ok("5303", mine) == {"data": []}
    stay = admit(h, clinic)
    away = admit(h, clinic, "李秀英", "ZY2")
    (s,) = h.ok("5303", mine)["data"]
    assert list(s) == list(STAY)
    assert s == {"mdtrt_id": stay, "psn_no": zw.psn_no, "psn_cert_type": "01",
                 "certno": zw.certno, "psn_name": "张*", "gend": "1", "brdy": "1990-03-07",
                 "age": Decimal(36), "insutype": "310", "begndate": "2026-11-24",
                 "med_type": "21", "ipt_otp_no": "ZY1", "out_flag": "0", "begntime": NOW,
                 "fixmedins_code": HOSPITAL, "fixmedins_name": "成都共济医院"}
    (a,) = h.ok("5303", {"data": {"psn_no": ma.psn_no}})["data"]
    assert (a["mdtrt_id"], a["insutype"], a["out_flag"], a["psn_name"]) == \
        (away, "390", "1", "李**")
    # without psn_no: every patient of the institution in hospital; the period filters
    assert {x["mdtrt_id"] for x in h.ok("5303", {"data": {}})["data"]} == {stay, away}
    assert h.ok("5303", {"data": {"psn_no": zw.psn_no, "begntime": "2026-11-25 00:00:00"}}
                ) == {"data": []}
    assert h.ok("5303", {"data": {"psn_no": zw.psn_no, "begntime": "2026-11-24 00:00:00",
                                  "endtime": "2026-11-24 23:59:59"}})["data"] == [s]
    # another institution sees none of them; an outpatient visit is no stay
    register(his, clinic)
    assert his.ok("5303", mine) == {"data": []}
    # discharged: not in hospital; the discharge withdrawn: again
    h.ok("2402", {"dscginfo": {"mdtrt_id": stay, "psn_no": zw.psn_no, "endtime": NOW}})
    assert h.ok("5303", mine) == {"data": []}
    h.ok("2405", {"data": {"mdtrt_id": stay, "psn_no": zw.psn_no}})
    assert [x["mdtrt_id"] for x in h.ok("5303", mine)["data"]] == [stay]
    # a final settlement closes the stay; a mid-stay one does not; a cancelled stay is gone
    h.ok("2301", {"feedetail": [fee(stay, zw.psn_no, "1", S_A, "1", "100", "100.00")]})
    ask = {"psn_no": zw.psn_no, **cert(clinic), "medfee_sumamt": "100.00", "mdtrt_id": stay,
           "insutype": "310"}
    h.ok("2304", {"data": ask | {"mid_setl_flag": "1"}})
    assert len(h.ok("5303", mine)["data"]) == 1
    h.ok("2301", {"feedetail": [fee(stay, zw.psn_no, "2", S_A, "1", "50", "50.00")]})
    h.ok("2304", {"data": ask | {"medfee_sumamt": "50.00", "mid_setl_flag": "0"}})
    assert h.ok("5303", mine) == {"data": []}
    h.ok("2404", {"data": {"mdtrt_id": away, "psn_no": ma.psn_no}})
    assert h.ok("5303", {"data": {}}) == {"data": []}


def test_5303_refusals(client: TestClient, clinic: Clinic) -> None:
    h = hospital(client, clinic)
    zw = clinic.fam["张伟"]
    admit(h, clinic)
    assert refused(h, clinic, "5303", {})["err_code"] == "GATEWAY_FIELD_INVALID"
    day = refused(h, clinic, "5303", {"data": {"psn_no": zw.psn_no, "begntime": "2026-11-24"}})
    assert "input.data.begntime" in day["err_msg"]
    assert "input.data.psn_no" in refused(h, clinic, "5303", {"data": {"psn_no": "P" * 31}})[
        "err_msg"]
    assert h.ok("5303", {"data": {"psn_no": "P0NOBODY"}}) == {"data": []}


# -- 5304: referral filings ------------------------------------------------------------------

def refer(his: His, clinic: Clinic, name: str = "李秀英", **more: str) -> str:
    sn: str = his.ok("2501", {"refmedin": {
        "psn_no": clinic.fam[name].psn_no, "insutype": "390", "mdtrtarea_admdvs": "510100",
        "begndate": "2026-11-24", "diag_code": "I10", "reflin_medins_no": HOSPITAL,
        **more}})["result"]["trt_dcla_detl_sn"]
    return sn


def test_5304_referral_filings_to_the_hospital_referred_to(his: His, clinic: Clinic,
                                                           client: TestClient) -> None:
    ma = clinic.fam["李秀英"]
    h = hospital(client, clinic)
    query = {"data": {"psn_no": ma.psn_no}}
    assert h.ok("5304", query) == {"refmedin": []}
    sn = refer(his, clinic)
    # an emergency filing is not a referral
    filing.file(clinic.app, clinic.inst(CLINIC), key("emergency"), ma.psn_no,
                filing.File("emergency", "440100", date(2026, 11, 24)))
    (r,) = h.ok("5304", query)["refmedin"]
    assert list(r) == list(REFMEDIN)
    gend = his.ok("1101", {"data": cert(clinic, "李秀英")})["baseinfo"]["gend"]
    assert {k: v for k, v in r.items() if v is not None and k != "opt_time"} == {
        "insutype": "390", "psn_no": ma.psn_no, "psn_cert_type": "01", "certno": ma.certno,
        "psn_name": "李**", "gend": gend, "brdy": "1964-11-02", "insu_optins": "411300",
        "out_flag": "1", "begndate": "2026-11-24", "enddate": "2027-05-24",
        "trt_dcla_detl_sn": sn, "mdtrtarea_admdvs": "510100"}
    assert r["opt_time"] is not None
    # not kept by 2501: null, never guessed
    assert (r["diag_code"], r["reflin_medins_no"], r["hosp_agre_refl_flag"],
            r["dcla_souc"]) == (None, None, None, None)
    # the period: in force some day of it
    for period, found in (({"begntime": "2027-05-24 12:00:00"}, 1),
                          ({"begntime": "2027-05-25 00:00:00"}, 0),
                          ({"begntime": "2026-11-01 00:00:00",
                            "endtime": "2026-11-23 23:59:59"}, 0),
                          ({"begntime": "2026-11-01 00:00:00",
                            "endtime": "2026-11-24 08:00:00"}, 1)):
        out = h.ok("5304", {"data": query["data"] | period})["refmedin"]
        assert len(out) == found, period
    # another person's are theirs; a revoked filing is no filing
    assert h.ok("5304", {"data": {"psn_no": clinic.fam["张伟"].psn_no}}) == {"refmedin": []}
    his.ok("2502", {"data": {"trt_dcla_detl_sn": sn, "psn_no": ma.psn_no}})
    assert h.ok("5304", query) == {"refmedin": []}


def test_5304_refusals(his: His, clinic: Clinic) -> None:
    assert "input.data.psn_no" in refused(his, clinic, "5304", {"data": {}})["err_msg"]
    assert refused(his, clinic, "5304", {"data": {"psn_no": "P0NOBODY"}})[
        "err_code"] == "PERSON_NOT_FOUND"
    bad = refused(his, clinic, "5304", {"data": {"psn_no": clinic.fam["张伟"].psn_no,
                                                 "endtime": "2026-13-01 00:00:00"}})
    assert "input.data.endtime" in bad["err_msg"]


# -- 2403: the stay's information change ----------------------------------------------------

def change(clinic: Clinic, stay: str, /, **over: Any) -> dict[str, Any]:
    """A whole adminfo as an HIS sends it, the stay's details included."""
    return {"adminfo": {
        "mdtrt_id": stay, "psn_no": clinic.fam["张伟"].psn_no, "coner_name": "张三",
        "tel": "13800000000", "begntime": NOW, "mdtrt_cert_type": "02", "med_type": "28",
        "ipt_otp_no": "ZY1", "atddr_no": "D001", "chfpdr_name": "王医生",
        "adm_diag_dscr": "胆囊结石", "adm_dept_codg": "A03", "adm_dept_name": "普外科",
        "adm_bed": "12", "dscg_maindiag_code": "K80.100", "dscg_maindiag_name": "胆囊结石",
        "dise_codg": "K80.100", "dise_name": "胆囊结石", "latechb_flag": "0", "pret_flag": "0",
        "fetts": "0", **over}, "diseinfo": [{"diag_code": "K80.100", "diag_type": "1"}]}


def stay_as(h: His, clinic: Clinic, med_type: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = h.ok("5201", {"data": {
        "psn_no": clinic.fam["张伟"].psn_no, **TODAY, "med_type": med_type}})["mdtrtinfo"]
    return out


def test_2403_changes_med_type_and_diagnosis(client: TestClient, clinic: Clinic) -> None:
    h = hospital(client, clinic)
    stay = admit(h, clinic, dise_codg="K35.800")
    assert h.ok("2403", change(clinic, stay)) == {}
    assert stay_as(h, clinic, "21") == []
    (v,) = stay_as(h, clinic, "28")
    assert (v["mdtrt_id"], v["dise_codg"], v["ipt_otp_no"], v["begntime"]) == \
        (stay, "K80.100", "ZY1", NOW)
    # the node 2401 uses is read the same, and noted as a tolerance (adminfo is not)
    moved = change(clinic, stay, med_type="21", dise_codg="K35.800")
    for node, noted in (("mdtrtinfo", ["input.mdtrtinfo"]), ("adminfo", [])):
        env = envelope.parse(h.envelope("2403", {node: moved["adminfo"]}), set(HANDLERS))
        with collecting() as seen:
            assert HANDLERS["2403"](Ctx(clinic.app, clinic.inst(HOSPITAL), env)) == {}
        assert [d.field for d in seen] == noted
    (back,) = stay_as(h, clinic, "21")
    assert back["dise_codg"] == "K35.800"


def test_2403_refusals_change_nothing(client: TestClient, clinic: Clinic, his: His) -> None:
    h = hospital(client, clinic)
    stay = admit(h, clinic, dise_codg="K35.800")
    for over, field in (({"med_type": "11"}, "med_type"), ({"med_type": "52"}, "med_type"),
                        ({"matn_type": "1"}, "matn_type"),
                        ({"birctrl_type": "2"}, "birctrl_type"),
                        ({"mdtrt_id": ""}, "mdtrt_id"), ({"psn_no": None}, "psn_no"),
                        ({"mdtrt_cert_type": "99"}, "mdtrt_cert_type"),
                        ({"begntime": "2026-11-24"}, "begntime"), ({"fetts": "1.5"}, "fetts"),
                        ({"adm_dept_name": "科" * 101}, "adm_dept_name")):
        out = refused(h, clinic, "2403", change(clinic, stay, **over))
        assert out["err_code"] == "GATEWAY_FIELD_INVALID", over
        assert f"input.adminfo.{field}" in out["err_msg"], over
    assert "input.adminfo" in refused(h, clinic, "2403", {"diseinfo": []})["err_msg"]
    # an outpatient visit is no stay; another institution's stay is not found
    visit = register(his, clinic)
    assert refused(his, clinic, "2403", change(clinic, visit))["err_code"] == \
        "MED_TYPE_UNSUPPORTED"
    assert refused(his, clinic, "2403", change(clinic, stay))["err_code"] == "VISIT_NOT_FOUND"
    (v,) = stay_as(h, clinic, "21")
    assert (v["mdtrt_id"], v["dise_codg"]) == (stay, "K35.800")
    # a cancelled stay is not open
    h.ok("2404", {"data": {"mdtrt_id": stay, "psn_no": clinic.fam["张伟"].psn_no}})
    assert refused(h, clinic, "2403", change(clinic, stay))["err_code"] == "VISIT_NOT_OPEN"


# -- one door each (5303, 5304, 2403) --------------------------------------------------------

@pytest.mark.parametrize(("infno", "called"), [
    ("5303", "settlement.service.open_stays"), ("5304", "filing.service.referrals"),
    ("2403", "settlement.service.update_visit")])
def test_stay_queries_and_change_make_one_door_call(his: His, clinic: Clinic, infno: str,
                                                    called: str) -> None:
    """The handler alone (the route around it may note the message elsewhere)."""
    zw = clinic.fam["张伟"]
    stay = admit(his, clinic)
    inputs = {"5303": {"data": {"psn_no": zw.psn_no}}, "5304": {"data": {"psn_no": zw.psn_no}},
              "2403": change(clinic, stay)}
    env = envelope.parse(his.envelope(infno, inputs[infno]), set(HANDLERS))
    with door.request("test") as calls:
        HANDLERS[infno](Ctx(clinic.app, clinic.inst(CLINIC), env))
    assert [c.name for c in calls if not c.auth] == [called]

