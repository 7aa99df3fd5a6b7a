"""What people type, in Chromium at phone width (issue 18, points 4, 5, 6, 8, 9): a full-width
amount from a Chinese input method is sent; a refusal names the field in Chinese; a 5,000-digit
amount is not echoed and the page stays as wide as the phone; the cashier takes a pasted
insurance code on its default credential type; the console takes the demo's whole
"Bearer …" line."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import ADMIN_TOKEN, DemoServer, new_page, no_sideways_scroll, shot
from tests.web.test_portal import NANYANG_PHARMACY, PIN, click, log_in, submit

pytestmark = pytest.mark.browser

AMOXICLAV = "XJ01CRA040A001010333926"


def amount_error(page: Any) -> str:
    return str(page.locator("#amount-error").inner_text())


def test_what_a_phone_types_into_the_transfer_form(server: DemoServer, browser: Any) -> None:
    page = new_page(browser)
    try:
        log_in(server, page, "张伟", "zh")
        page.goto(f"{server.base}/wallet")
        submit(page, "/wallet/open")
        page.goto(f"{server.base}/transfer")  # the demo binds his wife 王芳, her wallet open

        def send(amount: str) -> None:
            page.fill("#amount", amount)
            page.fill("#pin", PIN)
            submit(page, "/transfer")

        send("-5")  # point 4: the field named in Chinese, no English field name
        said = amount_error(page)
        assert "金额" in said and "amount" not in said, said

        send("9" * 5000)  # point 5: not echoed, the page as wide as the phone
        said = amount_error(page)
        assert len(said) < 120 and "9" * 30 not in said, said
        assert len(page.locator("#amount").input_value()) <= 32, "the field has a maxlength"
        no_sideways_scroll(page)
        shot(page, "portal-transfer-huge-amount-zh")

        send("２０００。００")  # point 6: full-width digits and the ideographic full stop
        assert page.url.endswith("/transfer"), page.url
        assert page.locator("#amount-error").count() == 0, amount_error(page)
        assert "2000.00" in page.locator("main").inner_text()
    finally:
        page.context.close()


def test_the_cashier_takes_a_pasted_insurance_code(server: DemoServer, browser: Any) -> None:
    """Point 8: the sale starts on 01; the code 李秀英 shows is pasted and the sale settles."""
    mother = new_page(browser)
    cashier = new_page(browser)
    try:
        log_in(server, mother, "李秀英", "zh")
        mother.goto(f"{server.base}/code")
        token = mother.locator("#token").input_value()
        cashier.context.add_cookies([{"name": "gj_console", "value": server.console_cookie(),
                                      "url": server.base}])
        cashier.goto(f"{server.base}/cashier")
        cashier.locator(f"input[value='{NANYANG_PHARMACY}']").check()
        click(cashier, cashier.locator("form[action='/cashier/institution'] button"))
        assert cashier.locator("input[name=cert_type][value='01']").is_checked()
        cashier.locator("#cert_no").fill(token)  # pasted, nothing else touched
        cashier.locator("#code_1").fill(AMOXICLAV)
        cashier.locator("#cnt_1").fill("2")
        cashier.locator("#pric_1").fill("30.00")
        click(cashier, cashier.locator("button[name=action][value=traces]"))
        click(cashier, cashier.locator("button[name=action][value=presettle]"))
        assert cashier.locator("#cert_no-error").count() == 0, \
            cashier.locator("main").inner_text()
        click(cashier, cashier.locator("form[action='/cashier/settle'] button:not([formaction])"))
        assert "/cashier/receipts/" in cashier.url, cashier.locator("main").inner_text()
    finally:
        mother.context.close()
        cashier.context.close()


def test_the_console_takes_the_demos_bearer_line(server: DemoServer, browser: Any) -> None:
    """Point 9: "Authorization: Bearer …" as gongji demo prints it, pasted whole after
    "Bearer", opens the console; the login page says where the token is."""
    page = new_page(browser)
    try:
        page.goto(f"{server.base}/console/login")
        assert "gongji demo" in page.locator("main").inner_text()
        page.fill("input[name=token]", f"Bearer {ADMIN_TOKEN}")
        click(page, page.locator("form[action='/console/login'] button"))
        assert page.url.rstrip("/").endswith("/console"), page.locator("main").inner_text()
    finally:
        page.context.close()
