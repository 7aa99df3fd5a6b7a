"""The wallet transfer rules, each at its boundary, as one pure check over plain facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from gongji.domain.clock import UTC, shanghai
from gongji.domain.errors import GongjiError
from gongji.domain.policy import Policy
from gongji.domain.transfers import TransferAsk, WalletFacts, accept_deadline, check_transfer

DEFAULT = Policy()
NOON = shanghai(2026, 3, 10, 12, 0, 0)


def _policy(body: dict[str, Any]) -> Policy:
    return Policy.model_validate(body)


def _wallet(psn_no: str, admdvs: str = "510100", *, open_: bool = True,
            policy: Policy = DEFAULT, place_policy: Policy | None = DEFAULT,
            place_of_use: str | None = None) -> WalletFacts:
    return WalletFacts(psn_no=psn_no, open=open_, place_of_use=place_of_use or admdvs,
                       insuplc_admdvs=admdvs, policy=policy, place_policy=place_policy)


SENDER = _wallet("P-SENDER")
RECEIVER = _wallet("P-RECEIVER")


def _ask(**changes: Any) -> TransferAsk:
    ask = TransferAsk(now=NOON, amount=50000, sender=SENDER, receiver=RECEIVER, bound=True,
                      verified=False, sent_today=0, sent_this_year=0,
                      pending_to_receiver=False, sponsor_balance=1000000)
    return replace(ask, **changes)


def _refused(ask: TransferAsk) -> GongjiError:
    with pytest.raises(GongjiError) as e:
        check_transfer(ask)
    return e.value


def test_a_plain_transfer_is_allowed() -> None:
    check_transfer(_ask())


# -- amount ------------------------------------------------------------------------------------

def test_amount_at_the_limit_is_allowed() -> None:
    check_transfer(_ask(amount=200000))


def test_amount_one_fen_over_the_limit_is_refused() -> None:
    err = _refused(_ask(amount=200001))
    assert err.code == "TRANSFER_AMOUNT_OVER_LIMIT"
    assert err.params["limit"] == "2000.00"
    assert err.params["amount"] == "2000.01"
    assert "2000.00" in err.message
    assert "2000.01" in err.message
    assert "2000.00" in err.message_en
    assert "2000.01" in err.message_en


def test_regional_amount_limit_is_used() -> None:
    sender = _wallet("P-SENDER", policy=_policy({"wallet": {"max_transfer": "500.00"}}))
    check_transfer(_ask(sender=sender, amount=50000))
    err = _refused(_ask(sender=sender, amount=50001))
    assert err.code == "TRANSFER_AMOUNT_OVER_LIMIT"
    assert err.params["limit"] == "500.00"
    assert "500.00" in err.message_en


# -- daily count -------------------------------------------------------------------------------

def test_third_transfer_of_the_day_is_allowed() -> None:
    check_transfer(_ask(sent_today=2))


def test_fourth_transfer_of_the_day_is_refused() -> None:
    err = _refused(_ask(sent_today=3))
    assert err.code == "TRANSFER_DAILY_LIMIT"
    assert err.params["limit"] == 3
    assert err.params["sent"] == 3
    assert "at most 3 transfers a day; 3 sent today" in err.message_en


def test_regional_daily_count() -> None:
    sender = _wallet("P-SENDER", policy=_policy({"wallet": {"daily_transfer_count": 1}}))
    check_transfer(_ask(sender=sender, sent_today=0))
    assert _refused(_ask(sender=sender, sent_today=1)).code == "TRANSFER_DAILY_LIMIT"


# -- closed hours ------------------------------------------------------------------------------

@pytest.mark.parametrize("now", [
    shanghai(2026, 3, 10, 21, 59, 59),
    shanghai(2026, 3, 10, 6, 0, 0),
    shanghai(2026, 3, 10, 6, 0, 1),
])
def test_open_hours(now: datetime) -> None:
    check_transfer(_ask(now=now))


@pytest.mark.parametrize("now", [
    shanghai(2026, 3, 10, 22, 0, 0),
    shanghai(2026, 3, 10, 23, 59, 59),
    shanghai(2026, 3, 11, 0, 0, 0),
    shanghai(2026, 3, 11, 5, 59, 59),
])
def test_closed_hours(now: datetime) -> None:
    err = _refused(_ask(now=now))
    assert err.code == "TRANSFER_WINDOW_CLOSED"
    assert err.params["start"] == "22:00"
    assert err.params["end"] == "06:00"
    assert err.params["reopens"] == "2026-03-11 06:00:00"


def test_closed_hours_are_read_in_shanghai_time() -> None:
    # 14:00 UTC is 22:00 in Shanghai; 13:59:59 UTC is 21:59:59
    late = datetime(2026, 3, 10, 14, 0, 0, tzinfo=UTC)
    assert _refused(_ask(now=late)).code == "TRANSFER_WINDOW_CLOSED"
    check_transfer(_ask(now=datetime(2026, 3, 10, 13, 59, 59, tzinfo=UTC)))


def test_the_parties_come_first_then_the_closed_hours() -> None:
    # who may send to whom does not depend on the hour: said first (issue 17, point 6) ...
    night = shanghai(2026, 3, 10, 22, 0, 0)
    err = _refused(_ask(now=night, amount=999999, bound=False, sent_today=99))
    assert err.code == "TRANSFER_NOT_BOUND"
    # ... and among this transfer's limits the closed hours come first
    err = _refused(_ask(now=night, amount=999999, sent_today=99))
    assert err.code == "TRANSFER_WINDOW_CLOSED"


# -- wallets and regions -----------------------------------------------------------------------

def test_sender_wallet_not_open() -> None:
    err = _refused(_ask(sender=_wallet("P-SENDER", open_=False, place_policy=None)))
    assert err.code == "WALLET_NOT_OPEN"
    assert "sender" in err.message_en


def test_receiver_wallet_not_open() -> None:
    err = _refused(_ask(receiver=_wallet("P-RECEIVER", open_=False, place_policy=None)))
    assert err.code == "TRANSFER_RECEIVER_NO_WALLET"


def test_receiver_region_wallet_disabled() -> None:
    off = _policy({"wallet": {"enabled": False}})
    receiver = _wallet("P-RECEIVER", "440100", policy=off, place_policy=off)
    sender = _wallet("P-SENDER", "440300")  # same province: the cross-province rule is moot
    err = _refused(_ask(sender=sender, receiver=receiver))
    assert err.code == "WALLET_REGION_DISABLED"
    assert err.params["admdvs"] == "440100"
    assert "receiver" in err.message_en


def test_sender_region_wallet_disabled() -> None:
    off = _policy({"wallet": {"enabled": False}})
    err = _refused(_ask(sender=_wallet("P-SENDER", policy=off, place_policy=off)))
    assert err.code == "WALLET_REGION_DISABLED"
    assert err.params["admdvs"] == "510100"
    assert "sender" in err.message_en


def test_receiver_place_of_use_disabled_names_the_place() -> None:
    off = _policy({"wallet": {"enabled": False}})
    receiver = _wallet("P-RECEIVER", "510100", place_of_use="440100", place_policy=off)
    err = _refused(_ask(receiver=receiver))
    assert err.code == "WALLET_REGION_DISABLED"
    assert err.params["admdvs"] == "440100"


CLOSED_BORDERS = _policy({"wallet": {"cross_province_mutual_aid": False}})


@pytest.mark.parametrize("side", ["sender", "receiver"])
def test_cross_province_refused_when_one_side_is_not_in(side: str) -> None:
    sender_policy = CLOSED_BORDERS if side == "sender" else DEFAULT
    receiver_policy = CLOSED_BORDERS if side == "receiver" else DEFAULT
    sender = _wallet("P-SENDER", "510100", policy=sender_policy)
    receiver = _wallet("P-RECEIVER", "411300", policy=receiver_policy)
    err = _refused(_ask(sender=sender, receiver=receiver))
    assert err.code == "MUTUAL_AID_CROSS_PROVINCE_DISABLED"
    assert err.params["admdvs"] == ("510100" if side == "sender" else "411300")
    assert side in err.message_en


def test_cross_province_allowed_when_both_sides_are_in() -> None:
    check_transfer(_ask(sender=_wallet("P-SENDER", "510100"),
                        receiver=_wallet("P-RECEIVER", "411300")))


def test_same_province_ignores_the_cross_province_flag() -> None:
    sender = _wallet("P-SENDER", "510100", policy=CLOSED_BORDERS)
    receiver = _wallet("P-RECEIVER", "510700", policy=CLOSED_BORDERS)
    check_transfer(_ask(sender=sender, receiver=receiver))


# -- binding -----------------------------------------------------------------------------------

def test_not_bound_is_refused() -> None:
    assert _refused(_ask(bound=False)).code == "TRANSFER_NOT_BOUND"
    # a beneficiary sending on what a relative shared is told why it cannot be done
    assert _refused(_ask(bound=False, sender_is_beneficiary=True)).code == \
        "TRANSFER_QUOTA_NOT_TRANSFERABLE"
    check_transfer(_ask(sender_is_beneficiary=True))  # bound to the receiver as sponsor: fine


def test_unverified_relation_refused_where_required() -> None:
    strict = _policy({"mutual_aid": {"require_verified_relation": True}})
    sender = _wallet("P-SENDER", policy=strict)
    assert _refused(_ask(sender=sender, verified=False)).code == "BINDING_NOT_VERIFIED"
    check_transfer(_ask(sender=sender, verified=True))


def test_unverified_relation_fine_by_default() -> None:
    check_transfer(_ask(verified=False))


# -- pending -----------------------------------------------------------------------------------

def test_pending_transfer_to_the_receiver_is_refused() -> None:
    assert _refused(_ask(pending_to_receiver=True)).code == "TRANSFER_PENDING_EXISTS"


def test_pending_allowed_when_the_region_allows_several() -> None:
    lax = _policy({"wallet": {"one_pending_per_receiver": False}})
    check_transfer(_ask(sender=_wallet("P-SENDER", policy=lax), pending_to_receiver=True))


# -- annual cap --------------------------------------------------------------------------------

CAPPED = _policy({"wallet": {"annual_transfer_cap": "5000.00"}})


def test_annual_cap_reached_exactly_is_allowed() -> None:
    check_transfer(_ask(sender=_wallet("P-SENDER", policy=CAPPED), sent_this_year=400000,
                        amount=100000))


def test_annual_cap_one_fen_over_is_refused() -> None:
    err = _refused(_ask(sender=_wallet("P-SENDER", policy=CAPPED), sent_this_year=400000,
                        amount=100001))
    assert err.code == "TRANSFER_ANNUAL_CAP"
    assert err.params["limit"] == "5000.00"
    assert err.params["left"] == "1000.00"


def test_annual_cap_already_passed_leaves_zero() -> None:
    err = _refused(_ask(sender=_wallet("P-SENDER", policy=CAPPED), sent_this_year=500000,
                        amount=1))
    assert err.code == "TRANSFER_ANNUAL_CAP"
    assert err.params["left"] == "0.00"


def test_no_annual_cap_by_default() -> None:
    check_transfer(_ask(sent_this_year=10**9, amount=200000))


# -- balance -----------------------------------------------------------------------------------

def test_balance_equal_to_amount_is_enough() -> None:
    check_transfer(_ask(amount=100000, sponsor_balance=100000))


def test_insufficient_funds() -> None:
    err = _refused(_ask(amount=100000, sponsor_balance=99999))
    assert err.code == "INSUFFICIENT_FUNDS"
    assert err.params["available"] == "999.99"
    assert err.params["required"] == "1000.00"


KEEP_100 = _policy({"mutual_aid": {"min_sponsor_balance": "100.00"}})


def test_min_sponsor_balance_left_exactly() -> None:
    check_transfer(_ask(sender=_wallet("P-SENDER", policy=KEEP_100), amount=100000,
                        sponsor_balance=110000))


def test_min_sponsor_balance_one_fen_short() -> None:
    err = _refused(_ask(sender=_wallet("P-SENDER", policy=KEEP_100), amount=100000,
                        sponsor_balance=109999))
    assert err.code == "MIN_SPONSOR_BALANCE"
    assert err.params["keep"] == "100.00"
    assert err.params["available"] == "999.99"


def test_min_sponsor_balance_below_the_minimum_already() -> None:
    err = _refused(_ask(sender=_wallet("P-SENDER", policy=KEEP_100), amount=100,
                        sponsor_balance=5000))
    assert err.code == "MIN_SPONSOR_BALANCE"
    assert err.params["available"] == "0.00"


# -- accept deadline ---------------------------------------------------------------------------

@pytest.mark.parametrize(("sent", "deadline"), [
    (shanghai(2026, 3, 10, 21, 59, 59), shanghai(2026, 3, 11, 6, 0, 0)),
    (shanghai(2026, 3, 10, 6, 0, 0), shanghai(2026, 3, 11, 6, 0, 0)),
    (shanghai(2026, 3, 10, 12, 0, 0), shanghai(2026, 3, 11, 6, 0, 0)),
    (shanghai(2026, 12, 31, 21, 0, 0), shanghai(2027, 1, 1, 6, 0, 0)),
    (shanghai(2028, 2, 28, 21, 0, 0), shanghai(2028, 2, 29, 6, 0, 0)),
])
def test_accept_deadline(sent: datetime, deadline: datetime) -> None:
    assert accept_deadline(sent, DEFAULT) == deadline


def test_accept_deadline_follows_the_policy() -> None:
    later = _policy({"wallet": {"accept_deadline": "08:30"}})
    assert accept_deadline(shanghai(2026, 3, 10, 12, 0, 0), later) == \
        shanghai(2026, 3, 11, 8, 30, 0)
    assert accept_deadline(shanghai(2026, 3, 10, 8, 0, 0), later) == \
        shanghai(2026, 3, 10, 8, 30, 0)
