"""Pooling regions (统筹区) and provinces, identified by 6-digit admdvs codes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gongji.domain.errors import GongjiError

NATIONAL = "000000"
_ADMDVS = re.compile(r"[1-9][0-9]{5}")


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
