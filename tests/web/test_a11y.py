"""长辈模式 and accessibility (issue 18, point 11), in Chromium at 390 x 844 on a seeded demo:

- the header's 长辈模式 / Elder mode switch (a form, no script) sets the gj_elder cookie and
  puts `elder` on <body>: larger text (20 px) and larger controls; pressed again, it is off;
- every link, button and field of the portal is at least 44 x 44 px in both modes (a radio or
  a checkbox by the label around it, which is what a finger presses);
- axe-core (axe-playwright-python, its bundled axe.min.js) finds no serious or critical
  violation on any portal page (logged in as 张伟 and as 李秀英, and the public /login, /trace,
  /where) in Chinese and English, standard and elder mode, nor on the console's and the
  cashier's pages (Chinese, standard mode).

Elder mode is saved as docs/screenshots/portal-elder-zh.png, the family page at 390 px as
portal-family-390-zh.png."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import DemoServer, keep_in_docs, new_page, shot
from tests.web.test_portal import click
from tests.web.tour import (
    CONSOLE_PAGES,
    MOTHER,
    PUBLIC_PAGES,
    WEI,
    cashier_pages,
    cashier_sale,
    operator_cookie,
    portal_pages,
    seed,
)

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
SERIOUS = {"serious", "critical"}

SMALL_TARGETS = """() => {
  const out = [];
  const all = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll(all)) {
    const box = el.matches('input[type=radio], input[type=checkbox]')
      ? (el.closest('label') || el) : el;
    const r = box.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= 0) continue;  // not shown, or the skip link
    if (r.width < 43.5 || r.height < 43.5)
      out.push((el.id || el.getAttribute('href') || el.tagName) + ' "'
               + (el.innerText || el.value || '').trim().slice(0, 20) + '" '
               + Math.round(r.width) + 'x' + Math.round(r.height));
  }
  return out;
}"""


def axe_problems(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']}: "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:4])
            for v in found if v["impact"] in SERIOUS]


def audit(page: Any, name: str, problems: list[str], *, targets: bool = True) -> None:
    """What axe finds (serious or critical), what is too small to tap, and whether the page
    scrolls sideways; noted, so that one run shows every page's problems."""
    problems += [f"{name}: {p}" for p in axe_problems(page)]
    if targets:
        problems += [f"{name}: smaller than 44 x 44: {t}" for t in page.evaluate(SMALL_TARGETS)]
    width = page.evaluate("[document.documentElement.scrollWidth,"
                          " document.documentElement.clientWidth]")
    if width[0] > width[1]:
        problems.append(f"{name}: scrolls sideways {width}")


def modes(page: Any, server: DemoServer, lang: str, elder: bool) -> None:
    page.context.add_cookies([{"name": "gj_lang", "value": lang, "url": server.base}])
    if elder:
        page.context.add_cookies([{"name": "gj_elder", "value": "1", "url": server.base}])
    else:
        page.context.clear_cookies(name="gj_elder")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_passes_axe_in_both_modes(server: DemoServer, browser: Any,
                                             lang: str) -> None:
    son, mother = new_page(browser, viewport=PHONE_390), new_page(browser, viewport=PHONE_390)
    visitor, op = new_page(browser, viewport=PHONE_390), new_page(browser, viewport=PHONE_390)
    problems: list[str] = []
    try:
        seeded = seed(server, browser, son, mother)
        for elder in (False, True):
            mode = "elder" if elder else "standard"
            for page in (son, mother, visitor):
                modes(page, server, lang, elder)
            for path in PUBLIC_PAGES:
                visitor.goto(f"{server.base}{path}")
                assert ("elder" in (visitor.locator("body").get_attribute("class") or "")) \
                    == elder
                audit(visitor, f"{path} ({lang}, {mode}, visitor)", problems)
            for page, who in ((son, WEI), (mother, MOTHER)):
                for path in portal_pages(who, seeded):
                    page.goto(f"{server.base}{path}")
                    audit(page, f"{path} ({lang}, {mode}, {who})", problems)
        if lang == "zh":
            op.context.add_cookies(operator_cookie(server))
            for path in CONSOLE_PAGES + cashier_pages(seeded):
                op.goto(f"{server.base}{path}")
                audit(op, f"{path} (zh)", problems, targets=False)
            cashier_sale(server, op, lambda name: audit(op, name, problems, targets=False))
        assert not problems, "\n".join(problems)
    finally:
        for page in (son, mother, visitor, op):
            page.context.close()


def test_the_elder_mode_switch(server: DemoServer, browser: Any) -> None:
    """Pressed in the header, on the page it was pressed on; remembered; pressed again, off."""
    son, mother = new_page(browser, viewport=PHONE_390), new_page(browser, viewport=PHONE_390)
    try:
        seed(server, browser, son, mother)
        son.goto(f"{server.base}/family")
        path = shot(son, "portal-family-390-zh")
        keep_in_docs(path, "portal-family-390-zh.png")
        standard = son.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        switch = son.locator("#elder-mode")
        assert switch.inner_text() == "长辈模式" and switch.get_attribute("aria-pressed") == "false"

        son.goto(f"{server.base}/")
        click(son, switch)
        assert son.url == f"{server.base}/"
        assert "elder" in (son.locator("body").get_attribute("class") or "").split()
        assert son.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20 > \
            standard
        assert switch.get_attribute("aria-pressed") == "true"
        assert [c["value"] for c in son.context.cookies() if c["name"] == "gj_elder"] == ["1"]
        path = shot(son, "portal-elder-zh")
        keep_in_docs(path, "portal-elder-zh.png")
        son.goto(f"{server.base}/family?lang=en")
        assert switch.inner_text() == "✓ Elder mode"
        shot(son, "portal-family-elder-en")

        click(son, switch)
        assert son.url == f"{server.base}/family"
        assert "elder" not in (son.locator("body").get_attribute("class") or "").split()
        assert not [c for c in son.context.cookies() if c["name"] == "gj_elder"]

        visitor = new_page(browser, viewport=PHONE_390)  # a visitor may switch it on too
        visitor.goto(f"{server.base}/login")
        click(visitor, visitor.locator("#elder-mode"))
        assert visitor.url == f"{server.base}/login"
        assert "elder" in (visitor.locator("body").get_attribute("class") or "").split()
        shot(visitor, "portal-login-elder-zh")
        visitor.context.close()
        assert not son.js_errors
    finally:
        son.context.close()
        mother.context.close()
