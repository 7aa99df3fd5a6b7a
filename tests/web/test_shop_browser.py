"""网上购药 in Chromium at 390 x 844 on a real `gongji demo` (issue 19, point 7): 张伟 binds his
mother, sends her quota and holds a proxy for her; he orders her medicine at the demo's online
pharmacy (her prescription drug and an OTC one), sees the split before his PIN, pays, reads the
order with every yuan explained, ships it (sandbox), checks a box's trace code on /trace,
asks a refund and sees it all back; a cash failure is said plainly. Saved as
portal-shop-*.png (kept in docs/screenshots/ with GONGJI_UPDATE_DOCS=1)."""

from __future__ import annotations

from typing import Any

import pytest

from gongji.domain.money import parse_yuan
from gongji.services.shop.model import MENU, RX_DRUG
from tests.web.conftest import DemoServer, keep_in_docs, new_page, no_sideways_scroll, shot
from tests.web.test_a11y import audit
from tests.web.test_portal import click, send, submit
from tests.web.tour import bound

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
PIN = "135790"
BANLANGEN = MENU[1][0]


def checked(page: Any, name: str, problems: list[str]) -> None:
    """axe (serious or critical), tap targets under 44 x 44 px, sideways scroll: noted."""
    audit(page, name, problems)


def fen(page: Any, selector: str) -> int:
    return parse_yuan(page.locator(selector).inner_text().strip(), allow_zero=True)


def ready(server: DemoServer, son: Any, mother: Any) -> None:
    """Bound; 30.00 of quota sent and accepted; 张伟 holds a proxy for his mother."""
    bound(server, son, mother)
    son.goto(f"{server.base}/transfer")
    send(son, "李**", "30.00")
    mother.goto(f"{server.base}/")
    click(mother, mother.locator("div.transfer form[action$='/accept'] button"))
    son.goto(f"{server.base}/more")
    son.select_option("#p_relation", "parent")
    son.select_option("#p_demo", "xiuying")
    submit(son, "/more/proxy")
    mother.goto(f"{server.base}/")
    click(mother, mother.locator("div.pending-proxy form[action='/more/proxy-approve'] button"))


def quota_left(page: Any, server: DemoServer) -> str:
    page.goto(f"{server.base}/")
    return page.locator("main").inner_text()


def order(son: Any, server: DemoServer, *, cash: str = "pay", shots: bool = False) -> None:
    son.goto(f"{server.base}/more")
    click(son, son.locator("#to-shop"))
    assert son.url == f"{server.base}/shop"
    son.select_option("#psn_no", label="李**")
    son.select_option(f"#qty_{RX_DRUG}", "2")
    son.select_option(f"#qty_{BANLANGEN}", "1")
    son.select_option("#cash", cash)
    if shots:
        keep_in_docs(shot(son, "portal-shop-zh"), "portal-shop-zh.png")
    click(son, son.locator("#checkout"))
    assert son.url.endswith("/shop/confirm"), son.locator("main").inner_text()


def test_the_son_orders_for_his_mother(server: DemoServer, browser: Any) -> None:
    son, mother = new_page(browser, viewport=PHONE_390), new_page(browser, viewport=PHONE_390)
    problems: list[str] = []
    try:
        ready(server, son, mother)
        # a prescription drug for himself: refused with the reason, beside its quantity
        son.goto(f"{server.base}/shop")
        assert son.locator(".badge", has_text="非处方药").count() == 4
        assert son.locator("p.rx").inner_text().startswith("李**")
        son.select_option(f"#qty_{RX_DRUG}", "1")
        click(son, son.locator("#checkout"))
        assert "须凭电子处方购买" in son.locator(f"#qty_{RX_DRUG}-error").inner_text()
        shot(son, "portal-shop-refused-zh")
        checked(son, "/shop refused", problems)

        order(son, server, shots=True)
        split = {k: fen(son, f"#split-{k}") for k in ("fund", "acct", "quota", "cash",
                                                      "total")}
        assert split["total"] == 2 * 26_80 + 11_50 == fen(son, "#total")
        assert split["fund"] + split["acct"] + split["quota"] + split["cash"] == split["total"]
        assert split["quota"] == 30_00 and split["cash"] > 0
        keep_in_docs(shot(son, "portal-shop-confirm-zh"), "portal-shop-confirm-zh.png")
        checked(son, "/shop/confirm", problems)
        son.fill("#pin", PIN)
        click(son, son.locator("#pay"))
        assert "/orders/O" in son.url, son.locator("main").inner_text()
        assert "已支付" in son.locator("p.note").inner_text()
        assert "结算完成" in son.locator("#state").inner_text()
        assert son.locator("#explained").count() == 1
        assert fen(son, "#split-quota") == split["quota"]
        assert fen(son, "#split-cash") == split["cash"]
        keep_in_docs(shot(son, "portal-shop-order-zh"), "portal-shop-order-zh.png")
        order_url = son.url

        # the pharmacy ships (sandbox): a trace code per box, checked on /trace
        click(son, son.locator("#ship"))
        codes = son.locator("form.trace-row input[name=code]")
        assert codes.count() == 3
        first = codes.first.get_attribute("value")
        keep_in_docs(shot(son, "portal-shop-shipped-zh"), "portal-shop-shipped-zh.png")
        checked(son, "/orders/{id} shipped", problems)
        click(son, son.locator("form.trace-row button").first)
        assert son.url == f"{server.base}/trace"
        assert son.locator("#code").input_value() == first
        assert son.locator("#trace-result").count() == 1
        shot(son, "portal-shop-trace-zh")

        # her orders, as he sees them; the refund puts it all back
        son.goto(f"{server.base}/orders")
        assert son.locator("a.rowlink").count() == 1
        keep_in_docs(shot(son, "portal-shop-orders-zh"), "portal-shop-orders-zh.png")
        checked(son, "/orders", problems)
        son.goto(order_url)
        click(son, son.locator("#refund"))
        assert "已退款" in son.locator("p.note").inner_text()
        assert "已退款" in son.locator("#state").inner_text()
        assert son.locator("#refund").count() == 0
        shot(son, "portal-shop-refunded-zh")
        mother.goto(f"{server.base}/wallet")
        assert "30.00" in mother.locator("main").inner_text(), "her quota is whole again"

        # the prescription came back with the refund: a cash failure this time
        order(son, server, cash="fail")
        son.fill("#pin", PIN)
        click(son, son.locator("#pay"))
        assert son.locator("p.note").inner_text() == "自费部分未支付成功，医保支付已全部退回。"
        assert "结算失败" in son.locator("#state").inner_text()
        assert son.locator("#refund").count() == 0
        keep_in_docs(shot(son, "portal-shop-failed-zh"), "portal-shop-failed-zh.png")
        checked(son, "/orders/{id} failed", problems)
        mother.goto(f"{server.base}/wallet")
        assert "30.00" in mother.locator("main").inner_text()

        son.goto(f"{server.base}/shop?lang=en")
        no_sideways_scroll(son)
        shot(son, "portal-shop-en")
        checked(son, "/shop (en)", problems)
        son.context.add_cookies([{"name": "gj_elder", "value": "1", "url": server.base}])
        son.goto(order_url)
        checked(son, "/orders/{id} (en, elder)", problems)
        assert not problems, "\n".join(problems)
        assert not son.js_errors
    finally:
        son.context.close()
        mother.context.close()
