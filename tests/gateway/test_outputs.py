"""Every output object of every implemented infno carries each field its declaration
(gateway/outputs.py, gateway/queries.py) names, in order, and nothing else; every handler has
a declaration; amounts keep exactly two decimals; the setlinfo names its holder as 1101
does."""

from __future__ import annotations

import base64
import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.domain.settlement import SETLINFO_AMOUNTS
from gongji.gateway import transactions
from gongji.gateway.mobilepay import MOBILE_OUTPUTS
from gongji.gateway.mobilepay import MONEY as MOBILE_MONEY
from gongji.gateway.outputs import OUTPUTS, shape
from gongji.gateway.queries import QUERY_OUTPUTS
from gongji.gateway.transactions import HANDLERS
from gongji.services.credentials import service as credentials
from gongji.services.settlement import service as svc
from tests.clinic import CLINIC, D_B, HOSPITAL, PHARMACY, S_A, Clinic, trace
from tests.conftest import OPERATOR
from tests.gateway.conftest import His
from tests.gateway.test_transactions import NOW, cert, fee, purchase, register

MONEY = {*SETLINFO_AMOUNTS, "balc", "hifdm_pay", "psn_pay", "cash_payamt", "crt_payb_lmt_amt",
         "fund_payamt", "det_item_fee_sumamt", "pric_uplmt_amt", "overlmt_amt", "cum",
         *MOBILE_MONEY}
"""The 16,2 amounts among the declared fields."""

DECLARED = {**OUTPUTS, **QUERY_OUTPUTS, **MOBILE_OUTPUTS}
"""Every infno's declaration, wherever its handler lives."""


def objects(infno: str, node: str, out: Any) -> list[Any]:
    """The objects a node names: "name" one, "name[]" a list of them; "" is the output
    itself, "[]" the output as a list."""
    value = out[node.removesuffix("[]")] if node.removesuffix("[]") else out
    if node.endswith("[]"):
        assert isinstance(value, list), (infno, node, value)
        return value
    return [value]


def complete(infno: str, out: Any) -> None:
    """Each declared object is there with exactly its declared fields, in order (an empty
    declaration: an empty output); each amount has two decimals."""
    nodes = DECLARED[infno]
    if all(node.removesuffix("[]") for node in nodes):     # named nodes, or none at all
        assert isinstance(out, dict), (infno, out)
        assert set(out) == {node.removesuffix("[]") for node in nodes}, (infno, out)
    for node, fields in nodes.items():
        for item in objects(infno, node, out):
            assert list(item) == list(fields), (infno, node)
            for name in MONEY & set(fields):
                if item[name] is not None:
                    assert isinstance(item[name], Decimal), (infno, node, name)
                    assert item[name].as_tuple().exponent == -2, (infno, node, name, item[name])


def outpatient(his: His, clinic: Clinic) -> dict[str, dict[str, Any]]:
    """1101, 2201, 2204, 2206, 2207 (with the card), 5203, 2208, 5206: what each answered."""
    zw = clinic.fam["张伟"]
    out = {"1101": his.ok("1101", {"data": cert(clinic)}),
           "2201": his.ok("2201", {"data": {"psn_no": zw.psn_no, "insutype": "310",
                                            "begntime": NOW, **cert(clinic),
                                            "ipt_otp_no": "MZ1"}})}
    mdtrt_id = out["2201"]["data"]["mdtrt_id"]
    out["2204"] = his.ok("2204", {"feedetail": [
        fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "300", "300.00")]})
    ask = {"psn_no": zw.psn_no, **cert(clinic), "medfee_sumamt": "300.00",
           "mdtrt_id": mdtrt_id, "insutype": "310", "acct_used_flag": "1"}
    out["2206"] = his.ok("2206", {"data": ask})
    credentials.issue_card(clinic.app, OPERATOR, "card-1", zw.psn_no, "A12345678")
    out["2207"] = his.ok("2207", {"data": ask | {"mdtrt_cert_type": "03",
                                                 "mdtrt_cert_no": "A12345678"}})
    setl_id = out["2207"]["setlinfo"]["setl_id"]
    out["5203"] = his.ok("5203", {"data": {"psn_no": zw.psn_no, "setl_id": setl_id}})
    out["5206"] = his.ok("5206", {"data": {"psn_no": zw.psn_no, "cum_ym": "202611"}})
    out["2208"] = his.ok("2208", {"data": {"setl_id": setl_id, "psn_no": zw.psn_no}})
    out["5203 after 2208"] = his.ok("5203", {"data": {"psn_no": zw.psn_no,
                                                      "setl_id": setl_id}})
    return out


