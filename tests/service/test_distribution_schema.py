"""The migrated schema held to Citus's rules (store/distribution.py), on both databases, and
`gongji db citus-ddl` over it.

PENDING is what keeps each table from Citus today, written out by hand from what the checker
reports. It must shrink to empty as the tables are migrated (issue 20, point 4): the test
fails when a table gets worse, and also when it gets better and PENDING still says
otherwise, so each step of progress is recorded here.
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
from gongji.store.distribution import violations

PENDING: dict[str, set[str]] = {
    # local tables pointing at a person (a distributed row)
    "sessions": {"fk-local-to-distributed"},
    "otps": {"fk-local-to-distributed"},
    # the ledger
    "accounts": {"fk-unpaired", "not-in-pk", "nullable", "unique-constraint"},
    "entries": {"fk-unpaired", "not-in-pk", "nullable", "unique-constraint"},
    "postings": {"fk-unpaired", "no-column"},
    "account_stripes": {"fk-unpaired", "no-column"},
    "holds": {"fk-unpaired", "no-column"},
    "audit_heads": {"no-column"},
    "audit_log": {"no-column"},
    "idempotency": {"no-column"},
    # a person's rows
    "persons": {"no-column"},
    "enrollments": {"fk-unpaired", "no-column"},
    "cards": {"fk-unpaired", "no-column"},
    "credential_uses": {"no-column"},
    "proxies": {"fk-unpaired", "no-column"},
    "pins": {"fk-unpaired", "no-column"},
    "wallets": {"fk-unpaired", "no-column"},
    "bindings": {"fk-unpaired", "no-column"},
    "wallet_transfers": {"fk-unpaired", "no-column"},
    "contributions": {"fk-unpaired", "not-in-pk", "unique-constraint"},
    "filings": {"fk-unpaired", "no-column"},
    "switches": {"fk-unpaired", "no-column"},
    "person_flags": {"fk-unpaired", "no-column"},
    "chronic_recognitions": {"fk-unpaired", "not-in-pk"},
    "accumulators": {"no-column"},
    "visits": {"fk-unpaired", "no-column"},
    "fee_details": {"fk-unpaired", "no-column"},
    "settlements": {"fk-unpaired", "no-column"},
    "stay_accumulators": {"no-column"},
    "claims": {"fk-unpaired", "no-column"},
    "claim_lines": {"fk-unpaired", "no-column"},
    "prescriptions": {"fk-unpaired", "no-column"},
    "prescription_items": {"fk-unpaired", "no-column"},
    "pay_auths": {"fk-unpaired", "no-column"},
    "pay_orders": {"fk-unpaired", "no-column"},
    "pay_refunds": {"fk-unpaired", "no-column"},
    "cash_payments": {"fk-unpaired", "no-column"},
    "pay_notifications": {"fk-unpaired", "no-column"},
    # an institution's rows
    "medins_setl_ids": {"no-column"},
    "claim_invoices": {"fk-unpaired", "no-column"},
    "untraced_stock": {"no-column"},
    "gateway_signins": {"no-column"},
    "gateway_files": {"no-column"},
    "conformance_recordings": {"no-column"},
    "conformance_messages": {"no-column"},
    # by trace code
    "trace_sales": {"not-in-pk"},
}
"""Table -> the rules it breaks today. Shrinks to {} as the tables are migrated."""

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


def test_the_door_gives_the_same_plan(database: Database, clock: FixedClock) -> None:
    plan = system.citus_ddl(Gongji(database, clock))
    assert not plan.ready
    assert {t: set(rules) for t, rules in plan.not_ready.items()} == PENDING


def test_the_door_refuses_a_schema_not_migrated(tmp_path: Path, clock: FixedClock) -> None:
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(GongjiError) as refused:
            system.citus_ddl(Gongji(db, clock))
    finally:
        db.dispose()
    assert refused.value.code == "DB_NOT_MIGRATED"


def test_the_command_prints_the_plan_and_refuses_while_tables_are_not_ready(
        database: Database, db_url: str) -> None:
    r = runner.invoke(cli, ["db", "citus-ddl", "--db", db_url])
    assert r.exit_code == (1 if PENDING else 0), r.output
    lines = r.stdout.splitlines()
    assert "SELECT create_reference_table('regions');" in lines
    for table in PENDING:
        assert any(line.startswith(f"-- {table}: not ready: ") for line in lines), table
        assert not any(f"('{table}'" in line for line in lines), table
    if PENDING:
        assert f"Citus 分布尚未就绪：{len(PENDING)} 张表" in r.stderr
        assert f"Not ready for Citus: {len(PENDING)} tables" in r.stderr
        for table, rules in PENDING.items():
            assert f"  {table}: {', '.join(sorted(rules))}\n" in r.stderr, table


def test_the_command_refuses_a_database_not_migrated(tmp_path: Path) -> None:
    r = runner.invoke(cli, ["db", "citus-ddl", "--db", f"sqlite:///{tmp_path / 'empty.db'}"])
    assert r.exit_code == 1
    assert r.stdout == ""
    assert "DB_NOT_MIGRATED" in r.stderr
