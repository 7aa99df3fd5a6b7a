"""Reading the audit log: search by subject, action and day, a page at a time (operators).

Records were scrubbed of ID numbers and phone numbers before they were hashed; what a page
shows is masked once more on the way out (a token holder's name, anything that looks like an ID
number or a phone in free text), so no personal data leaves through the console.
"""

from __future__ import annotations

import json

from gongji.domain.access import Principal
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.privacy import mask_name, scrub
from gongji.services.access import require_operator
from gongji.services.audit import store
from gongji.services.audit.model import (
    NAMED_SUBJECTS,
    PER_PAGE,
    AuditPage,
    AuditQuery,
    AuditRecord,
)
from gongji.services.audit.store import Filter, StoredRecord
from gongji.services.door import door
from gongji.services.reports.service import bounds
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import UnitOfWork


@door
def search(app: Gongji, who: Principal, q: AuditQuery, *, per_page: int = PER_PAGE
           ) -> AuditPage:
    """Audit records by subject, action and days, newest first, a page at a time; with
    the actions recorded so far (the search form's suggestions). Operators."""
    require_operator(who)
    subject, action = q.subject.strip(), q.action.strip()
    if len(subject) > 100 or len(action) > 64:
        raise GongjiError("VALIDATION_ERROR", fields="subject, action", rule=Bi(
            "太长：对象最多 100 个字符，操作最多 64 个字符",
            "too long: subject at most 100 characters, action at most 64"))
    if q.page < 1:
        raise GongjiError("VALIDATION_ERROR", fields="page")
    if q.start and q.end and q.end < q.start:
        raise GongjiError("VALIDATION_ERROR", fields="end (before start)")
    where = Filter(
        subject=scrub(subject) if subject else None,  # stored scrubbed: match the same way
        action=action,
        since=bounds(q.start, q.start)[0] if q.start else None,
        before=bounds(q.end, q.end)[1] if q.end else None)

    def run(uow: UnitOfWork) -> AuditPage:
        total = store.count(uow.conn, where)
        rows = store.records(uow.conn, where, limit=per_page, offset=(q.page - 1) * per_page)
        return AuditPage([_record(r) for r in rows], q.page, total, per_page,
                         actions_in(uow))

    return app.read(run, principal=who)


@door
def actions(app: Gongji, who: Principal) -> list[str]:
    """The actions recorded so far (for the search form's suggestions)."""
    require_operator(who)
    return app.read(actions_in, principal=who)


def actions_in(uow: UnitOfWork) -> list[str]:
    return store.actions(uow.conn)


def _record(r: StoredRecord) -> AuditRecord:
    detail = scrub(r.detail)
    try:
        shown = json.dumps(json.loads(detail), ensure_ascii=False, sort_keys=True)
    except ValueError:
        shown = detail
    subject = mask_name(r.subject) if r.action in NAMED_SUBJECTS else scrub(r.subject)
    return AuditRecord(chain=r.chain, seq=r.seq, at=r.at, actor=scrub(r.actor),
                       action=r.action, subject_masked=subject, entry_id=r.entry_id,
                       detail_masked="" if shown == "{}" else shown)
