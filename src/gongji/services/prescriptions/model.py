"""What prescription doors take and give: a hospital's prescription as asked, and a
prescription as shown (quantities as exact decimal text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class RxItemIn:
    med_list_codg: str
    cnt: Decimal


@dataclass(frozen=True, slots=True)
class IssuePrescription:
    """A hospital's prescription for a person named by psn_no or by ID number (certno), not
    both. valid_days: 1 (the day of issue, the default of the region's policy) to the
    policy's max_valid_days (3 at most)."""

    items: tuple[RxItemIn, ...]
    psn_no: str | None = None
    certno: str | None = None
    valid_days: int | None = None
    dise_codg: str | None = None


@dataclass(frozen=True, slots=True)
class RxItemView:
    med_list_codg: str
    cnt: str
    """Exact decimal text ("2", "0.5")."""


@dataclass(frozen=True, slots=True)
class PrescriptionView:
    hi_rxno: str
    psn_no: str
    issued_by: str
    dise_codg: str | None
    issued_at: datetime
    valid_until: datetime
    status: str
    """issued, filled or revoked (an expired one stays issued: see valid_until)."""
    items: tuple[RxItemView, ...]
    filled_by: str | None
    filled_at: datetime | None
