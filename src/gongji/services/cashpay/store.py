"""Rows of the cash part: gongji's requests to a channel (cash_payments), the sandbox
channel's own book (sandbox_cash) and the sandbox's queued outcomes (app_state). SQL only."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from gongji.services.cashpay.model import BookEntry, CashRequest, RequestKind, RequestState
from gongji.store.tables import app_state, cash_payments, pay_orders, sandbox_cash

NEXT_OUTCOMES = "sandbox_cash_next"
"""The app_state row of the sandbox channel's queued outcomes (a JSON list of modes)."""


def add_request(conn: Connection, *, id: str, pay_ord_id: str, kind: RequestKind,
                amount: int, channel: str, at: datetime) -> None:
    """Record a request about to be made to a channel, as pending."""
    region = select(pay_orders.c.admdvs).where(pay_orders.c.pay_ord_id == pay_ord_id)
    conn.execute(insert(cash_payments).values(
        admdvs=region.scalar_subquery(), id=id, pay_ord_id=pay_ord_id, kind=kind, amount=amount,
        channel=channel,
        state="pending", channel_ref=None, created_at=at, updated_at=at))


def set_state(conn: Connection, id: str, state: RequestState, channel_ref: str | None,
              at: datetime) -> bool:
    """Record a channel's answer; False when there is no such request."""
    done = conn.execute(update(cash_payments).where(cash_payments.c.id == id)
                        .values(state=state, channel_ref=channel_ref, updated_at=at))
    return done.rowcount == 1


def _request(row: Any) -> CashRequest:
    return CashRequest(row.id, row.pay_ord_id, row.kind, row.amount, row.channel, row.state,
                       row.channel_ref, row.created_at, row.updated_at)


def request(conn: Connection, id: str) -> CashRequest | None:
    row = conn.execute(select(cash_payments).where(cash_payments.c.id == id)).first()
    return None if row is None else _request(row)


def requests_of(conn: Connection, pay_ord_id: str) -> list[CashRequest]:
    """An order's requests, oldest first."""
    rows = conn.execute(select(cash_payments).where(cash_payments.c.pay_ord_id == pay_ord_id)
                        .order_by(cash_payments.c.created_at, cash_payments.c.id))
    return [_request(r) for r in rows]


def pending(conn: Connection, older_than: datetime) -> list[CashRequest]:
    """Requests still pending or unknown that were last touched at or before older_than:
    the ones to reconcile with the channel's query()."""
    rows = conn.execute(select(cash_payments)
                        .where(cash_payments.c.state.in_(("pending", "unknown")),
                               cash_payments.c.updated_at <= older_than)
                        .order_by(cash_payments.c.updated_at, cash_payments.c.id))
    return [_request(r) for r in rows]


# -- the sandbox channel's book ------------------------------------------------------------

def book_entry(conn: Connection, request_id: str) -> BookEntry | None:
    row = conn.execute(select(sandbox_cash).where(sandbox_cash.c.request_id == request_id)
                       ).first()
    return None if row is None else BookEntry(row.request_id, row.kind, row.amount,
                                              row.outcome, row.decided_at, row.original_id)


def lock_entry(conn: Connection, request_id: str) -> None:
    """Refunds of one payment queue on its row (PostgreSQL; SQLite has one writer)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(sandbox_cash.c.request_id).where(
            sandbox_cash.c.request_id == request_id).with_for_update())


def refunded(conn: Connection, original_id: str) -> int:
    """What the refunds of this payment gave back so far."""
    return int(conn.execute(select(func.coalesce(func.sum(sandbox_cash.c.amount), 0)).where(
        sandbox_cash.c.original_id == original_id, sandbox_cash.c.kind == "refund",
        sandbox_cash.c.outcome == "paid")).scalar_one())


def book(conn: Connection, entry: BookEntry) -> None:
    conn.execute(insert(sandbox_cash).values(
        request_id=entry.request_id, kind=entry.kind, amount=entry.amount,
        outcome=entry.outcome, decided_at=entry.decided_at, original_id=entry.original_id))


def set_outcome(conn: Connection, request_id: str, outcome: str) -> None:
    conn.execute(update(sandbox_cash).where(sandbox_cash.c.request_id == request_id)
                 .values(outcome=outcome))


def queued_outcomes(conn: Connection) -> list[str]:
    value = conn.execute(select(app_state.c.value).where(app_state.c.name == NEXT_OUTCOMES)
                         ).scalar()
    return list(json.loads(value)) if value else []


def keep_outcomes(conn: Connection, modes: list[str], *, now: datetime) -> None:
    """Replace the queued outcomes (the row is made on first use; the caller's transaction
    holds the write lock on SQLite and the row lock on PostgreSQL)."""
    value = json.dumps(modes)
    done = conn.execute(update(app_state).where(app_state.c.name == NEXT_OUTCOMES)
                        .values(value=value, updated_at=now))
    if done.rowcount == 0:
        conn.execute(insert(app_state).values(name=NEXT_OUTCOMES, value=value, updated_at=now))


def lock_outcomes(conn: Connection) -> None:
    """Lock the queued outcomes' row (PostgreSQL), so two payments do not take one outcome."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(app_state.c.name).where(app_state.c.name == NEXT_OUTCOMES)
                     .with_for_update())
