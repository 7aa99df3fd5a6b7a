"""The prescriptions and prescription_items tables as domain records: one prescription, a
person's, a new one written, its status changed; the row lock a fill takes. SQL only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from gongji.domain.prescriptions import Prescription, cnt_text
from gongji.store.tables import person_region, prescription_items, prescriptions


def add(conn: Connection, rx: Prescription) -> None:
    region = conn.execute(select(person_region(rx.psn_no))).scalar_one()
    conn.execute(insert(prescriptions).values(
        admdvs=region, hi_rxno=rx.hi_rxno, psn_no=rx.psn_no, issued_by=rx.issued_by,
        dise_codg=rx.dise_codg,
        issued_at=rx.issued_at, valid_until=rx.valid_until, status=rx.status))
    conn.execute(insert(prescription_items), [
        {"admdvs": region, "hi_rxno": rx.hi_rxno, "med_list_codg": code, "cnt": cnt_text(cnt)}
        for code, cnt in sorted(rx.items.items())])


def get(conn: Connection, hi_rxno: str) -> Prescription | None:
    row = conn.execute(select(prescriptions).where(prescriptions.c.hi_rxno == hi_rxno)).first()
    return None if row is None else _with_items(conn, [row])[0]


def of_person(conn: Connection, psn_no: str) -> list[Prescription]:
    """A person's prescriptions, newest first."""
    rows = conn.execute(select(prescriptions).where(prescriptions.c.psn_no == psn_no)
                        .order_by(prescriptions.c.issued_at.desc(),
                                  prescriptions.c.hi_rxno.desc())).all()
    return _with_items(conn, rows)


def lock(conn: Connection, hi_rxno: str) -> None:
    """Fills, revocations and refunds of one prescription queue here until the unit of work
    ends, so two fills at once cannot both take it.

    PostgreSQL: FOR NO KEY UPDATE, not FOR UPDATE: a unit of work that has already inserted a
    row naming the prescription (an order) holds a key-share lock on it through the foreign
    key, and two such units upgrading to FOR UPDATE would deadlock (as people.lock_person).
    SQLite has one writer from BEGIN IMMEDIATE: nothing to take."""
    if conn.dialect.name != "sqlite":
        conn.execute(select(prescriptions.c.hi_rxno).where(
            prescriptions.c.hi_rxno == hi_rxno).with_for_update(key_share=True))


def mark_filled(conn: Connection, hi_rxno: str, *, by: str, ref: str, at: datetime) -> int:
    """issued -> filled; how many rows changed (0: it was not issued any more)."""
    done = conn.execute(update(prescriptions).where(
        prescriptions.c.hi_rxno == hi_rxno, prescriptions.c.status == "issued")
        .values(status="filled", filled_by=by, filled_setl=ref, filled_at=at))
    return int(done.rowcount)


def unfill(conn: Connection, hi_rxno: str, ref: str) -> int:
    """filled by `ref` -> issued again; how many rows changed."""
    done = conn.execute(update(prescriptions).where(
        prescriptions.c.hi_rxno == hi_rxno, prescriptions.c.status == "filled",
        prescriptions.c.filled_setl == ref)
        .values(status="issued", filled_by=None, filled_setl=None, filled_at=None))
    return int(done.rowcount)


def revoke(conn: Connection, hi_rxno: str) -> int:
    """issued -> revoked; how many rows changed."""
    done = conn.execute(update(prescriptions).where(
        prescriptions.c.hi_rxno == hi_rxno, prescriptions.c.status == "issued")
        .values(status="revoked"))
    return int(done.rowcount)


def _with_items(conn: Connection, rows: list[Row[Any]] | Any) -> list[Prescription]:
    rows = list(rows)
    if not rows:
        return []
    items: dict[str, dict[str, Decimal]] = {}
    for r in conn.execute(select(prescription_items).where(
            prescription_items.c.hi_rxno.in_([r.hi_rxno for r in rows]))
            .order_by(prescription_items.c.hi_rxno, prescription_items.c.med_list_codg)):
        items.setdefault(r.hi_rxno, {})[r.med_list_codg] = Decimal(r.cnt)
    return [Prescription(
        hi_rxno=r.hi_rxno, psn_no=r.psn_no, issued_by=r.issued_by, issued_at=r.issued_at,
        valid_until=r.valid_until, status=r.status, items=items.get(r.hi_rxno, {}),
        dise_codg=r.dise_codg, filled_by=r.filled_by, filled_setl=r.filled_setl,
        filled_at=r.filled_at) for r in rows]
