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

The aggregations themselves are store.py's; here are the doors, the ranges and the zero-filling.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from gongji.domain.access import Principal
from gongji.domain.clock import SHANGHAI
from gongji.domain.dates import check_day
from gongji.domain.errors import GongjiError
from gongji.metrics import ERRORS
from gongji.services.access import require_operator
from gongji.services.clearing.service import PairLine, statement_in
from gongji.services.door import door
from gongji.services.reports import store
from gongji.services.reports.model import (
    DEFAULT_DAYS,
    MAX_DAYS,
    OUTCOMES,
    WALLET_OPEN,
    DayCount,
    Outcome,
    Overview,
    Position,
    RegionSettlements,
    Security,
    TransferDay,
)
from gongji.services.runtime import Gongji
from gongji.services.transfers.service import status_of
from gongji.services.unit_of_work import UnitOfWork


def check_range(start: date, end: date) -> None:
    check_day(start, "start")  # the calendar window: the day after `end` must exist
    check_day(end, "end")
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


# -- wallets and transfers -------------------------------------------------------------------

@door
def wallets_opened(app: Gongji, who: Principal, start: date, end: date) -> list[DayCount]:
    require_operator(who)
    return app.read(lambda uow: wallets_opened_in(uow, start, end), principal=who)


def wallets_opened_in(uow: UnitOfWork, start: date, end: date) -> list[DayCount]:
    check_range(start, end)
    found = store.actions_per_day(uow.conn, WALLET_OPEN, *bounds(start, end))
    return [DayCount(d, found.get(d, 0)) for d in days(start, end)]


@door
def transfers_by_day(app: Gongji, who: Principal, start: date, end: date) -> list[TransferDay]:
    require_operator(who)
    return app.read(lambda uow: transfers_by_day_in(uow, start, end), principal=who)


def transfers_by_day_in(uow: UnitOfWork, start: date, end: date) -> list[TransferDay]:
    check_range(start, end)
    found = store.transfers_per_day(uow.conn, start, end)
    return [found.get(d) or TransferDay(d, 0, 0, 0, 0) for d in days(start, end)]


@door
def transfer_outcomes(app: Gongji, who: Principal, start: date, end: date) -> list[Outcome]:
    """How the transfers sent in the range ended, every status listed (zero included)."""
    require_operator(who)
    return app.read(lambda uow: transfer_outcomes_in(uow, start, end), principal=who)


def transfer_outcomes_in(uow: UnitOfWork, start: date, end: date) -> list[Outcome]:
    check_range(start, end)
    count = dict.fromkeys(OUTCOMES, 0)
    amount = dict.fromkeys(OUTCOMES, 0)
    for e in store.transfer_ends(uow.conn, start, end):
        status = status_of(e.state, e.end_reason)
        count[status] = count.get(status, 0) + e.count
        amount[status] = amount.get(status, 0) + e.amount
    return [Outcome(s, count[s], amount[s]) for s in count]


# -- refusals --------------------------------------------------------------------------------

@door
def security(app: Gongji, who: Principal, start: date, end: date) -> Security:
    require_operator(who)
    return app.read(lambda uow: security_in(uow, start, end), principal=who)


def security_in(uow: UnitOfWork, start: date, end: date) -> Security:
    check_range(start, end)
    return store.security(uow.conn, *bounds(start, end), now=uow.now)


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

@door
def settlements_by_region(app: Gongji, who: Principal, start: date, end: date
                          ) -> list[RegionSettlements]:
    require_operator(who)
    return app.read(lambda uow: settlements_by_region_in(uow, start, end), principal=who)


def settlements_by_region_in(uow: UnitOfWork, start: date, end: date) -> list[RegionSettlements]:
    check_range(start, end)
    return store.settlements_by_region(uow.conn, *bounds(start, end))


def positions(lines: Iterable[PairLine]) -> list[Position]:
    """Each region's net position in a clearing statement."""
    owes: dict[str, int] = {}
    owed: dict[str, int] = {}
    for ln in lines:
        owes[ln.insuplc_admdvs] = owes.get(ln.insuplc_admdvs, 0) + ln.clearing_amt
        owed[ln.mdtrtarea_admvs] = owed.get(ln.mdtrtarea_admvs, 0) + ln.clearing_amt
    return [Position(r, owes.get(r, 0), owed.get(r, 0)) for r in sorted(set(owes) | set(owed))]


# -- the console's reports page ---------------------------------------------------------------

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
