"""What the reports give: counts per day, transfers per day and by outcome, the persistent
refusals, settlements by insured region, each region's clearing position, and the reports
page's overview of them all. Days are Asia/Shanghai business dates; amounts are fen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gongji.services.clearing.model import PairLine

MAX_DAYS = 366
WALLET_OPEN = "wallet.open"
"""The audit action of a wallet opening (services/wallet.py)."""
OUTCOMES = ("accepted", "pending", "returned", "rejected", "cancelled", "unbound")
DEFAULT_DAYS = 14
"""The reports page shows the last two weeks unless asked otherwise."""


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True, slots=True)
class TransferDay:
    day: date
    count: int
    amount: int
    accepted_count: int
    accepted_amount: int


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    """accepted, pending, returned, rejected, cancelled, unbound (services/transfers.py)."""
    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class Security:
    wrong_login_codes: int
    """Wrong one-time codes typed for codes sent in the range."""
    login_codes_sent: int
    wrong_pins_now: int
    """Wrong PINs counted now (a right PIN resets a person's count)."""
    pins_locked_now: int


@dataclass(frozen=True, slots=True)
class RegionSettlements:
    admdvs: str
    """The insured region, whose funds pay."""
    count: int
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    acct_mulaid_pay: int
    psn_cash_pay: int


@dataclass(frozen=True, slots=True)
class Position:
    admdvs: str
    owes: int
    """What this region owes other regions (as the insured region)."""
    owed: int
    """What other regions owe this one (as the care region, which advanced the money)."""

    @property
    def net(self) -> int:
        """Positive: the region is owed money on balance."""
        return self.owed - self.owes


@dataclass(frozen=True, slots=True)
class Overview:
    first: date
    last: date
    month: str
    """The clearing month shown (YYYY-MM)."""
    opened: list[DayCount]
    per_day: list[TransferDay]
    outcomes: list[Outcome]
    security: Security
    since_start: list[tuple[str, int]]
    by_region: list[RegionSettlements]
    pairs: list[PairLine]
    positions: list[Position]
