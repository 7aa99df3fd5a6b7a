"""The migrated schema held to Citus's rules (store/distribution.py), on both databases, and
`gongji db citus-ddl` over it.

PENDING was what kept each table from Citus while the tables were migrated (issue 20, point
4); since migration 0017 it is empty: the migrated schema breaks no rule, and any table that
does later fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from gongji.cli import app as cli
from gongji.domain.clock import FixedClock
from gongji.domain.errors import GongjiError
from gongji.services.runtime import Gongji
from gongji.services.system import service as system
from gongji.store.db import Database
from gongji.store.distribution import placements, violations

PENDING: dict[str, set[str]] = {}
"""Table -> the rules it breaks. Empty since migration 0017: every table is ready."""

runner = CliRunner()


def test_what_keeps_each_table_from_citus(database: Database) -> None:
    with database.engine.connect() as conn:
        found = violations(inspect(conn))
    now: dict[str, set[str]] = {}
    for v in found:
        now.setdefault(v.table, set()).add(v.rule)
    worse = {t: rules - PENDING.get(t, set()) for t, rules in now.items()
             if rules - PENDING.get(t, set())}
    better = {t: rules - now.get(t, set()) for t, rules in PENDING.items()
              if rules - now.get(t, set())}
    assert worse == {}, "new violations: " + "\n".join(
        f"{v.table} {v.rule}: {v.detail}" for v in found if v.rule in worse.get(v.table, ()))
    assert better == {}, f"fixed (take them out of PENDING): {better}"


def test_the_door_gives_the_plan_of_the_whole_schema(database: Database,
                                                      clock: FixedClock) -> None:
    plan = system.citus_ddl(Gongji(database, clock))
    assert plan.ready and plan.not_ready == {}
    made = {line for line in plan.statements if not line.startswith("--")}
    place = placements()
    first: dict[str, str] = {}
    for table, p in place.items():  # in the plan's order: a group's first table leads it
        if p.kind == "reference":
            assert f"SELECT create_reference_table('{table}');" in made
        elif p.kind == "local":
            assert f"-- {table}: stays on the coordinator (local)" in plan.statements
        else:
            assert p.group is not None
            lead = first.setdefault(p.group, table)
            colocate = "none" if lead == table else lead
            assert (f"SELECT create_distributed_table('{table}', '{p.column}', "
                    f"colocate_with => '{colocate}');") in made, table
    assert len(made) == sum(p.kind != "local" for p in place.values())


def test_the_door_refuses_a_schema_not_migrated(tmp_path: Path, clock: FixedClock) -> None:
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(GongjiError) as refused:
            system.citus_ddl(Gongji(db, clock))
    finally:
        db.dispose()
    assert refused.value.code == "DB_NOT_MIGRATED"


def test_the_command_prints_the_plan(database: Database, db_url: str) -> None:
    r = runner.invoke(cli, ["db", "citus-ddl", "--db", db_url])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert "SELECT create_reference_table('regions');" in lines
    assert "SELECT create_distributed_table('accounts', 'admdvs', colocate_with => 'none');" \
        in lines
    assert not [line for line in lines if "not ready" in line]
    assert r.stderr == ""


def test_the_command_refuses_a_schema_with_a_table_not_ready(database: Database,
                                                             db_url: str) -> None:
    """A table nobody placed, and a person's table whose key lost its region, are named;
    nothing is printed for them, and the exit status keeps `&& psql` from running."""
    with database.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stray (id VARCHAR(36) PRIMARY KEY)")
        conn.exec_driver_sql("CREATE UNIQUE INDEX uq_cards_card_no ON cards (card_no)")
    r = runner.invoke(cli, ["db", "citus-ddl", "--db", db_url])
    assert r.exit_code == 1, r.output
    assert "Citus 分布尚未就绪：2 张表" in r.stderr
    assert "Not ready for Citus: 2 tables" in r.stderr
    assert "  cards: unique-index\n" in r.stderr and "  stray: unclassified\n" in r.stderr
    assert not any("('cards'" in line for line in r.stdout.splitlines())


def test_the_command_refuses_a_database_not_migrated(tmp_path: Path) -> None:
    r = runner.invoke(cli, ["db", "citus-ddl", "--db", f"sqlite:///{tmp_path / 'empty.db'}"])
    assert r.exit_code == 1
    assert r.stdout == ""
    assert "DB_NOT_MIGRATED" in r.stderr
