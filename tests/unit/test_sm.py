"""SM2/SM3/SM4 against the standards' own worked examples, written out here independently of the
libraries underneath (DER is built by hand, Z by the formula), plus the failure cases."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongji import sm
from gongji.sm import (
    DEFAULT_USER_ID,
    SmError,
    is_public_key,
    sm2_generate,
    sm2_public_from_private,
    sm2_sign,
    sm2_verify,
    sm3_hex,
    sm4_decrypt,
    sm4_encrypt,
)

# --- the published examples ------------------------------------------------------------------

# GB/T 32905-2016 appendix A (GM/T 0004-2012): "abc" and "abcd" repeated 16 times (64 bytes)
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM3_ABCD16 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"

# GB/T 32907-2016 appendix A.1 (GM/T 0002-2012): key = plaintext, one block of raw SM4
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_BLOCK_OUT = bytes.fromhex("681edf34d206965e86b3e94f536e4246")

# The signature example on the recommended curve sm2p256v1 (GM/T 0003.5-2012 / GB/T 32918.2
# appendix A), message "message digest", the default user id 1234567812345678
SM2_D = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
SM2_X = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
SM2_Y = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
SM2_MSG = b"message digest"
SM2_ZA = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
SM2_E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"
SM2_K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
SM2_R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
SM2_S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
SM2_PUB = SM2_X + SM2_Y
SM2_SIG = SM2_R + SM2_S

# sm2p256v1 itself (GB/T 32918.5), written out again for the Z formula and the edge cases
CURVE_A = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
CURVE_B = "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
CURVE_GX = "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
CURVE_GY = "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"
CURVE_N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)


def _der_integer(value: int) -> bytes:
    """A DER INTEGER by hand: minimal big-endian bytes, a 00 in front when the top bit is set."""
    body = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    if body[0] & 0x80:
        body = b"\x00" + body
    return bytes([0x02, len(body)]) + body


def _der(r: int, s: int) -> bytes:
    """SEQUENCE { r INTEGER, s INTEGER }, the form Java and OpenSSL clients send."""
    content = _der_integer(r) + _der_integer(s)
    return bytes([0x30, len(content)]) + content


def _raw(r: int, s: int) -> str:
    return f"{r:064x}{s:064x}"


R, S = int(SM2_R, 16), int(SM2_S, 16)


# --- SM3 -------------------------------------------------------------------------------------


def test_sm3_standard_examples() -> None:
    assert sm3_hex(b"abc") == SM3_ABC
    assert sm3_hex(b"abcd" * 16) == SM3_ABCD16


def test_sm3_differs_on_one_bit() -> None:
    assert sm3_hex(b"abd") != SM3_ABC
    assert len(sm3_hex(b"")) == 64


# --- SM4 -------------------------------------------------------------------------------------


def test_sm4_standard_example_is_the_first_block() -> None:
    ciphertext = sm4_encrypt(SM4_KEY, SM4_KEY)
    assert ciphertext[:16] == SM4_BLOCK_OUT  # ECB: block one depends on plaintext block one only
    assert len(ciphertext) == 32  # a whole block of PKCS#7 padding follows a full block


def test_sm4_pkcs7_padding_block() -> None:
    # a full block of 0x10 is what PKCS#7 appends to 16 bytes, and all an empty message holds
    empty = sm4_encrypt(SM4_KEY, b"")
    assert len(empty) == 16
    assert sm4_encrypt(SM4_KEY, SM4_KEY)[16:] == empty
    assert sm4_encrypt(SM4_KEY, b"\x10" * 16)[:16] == empty


def test_sm4_decrypts_the_standard_example() -> None:
    assert sm4_decrypt(SM4_KEY, SM4_BLOCK_OUT + sm4_encrypt(SM4_KEY, b"")) == SM4_KEY


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 31, 32, 33, 100])
def test_sm4_length_and_round_trip(n: int) -> None:
    plaintext = bytes(range(n))
    ciphertext = sm4_encrypt(SM4_KEY, plaintext)
    assert len(ciphertext) == (n // 16 + 1) * 16
    assert sm4_decrypt(SM4_KEY, ciphertext) == plaintext


@given(key=st.binary(min_size=16, max_size=16), plaintext=st.binary(max_size=200))
@settings(max_examples=60, deadline=None)
def test_sm4_round_trip_any(key: bytes, plaintext: bytes) -> None:
    assert sm4_decrypt(key, sm4_encrypt(key, plaintext)) == plaintext


@pytest.mark.parametrize("size", [0, 8, 15, 17, 24, 32])
def test_sm4_bad_key_length(size: int) -> None:
    with pytest.raises(SmError, match="16 bytes"):
        sm4_encrypt(b"k" * size, b"data")
    with pytest.raises(SmError, match="16 bytes"):
        sm4_decrypt(b"k" * size, bytes(16))


@pytest.mark.parametrize("size", [0, 1, 15, 17, 31])
def test_sm4_ciphertext_not_whole_blocks(size: int) -> None:
    with pytest.raises(SmError, match="multiple of 16"):
        sm4_decrypt(SM4_KEY, bytes(size))


@pytest.mark.parametrize(
    "last_block",
    [
        bytes(16),  # pad byte 0
        b"A" * 15 + b"\x11",  # pad byte 17, longer than a block
        b"A" * 14 + b"\x03\x02",  # says 2 bytes of 0x02, has 03 02
        b"A" * 13 + b"\x02\x03\x03",  # says 3 bytes of 0x03, has 02 03 03
    ],
)
def test_sm4_bad_padding(last_block: bytes) -> None:
    ciphertext = sm4_encrypt(SM4_KEY, last_block)[:16]  # the block alone, its padding dropped
    with pytest.raises(SmError, match="padding"):
        sm4_decrypt(SM4_KEY, ciphertext)


def test_sm4_damaged_last_block_is_bad_padding() -> None:
    ciphertext = sm4_encrypt(SM4_KEY, b"settle 12.34")
    damaged = ciphertext[:-1] + bytes([ciphertext[-1] ^ 1])
    with pytest.raises(SmError, match="padding"):
        sm4_decrypt(SM4_KEY, damaged)


def test_sm_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="SM4 key"):
        sm4_encrypt(b"short", b"")


# --- SM2: the standard's example -------------------------------------------------------------


def test_z_and_e_of_the_standard_example() -> None:
    """Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA), e = SM3(Z || M), by the formula."""
    entl = (len(DEFAULT_USER_ID) * 8).to_bytes(2, "big")
    z_input = entl + DEFAULT_USER_ID + bytes.fromhex(CURVE_A + CURVE_B + CURVE_GX + CURVE_GY)
    z = sm3_hex(z_input + bytes.fromhex(SM2_PUB))
    assert z == SM2_ZA.lower()
    assert sm3_hex(bytes.fromhex(z) + SM2_MSG) == SM2_E.lower()


def test_public_key_from_the_standard_private_key() -> None:
    assert sm2_public_from_private(SM2_D) == SM2_PUB.lower()
    assert sm2_public_from_private(SM2_D.lower()) == SM2_PUB.lower()


def test_standard_k_reproduces_the_standard_signature() -> None:
    fixed_k = int(SM2_K, 16)
    assert sm._sign(SM2_D, SM2_MSG, DEFAULT_USER_ID, lambda bits: fixed_k) == SM2_SIG.lower()


def test_standard_signature_verifies() -> None:
    assert sm2_verify(SM2_PUB, SM2_MSG, SM2_SIG)
    assert sm2_verify(SM2_PUB.lower(), SM2_MSG, SM2_SIG.lower())
    assert sm2_verify("04" + SM2_PUB, SM2_MSG, SM2_SIG)


def test_standard_signature_in_every_encoding() -> None:
    raw = bytes.fromhex(SM2_SIG)
    der = _der(R, S)
    assert der[:4] == b"\x30\x46\x02\x21"  # r has its top bit set: 33 bytes with a leading 00
    b64_raw = base64.b64encode(raw).decode()
    b64_der = base64.b64encode(der).decode()
    encodings = [
        SM2_SIG,  # r||s hex
        b64_raw,  # r||s base64
        b64_raw.rstrip("="),  # padding dropped
        base64.urlsafe_b64encode(raw).decode(),
        der.hex(),  # DER hex
        der.hex().upper(),
        b64_der,  # DER base64
        b64_der[:40] + "\n" + b64_der[40:],  # wrapped as PEM-ish clients do
        f"  {SM2_SIG}\n",
    ]
    for encoding in encodings:
        assert sm2_verify(SM2_PUB, SM2_MSG, encoding), encoding


def test_standard_signature_depends_on_the_user_id() -> None:
    assert not sm2_verify(SM2_PUB, SM2_MSG, SM2_SIG, user_id=b"ALICE123@YAHOO.COM")
    assert not sm2_verify(SM2_PUB, SM2_MSG, SM2_SIG, user_id=b"1234567812345679")


def test_standard_signature_tampered() -> None:
    other = sm2_generate()
    assert not sm2_verify(SM2_PUB, b"message digesT", SM2_SIG)
    assert not sm2_verify(SM2_PUB, SM2_MSG + b"\x00", SM2_SIG)
    assert not sm2_verify(SM2_PUB, SM2_MSG, _raw(R + 1, S))
    assert not sm2_verify(SM2_PUB, SM2_MSG, _raw(R, S + 1))
    assert not sm2_verify(SM2_PUB, SM2_MSG, _raw(S, R))
    assert not sm2_verify(SM2_PUB, SM2_MSG, _der(R, S - 1).hex())
    assert not sm2_verify(other.public_hex, SM2_MSG, SM2_SIG)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "   ",
        "zz",
        SM2_SIG[:-1],  # 127 hex characters
        SM2_SIG + "00",  # 65 bytes
        SM2_SIG[:-2],  # 63 bytes
        base64.b64encode(bytes.fromhex(SM2_SIG)[:63]).decode(),
        _der(R, S).hex() + "00",  # DER with trailing garbage
        _der(R, S).hex()[:-2],  # DER cut short
        "31" + _der(R, S).hex()[2:],  # a SET, not a SEQUENCE
        _raw(0, S),  # r out of [1, n-1]
        _raw(R, 0),
        _raw(CURVE_N, S),
        _raw(R, CURVE_N),
        _der(CURVE_N + R, S).hex(),
        "0" * 128,
        "签名" * 32,
        "not base64 at all!",
        "MEUCIQ",  # the start of a base64 DER, nothing more
    ],
)
def test_unreadable_signature_is_false(signature: str) -> None:
    assert sm2_verify(SM2_PUB, SM2_MSG, signature) is False


def test_signature_of_the_wrong_type_is_false() -> None:
    raw = bytes.fromhex(SM2_SIG)
    assert sm2_verify(SM2_PUB, SM2_MSG, raw) is False  # type: ignore[arg-type]
    assert sm2_verify(SM2_PUB, SM2_MSG, None) is False  # type: ignore[arg-type]


def test_signature_summing_to_the_point_at_infinity_is_false() -> None:
    """s chosen so that sG + (r+s)P = O: the verifier must say no, not crash."""
    d = int(SM2_D, 16)
    r = 1
    s = (-r * d * pow(1 + d, -1, CURVE_N)) % CURVE_N
    assert sm2_verify(SM2_PUB, SM2_MSG, _raw(r, s)) is False


@given(st.text(max_size=200))
@settings(max_examples=150, deadline=None)
def test_any_text_as_signature_never_raises(text: str) -> None:
    assert sm2_verify(SM2_PUB, SM2_MSG, text) is False


# --- SM2: our own keys -----------------------------------------------------------------------


def test_generate_gives_a_working_pair() -> None:
    pair = sm2_generate()
    assert len(pair.private_hex) == 64 and pair.private_hex == pair.private_hex.lower()
    assert len(pair.public_hex) == 128 and pair.public_hex == pair.public_hex.lower()
    assert sm2_public_from_private(pair.private_hex) == pair.public_hex
    assert sm2_generate().private_hex != pair.private_hex
    signature = sm2_sign(pair.private_hex, b"infno=1101")
    assert sm2_verify(pair.public_hex, b"infno=1101", signature)
    assert not sm2_verify(pair.public_hex, b"infno=1102", signature)


def test_key_pair_repr_hides_the_private_key() -> None:
    pair = sm2_generate()
    assert pair.private_hex not in repr(pair)
    assert pair.public_hex in repr(pair)


def test_sign_format_and_fresh_k() -> None:
    first = sm2_sign(SM2_D, SM2_MSG)
    second = sm2_sign(SM2_D, SM2_MSG)
    assert len(first) == 128 and int(first, 16) >= 0 and first == first.lower()
    assert first != second  # a fixed k would leak the key; each signature draws its own
    assert sm2_verify(SM2_PUB, SM2_MSG, first) and sm2_verify(SM2_PUB, SM2_MSG, second)


def test_sign_and_verify_with_a_partner_user_id() -> None:
    uid = b"H12345678901"  # e.g. a fixmedins_code agreed with a partner
    signature = sm2_sign(SM2_D, b"payload", user_id=uid)
    assert sm2_verify(SM2_PUB, b"payload", signature, user_id=uid)
    assert not sm2_verify(SM2_PUB, b"payload", signature)  # the default id is another Z


def test_longest_user_id() -> None:
    uid = b"u" * 4095  # the library's limit (the standard's ENTL would allow 8191)
    assert sm2_verify(SM2_PUB, b"m", sm2_sign(SM2_D, b"m", user_id=uid), user_id=uid)


@pytest.mark.parametrize("uid", [b"", b"u" * 4096])
def test_bad_user_id(uid: bytes) -> None:
    with pytest.raises(SmError, match="user id"):
        sm2_sign(SM2_D, b"m", user_id=uid)
    with pytest.raises(SmError, match="user id"):
        sm2_verify(SM2_PUB, b"m", SM2_SIG, user_id=uid)


@pytest.mark.parametrize(
    "private_hex",
    [
        "",
        SM2_D[:-1],
        SM2_D + "0",
        "g" + SM2_D[1:],
        "0" * 64,
        f"{CURVE_N - 1:064x}",  # 1 + d would be n: no inverse
        f"{CURVE_N:064x}",
        "f" * 64,
    ],
)
def test_bad_private_key(private_hex: str) -> None:
    with pytest.raises(SmError, match="private key") as caught:
        sm2_sign(private_hex, b"m")
    if private_hex:
        assert private_hex not in str(caught.value)  # the key is never echoed
    with pytest.raises(SmError, match="private key"):
        sm2_public_from_private(private_hex)


def test_largest_private_key_works() -> None:
    d = f"{CURVE_N - 2:064x}"
    assert sm2_verify(sm2_public_from_private(d), b"m", sm2_sign(d, b"m"))


@pytest.mark.parametrize(
    "public_hex",
    [
        "",
        SM2_PUB[:-2],
        "05" + SM2_PUB,
        "04" + SM2_PUB + "00",
        "x" + SM2_PUB[1:],
        SM2_X + f"{int(SM2_Y, 16) + 1:064x}",  # off the curve
        SM2_Y + SM2_X,
        "0" * 128,
        "f" * 128,  # coordinates beyond p
    ],
)
def test_bad_public_key(public_hex: str) -> None:
    with pytest.raises(SmError, match="public key"):
        sm2_verify(public_hex, SM2_MSG, SM2_SIG)
    assert not is_public_key(public_hex)


def test_good_public_keys() -> None:
    assert is_public_key(SM2_PUB) and is_public_key(SM2_PUB.lower())
    assert is_public_key("04" + SM2_PUB)
    assert is_public_key(sm2_generate().public_hex)
