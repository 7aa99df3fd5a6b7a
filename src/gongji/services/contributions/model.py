"""Contributions as the doors take and give them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from gongji.ledger.kinds import AccountKind

FUND = {"390": AccountKind.FUND_POOL, "410": AccountKind.FUND_LTC}
"""Where each scheme's contributions go: the region's pooled fund, or its long-term-care
fund."""


@dataclass(frozen=True, slots=True)
class PayContribution:
    psn_no: str
    """Whose contribution (the covered person)."""
    insutype: Literal["390", "410"]
    year: int
    source: Literal["personal", "quota"]
    sponsor_psn_no: str | None = None
    """For source=quota: whose quota in the covered person's wallet pays."""


@dataclass(frozen=True, slots=True)
class ContributionView:
    id: str
    psn_no: str
    insutype: str
    year: int
    admdvs: str
    amount: int
    payer_psn_no: str
    source: str
    sponsor_psn_no: str | None
    entry_id: str
    paid_at: datetime
    benefits_from: date | None = None
    """Resident (390): the first day the fund pays in the coverage year, after any waiting
    period (待遇等待期; the 1st of January when paid in the window without a lapse). None for
    long-term care and for contributions recorded before waiting periods were kept."""


@dataclass(frozen=True, slots=True)
class Offer:
    insutype: str
    year: int
    amount: int
    window_start: date
    window_end: date
