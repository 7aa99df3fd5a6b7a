"""The database's own health probe. (Migrations and backups are the store layer already:
gongji.store.migrate and gongji.store.backup.)"""

from __future__ import annotations

from sqlalchemy import Connection, text


def ping(conn: Connection) -> None:
    """A round trip to the database; raises when it is not there."""
    conn.execute(text("SELECT 1"))