def inpatient(client: TestClient, clinic: Clinic) -> dict[str, dict[str, Any]]:
    his = His(client, clinic.app, HOSPITAL)
    his.sign_in()
    zw = clinic.fam["张伟"]
    out = {"2401": his.ok("2401", {"mdtrtinfo": {"psn_no": zw.psn_no, "insutype": "310",
                                                 **cert(clinic), "med_type": "21",
                                                 "ipt_no": "ZY1", "begntime": NOW}})}
    mdtrt_id = out["2401"]["result"]["mdtrt_id"]
    out["2301"] = his.ok("2301", {"feedetail": [
        fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "600", "600.00")]})
    ask = {"psn_no": zw.psn_no, **cert(clinic), "medfee_sumamt": "600.00",
           "mdtrt_id": mdtrt_id, "insutype": "310"}
    out["2303"] = his.ok("2303", {"data": ask})
    out["2304"] = his.ok("2304", {"data": ask})
    out["2305"] = his.ok("2305", {"data": {"setl_id": out["2304"]["setlinfo"]["setl_id"],
                                           "psn_no": zw.psn_no}})
    return out


def pharmacy(pos: His, clinic: Clinic) -> dict[str, dict[str, Any]]:
    out = {"2101": pos.ok("2101", purchase(clinic, trace())),
           "2102": pos.ok("2102", purchase(clinic, trace()))}
    out["2103"] = pos.ok("2103", {"data": {"setl_id": out["2102"]["setlinfo"]["setl_id"],
                                           "psn_no": clinic.fam["张伟"].psn_no}})
    return out


