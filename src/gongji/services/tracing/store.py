"""The trace_sales table as tracing sees it: the sales of one box, a pharmacy's own sale
records, its returns. SQL only (a settlement writes its own sales: settlement/store.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import Connection, insert, select, update

from gongji.store.tables import trace_sales


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
