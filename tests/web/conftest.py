"""Browser tests: Playwright for Python driving Debian's Chromium against a real `gongji demo`
(which is `gongji serve` on 127.0.0.1 with demo data and the sandbox clock).

Every page a test visits can be saved with `shot(page, name)` under
$GONGJI_ARTIFACTS/screenshots (default: ./artifacts/screenshots); .ci/run prints the folder.

Environment:
  GONGJI_REQUIRE_BROWSER=1  fail (instead of skip) when Playwright or Chromium is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gongji.services.demo.service import FAMILY, certno_of
from gongji.testing.postgres import free_port

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "web-test-operator-token"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
CERTNO = {p.name: certno_of(p) for p in FAMILY}
"""The demo family's ID numbers by name (张伟, 李秀英, ...)."""


def artifacts() -> Path:
    folder = Path(os.environ.get("GONGJI_ARTIFACTS") or ROOT / "artifacts") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class DemoServer:
    """A `gongji demo` process of our own: a fresh database, a free port."""

    base: str
    proc: subprocess.Popen[str]

    def api(self, method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", **kw.pop("headers", {})}
        r = httpx.request(method, self.base + path, headers=headers, timeout=30, **kw)
        assert r.status_code < 400, r.text
        return r.json()

    def latest_code(self) -> str:
        """The newest one-time login code in the sandbox outbox."""
        body = self.api("GET", "/api/v1/outbox", params={"limit": 1})[0]["body"]
        found = re.search(r"\b(\d{6})\b", body)
        assert found, body
        return found.group(1)

    def console_cookie(self) -> str:
        """A console session opened with the operator token: the value of the gj_console
        cookie the console's login sets (a session id; the token itself is never a cookie)."""
        with httpx.Client(base_url=self.base, timeout=30) as c:
            c.get("/console/login")
            r = c.post("/console/login", data={"csrf": c.cookies["gj_csrf"],
                                                "token": ADMIN_TOKEN})
            assert r.status_code == 303, r.text
            session: str = c.cookies["gj_console"]
        return session

    def clock(self, iso: str) -> str:
        now: str = self.api("POST", "/api/v1/sandbox/clock", json={"set": iso})["now"]
        return now


def start_demo(tmp: Path) -> DemoServer:
    port = free_port()
    env = {**os.environ, "GONGJI_ADMIN_TOKEN": ADMIN_TOKEN, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "gongji", "demo", "--db", str(tmp / "demo.db"),
                             "--port", str(port)], env=env, cwd=tmp, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gongji demo exited:\n" + (proc.stdout.read() if proc.stdout
                                                          else ""))
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return DemoServer(base, proc)
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gongji demo did not answer /healthz within 60 s")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DemoServer]:
    s = start_demo(tmp_path)
    try:
        yield s
    finally:
        s.proc.terminate()
        try:
            s.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            s.proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        _missing(f"Playwright is not installed: {e}")
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing (apt-get install -y chromium fonts-wqy-microhei)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield b
        finally:
            b.close()


def _missing(why: str) -> None:
    if os.environ.get("GONGJI_REQUIRE_BROWSER"):
        pytest.fail(f"browser tests must run here (GONGJI_REQUIRE_BROWSER): {why}")
    pytest.skip(why)


def new_page(browser: Any, *, lang: str = "zh", viewport: dict[str, int] | None = None) -> Any:
    context = browser.new_context(viewport=viewport or PHONE,
                                  locale="zh-CN" if lang == "zh" else "en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.js_errors = errors
    return page


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    page = new_page(browser)
    yield page
    page.context.close()


def shot(page: Any, name: str) -> Path:
    """Save the whole page; check on the way that it fits the window's width."""
    no_sideways_scroll(page)
    path = artifacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def keep_in_docs(path: Path, name: str) -> None:
    """Copy a screenshot into docs/screenshots/, only when asked (GONGJI_UPDATE_DOCS=1): a
    test run leaves the checkout as it found it."""
    if os.environ.get("GONGJI_UPDATE_DOCS") == "1":
        shutil.copyfile(path, ROOT / "docs" / "screenshots" / name)


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    view = page.evaluate("window.innerWidth")
    assert width <= view, f"{page.url} scrolls sideways: {width}px content in {view}px"
