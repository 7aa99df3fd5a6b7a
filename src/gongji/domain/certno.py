"""Resident identity numbers (居民身份号码, GB 11643-1999): check digit, birth date, sex.

18 characters: 6-digit address code, 8-digit birth date, 3-digit sequence (odd for men),
and a check character computed over the first 17 (ISO 7064 MOD 11-2), "X" standing for 10.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from gongji.domain.errors import GongjiError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9X]")


@dataclass(frozen=True, slots=True)
class CertInfo:
    certno: str
    brdy: date
    gend: str
    """National code: "1" male, "2" female."""
    admdvs: str
    """The address code at issue (not necessarily where the person is insured)."""

    def age_on(self, day: date) -> int:
        years = day.year - self.brdy.year
        if (day.month, day.day) < (self.brdy.month, self.brdy.day):
            years -= 1
        return years


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def parse_certno(certno: str, *, today: date) -> CertInfo:
    """Validate an 18-character resident ID number; a lower-case x is accepted as X."""
    value = certno.strip().upper() if isinstance(certno, str) else ""
    if not _SHAPE.fullmatch(value):
        raise GongjiError("CERTNO_INVALID", reason=_reason("shape"))
    if check_digit(value[:17]) != value[17]:
        raise GongjiError("CERTNO_INVALID", reason=_reason("check"))
    try:
        brdy = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise GongjiError("CERTNO_INVALID", reason=_reason("date")) from None
    if brdy > today or brdy.year < 1890:
        raise GongjiError("CERTNO_INVALID", reason=_reason("date"))
    gend = "1" if int(value[16]) % 2 == 1 else "2"
    return CertInfo(certno=value, brdy=brdy, gend=gend, admdvs=value[:6])


def make_certno(admdvs: str, brdy: date, seq: int) -> str:
    """Build a valid number (for demo data and tests): seq 0-999, odd for men."""
    first17 = f"{admdvs}{brdy:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def _reason(kind: str) -> object:
    from gongji.domain.errors import Bi

    return {
        "shape": Bi("应为 18 位，前 17 位为数字，末位为数字或 X",
                    "18 characters: 17 digits then a digit or X"),
        "check": Bi("校验位不符", "the check character does not match"),
        "date": Bi("出生日期不合法", "the birth date is not valid"),
    }[kind]
