"""The demo's static data: three regions, a family across three provinces, four institutions,
the PIN every demo person gets; the lookups over them the pages use; what seeding reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gongji.domain.certno import make_certno

DEMO_REGIONS = {
    "510100": "四川省成都市 Chengdu, Sichuan",
    "411300": "河南省南阳市 Nanyang, Henan",
    "440100": "广东省广州市 Guangzhou, Guangdong",
}
OPENING_POOL_FEN = 50_000_000_00
"""Each demo region's pooled fund starts with 50 million yuan, paid in from outside (CASH)."""
DEMO_PIN = "135790"


@dataclass(frozen=True, slots=True)
class DemoPerson:
    key: str
    name: str
    admdvs_born: str
    brdy: date
    seq: int
    phone: str
    insutype: str
    psn_type: str
    insuplc: str
    credit_fen: int
    role: str


FAMILY = (
    DemoPerson("wei", "张伟", "510104", date(1990, 3, 7), 123, "13800000001", "310", "1101",
               "510100", 12_000_00, "employee in Chengdu, the sponsor 成都在职职工（共济人）"),
    DemoPerson("fang", "王芳", "510107", date(1992, 8, 15), 246, "13800000002", "310", "1101",
               "510100", 9_000_00, "his wife, employee in Chengdu 妻子"),
    DemoPerson("jianguo", "张建国", "411302", date(1962, 5, 20), 135, "13800000003", "390",
               "1501", "411300", 0, "his father, resident in Nanyang, Henan 父亲（河南居民医保）"),
    DemoPerson("xiuying", "李秀英", "411302", date(1964, 11, 2), 248, "13800000004", "390",
               "1501", "411300", 0, "his mother, resident in Nanyang, Henan 母亲（河南居民医保）"),
    DemoPerson("defu", "张德福", "510104", date(1938, 1, 9), 111, "13800000005", "310", "1201",
               "510100", 30_000_00, "his grandfather, retired in Chengdu 祖父（退休）"),
    DemoPerson("li", "张丽", "440106", date(1994, 6, 30), 222, "13800000006", "310", "1101",
               "440100", 8_000_00, "his sister in Guangzhou: wallet not live yet 妹妹（广东）"),
    DemoPerson("xiaobao", "张小宝", "510104", date(2019, 9, 1), 357, "13800000001", "390",
               "1401", "510100", 0, "his son, a child (proxy needs an operator) 儿子"),
)


def certno_of(p: DemoPerson) -> str:
    return make_certno(p.admdvs_born, p.brdy, p.seq)


def role_of(p: DemoPerson, lang: str) -> str:
    """Who a demo person is, in one language ("employee in Chengdu ... 成都在职职工（共济人）")."""
    cut = next((i for i, ch in enumerate(p.role) if "\u4e00" <= ch <= "\u9fff"), len(p.role))
    return p.role[cut:].strip() if lang == "zh" else p.role[:cut].strip()


def about_of(p: DemoPerson, lang: str) -> str:
    """A demo person described from no one's side (born, where insured, which insurance), for
    pickers other than the login's: "his wife" is 张伟's word, not his mother's."""
    region = DEMO_REGIONS.get(p.insuplc, p.insuplc)
    cut = next((i for i, ch in enumerate(region) if ch.isascii() and ch.isalpha()), len(region))
    place = region[:cut].strip() if lang == "zh" else region[cut:].strip()
    retired, employee = p.psn_type.startswith("12"), p.insutype == "310"
    if lang == "zh":
        kind = "退休职工" if retired else "在职职工" if employee else "居民医保"
        return f"{p.brdy.year} 年生 · {place} · {kind}"
    kind = "retired employee" if retired else "employee" if employee else "resident"
    return f"born {p.brdy.year} · {place} · {kind}"


def key_of(certno: str) -> str | None:
    """Which demo person has this ID number (the pickers leave them out of their own list)."""
    return next((p.key for p in FAMILY if certno_of(p) == certno), None)


def demo_person(key: str) -> DemoPerson | None:
    return next((p for p in FAMILY if p.key == key), None)


INSTITUTIONS = (
    ("H51010000001", "成都共济医院（三级，演示）", "3", "510100"),
    ("H51010000002", "玉林社区卫生服务中心（一级，演示）", "1", "510100"),
    ("P51010000001", "成都康济大药房（演示）", "0", "510100"),
    ("P41130000001", "南阳仲景大药房（演示）", "0", "411300"),
)
"""A tertiary hospital, a community clinic and two pharmacies in different provinces."""
CATALOG_START = date(2024, 1, 1)


@dataclass(frozen=True, slots=True)
class Summary:
    regions: list[tuple[str, str, str]]
    """(admdvs, name, pooled fund in yuan)"""
    people: list[tuple[str, str, str, str]]
    """(certno, name, psn_no, who they are)"""
    pin: str
    hints: list[str]
    institutions: list[tuple[str, str, str]]
    """(fixmedins_code, name, admdvs)"""
    key: tuple[str, str, str]
    """An API key of the tertiary hospital: (fixmedins_code, key_id, secret)."""
    catalog_items: int
