"""Identifiers made without a global sequence, and the shape of client keys.

Ids are UUIDv7 strings: time-ordered (good B-tree locality), generated on any node without
coordination, so data can later be distributed by region without renumbering.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import time

from gongji.domain.errors import GongjiError

_lock = threading.Lock()
_last_ms = 0
_seq = 0


def new_id() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix ms, a 12-bit counter for order within one ms, random."""
    global _last_ms, _seq
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _seq += 1
            if _seq > 0xFFF:  # 4096 ids in one ms: borrow the next ms rather than repeat
                ms += 1
                _seq = 0
        else:
            _seq = 0
        _last_ms = ms
        seq = _seq
    rand = int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF
    value = (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62) | rand
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_\-.:]{1,64}")


def check_idempotency_key(key: str | None) -> str:
    if key is None or key == "":
        raise GongjiError("IDEMPOTENCY_KEY_MISSING")
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise GongjiError("IDEMPOTENCY_KEY_INVALID")
    return key


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RFC4648 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CROCKFORD)


def new_code(prefix: str) -> str:
    """A short time-ordered business id, e.g. psn_no "P01JD3K4M5N6P7Q8": 48-bit ms + 32 random
    bits in Crockford base32 (16 chars). Never a database sequence; never mistaken for an ID
    number (it starts with a letter)."""
    value = (time.time_ns() // 1_000_000) << 32 | int.from_bytes(os.urandom(4), "big")
    # 80 bits are 16 base32 digits, most significant first: RFC 4648's encoder, re-lettered
    return prefix + base64.b32encode(value.to_bytes(10, "big")).decode().translate(_RFC4648)
