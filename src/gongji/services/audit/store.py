"""Reading the audit log (the ledger's audit module writes it), as typed records: the rows as
stored, which the service masks before they leave. SQL only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select
from sqlalchemy.sql.elements import ColumnElement

from gongji.store.tables import audit_log


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """An audit record as stored (already scrubbed of ID numbers and phones when hashed)."""

    chain: str
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    entry_id: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class Filter:
    """Which records: every condition given must hold."""

    subject: str | None = None
    """Exact subject, as stored."""
    action: str = ""
    """An action, or a family of them when it ends with "." (wallet.)."""
    since: datetime | None = None
    before: datetime | None = None


def _where(f: Filter) -> list[ColumnElement[bool]]:
    a = audit_log.c
    where = []
    if f.subject is not None:
        where.append(a.subject == f.subject)
    if f.action:
        where.append(a.action.startswith(f.action, autoescape=True) if f.action.endswith(".")
                     else a.action == f.action)
    if f.since:
        where.append(a.at >= f.since)
    if f.before:
        where.append(a.at < f.before)
    return where


def _record(r: Row[Any]) -> StoredRecord:
    return StoredRecord(r.chain, int(r.seq), r.at, r.actor, r.action, r.subject, r.entry_id,
                        r.detail)


def count(conn: Connection, f: Filter) -> int:
    return int(conn.execute(select(func.count()).select_from(audit_log)
                            .where(*_where(f))).scalar_one())


def records(conn: Connection, f: Filter, *, limit: int, offset: int) -> list[StoredRecord]:
    """Newest first (by time, then chain, then latest in the chain)."""
    a = audit_log.c
    return [_record(r) for r in conn.execute(
        select(audit_log).where(*_where(f)).order_by(a.at.desc(), a.chain, a.seq.desc())
        .limit(limit).offset(offset)).all()]


def actions(conn: Connection) -> list[str]:
    """Every action recorded so far, in order."""
    return sorted(conn.execute(select(audit_log.c.action).distinct()).scalars())
