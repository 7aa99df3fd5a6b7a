"""Clearing between regions and reconciliation with institutions.

Every settlement where the care region differs from the insured region leaves an obligation:
the insured region owes the care region what the care region advanced (everything but the
patient's cash). A month's statement sums them per pair of regions. Institutions reconcile
their totals (3201) against ours: medfee_sumamt, fund_pay_sumamt, acct_pay and the count.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from gongji.domain.access import Principal
from gongji.domain.clock import SHANGHAI
from gongji.domain.dates import check_day, month_span
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan, parse_yuan
from gongji.services.access import require_institution, require_operator
from gongji.services.clearing import store
from gongji.services.clearing.model import (
    CARE_OF_CLR_TYPE,
    TOTALS,
    Claimed,
    LineCheck,
    PairLine,
    Reconciliation,
    Totals,
)
from gongji.services.door import door
from gongji.services.files import service as files
from gongji.services.runtime import Gongji, Key
from gongji.services.unit_of_work import UnitOfWork

__all__ = ["TOTALS", "Claimed", "LineCheck", "PairLine", "Reconciliation", "Totals"]
"""The model callers reach through this module, besides its doors and steps."""

def month_bounds(month: str) -> tuple[datetime, datetime]:
    """"2026-11" -> [2026-11-01 00:00, 2026-12-01 00:00) Asia/Shanghai."""
    first, after = month_span(month)  # a month of the calendar window, or refused
    return (datetime(first.year, first.month, 1, tzinfo=SHANGHAI),
            datetime(after.year, after.month, 1, tzinfo=SHANGHAI))


@door
def statement(app: Gongji, who: Principal, month: str) -> list[PairLine]:
    """What each insured region owes each care region for a month (operators)."""
    require_operator(who)
    return statement_of(app, month)


@door
def statement_of(app: Gongji, month: str) -> list[PairLine]:
    return app.read(lambda uow: statement_in(uow, month))


def statement_in(uow: UnitOfWork, month: str) -> list[PairLine]:
    start, end = month_bounds(month)
    return store.pairs(uow.conn, start, end)


@door
def totals(app: Gongji, fixmedins_code: str, begndate: date, enddate: date, *,
           insutype: str | None = None, clr_type: str | None = None) -> Totals:
    """An institution's settled totals for [begndate, enddate] (Shanghai days, inclusive)."""
    check_day(begndate, "stmt_begndate")
    check_day(enddate, "stmt_enddate")
    if enddate < begndate:
        raise GongjiError("VALIDATION_ERROR", fields="stmt_enddate before stmt_begndate")
    start = datetime(begndate.year, begndate.month, begndate.day, tzinfo=SHANGHAI)
    end = datetime.combine(enddate, datetime.max.time(), tzinfo=SHANGHAI)
    cares = CARE_OF_CLR_TYPE.get(clr_type, ("none",)) if clr_type else None

    def run(uow: UnitOfWork) -> Totals:
        r = store.sums(uow.conn, fixmedins_code, start, end, insutype=insutype, cares=cares)
        return Totals(fixmedins_code, begndate, enddate, r.medfee_sumamt, r.fund_pay_sumamt,
                      r.acct_pay, r.count)

    return app.read(run)


# -- reconciliation with an institution (REST /reconciliation, the gateway's 3201) ----------

@door
def reconcile(app: Gongji, who: Principal, claimed: Claimed) -> Reconciliation:
    """Compare an institution's totals with ours (对总账)."""
    require_institution(who)
    ours = totals(app, who.id, claimed.begndate, claimed.enddate, insutype=claimed.insutype,
                  clr_type=claimed.clr_type)
    return Reconciliation(ours, tuple(k for k in TOTALS
                                      if getattr(ours, k) != getattr(claimed, k)))


# -- detail reconciliation (the gateway's 3202) -----------------------------------------------

@door
def reconcile_lines(app: Gongji, who: Principal, key: Key, *, begndate: date, enddate: date,
                    file_qury_no: str, result_name: str) -> LineCheck:
    """对明细账: the institution uploaded its settlements of a period (9101) as tab-separated
    lines (setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay,
    refd_setl_flag); every difference from ours goes into a result file (9102)."""
    require_institution(who)
    check_day(begndate, "stmt_begndate")
    check_day(enddate, "stmt_enddate")

    def run(uow: UnitOfWork) -> LineCheck:
        text = files.content_in(uow, who.id, file_qury_no).decode("utf-8-sig")
        start = datetime(begndate.year, begndate.month, begndate.day, tzinfo=SHANGHAI)
        stop = datetime(enddate.year, enddate.month, enddate.day,
                        tzinfo=SHANGHAI) + timedelta(days=1)
        ours = store.lines(uow.conn, who.id, start, stop)
        theirs: dict[str, list[str]] = {}
        for line in text.splitlines():
            cells = line.split("\t")
            if len(cells) >= 7 and cells[0]:
                theirs[cells[0]] = cells
        problems = []
        for setl_id, cells in theirs.items():
            r = ours.get(setl_id)
            if r is None:
                problems.append(f"{setl_id}\tnot found\t医保无此结算")
                continue
            if (cells[6].strip() == "1") != (r.status == "cancelled"):
                problems.append(f"{setl_id}\trefd_setl_flag\t医保状态 {r.status}")
            for i, name in ((3, "medfee_sumamt"), (4, "fund_pay_sumamt"), (5, "acct_pay")):
                if _yuan_cell(cells[i]) != getattr(r, name):
                    problems.append(f"{setl_id}\t{name}\t医保 {format_yuan(getattr(r, name))}")
        for setl_id in ours.keys() - theirs.keys():
            problems.append(f"{setl_id}\tmissing\t机构未上报该结算")
        body = "\n".join(["setl_id\tfield\tnote", *problems]).encode()
        stored = files.store_in(uow, who.id, result_name, body)
        return LineCheck(stored.file_qury_no, stored.filename, len(theirs), len(problems))

    return app.write(who, key=key, operation="reconcile.lines",
                     request={"begndate": begndate.isoformat(), "enddate": enddate.isoformat(),
                              "file_qury_no": file_qury_no}, fn=run,
                     result_type=LineCheck).value


def _yuan_cell(text: str) -> int | None:
    """An amount of the institution's file, exactly (a fen is never rounded away); None when
    it is not an amount (then it differs from ours)."""
    try:
        return parse_yuan(text.strip(), allow_zero=True)
    except GongjiError:
        return None
