"""Signing in says nothing about who is registered, and cannot be guessed through (issue 15,
items 10 and 15).

- An ID number nobody has gets the answer a registered one gets: the same status, the same
  body, the same refusals after it (too soon, a code locked after its wrong tries, the day's
  limit); only the registered person's phone receives anything.
- Codes asked for and wrong codes typed are counted per business day (Asia/Shanghai, through
  the injectable clock), per ID number and per client address, in the database: a restart
  does not reset them, and the count starts again at 00:00:00, not a second before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.certno import make_certno
from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.errors import GongjiError
from gongji.domain.login_limits import PER_ADDRESS, PER_PERSON
from gongji.services.auth import service as auth
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from gongji.store.tables import login_counts
from tests.family import Family, make_family

TOKEN = "op-token"
OP = {"Authorization": f"Bearer {TOKEN}"}
NOBODY = make_certno("110101", date(1990, 3, 7), 417)
"""A well-formed ID number that no one in the database has."""
HOME = ("198.51.100.7", 50000)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(shanghai(2026, 11, 24, 10, 0, 0))


@pytest.fixture
def fam(database: Database, clock: FixedClock) -> Family:
    return make_family(Gongji(database, clock))


def client_for(services: Gongji, address: tuple[str, int] = HOME) -> TestClient:
    return TestClient(create_app(services, Settings(db=services.db.url, admin_token=TOKEN)),
                      raise_server_exceptions=False, client=address)


@pytest.fixture
def client(fam: Family) -> Iterator[TestClient]:
    with client_for(fam.app) as c:
        yield c


def outbox(c: TestClient) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = c.get("/api/v1/outbox", headers=OP,
                                      params={"limit": 500}).json()
    return out


def last_code(c: TestClient) -> str:
    found = re.search(r"验证码是 (\d+)", outbox(c)[0]["body"])
    assert found is not None
    return found.group(1)


def ask(c: TestClient, certno: str) -> Any:
    return c.post("/api/v1/auth/code", json={"certno": certno})


def guess(c: TestClient, certno: str, code: str = "000000") -> Any:
    return c.post("/api/v1/auth/login", json={"certno": certno, "code": code})


def answer(r: Any) -> tuple[int, Any]:
    return r.status_code, r.json()


# -- item 10: the same answer for a number nobody has -------------------------------------------

def test_an_unknown_number_is_answered_like_a_registered_one(client: TestClient, fam: Family
                                                            ) -> None:
    known = fam["张伟"].certno
    sent_before = len(outbox(client))
    a, b = ask(client, known), ask(client, NOBODY)
    assert a.status_code == b.status_code == 202, (a.text, b.text)
    assert a.json() == b.json(), "the body tells a registered number from an unknown one"
    assert "138" not in a.text and "phone" not in a.text
    assert len(outbox(client)) == sent_before + 1  # only the registered person got a code
    assert NOBODY not in str(outbox(client))
    # what follows is the same too: too soon, four wrong codes, then the code is locked
    assert answer(ask(client, known)) == answer(ask(client, NOBODY))
    assert ask(client, NOBODY).json()["code"] == "OTP_TOO_SOON"
    for n in range(5):
        x, y = guess(client, known), guess(client, NOBODY)
        assert answer(x) == answer(y), n
        assert x.json()["code"] == ("OTP_LOCKED" if n == 4 else "OTP_INVALID")


def test_the_portal_sign_in_page_is_the_same_for_an_unknown_number(fam: Family) -> None:
    with client_for(fam.app) as c:
        c.get("/login")
        pages = []
        for certno in (fam["张伟"].certno, NOBODY):
            r = c.post("/login/code", data={"certno": certno, "csrf": c.cookies["gj_csrf"]})
            pages.append((r.status_code, r.text.replace(certno, "(certno)")))
        assert pages[0][0] == pages[1][0] == 200
        assert pages[0][1] == pages[1][1]
        assert "138****" not in pages[0][1]


# -- item 15: a limit over the business day ------------------------------------------------------

def test_a_number_gets_so_many_codes_a_day_and_again_from_midnight(
        client: TestClient, fam: Family, clock: FixedClock) -> None:
    for certno in (fam["王芳"].certno, NOBODY):  # the same whether anyone has the number
        clock.set(shanghai(2026, 11, 24, 10, 0, 0))
        for _ in range(PER_PERSON.codes):
            assert ask(client, certno).status_code == 202
            clock.advance(timedelta(minutes=2))
        refused = ask(client, certno)
        assert refused.status_code == 429 and refused.json()["code"] == "OTP_DAILY_LIMIT"
        clock.set(shanghai(2026, 11, 24, 23, 59, 59))
        assert ask(client, certno).json()["code"] == "OTP_DAILY_LIMIT"
        clock.set(shanghai(2026, 11, 25, 0, 0, 0))
        assert ask(client, certno).status_code == 202


def test_wrong_codes_are_limited_over_the_day_not_only_per_code(
        client: TestClient, fam: Family, clock: FixedClock) -> None:
    """Five wrong tries lock one code; a new code does not give the day's tries back."""
    certno = fam["王芳"].certno
    wrong = 0
    while wrong < PER_PERSON.wrong:
        assert ask(client, certno).status_code == 202
        clock.advance(timedelta(seconds=61))
        for _ in range(min(4, PER_PERSON.wrong - wrong)):
            assert guess(client, certno).json()["code"] in ("OTP_INVALID", "OTP_LOCKED")
            wrong += 1
    clock.advance(timedelta(minutes=2))
    refused = ask(client, certno)
    assert refused.status_code == 429 and refused.json()["code"] == "OTP_DAILY_LIMIT"
    # even the right code of a code sent before the limit is not checked any more
    clock.set(shanghai(2026, 11, 24, 23, 59, 59))
    assert guess(client, certno, "123456").json()["code"] == "OTP_DAILY_LIMIT"
    assert ask(client, certno).json()["code"] == "OTP_DAILY_LIMIT"
    clock.set(shanghai(2026, 11, 25, 0, 0, 0))
    assert ask(client, certno).status_code == 202
    assert guess(client, certno, last_code(client)).status_code == 200


