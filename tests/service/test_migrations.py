"""The migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from gongji.domain.errors import GongjiError
from gongji.store import migrate
from gongji.store.db import Database
from gongji.store.tables import metadata


def test_migrated_schema_matches_the_declared_one(database: Database) -> None:
    assert migrate.current(database) == migrate.head()
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_downgrade_to_nothing_and_back(database: Database) -> None:
    migrate.downgrade(database, "base")
    with database.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    assert migrate.upgrade(database) == (None, migrate.head())
    assert migrate.upgrade(database) == (migrate.head(), migrate.head())  # twice is harmless


def test_empty_database_is_created_and_stale_one_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    assert migrate.is_empty(db)
    assert migrate.ensure_ready(db, auto=False) == "created"
    assert migrate.ensure_ready(db, auto=False) == "current"
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")
    with pytest.raises(GongjiError) as e:
        migrate.ensure_ready(db, auto=False)
    assert e.value.code == "DB_NOT_MIGRATED"
    assert "gongji db upgrade" in e.value.message_en
    db.dispose()


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    with db.engine.connect() as conn:
        conn.rollback()
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cur = raw.cursor()
        assert cur.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cur.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert cur.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        assert cur.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    db.dispose()
