"""Late resident contributions at once (issue 17, point 9): twenty payments of one person's
late 2027 contribution, each under its own key, take the money once and record one waiting
period; the rest are told the year is paid."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.errors import GongjiError
from gongji.services.contributions import service as contributions
from gongji.services.contributions.service import PayContribution
from gongji.services.runtime import Gongji
from gongji.services.wallet import service as wallet
from tests.conftest import OPERATOR
from tests.family import PIN, key, make_family
from tests.races.barrier import together

AT_ONCE = 20


def test_twenty_late_payments_of_one_year_at_once(app: Gongji, clock: FixedClock) -> None:
    fam = make_family(app)
    fam.bind("张伟", "张小宝", "child")  # his son, in Chengdu too: from his account
    before = wallet.get(app, OPERATOR, fam["张伟"].psn_no).personal_account
    clock.set(shanghai(2027, 2, 10, 9, 0, 0))
    cmd = PayContribution(fam["张小宝"].psn_no, "390", 2027, "personal")

    def pay() -> Any:
        return contributions.pay(app, fam["张伟"].who, key("late"), cmd, PIN).value

    results = together(*[pay for _ in range(AT_ONCE)])
    out = Counter(r.code if isinstance(r, GongjiError) else "paid" for r in results)
    assert not any(isinstance(r, BaseException) and not isinstance(r, GongjiError)
                   for r in results), results
    assert out["paid"] == 1, out
    assert set(out) <= {"paid", "CONTRIBUTION_ALREADY_PAID", "PIN_BUSY"}, out
    paid = contributions.list_for(app, OPERATOR, fam["张小宝"].psn_no)
    assert [c.benefits_from for c in paid] == [date(2027, 5, 10)]
    assert wallet.get(app, OPERATOR, fam["张伟"].psn_no).personal_account == before - 400_00
