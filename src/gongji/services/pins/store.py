"""The pins table: a person's PIN hash, the wrong attempts since the last right one, and the
lock they earned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from gongji.store.tables import pins


@dataclass(frozen=True, slots=True)
class PinRecord:
    hash: str
    """argon2id; the PIN itself is never stored."""
    failed: int
    locked_until: datetime | None


def exists(conn: Connection, psn_no: str) -> bool:
    """Has the person set a PIN?"""
    return conn.execute(select(pins.c.psn_no).where(pins.c.psn_no == psn_no)).first() is not None


def pin(conn: Connection, psn_no: str) -> PinRecord | None:
    row = conn.execute(select(pins).where(pins.c.psn_no == psn_no)).first()
    if row is None:
        return None
    return PinRecord(row.hash, int(row.failed), row.locked_until)


def save(conn: Connection, psn_no: str, digest: str, *, at: datetime) -> bool:
    """Store a new hash, clearing failures and lock; True if it replaced one (a change)."""
    done = conn.execute(update(pins).where(pins.c.psn_no == psn_no).values(
        hash=digest, failed=0, locked_until=None, updated_at=at))
    if done.rowcount == 0:
        conn.execute(insert(pins).values(psn_no=psn_no, hash=digest, failed=0, updated_at=at))
    return bool(done.rowcount == 1)


def clear_failures(conn: Connection, psn_no: str) -> None:
    conn.execute(update(pins).where(pins.c.psn_no == psn_no).values(failed=0))


def count_failure(conn: Connection, psn_no: str) -> int:
    """One more wrong attempt; the count now."""
    return int(conn.execute(update(pins).where(pins.c.psn_no == psn_no)
                            .values(failed=pins.c.failed + 1)
                            .returning(pins.c.failed)).scalar_one())


def lock(conn: Connection, psn_no: str, until: datetime) -> None:
    """Lock the PIN until then (the count starts again)."""
    conn.execute(update(pins).where(pins.c.psn_no == psn_no)
                 .values(failed=0, locked_until=until))
