"""Notifications to institutions: queued in the caller's transaction, POSTed signed, retried
on the schedule (not before, at the second), given up after it; seen by operators and the
order's institution; received by a real HTTP server that checks the signature."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gongji.client.notify import verify_signature
from gongji.domain.clock import FixedClock
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan
from gongji.domain.notify import MAX_ATTEMPTS, RETRY_SECONDS
from gongji.services.notify import service as notify
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork
from tests.conftest import OPERATOR
from tests.payorders import HOSPITAL, OTHER, make_order

URL = "https://his.example.cn/pay/notify"


class Receiver:
    """A fake institution: answers with the given statuses in turn (the last one after)."""

    def __init__(self, *statuses: int | Exception) -> None:
        self.statuses = list(statuses) or [200]
        self.got: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.got.append((url, body, headers))
        answer = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def queue(app: Gongji, order: str, fixmedins_code: str = HOSPITAL, url: str = URL,
          **event: object) -> str:
    def work(uow: UnitOfWork) -> str:
        return notify.enqueue_in(uow, pay_ord_id=order, fixmedins_code=fixmedins_code,
                                 url=url, event=event or {"ordStas": "2"})

    return app.transact(SYSTEM, work)


def one(app: Gongji, order: str) -> notify.NotificationView:
    [view] = notify.list_for(app, OPERATOR, order)
    return view


def test_delivered_on_2xx_with_signed_headers(app: Gongji) -> None:
    order = make_order(app)
    nid = queue(app, order, medOrgOrd="MO1", ordStas="2", feeSumamt=format_yuan(12_30))
    got = Receiver(204)
    report = notify.deliver_due(app, post=got)
    assert (report.claimed, report.delivered, report.failed, report.gave_up) == (1, 1, 0, 0)
    [(url, body, headers)] = got.got
    assert url == URL
    assert json.loads(body) == {"notifyId": nid, "payOrdId": order, "medOrgOrd": "MO1",
                                "ordStas": "2", "feeSumamt": "12.30"}
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Gongji-Notify-Id"] == nid
    assert abs(int(headers["X-Gongji-Timestamp"]) - int(app.wall.now().timestamp())) <= 5
    view = one(app, order)
    assert view.delivered_at == app.clock.now() and view.attempts == 1
    assert view.next_at is None and view.last_error is None and not view.gave_up
    assert notify.deliver_due(app, post=got).claimed == 0  # delivered: never again


def test_signature_verifies_with_the_institutions_key_only(app: Gongji) -> None:
    order = make_order(app)
    queue(app, order)
    got = Receiver()
    notify.deliver_due(app, post=got)
    [(_, body, h)] = got.got
    ts, nid, sig = h["X-Gongji-Timestamp"], h["X-Gongji-Notify-Id"], h["X-Gongji-Signature"]
    key = notify.pay_key(app, HOSPITAL)
    assert len(key) == 64 and key == notify.pay_key(app, HOSPITAL)
    assert verify_signature(key, ts, nid, body, sig)
    assert not verify_signature(notify.pay_key(app, OTHER), ts, nid, body, sig)
    assert not verify_signature(key, ts, nid, body.replace(b'"2"', b'"3"'), sig)


def test_500_is_retried_at_next_at_not_before(app: Gongji, clock: FixedClock) -> None:
    order = make_order(app)
    nid = queue(app, order)
    got = Receiver(500, 200)
    report = notify.deliver_due(app, post=got)
    assert (report.delivered, report.failed) == (0, 1)
    failed_at = clock.now()
    view = one(app, order)
    assert view.attempts == 1 and view.last_error == "HTTP 500" and view.delivered_at is None
    assert view.next_at == failed_at + timedelta(seconds=15)
    clock.advance(timedelta(seconds=14, microseconds=999_999))
    assert notify.deliver_due(app, post=got).claimed == 0  # not before
    clock.advance(timedelta(microseconds=1))
    assert notify.deliver_due(app, post=got).delivered == 1  # at the second
    # the same notification both times: the institution deduplicates by notifyId
    first, second = got.got
    assert first[1] == second[1] and json.loads(second[1])["notifyId"] == nid
    assert first[2]["X-Gongji-Notify-Id"] == second[2]["X-Gongji-Notify-Id"] == nid
    view = one(app, order)
    assert view.attempts == 2 and view.delivered_at == clock.now() and view.last_error is None


def test_no_answer_is_a_failure_too(app: Gongji, clock: FixedClock) -> None:
    order = make_order(app)
    queue(app, order)
    notify.deliver_due(app, post=Receiver(ConnectionRefusedError("refused")))
    view = one(app, order)
    assert view.last_error == "no answer: ConnectionRefusedError" and view.attempts == 1
    clock.advance(timedelta(seconds=15))
    notify.deliver_due(app, post=Receiver(301))
    assert one(app, order).last_error == "HTTP 301"
    assert one(app, order).next_at == clock.now() + timedelta(seconds=15)


def test_given_up_after_the_schedule(app: Gongji, clock: FixedClock) -> None:
    order = make_order(app)
    queue(app, order)
    got = Receiver(503)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = notify.deliver_due(app, post=got)
        assert report.claimed == 1, attempt
        view = one(app, order)
        assert view.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert view.next_at is not None
            waits.append(int((view.next_at - clock.now()).total_seconds()))
            clock.set(view.next_at)
    assert waits == list(RETRY_SECONDS)
    assert report.gave_up == 1
    view = one(app, order)
    assert view.gave_up and view.next_at is None and view.delivered_at is None
    assert view.last_error == "gave up (HTTP 503)"
    clock.advance(timedelta(days=365))
    assert notify.deliver_due(app, post=got).claimed == 0
    assert len(got.got) == MAX_ATTEMPTS


def test_a_limit_per_round(app: Gongji) -> None:
    order = make_order(app)
    for _ in range(25):
        queue(app, order)
    got = Receiver()
    assert notify.deliver_due(app, post=got, limit=12).delivered == 12
    assert notify.deliver_due(app, post=got).delivered == 13
    assert len({h["X-Gongji-Notify-Id"] for _, _, h in got.got}) == 25


def test_queued_with_the_callers_transaction(app: Gongji) -> None:
    order = make_order(app)

    def work(uow: UnitOfWork) -> None:
        notify.enqueue_in(uow, pay_ord_id=order, fixmedins_code=HOSPITAL, url=URL,
                          event={"ordStas": "2"})
        raise GongjiError("FORBIDDEN")

    with pytest.raises(GongjiError):
        app.transact(SYSTEM, work)
    assert notify.list_for(app, OPERATOR, order) == []


@pytest.mark.parametrize("event", [{"feeSumamt": 12.3}, {"lines": [{"amt": 0.1}]},
                                   {"notifyId": "mine"}, {"payOrdId": "x"}])
def test_events_carry_no_floats_and_no_ids_of_their_own(app: Gongji, event: dict[str, object]
                                                        ) -> None:
    order = make_order(app)
    with pytest.raises(ValueError):
        queue(app, order, **event)


@pytest.mark.parametrize("url", ["ftp://his/notify", "his.example.cn/notify",
                                 "https://his.example.cn/" + "x" * 300])
def test_notify_urls_are_http(app: Gongji, url: str) -> None:
    order = make_order(app)
    with pytest.raises(ValueError):
        queue(app, order, url=url)


def test_who_may_see_an_orders_notifications(app: Gongji) -> None:
    order = make_order(app, HOSPITAL)
    queue(app, order)
    assert len(notify.list_for(app, Principal("institution", HOSPITAL), order)) == 1
    with pytest.raises(GongjiError) as e:
        notify.list_for(app, Principal("institution", OTHER), order)
    assert e.value.code == "NOT_FOUND"
    with pytest.raises(GongjiError) as e:
        notify.list_for(app, OPERATOR, "ORD-none")
    assert e.value.code == "NOT_FOUND"
    with pytest.raises(GongjiError) as e:
        notify.list_for(app, Principal("person", "P1"), order)
    assert e.value.code == "FORBIDDEN"


# -- a real receiver on 127.0.0.1 -------------------------------------------------------------

@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, object]], dict[str, str]]]:
    """An institution's notify endpoint: checks the signature with its pay key (set by the
    test in `keys`), keeps what it accepted (by notifyId), 401 otherwise."""
    accepted: list[dict[str, object]] = []
    keys: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = verify_signature(keys["key"], self.headers["X-Gongji-Timestamp"],
                                  self.headers["X-Gongji-Notify-Id"], body,
                                  self.headers["X-Gongji-Signature"])
            if ok:
                note = json.loads(body)
                if note["notifyId"] not in {a["notifyId"] for a in accepted}:
                    accepted.append(note)
            self.send_response(200 if ok else 401)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/notify", accepted, keys
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_real_receiver_verifies_and_accepts(
        app: Gongji, receiver: tuple[str, list[dict[str, object]], dict[str, str]]) -> None:
    url, accepted, keys = receiver
    order = make_order(app)
    keys["key"] = notify.pay_key(app, OTHER)  # the wrong key: refused, retried later
    nid = queue(app, order, url=url, ordStas="2", feeSumamt="12.30")
    report = notify.deliver_due(app)
    assert report.failed == 1 and one(app, order).last_error == "HTTP 401"
    keys["key"] = notify.pay_key(app, HOSPITAL)
    assert isinstance(app.clock, FixedClock)
    app.clock.advance(timedelta(seconds=15))
    assert notify.deliver_due(app).delivered == 1
    assert accepted == [{"notifyId": nid, "payOrdId": order, "ordStas": "2",
                         "feeSumamt": "12.30"}]
    assert one(app, order).delivered_at is not None


def test_nobody_listening(app: Gongji) -> None:
    order = make_order(app)
    queue(app, order, url="http://127.0.0.1:9/notify")  # discard port: refused at once
    assert notify.deliver_due(app).failed == 1
    assert (one(app, order).last_error or "").startswith("no answer: ")
