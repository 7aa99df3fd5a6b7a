"""A small HIS talking to gongji through the national interface, as a vendor's system would.

    gongji demo                                  # in another terminal; note the operator token
    python examples/his_client.py --operator-token demo-...

It signs in (9001), looks 张伟 up by his insurance code (1101), runs an outpatient visit
(2201 -> 2203 -> 2204 -> 2206 -> 2207), a pharmacy purchase with trace codes (2101 -> 2102),
cancels it (2103), makes another and reverses it by its message id as if the answer had been
lost (2601), and reconciles the hospital's day (3201). Each transaction prints its infno,
infcode and key amounts. Only the operator token is needed: with it the client makes the two
institutions' keys and, in the sandbox, reads the person's login code to show his code.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import time
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from gongji.client.signing import signed_headers

HOSPITAL = "H51010000001"
PHARMACY = "P51010000001"
CERTNO = "510104199003071237"                 # 张伟 in the demo data
SERVICE = "110200001000000"                   # 普通门诊诊查费 (甲, cap 10.00)
DRUG = "XJ01CRA040A001010333926"              # 阿莫西林克拉维酸钾片 (乙 10%, cap 28.00)
PATH = "/fsi/api/rsfComIfsService/callService"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class His:
    """One institution's connection: signs every message, numbers msgids."""

    def __init__(self, base: str, code: str, key_id: str, secret: str) -> None:
        self.base, self.code, self.key_id, self.secret = base, code, key_id, secret
        self.seq = 0
        self.sign_no = ""
        self.area = "510100"

    def msgid(self) -> str:
        self.seq += 1
        return f"{self.code}{datetime.now(SHANGHAI):%Y%m%d%H%M%S}{self.seq:04d}"

    def call(self, infno: str, input_: dict[str, Any], *, msgid: str | None = None,
             insuplc: str = "510100") -> dict[str, Any]:
        envelope = {
            "infno": infno, "msgid": msgid or self.msgid(), "mdtrtarea_admvs": self.area,
            "insuplc_admdvs": insuplc, "recer_sys_code": "GONGJI", "infver": "V1.0",
            "opter_type": "1", "opter": "001", "opter_name": "收费员",
            "inf_time": f"{datetime.now(SHANGHAI):%Y-%m-%d %H:%M:%S}",
            "fixmedins_code": self.code,
            "fixmedins_name": "demo", "sign_no": self.sign_no, "input": input_}
        raw = json.dumps(envelope, ensure_ascii=False).encode()
        headers = signed_headers(self.key_id, self.secret, "POST", PATH, raw)
        r = httpx.post(self.base + PATH, content=raw, timeout=30,
                       headers={**headers, "Content-Type": "application/json"})
        body: dict[str, Any] = json.loads(r.content, parse_float=Decimal)
        show(infno, envelope["msgid"], body)
        return body


def show(infno: str, msgid: str, body: dict[str, Any]) -> None:
    out = body.get("output") or {}
    s = out.get("setlinfo") or {}
    keys = ["medfee_sumamt", "hifp_pay", "acct_pay", "acct_mulaid_pay", "psn_cash_pay"]
    amounts = " ".join(f"{k}={s[k]}" for k in keys if k in s)
    extra = ""
    if infno == "1101":
        b = out.get("baseinfo", {})
        extra = f"psn_no={b.get('psn_no')} balc={out.get('insuinfo', [{}])[0].get('balc')}"
    elif infno in ("2201", "2401"):
        extra = f"mdtrt_id={(out.get('data') or out.get('result') or {}).get('mdtrt_id')}"
    elif infno in ("2204", "2301"):
        extra = " ".join(f"{x['feedetl_sn']}:inscp={x['inscp_scp_amt']}"
                         for x in out.get("result", []))
    elif infno == "3201":
        extra = json.dumps(out.get("stmtinfo"), ensure_ascii=False)
    elif infno == "9001":
        extra = f"sign_no={out.get('signinoutb', {}).get('sign_no')}"
    err = f" err={body.get('err_msg')}" if body.get("infcode") != 0 else ""
    print(f"{infno} infcode={body.get('infcode')} {amounts} {extra}{err}".rstrip())


