"""`verify` finds every kind of damage: tampered postings, balances, holds, audit records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from gongji.cli import app as cli
from gongji.domain.clock import FixedClock
from gongji.ledger.verify import VerifyReport, verify
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests import journal as svc
from tests.conftest import OPERATOR
from tests.tampering import lift_guards, restore_guards


@pytest.fixture
def busy(app: Gongji, clock: FixedClock) -> dict[str, str]:
    """A small ledger with every kind of entry in it."""
    def open_(kind: str, owner: str, **kw: str) -> str:
        return svc.open_account(app, OPERATOR, f"open-{kind}-{owner}",
                                svc.OpenAccount(kind, owner=owner, admdvs="510100", **kw)).value.id

    cash, a, b = open_("CASH", "510100"), open_("PERSONAL", "A"), open_("PERSONAL", "B")
    q = open_("INSTITUTION", "H51010000001")
    t1 = svc.transfer(app, OPERATOR, "t1", svc.Transfer(cash, a, 5000_00)).value
    svc.transfer(app, OPERATOR, "t2", svc.Transfer(a, b, 100_00))
    h1 = svc.create_hold(app, OPERATOR, "h1", svc.CreateHold(
        a, q, 2000_00, clock.now() + timedelta(hours=1))).value
    h2 = svc.create_hold(app, OPERATOR, "h2", svc.CreateHold(
        a, q, 300_00, clock.now() + timedelta(hours=1))).value
    h3 = svc.create_hold(app, OPERATOR, "h3", svc.CreateHold(
        a, q, 1_00, clock.now() + timedelta(hours=1))).value
    svc.resolve_hold(app, OPERATOR, "p1", svc.ResolveHold(h1.id, "post"))
    svc.resolve_hold(app, OPERATOR, "v2", svc.ResolveHold(h2.id, "void"))
    t3 = svc.transfer(app, OPERATOR, "t3", svc.Transfer(a, b, 7_00)).value
    svc.reverse(app, OPERATOR, "r3", svc.Reverse(t3.id))
    return {"cash": cash, "a": a, "b": b, "q": q, "t1": t1.id, "h1": h1.id, "h3": h3.id,
            "hold_account": h3.hold_account_id}


def run(database: Database) -> VerifyReport:
    with database.read() as conn:
        return verify(conn)


def failing(report: VerifyReport) -> set[str]:
    return {v.check for v in report.violations}


def tamper(database: Database, *sql: str, **params: object) -> None:
    """What an attacker with database access would do: lift the guard, edit, put the guard
    back (tests/service/test_tamper.py has every kind of tampering)."""
    with database.begin() as conn:
        lift_guards(conn)
        for stmt in sql:
            conn.execute(text(stmt), params)
        restore_guards(conn)


def test_clean_ledger_passes_every_check(database: Database, busy: dict[str, str]) -> None:
    report = run(database)
    assert report.ok, report.violations
    names = {c.name for c in report.checks}
    assert names == {"entries_sum_zero", "balances", "no_negative", "conservation", "holds",
                     "reversals", "entry_digests", "audit_chain", "accounts", "settlements",
                     "transfers", "contributions", "bindings", "accumulators",
                     "stored_responses", "guards"}
    examined = {c.name: c.examined for c in report.checks}
    assert examined["entries_sum_zero"] == 9 and examined["holds"] == 3
    assert examined["reversals"] == 1


def test_edited_posting_is_found(database: Database, busy: dict[str, str]) -> None:
    tamper(database, "UPDATE postings SET amount = amount + 1 "
                     "WHERE entry_id = :e AND amount > 0", e=busy["t1"])
    assert {"entries_sum_zero", "balances", "entry_digests"} <= \
        failing(run(database))


def test_balanced_edit_of_two_postings_is_found_by_the_digest(database: Database,
                                                               busy: dict[str, str]) -> None:
    # move 1 fen more from cash to A, and keep balances in step: only the digest can tell
    tamper(database,
           "UPDATE postings SET amount = amount - 1 WHERE entry_id = :e AND amount < 0",
           "UPDATE postings SET amount = amount + 1 WHERE entry_id = :e AND amount > 0",
           "UPDATE accounts SET balance = balance - 1 WHERE id = :cash",
           "UPDATE accounts SET balance = balance + 1 WHERE id = :a",
           e=busy["t1"], cash=busy["cash"], a=busy["a"])
    report = run(database)
    assert failing(report) == {"entry_digests"}
    assert any(v.subject == busy["t1"] and "digest" in v.message for v in report.violations)


def test_edited_balance_is_found(database: Database, busy: dict[str, str]) -> None:
    tamper(database, "UPDATE accounts SET balance = balance + 100 WHERE id = :b", b=busy["b"])
    report = run(database)
    assert {"balances", "conservation"} == failing(report)
    assert any(v.subject == "PERSONAL/B" for v in report.violations)


def test_negative_person_balance_is_found(database: Database, busy: dict[str, str]) -> None:
    with database.begin() as conn:
        if database.dialect == "postgresql":
            conn.execute(text("ALTER TABLE accounts DROP CONSTRAINT ck_accounts_no_negative"))
            conn.execute(text("UPDATE accounts SET balance = -5 WHERE id = :b"), {"b": busy["b"]})
        else:  # SQLite cannot drop a CHECK; flip the flag off, write, flip it back on
            conn.execute(text("PRAGMA ignore_check_constraints = ON"))
            conn.execute(text("UPDATE accounts SET balance = -5 WHERE id = :b"), {"b": busy["b"]})
    assert "no_negative" in failing(run(database))


def test_hold_state_tampering_is_found(database: Database, busy: dict[str, str]) -> None:
    tamper(database, "UPDATE holds SET state = 'voided', resolved_entry_id = entry_id "
                     "WHERE id = :h", h=busy["h3"])
    assert "holds" in failing(run(database))


def test_hold_account_drift_is_found(database: Database, busy: dict[str, str]) -> None:
    tamper(database, "UPDATE holds SET amount = amount + 1 WHERE id = :h", h=busy["h3"])
    assert "holds" in failing(run(database))


def test_edited_audit_record_is_found(database: Database, busy: dict[str, str]) -> None:
    tamper(database, "UPDATE audit_log SET actor = 'operator:nobody' "
                     "WHERE seq = (SELECT MIN(seq) + 2 FROM audit_log)")
    report = run(database)
    assert failing(report) == {"audit_chain"}
    assert any("hash mismatch" in v.message for v in report.violations)


def test_deleted_audit_records_are_found(database: Database, busy: dict[str, str]) -> None:
    tamper(database, "DELETE FROM audit_log WHERE seq = 3 AND entry_id IS NULL")
    tamper(database, "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
    tamper(database, "DELETE FROM audit_log WHERE seq = "
                     "(SELECT MAX(seq) FROM audit_log WHERE entry_id IS NOT NULL)")
    report = run(database)
    assert "audit_chain" in failing(report)
    messages = " ".join(v.message for v in report.violations)
    assert "records missing" in messages and "head says" in messages
    assert "entry_digests" in failing(report)  # that record carried an entry digest


def test_deleted_reversal_posting_is_found(database: Database, busy: dict[str, str]) -> None:
    tamper(database, "DELETE FROM postings WHERE entry_id = "
                     "(SELECT id FROM entries WHERE kind = 'reversal') AND idx = 1")
    assert {"entries_sum_zero", "reversals"} <= failing(run(database))


def test_cli_verify_exits_nonzero_naming_the_violation(database: Database, db_url: str,
                                                       busy: dict[str, str]) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["verify", "--db", db_url])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    tamper(database, "UPDATE postings SET amount = amount + 1 "
                     "WHERE entry_id = :e AND amount > 0", e=busy["t1"])
    bad = runner.invoke(cli, ["verify", "--db", db_url])
    assert bad.exit_code == 1
    assert "VIOLATION" in bad.output and busy["t1"] in bad.output
    assert "FAILED" in bad.output


def test_the_chain_walk_in_a_second_process_finds_what_the_serial_walk_finds(
        database: Database, db_url: str, busy: dict[str, str]) -> None:
    def parallel() -> VerifyReport:
        with database.read() as conn:
            return verify(conn, url=db_url, workers=2)

    clean = parallel()
    assert clean.ok, clean.violations
    assert [(c.name, c.examined) for c in clean.checks] == \
        [(c.name, c.examined) for c in run(database).checks]
    tamper(database, "UPDATE audit_log SET actor = 'operator:nobody' "
                     "WHERE seq = (SELECT MIN(seq) + 2 FROM audit_log)")
    assert failing(parallel()) == failing(run(database)) == {"audit_chain"}


def test_verify_hashes_audit_records_exactly_as_they_were_written() -> None:
    """verify spells canonical JSON out by hand for speed; it must equal the writer's bytes
    for every string it can meet: quotes, backslashes, control characters, CJK, None."""
    from gongji.ledger.audit import canonical_json
    from gongji.ledger.verify import _js

    for value in ['plain', 'say "hi"', "back\\slash", "tab\tnew\nline\x01", "参保人 张*",
                  "emoji 🩺", "", "\u2028", None]:
        assert _js(value) == canonical_json(value)
