"""The reports' aggregations (SQLAlchemy Core, SQLite and PostgreSQL), over tables other
capabilities write: the audit log, wallet transfers and their holds, login codes, PINs and
settlements. Read only; SQL only: which days, and what a status means, are the service's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from gongji.services.reports.model import RegionSettlements, Security, TransferDay
from gongji.store.tables import audit_log, holds, otps, pins, settlements, wallet_transfers


def shanghai_day(conn: Connection, column: Any) -> ColumnElement[Any]:
    """The Asia/Shanghai calendar day of a stored time, computed by the database.

    PostgreSQL keeps timestamptz and converts by zone. SQLite keeps naive UTC text; Shanghai
    has been UTC+8 without daylight saving since 1991, so adding eight hours is exact for every
    business time gongji stores.
    """
    if conn.dialect.name == "postgresql":
        return cast(func.timezone("Asia/Shanghai", column), Date)
    return func.date(column, "+8 hours")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# -- wallets and transfers -------------------------------------------------------------------

def actions_per_day(conn: Connection, action: str, since: datetime, before: datetime
                    ) -> dict[date, int]:
    """Audit records of one action per Asia/Shanghai day, in [since, before) (days without
    any are left out)."""
    day = shanghai_day(conn, audit_log.c.at).label("day")
    rows = conn.execute(select(day, func.count()).where(
        audit_log.c.action == action, audit_log.c.at >= since, audit_log.c.at < before)
        .group_by(day)).all()
    return {_as_date(r[0]): int(r[1]) for r in rows}


def transfers_per_day(conn: Connection, start: date, end: date) -> dict[date, TransferDay]:
    """Transfers by business date in [start, end], all sent and those accepted (their hold
    posted); days without any are left out."""
    t = wallet_transfers.c
    posted = holds.c.state == "posted"
    rows = conn.execute(
        select(t.business_date, func.count(), func.sum(t.amount),
               func.sum(case((posted, 1), else_=0)),
               func.sum(case((posted, t.amount), else_=0)))
        .join(holds, holds.c.id == t.hold_id)
        .where(t.business_date >= start, t.business_date <= end)
        .group_by(t.business_date)).all()
    out = {}
    for r in rows:
        d = _as_date(r[0])
        out[d] = TransferDay(d, *(int(x) for x in r[1:]))
    return out


@dataclass(frozen=True, slots=True)
class Ended:
    """Transfers that ended the same way: their hold's state and the transfer's end reason."""

    state: str
    end_reason: str | None
    count: int
    amount: int


def transfer_ends(conn: Connection, start: date, end: date) -> list[Ended]:
    """Transfers sent in [start, end] by how they ended (hold state, end reason)."""
    t = wallet_transfers.c
    rows = conn.execute(
        select(holds.c.state, t.end_reason, func.count(), func.sum(t.amount))
        .join(holds, holds.c.id == t.hold_id)
        .where(t.business_date >= start, t.business_date <= end)
        .group_by(holds.c.state, t.end_reason)).all()
    return [Ended(state, reason, int(n), int(total)) for state, reason, n, total in rows]


# -- refusals --------------------------------------------------------------------------------

def security(conn: Connection, since: datetime, before: datetime, *, now: datetime
             ) -> Security:
    """Login codes sent in [since, before) and the wrong ones typed for them; wrong PINs
    counted and PINs locked now."""
    sent, wrong = conn.execute(
        select(func.count(), func.coalesce(func.sum(otps.c.attempts), 0))
        .where(otps.c.created_at >= since, otps.c.created_at < before)).one()
    failed, locked = conn.execute(select(
        func.coalesce(func.sum(pins.c.failed), 0),
        func.coalesce(func.sum(case((pins.c.locked_until > now, 1), else_=0)), 0))
    ).one()
    return Security(int(wrong), int(sent), int(failed), int(locked))


# -- settlements -----------------------------------------------------------------------------

def settlements_by_region(conn: Connection, since: datetime, before: datetime
                          ) -> list[RegionSettlements]:
    """Settled (not cancelled) settlements made in [since, before), summed by insured
    region, in region order."""
    s = settlements.c
    rows = conn.execute(
        select(s.insuplc_admdvs, func.count(), func.sum(s.medfee_sumamt),
               func.sum(s.fund_pay_sumamt), func.sum(s.acct_pay),
               func.sum(s.acct_mulaid_pay), func.sum(s.psn_cash_pay))
        .where(s.status == "settled", s.setl_time >= since, s.setl_time < before)
        .group_by(s.insuplc_admdvs).order_by(s.insuplc_admdvs)).all()
    return [RegionSettlements(r[0], *(int(x) for x in r[1:])) for r in rows]
