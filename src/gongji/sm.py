"""SM2 signatures, SM3 and SM4 (GB/T 32918, GB/T 32905, GB/T 32907) for the encrypted mode.

SM3 and SM4 come from `cryptography` (OpenSSL: maintained, vetted, fast). `cryptography`
exposes no SM2, so SM2 sign/verify comes from `gmalg` (pure Python, matches the GB/T 32918.2
example); this module only checks inputs, converts encodings and fixes the defaults the
national platform and the 医保 SDKs use. No framework imports: the gateway and tools share it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field

import gmalg
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "DEFAULT_USER_ID",
    "SM2KeyPair",
    "SmError",
    "is_public_key",
    "sm2_generate",
    "sm2_public_from_private",
    "sm2_sign",
    "sm2_verify",
    "sm3_hex",
    "sm4_decrypt",
    "sm4_encrypt",
]

DEFAULT_USER_ID = b"1234567812345678"
"""The default user id of GM/T 0009 (GB/T 35276): what the platform and SDKs put into Z."""

# sm2p256v1 (GB/T 32918.5): field prime p, coefficients a and b, and the group order n. Only
# used to validate keys and signatures before they reach the library.
_P = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFF
_A = _P - 3
_B = 0x28E9FA9E_9D9F5E34_4D5A9E4B_CF6509A7_F39789F5_15AB8F92_DDBCBD41_4D940E93
_N = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123

_SM4_KEY_BYTES = 16
_SM4_BLOCK_BYTES = 16
_HEX = frozenset(string.hexdigits)
# ENTL (the id's length in bits) is 16 bits in Z, so the standard allows 8191 bytes; gmalg
# refuses from 4096 on. Real ids are 16 bytes: we state gmalg's limit rather than trip on it.
_MAX_USER_ID_BYTES = 4095


class SmError(ValueError):
    """A key, ciphertext or parameter that cannot be used; the message says which and why."""


# --- SM3 -----------------------------------------------------------------------------------


def sm3_hex(data: bytes) -> str:
    """SM3 digest as 64 lowercase hex characters, the form the interface documents carry."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


# --- SM4 -----------------------------------------------------------------------------------


def _sm4_cipher(key: bytes) -> Cipher[modes.ECB]:
    if len(key) != _SM4_KEY_BYTES:
        raise SmError(f"an SM4 key is {_SM4_KEY_BYTES} bytes, got {len(key)}")
    # ECB is what the national platform's encrypted mode and the mobile-payment SDKs specify;
    # the peer decides the mode, not us.
    return Cipher(algorithms.SM4(bytes(key)), modes.ECB())  # noqa: S305


