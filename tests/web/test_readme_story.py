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
from tests.web.test_portal import (
    MOTHER,
    MOTHER_MASKED,
    WEI,
    click,
    log_in,
    money,
    note_shown,
    send,
    submit,
)

pytestmark = pytest.mark.browser


def balance(page: Any, base: str) -> int:
    page.goto(f"{base}/")
    return money(page, "#personal-balance")


def test_the_readme_story_as_written(server: DemoServer, browser: Any) -> None:
    son, mother = new_page(browser), new_page(browser)
    try:
        log_in(server, son, WEI, "zh")
        log_in(server, mother, MOTHER, "zh", pick="xiuying")
        start = balance(son, server.base)
        # 2. each opens a wallet
        for page in (son, mother):
            page.goto(f"{server.base}/wallet")
            submit(page, "/wallet/open")
        # 3. he binds her; she consents
        son.goto(f"{server.base}/family")
        son.check("input[name=role][value=sponsor]")
        son.select_option("#relation", "parent")
        son.select_option("#demo_relative", "xiuying")
        submit(son, "/family/bind")
        mother.goto(f"{server.base}/family")
        click(mother, mother.locator("div.card[data-binding] form[action$='/consent'] button"))
        note_shown(mother)
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
