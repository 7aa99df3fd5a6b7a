"""Reading the audit log: search by subject, action and day, a page at a time (operators).

Records were scrubbed of ID numbers and phone numbers before they were hashed; what a page
shows is masked once more on the way out (a token holder's name, anything that looks like an ID
number or a phone in free text), so no personal data leaves through the console.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, select

from gongji.domain.access import Principal
from gongji.domain.errors import GongjiError
from gongji.domain.privacy import mask_name, scrub
from gongji.services.access import require_operator
from gongji.services.door import door
from gongji.services.reports.service import bounds
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import UnitOfWork
from gongji.store.tables import audit_log

PER_PAGE = 50
NAMED_SUBJECTS = {"token.create"}
"""Actions whose subject is a person's name (the holder of an operator token)."""


@dataclass(frozen=True, slots=True)
class AuditQuery:
    subject: str = ""
    """Exact subject: a psn_no, a binding, transfer or settlement id, an institution code."""
    action: str = ""
    """An action (wallet.open) or a family of them (wallet.)."""
    start: date | None = None
    end: date | None = None
    page: int = 1


@dataclass(frozen=True, slots=True)
class AuditRecord:
    chain: str
    seq: int
    at: datetime
    actor: str
    action: str
    subject_masked: str
    entry_id: str | None
    detail_masked: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    records: list[AuditRecord]
    page: int
    total: int
    per_page: int
    actions: list[str]
    """Every action recorded so far (the search form's suggestions)."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@door
def search(app: Gongji, who: Principal, q: AuditQuery, *, per_page: int = PER_PAGE
           ) -> AuditPage:
    """Audit records by subject, action and days, newest first, a page at a time; with
    the actions recorded so far (the search form's suggestions). Operators."""
    require_operator(who)
    subject, action = q.subject.strip(), q.action.strip()
    if len(subject) > 100 or len(action) > 64:
        raise GongjiError("VALIDATION_ERROR", fields="subject or action (too long)")
    if q.page < 1:
        raise GongjiError("VALIDATION_ERROR", fields="page")
    if q.start and q.end and q.end < q.start:
        raise GongjiError("VALIDATION_ERROR", fields="end (before start)")
    a = audit_log.c
    where = []
    if subject:
        where.append(a.subject == scrub(subject))  # stored scrubbed: match the same way
    if action:
        where.append(a.action.startswith(action, autoescape=True) if action.endswith(".")
                     else a.action == action)
    if q.start:
        where.append(a.at >= bounds(q.start, q.start)[0])
    if q.end:
        where.append(a.at < bounds(q.end, q.end)[1])

    def run(uow: UnitOfWork) -> AuditPage:
        total = int(uow.conn.execute(select(func.count()).select_from(audit_log)
                                     .where(*where)).scalar_one())
        rows = uow.conn.execute(select(audit_log).where(*where)
                                .order_by(a.at.desc(), a.chain, a.seq.desc())
                                .limit(per_page).offset((q.page - 1) * per_page)).all()
        return AuditPage([_record(r) for r in rows], q.page, total, per_page,
                         actions_in(uow))

    return app.read(run, principal=who)


@door
def actions(app: Gongji, who: Principal) -> list[str]:
    """The actions recorded so far (for the search form's suggestions)."""
    require_operator(who)
    return app.read(actions_in, principal=who)


def actions_in(uow: UnitOfWork) -> list[str]:
    return sorted(uow.conn.execute(select(audit_log.c.action).distinct()).scalars())


def _record(r: Row[Any]) -> AuditRecord:
    detail = scrub(r.detail)
    try:
        shown = json.dumps(json.loads(detail), ensure_ascii=False, sort_keys=True)
    except ValueError:
        shown = detail
    subject = mask_name(r.subject) if r.action in NAMED_SUBJECTS else scrub(r.subject)
    return AuditRecord(chain=r.chain, seq=int(r.seq), at=r.at, actor=scrub(r.actor),
                       action=r.action, subject_masked=subject, entry_id=r.entry_id,
                       detail_masked="" if shown == "{}" else shown)
