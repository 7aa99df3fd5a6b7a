"""`gongji backup` and `gongji restore`: a copy taken while writes go on restores into an empty
database with every row and verifies; a damaged, foreign or misplaced backup is refused."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gongji.cli import app as cli
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from gongji.testing.postgres import TempPostgres
from tests import journal as svc
from tests.clinic import CLINIC, HENAN_HOSPITAL, S_A, open_clinic
from tests.conftest import OPERATOR, table_counts
from tests.family import make_family

runner = CliRunner()


@pytest.fixture
def world(app: Gongji) -> Gongji:
    """A family, in- and out-of-area settlements, a bound relative: every kind of row."""
    c = open_clinic(make_family(app))
    c.file_away("李秀英", "510000")
    c.file_away("张伟", "410000")
    for name, at, yuan in (("张伟", CLINIC, "50"), ("李秀英", CLINIC, "300"),
                           ("张伟", HENAN_HOSPITAL, "120")):
        v = c.visit(name, at=at, med_type="11")
        c.fees(v, (S_A, "1", yuan))
        c.settle(v, name)
    return app


@pytest.fixture
def empty_target(db_url: str, request: pytest.FixtureRequest, tmp_path: Path
                 ) -> Iterator[str]:
    """An empty database of the same kind as db_url."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    cluster: TempPostgres = request.getfixturevalue("pg")
    name = "restore_" + uuid.uuid4().hex[:12]
    yield cluster.create_database(name)
    cluster.drop_database(name)


def test_a_backup_taken_during_writes_restores_whole_and_verifies(
        world: Gongji, db_url: str, empty_target: str, tmp_path: Path) -> None:
    cash = svc.open_account(world, OPERATOR, "bk-cash", svc.OpenAccount(
        "CASH", owner="510100", admdvs="510100")).value.id
    mine = svc.open_account(world, OPERATOR, "bk-p", svc.OpenAccount(
        "PERSONAL", owner="BK1", admdvs="510100")).value.id
    stop, moving = threading.Event(), threading.Event()
    written: list[str] = []

    def writer() -> None:  # money keeps moving while the backup is taken
        n = 0
        while not stop.is_set() and n < 500:
            svc.transfer(world, OPERATOR, f"bk-{n}", svc.Transfer(cash, mine, 1))
            written.append(f"bk-{n}")
            n += 1
            if n == 5:
                moving.set()
        moving.set()

    t = threading.Thread(target=writer)
    t.start()
    moving.wait(30)
    try:
        file = tmp_path / "gongji.backup"
        made = runner.invoke(cli, ["backup", str(file), "--db", db_url])
    finally:
        stop.set()
        t.join()
    assert made.exit_code == 0, made.output
    assert "written to" in made.output and file.stat().st_size > 0
    assert len(written) >= 5

    restored = runner.invoke(cli, ["restore", str(file), "--db", empty_target])
    assert restored.exit_code == 0, restored.output
    assert "OK" in restored.output and "VIOLATION" not in restored.output

    # the copy is one consistent moment: its balance equals its own count of transfers
    target = Database(empty_target)
    try:
        counts = table_counts(target)
        with target.read() as conn:
            balance = conn.exec_driver_sql(
                f"SELECT balance FROM accounts WHERE id = '{mine}'").scalar_one()
            copied = conn.exec_driver_sql(
                "SELECT COUNT(*) FROM entries WHERE code = 'ledger.adjust'").scalar_one()
    finally:
        target.dispose()
    assert balance == copied
    # and, written after the writer stopped, a second backup equals the source row for row
    runner.invoke(cli, ["backup", str(file), "--db", db_url])
    again = runner.invoke(cli, ["restore", str(file), "--db", empty_target, "--force"])
    assert again.exit_code == 0, again.output
    source, target = Database(db_url), Database(empty_target)
    try:
        assert table_counts(target) == table_counts(source)
    finally:
        source.dispose()
        target.dispose()
    assert counts["settlements"] == 3


def test_restore_refuses_a_database_that_holds_data(world: Gongji, db_url: str,
                                                     tmp_path: Path) -> None:
    file = tmp_path / "b"
    assert runner.invoke(cli, ["backup", str(file), "--db", db_url]).exit_code == 0
    before = table_counts(world.db)
    refused = runner.invoke(cli, ["restore", str(file), "--db", db_url])
    assert refused.exit_code == 1
    assert "RESTORE_TARGET_NOT_EMPTY" in refused.output and "--force" in refused.output
    assert table_counts(world.db) == before


def test_a_file_that_is_no_backup_is_refused(db_url: str, empty_target: str,
                                             tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a backup at all")
    out = runner.invoke(cli, ["restore", str(junk), "--db", empty_target])
    assert out.exit_code == 1 and "BACKUP_UNREADABLE" in out.output
    missing = runner.invoke(cli, ["restore", str(tmp_path / "nope"), "--db", empty_target])
    assert missing.exit_code == 1 and "BACKUP_UNREADABLE" in missing.output


def test_a_backup_of_the_other_kind_is_refused(db_url: str, empty_target: str,
                                               tmp_path: Path) -> None:
    other = tmp_path / "other"
    if db_url.startswith("sqlite"):
        other.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    else:
        sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    out = runner.invoke(cli, ["restore", str(other), "--db", empty_target])
    assert out.exit_code == 1 and "BACKUP_KIND_MISMATCH" in out.output


def test_a_tampered_backup_restores_but_does_not_verify(world: Gongji, db_url: str,
                                                        empty_target: str,
                                                        tmp_path: Path) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("editing a pg_dump archive in place is not a realistic attack")
    file = tmp_path / "b.db"
    assert runner.invoke(cli, ["backup", str(file), "--db", db_url]).exit_code == 0
    with sqlite3.connect(file) as conn:
        conn.execute("DROP TRIGGER IF EXISTS postings_no_update")
        conn.execute("UPDATE postings SET amount = amount + 100 WHERE rowid = "
                     "(SELECT MAX(rowid) FROM postings WHERE amount > 0)")
    out = runner.invoke(cli, ["restore", str(file), "--db", empty_target])
    assert out.exit_code == 1
    assert "VIOLATION" in out.output and "FAILED" in out.output
