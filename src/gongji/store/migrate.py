"""Schema migrations (Alembic), driven from code so no alembic.ini is needed at run time."""

from __future__ import annotations

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
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    return before, current(db) or ""


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
