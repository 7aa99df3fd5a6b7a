"""Issue 18 in a browser (390x844, Debian's Chromium): 张伟 asks to bind his mother; her home
page shows the request with a badge on 家庭共济; she consents from there, and the notes say what
happened; a transfer then waits on her home page with a badge on 转账, and she accepts it. The
tabs stay on one row and nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import CERTNO, DemoServer, keep_in_docs, new_page, shot
from tests.web.test_portal import click, log_in, submit

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
WEI, MOTHER, PIN = "张伟", "李秀英", "135790"


def note(page: Any) -> str:
    found = page.locator("p.note[role=status]")
    assert found.count() == 1, page.locator("main").inner_text()
    text: str = found.inner_text()
    return text


def tabs_in_one_row(page: Any) -> None:
    """Every tab on the same row (更多 does not wrap alone onto a second one)."""
    tops = page.evaluate("[...document.querySelectorAll('nav.tabs a')]"
                         ".map(a => Math.round(a.getBoundingClientRect().top))")
    assert len(tops) == 6 and len(set(tops)) == 1, tops


def badge(page: Any, href: str) -> str | None:
    """The count on a tab, checking the words a screen reader hears beside it."""
    tab = page.locator(f"nav.tabs a[href='{href}']")
    if tab.locator(".count").count() == 0:
        return None
    count: str = tab.locator(".count").inner_text()
    assert tab.locator(".count").get_attribute("aria-hidden") == "true"
    assert f"{count} 项待处理" in tab.locator(".sr-only").inner_text()
    return count


def test_pending_consent_and_transfer_on_her_home_page(server: DemoServer,
                                                        browser: Any) -> None:
    son, mother = new_page(browser, viewport=PHONE_390), new_page(browser, viewport=PHONE_390)
    try:
        # he opens his wallet and asks to bind his mother in Henan
        log_in(server, son, WEI, "zh")
        son.goto(f"{server.base}/wallet")
        submit(son, "/wallet/open")
        assert note(son) == "医保钱包已开通。"
        son.goto(f"{server.base}/family")
        son.check("input[name=role][value=sponsor]")
        son.select_option("#relation", "parent")
        son.fill("#name", MOTHER)
        son.fill("#certno", CERTNO[MOTHER])
        submit(son, "/family/bind")
        assert note(son) == "已向 李** 发出家庭共济绑定申请，等待对方同意。"
        tabs_in_one_row(son)
        shot(son, "portal-pending-bind-zh")

        # her home page: the request, its buttons, and a badge on 家庭共济
        log_in(server, mother, MOTHER, "zh", pick="xiuying")
        card = mother.locator("#to-do .pending-binding")
        assert card.count() == 1
        assert "张*（你的子女）请求与你建立家庭共济" in card.inner_text()
        assert badge(mother, "/family") == "1"
        assert badge(mother, "/transfer") is None and badge(mother, "/more") is None
        tabs_in_one_row(mother)
        path = shot(mother, "portal-pending-zh")
        keep_in_docs(path, "portal-pending-zh.png")

        # she consents from her home page and stays there
        click(mother, card.locator("form[action$='/consent'] button"))
        assert mother.url == f"{server.base}/"
        assert note(mother) == "已同意，与 张* 的家庭共济关系已生效。"
        assert mother.locator("#to-do .pending-binding").count() == 0
        assert badge(mother, "/family") is None
        shot(mother, "portal-pending-consented-zh")

        # she opens her wallet; he sends 2000.00: the note says to whom, until when, what is left
        mother.goto(f"{server.base}/wallet")
        submit(mother, "/wallet/open")
        son.goto(f"{server.base}/transfer")
        son.select_option("#receiver", label=next(
            o for o in son.locator("#receiver option").all_inner_texts()
            if o.startswith("李**")))
        son.fill("#amount", "2000.00")
        son.fill("#pin", PIN)
        submit(son, "/transfer")
        said = note(son)
        assert said.startswith("已向 李** 转入 2000.00 元，对方需在 ") and \
            said.endswith("今日还可转 2 笔。"), said
        shot(son, "portal-pending-sent-zh")

        # it waits on her home page with its deadline and a badge on 转账; she accepts
        mother.goto(f"{server.base}/")
        waiting = mother.locator("#to-do div.transfer")
        assert waiting.count() == 1
        assert "张* 向你转入 2000.00 元" in waiting.inner_text()
        assert "前接收，否则退回对方" in waiting.inner_text()
        assert badge(mother, "/transfer") == "1"
        shot(mother, "portal-pending-transfer-zh")
        click(mother, waiting.locator("form[action$='/accept'] button"))
        assert note(mother) == "已接收 张* 转入的 2000.00 元，已计入钱包共济额度。"
        assert badge(mother, "/transfer") is None
        assert "没有需要你处理的事项" in mother.locator("#to-do").inner_text()
        shot(mother, "portal-pending-accepted-zh")
        assert not son.js_errors and not mother.js_errors
    finally:
        son.context.close()
        mother.context.close()


def test_the_sister_in_guangdong_is_not_offered_a_wallet(server: DemoServer,
                                                         browser: Any) -> None:
    page = new_page(browser, viewport=PHONE_390)
    try:
        log_in(server, page, "张丽", "zh", pick="li")
        page.goto(f"{server.base}/wallet")
        assert page.locator("#open-wallet").count() == 0
        assert "广州" in page.locator("#not-live").inner_text()
        tabs_in_one_row(page)
        shot(page, "portal-wallet-not-live-zh")
        page.goto(f"{server.base}/wallet?lang=en")
        assert "Guangzhou" in page.locator("#not-live").inner_text()
        tabs_in_one_row(page)
        shot(page, "portal-wallet-not-live-en")
        assert page.request.get(f"{server.base}/favicon.ico").status == 200
    finally:
        page.context.close()
