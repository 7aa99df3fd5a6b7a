"""Wallet transfers as the doors take and give them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

TRANSFER = "wallet.transfer"
"""The ledger code of a transfer's hold."""


@dataclass(frozen=True, slots=True)
class SendTransfer:
    receiver_psn_no: str
    amount: int
    memo: str = ""


@dataclass(frozen=True, slots=True)
class TransferView:
    id: str
    sender_psn_no: str
    receiver_psn_no: str
    sender_name_masked: str
    receiver_name_masked: str
    amount: int
    status: str
    """pending, accepted, returned (not accepted in time), rejected, cancelled, unbound."""
    submitted_at: datetime
    deadline: datetime
    resolved_at: datetime | None
    business_date: date
    left_today: int | None = None
    """Sending it: how many more the sender may send today (else None)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What the sender may still do today: shown before they submit."""

    max_transfer: int
    daily_transfer_count: int
    sent_today: int
    left_today: int
    closed_hours_start: str
    closed_hours_end: str
    closed_now: bool
    next_open: datetime | None
    accept_deadline_if_sent_now: datetime
