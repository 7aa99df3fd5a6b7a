"""Out-of-area filing (异地就医备案) and chronic/special disease recognition (门诊慢特病).

Long-term kinds (retirees settled elsewhere, long-term residents, staff posted elsewhere) hold
until revoked; temporary kinds (referral, emergency, other) last at least six months. A filing
names the care region: a pooling region, or a whole province.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from typing import Any

from gongji.domain.dates import EARLIEST, LATEST, check_day, out_of_range
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.regions import province_of

LONG_TERM = ("retiree_settled", "long_term_resident", "posted_staff")
TEMPORARY = ("referral", "emergency", "other_temporary")
KIND_NAMES = {
    "retiree_settled": Bi("异地安置退休人员", "retiree settled elsewhere"),
    "long_term_resident": Bi("异地长期居住人员", "long-term resident elsewhere"),
    "posted_staff": Bi("常驻异地工作人员", "staff posted elsewhere"),
    "referral": Bi("异地转诊人员", "referral"),
    "emergency": Bi("异地急诊抢救人员", "emergency"),
    "other_temporary": Bi("其他临时外出就医人员", "other temporary"),
}

DEEMED_FILED = {"13": "emergency"}
"""med_type -> the filing kind a visit of that type counts as having out of area when the
person has none: 急诊抢救视同已备案 ([N] 2022 22号文), at the emergency rate."""


def deemed_filing(med_type: str) -> str | None:
    return DEEMED_FILED.get(med_type)


EMERGENCY_MED_TYPES = frozenset({"13"})
"""med_type of an emergency visit (急诊抢救): a benefits rule's `when: {emergency: true}`."""


def is_emergency(med_type: str) -> bool:
    return med_type in EMERGENCY_MED_TYPES


CHRONIC_DISEASES = {
    "hypertension": Bi("高血压", "hypertension"),
    "diabetes": Bi("糖尿病", "diabetes"),
    "cancer_treatment": Bi("恶性肿瘤门诊放化疗", "cancer radio/chemotherapy"),
    "uremia_dialysis": Bi("尿毒症透析", "uremia dialysis"),
    "transplant_antirejection": Bi("器官移植术后抗排异治疗", "anti-rejection after transplant"),
    "copd": Bi("慢性阻塞性肺疾病", "COPD"),
    "rheumatoid_arthritis": Bi("类风湿关节炎", "rheumatoid arthritis"),
    "coronary_heart_disease": Bi("冠心病", "coronary heart disease"),
    "viral_hepatitis": Bi("病毒性肝炎", "viral hepatitis"),
    "ankylosing_spondylitis": Bi("强直性脊柱炎", "ankylosing spondylitis"),
}
"""[N] the ten outpatient chronic and special diseases settled directly across provinces (the
last five since Dec 2024). The codes are ours; the national ones differ by region."""


def add_months(day: date, months: int, *, field: Any = "date") -> date:
    """The same day n months later (earlier when n < 0), or that month's last day when it has
    no such day. Defined for every day and n: a result outside the calendar window
    (domain/dates.py) is refused as DATE_OUT_OF_RANGE, naming the field it would become."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    if not EARLIEST.year <= year <= LATEST.year:
        raise out_of_range(field, f"{year:04d}-{month:02d}")
    return check_day(date(year, month, min(day.day, monthrange(year, month)[1])), field)


def check_filing(kind: str, begndate: date, enddate: date | None, *, today: date,
                 temporary_min_months: int) -> date | None:
    """The filing's end: None for a long-term kind; at least six months (the policy's) after
    its start for a temporary kind, which it is if none is given."""
    if kind not in KIND_NAMES:
        raise GongjiError("FILING_KIND_INVALID", kind=kind, allowed=", ".join(KIND_NAMES))
    check_day(begndate, "begndate")
    if enddate is not None:
        check_day(enddate, "enddate")
    if begndate < today:
        raise GongjiError("FILING_DATES_INVALID", reason=Bi("开始日期不能早于今天",
                                                             "begndate is in the past"))
    if kind in LONG_TERM:
        if enddate is not None:
            raise GongjiError("FILING_DATES_INVALID", reason=Bi(
                "长期备案在撤销前一直有效，不设结束日期",
                "a long-term filing holds until revoked: no enddate"))
        return None
    least = add_months(begndate, temporary_min_months, field="enddate")
    if enddate is None:
        return least
    if enddate < least:
        raise GongjiError("FILING_DATES_INVALID", reason=Bi(
            f"临时备案有效期至少 {temporary_min_months} 个月（至 {least}）",
            f"a temporary filing lasts at least {temporary_min_months} months (to {least})"))
    return enddate


def covers(target: str, care_admdvs: str) -> bool:
    """A filing to a province covers every pooling region in it."""
    return target == care_admdvs or (target.endswith("0000")
                                     and province_of(care_admdvs) == target)
