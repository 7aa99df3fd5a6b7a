"""The console's online orders (issue 19): operators see each order's state and split, its
requests to the payment channel and its notifications (delivered, retrying), and can run the
reconciliation, which finishes an order left paying."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.services.cashpay import service as channel
from gongji.services.mobilepay import service as mp
from gongji.services.mobilepay.model import Pay
from gongji.services.notify import service as notify
from gongji.services.runtime import Gongji
from tests.clinic import HENAN_PHARMACY, Clinic, open_clinic
from tests.family import make_family
from tests.service.test_mobile_pay import authorize, ready, upload
from tests.web.test_console_pages import TOKEN, log_in


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    return ready(open_clinic(make_family(app)))


@pytest.fixture
def client(clinic: Clinic) -> Iterator[TestClient]:
    web = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token=TOKEN))
    with TestClient(web, raise_server_exceptions=False) as c:
        yield c


def test_operators_follow_orders_and_reconcile(client: TestClient, clinic: Clinic) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic, "WX-OK")
    ok = upload(clinic, a, "WX-OK")
    mp.pay(app, inst, Pay(a, ok.pay_ord_id, ok.pay_token or ""))
    notify.deliver_due(app, post=lambda url, body, headers: 503)  # the pharmacy is down
    b = authorize(clinic, "WX-LEFT")
    left = upload(clinic, b, "WX-LEFT")
    real = app.cash.pay
    app.cash.pay = lambda *_a, **_k: (_ for _ in ()).throw(KeyboardInterrupt)  # type: ignore
    channel.next_outcome(app, "pay")
    with pytest.raises(KeyboardInterrupt):
        mp.pay(app, inst, Pay(b, left.pay_ord_id, left.pay_token or ""))
    app.cash.pay = real  # type: ignore[method-assign]
    token = log_in(client)
    page = client.get("/console/orders").text
    assert ok.pay_ord_id in page and left.pay_ord_id in page
    assert "结算完成" in page and "结算中" in page and "重试中（已试 1 次）" in page
    assert "HTTP 503" in page
    assert clinic.fam["李秀英"].name not in page and clinic.fam["李秀英"].certno not in page
    r = client.post("/console/orders/reconcile", data={"csrf": token, "key": "k-r"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/console/orders").text
    assert "对账完成：处理了 1 个订单" in page
    assert "结算中" not in page.split("</h1>", 1)[1].split("立即对账")[1]
    assert mp.query(app, inst, left.pay_ord_id).ord_stas == "15"  # never reached the channel
