"""Tolerant in form, strict in meaning: each form real serializers emit settles exactly the
amounts of the canonical form (and is noted as tolerated); each form whose meaning would be
a guess is refused by name with GATEWAY_FIELD_INVALID, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from gongji.domain.errors import GongjiError
from gongji.domain.settlement import SETLINFO_AMOUNTS
from gongji.gateway.fields import Reader, collecting
from tests.clinic import S_A, Clinic
from tests.conftest import table_counts
from tests.gateway.conftest import His
from tests.gateway.test_transactions import NOW, cert, fee

Raw = Callable[[str], str]
"""How to write a value into the JSON text (a JSON number keeps its exact digits)."""


def text(v: str) -> str:
    return json.dumps(v)


def number(v: str) -> str:
    return v


def visit(his: His, clinic: Clinic, *, begntime: str = text(NOW), fee_time: str = text(NOW),
          cnt: str = text("2"), pric: str = text("150.00"), total: str = text("300.00"),
          claimed: str = text("300.00"), insutype: str = text("310")
          ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register, upload one line and settle it, each value written into the JSON as given;
    the settlement is cancelled after (so each form starts from the same year). Answers the
    classified line and the setlinfo with its setldetail."""
    zw = clinic.fam["张伟"]
    reg = send(his, "2201", {"data": {"psn_no": zw.psn_no, "insutype": "@insutype",
                                      "begntime": "@begntime", **cert(clinic),
                                      "ipt_otp_no": "MZ1"}},
               insutype=insutype, begntime=begntime)
    mdtrt_id = ok(reg)["data"]["mdtrt_id"]
    line = fee(mdtrt_id, zw.psn_no, "1", S_A, "@cnt", "@pric", "@total",
               fee_ocur_time="@fee_time")
    up = ok(send(his, "2204", {"feedetail": [line]}, cnt=cnt, pric=pric, total=total,
                 fee_time=fee_time))
    settled = ok(send(his, "2207", {"data": {"psn_no": zw.psn_no, **cert(clinic),
                                             "medfee_sumamt": "@claimed",
                                             "mdtrt_id": mdtrt_id, "insutype": "@insutype",
                                             "acct_used_flag": "1"}},
                      claimed=claimed, insutype=insutype))
    ok(his.call("2208", {"data": {"setl_id": settled["setlinfo"]["setl_id"],
                                  "psn_no": zw.psn_no}}))
    return up["result"][0], settled


def send(his: His, infno: str, input_: Any, **raw: str) -> dict[str, Any]:
    """The message with each "@name" placeholder replaced by raw JSON text."""
    body = json.dumps(his.envelope(infno, input_), ensure_ascii=False)
    for name, value in raw.items():
        body = body.replace(json.dumps(f"@{name}"), value)
    return his.send(None, raw=body.encode())


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert body["infcode"] == 0, body
    out: dict[str, Any] = body["output"]
    return out


def amounts(line: dict[str, Any], settled: dict[str, Any]) -> dict[str, Any]:
    s = settled["setlinfo"]
    return {"line": {k: v for k, v in line.items()},
            "setlinfo": {k: s[k] for k in (*SETLINFO_AMOUNTS, "balc", "setl_time")},
            "setldetail": settled["setldetail"]}


