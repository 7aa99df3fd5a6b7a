"""A full run leaves no personal data in the logs: `gongji demo` at debug level serves the
example HIS (sign-in, person query by ID number, visits, a pharmacy sale, cancel, reversal,
reconciliation), logins right and wrong, and refused requests that carry ID numbers; then its
log stream is searched for every demo person's ID number, name and phone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from gongji.services.demo.service import FAMILY, certno_of
from gongji.testing.postgres import free_port
from gongji.testing.servers import wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def test_the_logs_of_a_full_run_carry_no_id_number_name_or_phone(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "GONGJI_ADMIN_TOKEN": "logs-token", "GONGJI_LOG_LEVEL": "debug",
           "PYTHONUNBUFFERED": "1"}
    logs = tmp_path / "stderr.log"
    with logs.open("w") as sink:
        # stdout carries the demo's banner (it prints the demo family to log in with, by
        # design); stderr carries the log lines, which is what is searched
        server = subprocess.Popen([sys.executable, "-m", "gongji", "demo", "--db",
                                   str(tmp_path / "demo.db"), "--port", str(port)], env=env,
                                  cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=sink)
        base = f"http://127.0.0.1:{port}"
        try:
            assert wait_healthy(base, server), "gongji demo did not start"
            his = subprocess.run([sys.executable, str(ROOT / "examples" / "his_client.py"),
                                  "--base", base, "--operator-token", "logs-token"],
                                 capture_output=True, text=True, timeout=120, cwd=ROOT)
            assert his.returncode == 0, his.stdout + his.stderr
            bodies = _people_flows(base)
        finally:
            server.terminate()
            server.wait(timeout=20)
    text = logs.read_text(encoding="utf-8")
    assert "callService" in text and "/api/v1/auth/login" in text  # the run was logged
    for p in FAMILY:
        for secret in (certno_of(p), p.name, p.phone):
            assert secret not in text, f"{secret[:3]}… of {p.key} is in the logs"
            for body in bodies:
                assert certno_of(p) not in body, "an error body echoes an ID number"


def _people_flows(base: str) -> list[str]:
    """Logins and refusals that carry personal data in their bodies; returns the bodies."""
    out: list[str] = []
    with httpx.Client(base_url=base, timeout=10) as c:
        wei, mother = FAMILY[1], FAMILY[3]  # 王芳 logs in (the HIS run used 张伟)
        assert c.post("/api/v1/auth/code", json={"certno": certno_of(wei)}).status_code == 202
        message = c.get("/api/v1/outbox", headers={"Authorization": "Bearer logs-token"},
                        params={"limit": 1}).json()[0]
        code = re.search(r"(\d{6})", message["body"]).group(1)  # type: ignore[union-attr]
        ok = c.post("/api/v1/auth/login", json={"certno": certno_of(wei), "code": code})
        assert ok.status_code == 200, ok.text
        token = {"Authorization": f"Bearer {ok.json()['token']}"}
        assert c.get("/api/v1/me", headers=token).status_code == 200
        for r in (c.post("/api/v1/auth/login", json={"certno": certno_of(mother),
                                                     "code": "000000"}),
                  c.post("/api/v1/auth/code", json={"certno": certno_of(wei)[:-1] + "X"}),
                  c.post("/api/v1/bindings", headers={**token, "Idempotency-Key": "b1"},
                         json={"other_certno": certno_of(mother), "other_name": "不是这个名字",
                               "my_role": "sponsor", "relation": "parent"}),
                  c.get(f"/api/v1/persons/{certno_of(mother)}/wallet", headers=token),
                  # a client that puts an ID number and a phone in a path nobody serves
                  c.get(f"/api/v1/lookup/{certno_of(mother)}/{mother.phone}", headers=token)):
            assert 400 <= r.status_code < 500, r.text
            out.append(r.text)
    return out
