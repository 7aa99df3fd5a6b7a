"""The encrypted mode, as the national platform's: `input` and `output` travel as SM4
ciphertext, and each message carries an SM2 signature (SM3 digest) in `cainfo`.

A request: the envelope's fields in clear, `enc_type` "SM4", `input` the SM4-ECB (PKCS#7)
ciphertext of the input's JSON text, as hex (either case) or base64; `signtype` "SM2" and
`cainfo` the institution's SM2 signature over the text to sign. The text to sign: every
top-level field but cainfo and signtype whose value is not null or empty, sorted by name,
`name=value` joined by `&`, values as sent (input as its ciphertext text, numbers as their
JSON text). The answer is sealed the same way with gongji's key of that credential.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from gongji import sm
from gongji.domain.errors import GongjiError
from gongji.gateway import jsonio
from gongji.gateway.fields import tolerated
from gongji.services.transport.model import SmKeys

UNSIGNED = ("cainfo", "signtype")


def sign_text(message: dict[str, Any]) -> bytes:
    parts = []
    for name in sorted(message):
        value = message[name]
        if name in UNSIGNED or value is None or value == "":
            continue
        text = value if isinstance(value, str) else jsonio.dumps(value)
        parts.append(f"{name}={text}")
    return "&".join(parts).encode()


def is_encrypted(message: Any) -> bool:
    return isinstance(message, dict) and message.get("enc_type") not in (None, "", "0")


def _cipher_bytes(text: str) -> bytes:
    t = text.strip()
    try:
        return bytes.fromhex(t)
    except ValueError:
        pass
    try:
        raw = base64.b64decode(t, validate=True)
    except (binascii.Error, ValueError):
        raise GongjiError("TRANSPORT_DECRYPT_FAILED", reason="input is neither hex nor base64"
                          ) from None
    tolerated("envelope.input", "密文以 base64 发送", "ciphertext sent as base64 (not hex)")
    return raw


def open_message(message: dict[str, Any], keys: Sequence[SmKeys]
                 ) -> tuple[dict[str, Any], SmKeys]:
    """The message with its input decrypted, and the credential whose key signed it."""
    enc_type = str(message.get("enc_type"))
    if enc_type.upper() != "SM4":
        raise GongjiError("TRANSPORT_DECRYPT_FAILED", reason=f"enc_type {enc_type[:10]}")
    if str(message.get("signtype") or "SM2").upper() != "SM2":
        raise GongjiError("TRANSPORT_SIGNATURE_INVALID")
    signature = message.get("cainfo")
    if not isinstance(signature, str) or not signature:
        raise GongjiError("TRANSPORT_SIGNATURE_INVALID")
    text = sign_text(message)
    signer = next((k for k in keys if sm.sm2_verify(k.peer_public, text, signature)), None)
    if signer is None:
        raise GongjiError("TRANSPORT_SIGNATURE_INVALID")
    raw = message.get("input")
    if not isinstance(raw, str):
        raise GongjiError("TRANSPORT_DECRYPT_FAILED", reason="input must be ciphertext text")
    try:
        plain = sm.sm4_decrypt(signer.sm4_key, _cipher_bytes(raw))
        opened = jsonio.loads(plain)
    except jsonio.TooDeep as e:
        raise GongjiError("GATEWAY_BODY_TOO_DEEP", limit=e.limit) from None
    except ValueError as e:  # SmError is a ValueError, and so is bad JSON
        raise GongjiError("TRANSPORT_DECRYPT_FAILED", reason=str(e)[:100]) from None
    if not isinstance(opened, dict):
        raise GongjiError("TRANSPORT_DECRYPT_FAILED", reason="input must hold an object")
    return {**message, "input": opened}, signer


def seal_answer(body: dict[str, Any], keys: SmKeys) -> dict[str, Any]:
    """The answer with its output encrypted (hex, upper case) and signed by gongji."""
    plain = jsonio.dumps(body.get("output") if body.get("output") is not None else {})
    sealed: dict[str, Any] = {
        **body, "output": sm.sm4_encrypt(keys.sm4_key, plain.encode()).hex().upper(),
        "enc_type": "SM4", "signtype": "SM2"}
    sealed["cainfo"] = sm.sm2_sign(keys.platform_private, sign_text(sealed))
    return sealed

