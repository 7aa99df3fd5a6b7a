"""The medical insurance catalog (医保目录) of a care region: what each item is and how it pays.

"就医地目录、参保地待遇": the catalog and prices of the region where care happens decide how
each fee line is classified (甲类 fully in scope, 乙类 with a first self-pay share, 丙类 or
out of catalog fully self-paid, and any price above the item's cap self-paid), whatever the
patient's insured region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from gongji.domain.errors import GongjiError
from gongji.domain.money import parse_yuan

LIST_TYPES = {
    "101": "西药中成药 western and patent drugs",
    "102": "中药饮片 herbal pieces",
    "201": "医疗服务项目 medical services",
    "301": "医用耗材 medical consumables",
}
CHRGITM_TYPES = {
    "01": "床位费 bed", "02": "诊察费 consultation", "03": "检查费 examination",
    "04": "化验费 lab", "05": "治疗费 treatment", "06": "手术费 surgery",
    "07": "护理费 nursing", "08": "卫生材料费 materials", "09": "西药费 western drugs",
    "10": "中药饮片费 herbal pieces", "11": "中成药费 patent drugs",
    "12": "一般诊疗费 general diagnosis", "13": "挂号费 registration", "14": "其他费 other",
}
LEVELS = {"01": "甲类 class A", "02": "乙类 class B", "03": "丙类 class C (self-pay)"}
"""chrgitm_lv. [U] some regions write 1/2/3; gongji reads those too."""

_CODE_SHAPES = {
    "101": re.compile(r"[XZ][A-Z0-9]{22}"),
    "102": re.compile(r"T[A-Z0-9]{9,22}"),
    "201": re.compile(r"[0-9]{15}"),
    "301": re.compile(r"C[A-Z0-9]{19}|C[A-Z0-9]{26}"),
}
"""National code shapes: drugs X (western) or Z (patent) + 22; services 15 digits; consumables
C + 19 or 26; herbal pieces [U] T + 9-22 (not given by our reference; a decision)."""


@dataclass(frozen=True, slots=True)
class CatalogItem:
    med_list_codg: str
    name: str
    list_type: str
    med_chrgitm_type: str
    chrgitm_lv: str
    """01 甲, 02 乙, 03 丙."""
    selfpay_prop: Fraction
    """The first self-pay share (先行自付比例): 0 for 甲, the item's share for 乙, 1 for 丙."""
    pric_uplmt_amt: int | None
    """Price cap per unit in fen (最高限价); the part of a price above it is self-paid."""
    lmt_used_flag: bool
    """Limited use (限制使用): paid only for its approved indications."""
    spec: str
    unit: str
    begndate: date
    enddate: date | None
    pack_cnt: int | None = None
    """Units in the smallest box (最小包装数量), when known: a split sale (拆零) of a box
    counts in these units, and the unit past the box is refused."""
    otc: bool = False
    """非处方药 (OTC, otc_flag 1): sold without a prescription. A drug that is not OTC is a
    prescription drug (处方药): an online order of it needs an electronic prescription
    (domain/prescriptions.py)."""

    @property
    def is_drug(self) -> bool:
        """Drugs sold by the box carry trace codes (西药中成药)."""
        return self.list_type == "101"

    def covers(self, day: date) -> bool:
        return self.begndate <= day and (self.enddate is None or day < self.enddate)


def check_code(code: str, list_type: str) -> str:
    shape = _CODE_SHAPES.get(list_type)
    if shape is None:
        raise GongjiError("CATALOG_FIELD_INVALID", field="list_type", value=list_type)
    if not isinstance(code, str) or not shape.fullmatch(code):
        raise GongjiError("CATALOG_CODE_INVALID", code=str(code)[:40], list_type=list_type)
    return code


def ratio_text(ratio: Fraction) -> str:
    """1/10 -> "0.1000": a ratio as the national interface writes it (four decimals)."""
    return f"{Decimal(ratio.numerator) / Decimal(ratio.denominator):.4f}"


def parse_ratio(text: str, *, field: str) -> Fraction:
    """"0.10" -> 1/10; a ratio is between 0 and 1 with at most 4 decimals."""
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        raise GongjiError("CATALOG_FIELD_INVALID", field=field, value=str(text)[:20]) from None
    if not value.is_finite() or not 0 <= value <= 1 or value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise GongjiError("CATALOG_FIELD_INVALID", field=field, value=str(text)[:20])
    return Fraction(value)


MAX_PACK_CNT = 10_000
"""Units in one box at most (a bottle of 1,000 tablets is large)."""


def make_item(*, med_list_codg: str, name: str, list_type: str, med_chrgitm_type: str,
              chrgitm_lv: str, selfpay_prop: str = "", pric_uplmt_amt: str = "",
              lmt_used_flag: str = "0", spec: str = "", unit: str = "",
              begndate: date, enddate: date | None = None, pack_cnt: str = "",
              otc_flag: str = "") -> CatalogItem:
    """One catalog item from the text of a row, every field checked."""
    list_type = list_type.strip()
    code = check_code(med_list_codg.strip(), list_type)
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise GongjiError("CATALOG_FIELD_INVALID", field="name", value=name[:20])
    if med_chrgitm_type.strip() not in CHRGITM_TYPES:
        raise GongjiError("CATALOG_FIELD_INVALID", field="med_chrgitm_type",
                          value=med_chrgitm_type[:10])
    level = {"1": "01", "2": "02", "3": "03"}.get(chrgitm_lv.strip(), chrgitm_lv.strip())
    if level not in LEVELS:
        raise GongjiError("CATALOG_FIELD_INVALID", field="chrgitm_lv", value=chrgitm_lv[:10])
    if level == "01":
        prop = Fraction(0)
    elif level == "03":
        prop = Fraction(1)
    else:
        prop = parse_ratio(selfpay_prop.strip() or "0", field="selfpay_prop")
    cap = parse_yuan(pric_uplmt_amt.strip(), field="pric_uplmt_amt") \
        if pric_uplmt_amt.strip() else None
    if lmt_used_flag.strip() not in ("0", "1", ""):
        raise GongjiError("CATALOG_FIELD_INVALID", field="lmt_used_flag", value=lmt_used_flag)
    if enddate is not None and enddate <= begndate:
        raise GongjiError("CATALOG_FIELD_INVALID", field="enddate", value=enddate.isoformat())
    pack = pack_cnt.strip()
    if pack and not (pack.isascii() and pack.isdigit() and 1 <= int(pack) <= MAX_PACK_CNT):
        raise GongjiError("CATALOG_FIELD_INVALID", field="pack_cnt", value=pack[:10])
    if otc_flag.strip() not in ("0", "1", ""):
        raise GongjiError("CATALOG_FIELD_INVALID", field="otc_flag", value=otc_flag[:10])
    return CatalogItem(med_list_codg=code, name=name, list_type=list_type,
                       med_chrgitm_type=med_chrgitm_type.strip(), chrgitm_lv=level,
                       selfpay_prop=prop, pric_uplmt_amt=cap,
                       lmt_used_flag=lmt_used_flag.strip() == "1", spec=spec.strip()[:100],
                       unit=unit.strip()[:20], begndate=begndate, enddate=enddate,
                       pack_cnt=int(pack) if pack else None, otc=otc_flag.strip() == "1")
