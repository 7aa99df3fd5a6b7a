"""Fuzzing what arrives from outside: national-interface envelopes (valid messages of every
infno with their fields replaced by arbitrary JSON), catalog rows and policy documents.
Whatever arrives: HTTP 200 with infcode 0 or -1 (never a crash), a refusal names its code in
both languages, and a refused message writes nothing but its nonce."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongji.domain.errors import GongjiError
from gongji.gateway.transactions import HANDLERS
from gongji.services.catalog import service as catalog
from gongji.services.policy import service as policy
from tests.clinic import D_B, Clinic, trace
from tests.conftest import OPERATOR, table_counts
from tests.gateway.conftest import His
from tests.gateway.test_transactions import NOW, cert, fee, purchase

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

leaf = (st.none() | st.booleans() | st.integers(-10**15, 10**15)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=40) | st.sampled_from(["", "0", "-1", "1e9", "99999999999.999",
                                                   "2026-13-45 25:61:61", "510100", "0.001",
                                                   "１２", "310", "H51010000002"]))
anything = st.recursive(leaf, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                        max_leaves=12)


def valid_inputs(clinic: Clinic) -> dict[str, Any]:
    """A well-formed input of the commonest messages, for the fuzzer to spoil."""
    zw = clinic.fam["张伟"]
    return {
        "1101": {"data": {**cert(clinic), "psn_cert_type": "01", "certno": zw.certno}},
        "1901": {"data": {"type": "insutype"}},
        "2201": {"data": {"psn_no": zw.psn_no, "insutype": "310", "begntime": NOW,
                          **cert(clinic), "ipt_otp_no": "MZ1"}},
        "2204": {"feedetail": [fee("M0", zw.psn_no, "1", D_B, "1", "20", "20.00")]},
        "2206": {"data": {"psn_no": zw.psn_no, **cert(clinic), "med_type": "11",
                          "medfee_sumamt": "20.00", "psn_setlway": "01", "mdtrt_id": "M0",
                          "chrg_bchno": "B1", "insutype": "310", "acct_used_flag": "1"}},
        "2101": purchase(clinic, trace()),
        "2102": purchase(clinic, trace()),
        "3201": {"data": {"insutype": "310", "clr_type": "11", "setl_optins": "510100",
                          "stmt_begndate": "2026-11-01", "stmt_enddate": "2026-11-30",
                          "medfee_sumamt": "0.00", "fund_pay_sumamt": "0.00",
                          "acct_pay": "0.00", "fixmedins_setl_cnt": "0"}},
    }


def spoil(value: Any, path: list[Any], new: Any) -> Any:
    """value with the element at path replaced by new (a missing key is added)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: spoil(value.get(head), rest, new)}
    if isinstance(value, list) and isinstance(head, int) and 0 <= head < len(value):
        return [spoil(v, rest, new) if i == head else v for i, v in enumerate(value)]
    return new


def paths(value: Any, prefix: list[Any] | None = None) -> list[list[Any]]:
    prefix = prefix or []
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, [*prefix, k])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, [*prefix, i])
    return out


def check(his: His, clinic: Clinic, body: Any) -> None:
    before = table_counts(clinic.app.db)
    out = his.send(body)  # asserts HTTP 200
    assert out["infcode"] in (0, -1), out
    if out["infcode"] == -1:
        assert out.get("err_code") and out.get("err_msg") and out.get("err_msg_en"), out
        assert out["err_code"] != "INTERNAL", f"a crash answered as a refusal: {body}"
        after = table_counts(clinic.app.db)
        assert after.pop("request_nonces") - before.pop("request_nonces") in (0, 1)
        assert after == before, f"refused with {out['err_code']} but wrote: {body}"


@FUZZ
@given(data=st.data())
def test_spoiled_messages_of_every_kind_are_answered_and_refusals_write_nothing(
        his: His, clinic: Clinic, data: st.DataObject) -> None:
    his.sign_in()
    inputs = valid_inputs(clinic)
    infno = data.draw(st.sampled_from(sorted(inputs)), label="infno")
    good = his.envelope(infno, inputs[infno])
    where = data.draw(st.sampled_from(paths(good)), label="path")
    body = spoil(good, where, data.draw(anything, label="new value"))
    check(his, clinic, body)


@FUZZ
@given(infno=st.sampled_from(sorted(HANDLERS)), input_=anything)
def test_any_input_to_any_infno_is_answered(his: His, clinic: Clinic, infno: str,
                                            input_: Any) -> None:
    his.sign_in()
    check(his, clinic, his.envelope(infno, input_))


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode)
       | anything.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_are_answered(his: His, clinic: Clinic, raw: bytes) -> None:
    before = table_counts(clinic.app.db)
    out = his.send(None, raw=raw)
    assert out["infcode"] == -1 and out["err_code"] not in (None, "", "INTERNAL"), out
    after = table_counts(clinic.app.db)
    assert after.pop("request_nonces") - before.pop("request_nonces") in (0, 1)
    assert after == before


CATALOG_FIELDS = ("med_list_codg", "name", "list_type", "med_chrgitm_type", "chrgitm_lv",
                  "selfpay_prop", "pric_uplmt_amt", "lmt_used_flag", "spec", "unit")


@FUZZ
@given(rows=st.lists(st.fixed_dictionaries({}, optional={
    f: st.text(max_size=30) | st.sampled_from(["", "0", "0.10", "1.5", "-1", "101", "201",
                                               "09", "01", "02", "03", "XA02BCA010A001010100009",
                                               "310000000000009", "50.00", "1e3"])
    for f in CATALOG_FIELDS}), max_size=5))
def test_catalog_rows_are_imported_or_rejected_by_line(clinic: Clinic,
                                                      rows: list[dict[str, str]]) -> None:
    from datetime import date

    before = table_counts(clinic.app.db)
    report = catalog.import_rows(clinic.app, OPERATOR, "510100",
                                 [(i, r) for i, r in enumerate(rows, start=2)],
                                 begndate=date(2026, 1, 1), version="fuzz")
    assert report.imported + len(report.rejected) == len(rows)
    for line, code, message in report.rejected:
        assert line >= 2 and code and message
    if report.imported == 0:
        assert table_counts(clinic.app.db) == before


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["wallet", "benefits", "pin", "login", "filing",
                                             "settlement", "mutual_aid", "credentials",
                                             "nonsense"]), anything, max_size=3))
def test_policy_documents_are_accepted_or_refused_by_path(clinic: Clinic,
                                                          body: dict[str, Any]) -> None:
    text = json.dumps({"region": "510100", "effective_from": "2027-01-01", **body})
    try:
        policy.check_text(clinic.app, OPERATOR, text)
    except GongjiError as e:
        assert e.code and e.message and e.message_en
