"""What clearing reads of the settlements table: sums per pair of regions, an institution's
sums, and its settlements of a period line by line. Reads only; SQL only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from gongji.services.clearing.model import PairLine
from gongji.store.tables import settlements


def pairs(conn: Connection, start: datetime, end: datetime) -> list[PairLine]:
    """Settled amounts in [start, end) where the care region is not the insured region, per
    (insured region, care region), in that order."""
    s = settlements.c
    rows = conn.execute(
        select(s.insuplc_admdvs, s.mdtrtarea_admvs, func.count(),
               func.sum(s.medfee_sumamt), func.sum(s.fund_pay_sumamt), func.sum(s.acct_pay),
               func.sum(s.acct_mulaid_pay), func.sum(s.clearing_amt))
        .where(s.status == "settled", s.setl_time >= start, s.setl_time < end,
               s.insuplc_admdvs != s.mdtrtarea_admvs)
        .group_by(s.insuplc_admdvs, s.mdtrtarea_admvs)
        .order_by(s.insuplc_admdvs, s.mdtrtarea_admvs)).all()
    return [PairLine(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]), int(r[6]),
                     int(r[7])) for r in rows]


@dataclass(frozen=True, slots=True)
class Sums:
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    count: int


def sums(conn: Connection, fixmedins_code: str, start: datetime, end: datetime, *,
         insutype: str | None, cares: Sequence[str] | None) -> Sums:
    """An institution's settled sums in [start, end], of one insutype and some care types
    when given."""
    s = settlements.c
    q = select(func.coalesce(func.sum(s.medfee_sumamt), 0),
               func.coalesce(func.sum(s.fund_pay_sumamt), 0),
               func.coalesce(func.sum(s.acct_pay), 0), func.count()).where(
        s.fixmedins_code == fixmedins_code, s.status == "settled",
        s.setl_time >= start, s.setl_time <= end)
    if insutype:
        q = q.where(s.insutype == insutype)
    if cares is not None:
        q = q.where(s.care.in_(cares))
    r = conn.execute(q).one()
    return Sums(int(r[0]), int(r[1]), int(r[2]), int(r[3]))


@dataclass(frozen=True, slots=True)
class SettledLine:
    """One settlement as a detail reconciliation compares it."""

    setl_id: str
    status: str
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int


def lines(conn: Connection, fixmedins_code: str, start: datetime, stop: datetime
          ) -> dict[str, SettledLine]:
    """An institution's settlements (any status) in [start, stop), by setl_id."""
    return {r.setl_id: SettledLine(r.setl_id, r.status, int(r.medfee_sumamt),
                                   int(r.fund_pay_sumamt), int(r.acct_pay))
            for r in conn.execute(select(settlements).where(
                settlements.c.fixmedins_code == fixmedins_code,
                settlements.c.setl_time >= start, settlements.c.setl_time < stop))}
