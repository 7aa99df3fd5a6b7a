"""Clearing between regions and reconciliation with institutions.

Every settlement where the care region differs from the insured region leaves an obligation:
the insured region owes the care region what the care region advanced (everything but the
patient's cash). A month's statement sums them per pair of regions. Institutions reconcile
their totals (3201) against ours: medfee_sumamt, fund_pay_sumamt, acct_pay and the count.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from gongji.domain.access import Principal
from gongji.domain.clock import SHANGHAI
from gongji.domain.dates import check_day, month_span
from gongji.domain.edge import cut
from gongji.domain.errors import Bi, GongjiError
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
        theirs = _their_lines(files.content_in(uow, who.id, file_qury_no))
        start = datetime(begndate.year, begndate.month, begndate.day, tzinfo=SHANGHAI)
        stop = datetime(enddate.year, enddate.month, enddate.day,
                        tzinfo=SHANGHAI) + timedelta(days=1)
        ours = store.lines(uow.conn, who.id, start, stop)
        problems = []
        for setl_id, cells in theirs.items():
            r = ours.get(setl_id)
            if r is None:
                problems.append(f"{setl_id}\tnot found\t医保无此结算")
                continue
            if (cells[6].strip() == "1") != (r.status == "cancelled"):
                problems.append(f"{setl_id}\trefd_setl_flag\t医保状态 {r.status}")
            for i, name in AMOUNT_COLUMNS:
                if cells[i] != getattr(r, name):
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


AMOUNT_COLUMNS = ((3, "medfee_sumamt"), (4, "fund_pay_sumamt"), (5, "acct_pay"))
"""The amount columns of a 3202 detail line, by position."""


def _their_lines(content: bytes) -> dict[str, list[Any]]:
    """The institution's detail file by setl_id, its amounts read exactly as fen. A line that
    cannot be read is refused by its number, never taken as a difference: a file with NaN or
    1e400 where an amount belongs is the file's fault, and the institution must fix it."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise GongjiError("RECONCILE_FILE_INVALID", line=content[:e.start].count(b"\n") + 1,
                          reason=Bi("不是 UTF-8 文本", "not UTF-8 text")) from None
    theirs: dict[str, list[Any]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or (n == 1 and line.split("\t")[0].strip().lower() == "setl_id"):
            continue  # blank lines, and a header row some exports write
        cells: list[Any] = line.split("\t")
        if len(cells) < 7 or not cells[0].strip():
            raise GongjiError("RECONCILE_FILE_INVALID", line=n, reason=Bi(
                f"应为 7 列（以制表符分隔，首列 setl_id），实为 {len(cells)} 列",
                f"7 tab-separated columns (setl_id first) expected, {len(cells)} found"))
        for i, name in AMOUNT_COLUMNS:
            try:
                cells[i] = parse_yuan(cells[i].strip(), allow_zero=True)
            except GongjiError:
                raise GongjiError("RECONCILE_FILE_INVALID", line=n, reason=Bi(
                    f"{name} 不是金额（元，最多两位小数）",
                    f"{name} is not an amount (yuan, at most two decimals)")) from None
        setl_id = cells[0].strip()
        if setl_id in theirs:
            shown = cut(setl_id, 40)
            raise GongjiError("RECONCILE_FILE_INVALID", line=n, reason=Bi(
                f"结算 {shown} 重复出现", f"settlement {shown} appears twice"))
        theirs[setl_id] = cells
    return theirs
