"""What the database itself can do on this machine, measured in the same run as gongji:

- PostgreSQL: pgbench's built-in tpcb-like script (three UPDATEs, a SELECT and an INSERT per
  transaction) at the same client counts, against the same server gongji uses.
- SQLite: a bare loop of durable transactions that each update two rows (BEGIN IMMEDIATE, two
  UPDATEs, COMMIT) in WAL mode with synchronous=FULL, in the same directory gongji's file is
  in, one connection per client thread: the least any write can cost there.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import subprocess
from pathlib import Path

from gongji.benchmark.figures import Figures, closed_loop, percentile
from gongji.testing.postgres import TempPostgres

PGBENCH_SCALE = 10
SQLITE_ROWS = 100_000


def prepare_pgbench(pg: TempPostgres) -> None:
    """Create and fill pgbench's tables (scale 10: a million accounts) in their own database."""
    pg.create_database("pgbench")
    subprocess.run([*_base(pg), "-i", "-s", str(PGBENCH_SCALE), "-q", "pgbench"], check=True,
                   capture_output=True, text=True, timeout=600)


def _base(pg: TempPostgres) -> list[str]:
    base = [str(pg.bindir / "pgbench"), "-h", str(pg.dir), "-p", str(pg.port), "-U", "postgres"]
    return ["runuser", "-u", "postgres", "--", *base] if os.geteuid() == 0 else base


def pgbench(pg: TempPostgres, clients: int, seconds: float) -> Figures:
    """tpcb-like at `clients` connections; latencies from pgbench's per-transaction log."""
    assert pg.dir is not None
    logs = pg.dir / f"pgbench-{clients}"
    threads = min(clients, os.cpu_count() or 1)
    run = subprocess.run([*_base(pg), "-c", str(clients), "-j", str(threads), "-T",
                          str(max(1, round(seconds))), "-l", f"--log-prefix={logs}",
                          "pgbench"], check=True, capture_output=True, text=True,
                         timeout=seconds + 120)
    tps = float(_find(r"tps = ([\d.]+)", run.stdout))
    done = int(_find(r"number of transactions actually processed: (\d+)", run.stdout))
    latencies = []
    for f in pg.dir.glob(f"pgbench-{clients}.*"):
        for line in f.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3:
                latencies.append(int(parts[2]) / 1_000_000)
        f.unlink(missing_ok=True)
    latencies.sort()
    return Figures("pgbench tpcb-like", "postgresql", clients, done, float(round(seconds)),
                   round(tps, 1), round(percentile(latencies, 50) * 1000, 2),
                   round(percentile(latencies, 95) * 1000, 2),
                   round(percentile(latencies, 99) * 1000, 2))


def _find(pattern: str, text: str) -> str:
    m = re.search(pattern, text)
    if m is None:
        raise RuntimeError(f"pgbench output without {pattern!r}:\n{text[-2000:]}")
    return m.group(1)


def sqlite_loop(folder: Path, clients: int, seconds: float) -> Figures:
    path = folder / "yardstick.db"
    if not path.exists():
        with sqlite3.connect(path, isolation_level=None) as c:
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
            c.executemany("INSERT INTO a VALUES (?, 1000000)",
                          [(i,) for i in range(SQLITE_ROWS)])

    def make(i: int):  # type: ignore[no-untyped-def]
        conn = sqlite3.connect(path, isolation_level=None, timeout=30,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        rnd = random.Random(i)

        def op() -> None:
            a, b = rnd.randrange(SQLITE_ROWS), rnd.randrange(SQLITE_ROWS)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE a SET balance = balance - 1 WHERE id = ?", (a,))
            conn.execute("UPDATE a SET balance = balance + 1 WHERE id = ?", (b,))
            conn.execute("COMMIT")

        return op

    return closed_loop("two-row update loop", "sqlite", clients, seconds, make)
