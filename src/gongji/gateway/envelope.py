"""The request and response envelopes of the national interface."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from gongji.domain.errors import GongjiError
from gongji.gateway import jsonio
from gongji.gateway.fields import Reader, bad, tolerated


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


@dataclass(frozen=True, slots=True)
class Relay:
    """What a relay leaves out of the envelope, from the institution's registration (the
    "relay" transport profile, docs/GATEWAY.md)."""

    fixmedins_code: str
    fixmedins_name: str
    admdvs: str
    opter: str
    inf_time: datetime


def _fill(obj: dict[str, Any], relay: Relay) -> dict[str, Any]:
    filled = dict(obj)
    for name, value in (("fixmedins_code", relay.fixmedins_code),
                        ("fixmedins_name", relay.fixmedins_name),
                        ("mdtrtarea_admvs", relay.admdvs), ("opter_type", "1"),
                        ("opter", relay.opter),
                        ("inf_time", f"{relay.inf_time:%Y-%m-%d %H:%M:%S}")):
        if filled.get(name) in (None, ""):
            filled[name] = value
            tolerated(f"envelope.{name}", "中继未发送，按机构登记补齐",
                      "left out by the relay; filled from the registration")
    return filled


def _input(raw: Any) -> dict[str, Any]:
    """The input object; a relay's JSON text holding the object is read as the object."""
    if isinstance(raw, str) and raw.lstrip().startswith("{"):
        try:
            raw = jsonio.loads(raw.encode())
        except jsonio.TooDeep as e:
            raise GongjiError("GATEWAY_BODY_TOO_DEEP", limit=e.limit) from None
        except ValueError:
            raise bad("envelope.input", "JSON 文本无法解析", "is JSON text that does not parse"
                      ) from None
        tolerated("envelope.input", "以 JSON 文本发送（应为对象）",
                  "sent as JSON text (the specification has an object)")
    if not isinstance(raw, dict):
        raise bad("envelope.input", "应为对象", "must be an object")
    return raw


def parse(obj: Any, supported: set[str], relay: Relay | None = None) -> Envelope:
    """Check the envelope field by field; the first problem is refused by name."""
    if relay is not None and isinstance(obj, dict):
        obj = _fill(obj, relay)
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
    raw_input = _input(obj.get("input"))
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
            output: Any = None, error: GongjiError | None = None,
            infcode_as: str = "number") -> dict[str, Any]:
    """The response envelope; infcode is the number 0 or -1 (the specification), or the string
    "0" / "-1" for an institution whose profile says so (a relay compares strings)."""
    code = -1 if error else 0
    body: dict[str, Any] = {
        "infcode": str(code) if infcode_as == "string" else code,
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
