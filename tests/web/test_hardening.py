"""The pages' sessions and notices (issue 15, items 12 and 16).

- Cookies are Secure when the page was served over HTTPS: by the request itself, or by a
  proxy's X-Forwarded-Proto, believed only from an address in `trusted_proxies`.
- The console's cookie carries a server-side session id, never the operator token: logging out
  revokes it, and it ends after 12 hours of real time (not of the sandbox clock).
- A page shows no text from its address: a notice ("done", "registered ...") is a one-time
  flash kept with the session on the server, shown once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock, shanghai
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.family import Family, make_family

TOKEN = "op-token-for-pages"
OP = {"Authorization": f"Bearer {TOKEN}"}
PHISH = "您的医保账户存在异常，请立即拨打 400-123-4567 核实"
WEB = Path(__file__).resolve().parents[2] / "src" / "gongji" / "web"


@pytest.fixture
def wall() -> FixedClock:
    return FixedClock(shanghai(2026, 11, 24, 9, 0, 0))


@pytest.fixture
def fam(database: Database, clock: FixedClock, wall: FixedClock) -> Family:
    return make_family(Gongji(database, clock, wall=wall))


def site(fam: Family, *, trusted: str | None = None, peer: str = "testclient",
         base_url: str = "http://testserver") -> TestClient:
    settings = Settings(db=fam.app.db.url, admin_token=TOKEN,
                        **({"trusted_proxies": trusted} if trusted is not None else {}))
    return TestClient(create_app(fam.app, settings), raise_server_exceptions=False,
                      base_url=base_url, client=(peer, 50000))


@pytest.fixture
def c(fam: Family) -> Iterator[TestClient]:
    with site(fam) as client:
        yield client


def set_cookie(r: Any, name: str) -> str:
    """The Set-Cookie line of one cookie, lower-cased ("" when not set)."""
    lines = [x for x in r.headers.get_list("set-cookie") if x.startswith(name + "=")]
    return lines[-1].lower() if lines else ""


def csrf(c: TestClient) -> str:
    if "gj_csrf" not in c.cookies:
        c.get("/login")
    return c.cookies["gj_csrf"]


def person_login(c: TestClient, certno: str) -> Any:
    assert c.post("/login/code", data={"certno": certno, "csrf": csrf(c)}).status_code == 200
    body = c.get("/api/v1/outbox", headers=OP, params={"limit": 1}).json()[0]["body"]
    code = re.search(r"验证码是 (\d+)", body).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"certno": certno, "code": code, "csrf": csrf(c)},
               follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/"), r.text
    return r


def console_login(c: TestClient, token: str = TOKEN) -> Any:
    r = c.post("/console/login", data={"token": token, "csrf": csrf(c)},
               follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/console"), r.text
    return r


def logged_in(c: TestClient) -> bool:
    r = c.get("/console", follow_redirects=False)
    assert r.status_code in (200, 303)
    return r.status_code == 200


# -- item 12: Secure cookies ---------------------------------------------------------------------

def test_cookies_are_secure_over_https_and_only_then(fam: Family, clock: FixedClock) -> None:
    for base, secure in (("https://testserver", True), ("http://testserver", False)):
        clock.advance(timedelta(minutes=2))  # a new code may be asked for after a minute
        with site(fam, base_url=base) as c:
            first = c.get("/login")
            assert ("; secure" in set_cookie(first, "gj_csrf")) is secure, base
            session = set_cookie(person_login(c, fam["张伟"].certno), "gj_session")
            assert session and ("; secure" in session) is secure, base
            assert "httponly" in session and "samesite=lax" in session
            console = set_cookie(console_login(c), "gj_console")
            assert console and ("; secure" in console) is secure, base
            assert "httponly" in console and "samesite=strict" in console
            lang = set_cookie(c.get("/login?lang=en"), "gj_lang")
            assert lang and ("; secure" in lang) is secure, base


@pytest.mark.parametrize(("trusted", "peer", "secure"), [
    (None, "10.0.0.2", False),  # no proxy is trusted unless configured
    ("10.0.0.0/8, 192.0.2.1", "10.0.0.2", True),
    ("10.0.0.0/8, 192.0.2.1", "192.0.2.1", True),
    ("10.0.0.0/8, 192.0.2.1", "198.51.100.1", False),  # anyone else may say anything
])
def test_a_forwarded_proto_is_believed_from_a_trusted_proxy_only(
        fam: Family, trusted: str | None, peer: str, secure: bool) -> None:
    with site(fam, trusted=trusted, peer=peer) as c:
        r = c.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert ("; secure" in set_cookie(r, "gj_csrf")) is secure


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.example")


# -- item 12: the console's session ---------------------------------------------------------------

def test_the_console_cookie_is_a_session_that_logout_revokes(c: TestClient) -> None:
    console_login(c)
    sid = c.cookies["gj_console"]
    assert TOKEN not in sid and sid != TOKEN
    assert logged_in(c)
    c.cookies.set("gj_console", TOKEN)  # the token itself is no session
    assert not logged_in(c)
    c.cookies.set("gj_console", sid)
    assert logged_in(c)
    r = c.post("/console/logout", data={"csrf": csrf(c)}, follow_redirects=False)
    assert r.headers["location"] == "/console/login"
    c.cookies.set("gj_console", sid)  # a copy of the cookie kept from before
    assert not logged_in(c)
    r = c.get("/console/institutions", follow_redirects=False)
    assert r.headers["location"] == "/console/login"


def test_a_console_session_lasts_twelve_hours_of_real_time(
        c: TestClient, clock: FixedClock, wall: FixedClock) -> None:
    console_login(c)
    clock.advance(timedelta(days=30))  # the business (sandbox) clock does not end it
    assert logged_in(c)
    wall.advance(timedelta(hours=12) - timedelta(seconds=1))
    assert logged_in(c)
    wall.advance(timedelta(seconds=1))
    assert not logged_in(c)


# -- item 16: notices -----------------------------------------------------------------------------

def test_no_page_shows_text_from_its_address(c: TestClient, fam: Family) -> None:
    person_login(c, fam["张伟"].certno)
    console_login(c)
    for path in ("/", "/family", "/wallet", "/transfer", "/history", "/more", "/code",
                 "/trace", "/login", "/console", "/console/institutions", "/console/clock",
                 "/console/login", "/cashier", "/nowhere"):
        r = c.get(path, params={"note": PHISH, "flash": PHISH, "message": PHISH})
        assert r.status_code < 500, path
        assert "400-123-4567" not in r.text, path


def test_a_refusal_reached_by_its_address_echoes_ids_only(c: TestClient, fam: Family) -> None:
    """An error page for an address names what was not found when it looks like an id; any
    other text from the address (a sentence, a number to call) is not repeated."""
    person_login(c, fam["张伟"].certno)
    console_login(c)
    for path in (f"/settlements/{PHISH}", f"/{PHISH}", f"/console/policies?region={PHISH}",
                 f"/console/institutions/{PHISH}/transport",
                 f"/console/policies/diff?a_region={PHISH}"):
        r = c.get(path)
        assert 400 <= r.status_code < 500, path
        assert "400-123-4567" not in r.text and "请立即拨打" not in r.text, path
    r = c.get("/settlements/S06H47DDGEJAQ3260")
    assert r.status_code == 404 and "S06H47DDGEJAQ3260" in r.text
    r = c.get("/console/institutions/H59999999999/transport")
    assert r.status_code == 404 and "H59999999999" in r.text


def test_pages_read_nothing_from_the_address_but_the_language() -> None:
    found = []
    for f in sorted(WEB.rglob("*")):
        if f.suffix in (".py", ".html"):
            for n, line in enumerate(f.read_text().splitlines(), start=1):
                if "query_params" in line and "lang" not in line:
                    found.append(f"{f.relative_to(WEB)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


def test_a_notice_is_kept_on_the_server_and_shown_once(c: TestClient, fam: Family) -> None:
    person_login(c, fam["张伟"].certno)
    r = c.post("/more/switch", data={"csrf": csrf(c), "key": "sw-1", "enabled": "1"},
               follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/more"), r.text
    first, again = c.get("/more").text, c.get("/more").text
    assert '<p class="note" role="status">跨省刷卡购药已开启。</p>' in first
    assert 'class="note" role="status"' not in again

    console_login(c)
    r = c.post("/console/institutions", follow_redirects=False, data={
        "csrf": csrf(c), "key": "reg-1", "fixmedins_code": "H51010000077",
        "fixmedins_name": "测试医院", "hosp_lv": "3", "admdvs": "510100"})
    assert (r.status_code, r.headers["location"]) == (303, "/console/institutions"), r.text
    first, again = c.get("/console/institutions").text, c.get("/console/institutions").text
    assert "已登记 H51010000077" in first and "已登记 H51010000077" not in again


def test_a_notice_belongs_to_its_own_session(fam: Family, clock: FixedClock) -> None:
    with site(fam) as one, site(fam) as other:
        person_login(one, fam["张伟"].certno)
        clock.advance(timedelta(minutes=2))  # a second code may be asked for after a minute
        person_login(other, fam["张伟"].certno)
        r = one.post("/more/switch", data={"csrf": csrf(one), "key": "sw-2", "enabled": "1"},
                     follow_redirects=False)
        assert r.status_code == 303
        assert "跨省刷卡购药已开启" not in other.get("/more").text
        assert "跨省刷卡购药已开启" in one.get("/more").text
