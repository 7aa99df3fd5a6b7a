"""Malformed envelopes, msgid idempotency, reversal after a lost response, no writes on
refusal, and the example client end to end against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.services.settlement import service as svc
from tests.clinic import D_B, S_A, Clinic, trace
from tests.conftest import table_counts
from tests.gateway.conftest import His
from tests.gateway.test_transactions import NOW, cert, fee, purchase, register

ROOT = Path(__file__).resolve().parents[2]


def refused(his: His, clinic: Clinic, code: str, body: Any = None, **kw: Any) -> dict[str, Any]:
    """The envelope answers infcode -1 with this code, and only the nonce was written."""
    before = table_counts(clinic.app.db)
    out = his.send(body, **kw)
    after = table_counts(clinic.app.db)
    assert (out["infcode"], out.get("err_code")) == (-1, code), out
    assert out["output"] == {} and out["err_msg"] and out["err_msg_en"]
    assert after.pop("request_nonces") - before.pop("request_nonces") in (0, 1)
    assert after == before
    return out


@pytest.mark.parametrize(("change", "code"), [
    ({"infno": None}, "GATEWAY_FIELD_INVALID"),
    ({"infno": "9999"}, "GATEWAY_INFNO_UNKNOWN"),
    ({"infno": 2207}, "GATEWAY_FIELD_INVALID"),
    ({"msgid": "X" * 31}, "GATEWAY_FIELD_INVALID"),
    ({"msgid": "H99999999999202611241000000001"}, "GATEWAY_FIELD_INVALID"),
    ({"inf_time": "2026/11/24 10:00"}, "GATEWAY_FIELD_INVALID"),
    ({"opter_type": "9"}, "GATEWAY_FIELD_INVALID"),
    ({"opter_name": "名" * 51}, "GATEWAY_FIELD_INVALID"),
    ({"input": "not an object"}, "GATEWAY_FIELD_INVALID"),
    ({"fixmedins_code": "H51010000001"}, "GATEWAY_FIELD_INVALID"),  # msgid then mismatches
    ({"sign_no": "H510100000022026112410000099"}, "GATEWAY_NOT_SIGNED_IN"),
])
def test_malformed_envelopes(his: His, clinic: Clinic, change: dict[str, Any],
                             code: str) -> None:
    body = his.envelope("1901", {"data": {"type": "insutype"}}) | change
    body = {k: v for k, v in body.items() if v is not None}
    out = refused(his, clinic, code, body)
    if code == "GATEWAY_FIELD_INVALID":
        assert "envelope." in out["err_msg"] or "input" in out["err_msg"]


def test_not_json_unsigned_and_foreign(his: His, clinic: Clinic, client: TestClient) -> None:
    refused(his, clinic, "GATEWAY_BODY_INVALID", raw=b"{not json")
    refused(his, clinic, "UNAUTHENTICATED", his.envelope("1901", {}), signed=False)
    other = His(client, clinic.app, "H51010000001")
    foreign = his.envelope("1901", {"data": {"type": "insutype"}})
    out = other.send(foreign)
    assert out["err_code"] == "GATEWAY_INSTITUTION_MISMATCH"


@pytest.mark.parametrize(("field", "value", "named"), [
    ("det_item_fee_sumamt", "10.001", "det_item_fee_sumamt"),
    ("det_item_fee_sumamt", "12345678901234567.00", "det_item_fee_sumamt"),
    ("cnt", "1.00001", "cnt"),
    ("cnt", "-1", "cnt"),
    ("pric", "abc", "pric"),
    ("fee_ocur_time", "2026-11-24", "fee_ocur_time"),
    ("med_list_codg", "X" * 51, "med_list_codg"),
    ("feedetl_sn", None, "feedetl_sn"),
])
def test_bad_fields_are_named_and_nothing_is_written(his: His, clinic: Clinic, field: str,
                                                     value: Any, named: str) -> None:
    mdtrt_id = register(his, clinic)
    line = fee(mdtrt_id, clinic.fam["张伟"].psn_no, "1", S_A, "1", "10", "10.00")
    line = {k: v for k, v in (line | {field: value}).items() if v is not None}
    out = refused(his, clinic, "GATEWAY_FIELD_INVALID",
                  his.envelope("2204", {"feedetail": [line]}))
    assert f"input.feedetail[0].{named}" in out["err_msg"]


def test_msgid_is_the_idempotency_key(his: His, clinic: Clinic) -> None:
    zw = clinic.fam["张伟"]
    mdtrt_id = register(his, clinic)
    his.ok("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", S_A, "1", "10", "10.00")]})
    body = his.envelope("2207", {"data": {"psn_no": zw.psn_no, **cert(clinic),
                                          "medfee_sumamt": "10.00", "mdtrt_id": mdtrt_id,
                                          "insutype": "310"}})
    first = his.send(body)
    counts = table_counts(clinic.app.db)
    again = his.send(body)
    assert first["infcode"] == again["infcode"] == 0
    assert again["output"] == first["output"]
    after = table_counts(clinic.app.db)
    assert after.pop("request_nonces") == counts.pop("request_nonces") + 1
    assert after == counts
    changed = his.send(body | {"input": {"data": body["input"]["data"] | {
        "acct_used_flag": "0"}}})
    assert changed["err_code"] == "IDEMPOTENCY_CONFLICT"


def test_reversal_after_a_lost_response(pos: His, clinic: Clinic) -> None:
    zw = clinic.fam["张伟"]
    code = trace()
    lost = pos.envelope("2102", purchase(clinic, code))
    assert pos.send(lost)["infcode"] == 0             # ... but the answer never arrived
    balance_after_sale = clinic.app.read(lambda uow: uow.ledger.account_by_code(
        f"PERSONAL/{zw.psn_no}")).balance
    rev = {"data": {"psn_no": zw.psn_no, "omsgid": lost["msgid"], "oinfno": "2102"}}
    out = pos.ok("2601", rev)
    assert out["result"].startswith("settlement") and out["result"].endswith("cancelled")
    after = clinic.app.read(lambda uow: uow.ledger.account_by_code(f"PERSONAL/{zw.psn_no}"))
    assert after.balance == balance_after_sale + 20_00
    assert pos.ok("2601", rev)["result"] == "already undone"      # a new msgid, no effect
    never = pos.ok("2601", {"data": {"psn_no": zw.psn_no, "omsgid": pos.msgid(),
                                     "oinfno": "2102"}})
    assert never["result"] == "nothing took effect"
    assert pos.ok("2102", purchase(clinic, code))["setlinfo"]["setl_id"]   # code freed


def test_reversal_of_registration_and_fees(his: His, clinic: Clinic) -> None:
    zw = clinic.fam["张伟"]
    reg = his.envelope("2201", {"data": {"psn_no": zw.psn_no, "insutype": "310",
                                         "begntime": NOW, **cert(clinic), "ipt_otp_no": "M"}})
    mdtrt_id = his.send(reg)["output"]["data"]["mdtrt_id"]
    up = his.envelope("2204", {"feedetail": [fee(mdtrt_id, zw.psn_no, "1", D_B, "1", "20",
                                                 "20.00", drugtracinfo=[
                                                     {"drug_trac_codg": trace()}])]})
    his.send(up)
    assert his.ok("2601", {"data": {"psn_no": zw.psn_no, "omsgid": up["msgid"],
                                    "oinfno": "2204"}})["result"] == "1 fee line(s) withdrawn"
    assert his.ok("2601", {"data": {"psn_no": zw.psn_no, "omsgid": reg["msgid"],
                                    "oinfno": "2201"}})["result"].startswith("visit")
    visit = clinic.app.read(lambda uow: svc.visit_in(uow, mdtrt_id))
    assert visit.status == "cancelled"


def test_example_client_end_to_end(tmp_path: Path) -> None:
    """examples/his_client.py against a real `gongji demo` on 127.0.0.1."""
    from gongji.testing.postgres import free_port
    from gongji.testing.servers import wait_healthy

    port = free_port()
    env = {**os.environ, "GONGJI_ADMIN_TOKEN": "e2e-token", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, "-m", "gongji", "demo", "--db",
                               str(tmp_path / "demo.db"), "--port", str(port)], env=env,
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_healthy(base, server), "gongji demo did not start"
        run = subprocess.run([sys.executable, str(ROOT / "examples" / "his_client.py"),
                              "--base", base, "--operator-token", "e2e-token"],
                             capture_output=True, text=True, timeout=120, cwd=ROOT)
    finally:
        server.terminate()
        server.communicate(timeout=20)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert [ln.split()[0] for ln in lines[:-1]] == [
        "9001", "1101", "2201", "2203", "2204", "2206", "2207", "9001", "2101", "2102",
        "2103", "2102", "2601", "3201"]
    assert all("infcode=0" in ln for ln in lines[:-1])
    assert "2207 infcode=0 medfee_sumamt=38.00" in run.stdout
    assert '"stmt_rslt": "0"' in lines[-2] and lines[-1] == "done"