def the_rest(his: His, pos: His, client: TestClient,
             clinic: Clinic) -> dict[str, dict[str, Any]]:
    """Every other transaction declared in outputs.OUTPUTS, and 2403: sign-in, dictionary,
    catalogs and files, an outpatient visit withdrawn, a stay changed and undone, filings,
    a reversal, reconciliation, sales, and the sign-out last."""
    zw, ma = clinic.fam["张伟"], clinic.fam["李秀英"]
    out = {"9001": his.ok("9001", {"signIn": {"opter_no": "001"}})}
    his.sign_no = out["9001"]["signinoutb"]["sign_no"]
    out["1901"] = his.ok("1901", {"data": {"type": "med_type"}})
    for infno in ("1301", "1305", "1306"):
        out[infno] = his.ok(infno, {"data": {"ver": "0"}})
    out["9102"] = his.ok("9102", {"fsDownloadIn": {"file_qury_no":
                                                   out["1301"]["file_qury_no"]}})
    mdtrt_id = register(his, clinic)
    out["2203"] = his.ok("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": zw.psn_no,
                                                "med_type": "11", "dise_codg": "J06.900"}})
    his.ok("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "10", "10.00")]})
    out["2205"] = his.ok("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "0000",
                                           "psn_no": zw.psn_no}})
    out["2202"] = his.ok("2202", {"data": {"psn_no": zw.psn_no, "mdtrt_id": mdtrt_id}})
    registered = his.envelope("2201", {"data": {"psn_no": zw.psn_no, "insutype": "310",
                                                "begntime": NOW, **cert(clinic),
                                                "ipt_otp_no": "MZ2"}})
    assert his.send(registered)["infcode"] == 0
    out["2601"] = his.ok("2601", {"data": {"psn_no": zw.psn_no, "omsgid": registered["msgid"],
                                           "oinfno": "2201"}})
    out["2501"] = his.ok("2501", {"refmedin": {"psn_no": ma.psn_no, "insutype": "390",
                                               "mdtrtarea_admdvs": "510100",
                                               "begndate": "2026-11-24"}})
    out["2502"] = his.ok("2502", {"data": {"psn_no": ma.psn_no, "trt_dcla_detl_sn":
                                           out["2501"]["result"]["trt_dcla_detl_sn"]}})
    out["2503"] = his.ok("2503", {"data": {"psn_no": ma.psn_no, "insutype": "390",
                                           "opsp_dise_code": "diabetes",
                                           "begndate": "2026-01-01"}})
    out["2504"] = his.ok("2504", {"data": {"psn_no": ma.psn_no, "trt_dcla_detl_sn":
                                           out["2503"]["result"]["trt_dcla_detl_sn"]}})
    settled = register(his, clinic)
    his.ok("2204", {"feedetail": [fee(settled, zw.psn_no, "1", S_A, "1", "10", "10.00")]})
    s = his.ok("2207", {"data": {"psn_no": zw.psn_no, **cert(clinic), "mdtrt_id": settled,
                                 "medfee_sumamt": "10.00", "insutype": "310"}})["setlinfo"]
    period = {"setl_optins": "510100", "stmt_begndate": "2026-11-24",
              "stmt_enddate": "2026-11-24", "medfee_sumamt": "10.00",
              "fund_pay_sumamt": "0.00", "fixmedins_setl_cnt": "1"}
    out["3201"] = his.ok("3201", {"data": period | {"acct_pay": "10.00"}})
    line = f"{s['setl_id']}\t{settled}\t{zw.psn_no}\t10.00\t0.00\t10.00\t0\n"
    out["9101"] = his.ok("9101", {"fsUploadIn": {
        "in": base64.b64encode(line.encode()).decode(), "filename": "detail.txt"}})
    out["3202"] = his.ok("3202", {"data": period | {"file_qury_no":
                                                    out["9101"]["file_qury_no"]}})
    sale = {"selinfo": {"med_list_codg": D_B, "psn_no": zw.psn_no, "trdn_flag": "0",
                        "sel_retn_cnt": "1", "sel_retn_time": NOW,
                        "drugtracinfo": [{"drug_trac_codg": trace()}]}}
    out["3505"], out["3506"] = pos.ok("3505", sale), pos.ok("3506", sale)
    h = His(client, clinic.app, HOSPITAL)
    h.sign_in()
    stay = h.ok("2401", {"mdtrtinfo": {"psn_no": zw.psn_no, "insutype": "310",
                                       **cert(clinic), "med_type": "21", "ipt_no": "ZY3",
                                       "begntime": NOW}})["result"]["mdtrt_id"]
    out["2403"] = h.ok("2403", {"adminfo": {"mdtrt_id": stay, "psn_no": zw.psn_no,
                                            "med_type": "28", "dise_codg": "K80.100"}})
    h.ok("2301", {"feedetail": [fee(stay, zw.psn_no, "1", S_A, "1", "600", "600.00")]})
    out["2302"] = h.ok("2302", {"data": {"feedetl_sn": "0000", "mdtrt_id": stay,
                                         "psn_no": zw.psn_no}})
    out["2402"] = h.ok("2402", {"dscginfo": {"mdtrt_id": stay, "psn_no": zw.psn_no,
                                             "endtime": NOW}})
    out["2405"] = h.ok("2405", {"data": {"mdtrt_id": stay, "psn_no": zw.psn_no}})
    out["2404"] = h.ok("2404", {"data": {"mdtrt_id": stay, "psn_no": zw.psn_no}})
    out["9002"] = his.ok("9002", {"signOut": {"sign_no": his.sign_no, "opter_no": "001"}})
    return out


def test_every_handler_has_a_declaration() -> None:
    """A handler without a declaration could answer anything; a declaration without a
    handler would be dead text. The two tables never declare an infno twice."""
    assert not set(OUTPUTS) & set(QUERY_OUTPUTS)
    assert set(HANDLERS) == set(DECLARED), sorted(set(HANDLERS) ^ set(DECLARED))


