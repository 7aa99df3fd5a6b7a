"""Vendor clients as they reach the national platform, written from how public HIS clients
build their messages (studied, not copied): how each serializer writes dates, amounts and
absent fields, what a relay leaves out, and how each front gateway authenticates.

A `Vendor` is a shape (the serializer) on a wire (the authentication): the tests run the same
day's sequence through every combination and change nothing but the base URL, the
institution code and the credentials.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import count
from typing import Any

from fastapi.testclient import TestClient

from gongji import sm
from tests.gateway.conftest import WALL

_serial = count(1)


# -- shapes: how a client's serializer writes a message ---------------------------------------

def _walk(value: Any, *, when: Callable[[datetime], str], amount: Callable[[Decimal], Any],
          nulls: bool) -> Any:
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, Decimal):
        return amount(value)
    if isinstance(value, dict):
        return {k: _walk(v, when=when, amount=amount, nulls=nulls) for k, v in value.items()
                if nulls or v is not None}
    if isinstance(value, list):
        return [_walk(v, when=when, amount=amount, nulls=nulls) for v in value]
    return value


class _Raw(str):
    """A JSON number's text, written as is."""


def _json(value: Any) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Shape:
    name: str
    when: Callable[[datetime], str]
    amount: Callable[[Decimal], Any]
    nulls: bool
    """Writes absent optional fields as explicit nulls."""
    relay: bool = False
    """Sends input as JSON text and leaves fixmedins_code, opter_type, opter, inf_time out."""

    def envelope(self, code: str, infno: str, msgid: str, sign_no: str,
                 input_: dict[str, Any], at: datetime) -> dict[str, Any]:
        env: dict[str, Any] = {
            "infno": infno, "msgid": msgid, "mdtrtarea_admvs": "510100",
            "insuplc_admdvs": "510100", "recer_sys_code": "FSI_LOCAL", "dev_no": None,
            "dev_safe_info": None, "cainfo": None, "signtype": None, "infver": "V1.0",
            "opter_type": "1", "opter": "0001", "opter_name": "收费员", "inf_time": at,
            "fixmedins_code": code, "fixmedins_name": "测试医院", "sign_no": sign_no,
            "input": input_}
        if self.relay:
            for name in ("fixmedins_code", "opter_type", "opter", "inf_time"):
                del env[name]
        written = _walk(env, when=self.when, amount=self.amount, nulls=self.nulls)
        if self.relay:
            written["input"] = _json(written["input"])
        return written  # type: ignore[no-any-return]

    def dumps(self, env: dict[str, Any]) -> bytes:
        return _json(env).encode()


FASTJSON2 = Shape(
    "java-fastjson2",
    # fastjson2 writes a java.util.Date with its milliseconds when they are not zero
    when=lambda t: f"{t:%Y-%m-%d %H:%M:%S}.{(t.microsecond // 1000) or 123:03d}",
    amount=lambda d: _Raw(format(d, "f")),  # BigDecimal keeps its scale
    nulls=False)  # fastjson2 leaves null fields out
NEWTONSOFT = Shape(
    "csharp-newtonsoft",
    when=lambda t: f"{t:%Y-%m-%dT%H:%M:%S}",  # DateTime, IsoDateTimeFormat, no zone
    amount=lambda d: _Raw(format(d, "f")),  # C# decimal keeps its scale
    nulls=True)  # NullValueHandling.Include
FASTJSON = Shape(
    "java-fastjson",
    when=lambda t: f"{t:%Y-%m-%d %H:%M:%S}",  # JSON.DEFFAULT_DATE_FORMAT + WriteDateUseDateFormat
    amount=lambda d: _Raw(repr(float(d))),  # amounts held in java.lang.Double fields
    nulls=False)  # fastjson 1.x leaves nulls out unless WriteMapNullValue
FASTJSON_RELAY = Shape(
    "java-fastjson-relay",
    when=lambda t: f"{t:%Y-%m-%d %H:%M:%S}",  # WriteDateUseDateFormat
    amount=lambda d: _Raw(repr(float(d))),  # java.lang.Double: 360.0, 5.6
    nulls=False, relay=True)
SHAPES = (FASTJSON2, FASTJSON, NEWTONSOFT, FASTJSON_RELAY)


# -- wires: how a request is authenticated on its way -------------------------------------------

