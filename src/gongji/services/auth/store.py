"""The login tables: one-time codes (otps, by the hash of psn_no and code), sessions (by the
hash of their token), the console's sessions (by the hash of their id), the day's counts of
codes and wrong tries (login_counts, login_codes: by a keyed hash of the ID number typed and of
the client address) and the outbox of messages sent to persons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.domain.login_limits import Counts
from gongji.services.auth.model import OutboxMessage
from gongji.store.tables import (
    api_tokens,
    console_sessions,
    login_codes,
    login_counts,
    otps,
    outbox,
    sessions,
)


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
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ConsoleSessionRecord:
    token_hash: str
    expires_at: datetime
    revoked_at: datetime | None
    note: str | None
    operator: tuple[str, str] | None
    """(id, role) of the operator token it was opened with, unless that token was revoked
    (None too for the bootstrap token, which is not in the table)."""


@dataclass(frozen=True, slots=True)
class SentRecord:
    """The newest code asked for with one ID number: when, and the wrong tries since."""

    sent_at: datetime
    wrong: int


# -- one-time codes ---------------------------------------------------------------------------

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
    row = conn.execute(select(sessions.c.psn_no, sessions.c.expires_at, sessions.c.revoked_at,
                              sessions.c.note)
                       .where(sessions.c.token_hash == token_hash)).first()
    return None if row is None else SessionRecord(row.psn_no, row.expires_at, row.revoked_at,
                                                  row.note)


def revoke_session(conn: Connection, token_hash: str, *, at: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.token_hash == token_hash)
                 .values(revoked_at=at))


# -- the console's sessions ---------------------------------------------------------------------

def add_console_session(conn: Connection, *, id_hash: str, token_hash: str, at: datetime,
                        expires_at: datetime) -> None:
    conn.execute(insert(console_sessions).values(id_hash=id_hash, token_hash=token_hash,
                                                 created_at=at, expires_at=expires_at))


def forget_console_sessions(conn: Connection, *, ended_before: datetime) -> None:
    """Sessions long over (expired before the moment given) are of no use: removed."""
    conn.execute(delete(console_sessions).where(console_sessions.c.expires_at < ended_before))


def console_session(conn: Connection, id_hash: str) -> ConsoleSessionRecord | None:
    row = conn.execute(
        select(console_sessions, api_tokens.c.id.label("operator_id"), api_tokens.c.role)
        .select_from(console_sessions.outerjoin(api_tokens, and_(
            api_tokens.c.token_hash == console_sessions.c.token_hash,
            api_tokens.c.revoked_at.is_(None))))
        .where(console_sessions.c.id_hash == id_hash)).first()
    if row is None:
        return None
    return ConsoleSessionRecord(row.token_hash, row.expires_at, row.revoked_at, row.note,
                                (row.operator_id, row.role) if row.operator_id else None)


def revoke_console_session(conn: Connection, id_hash: str, *, at: datetime) -> None:
    conn.execute(update(console_sessions)
                 .where(console_sessions.c.id_hash == id_hash,
                        console_sessions.c.revoked_at.is_(None))
                 .values(revoked_at=at))


# -- one-time notices, kept with a session ------------------------------------------------------

def leave_note(conn: Connection, *, console: bool, key_hash: str, text: str) -> None:
    """The notice for the session's next page (replacing one not yet shown)."""
    if console:
        conn.execute(update(console_sessions)
                     .where(console_sessions.c.id_hash == key_hash,
                            console_sessions.c.revoked_at.is_(None)).values(note=text))
    else:
        conn.execute(update(sessions)
                     .where(sessions.c.token_hash == key_hash, sessions.c.revoked_at.is_(None))
                     .values(note=text))


def take_note(conn: Connection, *, console: bool, key_hash: str, text: str) -> bool:
    """Clear the notice, if it is still this one: True for the one page that clears it (two
    pages loaded at once do not both show it)."""
    if console:
        q = update(console_sessions).where(console_sessions.c.id_hash == key_hash,
                                           console_sessions.c.note == text)
    else:
        q = update(sessions).where(sessions.c.token_hash == key_hash, sessions.c.note == text)
    return conn.execute(q.values(note=None)).rowcount == 1


# -- the day's counts ---------------------------------------------------------------------------

def day_counts(conn: Connection, day: date, kind: str, subject: str) -> Counts:
    """The day's counts of one ID number or address, its row made if need be and locked for
    the rest of the transaction (parallel attempts queue, so none passes the limit)."""
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(login_counts)
    conn.execute(ins.values(day=day, kind=kind, subject=subject, sent=0, wrong=0)
                 .on_conflict_do_nothing(index_elements=["day", "kind", "subject"]))
    row = conn.execute(select(login_counts.c.sent, login_counts.c.wrong)
                       .where(login_counts.c.day == day, login_counts.c.kind == kind,
                              login_counts.c.subject == subject).with_for_update()).one()
    return Counts(int(row.sent), int(row.wrong))


def count(conn: Connection, day: date, subjects: list[tuple[str, str]], *, sent: int = 0,
          wrong: int = 0) -> None:
    """Add to the day's counts of these (kind, subject) rows (made by day_counts)."""
    for kind, subject in subjects:
        conn.execute(update(login_counts)
                     .where(login_counts.c.day == day, login_counts.c.kind == kind,
                            login_counts.c.subject == subject)
                     .values(sent=login_counts.c.sent + sent,
                             wrong=login_counts.c.wrong + wrong))


def forget_counts(conn: Connection, *, before: date, sent_before: datetime) -> None:
    """Counts of days gone and codes long expired are of no use: removed."""
    conn.execute(delete(login_counts).where(login_counts.c.day < before))
    conn.execute(delete(login_codes).where(login_codes.c.sent_at < sent_before))


def last_sent(conn: Connection, subject: str) -> SentRecord | None:
    """When a code was last asked for with this ID number (its keyed hash), locked."""
    row = conn.execute(select(login_codes).where(login_codes.c.subject == subject)
                       .with_for_update()).first()
    return None if row is None else SentRecord(row.sent_at, int(row.wrong))


def mark_sent(conn: Connection, subject: str, *, at: datetime) -> None:
    """A new code was asked for with this ID number: its wrong tries start again."""
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(login_codes)
    conn.execute(ins.values(subject=subject, sent_at=at, wrong=0)
                 .on_conflict_do_update(index_elements=["subject"],
                                        set_={"sent_at": at, "wrong": 0}))


def count_wrong_try(conn: Connection, subject: str) -> None:
    conn.execute(update(login_codes).where(login_codes.c.subject == subject)
                 .values(wrong=login_codes.c.wrong + 1))


# -- the outbox -------------------------------------------------------------------------------

def outbox_messages(conn: Connection, *, psn_no: str | None, limit: int
                    ) -> list[OutboxMessage]:
    """Messages sent (to one person, or to anyone), newest first."""
    q = select(outbox).order_by(outbox.c.created_at.desc(), outbox.c.id.desc()).limit(limit)
    if psn_no:
        q = q.where(outbox.c.psn_no == psn_no)
    return [OutboxMessage(r.id, r.psn_no, r.to_masked, r.body, r.created_at)
            for r in conn.execute(q).all()]
