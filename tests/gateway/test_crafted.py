"""Crafted messages are refused by name, never reported as INTERNAL: numbers that overflow,
bodies nested to exhaust the parser, dates off the calendar, garbage in a 3202 file, a psn_no
that is not the record's person, a 9101 with no file. Nothing is written for any of them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from gongji.exactjson import MAX_DEPTH
from tests.clinic import S_A, Clinic, trace
from tests.gateway.conftest import His
from tests.gateway.test_envelope import refused
from tests.gateway.test_transactions import cert, fee, purchase, register


def raw_sale(pos: His, clinic: Clinic, old: str, new: str) -> bytes:
    """A 2102 as bytes with one literal swapped for JSON no serializer of ours would write."""
    text = json.dumps(pos.envelope("2102", purchase(clinic, trace())), ensure_ascii=False)
    assert old in text
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(("old", "new", "field"), [
    ('"medfee_sumamt": "20.00"', '"medfee_sumamt": 1e400', "druginfo.medfee_sumamt"),
    ('"medfee_sumamt": "20.00"', '"medfee_sumamt": "1E400"', "druginfo.medfee_sumamt"),
    ('"cnt": "1"', '"cnt": 1e999999', "drugdetail[0].cnt"),
    ('"cnt": "1"', '"cnt": 1e-999999', "drugdetail[0].cnt"),
    ('"cnt": "1"', '"cnt": NaN', "drugdetail[0].cnt"),
    ('"cnt": "1"', '"cnt": -Infinity', "drugdetail[0].cnt"),
    ('"cnt": "1"', '"cnt": ' + "9" * 5000, "drugdetail[0].cnt"),
    ('"pric": "20.00"', '"pric": 1E400', "drugdetail[0].pric"),
    ('"insutype": "310"', '"insutype": ' + "3" * 5000, "druginfo.insutype"),
])
def test_numbers_past_any_range_are_field_errors(pos: His, clinic: Clinic, old: str,
                                                 new: str, field: str) -> None:
    out = refused(pos, clinic, "GATEWAY_FIELD_INVALID", raw=raw_sale(pos, clinic, old, new))
    assert f"input.{field}" in out["err_msg"]


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_nesting_is_limited_before_parsing(his: His, clinic: Clinic) -> None:
    base = json.dumps(his.envelope("1901", {"data": {"type": "insutype"}}))[:-1]
    # the envelope is one level: 63 more is the most a message may have, 64 is refused
    assert his.send(None, raw=f'{base}, "x": {nested(MAX_DEPTH - 1)}}}'.encode())["infcode"] == 0
    for raw in (f'{base}, "x": {nested(MAX_DEPTH)}}}', '{"a":' * 100_000 + "1" + "}" * 100_000,
                f'{base}, "x": {nested(100_000)}}}'):
        out = refused(his, clinic, "GATEWAY_BODY_TOO_DEEP", raw=raw.encode())
        assert str(MAX_DEPTH) in out["err_msg"]
    # brackets inside a string are text, not nesting
    deep_text = json.dumps(nested(100_000))
    assert his.send(None, raw=f'{base}, "memo": {deep_text}}}'.encode())["infcode"] == 0
    # nor may a relay's input, sent as JSON text, nest past the limit
    inner = json.dumps({"data": {"x": json.loads(nested(MAX_DEPTH + 1))}})
    refused(his, clinic, "GATEWAY_BODY_TOO_DEEP", his.envelope("1901", inner))


@pytest.mark.parametrize(("value", "accepted"), [
    ("1900-01-01 00:00:00", True),
    ("2099-12-31 23:59:59", True),
    ("1899-12-31 23:59:59", False),
    ("2100-01-01 00:00:00", False),
    ("0001-01-01 00:00:00", False),
    ("9999-12-31 23:59:59-12:00", False),   # converting it would run off Python's calendar
    ("2099-12-31 20:00:00-08:00", False),   # 2100-01-01 12:00 in Shanghai
    ("1899-12-31T23:00:00-01:00", False),   # in Shanghai 1900-01-01, but written before it
    ("1900-01-01T01:00:00+08:00", True),
])
def test_moments_lie_in_the_calendar_window(his: His, clinic: Clinic, value: str,
                                            accepted: bool) -> None:
    mdtrt_id = register(his, clinic)
    line = fee(mdtrt_id, clinic.fam["张伟"].psn_no, "1", S_A, "1", "10", "10.00",
               fee_ocur_time=value)
    if accepted:
        assert his.call("2204", {"feedetail": [line]})["infcode"] == 0
        return
    out = refused(his, clinic, "GATEWAY_FIELD_INVALID",
                  his.envelope("2204", {"feedetail": [line]}))
    assert "input.feedetail[0].fee_ocur_time" in out["err_msg"] and "2099-12-31" in out["err_msg"]


@pytest.mark.parametrize("value", ["2100-01-01", "18991231", "0001-01-01 00:00:00"])
def test_days_lie_in_the_calendar_window(his: His, clinic: Clinic, value: str) -> None:
    out = refused(his, clinic, "GATEWAY_FIELD_INVALID", his.envelope("2503", {"data": {
        "psn_no": clinic.fam["李秀英"].psn_no, "insutype": "390",
        "opsp_dise_code": "diabetes", "begndate": value}}))
    assert "input.data.begndate" in out["err_msg"]


# -- 3202: the institution's detail file ---------------------------------------------------

@pytest.fixture
def settled(his: His, clinic: Clinic) -> dict[str, Any]:
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    his.ok("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "10", "10.00")]})
    s: dict[str, Any] = his.ok("2207", {"data": {
        "psn_no": zw.psn_no, **cert(clinic), "medfee_sumamt": "10.00", "mdtrt_id": mdtrt_id,
        "insutype": "310"}})["setlinfo"]
    return s


def reconcile(his: His, content: bytes) -> dict[str, Any]:
    up = his.ok("9101", {"fsUploadIn": {"in": base64.b64encode(content).decode(),
                                        "filename": "detail.txt"}})
    return his.envelope("3202", {"data": {
        "setl_optins": "510100", "file_qury_no": up["file_qury_no"],
        "stmt_begndate": "2026-11-24", "stmt_enddate": "2026-11-24", "medfee_sumamt": "10.00",
        "fund_pay_sumamt": "0.00", "fixmedins_setl_cnt": "1"}})


@pytest.mark.parametrize(("cell", "why"), [
    ("NaN", "medfee_sumamt"), ("Infinity", "medfee_sumamt"), ("1e400", "medfee_sumamt"),
    ("1e999999", "medfee_sumamt"), ("9" * 5000, "medfee_sumamt"), ("１０.００", "medfee_sumamt"),
    ("10.001", "medfee_sumamt"), ("", "medfee_sumamt"),
])
def test_a_3202_file_with_no_amount_is_refused_by_line(his: His, clinic: Clinic,
                                                       settled: dict[str, Any], cell: str,
                                                       why: str) -> None:
    s, psn_no = settled, clinic.fam["张伟"].psn_no
    good = f"{s['setl_id']}\t{s['mdtrt_id']}\t{psn_no}\t10.00\t0.00\t10.00\t0\n"
    body = reconcile(his, (good + f"S-2\tM-2\t{psn_no}\t{cell}\t0.00\t0.00\t0\n").encode())
    out = refused(his, clinic, "RECONCILE_FILE_INVALID", body)
    assert "Line 2 " in out["err_msg_en"] and why in out["err_msg_en"]


@pytest.mark.parametrize(("content", "line"), [
    (b"S-1\tM-1\tP-1\t10.00\n", 1),                                    # too few columns
    (b"S-1\tM-1\tP-1\t10.00\t0.00\t10.00\t0\n" * 2, 2),        # one settlement twice
    (b"S-1\tM-1\tP-1\t10.00\t0.00\t10.00\t0\nS-2\tM\xff\tP\t1\t0\t0\t0\n", 2),  # not UTF-8
])
def test_a_3202_file_that_cannot_be_read_is_refused(his: His, clinic: Clinic, content: bytes,
                                                    line: int) -> None:
    out = refused(his, clinic, "RECONCILE_FILE_INVALID", reconcile(his, content))
    assert f"Line {line} " in out["err_msg_en"]


def test_a_3202_file_with_a_header_row_is_read(his: His, clinic: Clinic,
                                               settled: dict[str, Any]) -> None:
    s, psn_no = settled, clinic.fam["张伟"].psn_no
    text = ("setl_id\tmdtrt_id\tpsn_no\tmedfee_sumamt\tfund_pay_sumamt\tacct_pay\t"
            f"refd_setl_flag\n{s['setl_id']}\t{s['mdtrt_id']}\t{psn_no}\t10.00\t0.00\t10.00\t0\n")
    out = his.ok("3202", reconcile(his, text.encode())["input"])
    assert out["stmtinfo"]["stmt_rslt"] == "0", out


# -- 22: psn_no names the person, and a 9101 carries a file ----------------------------------

def test_5203_refuses_a_psn_no_that_is_not_the_settlements(his: His, clinic: Clinic,
                                                           settled: dict[str, Any]) -> None:
    for psn_no in ("NOBODY", clinic.fam["李秀英"].psn_no):
        out = refused(his, clinic, "PSN_NO_MISMATCH", his.envelope("5203", {"data": {
            "psn_no": psn_no, "setl_id": settled["setl_id"]}}))
        assert "psn_no" in out["err_msg"]
    ok = his.ok("5203", {"data": {"psn_no": clinic.fam["张伟"].psn_no,
                                  "setl_id": settled["setl_id"]}})
    assert ok["setlinfo"]["setl_id"] == settled["setl_id"]


def test_no_message_acts_on_a_record_of_another_person(his: His, clinic: Clinic) -> None:
    """Every transaction that names a psn_no beside a mdtrt_id or setl_id checks it."""
    zw, other = clinic.fam["张伟"], clinic.fam["李秀英"].psn_no
    mdtrt_id = register(his, clinic)
    line = fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "10", "10.00")
    his.ok("2204", {"feedetail": [line]})
    ask = {"psn_no": other, **cert(clinic), "medfee_sumamt": "10.00", "mdtrt_id": mdtrt_id,
           "insutype": "310"}
    for infno, input_ in [
        ("2202", {"data": {"psn_no": other, "mdtrt_id": mdtrt_id}}),
        ("2203", {"mdtrtinfo": {"psn_no": other, "mdtrt_id": mdtrt_id, "med_type": "11"}}),
        ("2204", {"feedetail": [line | {"feedetl_sn": "2", "psn_no": other}]}),
        ("2205", {"data": {"psn_no": other, "mdtrt_id": mdtrt_id, "chrg_bchno": "0000"}}),
        ("2206", {"data": ask}),
        ("2207", {"data": ask}),
    ]:
        refused(his, clinic, "PSN_NO_MISMATCH", his.envelope(infno, input_))
    mixed = [line | {"feedetl_sn": "3"}, line | {"feedetl_sn": "4", "psn_no": other}]
    out = refused(his, clinic, "GATEWAY_FIELD_INVALID",
                  his.envelope("2204", {"feedetail": mixed}))
    assert "input.feedetail" in out["err_msg"]
    s = his.ok("2207", {"data": ask | {"psn_no": zw.psn_no}})["setlinfo"]
    refused(his, clinic, "PSN_NO_MISMATCH", his.envelope("2208", {"data": {
        "psn_no": other, "setl_id": s["setl_id"], "mdtrt_id": mdtrt_id}}))
    assert his.ok("2208", {"data": {"psn_no": zw.psn_no, "setl_id": s["setl_id"]}})


def test_2103_refuses_another_persons_psn_no(pos: His, clinic: Clinic) -> None:
    sold = pos.ok("2102", purchase(clinic, trace()))["setlinfo"]
    refused(pos, clinic, "PSN_NO_MISMATCH", pos.envelope("2103", {"data": {
        "psn_no": clinic.fam["李秀英"].psn_no, "setl_id": sold["setl_id"]}}))


@pytest.mark.parametrize("upload", [{"filename": "d.txt"}, {"filename": "d.txt", "in": ""},
                                    {"filename": "d.txt", "in": []},
                                    {"filename": "d.txt", "in": None}])
def test_9101_without_a_file_is_refused(his: His, clinic: Clinic,
                                        upload: dict[str, Any]) -> None:
    out = refused(his, clinic, "GATEWAY_FIELD_INVALID",
                  his.envelope("9101", {"fsUploadIn": upload}))  # no file stored, either
    assert "input.fsUploadIn.in" in out["err_msg"]

