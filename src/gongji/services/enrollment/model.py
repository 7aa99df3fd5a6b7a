"""What the enrollment doors take and give: registering a person, enrolling them, ending an
enrollment, crediting a personal account (one or a CSV of them), an eligibility flag."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from gongji.services.people.model import Enrollment

PSN_TYPES = {
    "310": {"1101": "在职职工 employee in service", "1201": "退休人员 retired employee"},
    "390": {"1401": "学龄前儿童 pre-school child", "1402": "中小学生 pupil",
            "1403": "大学生 student", "1404": "未成年人 other minor",
            "1405": "新生儿 newborn", "1501": "成年居民 adult resident"},
}
"""National psn_type codes by scheme (NATIONAL_INTERFACE.md code tables)."""

CREDIT = "account.credit"
"""The ledger entry code (and the idempotency operation) of a personal account credit."""

CSV_COLUMNS = ("psn_no", "amount")
"""Required columns; optional: key (idempotency key per row), memo."""

FLAGS = ("assistance", "low_income")
"""The eligibilities an operator may record (set_flag)."""


@dataclass(frozen=True, slots=True)
class RegisterPerson:
    certno: str
    name: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Enroll:
    psn_no: str
    insutype: str
    psn_type: str
    insuplc_admdvs: str
    begndate: date
    has_personal_account: bool = True
    """Employees only: False for 单建统筹 (pooled fund only, no personal account)."""
    emp_name: str | None = None


@dataclass(frozen=True, slots=True)
class EndEnrollment:
    enrollment_id: str
    enddate: date
    reason: Literal["ended", "moved"] = "ended"
    new_admdvs: str | None = None
    """For a move: the pooling region the person is insured in from the next day."""


@dataclass(frozen=True, slots=True)
class EnrollmentResult:
    enrollment: Enrollment
    personal_account_id: str | None
    ended_bindings: tuple[str, ...] = ()
    new_enrollment: Enrollment | None = None


@dataclass(frozen=True, slots=True)
class Credit:
    psn_no: str
    amount: int
    memo: str = ""


@dataclass
class BatchReport:
    credited: int = 0
    replayed: int = 0
    total_fen: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    """(line number, code, message) of each refused row."""


@dataclass(frozen=True, slots=True)
class Flag:
    psn_no: str
    flag: str
    begndate: date
    enddate: date | None
