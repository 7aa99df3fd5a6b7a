"""Every table of the portal, the cashier and the console at 390 x 844 and 768 x 1024
(issue 18, point 3), in Chinese and English: no page scrolls sideways and no cell is laid out
one character per line ('李/**', '✓/已/生/效'). Wide tables turn into cards on a phone
(table.stack, each cell labelled) or scroll inside their own box. Each page is saved as
layout-<page>-<lang>-<width>.png."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import DemoServer, artifacts, new_page
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

SIZES = [{"width": 390, "height": 844}, {"width": 768, "height": 1024}]

SQUEEZED = """() => {
  // A text of two characters or more whose every line holds about one character: the lines
  // of its text (one rect per line) are each narrower than 1.6 em, and there are two or more.
  const out = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      if ([...text].length < 2) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
      if (rects.length < 2) continue;
      const em = parseFloat(getComputedStyle(node.parentElement).fontSize);
      if (Math.max(...rects.map(r => r.width)) < 1.6 * em)
        out.push(text + ' (' + rects.length + ' lines, '
                 + Math.round(cell.getBoundingClientRect().width) + 'px wide)');
    }
  }
  return out;
}"""


def check(page: Any, name: str, width: int, problems: list[str]) -> None:
    """Note what is wrong with the page (every page is visited before the test fails, so one
    run shows the whole audit) and save it."""
    assert page.locator("h1").count() == 1, page.url
    squeezed = page.evaluate(SQUEEZED)
    if squeezed:
        problems.append(f"{name} at {width}px: one character per line: {squeezed}")
    overflow = page.evaluate("[document.documentElement.scrollWidth,"
                             " document.documentElement.clientWidth]")
    if overflow[0] > overflow[1]:
        problems.append(f"{name} at {width}px scrolls sideways: {overflow}")
    page.screenshot(path=str(artifacts() / f"layout-{name}-{width}.png"), full_page=True)


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def test_every_table_fits_a_phone_and_a_tablet(server: DemoServer, browser: Any) -> None:
    people = {"wei": new_page(browser), "xiuying": new_page(browser)}
    seeded = seed(server, browser, people["wei"], people["xiuying"])
    visitor, op = new_page(browser), new_page(browser)
    op.context.add_cookies(operator_cookie(server))
    problems: list[str] = []
    try:
        for lang in ("zh", "en"):
            for page in (visitor, op, *people.values()):
                page.context.add_cookies([{"name": "gj_lang", "value": lang,
                                           "url": server.base}])
            for size in SIZES:
                w = size["width"]
                for page in (visitor, op, *people.values()):
                    page.set_viewport_size(size)
                for path in PUBLIC_PAGES:
                    visitor.goto(f"{server.base}{path}")
                    check(visitor, f"public-{slug(path)}-{lang}", w, problems)
                for (key, person), who in zip(people.items(), (WEI, MOTHER), strict=True):
                    for path in portal_pages(who, seeded):
                        person.goto(f"{server.base}{path}")
                        check(person, f"portal-{key}-{slug(path)}-{lang}", w, problems)
                for path in CONSOLE_PAGES + cashier_pages(seeded):
                    op.goto(f"{server.base}{path}")
                    check(op, f"{slug(path)}-{lang}", w, problems)
                cashier_sale(server, op, lambda name, w=w, lang=lang:
                             check(op, f"{name}-{lang}", w, problems))
        assert not op.js_errors
        assert not problems, "\n".join(problems)
    finally:
        for page in (visitor, op, *people.values()):
            page.context.close()
