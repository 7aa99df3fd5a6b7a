"""PIN guessing in parallel: 39 wrong PINs and the right one sent at the same moment. The
promise holds as if they came one by one: at most 5 wrong answers before the lock (the right
PIN, if it comes first, clears the count: at most 4 before it and 5 after), and nothing
accepted once locked."""

from __future__ import annotations

from collections import Counter

from gongji.domain.errors import GongjiError
from gongji.services.pins import service as pins
from gongji.services.runtime import Gongji
from gongji.services.transfers import service as transfers
from gongji.services.wallet import service as wallet
from tests.conftest import OPERATOR
from tests.family import PIN, key, make_family
from tests.races.barrier import together

ATTEMPTS = 40
RIGHT_AT = 25
MAX_WRONG = 5


def test_forty_parallel_pin_guesses(app: Gongji) -> None:
    fam = make_family(app)
    fam.open_wallet("张伟")
    fam.open_wallet("王芳")
    fam.bind("张伟", "王芳", "spouse")
    zw = fam["张伟"]
    start = wallet.get(app, OPERATOR, zw.psn_no).personal_account

    def attempt(i: int) -> str:
        pin = PIN if i == RIGHT_AT else f"{246801 + 2 * i:06d}"
        try:
            transfers.send(app, zw.who, key("t"),
                           transfers.SendTransfer(fam["王芳"].psn_no, 10_00), pin)
            return "accepted"
        except GongjiError as e:
            return e.code

    outcomes = Counter(together(*[lambda i=i: attempt(i) for i in range(ATTEMPTS)]))  # type: ignore[misc]
    assert set(outcomes) <= {"accepted", "PIN_WRONG", "PIN_LOCKED", "PIN_BUSY"}, outcomes
    # the right PIN clears the count: wrong ones before it stayed under the lock (else it
    # could not have been accepted), and the ones after it count afresh
    assert outcomes["accepted"] <= 1, outcomes
    most = 2 * MAX_WRONG - 1 if outcomes["accepted"] else MAX_WRONG
    assert outcomes["PIN_WRONG"] <= most, outcomes
    moved = start - wallet.get(app, OPERATOR, zw.psn_no).personal_account
    assert moved == 10_00 * outcomes["accepted"]
    # afterwards, sequentially: locked stays locked even for the right PIN
    for _ in range(MAX_WRONG):
        try:
            pins.verify(app, zw.psn_no, "975310")
        except GongjiError as e:
            assert e.code in ("PIN_WRONG", "PIN_LOCKED")
    try:
        pins.verify(app, zw.psn_no, PIN)
        raise AssertionError("the right PIN was accepted by a locked account")
    except GongjiError as e:
        assert e.code == "PIN_LOCKED"