ACCEPTED: dict[str, dict[str, str]] = {
    "T separator (Newtonsoft)": {"begntime": text("2026-11-24T10:00:00"),
                                 "fee_time": text("2026-11-24T10:00:00")},
    "milliseconds (fastjson2)": {"fee_time": text("2026-11-24 10:00:00.123")},
    "ticks (.NET)": {"begntime": text("2026-11-24T10:00:00.1234567"),
                     "fee_time": text("2026-11-24T10:00:00.9999999")},
    "nanoseconds (Java LocalDateTime)": {"fee_time": text("2026-11-24T10:00:00.123456789")},
    "compact yyyyMMddHHmmss": {"fee_time": text("20261124100000")},
    "UTC Z (Jackson, Instant)": {"fee_time": text("2026-11-24T02:00:00Z")},
    "offset -05:00": {"fee_time": text("2026-11-23T21:00:00-05:00")},
    "offset +08:00": {"begntime": text("2026-11-24T10:00:00+08:00"),
                      "fee_time": text("2026-11-24T10:00:00.000+0800")},
    "padded datetime": {"fee_time": text(" 2026-11-24 10:00:00 ")},
    "JSON numbers": {"cnt": number("2"), "pric": number("150.00"), "total": number("300.00"),
                     "claimed": number("300.00")},
    "zeros past the scale": {"cnt": text("2.00000"), "pric": number("150.0000000"),
                             "total": text("300.000"), "claimed": number("300.0000")},
    "E notation (BigDecimal.toString)": {"cnt": text("2E+0"), "pric": text("1.5E+2"),
                                         "total": number("3.00E+2"), "claimed": text("3E+2")},
    "padded numeric strings": {"total": text(" 300.00 "), "cnt": text("2 ")},
    "code as a JSON number": {"insutype": number("310")},
}


@pytest.mark.parametrize("form", sorted(ACCEPTED))
def test_an_accepted_form_settles_the_amounts_of_the_canonical_one(
        his: His, clinic: Clinic, form: str) -> None:
    canonical = amounts(*visit(his, clinic))
    assert amounts(*visit(his, clinic, **ACCEPTED[form])) == canonical


REFUSED: list[tuple[str, str, dict[str, str], str]] = [
    # (what, infno refused, the value, the field named)
    ("a date alone for a moment", "2204", {"fee_time": text("2026-11-24")},
     "input.feedetail[0].fee_ocur_time"),
    ("a compact date alone", "2201", {"begntime": text("20261124")}, "input.data.begntime"),
    ("minutes without seconds", "2204", {"fee_time": text("2026-11-24T10:00")},
     "input.feedetail[0].fee_ocur_time"),
    ("February 30th", "2204", {"fee_time": text("2026-02-30 10:00:00")},
     "input.feedetail[0].fee_ocur_time"),
    ("hour 24", "2201", {"begntime": text("2026-11-24 24:00:00")}, "input.data.begntime"),
    ("epoch milliseconds (fastjson 1 default)", "2204", {"fee_time": number("1763949600000")},
     "input.feedetail[0].fee_ocur_time"),
    ("an offset past a day", "2204", {"fee_time": text("2026-11-24T10:00:00+25:00")},
     "input.feedetail[0].fee_ocur_time"),
    ("ten fractional digits", "2204", {"fee_time": text("2026-11-24 10:00:00.1234567890")},
     "input.feedetail[0].fee_ocur_time"),
    ("a fen below the second decimal", "2204", {"total": text("300.001")},
     "input.feedetail[0].det_item_fee_sumamt"),
    ("the same as a JSON number", "2204", {"total": number("300.005")},
     "input.feedetail[0].det_item_fee_sumamt"),
    ("a price past 6 decimals", "2204", {"pric": text("150.0000001")},
     "input.feedetail[0].pric"),
    ("full-width digits", "2204", {"cnt": text("２")}, "input.feedetail[0].cnt"),
    ("digit grouping", "2204", {"total": text("1_300.00")},
     "input.feedetail[0].det_item_fee_sumamt"),
    ("a plus sign", "2204", {"total": text("+300.00")},
     "input.feedetail[0].det_item_fee_sumamt"),
    ("a bare decimal point", "2204", {"cnt": text(".5")}, "input.feedetail[0].cnt"),
    ("Infinity", "2204", {"total": text("Infinity")}, "input.feedetail[0].det_item_fee_sumamt"),
    ("a huge exponent", "2204", {"total": number("1E+400")},
     "input.feedetail[0].det_item_fee_sumamt"),
    ("a boolean for a number", "2204", {"cnt": "true"}, "input.feedetail[0].cnt"),
    ("blank for a number", "2204", {"cnt": text("   ")}, "input.feedetail[0].cnt"),
    ("a boolean for a code", "2201", {"insutype": "true"}, "input.data.insutype"),
    ("a fraction for a code", "2201", {"insutype": number("310.0")}, "input.data.insutype"),
]


