"""The request and response envelopes of the national interface."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from gongji.domain.errors import GongjiError
from gongji.gateway.fields import Reader, bad


@dataclass(frozen=True, slots=True)
class Envelope:
    infno: str
    msgid: str
    mdtrtarea_admvs: str | None
    insuplc_admdvs: str | None
    recer_sys_code: str | None
    infver: str | None
    opter_type: str
    opter: str
    opter_name: str | None
    inf_time: datetime
    fixmedins_code: str
    fixmedins_name: str | None
    sign_no: str | None
    input: dict[str, Any]


def parse(obj: Any, supported: set[str]) -> Envelope:
    """Check the envelope field by field; the first problem is refused by name."""
    r = Reader(obj, "envelope")
    if not isinstance(r.data.get("infno", ""), str):
        raise bad("envelope.infno", "应为字符串", "must be a string")
    infno = r.need("infno", 4)
    if infno not in supported:
        raise GongjiError("GATEWAY_INFNO_UNKNOWN", infno=infno)
    fixmedins_code = r.need("fixmedins_code", 12)
    msgid = r.need("msgid", 30)
    if not msgid.startswith(fixmedins_code) or not msgid.isalnum():
        raise bad("envelope.msgid", "应为机构编码(12)+时间(14)+流水号(4)",
                  "must be fixmedins_code(12) + yyyyMMddHHmmss(14) + serial(4)")
    inf_time = r.when("inf_time", required=True)
    assert inf_time is not None
    raw_input = obj.get("input")
    if not isinstance(raw_input, dict):
        raise bad("envelope.input", "应为对象", "must be an object")
    return Envelope(
        infno=infno, msgid=msgid, mdtrtarea_admvs=r.char("mdtrtarea_admvs", 6),
        insuplc_admdvs=r.char("insuplc_admdvs", 6), recer_sys_code=r.char("recer_sys_code", 10),
        infver=r.char("infver", 6), opter_type=r.need("opter_type", 3, allowed={"1", "2", "3"}),
        opter=r.need("opter", 30), opter_name=r.char("opter_name", 50), inf_time=inf_time,
        fixmedins_code=fixmedins_code, fixmedins_name=r.char("fixmedins_name", 200),
        sign_no=r.char("sign_no", 30), input=raw_input)


def refmsgid(admdvs: str | None, now: datetime) -> str:
    """The receiver's message id: admdvs(6) + yyyyMMddHHmmss(14) + serial(10)."""
    return f"{admdvs or '000000'}{now:%Y%m%d%H%M%S}{secrets.randbelow(10**10):010d}"


def stamp(now: datetime) -> str:
    """yyyyMMddHHmmssSSS."""
    return f"{now:%Y%m%d%H%M%S}{now.microsecond // 1000:03d}"


def respond(*, env: Envelope | None, received: datetime, now: datetime,
            output: Any = None, error: GongjiError | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "infcode": -1 if error else 0,
        "inf_refmsgid": refmsgid(env.mdtrtarea_admvs if env else None, now),
        "refmsg_time": stamp(received),
        "respond_time": stamp(now),
        "err_msg": f"{error.message}（{error.code}）" if error else None,
        "output": output if error is None else {},
    }
    if error is not None:
        # extensions (ignored by an HIS that does not know them): the stable code and English
        body["err_code"] = error.code
        body["err_msg_en"] = error.message_en
    return body


def plain(obj: Any) -> Any:
    """The input as plain JSON values (decimals as their text) for idempotency records."""
    if isinstance(obj, Decimal):
        return format(obj, "f")
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [plain(v) for v in obj]
    return obj
