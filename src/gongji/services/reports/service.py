"""Read-only figures for the operator console's reports (SQLAlchemy Core, SQLite and PostgreSQL).

Days are Asia/Shanghai business dates; amounts are integer fen. Every report takes an inclusive
range of days [start, end] and answers one row per day (zero-filled) or per group.

- wallets opened per day: every `wallet.open` audit record (a closed wallet opened again counts
  again; the wallets table keeps only the latest opening);
- transfers per day: by the transfer's business date, all sent and those accepted;
- transfer outcomes: how the transfers of the range ended (accepted, pending, returned at the
  deadline, refused by the receiver, taken back, returned when the binding ended);
- refusals: a refused request writes nothing (its transaction rolls back), so refusals by rule
  are not in the database. What is persistent is reported (transfers refused by the receiver,
  wrong login codes, wrong PINs and locked PINs); the count by error code since the process
  started comes from the process metrics (`gongji_errors_total`);
- settlements and fund outlays by insured region (settled, not cancelled);
- cross-region clearing: services/clearing.py's statement, and each region's net position.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Date, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from gongji.domain.access import Principal
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import GongjiError
from gongji.metrics import ERRORS
from gongji.services.access import require_operator
from gongji.services.clearing.service import PairLine, statement_in
from gongji.services.door import door
from gongji.services.runtime import Gongji
from gongji.services.transfers.service import status_of
from gongji.services.unit_of_work import UnitOfWork
from gongji.store.tables import audit_log, holds, otps, pins, settlements, wallet_transfers

MAX_DAYS = 366
WALLET_OPEN = "wallet.open"
"""The audit action of a wallet opening (services/wallet.py)."""


def check_range(start: date, end: date) -> None:
    if end < start:
        raise GongjiError("VALIDATION_ERROR", fields="end (before start)")
    if (end - start).days >= MAX_DAYS:
        raise GongjiError("VALIDATION_ERROR", fields=f"end (at most {MAX_DAYS} days)")


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in Asia/Shanghai."""
    return (datetime(start.year, start.month, start.day, tzinfo=SHANGHAI),
            datetime(end.year, end.month, end.day, tzinfo=SHANGHAI) + timedelta(days=1))


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

@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    count: int


@door
def wallets_opened(app: Gongji, who: Principal, start: date, end: date) -> list[DayCount]:
    require_operator(who)
    return app.read(lambda uow: wallets_opened_in(uow, start, end), principal=who)


def wallets_opened_in(uow: UnitOfWork, start: date, end: date) -> list[DayCount]:
    check_range(start, end)
    lo, hi = bounds(start, end)
    day = shanghai_day(uow.conn, audit_log.c.at).label("day")
    rows = uow.conn.execute(select(day, func.count()).where(
        audit_log.c.action == WALLET_OPEN, audit_log.c.at >= lo, audit_log.c.at < hi)
        .group_by(day)).all()
    found = {_as_date(r[0]): int(r[1]) for r in rows}
    return [DayCount(d, found.get(d, 0)) for d in days(start, end)]


@dataclass(frozen=True, slots=True)
class TransferDay:
    day: date
    count: int
    amount: int
    accepted_count: int
    accepted_amount: int


@door
def transfers_by_day(app: Gongji, who: Principal, start: date, end: date) -> list[TransferDay]:
    require_operator(who)
    return app.read(lambda uow: transfers_by_day_in(uow, start, end), principal=who)


def transfers_by_day_in(uow: UnitOfWork, start: date, end: date) -> list[TransferDay]:
    check_range(start, end)
    t = wallet_transfers.c
    posted = holds.c.state == "posted"
    rows = uow.conn.execute(
        select(t.business_date, func.count(), func.sum(t.amount),
               func.sum(case((posted, 1), else_=0)),
               func.sum(case((posted, t.amount), else_=0)))
        .join(holds, holds.c.id == t.hold_id)
        .where(t.business_date >= start, t.business_date <= end)
        .group_by(t.business_date)).all()
    found = {_as_date(r[0]): r for r in rows}
    out = []
    for d in days(start, end):
        r = found.get(d)
        out.append(TransferDay(d, *(int(x) for x in r[1:])) if r is not None
                   else TransferDay(d, 0, 0, 0, 0))
    return out


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    """accepted, pending, returned, rejected, cancelled, unbound (services/transfers.py)."""
    count: int
    amount: int


OUTCOMES = ("accepted", "pending", "returned", "rejected", "cancelled", "unbound")


@door
def transfer_outcomes(app: Gongji, who: Principal, start: date, end: date) -> list[Outcome]:
    """How the transfers sent in the range ended, every status listed (zero included)."""
    require_operator(who)
    return app.read(lambda uow: transfer_outcomes_in(uow, start, end), principal=who)


def transfer_outcomes_in(uow: UnitOfWork, start: date, end: date) -> list[Outcome]:
    check_range(start, end)
    t = wallet_transfers.c
    rows = uow.conn.execute(
        select(holds.c.state, t.end_reason, func.count(), func.sum(t.amount))
        .join(holds, holds.c.id == t.hold_id)
        .where(t.business_date >= start, t.business_date <= end)
        .group_by(holds.c.state, t.end_reason)).all()
    count = dict.fromkeys(OUTCOMES, 0)
    amount = dict.fromkeys(OUTCOMES, 0)
    for state, reason, n, total in rows:
        status = status_of(state, reason)
        count[status] = count.get(status, 0) + int(n)
        amount[status] = amount.get(status, 0) + int(total)
    return [Outcome(s, count[s], amount[s]) for s in count]


