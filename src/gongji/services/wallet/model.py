"""The 医保钱包 as the doors give it: status, place of use, own account, quota per sponsor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

QUOTA_RETURN = "wallet.quota_return"
"""The ledger entry code of unused quota going home to its sponsor."""


@dataclass(frozen=True, slots=True)
class QuotaView:
    sponsor_psn_no: str
    sponsor_name_masked: str
    relation: str | None
    """What the wallet's owner is to the sponsor, while their binding is active."""
    balance: int


@dataclass(frozen=True, slots=True)
class WalletView:
    psn_no: str
    status: str
    """open, closed, or none (never opened)."""
    place_of_use: str | None
    opened_at: datetime | None
    opened_by_proxy: bool
    insuplc_admdvs: str | None
    enabled: bool
    """The wallet is live in the owner's insured region and place of use today."""
    place_of_use_change: bool
    personal_account: int | None
    """The owner's own personal account balance (employees), fen."""
    quotas: tuple[QuotaView, ...]
    quota_total: int
