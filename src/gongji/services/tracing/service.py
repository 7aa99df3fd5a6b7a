"""Drug trace codes: the public query (what happened to this box?), and a pharmacy's sale and
return records (3505, 3506)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from gongji.domain import tracecode
from gongji.domain.access import Principal
from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_code
from gongji.services.access import require_institution
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.tracing import store
from gongji.services.tracing.model import QueryResult, Sale, SaleIn
from gongji.services.unit_of_work import UnitOfWork


@door
def query(app: Gongji, who: Principal, raw: str) -> QueryResult:
    """The public check of a trace code; a logged-in person also learns whether it was sold
    to them."""
    code = tracecode.parse(raw)
    asker = who.id if who.kind == "person" else None

    def run(uow: UnitOfWork) -> list[tuple[str, str, bool, str]]:
        return [(r.id, r.psn_no or "", r.trdn_flag, r.fraction)
                for r in store.sold(uow.conn, code.key)]

    rows = app.read(run, principal=who)
    # the parts of one box sold split (拆零) to one person are one sale, while they add up
    # to no more than the box
    if rows and all(split for _, _, split, _ in rows) and len({p for _, p, _, _ in rows}) == 1 \
            and sum((Fraction(f) for *_, f in rows), Fraction(0)) <= 1:
        rows = rows[:1]
    outcome = tracecode.query_outcome([(i, p) for i, p, _, _ in rows], asker)
    text = tracecode.OUTCOME_TEXT[outcome]
    return QueryResult(outcome, text.zh, text.en, code.kind, code.expiry)


@door
def record_sale(app: Gongji, who: Principal, key: Key, sale: SaleIn) -> Written[Sale]:
    require_institution(who)
    return app.write(who, key=key, operation="trace.sale", request=to_json(sale, SaleIn),
                     fn=lambda uow: Sale(sale.codes, record_sale_in(
                         uow, who.id, med_list_codg=sale.med_list_codg,
                         codes=list(sale.codes), psn_no=sale.psn_no, setl_id=sale.setl_id,
                         trdn_flag=sale.trdn_flag, cnt=sale.cnt)), result_type=Sale)


@door
def return_sale(app: Gongji, who: Principal, key: Key, sale: SaleIn) -> Written[Sale]:
    require_institution(who)
    return app.write(who, key=key, operation="trace.return", request=to_json(sale, SaleIn),
                     fn=lambda uow: Sale(sale.codes, return_sale_in(uow, who.id,
                                                                    codes=list(sale.codes))),
                     result_type=Sale)


def record_sale_in(uow: UnitOfWork, fixmedins_code: str, *, med_list_codg: str,
                   codes: list[str], psn_no: str | None, setl_id: str | None,
                   trdn_flag: bool, cnt: Decimal) -> int:
    """A pharmacy's sale record (3505). Codes already recorded by the settlement they name
    are accepted as they are; a box sold anywhere else is refused (a resold box)."""
    parsed = [tracecode.parse(c) for c in codes]
    if not parsed:
        raise GongjiError("TRACE_CODE_MISSING", feedetl_sn=med_list_codg)
    fraction = Fraction(cnt) if trdn_flag else Fraction(1)
    if trdn_flag and (len(parsed) != 1 or fraction > 1 or fraction <= 0):
        raise GongjiError("TRACE_CODE_COUNT", feedetl_sn=med_list_codg,
                          expected="1 (split sale)", given=len(parsed))
    recorded = 0
    for code in parsed:
        sold = store.sold(uow.conn, code.key)
        if setl_id and any(s.setl_id == setl_id for s in sold):
            continue  # the settlement recorded it already
        before = sum((Fraction(s.fraction) for s in sold), Fraction(0))
        if sold and not (trdn_flag and all(s.trdn_flag for s in sold)
                         and tracecode.split_allowed(before, fraction)):
            raise GongjiError("TRACE_CODE_SOLD", code=tracecode.masked(code.raw))
        store.add_sale(uow.conn, new_code("T"), code_key=code.key, raw=code.raw,
                       psn_no=psn_no, fixmedins_code=fixmedins_code,
                       med_list_codg=med_list_codg, setl_id=setl_id, fraction=fraction,
                       trdn_flag=trdn_flag, at=uow.now)
        recorded += 1
    return recorded


def return_sale_in(uow: UnitOfWork, fixmedins_code: str, *, codes: list[str]) -> int:
    """A pharmacy takes boxes back (3506): their codes are free again."""
    returned = 0
    for code in (tracecode.parse(c) for c in codes):
        returned += store.return_sold(uow.conn, code.key, fixmedins_code, at=uow.now)
    return returned
