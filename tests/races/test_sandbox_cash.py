"""The sandbox channel under concurrent calls: one request_id is booked once, and each queued
outcome is taken by exactly one payment."""

from __future__ import annotations

from collections import Counter

from gongji.domain.ids import new_id
from gongji.services.cashpay.model import ChannelResult
from gongji.services.cashpay.service import SandboxChannel, next_outcome
from gongji.services.runtime import Gongji
from gongji.store.tables import sandbox_cash
from tests.races.barrier import together


def test_one_request_id_at_once_is_booked_once(app: Gongji) -> None:
    ch = SandboxChannel(app)
    rid = new_id()
    answers = together(*[lambda: ch.pay(rid, 12_30, pay_ord_id="ORD1", description="")
                         for _ in range(20)])
    assert all(isinstance(a, ChannelResult) for a in answers), answers
    assert len(set(answers)) == 1 and answers[0].state == "paid"
    refund = new_id()
    refunds = together(*[lambda: ch.refund(refund, rid, 12_30) for _ in range(20)])
    assert len(set(refunds)) == 1 and refunds[0].state == "paid", refunds
    with app.db.read() as conn:
        assert conn.execute(sandbox_cash.select()).all().__len__() == 2


def test_each_queued_outcome_is_taken_once(app: Gongji) -> None:
    ch = SandboxChannel(app)
    next_outcome(app, *["fail"] * 5)
    answers = together(*[lambda: ch.pay(new_id(), 1_00, pay_ord_id="ORD1", description="")
                         for _ in range(20)])
    assert all(isinstance(a, ChannelResult) for a in answers), answers
    assert Counter(a.state for a in answers) == {"failed": 5, "paid": 15}
