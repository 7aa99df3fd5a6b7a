"""Each transport's signature, recomputed here from its definition with hashlib and hmac (not
through gongji's code), and the worked examples in docs/GATEWAY.md held to the same figures."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from gongji.domain.errors import GongjiError
from gongji.domain.institutions import sign
from gongji.domain.transport import (
    WINDOW_SECONDS,
    Profile,
    check_esb,
    check_tif,
    esb_signature,
    esb_string,
    fresh,
    tif_signature,
)

DOC = (Path(__file__).resolve().parents[2] / "docs" / "GATEWAY.md").read_text()

TS, NONCE = "1764900000", "a1b2c3d4e5f60718"
TIF_TOKEN = "9f1c2e7a5b3d4c6e8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d"
ESB_SECRET = "5c0e7b2a9d4f6e1c3a8b7d2e9f0a1b4c5d6e7f8a9b0c1d2e"
ESB = {"_api_access_key": "ak_2f9e1c7d3b5a", "_api_name": "hsa.fsi.callService",
       "_api_timestamp": "1764900000123", "_api_version": "1.0.0"}
GONGJI_SECRET = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def test_tif_signature_is_sha256_of_ts_token_nonce_ts() -> None:
    expected = hashlib.sha256((TS + TIF_TOKEN + NONCE + TS).encode()).hexdigest()
    assert tif_signature(TS, TIF_TOKEN, NONCE) == expected
    assert expected in DOC  # the worked example in docs/GATEWAY.md


def test_esb_signature_is_base64_hmac_sha1_of_sorted_fields() -> None:
    text = ("_api_access_key=ak_2f9e1c7d3b5a&_api_name=hsa.fsi.callService"
            "&_api_timestamp=1764900000123&_api_version=1.0.0")
    expected = base64.b64encode(hmac.new(ESB_SECRET.encode(), text.encode(),
                                         hashlib.sha1).digest()).decode()
    assert esb_string(ESB | {"_other": "not signed"}) == text
    assert esb_signature(ESB_SECRET, ESB) == expected
    assert text in DOC and expected in DOC


def test_gongji_signature_is_hmac_sha256_over_five_lines() -> None:
    body = b'{"infno":"9001"}'
    text = "\n".join([TS, NONCE, "POST", "/fsi/api/rsfComIfsService/callService",
                      hashlib.sha256(body).hexdigest()])
    expected = hmac.new(bytes.fromhex(GONGJI_SECRET), text.encode(), hashlib.sha256).hexdigest()
    assert sign(GONGJI_SECRET, TS, NONCE, "POST", "/fsi/api/rsfComIfsService/callService",
                body) == expected
    assert expected in DOC


@pytest.mark.parametrize("offset,ok", [(-WINDOW_SECONDS - 1, False), (-WINDOW_SECONDS, True),
                                       (0, True), (WINDOW_SECONDS, True),
                                       (WINDOW_SECONDS + 1, False)])
def test_the_window_holds_at_the_second(offset: int, ok: bool) -> None:
    now = int(TS)
    sig = tif_signature(str(now + offset), TIF_TOKEN, NONCE)
    if ok:
        check_tif(TIF_TOKEN, timestamp=str(now + offset), nonce=NONCE, signature=sig,
                  now_epoch=now)
    else:
        with pytest.raises(GongjiError) as e:
            check_tif(TIF_TOKEN, timestamp=str(now + offset), nonce=NONCE, signature=sig,
                      now_epoch=now)
        assert e.value.code == "SIGNATURE_EXPIRED"


def test_esb_timestamps_are_milliseconds() -> None:
    now = int(TS)
    fresh(str(now * 1000 + 999), now_epoch=now + WINDOW_SECONDS, unit="ms")
    with pytest.raises(GongjiError):
        fresh(str(now * 1000), now_epoch=now + WINDOW_SECONDS + 1, unit="ms")


@pytest.mark.parametrize("change", ["token", "nonce", "signature", "nonce_bad"])
def test_a_changed_tif_request_is_refused(change: str) -> None:
    sig = tif_signature(TS, TIF_TOKEN, NONCE)
    args = {"token": TIF_TOKEN, "nonce": NONCE, "signature": sig}
    args[change.removesuffix("_bad")] = {"token": TIF_TOKEN + "x", "nonce": "b" * 16,
                                         "signature": "0" * 64, "nonce_bad": "no!"}[change]
    with pytest.raises(GongjiError) as e:
        check_tif(args["token"], timestamp=TS, nonce=args["nonce"],
                  signature=args["signature"], now_epoch=int(TS))
    assert e.value.code == "SIGNATURE_INVALID"


def test_upper_case_hex_is_the_same_tif_signature() -> None:
    check_tif(TIF_TOKEN, timestamp=TS, nonce=NONCE,
              signature=tif_signature(TS, TIF_TOKEN, NONCE).upper(), now_epoch=int(TS))


@pytest.mark.parametrize("missing", ["_api_name", "_api_version", "_api_timestamp"])
def test_esb_needs_its_fields(missing: str) -> None:
    fields = {k: v for k, v in ESB.items() if k != missing}
    with pytest.raises(GongjiError):
        check_esb(ESB_SECRET, fields, signature=esb_signature(ESB_SECRET, fields),
                  now_epoch=int(TS))


def test_a_profile_refuses_unknown_values() -> None:
    assert Profile().scheme == "gongji" and Profile().infcode_as == "number"
    for bad in ({"scheme": "basic"}, {"infcode_as": "text"}, {"relay_opter": ""}):
        with pytest.raises(GongjiError):
            Profile(**bad)  # type: ignore[arg-type]
