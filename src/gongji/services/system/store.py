"""The database's own health probe and the reading of its schema for Citus. (Migrations and
backups are the store layer already: gongji.store.migrate and gongji.store.backup.)"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from gongji.store import distribution
from gongji.store.distribution import Violation


def ping(conn: Connection) -> None:
    """A round trip to the database; raises when it is not there."""
    conn.execute(text("SELECT 1"))


def citus_plan(conn: Connection) -> tuple[list[str], list[Violation]]:
    """The Citus statements for the schema as the database has it, and what keeps tables
    from them (gongji.store.distribution)."""
    schema = inspect(conn)
    return distribution.citus_ddl(schema), distribution.violations(schema)
