"""The pages' side of the authorization matrix, generated from the route table: every page of
the portal, the console and the cashier, by every method, as nobody, as a person logged in
to the portal and as an operator logged in to the console. The portal is the person's, the
console and the cashier the operator's; each refuses the others by sending them to its own
login (or refusing the form), and only the login pages are open to all."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock, shanghai
from gongji.services.demo.service import FAMILY, certno_of, seed
from gongji.services.runtime import Gongji
from gongji.store.db import Database

TOKEN = "pages-op-token"
PUBLIC = {("GET", "/login"), ("POST", "/login/code"), ("POST", "/login"), ("POST", "/logout"),
          ("GET", "/console/login"), ("POST", "/console/login"), ("POST", "/console/logout"),
          ("GET", "/trace"), ("POST", "/trace"), ("GET", "/where"), ("GET", "/favicon.ico"),
          ("POST", "/elder")}
"""Open to everyone: logging in and out, checking a drug's trace code (as the public API's
/api/v1/trace-codes/query is), where the wallet is accepted (GET /api/v1/institutions), the
site's icon, and the 长辈模式 switch (a cookie in the visitor's own browser)."""
OWNER = {"portal": "person", "console": "operator", "cashier": "operator"}
LOGIN = {"portal": "/login", "console": "/console/login", "cashier": "/console/login"}


def area(path: str) -> str:
    return "console" if path.startswith("/console") else \
        "cashier" if path.startswith("/cashier") else "portal"


def page_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) served by the web package, from the application's route table."""
    def walk(routes: list[Any]) -> Iterator[Any]:
        for r in routes:
            inner = next((getattr(r, k) for k in vars(r) if hasattr(getattr(r, k), "routes")),
                         None) if type(r).__name__ == "_IncludedRouter" else None
            if inner is not None:
                yield from walk(inner.routes)
            elif getattr(r, "endpoint", None) is not None:
                yield r

    out = set()
    for r in walk(app.routes):
        if r.endpoint.__module__.startswith("gongji.web"):
            out |= {(m, r.path) for m in r.methods if m != "HEAD"}
    return sorted(out)


def csrf(c: TestClient, page: str = "/login") -> str:
    c.get(page)
    token = c.cookies.get("gj_csrf")
    assert token
    return token


@pytest.fixture
def clients(sqlite_template: Path, tmp_path: Path) -> Iterator[dict[str, TestClient]]:
    target = tmp_path / "gongji.db"
    shutil.copyfile(sqlite_template, target)
    db = Database(f"sqlite:///{target}")
    services = Gongji(db, FixedClock(shanghai(2026, 11, 24, 10, 0, 0)), sandbox=True)
    seed(services)
    app = create_app(services, Settings(db=db.url, admin_token=TOKEN, sandbox=True))
    with TestClient(app, raise_server_exceptions=False) as nobody, \
            TestClient(app, raise_server_exceptions=False) as person, \
            TestClient(app, raise_server_exceptions=False) as operator:
        certno = certno_of(FAMILY[0])
        assert person.post("/login/code", data={"certno": certno, "csrf": csrf(person)}
                           ).status_code == 200
        body = operator.get("/api/v1/outbox", params={"limit": 1},
                            headers={"Authorization": f"Bearer {TOKEN}"}).json()[0]["body"]
        code = re.search(r"(\d{6})", body).group(1)  # type: ignore[union-attr]
        r = person.post("/login", data={"certno": certno, "code": code, "csrf": csrf(person)},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"
        r = operator.post("/console/login", data={"csrf": csrf(operator, "/console/login"),
                                                  "token": TOKEN}, follow_redirects=False)
        assert r.headers["location"] == "/console"
        csrf(nobody)
        yield {"nobody": nobody, "person": person, "operator": operator}
    db.dispose()


def test_every_page_is_its_owners_and_refuses_the_others(clients: dict[str, TestClient]
                                                         ) -> None:
    routes = page_routes(clients["nobody"].app)
    assert len(routes) > 50 and ("GET", "/console") in routes and ("GET", "/") in routes
    wrong = []
    for method, template in routes:
        if (method, template) in PUBLIC or template.startswith("/static"):
            continue
        path = re.sub(r"\{(\w+)\}", "x", template)
        where = area(template)
        for who, c in clients.items():
            data = {"csrf": c.cookies.get("gj_csrf") or ""}
            r = (c.get(path, follow_redirects=False) if method == "GET" else
                 c.request(method, path, data=data, follow_redirects=False))
            to_login = r.status_code in (302, 303) and \
                r.headers.get("location", "").startswith(LOGIN[where])
            refused = to_login or r.status_code in (401, 403)
            if who == OWNER[where] and refused:
                wrong.append(f"{method} {template} as {who}: refused ({r.status_code} "
                             f"{r.headers.get('location', '')})")
            if who != OWNER[where] and not refused:
                wrong.append(f"{method} {template} as {who}: {r.status_code}, expected to be "
                             f"sent to {LOGIN[where]} or refused")
            assert r.status_code < 500, f"{method} {template} as {who}: {r.text[:300]}"
    assert not wrong, "\n".join(wrong)


def test_a_stranger_finds_no_claim_of_anothers(clients: dict[str, TestClient]) -> None:
    """李秀英's claim waits for review: 张伟 (no proxy for her) gets not found, as for an id
    that does not exist, on its page and for its withdrawal; an operator sees it."""
    queue = clients["operator"].get("/api/v1/claims/queue",
                                    headers={"Authorization": f"Bearer {TOKEN}"}).json()
    waiting = [c["claim_id"] for c in queue if c["status"] == "submitted"]
    assert len(waiting) == 1
    person = clients["person"]
    for path in (f"/claims/{waiting[0]}", "/claims/C0000000000000000"):
        assert person.get(path).status_code == 404, path
    r = person.post(f"/claims/{waiting[0]}/withdraw",
                    data={"csrf": person.cookies["gj_csrf"], "key": "k1"})
    assert r.status_code == 404
    assert waiting[0] not in person.get("/claims").text
    assert clients["operator"].get(f"/console/claims/{waiting[0]}").status_code == 200
    assert clients["operator"].get(f"/api/v1/claims/{waiting[0]}", headers={
        "Authorization": f"Bearer {TOKEN}"}).json()["status"] == "submitted"
