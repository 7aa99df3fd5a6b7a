"""The wallet transfer rules (医保钱包转账), as one pure check over plain facts.

The service gathers the facts inside its transaction (wallets, binding, today's count, the
sponsor's balance) and asks check_transfer(); the first rule broken is refused with its code,
the rule's limit and what was asked, in Chinese and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gongji.domain.clock import display, in_window, next_at
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.money import format_yuan
from gongji.domain.policy import Policy
from gongji.domain.regions import cross_province


@dataclass(frozen=True, slots=True)
class WalletFacts:
    psn_no: str
    open: bool
    place_of_use: str | None
    insuplc_admdvs: str
    policy: Policy
    """The policy of the owner's insured region on the day."""
    place_policy: Policy | None
    """The policy of the wallet's place of use on the day (None: no wallet)."""

    @property
    def enabled(self) -> bool:
        return self.policy.wallet.enabled and (self.place_policy is None
                                               or self.place_policy.wallet.enabled)


@dataclass(frozen=True, slots=True)
class TransferAsk:
    now: datetime
    amount: int
    sender: WalletFacts
    receiver: WalletFacts
    bound: bool
    """An active mutual-aid binding: sender sponsors receiver."""
    verified: bool
    sent_today: int
    """Transfers the sending wallet submitted on this Shanghai calendar day (returned too)."""
    sent_this_year: int
    """Fen the sending wallet submitted this calendar year (returned ones excluded)."""
    pending_to_receiver: bool
    sponsor_balance: int
    sender_is_beneficiary: bool = False
    """Someone shares their account with the sender (what they hold is quota)."""


def check_transfer(ask: TransferAsk) -> None:
    rules = ask.sender.policy.wallet
    if in_window(ask.now, rules.closed_hours.start, rules.closed_hours.end):
        hours = rules.closed_hours
        raise GongjiError("TRANSFER_WINDOW_CLOSED", start=hours.start.isoformat("minutes"),
                          end=hours.end.isoformat("minutes"),
                          reopens=display(next_at(ask.now, rules.closed_hours.end)))
    if ask.amount > rules.max_transfer:
        raise GongjiError("TRANSFER_AMOUNT_OVER_LIMIT", limit=format_yuan(rules.max_transfer),
                          amount=format_yuan(ask.amount))
    _usable(ask.sender, "sender")
    if not ask.bound:
        # quota received from a relative pays for the holder's own care only (2026 notice on
        # 个人账户跨省共济): say so, rather than "bind first", which could not help
        raise GongjiError("TRANSFER_QUOTA_NOT_TRANSFERABLE" if ask.sender_is_beneficiary
                          else "TRANSFER_NOT_BOUND")
    _usable(ask.receiver, "receiver")
    if cross_province(ask.sender.insuplc_admdvs, ask.receiver.insuplc_admdvs):
        for side, w in (("sender", ask.sender), ("receiver", ask.receiver)):
            if not w.policy.wallet.cross_province_mutual_aid:
                raise GongjiError("MUTUAL_AID_CROSS_PROVINCE_DISABLED", who=_SIDE[side],
                                  admdvs=w.insuplc_admdvs)
    if ask.sender.policy.mutual_aid.require_verified_relation and not ask.verified:
        raise GongjiError("BINDING_NOT_VERIFIED")
    if ask.sent_today >= rules.daily_transfer_count:
        raise GongjiError("TRANSFER_DAILY_LIMIT", limit=rules.daily_transfer_count,
                          sent=ask.sent_today)
    if rules.one_pending_per_receiver and ask.pending_to_receiver:
        raise GongjiError("TRANSFER_PENDING_EXISTS")
    cap = rules.annual_transfer_cap
    if cap is not None and ask.sent_this_year + ask.amount > cap:
        raise GongjiError("TRANSFER_ANNUAL_CAP", limit=format_yuan(cap),
                          left=format_yuan(max(cap - ask.sent_this_year, 0)))
    keep = ask.sender.policy.mutual_aid.min_sponsor_balance
    if ask.sponsor_balance < ask.amount:
        raise GongjiError("INSUFFICIENT_FUNDS", account=Bi("个人账户", "personal account"),
                          available=format_yuan(ask.sponsor_balance),
                          required=format_yuan(ask.amount))
    if ask.sponsor_balance - ask.amount < keep:
        raise GongjiError("MIN_SPONSOR_BALANCE", keep=format_yuan(keep),
                          available=format_yuan(max(ask.sponsor_balance - keep, 0)))


def _usable(w: WalletFacts, side: str) -> None:
    if not w.open:
        code = "WALLET_NOT_OPEN" if side == "sender" else "TRANSFER_RECEIVER_NO_WALLET"
        raise GongjiError(code, who=_SIDE[side])
    if not w.enabled:
        region = w.insuplc_admdvs if not w.policy.wallet.enabled else w.place_of_use
        raise GongjiError("WALLET_REGION_DISABLED", who=_SIDE[side], admdvs=region or "")


def accept_deadline(now: datetime, policy: Policy) -> datetime:
    """Not accepted by then, a transfer returns to the sender: the next 06:00 after sending."""
    return next_at(now, policy.wallet.accept_deadline)


_SIDE = {"sender": Bi("转出方", "sender"), "receiver": Bi("接收方", "receiver")}


STATUS_NAMES = {
    "pending": Bi("待接收", "pending"), "accepted": Bi("已接收", "accepted"),
    "returned": Bi("已退回", "returned"), "rejected": Bi("已拒收", "rejected"),
    "cancelled": Bi("已撤回", "cancelled"), "unbound": Bi("解除共济已退回", "unbound"),
}
"""A transfer's statuses, as a refusal names them."""


def status_of(hold_state: str, end_reason: str | None) -> str:
    """A transfer's status is its hold's state (pending, posted: accepted, expired:
    returned), or, once voided, the reason recorded then (rejected, cancelled, unbound)."""
    return {"pending": "pending", "posted": "accepted", "expired": "returned"}.get(
        hold_state, end_reason or "cancelled")