def must(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("infcode") != 0:
        sys.exit(f"failed: {body.get('err_msg')}")
    out: dict[str, Any] = body["output"]
    return out


def rest(base: str, token: str, method: str, path: str, **kw: Any) -> Any:
    r = httpx.request(method, base + path, timeout=30,
                      headers={"Authorization": f"Bearer {token}",
                               "Idempotency-Key": secrets.token_hex(8)}, **kw)
    if r.status_code >= 400:
        sys.exit(f"{method} {path}: {r.status_code} {r.text}")
    return r.json()


def insurance_code(base: str, operator_token: str) -> str:
    """What the patient shows: log in as 张伟 (the sandbox outbox has his code) and ask for
    his insurance code, as the app on his phone does."""
    httpx.post(base + "/api/v1/auth/code", json={"certno": CERTNO}, timeout=30)
    outbox = rest(base, operator_token, "GET", "/api/v1/outbox", params={"limit": 20})
    body = next(m["body"] for m in outbox if "验证码" in m["body"])
    code = re.search(r"验证码是 (\d+)", body).group(1)  # type: ignore[union-attr]
    login = httpx.post(base + "/api/v1/auth/login", json={"certno": CERTNO, "code": code},
                       timeout=30).json()
    r = httpx.post(f"{base}/api/v1/persons/{login['psn_no']}/code", timeout=30,
                   headers={"Authorization": f"Bearer {login['token']}"})
    token: str = r.json()["token"]
    return token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--operator-token", required=True)
    args = parser.parse_args()
    base = args.base.rstrip("/")

    keys = {c: rest(base, args.operator_token, "POST", f"/api/v1/institutions/{c}/keys")
            for c in (HOSPITAL, PHARMACY)}
    his = His(base, HOSPITAL, keys[HOSPITAL]["key_id"], keys[HOSPITAL]["secret"])
    pos = His(base, PHARMACY, keys[PHARMACY]["key_id"], keys[PHARMACY]["secret"])
    # business time is the server's (a sandbox clock may stand anywhere): /healthz says it
    now = httpx.get(base + "/healthz", timeout=30).json()["time"]
    today = now[:10]

    his.sign_no = must(his.call("9001", {"signIn": {"opter_no": "001", "mac": "00-00",
                                                    "ip": "127.0.0.1"}}))["signinoutb"][
        "sign_no"]
    token = insurance_code(base, args.operator_token)
    cert = {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}
    person = must(his.call("1101", {"data": {**cert, "psn_cert_type": "01"}}))
    psn_no = person["baseinfo"]["psn_no"]

    # an outpatient visit
    reg = must(his.call("2201", {"data": {"psn_no": psn_no, "insutype": "310", "begntime": now,
                                          **cert, "ipt_otp_no": f"MZ{int(time.time())}",
                                          "dept_name": "内科"}}))
    mdtrt_id = reg["data"]["mdtrt_id"]
    must(his.call("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no,
                                         "med_type": "11", "begntime": now,
                                         "dise_codg": "J06.900"}}))
    # 20-digit codes: a time-based stem and a last digit (0 at the hospital, 1, 2 at the
    # pharmacy), so no two sales in one run share a code
    stem = f"8{int(time.time() * 1000) % 10**18:018d}"
    trace = stem + "0"
    fee = {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "B1", "fee_ocur_time": now}
    must(his.call("2204", {"feedetail": [
        {**fee, "feedetl_sn": "1", "med_list_codg": SERVICE, "medins_list_codg": "Z001",
         "det_item_fee_sumamt": "10.00", "cnt": "1", "pric": "10.00"},
        {**fee, "feedetl_sn": "2", "med_list_codg": DRUG, "medins_list_codg": "Y001",
         "det_item_fee_sumamt": "28.00", "cnt": "1", "pric": "28.00",
         "drugtracinfo": [{"drug_trac_codg": trace}]}]}))
    ask = {"psn_no": psn_no, **cert, "med_type": "11", "medfee_sumamt": "38.00",
           "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1", "insutype": "310",
           "acct_used_flag": "1"}
    must(his.call("2206", {"data": ask}))
    must(his.call("2207", {"data": {**ask, "invono": "INV0001"}}))

    # the pharmacy
    pos.sign_no = must(pos.call("9001", {"signIn": {"opter_no": "009"}}))["signinoutb"][
        "sign_no"]
    by_id = {"mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNO}

    def purchase(n: int) -> dict[str, Any]:
        return {"druginfo": {"psn_no": psn_no, **by_id, "begntime": now,
                             "medfee_sumamt": "28.00", "insutype": "310", "acct_used_flag": "1",
                             "med_type": "41"},
                "drugdetail": [{"feedetl_sn": "1", "fee_ocur_time": now, "med_list_codg": DRUG,
                                "medins_list_codg": "Y001", "det_item_fee_sumamt": "28.00",
                                "cnt": "1", "pric": "28.00", "drugtracinfo": [
                                    {"drug_trac_codg": f"{stem}{n}"}]}]}

    must(pos.call("2101", purchase(1)))
    sold = must(pos.call("2102", purchase(1)))
    must(pos.call("2103", {"data": {"setl_id": sold["setlinfo"]["setl_id"],
                                    "psn_no": psn_no}}))
    lost = pos.msgid()
    pos.call("2102", purchase(2), msgid=lost)       # pretend this answer never arrived
    must(pos.call("2601", {"data": {"psn_no": psn_no, "omsgid": lost, "oinfno": "2102"}}))

    # the hospital's day
    must(his.call("3201", {"data": {"insutype": "310", "clr_type": "11",
                                    "setl_optins": "510100", "stmt_begndate": today,
                                    "stmt_enddate": today, "medfee_sumamt": "38.00",
                                    "fund_pay_sumamt": "0.00", "acct_pay": "38.00",
                                    "fixmedins_setl_cnt": 1}}))
    print("done")


if __name__ == "__main__":
    main()
