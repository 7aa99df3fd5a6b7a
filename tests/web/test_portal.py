"""The family story in the portal, on two phone-sized windows (a son in Chengdu, his mother in
Henan), in Chinese and in English: log in, open wallets, bind, transfer, the refused fourth
transfer, accept, and after a purchase, the explanation of every yuan."""

from __future__ import annotations

from typing import Any

import pytest

from gongji.domain.money import parse_yuan
from tests.web.conftest import CERTNO, DESKTOP, DemoServer, new_page, shot

pytestmark = pytest.mark.browser

WEI, MOTHER, MOTHER_MASKED = "张伟", "李秀英", "李**"
NANYANG_PHARMACY = "P41130000001"
AMOXICLAV = "XJ01CRA040A001010333926"  # 阿莫西林克拉维酸钾片, class B 10%, cap 28.00
PIN = "135790"
TEXT = {
    "zh": {"explained": "每一元钱去了哪里", "quota_from": "张* 给你的钱包共济额度",
           "home": "首页", "refused": "每天最多转账 3 笔", "pending": "尚未接收",
           "sponsor": "来自 张*"},
    "en": {"explained": "Where every yuan went", "quota_from": "Wallet quota from 张*",
           "home": "Home", "refused": "at most 3 transfers a day", "pending": "not been accepted",
           "sponsor": "from 张*"},
}


def log_in(server: DemoServer, page: Any, name: str, lang: str, *, pick: str = "") -> None:
    """Type the ID number and the code from the outbox; or, as a newcomer to the demo would,
    pick the demo person and take the code the sandbox fills in."""
    page.goto(f"{server.base}/?lang={lang}")
    assert page.url.endswith("/login"), "a visitor is sent to log in"
    if pick:
        click(page, page.locator(f"button[name=demo][value={pick}]"))
        assert page.locator("#code").input_value() == server.latest_code()
    else:
        page.fill("#certno", CERTNO[name])
        click(page, page.locator("form[action='/login/code'] button[type=submit]"))
        page.fill("#code", server.latest_code())
    click(page, page.locator("form[action='/login'] button[type=submit]"))
    assert page.url == f"{server.base}/", page.locator("main").inner_text()


def submit(page: Any, action: str) -> None:
    click(page, page.locator(f"form[action='{action}'] button"))


def click(page: Any, target: Any) -> None:
    """Click and wait for the page the server answers with (every form posts and redirects)."""
    with page.expect_navigation():
        target.click()


def note_shown(page: Any) -> None:
    assert page.locator("p.note[role=status]").count() == 1, page.locator("main").inner_text()


def send(page: Any, to: str, amount: str) -> None:
    page.select_option("#receiver", label=next(
        o for o in page.locator("#receiver option").all_inner_texts() if o.startswith(to)))
    page.fill("#amount", amount)
    page.fill("#pin", PIN)
    submit(page, "/transfer")


