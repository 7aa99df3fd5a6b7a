"""The command line: db upgrade/current, token, sweep, demo seeding, and a real `serve`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gongji.cli import app as cli
from gongji.testing.postgres import free_port

runner = CliRunner()


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    r = runner.invoke(cli, ["db", "current", "--db", url])
    assert r.exit_code == 1 and "(none)" in r.output
    r = runner.invoke(cli, ["db", "upgrade", "--db", url])
    assert r.exit_code == 0 and "upgraded (empty) ->" in r.output
    r = runner.invoke(cli, ["db", "upgrade", "--db", url])
    assert r.exit_code == 0 and "already at" in r.output
    assert runner.invoke(cli, ["db", "current", "--db", url]).exit_code == 0


def test_env_var_chooses_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    r = runner.invoke(cli, ["db", "upgrade"], env={"GONGJI_DB": url})
    assert r.exit_code == 0 and "env.db" in r.output


def test_verify_on_a_fresh_database_and_a_stale_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    runner.invoke(cli, ["db", "upgrade", "--db", url])
    r = runner.invoke(cli, ["verify", "--db", url])
    assert r.exit_code == 0 and "every invariant holds" in r.output
    empty = f"sqlite:///{tmp_path / 'never.db'}"
    (tmp_path / "never.db").write_bytes(b"")
    import sqlite3
    with sqlite3.connect(tmp_path / "never.db") as c:
        c.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        c.execute("INSERT INTO alembic_version VALUES ('0000')")
    r = runner.invoke(cli, ["verify", "--db", empty])
    assert r.exit_code == 1 and "DB_NOT_MIGRATED" in r.output


def test_token_create_prints_the_secret_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    r = runner.invoke(cli, ["token", "create", "alice", "--role", "operator", "--db", url])
    assert r.exit_code == 0 and "gj_op_" in r.output
    r = runner.invoke(cli, ["token", "create", "bob", "--role", "king", "--db", url])
    assert r.exit_code == 2


def test_sweep_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    runner.invoke(cli, ["db", "upgrade", "--db", url])
    r = runner.invoke(cli, ["sweep", "--db", url])
    assert r.exit_code == 0 and "returned 0 expired hold(s)" in r.output


def test_demo_seeding_is_idempotent(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    first = runner.invoke(cli, ["demo", "--db", db, "--seed-only"])
    assert first.exit_code == 0, first.output
    assert "50000000.00" in first.output and "Bearer demo-" in first.output
    second = runner.invoke(cli, ["demo", "--db", db, "--seed-only"])
    assert second.exit_code == 0
    assert "(current)" in second.output and "50000000.00" in second.output
    assert runner.invoke(cli, ["verify", "--db", f"sqlite:///{db}"]).exit_code == 0


def test_a_restarted_demo_keeps_its_operator_token(tmp_path: Path) -> None:
    """The token is kept beside the demo database (owner-only): a restart prints the same one,
    so the console session and a pasted token keep working; --reset makes a new one."""
    db = str(tmp_path / "demo.db")

    def token(*extra: str) -> str:
        r = runner.invoke(cli, ["demo", "--db", db, "--seed-only", *extra])
        assert r.exit_code == 0, r.output
        found = re.search(r"Bearer (demo-[A-Za-z0-9_-]+)", r.output)
        assert found, r.output
        return found.group(1)

    first = token()
    assert token() == first
    assert (tmp_path / "demo.db.token").stat().st_mode & 0o077 == 0
    assert token("--reset") != first


def test_help_texts() -> None:
    r = runner.invoke(cli, ["--help"])
    assert r.exit_code == 0
    for cmd in ("serve", "demo", "db", "verify", "sweep", "token"):
        assert cmd in r.output


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_real_server_starts_migrates_and_answers(tmp_path: Path, command: str) -> None:
    """What the README promises: one command, a server on 127.0.0.1, an empty DB migrated."""
    port = free_port()
    db = tmp_path / "live.db"
    env = {**os.environ, "GONGJI_ADMIN_TOKEN": "live-token", "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "gongji", command, "--db",
            str(db) if command == "demo" else f"sqlite:///{db}", "--port", str(port)]
    proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            proc.kill()
            pytest.fail(f"server did not come up: {proc.stdout.read() if proc.stdout else ''}")
        health = httpx.get(f"{base}/healthz").json()
        assert health["status"] == "ok" and health["database"] == "sqlite"
        assert health["sandbox"] is (command == "demo")
        accounts = httpx.get(f"{base}/api/v1/ledger/accounts",
                             headers={"Authorization": "Bearer live-token"}).json()
        assert (len(accounts) > 0) is (command == "demo")
        assert httpx.get(f"{base}/docs").status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert str(db) in out.replace("\n", "").replace("│", "").replace(" ", "") or \
        db.name in out
