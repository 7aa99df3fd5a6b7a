"""The wallet transfer rules (医保钱包转账), as one pure check over plain facts.

The service gathers the facts inside its transaction (wallets, binding, today's count, the
sponsor's balance) and asks check_transfer(); the first rule broken is refused with its code,
the rule's limit and what was asked, in Chinese and English.

The parties come first (check_parties): whether both wallets are open, bound, and live in both
regions is known before anyone types an amount or a PIN, so the portal and the service say
"对方地区尚未开通" up front, naming the region; the limits of this transfer follow.
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
    region_name: Bi | None = None
    """The insured region's name, for refusals (None: its code is said instead)."""
    place_name: Bi | None = None

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
    check_parties(ask.sender, ask.receiver, bound=ask.bound, verified=ask.verified,
                  sender_is_beneficiary=ask.sender_is_beneficiary)
    rules = ask.sender.policy.wallet
    if in_window(ask.now, rules.closed_hours.start, rules.closed_hours.end):
        hours = rules.closed_hours
        raise GongjiError("TRANSFER_WINDOW_CLOSED", start=hours.start.isoformat("minutes"),
                          end=hours.end.isoformat("minutes"),
                          reopens=display(next_at(ask.now, rules.closed_hours.end)))
    if ask.amount > rules.max_transfer:
        raise GongjiError("TRANSFER_AMOUNT_OVER_LIMIT", limit=format_yuan(rules.max_transfer),
                          amount=format_yuan(ask.amount))
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


def check_parties(sender: WalletFacts, receiver: WalletFacts, *, bound: bool,
                  verified: bool, sender_is_beneficiary: bool = False) -> None:
    """Who may send to whom, whatever the amount: both wallets open and live in their regions
    (rollout by pooling region), an active binding, and, across provinces, both regions in
    cross-province mutual aid (2026 国家医保局·财政部 notice on 个人账户跨省共济)."""
    _usable(sender, "sender")
    if not bound:
        # quota received from a relative pays for the holder's own care only (2026 notice on
        # 个人账户跨省共济): say so, rather than "bind first", which could not help
        raise GongjiError("TRANSFER_QUOTA_NOT_TRANSFERABLE" if sender_is_beneficiary
                          else "TRANSFER_NOT_BOUND")
    _usable(receiver, "receiver")
    if cross_province(sender.insuplc_admdvs, receiver.insuplc_admdvs):
        for side, w in (("sender", sender), ("receiver", receiver)):
            if not w.policy.wallet.cross_province_mutual_aid:
                raise GongjiError("MUTUAL_AID_CROSS_PROVINCE_DISABLED", who=_SIDE[side],
                                  admdvs=w.insuplc_admdvs,
                                  region=w.region_name or w.insuplc_admdvs)
    if sender.policy.mutual_aid.require_verified_relation and not verified:
        raise GongjiError("BINDING_NOT_VERIFIED")


def check_sender(sender: WalletFacts) -> None:
    """The sender's own wallet is open and live, whoever they send to."""
    _usable(sender, "sender")


def check_owner(owner: WalletFacts) -> None:
    """Quota is spent (a contribution) only from a wallet that is open and live."""
    _usable(owner, "owner")


def _usable(w: WalletFacts, side: str) -> None:
    # the region first: a relative in a region not live yet cannot open a wallet, so "对方地区
    # 尚未开通" is the answer that helps, not "the receiver has not opened one"
    if not w.enabled:
        home = not w.policy.wallet.enabled
        code = (w.insuplc_admdvs if home else w.place_of_use) or ""
        name = w.region_name if home else w.place_name
        raise GongjiError("WALLET_REGION_DISABLED", who=_SIDE[side], admdvs=code,
                          region=name or code)
    if not w.open:
        code = "TRANSFER_RECEIVER_NO_WALLET" if side == "receiver" else "WALLET_NOT_OPEN"
        raise GongjiError(code, who=_SIDE[side])


def accept_deadline(now: datetime, policy: Policy) -> datetime:
    """Not accepted by then, a transfer returns to the sender: the next 06:00 after sending."""
    return next_at(now, policy.wallet.accept_deadline)


_SIDE = {"sender": Bi("转出方", "sender"), "receiver": Bi("接收方", "receiver"),
         "owner": Bi("本人", "owner")}


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
