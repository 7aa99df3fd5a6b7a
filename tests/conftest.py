"""Shared fixtures. Storage and service tests take `database` and run once on SQLite and once on
a real PostgreSQL cluster started for the session (as the `postgres` user when we are root).

Environment:
  GONGJI_REQUIRE_PG=1  fail (instead of skip) when PostgreSQL cannot start; .ci/run sets it.
  GONGJI_TEST_PG=off   run the SQLite half only (quick local loops).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gongji.domain.access import Principal
from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.errors import GongjiError
from gongji.services import door
from gongji.services.runtime import Gongji
from gongji.store import migrate
from gongji.store.db import Database
from gongji.store.tables import metadata
from gongji.testing.postgres import PostgresUnavailable, TempPostgres

TEMPLATE = "gongji_template"
OPERATOR = Principal("operator", "test-op", "admin")


@pytest.fixture(scope="session")
def pg() -> Iterator[TempPostgres]:
    if os.environ.get("GONGJI_TEST_PG") == "off":
        pytest.skip("PostgreSQL tests switched off (GONGJI_TEST_PG=off)")
    try:
        cluster = TempPostgres().start()
    except PostgresUnavailable as e:
        if os.environ.get("GONGJI_REQUIRE_PG"):
            pytest.fail(f"PostgreSQL is required here (GONGJI_REQUIRE_PG): {e}")
        pytest.skip(str(e))
    try:
        db = Database(cluster.create_database(TEMPLATE))
        migrate.upgrade(db)
        db.dispose()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    db.dispose()
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the template is one file, no WAL
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each kind for one test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "gongji.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    cluster: TempPostgres = request.getfixturevalue("pg")
    name = "t_" + uuid.uuid4().hex[:16]
    url = cluster.create_database(name, template=TEMPLATE)
    yield url
    cluster.drop_database(name)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    yield db
    db.dispose()


@pytest.fixture(autouse=True)
def one_door_per_request() -> Iterator[None]:
    """Every HTTP request a test makes goes through one service door to do its work
    (docs/ARCHITECTURE.md, "One door"): finding out who calls is a door of its own (auth),
    and a form whose action was refused reads its page once more to show the refusal."""
    wrong: list[str] = []

    def check(label: str, calls: list[door.Call]) -> None:
        work = [c for c in calls if not (c.auth or c.trail)]
        if len(work) > 1 and not (len(work) == 2 and work[0].refused):
            wrong.append(f"{label}: {', '.join(c.name for c in work)}")

    stop = door.observe(check)
    yield
    stop()
    assert not wrong, "requests through more than one door:\n" + "\n".join(wrong)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(shanghai(2026, 11, 24, 10, 0, 0))


@pytest.fixture
def app(database: Database, clock: FixedClock) -> Gongji:
    return Gongji(database, clock)


def table_counts(db: Database) -> dict[str, int]:
    """Rows per table plus the balance total: equal before and after = nothing written."""
    with db.engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                  for t in metadata.tables}
        counts["sum(balance)"] = conn.execute(
            text("SELECT COALESCE(SUM(balance), 0) FROM accounts")).scalar_one()
        counts["sum(abs(balance))"] = conn.execute(
            text("SELECT COALESCE(SUM(ABS(balance)), 0) FROM accounts")).scalar_one()
    return counts


def refused(database: Database, code: str, fn: Callable[[], object]) -> GongjiError:
    """Call fn, expect a GongjiError with this code, and check that nothing was written."""
    before = table_counts(database)
    with pytest.raises(GongjiError) as e:
        fn()
    assert e.value.code == code, e.value
    assert table_counts(database) == before
    return e.value


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on each database, so a silent PostgreSQL skip cannot hide."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for rep in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(rep, "nodeid", "")
            if getattr(rep, "when", "call") != "call" and outcome == "passed":
                continue
            for dbname in ("sqlite", "postgresql"):
                if f"[{dbname}" in nodeid or f"-{dbname}]" in nodeid or f"-{dbname}-" in nodeid:
                    counts.setdefault(dbname, {}).setdefault(outcome, 0)
                    counts[dbname][outcome] += 1
    if counts:
        terminalreporter.section("tests per database")
        for dbname, c in sorted(counts.items()):
            terminalreporter.write_line(
                f"{dbname:<11} " + ", ".join(f"{n} {k}" for k, n in sorted(c.items())))
