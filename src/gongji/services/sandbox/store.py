"""Where the sandbox clock is kept across restarts (app_state, one row), and the latest journal
entry's time (a resumed clock never starts before it). SQL only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.store.tables import app_state, entries

KEY = "sandbox_clock"
"""The app_state row of the clock's position."""


def stored_clock(conn: Connection) -> datetime | None:
    """The clock's position the last run kept, if any."""
    stored = conn.execute(select(app_state.c.value).where(app_state.c.name == KEY)).scalar()
    return datetime.fromisoformat(stored) if stored else None


def latest_entry_at(conn: Connection) -> datetime | None:
    return conn.execute(select(func.max(entries.c.created_at))).scalar()


def keep_clock(conn: Connection, at: datetime, *, now: datetime) -> None:
    """Keep the clock's position (the row is made on first use)."""
    value = at.isoformat()
    done = conn.execute(update(app_state).where(app_state.c.name == KEY)
                        .values(value=value, updated_at=now))
    if done.rowcount == 0:
        ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)
        conn.execute(ins(app_state).values(name=KEY, value=value, updated_at=now)
                     .on_conflict_do_nothing(index_elements=["name"]))
