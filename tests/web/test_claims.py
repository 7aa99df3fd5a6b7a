"""Hand claims in Chromium at 390 x 844 on the seeded demo: 张建国 sees his paid claim in the
portal (更多 -> 报销) with every amount; the operator opens the claims review, reduces a line
of 李秀英's waiting claim, approves and pays it; she then sees it paid with the reimbursed
amount the console showed. No page scrolls sideways; each is saved as a screenshot."""

from __future__ import annotations

from typing import Any

import pytest

from gongji.domain.money import parse_yuan
from tests.web.conftest import ADMIN_TOKEN, DemoServer, new_page, shot
from tests.web.test_portal import click, log_in

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}


def fen(page: Any, selector: str) -> int:
    return parse_yuan(page.locator(selector).inner_text().split()[0].replace(",", ""),
                      allow_zero=True)


def test_the_claims_pages_on_a_phone(server: DemoServer, browser: Any) -> None:
    person = new_page(browser, viewport=PHONE_390)
    log_in(server, person, "张建国", "zh")
    person.goto(f"{server.base}/more")
    click(person, person.locator("#to-claims"))
    assert person.get_by_role("heading", level=1).inner_text() == "报销"
    assert "已支付到银行账户" in person.locator("main").inner_text()
    shot(person, "portal-claims-zh")
    click(person, person.locator("a.rowlink").first)
    assert person.get_by_role("heading", level=1).inner_text() == "报销详情"
    assert "6228****4567" in person.locator("#claim").inner_text()
    assert fen(person, "#reimbursed") > 0 and "one ECG was a repeat" in \
        person.locator("main").inner_text()
    shot(person, "portal-claim-zh")

    op = new_page(browser, viewport=PHONE_390)
    op.goto(f"{server.base}/console/login")
    op.get_by_label("运营令牌").fill(ADMIN_TOKEN)
    click(op, op.get_by_role("button", name="登录"))
    click(op, op.get_by_role("navigation", name="运营管理台").get_by_role(
        "link", name="报销审核", exact=True))
    assert op.get_by_role("heading", level=1).inner_text() == "报销审核"
    shot(op, "console-claims-zh")
    click(op, op.locator("a.rowlink", has_text="已提交，待审核").first)
    assert op.locator("#cnt-2").input_value() == "3"  # prefilled with the claimed quantity
    shot(op, "console-claim-zh")
    op.locator("#cnt-2").fill("2")
    click(op, op.locator("#approve"))  # less without a reason: refused beside the line
    assert op.locator("#cnt-2-error").is_visible()
    assert op.locator("#cnt-2").input_value() == "2"
    shot(op, "console-claim-refused-zh")
    op.locator("#why-2").fill("查房一天重复 one round too many")
    click(op, op.locator("#approve"))
    reimbursed = fen(op, "#reimbursed")
    assert reimbursed > 0 and "审核通过，待支付" in op.locator("#claim").inner_text()
    shot(op, "console-claim-approved-zh")
    click(op, op.locator("#pay"))
    assert "已支付到银行账户" in op.locator("#claim").inner_text()

    mother = new_page(browser, viewport=PHONE_390)
    log_in(server, mother, "李秀英", "zh")
    mother.goto(f"{server.base}/claims")
    click(mother, mother.locator("a.rowlink").first)
    assert "已支付到银行账户" in mother.locator("#claim").inner_text()
    assert fen(mother, "#reimbursed") == reimbursed
    assert "查房一天重复" in mother.locator("main").inner_text()
    shot(mother, "portal-claim-paid-zh")
    for p in (person, op, mother):
        assert p.js_errors == []
        p.context.close()
