"""The claim tables (claims, their fee lines, the invoices claimed) as typed records. SQL only:
nothing here decides a rule."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.store.tables import claim_invoices, claim_lines, claims


@dataclass(frozen=True, slots=True)
class LineRecord:
    feedetl_sn: str
    med_list_codg: str
    cnt: Decimal
    pric: Decimal
    det_item_fee_sumamt: int
    admitted_cnt: Decimal | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    claim_id: str
    psn_no: str
    insutype: str
    insuplc_admdvs: str
    fixmedins_code: str
    mdtrtarea_admvs: str
    med_type: str
    care: str
    begndate: date
    enddate: date
    dise_codg: str
    dise_name: str
    invoice_no: str
    medfee_sumamt: int
    bank_name: str
    bank_acct: str
    acct_used: bool
    status: str
    submitted_by: str
    submitted_at: datetime
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    reason: str | None = None
    outcome: dict[str, Any] | None = None
    """The settlement engine's outcome at approval, as JSON (the service reads it)."""
    reimbursed: int | None = None
    entry_id: str | None = None
    pay_entry_id: str | None = None
    cancel_entry_id: str | None = None
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None


_FIELDS = [f for f in ClaimRecord.__dataclass_fields__ if f != "outcome"]


def _claim(r: Row[Any]) -> ClaimRecord:
    m = r._mapping
    return ClaimRecord(**{f: m[f] for f in _FIELDS},
                       outcome=None if m["outcome"] is None else json.loads(m["outcome"]))


def hold_invoice(conn: Connection, admdvs: str, fixmedins_code: str, invoice_no: str,
                 claim_id: str) -> str | None:
    """Take the invoice for this claim (in the institution's region, admdvs): None if taken
    now, else the claim that holds it. Two
    submissions of one invoice meet on its row: the second waits for the first's commit
    (PostgreSQL) or the write lock (SQLite), then reads who holds it."""
    got = conn.execute(_HOLD[conn.dialect.name == "postgresql"], {
        "admdvs": admdvs, "fixmedins_code": fixmedins_code, "invoice_no": invoice_no,
        "claim_id": claim_id}
    ).first()
    if got is not None:
        return None
    held: str | None = conn.execute(select(claim_invoices.c.claim_id).where(
        claim_invoices.c.admdvs == admdvs, claim_invoices.c.fixmedins_code == fixmedins_code,
        claim_invoices.c.invoice_no == invoice_no)).scalar()
    return held or "?"


_HOLD = {pg: (pg_insert if pg else sqlite_insert)(claim_invoices).values(
    admdvs=bindparam("admdvs"), fixmedins_code=bindparam("fixmedins_code"),
    invoice_no=bindparam("invoice_no"),
    claim_id=bindparam("claim_id"))
    .on_conflict_do_nothing(index_elements=["admdvs", "fixmedins_code", "invoice_no"])
    .returning(claim_invoices.c.claim_id) for pg in (False, True)}


def free_invoice(conn: Connection, claim_id: str) -> None:
    """A refused or withdrawn claim lets its invoice be claimed again."""
    conn.execute(delete(claim_invoices).where(claim_invoices.c.claim_id == claim_id))


def add(conn: Connection, c: ClaimRecord, lines: list[LineRecord]) -> None:
    values = {f: getattr(c, f) for f in _FIELDS}
    conn.execute(insert(claims).values(**values, outcome=None))
    conn.execute(insert(claim_lines), [dict(
        insuplc_admdvs=c.insuplc_admdvs, claim_id=c.claim_id, feedetl_sn=x.feedetl_sn,
        med_list_codg=x.med_list_codg,
        cnt=str(x.cnt), pric=str(x.pric), det_item_fee_sumamt=x.det_item_fee_sumamt)
        for x in lines])


def get(conn: Connection, claim_id: str, *, lock: bool = False) -> ClaimRecord | None:
    q = select(claims).where(claims.c.claim_id == claim_id)
    row = conn.execute(q.with_for_update() if lock else q).first()
    return None if row is None else _claim(row)


def lines_of(conn: Connection, claim_id: str) -> list[LineRecord]:
    return [LineRecord(r.feedetl_sn, r.med_list_codg, Decimal(r.cnt), Decimal(r.pric),
                       int(r.det_item_fee_sumamt),
                       None if r.admitted_cnt is None else Decimal(r.admitted_cnt), r.reason)
            for r in conn.execute(select(claim_lines).where(
                claim_lines.c.claim_id == claim_id).order_by(claim_lines.c.feedetl_sn))]


def of_person(conn: Connection, psn_no: str, *, limit: int = 50) -> list[ClaimRecord]:
    return [_claim(r) for r in conn.execute(
        select(claims).where(claims.c.psn_no == psn_no)
        .order_by(claims.c.submitted_at.desc(), claims.c.claim_id.desc()).limit(limit))]


def by_status(conn: Connection, statuses: tuple[str, ...], *, limit: int = 100
              ) -> list[ClaimRecord]:
    """The review queue: oldest first."""
    return [_claim(r) for r in conn.execute(
        select(claims).where(claims.c.status.in_(statuses))
        .order_by(claims.c.submitted_at, claims.c.claim_id).limit(limit))]


def count_by_status(conn: Connection) -> dict[str, int]:
    """How many claims are in each status (the console's dashboard)."""
    return {str(status): int(n) for status, n in conn.execute(
        select(claims.c.status, func.count()).group_by(claims.c.status))}


def approved_stays(conn: Connection, psn_no: str, insutype: str, year: int) -> int:
    """Inpatient stays already reimbursed by hand this year (a later stay's deductible)."""
    return int(conn.execute(select(func.count()).select_from(claims).where(
        claims.c.psn_no == psn_no, claims.c.insutype == insutype,
        claims.c.care == "inpatient", claims.c.status.in_(("approved", "paid")),
        claims.c.begndate >= date(year, 1, 1), claims.c.begndate <= date(year, 12, 31))
    ).scalar_one())


def review_lines(conn: Connection, claim_id: str, admitted: dict[str, tuple[Decimal, str]]
                 ) -> None:
    for sn, (cnt, reason) in admitted.items():
        conn.execute(update(claim_lines).where(
            claim_lines.c.claim_id == claim_id, claim_lines.c.feedetl_sn == sn).values(
                admitted_cnt=str(cnt), reason=reason or None))


def change(conn: Connection, claim_id: str, *, outcome: dict[str, Any] | None = None,
           **values: Any) -> None:
    if outcome is not None:
        values["outcome"] = json.dumps(outcome)
    conn.execute(update(claims).where(claims.c.claim_id == claim_id).values(**values))
