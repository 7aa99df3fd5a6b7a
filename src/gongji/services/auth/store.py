"""The login tables: one-time codes (otps, by the hash of psn_no and code), sessions (by the
hash of their token) and the outbox of messages sent to persons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from gongji.services.auth.model import OutboxMessage
from gongji.store.tables import otps, outbox, sessions


@dataclass(frozen=True, slots=True)
class CodeRecord:
    """A one-time code still open: unused and unexpired."""

    id: str
    code_hash: str
    attempts: int


@dataclass(frozen=True, slots=True)
class SessionRecord:
    psn_no: str
    expires_at: datetime
    revoked_at: datetime | None


# -- one-time codes ---------------------------------------------------------------------------

def last_code_at(conn: Connection, psn_no: str) -> datetime | None:
    """When the person was last sent a code, if ever."""
    last: datetime | None = conn.execute(
        select(otps.c.created_at).where(otps.c.psn_no == psn_no)
        .order_by(otps.c.created_at.desc()).limit(1)).scalar()
    return last


def replace_code(conn: Connection, *, otp_id: str, psn_no: str, code_hash: str,
                 expires_at: datetime, at: datetime) -> None:
    """A new code for the person: any older one still unused is used up now."""
    conn.execute(update(otps).where(otps.c.psn_no == psn_no, otps.c.used_at.is_(None))
                 .values(used_at=at))
    conn.execute(insert(otps).values(id=otp_id, psn_no=psn_no, code_hash=code_hash,
                                     expires_at=expires_at, attempts=0, created_at=at))


def open_code(conn: Connection, psn_no: str, *, now: datetime) -> CodeRecord | None:
    """The person's newest code still open, locked for this login attempt."""
    row = conn.execute(select(otps).where(otps.c.psn_no == psn_no, otps.c.used_at.is_(None),
                                          otps.c.expires_at > now)
                       .order_by(otps.c.created_at.desc()).limit(1)
                       .with_for_update()).first()
    return None if row is None else CodeRecord(row.id, row.code_hash, int(row.attempts))


def count_wrong(conn: Connection, otp_id: str) -> None:
    conn.execute(update(otps).where(otps.c.id == otp_id).values(attempts=otps.c.attempts + 1))


def use_code(conn: Connection, otp_id: str, *, at: datetime) -> None:
    conn.execute(update(otps).where(otps.c.id == otp_id).values(used_at=at))


# -- sessions ---------------------------------------------------------------------------------

def add_session(conn: Connection, *, token_hash: str, psn_no: str, at: datetime,
                expires_at: datetime) -> None:
    conn.execute(insert(sessions).values(token_hash=token_hash, psn_no=psn_no, created_at=at,
                                         expires_at=expires_at))


def session(conn: Connection, token_hash: str) -> SessionRecord | None:
    row = conn.execute(select(sessions.c.psn_no, sessions.c.expires_at, sessions.c.revoked_at)
                       .where(sessions.c.token_hash == token_hash)).first()
    return None if row is None else SessionRecord(row.psn_no, row.expires_at, row.revoked_at)


def revoke_session(conn: Connection, token_hash: str, *, at: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.token_hash == token_hash)
                 .values(revoked_at=at))


# -- the outbox -------------------------------------------------------------------------------

def outbox_messages(conn: Connection, *, psn_no: str | None, limit: int
                    ) -> list[OutboxMessage]:
    """Messages sent (to one person, or to anyone), newest first."""
    q = select(outbox).order_by(outbox.c.created_at.desc(), outbox.c.id.desc()).limit(limit)
    if psn_no:
        q = q.where(outbox.c.psn_no == psn_no)
    return [OutboxMessage(r.id, r.psn_no, r.to_masked, r.body, r.created_at)
            for r in conn.execute(q).all()]