def sm4_encrypt(key: bytes, plaintext: bytes) -> bytes:
    """SM4-ECB with PKCS#7 padding, as the platform's encrypted mode expects."""
    cipher = _sm4_cipher(key)
    padder = padding.PKCS7(_SM4_BLOCK_BYTES * 8).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = cipher.encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def sm4_decrypt(key: bytes, ciphertext: bytes) -> bytes:
    """Undo `sm4_encrypt`; a wrong key or a damaged message shows up as bad padding."""
    cipher = _sm4_cipher(key)
    if not ciphertext or len(ciphertext) % _SM4_BLOCK_BYTES:
        raise SmError(
            f"SM4-ECB ciphertext is a non-zero multiple of {_SM4_BLOCK_BYTES} bytes, "
            f"got {len(ciphertext)}"
        )
    decryptor = cipher.decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(_SM4_BLOCK_BYTES * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise SmError(
            "SM4 plaintext has bad PKCS#7 padding: wrong key or damaged ciphertext"
        ) from None


# --- SM2 -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SM2KeyPair:
    """An SM2 key pair as hex, the form configuration files and the platform exchange.

    private_hex: 64 hex characters (d); public_hex: 128 hex characters (x||y, no 04 prefix).
    The private half stays out of repr() so a logged key pair leaks nothing.
    """

    private_hex: str = field(repr=False)
    public_hex: str


def _is_hex(text: str) -> bool:
    return all(c in _HEX for c in text)


def _private_scalar(private_hex: str) -> int:
    """d from its hex form; the message never repeats the key itself."""
    if len(private_hex) != 64 or not _is_hex(private_hex):
        raise SmError(f"an SM2 private key is 64 hex characters, got {len(private_hex)}")
    d = int(private_hex, 16)
    if not 1 <= d <= _N - 2:  # GB/T 32918.1: d in [1, n-2], else 1+d has no inverse
        raise SmError("SM2 private key out of range [1, n-2]")
    return d


def _public_point(public_hex: str) -> bytes:
    """The key as 04||x||y, checked to lie on the curve (cofactor 1: that is enough)."""
    text = public_hex[2:] if len(public_hex) == 130 and public_hex[:2] == "04" else public_hex
    if len(text) != 128 or not _is_hex(text):
        raise SmError(
            "an SM2 public key is x||y as 128 hex characters, optionally after 04; "
            f"got {len(public_hex)} characters"
        )
    x, y = int(text[:64], 16), int(text[64:], 16)
    if x >= _P or y >= _P or (y * y - (x * x * x + _A * x + _B)) % _P:
        raise SmError("SM2 public key is not a point on sm2p256v1")
    return b"\x04" + bytes.fromhex(text)


def is_public_key(public_hex: str) -> bool:
    """Whether the text is an SM2 public key we accept (x||y hex, optional 04, on the curve):
    lets a form refuse a partner's bad key when it is entered, not at the first message."""
    try:
        _public_point(public_hex)
    except SmError:
        return False
    return True


def _check_user_id(user_id: bytes) -> None:
    if not 1 <= len(user_id) <= _MAX_USER_ID_BYTES:
        raise SmError(f"an SM2 user id is 1 to {_MAX_USER_ID_BYTES} bytes, got {len(user_id)}")


@functools.lru_cache(maxsize=16)
def _public_of(d: int) -> bytes:
    """dG as 04||x||y. Cached: signing needs it for Z and it costs a full scalar multiply."""
    point: bytes = gmalg.SM2().generate_pk(d.to_bytes(32, "big"))
    return bytes(point)


def sm2_generate() -> SM2KeyPair:
    """A fresh key pair, d drawn with `secrets` from [1, n-2]."""
    d = secrets.randbelow(_N - 2) + 1
    return SM2KeyPair(private_hex=f"{d:064x}", public_hex=_public_of(d)[1:].hex())


def sm2_public_from_private(private_hex: str) -> str:
    """x||y (128 hex, no 04) for a private key: what to hand the platform or a partner."""
    return _public_of(_private_scalar(private_hex))[1:].hex()


def _sign(private_hex: str, data: bytes, user_id: bytes, rnd_fn: Callable[[int], int]) -> str:
    """Sign with k drawn by rnd_fn(bits). Only tests pass anything but `secrets.randbits`:
    they pin k to reproduce the standard's worked example."""
    d = _private_scalar(private_hex)
    _check_user_id(user_id)
    # a fresh gmalg.SM2 per call: its SM3 object is reused internally, so sharing one across
    # threads would mix digests
    signer = gmalg.SM2(d.to_bytes(32, "big"), bytes(user_id), _public_of(d), rnd_fn=rnd_fn)
    r, s = signer.sign(bytes(data))
    return f"{int.from_bytes(r, 'big'):064x}{int.from_bytes(s, 'big'):064x}"


def sm2_sign(private_hex: str, data: bytes, *, user_id: bytes = DEFAULT_USER_ID) -> str:
    """SM2 signature over SM3(Z||data) (GB/T 32918.2), as r||s in 128 lowercase hex."""
    return _sign(private_hex, data, user_id, secrets.randbits)


def _b64_bytes(text: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional: clients send all of these."""
    if "-" in text or "_" in text:
        text = text.translate(str.maketrans("-_", "+/"))
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _signature_candidates(signature: object) -> list[tuple[int, int]]:
    """Every (r, s) the text can mean: r||s or DER, each as hex or base64. Empty if none.

    Usually exactly one; a string readable two ways (vanishingly rare) is tried both ways,
    which is safe because each reading still has to verify.
    """
    if not isinstance(signature, str):
        return []
    text = "".join(signature.split())  # base64 arrives wrapped at 64 or 76 columns
    if not text or not text.isascii():
        return []
    blobs: list[bytes] = []
    if len(text) % 2 == 0 and _is_hex(text):
        blobs.append(bytes.fromhex(text))
    decoded = _b64_bytes(text)
    if decoded is not None:
        blobs.append(decoded)
    found: list[tuple[int, int]] = []
    for blob in blobs:
        if len(blob) == 64:
            found.append((int.from_bytes(blob[:32], "big"), int.from_bytes(blob[32:], "big")))
        if blob[:1] == b"\x30":
            with contextlib.suppress(ValueError):  # not DER after all
                found.append(decode_dss_signature(blob))
    return [rs for rs in dict.fromkeys(found) if 1 <= rs[0] < _N and 1 <= rs[1] < _N]


def sm2_verify(
    public_hex: str, data: bytes, signature: str, *, user_id: bytes = DEFAULT_USER_ID
) -> bool:
    """Whether signature is a valid SM2 signature (SM3 with Z) of data under the key.

    The signature may be r||s as 128 hex characters or base64 of the 64 bytes, or DER as hex
    or base64; whatever cannot be read as one of these is simply False. A malformed public
    key or user id raises SmError: those come from our configuration, not from the peer.
    """
    point = _public_point(public_hex)
    _check_user_id(user_id)
    candidates = _signature_candidates(signature)
    if not candidates:
        return False
    verifier = gmalg.SM2(pk=point, uid=bytes(user_id))
    message = bytes(data)
    return any(
        bool(verifier.verify(message, r.to_bytes(32, "big"), s.to_bytes(32, "big")))
        for r, s in candidates
    )
