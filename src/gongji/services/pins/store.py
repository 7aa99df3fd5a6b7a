"""The pins table: a person's PIN hash, the wrong attempts since the last right one, and the
lock they earned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, insert, or_, select, update

from gongji.store.tables import person_region, pins


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
        conn.execute(insert(pins).values(admdvs=person_region(psn_no), psn_no=psn_no,
                                         hash=digest, failed=0, updated_at=at))
    return bool(done.rowcount == 1)


def rehash(conn: Connection, psn_no: str, old: str, new: str) -> bool:
    """Put a new hash of the same PIN (other argon2 parameters) in place of old, unless the
    PIN changed meanwhile; the counts and the lock are left as they are."""
    done = conn.execute(update(pins).where(pins.c.psn_no == psn_no, pins.c.hash == old)
                        .values(hash=new))
    return bool(done.rowcount == 1)


def claim_attempt(conn: Connection, psn_no: str, *, now: datetime, stale_before: datetime,
                  max_attempts: int) -> str | None:
    """Claim one attempt before the PIN is checked: only while the PIN is not locked and the
    wrong answers so far plus the attempts being checked are fewer than max_attempts, so that
    parallel guesses can never get more wrong answers than one-by-one ones. The PIN's hash
    if claimed, else None. Claims older than stale_before (their process died mid-check) no
    longer count."""
    live = case((pins.c.pending_at < stale_before, 0), else_=pins.c.pending)
    row = conn.execute(update(pins).where(
        pins.c.psn_no == psn_no,
        or_(pins.c.locked_until.is_(None), pins.c.locked_until <= now),
        pins.c.failed + live < max_attempts,
    ).values(pending=live + 1, pending_at=now).returning(pins.c.hash)).first()
    return None if row is None else str(row.hash)


def _release() -> Any:
    return case((pins.c.pending > 0, pins.c.pending - 1), else_=0)


def right_attempt(conn: Connection, psn_no: str, *, now: datetime) -> bool:
    """A claimed attempt was right. False if the PIN got locked meanwhile (it is then not
    accepted). The wrong answers are forgiven only if no other attempt is still being
    checked: a right PIN amid a burst of guesses does not reset the count for the others."""
    done = conn.execute(update(pins).where(
        pins.c.psn_no == psn_no,
        or_(pins.c.locked_until.is_(None), pins.c.locked_until <= now),
    ).values(failed=case((pins.c.pending <= 1, 0), else_=pins.c.failed),
             pending=_release()))
    return bool(done.rowcount == 1)


def wrong_attempt(conn: Connection, psn_no: str) -> int:
    """A claimed attempt was wrong: the wrong answers since the last right PIN, now."""
    return int(conn.execute(update(pins).where(pins.c.psn_no == psn_no)
                            .values(failed=pins.c.failed + 1, pending=_release())
                            .returning(pins.c.failed)).scalar_one())


def lock(conn: Connection, psn_no: str, until: datetime) -> None:
    """Lock the PIN until then (the count starts again)."""
    conn.execute(update(pins).where(pins.c.psn_no == psn_no)
                 .values(failed=0, locked_until=until))
