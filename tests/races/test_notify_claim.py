"""Deliverers at once (the loop of every worker of `serve --workers N`): each due notification
is claimed by one of them, so it is POSTed exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from gongji.services.notify import service as notify
from gongji.services.notify.model import DeliveryReport
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM, UnitOfWork
from tests.payorders import make_order
from tests.races.barrier import together

ROWS = 60


def queue(app: Gongji, n: int) -> set[str]:
    order = make_order(app)

    def work(uow: UnitOfWork) -> set[str]:
        return {notify.enqueue_in(uow, pay_ord_id=order, fixmedins_code="H51010000001",
                                  url="http://127.0.0.1:9/notify", event={"ordStas": "2"})
                for _ in range(n)}

    return app.transact(SYSTEM, work)


@pytest.mark.parametrize("deliverers", [2, 40])
def test_each_row_is_posted_once(app: Gongji, deliverers: int) -> None:
    ids = queue(app, ROWS)
    posted: list[str] = []
    lock = threading.Lock()

    def post(_url: str, _body: bytes, headers: dict[str, str]) -> int:
        time.sleep(0.002)  # an answer takes a moment: the others are claiming meanwhile
        with lock:
            posted.append(headers["X-Gongji-Notify-Id"])
        return 200

    reports = together(*[lambda: notify.deliver_due(app, post=post)
                         for _ in range(deliverers)])
    assert all(isinstance(r, DeliveryReport) for r in reports), reports
    assert Counter(posted) == Counter(ids)  # every row, each once
    assert sum(r.delivered for r in reports) == ROWS
    assert notify.deliver_due(app, post=post).claimed == 0