def test_every_declared_output_is_complete(his: His, pos: His, client: TestClient,
                                           clinic: Clinic) -> None:
    seen = {**outpatient(his, clinic), **inpatient(client, clinic), **pharmacy(pos, clinic),
            **the_rest(his, pos, client, clinic)}
    assert {k for k in seen if k in OUTPUTS} == set(OUTPUTS), "an infno went unchecked"
    for infno, out in seen.items():
        complete(infno.split()[0], out)
    for infno in ("1101", "2204", "2206", "2207", "2208", "2301", "2304", "2101", "2102",
                  "2103", "5203", "5206"):      # the lists checked above were not empty
        assert all(seen[infno][node.removesuffix("[]")] for node in OUTPUTS[infno]
                   if node.endswith("[]") and node != "idetinfo[]"), infno
    assert seen["1901"]["list"], "the dictionary was not empty"
    for infno in ("2202", "2203", "2205", "2302", "2402", "2403", "2404", "2405", "2502",
                  "2504"):                      # the specification answers nothing
        assert DECLARED[infno] == {} and seen[infno] == {}, infno


def test_the_new_fields_carry_what_gongji_knows(his: His, pos: His, client: TestClient,
                                                clinic: Clinic) -> None:
    """The specification's names gongji fills (the others stay null), and the extensions
    kept beside them."""
    seen = the_rest(his, pos, client, clinic)
    assert seen["9101"]["fixmedins_code"] == CLINIC and seen["9101"]["filename"] == \
        "detail.txt"
    for infno in ("1301", "1305", "1306"):
        out = seen[infno]
        assert out["data_cnt"] == out["count"] and out["filename"].startswith(infno + "_")
        assert (out["dld_end_time"], out["dld_endtime"]) == (None, None)
    assert seen["9102"]["file_qury_no"] == seen["1301"]["file_qury_no"]
    assert base64.b64decode(seen["9102"]["content"]).startswith(b"PK")     # the zip itself
    first = seen["1901"]["list"][0]
    assert (first["type"], first["sort"], first["vali_flag"], first["parent_value"]) == (
        "med_type", "1", "1", None)
    assert seen["2601"]["result"].startswith("visit") and \
        seen["2601"]["result"].endswith("cancelled")
    assert seen["3201"]["stmtinfo"]["setl_optins"] == "510100"
    assert seen["3201"]["stmtinfo"]["stmt_rslt"] == "0"
    assert seen["3202"]["stmtinfo"]["setl_optins"] == "510100"
    assert seen["3202"]["fileinfo"]["file_qury_no"] != seen["9101"]["file_qury_no"]
    assert seen["3505"]["retRslt"] == seen["3506"]["retRslt"] == "1"
    assert seen["2501"]["result"]["trt_dcla_detl_sn"] != \
        seen["2503"]["result"]["trt_dcla_detl_sn"]
    assert seen["9001"]["signinoutb"]["sign_time"] == \
        seen["9002"]["signoutoutb"]["sign_time"] == NOW


def test_setlinfo_names_the_holder_as_1101_does(his: His, clinic: Clinic) -> None:
    seen = outpatient(his, clinic)
    base = seen["1101"]["baseinfo"]
    for infno in ("2206", "2207", "5203", "2208"):
        info = seen[infno]["setlinfo"]
        assert (info["certno"], info["gend"], info["naty"], info["brdy"], info["age"]) == (
            base["certno"], base["gend"], base["naty"], base["brdy"], base["age"]), infno
        assert info["certno"] == clinic.fam["张伟"].certno and info["age"] == Decimal(36)
        assert info["psn_name"] == "张*" != base["psn_name"]     # the name stays masked
        assert (info["cvlserv_flag"], info["hifdm_pay"], info["exp_content"]) == (
            "0", Decimal("0.00"), None)
        assert all(d["setl_proc_info"] is None for d in seen[infno]["setldetail"])
    # the credential each was made with: pre-settled by ID number, settled by card
    assert seen["2206"]["setlinfo"]["mdtrt_cert_type"] == "02"
    assert [seen[i]["setlinfo"]["mdtrt_cert_type"] for i in ("2207", "5203", "2208")] == \
        ["03", "03", "03"]


