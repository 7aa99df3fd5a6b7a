"""A walk through every page of the portal, the console and the cashier on a seeded demo, for
the layout and accessibility tests (issue 18, points 3 and 11): the demo family with a
binding, a transfer and a settlement explained, the seeded claims, a cashier's receipt.

`seed` makes the data once through the pages themselves; `portal_pages`, `CONSOLE_PAGES` and
`cashier_pages` list what to visit. The cashier's pre-settlement page answers a form, so
`cashier_sale` walks there and calls back on the pages it passes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.web.conftest import CERTNO, DemoServer, new_page
from tests.web.test_portal import AMOXICLAV, click, log_in, sell_at_cashier, send, submit

WEI, MOTHER = "张伟", "李秀英"
PHARMACY = "P51010000001"


@dataclass
class Seeded:
    setl_id: str        # the mother's settlement at a Nanyang pharmacy (her son's quota used)
    receipt: str        # the same settlement's receipt at the cashier
    claim: str          # the mother's hand claim, as the portal links it
    console_claim: str  # a claim in the console's review


def operator_cookie(server: DemoServer) -> list[dict[str, str]]:
    return [{"name": "gj_console", "value": server.console_cookie(), "url": server.base}]


def bound(server: DemoServer, son: Any, mother: Any) -> None:
    """README steps 1-3: 张伟 and his mother log in and open wallets; he binds her (parent,
    picked from the demo family) and she consents on her 家庭共济 page."""
    log_in(server, son, WEI, "zh")
    son.goto(f"{server.base}/wallet")
    submit(son, "/wallet/open")
    son.goto(f"{server.base}/family")
    son.check("input[name=role][value=sponsor]")
    son.select_option("#relation", "parent")
    son.select_option("#demo_relative", "xiuying")
    submit(son, "/family/bind")
    log_in(server, mother, MOTHER, "zh", pick="xiuying")
    mother.goto(f"{server.base}/wallet")
    submit(mother, "/wallet/open")
    mother.goto(f"{server.base}/family")
    click(mother, mother.locator("div.card[data-binding] form[action$='/consent'] button"))


def seed(server: DemoServer, browser: Any, son: Any, mother: Any) -> Seeded:
    """张伟 opens his wallet, binds his mother, sends her 500.00 which she accepts; she pays
    with her insurance code at a Nanyang pharmacy. `son` and `mother` stay logged in (a
    second login so soon would wait for its code)."""
    cashier = new_page(browser)
    try:
        bound(server, son, mother)
        son.goto(f"{server.base}/transfer")
        send(son, "李**", "500.00")
        mother.goto(f"{server.base}/")
        click(mother, mother.locator("div.transfer form[action$='/accept'] button"))
        son.goto(f"{server.base}/transfer")
        send(son, "李**", "20.00")  # left waiting: the pending rows and their buttons

        mother.goto(f"{server.base}/code")
        token = mother.locator("#token").input_value()
        cashier.context.add_cookies(operator_cookie(server))
        setl_id = sell_at_cashier(cashier, server.base, token)

        mother.goto(f"{server.base}/claims")
        claim = mother.locator("a.rowlink").first.get_attribute("href") or ""
        cashier.goto(f"{server.base}/console/claims")
        console_claim = cashier.locator("a.rowlink").first.get_attribute("href") or ""
        assert claim.startswith("/claims/") and console_claim.startswith("/console/claims/")
        return Seeded(setl_id=setl_id, receipt=f"/cashier/receipts/{setl_id}", claim=claim,
                      console_claim=console_claim)
    finally:
        cashier.context.close()


PUBLIC_PAGES = ["/login", "/trace", "/where"]
COMMON = ["/", "/family", "/wallet", "/transfer", "/history", "/statement", "/more",
          "/claims", "/code", "/trace", "/where", "/shop", "/orders"]


def portal_pages(who: str, seeded: Seeded) -> list[str]:
    """Every page a logged-in person reaches; the mother also her settlement and her claim."""
    return COMMON + ([f"/settlements/{seeded.setl_id}", seeded.claim] if who == MOTHER else [])


CONSOLE_PAGES = ["/console", "/console/regions", "/console/policies", "/console/policies/diff",
                 "/console/catalog", "/console/institutions",
                 f"/console/institutions/{PHARMACY}/transport", "/console/queue",
                 "/console/claims", "/console/orders", "/console/outbox", "/console/reports",
                 "/console/verify", "/console/audit", "/console/clock"]


def cashier_pages(seeded: Seeded) -> list[str]:
    return ["/cashier", "/cashier/stock", seeded.receipt, f"{seeded.receipt}/cancel"]


def cashier_sale(server: DemoServer, page: Any, visit: Callable[[str], None]) -> None:
    """The sale form and the pre-settlement page (which answers a form), for 张伟 by his ID
    number; `visit(name)` is called on each."""
    page.goto(f"{server.base}/cashier")
    page.get_by_label(re.compile("成都康济大药房")).check()
    click(page, page.locator("form[action='/cashier/institution'] button"))
    page.locator("input[name=cert_type][value='02']").check()
    page.locator("#cert_no").fill(CERTNO[WEI])
    page.locator("#code_1").fill(AMOXICLAV)
    page.locator("#cnt_1").fill("1")
    page.locator("#pric_1").fill("26.80")
    click(page, page.locator("button[name=action][value=traces]"))
    visit("cashier-sale")
    click(page, page.locator("button[name=action][value=presettle]"))
    assert "/cashier" in page.url and page.locator("form[action='/cashier/settle']").count()
    visit("cashier-presettle")


__all__ = ["MOTHER", "WEI", "Seeded", "cashier_pages", "cashier_sale", "operator_cookie",
           "portal_pages", "seed"]

