"""Drug trace codes: the public query (what happened to this box?)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import select

from gongji.domain import tracecode
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import UnitOfWork
from gongji.store.tables import trace_sales


@dataclass(frozen=True, slots=True)
class QueryResult:
    outcome: str
    message: str
    message_en: str
    kind: str
    expiry: date | None


def query(app: Gongji, raw: str, *, asker: str | None) -> QueryResult:
    code = tracecode.parse(raw)

    def run(uow: UnitOfWork) -> list[tuple[str, str, bool, str]]:
        return [(r.id, r.psn_no or "", bool(r.trdn_flag), r.fraction)
                for r in uow.conn.execute(select(trace_sales).where(
                    trace_sales.c.code_key == code.key, trace_sales.c.status == "sold"))]

    rows = app.read(run)
    # the parts of one box sold split (拆零) to one person are one sale, while they add up
    # to no more than the box
    if rows and all(split for _, _, split, _ in rows) and len({p for _, p, _, _ in rows}) == 1 \
            and sum((Fraction(f) for *_, f in rows), Fraction(0)) <= 1:
        rows = rows[:1]
    outcome = tracecode.query_outcome([(i, p) for i, p, _, _ in rows], asker)
    text = tracecode.OUTCOME_TEXT[outcome]
    return QueryResult(outcome, text.zh, text.en, code.kind, code.expiry)
