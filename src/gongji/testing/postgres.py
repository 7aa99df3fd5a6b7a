"""A throwaway PostgreSQL cluster for tests, benchmarks and chaos runs.

PostgreSQL refuses to run as root, so when we are root the cluster is created and run as the
`postgres` user (runuser), in a temp dir it owns, on a free loopback port, with its unix
socket in that dir. stop() removes everything.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
"""For tests: crash safety of the test cluster itself does not matter, speed does."""


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path:
    env = os.environ.get("GONGJI_PG_BINDIR")
    candidates = [env] if env else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
                         reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    raise PostgresUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found; "
                              "install them with `apt-get install -y postgresql`")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class TempPostgres:
    def __init__(self, *, durable: bool = False, settings: dict[str, str] | None = None) -> None:
        self.bindir = find_bindir()
        self.durable = durable
        self.settings = {"max_connections": "300", "shared_buffers": "128MB",
                         **({} if durable else FAST), **(settings or {})}
        self.dir: Path | None = None
        self.port = 0
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> TempPostgres:
        self.dir = Path(tempfile.mkdtemp(prefix="gongji-pg-"))
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C")
        opts = " ".join(f"-c {k}={v}" for k, v in self.settings.items())
        for _attempt in range(5):
            self.port = free_port()
            res = self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60",
                            "-l", str(self.dir / "log"), "-o",
                            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 {opts}",
                            "start", check=False)
            if res.returncode == 0:
                return self
            time.sleep(0.2)
        log = (self.dir / "log").read_text(errors="replace")[-2000:]
        raise PostgresUnavailable(f"pg_ctl start failed: {res.stderr}\n{log}")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(sql.encode())

    def create_database(self, name: str, template: str | None = None) -> str:
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.dir is None:
            return
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate",
                  "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
