"""Notifications to institutions (an order's state changed): what is kept and shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Due:
    """A notification claimed for one delivery attempt."""

    id: str
    fixmedins_code: str
    url: str
    body: str
    attempts: int


@dataclass(frozen=True, slots=True)
class NotificationView:
    notify_id: str
    pay_ord_id: str
    fixmedins_code: str
    url: str
    body: str
    """The JSON sent, exactly (canonical: sorted keys, no spaces)."""
    created_at: datetime
    attempts: int
    """POSTs made so far."""
    next_at: datetime | None
    """When the next attempt is due (None once delivered or given up)."""
    delivered_at: datetime | None
    last_error: str | None
    gave_up: bool


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """One round of deliver_due."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    """Failed attempts that will be tried again."""
    gave_up: int = 0
