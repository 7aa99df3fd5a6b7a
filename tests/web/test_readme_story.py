"""The README's family story, steps 2-4 and 7, as written (issue 18, point 9), in Chromium at
phone width: two transfers accepted, a third left waiting, a fourth refused beside the form;
the clock moved to 06:00 the next morning returns the one left waiting; ending the binding
returns her unused quota. His account ends where it began, to the fen."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.web.conftest import DemoServer, new_page, shot
from tests.web.test_portal import MOTHER_MASKED, click, money, note_shown, send
from tests.web.tour import bound

pytestmark = pytest.mark.browser


def balance(page: Any, base: str) -> int:
    page.goto(f"{base}/")
    return money(page, "#personal-balance")


def test_the_readme_story_as_written(server: DemoServer, browser: Any) -> None:
    son, mother = new_page(browser), new_page(browser)
    try:
        # 1-3. both log in and open wallets; he binds her; she consents
        bound(server, son, mother)
        note_shown(mother)
        start = balance(son, server.base)
        # 4. two accepted, a third left waiting, a fourth refused beside the form
        for n in range(1, 4):
            son.goto(f"{server.base}/transfer")
            send(son, MOTHER_MASKED, "2000.00")
            note_shown(son)
            if n < 3:
                mother.goto(f"{server.base}/")
                click(mother, mother.locator("div.transfer form[action$='/accept'] button"))
        son.goto(f"{server.base}/transfer")
        send(son, MOTHER_MASKED, "2000.00")
        assert son.locator("[role=alert]").count() == 1
        shot(son, "readme-story-fourth-refused-zh")
        assert balance(son, server.base) == start - 3 * 2000_00
        # 7. 06:00 the next morning: the one she left comes back to him
        now = datetime.fromisoformat(server.api("GET", "/api/v1/sandbox/clock")["now"])
        server.clock((now + timedelta(days=1)).replace(hour=6, minute=0, second=0).isoformat())
        deadline = time.monotonic() + 20
        while balance(son, server.base) != start - 2 * 2000_00 and time.monotonic() < deadline:
            time.sleep(0.5)  # the sweeper returns it within a second or two
        assert balance(son, server.base) == start - 2 * 2000_00
        #    ending the binding returns her unused quota to him
        son.goto(f"{server.base}/family")
        row = son.locator("tr[data-binding]", has_text=MOTHER_MASKED)
        row.locator("summary").click()
        click(son, row.locator("form[action$='/end'] button"))
        note_shown(son)
        assert balance(son, server.base) == start, "every fen back"
        shot(son, "readme-story-end-zh")
    finally:
        son.context.close()
        mother.context.close()