@dataclass
class Wire:
    scheme: str
    secret: dict[str, str] = field(default_factory=dict)
    sm_keys: tuple[bytes, str, str] | None = None
    """SM4 key, the institution's SM2 private key, gongji's SM2 public key (encrypted)."""

    def headers(self, path: str, body: bytes, client: TestClient) -> dict[str, str]:
        ts = int(WALL.timestamp())
        nonce = secrets.token_hex(8)
        if self.scheme == "gongji":
            digest = hashlib.sha256(body).hexdigest()
            text = "\n".join([str(ts), nonce, "POST", path, digest]).encode()
            sig = hmac.new(bytes.fromhex(self.secret["secret"]), text,
                           hashlib.sha256).hexdigest()
            return {"X-Gongji-Key": self.secret["key_id"], "X-Gongji-Timestamp": str(ts),
                    "X-Gongji-Nonce": nonce, "X-Gongji-Signature": sig}
        if self.scheme == "tif":
            token = self.secret["token"]
            sig = hashlib.sha256(f"{ts}{token}{nonce}{ts}".encode()).hexdigest()
            return {"x-tif-paasid": self.secret["paasid"], "x-tif-timestamp": str(ts),
                    "x-tif-nonce": nonce, "x-tif-signature": sig}
        if self.scheme == "esb":
            fields = {"_api_access_key": self.secret["access_key"],
                      "_api_name": "hsa.fsi.callService", "_api_version": "1.0.0",
                      "_api_timestamp": str(ts * 1000 + next(_serial) % 1000)}
            text = "&".join(f"{k}={fields[k]}" for k in sorted(fields))
            sig = base64.b64encode(hmac.new(self.secret["secret"].encode(), text.encode(),
                                            hashlib.sha1).digest()).decode()
            return fields | {"_api_signature": sig}
        if "access_token" not in self.secret:
            r = client.post("/auth/oauth/token", data={
                "grant_type": "password", "username": self.secret["username"],
                "password": self.secret["password"], "client_id": "his",
                "client_secret": "his-secret"})
            assert r.status_code == 200, r.text
            self.secret["access_token"] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.secret['access_token']}"}

    def seal(self, env: dict[str, Any]) -> dict[str, Any]:
        """The platform's encrypted form: input as SM4 hex, cainfo an SM2 signature."""
        if self.sm_keys is None:
            return env
        key, private, _ = self.sm_keys
        raw = env["input"] if isinstance(env["input"], str) else _json(env["input"])
        sealed = {**env, "input": sm.sm4_encrypt(key, raw.encode()).hex().upper(),
                  "enc_type": "SM4", "signtype": "SM2"}
        sealed.pop("cainfo", None)
        sealed["cainfo"] = sm.sm2_sign(private, sign_text(sealed))
        return sealed

    def open(self, answer: dict[str, Any]) -> dict[str, Any]:
        if self.sm_keys is None or "enc_type" not in answer:
            return answer  # a refusal before the keys were known comes back in clear
        key, _, platform_public = self.sm_keys
        assert answer["enc_type"] == "SM4" and answer["signtype"] == "SM2"
        assert sm.sm2_verify(platform_public, sign_text(answer), answer["cainfo"])
        plain = sm.sm4_decrypt(key, bytes.fromhex(answer["output"]))
        return {**answer, "output": json.loads(plain, parse_float=Decimal)}


def sign_text(message: dict[str, Any]) -> bytes:
    """Written from docs/GATEWAY.md, not from the server's code."""
    parts = []
    for k in sorted(message):
        v = message[k]
        if k in ("cainfo", "signtype") or v is None or v == "":
            continue
        parts.append(f"{k}={v if isinstance(v, str) else _json_number(v)}")
    return "&".join(parts).encode()


def _json_number(v: Any) -> str:
    if isinstance(v, Decimal):
        return format(v, "f")
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), default=str)


# -- a vendor: a shape on a wire ------------------------------------------------------------------

@dataclass
class Vendor:
    client: TestClient
    code: str
    shape: Shape
    wire: Wire
    path: str = "/fsi/api/rsfComIfsService/callService"
    sign_no: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)

    def msgid(self) -> str:
        return f"{self.code}{WALL:%Y%m%d%H%M%S}{next(_serial) % 10000:04d}"

    def call(self, infno: str, input_: dict[str, Any], *, msgid: str | None = None
             ) -> dict[str, Any]:
        env = self.shape.envelope(self.code, infno, msgid or self.msgid(), self.sign_no,
                                  input_, WALL.replace(tzinfo=None))
        env = self.wire.seal(env)
        body = self.shape.dumps(env)
        r = self.client.post(self.path, content=body, headers={
            "Content-Type": "application/json;charset=UTF-8",
            **self.wire.headers(self.path, body, self.client)})
        assert r.status_code == 200, r.text
        answer = self.wire.open(json.loads(r.content, parse_float=Decimal))
        self.sent.append({"infno": infno, "msgid": env["msgid"], "answer": answer})
        return answer

    @property
    def ok_code(self) -> Any:
        return "0" if self.shape.relay else 0

    def ok(self, infno: str, input_: dict[str, Any], **kw: Any) -> dict[str, Any]:
        answer = self.call(infno, input_, **kw)
        assert answer["infcode"] == self.ok_code, (self.shape.name, self.wire.scheme, infno,
                                                   answer)
        out: dict[str, Any] = answer["output"]
        return out