def test_query_5203_reads_like_the_settlement(his: His, clinic: Clinic) -> None:
    seen = outpatient(his, clinic)
    s, q = seen["2207"]["setlinfo"], seen["5203"]["setlinfo"]
    assert q["setl_time"] == s["setl_time"] == NOW
    assert (q["psn_pay"], q["cash_payamt"]) == (s["psn_part_amt"], s["psn_cash_pay"])
    assert q["psn_pay"] == q["psn_part_amt"] and q["cash_payamt"] == q["psn_cash_pay"]
    assert (q["fixmedins_code"], q["year"], q["refd_setl_flag"]) == (CLINIC, "2026", "0")
    assert seen["5203 after 2208"]["setlinfo"]["refd_setl_flag"] == "1"
    assert q["medins_setl_id"] == s["medins_setl_id"] and q["acct_pay"] == s["acct_pay"]
    c = seen["2208"]["setlinfo"]
    for name in SETLINFO_AMOUNTS:
        assert c[name] == -s[name], name
    assert seen["2208"]["setldetail"] == [d | {"inscp_scp_amt": -d["inscp_scp_amt"],
                                                "fund_payamt": -d["fund_payamt"]}
                                          for d in seen["2207"]["setldetail"]]


def test_pharmacy_outputs_carry_the_lines_as_sent(pos: His, clinic: Clinic) -> None:
    seen = pharmacy(pos, clinic)
    cut = seen["2102"]["detlcutinfo"][0]
    assert (cut["feedetl_sn"], cut["cnt"], cut["pric"], cut["det_item_fee_sumamt"]) == (
        "1", Decimal("1"), Decimal("20.00"), Decimal("20.00"))
    assert seen["2101"]["detlcutinfo"] == seen["2102"]["detlcutinfo"]
    assert seen["2101"]["setlinfo"]["setl_id"] is None
    assert seen["2102"]["setlinfo"]["medins_setl_id"].startswith(PHARMACY)
    s, c = seen["2102"]["setlinfo"], seen["2103"]["setlinfo"]
    assert (c["psn_pay"], c["cash_payamt"]) == (-s["psn_part_amt"], -s["psn_cash_pay"])
    assert c["certno"] == clinic.fam["张伟"].certno and c["mdtrt_cert_type"] == "02"


def test_a_repeated_settlement_answers_the_same_setlinfo(his: His, clinic: Clinic) -> None:
    """The replay comes from the stored result: the holder's fields are in it."""
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    his.ok("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "10", "10.00")]})
    body = his.envelope("2207", {"data": {"psn_no": zw.psn_no, **cert(clinic),
                                          "medfee_sumamt": "10.00", "mdtrt_id": mdtrt_id,
                                          "insutype": "310"}})
    first, again = his.send(body), his.send(body)
    assert first["infcode"] == again["infcode"] == 0
    assert again["output"] == first["output"]
    assert again["output"]["setlinfo"]["certno"] == zw.certno


def test_setldetail_is_a_list_even_when_no_fund_paid(his: His, clinic: Clinic) -> None:
    """No benefit rule, no fund row: setldetail is [] (never null or missing)."""
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    his.ok("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "10", "10.00")]})
    setl_id = his.ok("2207", {"data": {"psn_no": zw.psn_no, **cert(clinic),
                                       "medfee_sumamt": "10.00", "mdtrt_id": mdtrt_id,
                                       "insutype": "310"}})["setlinfo"]["setl_id"]
    view = dataclasses.replace(svc.get(clinic.app, clinic.inst(CLINIC), setl_id),
                               setldetail=())
    for sign in (1, -1):
        answered = transactions._settled(view, sign=sign)
        assert answered["setldetail"] == []
        assert list(answered["setlinfo"]) == list(OUTPUTS["2207"]["setlinfo"])


def test_shape_fills_nulls_and_refuses_an_undeclared_field() -> None:
    assert list(shape(("a", "b"), b=1).items()) == [("a", None), ("b", 1)]
    with pytest.raises(ValueError, match="c"):
        shape(("a",), c=1)
