"""Clearing between regions and reconciliation with institutions.

Every settlement where the care region differs from the insured region leaves an obligation:
the insured region owes the care region what the care region advanced (everything but the
patient's cash). A month's statement sums them per pair of regions. Institutions reconcile
their totals (3201) against ours: medfee_sumamt, fund_pay_sumamt, acct_pay and the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from gongji.domain.access import Principal
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan, parse_yuan
from gongji.services.access import require_institution, require_operator
from gongji.services.door import door
from gongji.services.files import service as files
from gongji.services.runtime import Gongji, Key
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
    s = settlements.c
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


@door
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


# -- reconciliation with an institution (REST /reconciliation, the gateway's 3201) ----------

TOTALS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "fixmedins_setl_cnt")
"""What an institution's totals are compared on, in this order."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """An institution's own totals for a period (Shanghai days, inclusive)."""

    begndate: date
    enddate: date
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    fixmedins_setl_cnt: int
    insutype: str | None = None
    clr_type: str | None = None


@dataclass(frozen=True, slots=True)
class Reconciliation:
    ours: Totals
    differing: tuple[str, ...]
    """The TOTALS that differ from the institution's, in order."""

    @property
    def matched(self) -> bool:
        return not self.differing

    def ours_text(self, name: str) -> str:
        """Our figure as the answer states it: a count, or yuan."""
        value = getattr(self.ours, name)
        return str(value) if name.endswith("_cnt") else format_yuan(value)


@door
def reconcile(app: Gongji, who: Principal, claimed: Claimed) -> Reconciliation:
    """Compare an institution's totals with ours (对总账)."""
    require_institution(who)
    ours = totals(app, who.id, claimed.begndate, claimed.enddate, insutype=claimed.insutype,
                  clr_type=claimed.clr_type)
    return Reconciliation(ours, tuple(k for k in TOTALS
                                      if getattr(ours, k) != getattr(claimed, k)))


# -- detail reconciliation (the gateway's 3202) -----------------------------------------------

@dataclass(frozen=True, slots=True)
class LineCheck:
    """A detail reconciliation: the result file stored for 9102, and the counts."""

    file_qury_no: str
    filename: str
    lines: int
    mismatches: int


@door
def reconcile_lines(app: Gongji, who: Principal, key: Key, *, begndate: date, enddate: date,
                    file_qury_no: str, result_name: str) -> LineCheck:
    """对明细账: the institution uploaded its settlements of a period (9101) as tab-separated
    lines (setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay,
    refd_setl_flag); every difference from ours goes into a result file (9102)."""
    require_institution(who)

    def run(uow: UnitOfWork) -> LineCheck:
        text = files.content_in(uow, who.id, file_qury_no).decode("utf-8-sig")
        start = datetime(begndate.year, begndate.month, begndate.day, tzinfo=SHANGHAI)
        stop = datetime(enddate.year, enddate.month, enddate.day,
                        tzinfo=SHANGHAI) + timedelta(days=1)
        ours = {r.setl_id: r for r in uow.conn.execute(select(settlements).where(
            settlements.c.fixmedins_code == who.id, settlements.c.setl_time >= start,
            settlements.c.setl_time < stop))}
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
