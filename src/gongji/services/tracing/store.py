"""The trace_sales table as tracing sees it: the sales of one box, a pharmacy's own sale
records, its returns; the lock a sale of a box takes; untraced_stock, an institution's
registered stock from before the mandate (无码库). SQL only (a settlement writes its own
sales: settlement/store.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import Connection, func, insert, select, update

from gongji.store.tables import trace_sales, untraced_stock


@dataclass(frozen=True, slots=True)
class SaleRecord:
    """A sale of a box (or of part of it, 拆零) not returned."""

    id: str
    psn_no: str | None
    setl_id: str | None
    fraction: str
    """Of the box, as stored ("1", "1/2")."""
    trdn_flag: bool


def sold(conn: Connection, code_key: str) -> list[SaleRecord]:
    """The sales of one box that stand (not returned)."""
    return [SaleRecord(r.id, r.psn_no, r.setl_id, r.fraction, bool(r.trdn_flag))
            for r in conn.execute(select(trace_sales).where(
                trace_sales.c.code_key == code_key, trace_sales.c.status == "sold"))]


def add_sale(conn: Connection, sale_id: str, *, code_key: str, raw: str, psn_no: str | None,
             fixmedins_code: str, med_list_codg: str, setl_id: str | None, fraction: Fraction,
             trdn_flag: bool, at: datetime) -> None:
    conn.execute(insert(trace_sales).values(
        id=sale_id, code_key=code_key, raw=raw[:128], psn_no=psn_no,
        fixmedins_code=fixmedins_code, med_list_codg=med_list_codg, setl_id=setl_id,
        fraction=str(fraction), trdn_flag=trdn_flag, status="sold", sold_at=at))


def return_sold(conn: Connection, code_key: str, fixmedins_code: str, *, at: datetime) -> int:
    """The pharmacy's sales of one box returned; how many."""
    done = conn.execute(update(trace_sales).where(
        trace_sales.c.code_key == code_key, trace_sales.c.status == "sold",
        trace_sales.c.fixmedins_code == fixmedins_code)
        .values(status="returned", returned_at=at))
    return int(done.rowcount)


def lock_boxes(conn: Connection, keys: Iterable[str]) -> None:
    """The sales of these boxes (or of an institution's untraced stock of an item) queue here
    until the unit of work ends, so two sales at once cannot both take the box's last units.
    PostgreSQL: a transaction-level advisory lock per key, taken in key order (no deadlock
    between two sales of the same boxes). SQLite has one writer: nothing to take."""
    if conn.dialect.name == "sqlite":
        return
    for k in sorted(set(keys)):
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(k, 0))))


@dataclass(frozen=True, slots=True)
class StockRow:
    id: str
    med_list_codg: str
    quantity: int
    bought_on: date
    registered_at: datetime


def add_stock(conn: Connection, stock_id: str, *, admdvs: str, fixmedins_code: str,
              med_list_codg: str, quantity: int, bought_on: date, at: datetime) -> None:
    conn.execute(insert(untraced_stock).values(
        admdvs=admdvs, id=stock_id, fixmedins_code=fixmedins_code, med_list_codg=med_list_codg,
        quantity=quantity, bought_on=bought_on, registered_at=at))


def stock_of(conn: Connection, fixmedins_code: str,
             items: Iterable[str] | None = None) -> list[StockRow]:
    """An institution's registrations, oldest first (of these items only, if named)."""
    q = select(untraced_stock).where(untraced_stock.c.fixmedins_code == fixmedins_code)
    if items is not None:
        q = q.where(untraced_stock.c.med_list_codg.in_(sorted(set(items))))
    return [StockRow(r.id, r.med_list_codg, int(r.quantity), r.bought_on, r.registered_at)
            for r in conn.execute(q.order_by(untraced_stock.c.registered_at,
                                             untraced_stock.c.id))]


def taken(conn: Connection, keys: Iterable[str]) -> dict[str, Fraction]:
    """What the sales not returned took, per key (a box's code, or untraced stock's key)."""
    out: dict[str, Fraction] = {}
    wanted = sorted(set(keys))
    if wanted:
        for r in conn.execute(select(trace_sales.c.code_key, trace_sales.c.fraction).where(
                trace_sales.c.code_key.in_(wanted), trace_sales.c.status == "sold")):
            out[r.code_key] = out.get(r.code_key, Fraction(0)) + Fraction(r.fraction)
    return out
