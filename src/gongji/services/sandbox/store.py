"""Where the sandbox clock is kept across restarts (app_state, one row), and the latest journal
entry's time (a resumed clock never starts before it). SQL only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.store.tables import app_state, entries

KEY = "sandbox_clock"
"""The app_state row of the clock's position."""


@dataclass(frozen=True, slots=True)
class Kept:
    at: datetime
    """Where the clock was set (or resumed) last."""
    offset_us: int | None
    """Its distance from real time then, in microseconds: every process reading the same
    database tells the same time from it. None in a row kept before it was recorded."""


def stored_clock(conn: Connection) -> Kept | None:
    """The clock as last set or resumed, if ever."""
    stored = conn.execute(select(app_state.c.value).where(app_state.c.name == KEY)).scalar()
    if not stored:
        return None
    if not stored.startswith("{"):
        return Kept(datetime.fromisoformat(stored), None)
    data = json.loads(stored)
    return Kept(datetime.fromisoformat(data["at"]), int(data["offset_us"]))


def latest_entry_at(conn: Connection) -> datetime | None:
    return conn.execute(select(func.max(entries.c.created_at))).scalar()


def keep_clock(conn: Connection, at: datetime, offset_us: int, *, now: datetime) -> None:
    """Keep the clock's position and offset (the row is made on first use)."""
    value = json.dumps({"at": at.isoformat(), "offset_us": offset_us})
    done = conn.execute(update(app_state).where(app_state.c.name == KEY)
                        .values(value=value, updated_at=now))
    if done.rowcount == 0:
        ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)
        conn.execute(ins(app_state).values(name=KEY, value=value, updated_at=now)
                     .on_conflict_do_nothing(index_elements=["name"]))
