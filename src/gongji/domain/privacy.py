"""Masking of personal data (ID numbers, names, phones) for logs, pages and error bodies."""

from __future__ import annotations

import re

# An 18-character resident ID (17 digits + digit or X) or a 15-digit legacy one, not inside a
# longer run of digits (so amounts, ids and timestamps are left alone).
_CERTNO = re.compile(r"(?<![0-9A-Za-z])(?:[1-9][0-9]{16}[0-9Xx]|[1-9][0-9]{14})(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")


def mask_certno(certno: str) -> str:
    """110101199003071234 -> 110101********1234 (region kept, birth date hidden)."""
    if len(certno) <= 10:
        return "*" * len(certno)
    return certno[:6] + "*" * (len(certno) - 10) + certno[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***; a single character stays masked whole."""
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def scrub(text: str) -> str:
    """Mask anything in free text that looks like an ID number or a mobile phone number."""
    text = _CERTNO.sub(lambda m: mask_certno(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