@pytest.mark.parametrize("what", [r[0] for r in REFUSED])
def test_a_refused_form_names_its_field_and_writes_nothing(
        his: His, clinic: Clinic, what: str) -> None:
    _, infno, raw, field = next(r for r in REFUSED if r[0] == what)
    zw = clinic.fam["张伟"]
    values = {"begntime": text(NOW), "fee_time": text(NOW), "cnt": text("2"),
              "pric": text("150.00"), "total": text("300.00"), "insutype": text("310")} | raw
    if infno == "2201":
        message: Any = {"data": {"psn_no": zw.psn_no, "insutype": "@insutype",
                                 "begntime": "@begntime", **cert(clinic), "ipt_otp_no": "M"}}
    else:
        mdtrt_id = ok(his.call("2201", {"data": {"psn_no": zw.psn_no, "insutype": "310",
                                                 "begntime": NOW, **cert(clinic),
                                                 "ipt_otp_no": "M"}}))["data"]["mdtrt_id"]
        message = {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "@cnt", "@pric", "@total",
                                     fee_ocur_time="@fee_time")]}
    before = table_counts(clinic.app.db)
    body = send(his, infno, message, **{k: v for k, v in values.items()
                                        if f'"@{k}"' in json.dumps(message)})
    assert (body["infcode"], body["err_code"]) == (-1, "GATEWAY_FIELD_INVALID"), body
    assert field in body["err_msg"] and field in body["err_msg_en"], body
    after = table_counts(clinic.app.db)
    assert after.pop("request_nonces") == before.pop("request_nonces") + 1
    assert after == before


def test_a_code_that_lost_its_leading_zero_is_refused(his: His, clinic: Clinic) -> None:
    """02 sent as the number 2 is not guessed back: 2 is not in the code table."""
    body = send(his, "1101", {"data": {"mdtrt_cert_type": "@t",
                                       "mdtrt_cert_no": clinic.fam["张伟"].certno}},
                t=number("2"))
    assert body["err_code"] == "GATEWAY_FIELD_INVALID"
    assert "input.data.mdtrt_cert_type" in body["err_msg"]


# -- dates (yyyy-MM-dd) read through a reconciliation over the settlement's day -------------

def test_an_accepted_date_form_reads_the_same_day(his: His, clinic: Clinic) -> None:
    """3201 matches only if both dates are read as 2026-11-24 (the settlement's day): a date
    read a day off would leave the settlement out and answer a mismatch."""
    zw = clinic.fam["张伟"]
    mdtrt_id = ok(his.call("2201", {"data": {"psn_no": zw.psn_no, "insutype": "310",
                                             "begntime": NOW, **cert(clinic),
                                             "ipt_otp_no": "M"}}))["data"]["mdtrt_id"]
    ok(his.call("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "10",
                                           "10.00")]}))
    ok(his.call("2207", {"data": {"psn_no": zw.psn_no, **cert(clinic), "mdtrt_id": mdtrt_id,
                                  "medfee_sumamt": "10.00", "insutype": "310"}}))
    claim = {"insutype": "310", "clr_type": "11", "medfee_sumamt": "10.00",
             "fund_pay_sumamt": "0.00", "acct_pay": "10.00", "fixmedins_setl_cnt": "1"}

    def reconciled(day: str) -> str:
        out = ok(his.call("3201", {"data": claim | {"stmt_begndate": day,
                                                    "stmt_enddate": day}}))
        result: str = out["stmtinfo"]["stmt_rslt"]
        return result

    assert reconciled("2026-11-24") == "0" and reconciled("2026-11-23") == "1"
    for form in ("20261124", "2026-11-24 00:00:00", "2026-11-24T00:00:00.000",
                 "2026-11-23T16:00:00Z", "2026-11-23T16:00:00.000+00:00", " 2026-11-24"):
        assert reconciled(form) == "0", form
    for form in ("2026-11-24 10:00:00", "2026-02-30", "20260230", "2026/11/24", "24-11-2026"):
        body = his.call("3201", {"data": claim | {"stmt_begndate": form,
                                                  "stmt_enddate": "2026-11-24"}})
        assert body["err_code"] == "GATEWAY_FIELD_INVALID", form
        assert "input.data.stmt_begndate" in body["err_msg"], form


