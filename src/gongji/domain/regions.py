"""Pooling regions (统筹区) and provinces, identified by 6-digit admdvs codes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gongji.domain.errors import GongjiError

NATIONAL = "000000"
_ADMDVS = re.compile(r"[1-9][0-9]{5}")
_AREA = re.compile(r"[1-9][0-9](?:[0-9]{2}){0,2}")


@dataclass(frozen=True, slots=True)
class Region:
    admdvs: str
    name: str
    name_en: str
    level: str
    """"province" (省级) or "pooling" (a pooling region below a province)."""

    @property
    def province(self) -> str:
        return province_of(self.admdvs)


def check_admdvs(value: str, *, field: str = "admdvs") -> str:
    if not isinstance(value, str) or not _ADMDVS.fullmatch(value):
        raise GongjiError("ADMDVS_INVALID", field=field, value=str(value)[:20])
    return value


def province_of(admdvs: str) -> str:
    """The province code of a region: its first two digits then four zeros."""
    return admdvs[:2] + "0000"


def cross_province(a: str, b: str) -> bool:
    return province_of(a) != province_of(b)


def layers(admdvs: str) -> list[str]:
    """Where a region's policy comes from, most general first: national, province, region."""
    out = [NATIONAL, province_of(admdvs)]
    if admdvs != out[-1]:
        out.append(admdvs)
    return out


def area_prefix(code: str) -> str:
    """What an area filter matches an admdvs by: a province (2 digits, or its 6-digit code
    ending 0000), a city (4 digits, or its code ending 00), or one code exactly (6 digits).
    "51" and "510000" -> "51"; "5101" and "510100" -> "5101"; "510104" -> "510104". Anything
    else is AREA_INVALID."""
    code = code.strip() if isinstance(code, str) else ""
    if not _AREA.fullmatch(code):
        raise GongjiError("AREA_INVALID", value=code[:20])
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code
