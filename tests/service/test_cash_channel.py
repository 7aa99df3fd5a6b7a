"""The sandbox payment channel: each mode, refunds, idempotency by request id, its book kept
in the database (a new channel over the same database answers the same); and gongji's own
record of requests (cashpay.store) the order's core writes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gongji.domain.ids import new_id
from gongji.services.cashpay import store
from gongji.services.cashpay.model import ChannelResult
from gongji.services.cashpay.service import SandboxChannel, next_outcome
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.payorders import make_order


def pay(ch: SandboxChannel, amount: int = 12_30, description: str = "药品",
        rid: str | None = None) -> tuple[str, ChannelResult]:
    rid = rid or new_id()
    return rid, ch.pay(rid, amount, pay_ord_id="ORD1", description=description)


def test_the_default_channel_of_the_services_is_the_sandbox(app: Gongji) -> None:
    assert isinstance(app.cash, SandboxChannel) and app.cash.name == "sandbox"
    other = SandboxChannel(app)
    assert Gongji(app.db, app.clock, cash=other).cash is other


def test_pay(app: Gongji) -> None:
    ch = SandboxChannel(app)
    rid, r = pay(ch)
    assert r.state == "paid" and r.channel_ref
    assert ch.query(rid) == r


def test_fail(app: Gongji) -> None:
    ch = SandboxChannel(app)
    ch.set_mode("fail")
    rid, r = pay(ch)
    assert r.state == "failed" and r.channel_ref is None and r.reason
    assert ch.query(rid).state == "failed"


def test_timeout_then_query_says_failed(app: Gongji) -> None:
    ch = SandboxChannel(app)
    ch.set_mode("timeout")
    rid, r = pay(ch)
    assert r.state == "unknown"
    assert ch.query(rid).state == "failed"
    # the same request again: the final answer, not a new payment
    assert ch.pay(rid, 12_30, pay_ord_id="ORD1", description="药品").state == "failed"


def test_late_then_query_says_paid(app: Gongji) -> None:
    ch = SandboxChannel(app)
    ch.set_mode("late")
    rid, r = pay(ch)
    assert r.state == "unknown"
    q = ch.query(rid)
    assert q.state == "paid" and q.channel_ref
    assert ch.refund(new_id(), rid, 12_30).state == "paid"  # arrived late: refundable


def test_a_marker_in_the_description_wins(app: Gongji) -> None:
    ch = SandboxChannel(app)
    ch.set_mode("fail")
    next_outcome(app, "late")
    assert pay(ch, description="药品 [sandbox:pay]")[1].state == "paid"
    assert pay(ch, description="[sandbox:timeout]")[1].state == "unknown"
    # the queued outcome was left for the next unmarked payment, then the mode again
    rid, r = pay(ch)
    assert r.state == "unknown" and ch.query(rid).state == "paid"
    assert pay(ch)[1].state == "failed"


def test_queued_outcomes_are_taken_in_order_by_any_channel(app: Gongji) -> None:
    next_outcome(app, "fail", "timeout")
    one, two = SandboxChannel(app), SandboxChannel(app.db)
    assert pay(one)[1].state == "failed"
    assert pay(two)[1].state == "unknown"
    assert pay(one)[1].state == "paid"
    next_outcome(app, "fail", "fail")
    next_outcome(app)  # cleared
    assert pay(two)[1].state == "paid"
    with pytest.raises(ValueError):
        next_outcome(app, "maybe")
    with pytest.raises(ValueError):
        one.set_mode("maybe")


def test_refunds_add_up_to_what_was_paid_and_are_idempotent_by_request_id(app: Gongji
                                                                         ) -> None:
    ch = SandboxChannel(app)
    rid, _ = pay(ch, 50_00)
    refund_id = new_id()
    first = ch.refund(refund_id, rid, 20_00)  # a part (the lines a person sends back)
    assert first.state == "paid" and first.channel_ref
    assert ch.refund(refund_id, rid, 20_00) == first
    assert ch.query(refund_id) == first
    assert ch.refund(new_id(), rid, 30_01).reason == "more than was paid"
    assert ch.refund(new_id(), rid, 30_00).state == "paid"  # the rest
    # nothing is left to give back
    assert ch.refund(new_id(), rid, 1).reason == "more than was paid"
    assert ch.query(rid).state == "paid"  # the payment itself did happen


def test_refunds_that_cannot_be(app: Gongji) -> None:
    ch = SandboxChannel(app)
    ch.set_mode("fail")
    failed, _ = pay(ch)
    ch.set_mode("timeout")
    lost, _ = pay(ch)
    ch.set_mode("pay")
    paid, _ = pay(ch, 10_00)
    assert ch.refund(new_id(), failed, 12_30).state == "failed"
    assert ch.refund(new_id(), lost, 12_30).state == "failed"
    assert ch.refund(new_id(), "no-such-request", 12_30).state == "failed"
    assert ch.refund(new_id(), paid, 10_01).reason == "more than was paid"
    assert ch.query("never-asked").state == "failed"


def test_pay_is_idempotent_by_request_id(app: Gongji) -> None:
    ch = SandboxChannel(app)
    rid, r = pay(ch)
    ch.set_mode("fail")
    assert pay(ch, rid=rid)[1] == r
    with pytest.raises(ValueError):
        pay(ch, 99_99, rid=rid)  # the same id for another amount is the caller's bug
    with pytest.raises(ValueError):
        ch.refund(rid, rid, 12_30)


@pytest.mark.parametrize("amount", [0, -1, True, 12.3])
def test_amounts_are_positive_integer_fen(app: Gongji, amount: object) -> None:
    with pytest.raises(ValueError):
        SandboxChannel(app).pay(new_id(), amount, pay_ord_id="ORD1",  # type: ignore[arg-type]
                                description="")


def test_the_book_survives_a_new_channel(app: Gongji, database: Database) -> None:
    ch = SandboxChannel(app)
    ch.set_mode("late")
    late, _ = pay(ch)
    ch.set_mode("timeout")
    lost, _ = pay(ch)
    ch.set_mode("pay")
    paid, _ = pay(ch)
    refund = new_id()
    ch.refund(refund, paid, 12_30)
    fresh = SandboxChannel(Database(database.url))  # as after a restart, or another process
    try:
        assert fresh.mode == "pay"
        assert fresh.query(late).state == "paid"
        assert fresh.query(lost).state == "failed"
        assert fresh.query(paid).state == "paid"
        assert fresh.query(refund).state == "paid"
        assert fresh.refund(new_id(), paid, 12_30).reason == "more than was paid"
    finally:
        fresh.db.dispose()


def test_gongjis_record_of_requests(app: Gongji) -> None:
    order = make_order(app)
    other = make_order(app)
    t0 = app.clock.now()
    with app.db.begin() as conn:
        store.add_request(conn, id="r1", pay_ord_id=order, kind="pay", amount=12_30,
                          channel="sandbox", at=t0)
        store.add_request(conn, id="r2", pay_ord_id=order, kind="pay", amount=12_30,
                          channel="sandbox", at=t0 + timedelta(seconds=1))
        store.add_request(conn, id="r3", pay_ord_id=other, kind="pay", amount=5_00,
                          channel="sandbox", at=t0)
        assert store.set_state(conn, "r1", "unknown", None, t0 + timedelta(seconds=2))
        assert store.set_state(conn, "r3", "paid", "sbx-r3", t0 + timedelta(seconds=2))
        assert not store.set_state(conn, "nope", "paid", None, t0)
    with app.db.read() as conn:
        mine = store.requests_of(conn, order)
        assert [(r.id, r.state, r.amount) for r in mine] == [("r1", "unknown", 12_30),
                                                             ("r2", "pending", 12_30)]
        assert store.requests_of(conn, other)[0].channel_ref == "sbx-r3"
        assert [r.id for r in store.pending(conn, t0 + timedelta(seconds=2))] == ["r2", "r1"]
        assert [r.id for r in store.pending(conn, t0)] == []
        assert [r.id for r in store.pending(conn, t0 + timedelta(seconds=1))] == ["r2"]