def test_one_address_gets_so_many_codes_a_day_whatever_the_numbers(
        fam: Family, clock: FixedClock) -> None:
    with client_for(fam.app) as c:
        for n in range(PER_ADDRESS.codes):
            r = ask(c, make_certno("110101", date(1980, 1, 1) + timedelta(days=n), 1))
            assert r.status_code == 202, (n, r.text)
        r = ask(c, fam["张伟"].certno)
        assert r.status_code == 429 and r.json()["code"] == "OTP_DAILY_LIMIT"
    with client_for(fam.app, ("203.0.113.9", 50000)) as other:
        assert ask(other, fam["张伟"].certno).status_code == 202  # another address may
    clock.set(shanghai(2026, 11, 24, 23, 59, 59))
    with client_for(fam.app) as c:
        assert ask(c, NOBODY).json()["code"] == "OTP_DAILY_LIMIT"
        clock.set(shanghai(2026, 11, 25, 0, 0, 0))
        assert ask(c, NOBODY).status_code == 202


def test_a_restart_does_not_reset_the_counts(fam: Family, clock: FixedClock) -> None:
    certno = fam["王芳"].certno
    with client_for(fam.app) as c:
        for _ in range(PER_PERSON.codes):
            assert ask(c, certno).status_code == 202
            clock.advance(timedelta(minutes=2))
        assert ask(c, certno).json()["code"] == "OTP_DAILY_LIMIT"
    again = Gongji(fam.app.db, clock)  # a new process on the same database
    with client_for(again) as c:
        assert ask(c, certno).json()["code"] == "OTP_DAILY_LIMIT"


def test_parallel_guesses_do_not_pass_the_day_s_limit(fam: Family) -> None:
    """Thirty wrong codes at once (no code asked for, so no code locks first): exactly the
    day's allowance is checked and counted, every other one is refused by the limit."""
    certno = fam["王芳"].certno

    def one(_: int) -> str:
        try:
            auth.login(fam.app, certno, "000000", client="198.51.100.99")
        except GongjiError as e:
            return e.code
        return "LOGGED_IN"

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(one, range(30)))
    assert codes.count("OTP_INVALID") == PER_PERSON.wrong, codes
    assert codes.count("OTP_DAILY_LIMIT") == 30 - PER_PERSON.wrong, codes
    with fam.app.db.engine.connect() as conn:
        counted = conn.execute(select(login_counts.c.kind, login_counts.c.wrong)).all()
    assert sorted(counted) == [("address", PER_PERSON.wrong), ("person", PER_PERSON.wrong)]
