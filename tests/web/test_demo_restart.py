"""Restarting `gongji demo` (issue 18, point 9), in Chromium: the operator token printed at the
first start is printed again (kept beside the database), so the console session in the browser
goes on; the sandbox clock resumes where it had ticked to, not where it was last set."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gongji.testing.postgres import free_port
from tests.web.conftest import new_page
from tests.web.test_portal import click

pytestmark = pytest.mark.browser


def start(folder: Path, port: int) -> subprocess.Popen[str]:
    """`gongji demo` as a person starts it: no GONGJI_ADMIN_TOKEN, the token is its own."""
    env = {k: v for k, v in os.environ.items() if k != "GONGJI_ADMIN_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "gongji", "demo", "--db",
                             str(folder / "demo.db"), "--port", str(port)],
                            env=env | {"PYTHONUNBUFFERED": "1"}, cwd=folder, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "gongji demo exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gongji demo did not answer /healthz within 60 s")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()  # as Ctrl-C does: a graceful shutdown
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def clock(base: str, token: str) -> datetime:
    r = httpx.get(f"{base}/api/v1/sandbox/clock", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return datetime.fromisoformat(r.json()["now"])


def test_a_restarted_demo_keeps_its_token_session_and_time(tmp_path: Path,
                                                          browser: Any) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(tmp_path, port)
    page = new_page(browser)
    try:
        token = (tmp_path / "demo.db.token").read_text(encoding="utf-8").strip()
        page.goto(f"{base}/console/login")
        page.fill("input[name=token]", f"Bearer {token}")  # the line as printed
        click(page, page.locator("form[action='/console/login'] button"))
        assert page.url.rstrip("/").endswith("/console"), page.locator("main").inner_text()
        time.sleep(3)  # the demo clock ticks
        before = clock(base, token)
        stop(proc)

        proc = start(tmp_path, port)
        assert (tmp_path / "demo.db.token").read_text(encoding="utf-8").strip() == token
        after = clock(base, token)  # the same token still opens the API
        assert after >= before, (before, after)
        page.goto(f"{base}/console")  # the browser's session goes on
        assert page.url.rstrip("/").endswith("/console"), page.url
        assert "/console/login" not in page.url
    finally:
        page.context.close()
        stop(proc)
