"""The demo cashier in a browser, against a real `gongji demo`: an operator acts as the demo
pharmacy, sells 张伟 two boxed drugs with generated trace codes (ID number, type 02),
pre-settles, settles, sees the receipt and cancels it; in Chinese and English, on a phone and
on a desktop window (every step is saved as cashier-<step>-<lang>[-desktop].png)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gongji.domain.money import parse_yuan
from gongji.web.cashier_words import CASHIER_WORDS
from tests.web.conftest import CERTNO, DESKTOP, PHONE, DemoServer, new_page, shot

pytestmark = pytest.mark.browser

PHARMACY = "P51010000001"
AMOXICLAV = "XJ01CRA040A001010333926"   # 阿莫西林克拉维酸钾片, class B, cap 28.00


def click(page: Any, target: Any) -> None:
    """Click a submit button or link and wait for the page the server answers with."""
    with page.expect_navigation():
        target.click()


def amount(page: Any, field: str) -> int:
    cell = page.locator(f"table.amounts tr:has(code:text-is('{field}')) td.num")
    return parse_yuan(cell.inner_text().strip(), allow_zero=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_pharmacy_sale_at_the_demo_cashier(server: DemoServer, browser: Any,
                                             lang: str) -> None:
    def w(key: str) -> str:
        return CASHIER_WORDS[key][0 if lang == "zh" else 1]

    page = new_page(browser, lang=lang, viewport=PHONE)
    page.context.add_cookies([{"name": "gj_console", "value": server.console_cookie(),
                               "url": server.base}])

    def step(name: str) -> None:
        shot(page, f"cashier-{name}-{lang}")
        page.set_viewport_size(DESKTOP)
        shot(page, f"cashier-{name}-{lang}-desktop")
        page.set_viewport_size(PHONE)

    # 1. the institution
    page.goto(f"{server.base}/cashier?lang={lang}")
    assert page.locator("h1").inner_text() == w("k_title")
    step("choose")
    page.get_by_label(re.compile("成都康济大药房")).check()
    click(page, page.get_by_role("button", name=w("k_use_institution")))
    assert page.url.endswith("/cashier/sale")
    assert PHARMACY in page.locator("main").inner_text()

    # 2. the person: 张伟's ID number
    page.get_by_label(w("k_cert_02")).check()
    page.get_by_label(w("k_cert_no")).fill(CERTNO["张伟"])
    assert page.locator("#med_type").input_value() == "41"

    # 3. two drugs: one found in the catalog, one typed by its code
    page.get_by_label(w("k_catalog_q")).fill("阿莫西林胶囊")
    click(page, page.get_by_role("button", name=w("k_search"), exact=True))
    click(page, page.locator("ul.found button").first)
    assert page.locator("#code_1").input_value().startswith("XJ01CAA")
    assert page.locator("#cnt_1").input_value() == "1"
    assert re.fullmatch(r"\d+\.\d\d", page.locator("#pric_1").input_value())
    page.locator("#code_2").fill(AMOXICLAV)
    page.locator("#cnt_2").fill("2")
    page.locator("#pric_2").fill("26.80")
    click(page, page.get_by_role("button", name=w("k_gen_traces")))
    first = page.locator("#trace_1").input_value().split()
    second = page.locator("#trace_2").input_value().split()
    assert len(first) == 1 and len(second) == 2
    assert all(re.fullmatch(r"8\d{19}", c) for c in first + second)
    assert page.locator("#cert_no").input_value() == CERTNO["张伟"]  # the form kept it
    step("sale")

    # 4. pre-settle: computed, nothing charged
    click(page, page.get_by_role("button", name=re.compile(w("k_presettle"))))
    assert page.locator("h1").inner_text() == w("k_presettled"), \
        page.locator("main").inner_text()
    total = amount(page, "medfee_sumamt")
    assert total == amount(page, "fund_pay_sumamt") + amount(page, "psn_part_amt") + \
        amount(page, "hosp_part_amt")
    assert amount(page, "psn_part_amt") == amount(page, "acct_pay") + \
        amount(page, "acct_mulaid_pay") + amount(page, "psn_cash_pay")
    assert total == parse_yuan(page.locator("#pric_1, input[name=pric_1]").first
                               .input_value()) + 2 * 26_80
    assert "张*" in page.locator("main").inner_text()
    step("presettle")

    # 5. settle: the receipt
    click(page, page.get_by_role("button", name=re.compile("^" + w("k_settle"))))
    assert "/cashier/receipts/S" in page.url and CERTNO["张伟"] not in page.url
    main = page.locator("main").inner_text()
    assert w("k_receipt") in main and w("k_st_settled") in main
    assert amount(page, "medfee_sumamt") == total
    for code in first + second:
        assert code in main
    assert "张伟" not in page.content() and CERTNO["张伟"] not in page.content()
    assert page.locator("#print").is_visible()  # the script shows the print button
    step("receipt")

    # 6. cancel, after a confirmation
    click(page, page.get_by_role("link", name=re.compile(w("k_cancel"))))
    assert page.locator("h1").inner_text() == w("k_cancel_title")
    step("cancel")
    click(page, page.get_by_role("button", name=w("k_cancel_confirm")))
    main = page.locator("main").inner_text()
    assert w("k_cancelled_note") in main and w("k_st_cancelled") in main
    assert page.get_by_role("link", name=re.compile(w("k_cancel"))).count() == 0
    step("cancelled")
    assert page.js_errors == []
    page.context.close()


def test_the_cashier_needs_an_operator(server: DemoServer, browser: Any) -> None:
    page = new_page(browser)
    page.goto(f"{server.base}/cashier")
    assert page.url.startswith(f"{server.base}/console/login")
    page.context.close()
