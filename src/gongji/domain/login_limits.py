"""How many one-time login codes may be asked for, and wrong ones typed, in one business day.

Five wrong tries lock one code (the policy's otp_max_attempts), but a new code may be asked
for every minute: without a count over the day anyone could go on guessing five codes a
minute for a person. The day is the Asia/Shanghai calendar day of the business clock; counts
start again at 00:00:00.

Counted twice: per ID number typed (whether or not anyone has it, so that the answer says
nothing about who is registered) and per client address (one address trying many numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gongji.domain.clock import business_date, start_of_day


@dataclass(frozen=True, slots=True)
class DailyLimit:
    codes: int
    """One-time codes sent in a business day."""
    wrong: int
    """Wrong codes typed in a business day."""


@dataclass(frozen=True, slots=True)
class Counts:
    """What one ID number, or one address, has done today."""

    sent: int = 0
    wrong: int = 0


PER_PERSON = DailyLimit(codes=10, wrong=10)
"""Per ID number: ten codes, and two codes' worth of wrong tries."""
PER_ADDRESS = DailyLimit(codes=200, wrong=200)
"""Per client address: enough for a family, a pharmacy's counter or a carrier's NAT; behind a
reverse proxy this needs the proxy to be trusted (GONGJI_TRUSTED_PROXIES), or every person
counts against the proxy's address."""


def may_send(counts: Counts, limit: DailyLimit) -> bool:
    """Another code may be sent: the day's codes and wrong tries are both under the limit (a
    number whose wrong tries are used up gets no new code to guess)."""
    return counts.sent < limit.codes and counts.wrong < limit.wrong


def may_try(counts: Counts, limit: DailyLimit) -> bool:
    """A code may be checked: the day's wrong tries are under the limit."""
    return counts.wrong < limit.wrong


def day_of(at: datetime) -> date:
    """The business day an attempt counts on."""
    return business_date(at)


def next_day(at: datetime) -> datetime:
    """When the counts of `at`'s day no longer apply: the next 00:00:00 in Shanghai."""
    return start_of_day(start_of_day(at) + timedelta(hours=36))