def money(page: Any, selector: str) -> int:
    return parse_yuan(page.locator(selector).inner_text().split()[0])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_family_story(server: DemoServer, browser: Any, lang: str) -> None:
    words = TEXT[lang]
    son, mother = new_page(browser, lang=lang), new_page(browser, lang=lang)
    try:
        # 1. the son logs in: his personal account, no wallet yet
        log_in(server, son, WEI, lang)
        assert son.locator("html").get_attribute("lang") == ("zh-CN" if lang == "zh" else "en")
        assert words["home"] in son.title()
        assert money(son, "#personal-balance") == 12_000_00
        shot(son, f"portal-home-{lang}")

        # 2. he opens his wallet
        son.goto(f"{server.base}/wallet")
        shot(son, f"portal-wallet-{lang}")
        submit(son, "/wallet/open")
        note_shown(son)

        # 3. he asks to bind his mother in Henan (cross-province)
        son.goto(f"{server.base}/family")
        son.check("input[name=role][value=sponsor]")
        son.select_option("#relation", "parent")
        if lang == "zh":  # typed, as anyone would
            son.fill("#name", MOTHER)
            son.fill("#certno", CERTNO[MOTHER])
        else:  # picked from the demo family, as a newcomer to the demo would
            son.select_option("#demo_relative", "xiuying")
        submit(son, "/family/bind")
        note_shown(son)
        assert son.locator("tr[data-binding]").count() == 2  # his wife (demo) and his mother
        shot(son, f"portal-family-{lang}")

        # 4. the mother logs in on her phone, opens her wallet and consents
        mother.goto(f"{server.base}/login?lang={lang}")
        shot(mother, f"portal-login-{lang}")
        log_in(server, mother, MOTHER, lang, pick="xiuying")
        mother.goto(f"{server.base}/wallet")
        submit(mother, "/wallet/open")
        mother.goto(f"{server.base}/family")
        pending = mother.locator("div.card[data-binding]")
        assert pending.count() == 1
        shot(mother, f"portal-family-request-{lang}")
        click(mother, pending.locator("form[action$='/consent'] button"))
        note_shown(mother)

        # 5. the son sees the limits before he sends; a second transfer while the first
        #    waits is refused (one pending per receiver); she accepts each in turn
        son.goto(f"{server.base}/transfer")
        limits = son.locator("#limits").inner_text()
        assert "3" in limits and "2000.00" in limits and "22:00" in limits and "06:00" in limits
        shot(son, f"portal-transfer-{lang}")
        for n in range(1, 4):
            send(son, MOTHER_MASKED, "2000.00")
            note_shown(son)
            if n == 1:
                send(son, MOTHER_MASKED, "1.00")
                assert words["pending"] in son.locator("#receiver-error").inner_text()
                shot(son, f"portal-transfer-pending-{lang}")
            mother.goto(f"{server.base}/")
            waiting = mother.locator("div.transfer")
            assert waiting.count() == 1
            if n == 1:
                shot(mother, f"portal-home-incoming-{lang}")
            click(mother, waiting.locator("form[action$='/accept'] button"))
            assert money(mother, "#quota-total") == n * 2000_00
        assert words["sponsor"] in mother.locator("section[aria-labelledby=wq]").inner_text()
        shot(mother, f"portal-home-quota-{lang}")

        # 6. the fourth today is refused, beside the form, in the reader's language
        son.goto(f"{server.base}/transfer")
        assert son.locator("tr[data-transfer]").count() == 3
        send(son, MOTHER_MASKED, "2000.00")
        alert = son.locator("[role=alert]")
        assert alert.count() == 1 and words["refused"] in alert.inner_text()
        assert son.locator("#amount").input_value() == "2000.00", "the form keeps its values"
        assert son.locator("#pin").input_value() == "", "but never the PIN"
        assert son.locator("tr[data-transfer]").count() == 3, "nothing was sent"
        shot(son, f"portal-transfer-refused-{lang}")

        # 7. the son's history shows the three transfers and their states
        son.goto(f"{server.base}/history")
        assert son.locator("tr[data-transfer]").count() == 3
        shot(son, f"portal-history-{lang}")

        # 8. at a Nanyang pharmacy she shows her insurance code; the cashier sells her a drug
        mother.goto(f"{server.base}/code")
        token = mother.locator("#token").input_value()
        shot(mother, f"portal-code-{lang}")
        cashier = new_page(browser, lang=lang)
        cashier.context.add_cookies([{"name": "gj_console", "value": server.console_cookie(),
                                      "url": server.base}])
        setl_id = sell_at_cashier(cashier, server.base, token)
        cashier.context.close()

        # 9. she opens the settlement from her history: every yuan explained, her son named
        mother.goto(f"{server.base}/history")
        click(mother, mother.locator(f"a[href='/settlements/{setl_id}']"))
        main = mother.locator("main").inner_text()
        assert words["explained"] in main and words["quota_from"] in main, main
        total = money(mother, "#total")
        assert total == 2 * 30_00
        for table in ("split", "payers"):
            rows = mother.locator(f"table[aria-labelledby={table}] tbody td.num")
            assert sum(parse_yuan(x) for x in rows.all_inner_texts()) == total
        shot(mother, f"portal-explain-{lang}")

        # every other page opens, fits a phone and has a way back
        for path, name in (("/more", "more"), ("/trace", "trace")):
            son.goto(f"{server.base}{path}")
            assert son.title(), path
            shot(son, f"portal-{name}-{lang}")
        assert not son.js_errors and not mother.js_errors
    finally:
        son.context.close()
        mother.context.close()


