"""Every output object of every implemented infno carries each field its declaration
(gateway/outputs.py) names, in order, and nothing else; amounts keep exactly two decimals;
the setlinfo names its holder as 1101 does."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.domain.settlement import SETLINFO_AMOUNTS
from gongji.gateway import transactions
from gongji.gateway.outputs import OUTPUTS, shape
from gongji.services.credentials import service as credentials
from gongji.services.settlement import service as svc
from tests.clinic import CLINIC, HOSPITAL, PHARMACY, S_A, Clinic, trace
from tests.conftest import OPERATOR
from tests.gateway.conftest import His
from tests.gateway.test_transactions import NOW, cert, fee, purchase, register

MONEY = {*SETLINFO_AMOUNTS, "balc", "hifdm_pay", "psn_pay", "cash_payamt", "crt_payb_lmt_amt",
         "fund_payamt", "det_item_fee_sumamt", "pric_uplmt_amt", "overlmt_amt", "cum"}
"""The 16,2 amounts among the declared fields."""


def complete(infno: str, out: dict[str, Any]) -> None:
    """Each declared object is there with exactly its declared fields, in order; each amount
    has two decimals."""
    assert set(out) == {node.removesuffix("[]") for node in OUTPUTS[infno]}, infno
    for node, fields in OUTPUTS[infno].items():
        value = out[node.removesuffix("[]")]
        if node.endswith("[]"):
            assert isinstance(value, list), (infno, node, value)
            items = value
        else:
            items = [value]
        for item in items:
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


def test_every_declared_output_is_complete(his: His, pos: His, client: TestClient,
                                           clinic: Clinic) -> None:
    seen = {**outpatient(his, clinic), **inpatient(client, clinic), **pharmacy(pos, clinic)}
    assert {k for k in seen if k in OUTPUTS} == set(OUTPUTS), "an infno went unchecked"
    for infno, out in seen.items():
        complete(infno.split()[0], out)
    for infno in ("1101", "2204", "2206", "2207", "2208", "2301", "2304", "2101", "2102",
                  "2103", "5203", "5206"):      # the lists checked above were not empty
        assert all(seen[infno][node.removesuffix("[]")] for node in OUTPUTS[infno]
                   if node.endswith("[]") and node != "idetinfo[]"), infno


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
