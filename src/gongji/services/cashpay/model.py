"""The cash part of an order (ownPayAmt, 自费): the payment channel's interface and gongji's
record of each request made to it. Amounts are integer fen; never a float.

A channel is called outside any unit of work (it is a remote service: never hold a database
transaction across it). Its three promises:

- Idempotent by request_id: the same request_id asked again gets the answer of the first
  (no second movement of money), whatever the other arguments.
- "unknown" means no answer (a time-out, a dropped connection): treat the money as not
  received, and find out later with query(request_id), which gives "paid" or "failed".
- refund() names the original payment's request_id; money goes back at most once per refund
  request_id and never more than was paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

ChannelState = Literal["paid", "failed", "unknown"]
RequestState = Literal["pending", "paid", "failed", "unknown"]
RequestKind = Literal["pay", "refund"]

SANDBOX_MODES: tuple[str, ...] = ("pay", "fail", "timeout", "late")
"""How the sandbox channel answers: pay (paid), fail (failed), timeout (unknown; query says
failed: the money never arrived), late (unknown; query says paid: it arrived late)."""


@dataclass(frozen=True, slots=True)
class ChannelResult:
    state: ChannelState
    """paid (for a refund: the money went back), failed, or unknown (no answer: query later)."""
    channel_ref: str | None
    """The channel's own id of the movement, when it gave one."""
    reason: str = ""
    """Why it failed, in a few words (no personal data)."""


class CashChannel(Protocol):
    name: str
    """Recorded with each request (cash_payments.channel, at most 20 characters)."""

    def pay(self, request_id: str, amount: int, *, pay_ord_id: str,
            description: str) -> ChannelResult:
        """Take `amount` fen from the person for the order. Idempotent by request_id."""
        ...

    def refund(self, request_id: str, original_request_id: str, amount: int) -> ChannelResult:
        """Give back `amount` fen of the payment made under original_request_id.
        Idempotent by request_id."""
        ...

    def query(self, request_id: str) -> ChannelResult:
        """The final state of a request (after an "unknown"): paid or failed; a request the
        channel never received is failed."""
        ...


@dataclass(frozen=True, slots=True)
class CashRequest:
    """One request gongji made to a channel (cash_payments): its own idempotency key there."""

    id: str
    pay_ord_id: str
    kind: RequestKind
    amount: int
    channel: str
    state: RequestState
    channel_ref: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class BookEntry:
    """The sandbox channel's own book (sandbox_cash): what a real channel keeps on its side.

    outcome: paid, failed, lost (answered unknown, never arrived), late (answered unknown,
    arrived), refunded (a paid payment given back in full). A refund names its payment
    (original_id): refunds of one payment add up to at most what was paid."""

    request_id: str
    kind: RequestKind
    amount: int
    outcome: str
    decided_at: datetime
    original_id: str | None = None