def test_the_portal_works_without_javascript(server: DemoServer, browser: Any) -> None:
    """Server-rendered forms: log in, open a wallet and read the limits with scripts off."""
    context = browser.new_context(viewport={"width": 375, "height": 812},
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(server, page, "王芳", "zh")
        page.goto(f"{server.base}/transfer")
        assert "2000.00" in page.locator("#limits").inner_text()
        page.goto(f"{server.base}/family")
        assert page.locator("tr[data-binding]").count() == 1  # the demo binds her husband
        page.goto(f"{server.base}/code")
        assert page.locator(".qr svg").count() == 1
        token = page.locator("#token").input_value()
        assert token.startswith("GJ1"), "the code is there to copy as text too"
    finally:
        context.close()


def test_a_desktop_window_is_fine_too(server: DemoServer, browser: Any) -> None:
    page = new_page(browser, viewport=DESKTOP)
    try:
        log_in(server, page, "张伟", "zh")
        for path, name in (("/", "home"), ("/family", "family"), ("/transfer", "transfer")):
            page.goto(f"{server.base}{path}")
            shot(page, f"portal-desktop-{name}")
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_where_the_wallet_is_accepted_on_a_phone_without_javascript(
        server: DemoServer, browser: Any, lang: str) -> None:
    """Nobody logged in, scripts off, a 390px phone: pick an area, type part of a name,
    search; the list fits the width."""
    server.api("POST", "/api/v1/institutions", headers={"Idempotency-Key": "where-long"},
               json={"fixmedins_code": "P51010000077", "fixmedins_name": "成都" + "很长" * 40
                     + "大药房", "hosp_lv": "0", "admdvs": "510100"})
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  java_script_enabled=False,
                                  locale="zh-CN" if lang == "zh" else "en-US")
    page = context.new_page()
    try:
        page.goto(f"{server.base}/where?lang={lang}")
        shot(page, f"portal-where-{lang}")
        page.select_option("#area", "510100")
        page.fill("#q", "药房")
        with page.expect_navigation():
            page.locator("form[action='/where'] button[type=submit]").click()
        assert "area=510100" in page.url
        names = page.locator("ul.places li strong").all_inner_texts()
        assert names == ["成都康济大药房（演示）", "成都" + "很长" * 40 + "大药房"], names
        shot(page, f"portal-where-found-{lang}")
    finally:
        context.close()

def sell_at_cashier(cashier: Any, base: str, token: str) -> str:
    """At the cashier, for a Nanyang pharmacy: 2 boxes of amoxicillin-clavulanate at 30.00
    sold to the person whose insurance code is `token`, with trace codes; the setl_id."""
    cashier.goto(f"{base}/cashier")
    cashier.locator(f"input[value='{NANYANG_PHARMACY}']").check()
    click(cashier, cashier.locator("form[action='/cashier/institution'] button"))
    cashier.locator("input[name=cert_type][value='01']").check()
    cashier.locator("#cert_no").fill(token)
    cashier.locator("#code_1").fill(AMOXICLAV)
    cashier.locator("#cnt_1").fill("2")
    cashier.locator("#pric_1").fill("30.00")
    click(cashier, cashier.locator("button[name=action][value=traces]"))
    click(cashier, cashier.locator("button[name=action][value=presettle]"))
    click(cashier, cashier.locator("form[action='/cashier/settle'] button:not([formaction])"))
    assert "/cashier/receipts/" in cashier.url, cashier.locator("main").inner_text()
    return cashier.url.split("?")[0].rsplit("/", 1)[1]
