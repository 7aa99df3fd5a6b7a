"""Where the time of one operation goes: the profile behind docs/PERFORMANCE.md.

    python bench/hotpaths.py [--operations 300] [--seconds 8] [--persons 10000]

1. On SQLite, one client: cProfile over wallet transfers (submit + accept) and pharmacy
   settlements at the service layer; own time grouped by where it is spent (the driver, the
   SQL toolkit, argon2, the domain rules, ...) and SQL statements per operation.
2. On PostgreSQL (fsync on), 16 clients of settlements: pg_stat_activity sampled every 10 ms,
   so the share of backends running, waiting for the application (Python), or waiting for a
   row lock held by another settlement is counted.

Prints one JSON object (and a readable summary on stderr).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from gongji.benchmark import population, workloads
from gongji.benchmark.figures import closed_loop
from gongji.benchmark.run import business_start
from gongji.domain.access import COMMAND_LINE
from gongji.domain.clock import OffsetClock
from gongji.services.runtime import Gongji
from gongji.services.sandbox import service as sandbox
from gongji.store import migrate
from gongji.store.db import Database
from gongji.testing.postgres import TempPostgres

AREAS = (  # first match wins: a function's own time goes to the area of its file
    ("argon2 (PIN check)", ("argon2",)),
    ("database driver", ("sqlite3", "psycopg", "_pysqlite", "{method 'execute'",
                         "{method 'fetch", "{method 'commit'")),
    ("SQLAlchemy (compile, bind, rows)", ("sqlalchemy",)),
    ("pydantic (idempotent results)", ("pydantic",)),
    ("gongji domain rules", ("gongji/domain",)),
    ("gongji ledger", ("gongji/ledger",)),
    ("gongji services", ("gongji/services",)),
    ("json and hashing", ("json", "hashlib", "_sha256", "{built-in method _hashlib")),
)


def world(url: str, persons: int) -> tuple[Gongji, Any, Any, Any]:
    db = Database(url, pool_size=24)
    migrate.upgrade(db)
    app = Gongji(db, OffsetClock(), sandbox=True)
    sandbox.move(app, COMMAND_LINE, to=business_start(app.clock))  # type: ignore[arg-type]
    population.load(app, persons)
    drugs = workloads.prepare(app)
    members = population.members(app, persons)
    pool = workloads.PairPool(population.pairs(app, persons // 2))
    return app, drugs, members, pool


def areas(stats: pstats.Stats) -> dict[str, float]:
    total: Counter[str] = Counter()
    for (filename, _line, name), (_cc, _nc, tt, _ct, _callers) in \
            stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename} {name}"
        area = next((a for a, needles in AREAS if any(n in where for n in needles)), "other")
        total[area] += tt
    whole = sum(total.values()) or 1.0
    return {a: round(100 * t / whole, 1) for a, t in total.most_common()}


def profile_sqlite(operations: int, persons: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as d:
        app, drugs, members, pool = world(f"sqlite:///{Path(d) / 'p.db'}", persons)
        statements = Counter[str]()

        @event.listens_for(app.db.engine, "before_cursor_execute")
        def count(*_a: Any) -> None:
            statements[threading.current_thread().name] += 1

        for name, make, n in (("settlement", workloads.settlement_clients(app, members, drugs, 1),
                               operations),
                              ("transfer", workloads.transfer_clients(app, pool),
                               max(20, operations // 3))):
            op = make(0)
            op()  # warm caches
            statements.clear()
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.enable()
            for _ in range(n):
                op()
            prof.disable()
            seconds = time.perf_counter() - t0
            out[name] = {"operations": n, "ms_per_operation": round(1000 * seconds / n, 2),
                         "statements_per_operation": round(sum(statements.values()) / n, 1),
                         "own_time_percent": areas(pstats.Stats(prof))}
        app.db.dispose()
    return out


def waits_postgres(seconds: float, persons: int, clients: int) -> dict[str, Any]:
    with TempPostgres(durable=True) as pg:
        url = pg.create_database("profile")
        app, drugs, members, _pool = world(url, persons)
        samples: Counter[str] = Counter()
        relations: Counter[str] = Counter()
        stop = threading.Event()
        watcher = Database(url, pool_size=1)

        def watch() -> None:
            with watcher.engine.connect() as conn:
                while not stop.is_set():
                    for state, wtype, wevent in conn.execute(text(
                            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                            "AND backend_type = 'client backend'")):
                        if state == "idle":
                            continue
                        samples[f"{wtype}:{wevent}" if wtype else "running"] += 1
                    for (rel,) in conn.execute(text(
                            "SELECT c.relname FROM pg_locks l JOIN pg_class c "
                            "ON c.oid = l.relation WHERE NOT l.granted "
                            "AND l.locktype = 'tuple'")):
                        relations[rel] += 1
                    conn.commit()
                    time.sleep(0.01)

        t = threading.Thread(target=watch)
        t.start()
        f = closed_loop("settlement", "postgresql", clients, seconds,
                        workloads.settlement_clients(app, members, drugs, clients))
        stop.set()
        t.join()
        watcher.dispose()
        app.db.dispose()
        whole = sum(samples.values()) or 1
        return {"clients": clients, "per_second": f.per_second, "p99_ms": f.p99_ms,
                "backend_states_percent": {k: round(100 * v / whole, 1)
                                           for k, v in samples.most_common(8)},
                "row_lock_waits_by_table": dict(relations.most_common(5))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operations", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    result = {"sqlite_one_client": profile_sqlite(args.operations, args.persons),
              "postgresql_waits": waits_postgres(args.seconds, args.persons, args.clients)}
    print(json.dumps(result, indent=1, ensure_ascii=False))
    for name, r in result["sqlite_one_client"].items():
        print(f"{name}: {r['ms_per_operation']} ms, {r['statements_per_operation']} "
              f"statements; {r['own_time_percent']}", file=sys.stderr)
    print(f"postgresql waits: {result['postgresql_waits']}", file=sys.stderr)


if __name__ == "__main__":
    main()