# -- refusals --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Security:
    wrong_login_codes: int
    """Wrong one-time codes typed for codes sent in the range."""
    login_codes_sent: int
    wrong_pins_now: int
    """Wrong PINs counted now (a right PIN resets a person's count)."""
    pins_locked_now: int


@door
def security(app: Gongji, who: Principal, start: date, end: date) -> Security:
    require_operator(who)
    return app.read(lambda uow: security_in(uow, start, end), principal=who)


def security_in(uow: UnitOfWork, start: date, end: date) -> Security:
    check_range(start, end)
    lo, hi = bounds(start, end)
    sent, wrong = uow.conn.execute(
        select(func.count(), func.coalesce(func.sum(otps.c.attempts), 0))
        .where(otps.c.created_at >= lo, otps.c.created_at < hi)).one()
    failed, locked = uow.conn.execute(select(
        func.coalesce(func.sum(pins.c.failed), 0),
        func.coalesce(func.sum(case((pins.c.locked_until > uow.now, 1), else_=0)), 0))
    ).one()
    return Security(int(wrong), int(sent), int(failed), int(locked))


def refusals_since_start() -> list[tuple[str, int]]:
    """Refusals of writes by error code since this process started (process metrics: lost on
    restart, and each process of a cluster counts its own)."""
    out = []
    for metric in ERRORS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.value:
                out.append((sample.labels["code"], int(sample.value)))
    return sorted(out, key=lambda x: (-x[1], x[0]))


# -- settlements and clearing ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RegionSettlements:
    admdvs: str
    """The insured region, whose funds pay."""
    count: int
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    acct_mulaid_pay: int
    psn_cash_pay: int


@door
def settlements_by_region(app: Gongji, who: Principal, start: date, end: date
                          ) -> list[RegionSettlements]:
    require_operator(who)
    return app.read(lambda uow: settlements_by_region_in(uow, start, end), principal=who)


def settlements_by_region_in(uow: UnitOfWork, start: date, end: date) -> list[RegionSettlements]:
    check_range(start, end)
    lo, hi = bounds(start, end)
    s = settlements.c
    rows = uow.conn.execute(
        select(s.insuplc_admdvs, func.count(), func.sum(s.medfee_sumamt),
               func.sum(s.fund_pay_sumamt), func.sum(s.acct_pay),
               func.sum(s.acct_mulaid_pay), func.sum(s.psn_cash_pay))
        .where(s.status == "settled", s.setl_time >= lo, s.setl_time < hi)
        .group_by(s.insuplc_admdvs).order_by(s.insuplc_admdvs)).all()
    return [RegionSettlements(r[0], *(int(x) for x in r[1:])) for r in rows]


@dataclass(frozen=True, slots=True)
class Position:
    admdvs: str
    owes: int
    """What this region owes other regions (as the insured region)."""
    owed: int
    """What other regions owe this one (as the care region, which advanced the money)."""

    @property
    def net(self) -> int:
        """Positive: the region is owed money on balance."""
        return self.owed - self.owes


def positions(lines: Iterable[PairLine]) -> list[Position]:
    """Each region's net position in a clearing statement."""
    owes: dict[str, int] = {}
    owed: dict[str, int] = {}
    for ln in lines:
        owes[ln.insuplc_admdvs] = owes.get(ln.insuplc_admdvs, 0) + ln.clearing_amt
        owed[ln.mdtrtarea_admvs] = owed.get(ln.mdtrtarea_admvs, 0) + ln.clearing_amt
    return [Position(r, owes.get(r, 0), owed.get(r, 0)) for r in sorted(set(owes) | set(owed))]


# -- the console's reports page ---------------------------------------------------------------

DEFAULT_DAYS = 14
"""The reports page shows the last two weeks unless asked otherwise."""


@dataclass(frozen=True, slots=True)
class Overview:
    first: date
    last: date
    month: str
    """The clearing month shown (YYYY-MM)."""
    opened: list[DayCount]
    per_day: list[TransferDay]
    outcomes: list[Outcome]
    security: Security
    since_start: list[tuple[str, int]]
    by_region: list[RegionSettlements]
    pairs: list[PairLine]
    positions: list[Position]


@door
def overview(app: Gongji, who: Principal, *, start: date | None = None,
             end: date | None = None, month: str | None = None) -> Overview:
    """Every figure of the reports page from one snapshot: the days up to `end` (default
    today, the last two weeks unless `start` says) and the clearing month (default the
    month of `end`)."""
    require_operator(who)

    def run(uow: UnitOfWork) -> Overview:
        last = end or uow.today
        first = start or last - timedelta(days=DEFAULT_DAYS - 1)
        check_range(first, last)
        ym = month or last.strftime("%Y-%m")
        pairs = statement_in(uow, ym)
        return Overview(first, last, ym, wallets_opened_in(uow, first, last),
                        transfers_by_day_in(uow, first, last),
                        transfer_outcomes_in(uow, first, last), security_in(uow, first, last),
                        refusals_since_start(), settlements_by_region_in(uow, first, last),
                        pairs, positions(pairs))

    return app.read(run, principal=who)
