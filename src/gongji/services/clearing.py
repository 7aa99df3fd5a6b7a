"""Clearing between regions and reconciliation with institutions.

Every settlement where the care region differs from the insured region leaves an obligation:
the insured region owes the care region what the care region advanced (everything but the
patient's cash). A month's statement sums them per pair of regions. Institutions reconcile
their totals (3201) against ours: medfee_sumamt, fund_pay_sumamt, acct_pay and the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import GongjiError
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import UnitOfWork
from gongji.store.tables import settlements


@dataclass(frozen=True, slots=True)
class PairLine:
    insuplc_admdvs: str
    """Owes (the insured region)."""
    mdtrtarea_admvs: str
    """Is owed (the care region, which advanced the money)."""
    count: int
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    acct_mulaid_pay: int
    clearing_amt: int


@dataclass(frozen=True, slots=True)
class Totals:
    fixmedins_code: str
    begndate: date
    enddate: date
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    fixmedins_setl_cnt: int


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """"2026-11" -> [2026-11-01 00:00, 2026-12-01 00:00) Asia/Shanghai."""
    try:
        y, m = (int(x) for x in month.split("-"))
        start = datetime(y, m, 1, tzinfo=SHANGHAI)
    except ValueError:
        raise GongjiError("VALIDATION_ERROR", fields="month (YYYY-MM)") from None
    end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def statement(app: Gongji, month: str) -> list[PairLine]:
    start, end = month_bounds(month)
    s = settlements.c

    def run(uow: UnitOfWork) -> list[PairLine]:
        rows = uow.conn.execute(
            select(s.insuplc_admdvs, s.mdtrtarea_admvs, func.count(),
                   func.sum(s.medfee_sumamt), func.sum(s.fund_pay_sumamt), func.sum(s.acct_pay),
                   func.sum(s.acct_mulaid_pay), func.sum(s.clearing_amt))
            .where(s.status == "settled", s.setl_time >= start, s.setl_time < end,
                   s.insuplc_admdvs != s.mdtrtarea_admvs)
            .group_by(s.insuplc_admdvs, s.mdtrtarea_admvs)
            .order_by(s.insuplc_admdvs, s.mdtrtarea_admvs)).all()
        return [PairLine(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]), int(r[6]),
                         int(r[7])) for r in rows]

    return app.read(run)


def totals(app: Gongji, fixmedins_code: str, begndate: date, enddate: date, *,
           insutype: str | None = None, clr_type: str | None = None) -> Totals:
    """An institution's settled totals for [begndate, enddate] (Shanghai days, inclusive)."""
    if enddate < begndate:
        raise GongjiError("VALIDATION_ERROR", fields="stmt_enddate before stmt_begndate")
    start = datetime(begndate.year, begndate.month, begndate.day, tzinfo=SHANGHAI)
    end = datetime.combine(enddate, datetime.max.time(), tzinfo=SHANGHAI)
    s = settlements.c
    care = {"11": ("outpatient", "chronic"), "21": ("inpatient",), "41": ("pharmacy",)}

    def run(uow: UnitOfWork) -> Totals:
        q = select(func.coalesce(func.sum(s.medfee_sumamt), 0),
                   func.coalesce(func.sum(s.fund_pay_sumamt), 0),
                   func.coalesce(func.sum(s.acct_pay), 0), func.count()).where(
            s.fixmedins_code == fixmedins_code, s.status == "settled",
            s.setl_time >= start, s.setl_time <= end)
        if insutype:
            q = q.where(s.insutype == insutype)
        if clr_type:
            q = q.where(s.care.in_(care.get(clr_type, ("none",))))
        r = uow.conn.execute(q).one()
        return Totals(fixmedins_code, begndate, enddate, int(r[0]), int(r[1]), int(r[2]),
                      int(r[3]))

    return app.read(run)
