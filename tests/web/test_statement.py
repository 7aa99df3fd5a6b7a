"""收支明细 in a browser at phone width (390x844): after the son's transfers to his wife
(one accepted into her quota, one he took back), the statement names each cause, keeps a
running balance that ends at his balance, fits the phone without sideways scrolling, and
offers the month as a CSV download (issue 18, point 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gongji.domain.money import parse_yuan
from tests.web.conftest import DemoServer, new_page, shot
from tests.web.test_portal import click, log_in, money, note_shown, send, submit

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
WIFE_MASKED = "王*"


def test_the_statement_on_a_phone(server: DemoServer, browser: Any) -> None:
    son, wife = new_page(browser, viewport=PHONE_390), new_page(browser, viewport=PHONE_390)
    try:
        log_in(server, son, "张伟", "zh")
        son.goto(f"{server.base}/wallet")
        submit(son, "/wallet/open")
        son.goto(f"{server.base}/transfer")
        send(son, WIFE_MASKED, "2000.00")  # the demo binds him to his wife, her wallet open
        note_shown(son)
        log_in(server, wife, "王芳", "zh", pick="fang")
        click(wife, wife.locator("div.transfer form[action$='/accept'] button"))
        son.goto(f"{server.base}/transfer")
        send(son, WIFE_MASKED, "300.00")
        click(son, son.locator("form[action$='/cancel'] button"))  # he takes it back

        son.goto(f"{server.base}/")
        assert money(son, "#given-total") == 2000_00, "quota outstanding with his wife"
        balance = money(son, "#personal-balance")
        assert balance == 10_000_00
        click(son, son.locator("#to-statement"))
        assert son.url.endswith("/statement")
        lines = son.locator("ol.statement li.line")
        causes = lines.locator(".cause").all_inner_texts()
        assert causes == ["给 王* 的转账已撤回，退回", "转账给 王*",
                          "王* 接收了你的转账，计入其共济额度", "转账给 王*", "个人账户划入"]
        amounts = [parse_yuan(x.lstrip("+"), allow_negative=True)
                   for x in lines.locator(".amount").all_inner_texts()]
        assert amounts == [300_00, -300_00, 2000_00, -2000_00, 12_000_00]
        personal = son.locator(".book[data-kind=personal]")
        assert parse_yuan(personal.locator(".num").inner_text()) == balance
        assert sum(a for a, k in zip(amounts, lines.evaluate_all(
            "els => els.map(e => e.dataset.kind)"), strict=True) if k == "personal") == balance
        shot(son, "portal-statement-zh")  # checks that nothing scrolls sideways

        with son.expect_download() as got:
            son.locator("#download").click()
        text = Path(got.value.path()).read_text(encoding="utf-8")
        assert text.startswith("\ufeff时间,账户,摘要,金额（元）,余额（元）")
        assert "10000.00" in text and "张伟" not in text

        son.goto(f"{server.base}/statement?lang=en")
        assert "Quota given to 王*" in son.locator("main").inner_text()
        shot(son, "portal-statement-en")
        assert not son.js_errors and not wife.js_errors
    finally:
        son.context.close()
        wife.context.close()
