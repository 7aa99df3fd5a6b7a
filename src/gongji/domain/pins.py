"""Payment PINs (支付密码): what a PIN may be, and what a wrong one costs."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from gongji.domain.errors import GongjiError
from gongji.domain.policy import PinRules


def check_format(pin: str, rules: PinRules) -> None:
    """The region's length of digits, and not one a stranger guesses first: all one digit,
    or a run up or down (123456, 654321)."""
    if not isinstance(pin, str) or len(pin) != rules.length or not pin.isascii() \
            or not pin.isdigit():
        raise GongjiError("PIN_FORMAT", length=rules.length)
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}):
        raise GongjiError("PIN_WEAK")


def after_failure(failed: int, rules: PinRules, now: datetime) -> tuple[int, datetime | None]:
    """With `failed` wrong PINs in a row: how many tries are left, and until when the PIN is
    locked once none are."""
    if failed >= rules.max_attempts:
        return 0, now + timedelta(minutes=rules.lockout_minutes)
    return rules.max_attempts - failed, None
