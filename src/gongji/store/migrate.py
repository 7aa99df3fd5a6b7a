"""Schema migrations (Alembic), driven from code so no alembic.ini is needed at run time."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from gongji.store.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@cache
def head() -> str:
    """The newest revision this code ships (read once: the scripts do not change while the
    process runs, and reading them costs ~9 ms, which /healthz must not pay per probe)."""
    rev = ScriptDirectory.from_config(_config()).get_current_head()
    assert rev is not None
    return rev


def current(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_empty(db: Database) -> bool:
    with db.engine.connect() as conn:
        return not inspect(conn).get_table_names()


def upgrade(db: Database, target: str = "head") -> tuple[str | None, str]:
    """Apply migrations up to target; returns (revision before, revision after)."""
    before = current(db)
    _run(db, lambda cfg: command.upgrade(cfg, target))
    return before, current(db) or ""


def downgrade(db: Database, target: str) -> None:
    """Undo migrations down to target ("base": nothing)."""
    _run(db, lambda cfg: command.downgrade(cfg, target))


def _run(db: Database, step: Callable[[Config], None]) -> None:
    cfg = _config()
    with db.engine.connect() as conn:
        # SQLite rebuilds a table to change its keys (migrations/reshape.py): foreign keys
        # are off meanwhile, as SQLite's own procedure for it says, and checked before commit
        raw = conn.connection.dbapi_connection if db.dialect == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                step(cfg)
                if raw is not None and (bad := conn.exec_driver_sql(
                        "PRAGMA foreign_key_check").all()):
                    raise RuntimeError(f"migration left broken foreign keys: {bad[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def ensure_ready(db: Database, *, auto: bool) -> str:
    """Bring an empty database to head (or any database, when auto); refuse a stale one."""
    from gongji.domain.errors import GongjiError

    rev = current(db)
    if rev == head():
        return "current"
    if rev is None and is_empty(db):
        upgrade(db)
        return "created"
    if auto:
        upgrade(db)
        return "upgraded"
    raise GongjiError("DB_NOT_MIGRATED", current=rev or "none", head=head())