# -- the reader itself: each non-canonical form is noted, the canonical one is not ----------

NOTED = [
    ("when", "2026-12-02T20:00:01", "T"),
    ("when", "2026-12-02 20:00:01.123", "fractional"),
    ("when", "2026-12-02T20:00:01.1234567", "fractional"),
    ("when", "20261202200001", "compact"),
    ("when", "2026-12-02T12:00:01Z", "offset Z"),
    ("when", "2026-12-02 20:00:01+08:00", "+08:00"),
    ("when", " 2026-12-02 20:00:01", "whitespace"),
    ("day", "20261202", "compact"),
    ("day", "2026-12-02 00:00:00", "00:00:00"),
    ("number", "12.340", "zeros"),
    ("number", "1.5E+2", "E notation"),
    ("number", " 12.34", "whitespace"),
    ("char", 11, "number"),
]


def read(kind: str, value: Any) -> Any:
    r = Reader({"x": value}, "input.data")
    args = {"number": (2,), "char": (6,)}.get(kind, ())
    return getattr(r, kind)("x", *args)


@pytest.mark.parametrize(("kind", "value", "note"), NOTED)
def test_each_tolerance_is_noted(kind: str, value: Any, note: str) -> None:
    with collecting() as seen:
        got = read(kind, value)
    assert got is not None
    assert any(d.field == "input.data.x" and note in d.en for d in seen), seen
    assert all(d.zh and d.en for d in seen)


@pytest.mark.parametrize(("kind", "value"), [
    ("when", "2026-12-02 20:00:01"), ("day", "2026-12-02"), ("number", "12.34"),
    ("number", 12), ("number", Decimal("12.3")), ("char", "11")])
def test_the_canonical_forms_are_not_noted(kind: str, value: Any) -> None:
    with collecting() as seen:
        assert read(kind, value) is not None
    assert seen == []


@pytest.mark.parametrize("form", sorted({v for f in ACCEPTED.values() for k, v in f.items()
                                         if k in ("begntime", "fee_time")}))
def test_an_accepted_datetime_names_the_canonical_moment(form: str) -> None:
    """The fee time is checked, not kept: the moment each form names is checked here."""
    assert read("when", json.loads(form)) == read("when", NOW)


def test_fractional_seconds_are_dropped_never_rounded_up() -> None:
    at = Reader({"t": "2026-12-31 23:59:59.9999999"}, "input").when("t")
    assert at is not None and (at.year, at.second) == (2026, 59)


def test_an_offset_is_converted_to_shanghai_keeping_the_moment() -> None:
    utc = Reader({"t": "2026-12-31T16:30:00Z"}, "input").when("t")
    local = Reader({"t": "2027-01-01 00:30:00"}, "input").when("t")
    assert utc == local and utc is not None and str(utc.tzinfo) == "Asia/Shanghai"
    assert (utc.year, utc.hour) == (2027, 0)


def test_money_scale_stays_strict() -> None:
    r = Reader({"a": "12.340", "b": "12.345", "c": Decimal("0.010")}, "input")
    assert r.fen("a") == 1234 and r.fen("c") == 1
    with pytest.raises(GongjiError) as e:
        r.fen("b")
    assert e.value.code == "GATEWAY_FIELD_INVALID" and e.value.params["field"] == "input.b"
