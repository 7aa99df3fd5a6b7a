"""Rows of pay_notifications: queue, claim (a lease on next_at), record an attempt. SQL only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from gongji.services.notify.model import Due, NotificationView
from gongji.store.tables import pay_notifications as n
from gongji.store.tables import pay_orders


def add(conn: Connection, *, id: str, pay_ord_id: str, fixmedins_code: str, url: str,
        body: str, at: datetime) -> None:
    region = select(pay_orders.c.admdvs).where(pay_orders.c.pay_ord_id == pay_ord_id)
    conn.execute(insert(n).values(admdvs=region.scalar_subquery(), id=id, pay_ord_id=pay_ord_id,
                                  fixmedins_code=fixmedins_code,
                                  url=url, body=body, created_at=at, attempts=0, next_at=at,
                                  delivered_at=None, last_error=None))


def claim(conn: Connection, *, now: datetime, until: datetime, limit: int) -> list[Due]:
    """Take up to `limit` due notifications (not delivered, next_at <= now) for one attempt:
    their next_at moves to `until` (a lease), so no other deliverer takes them meanwhile.

    PostgreSQL: the candidates are locked FOR UPDATE SKIP LOCKED (a concurrent claimer takes
    others instead of waiting); SQLite: the transaction holds the single write lock. On both,
    each lease is a conditional UPDATE that still needs the row due, so a row is never taken
    twice for the same lease."""
    q = (select(n.c.id, n.c.fixmedins_code, n.c.url, n.c.body, n.c.attempts)
         .where(n.c.delivered_at.is_(None), n.c.next_at <= now)
         .order_by(n.c.next_at, n.c.id).limit(limit))
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    taken = []
    for row in conn.execute(q).all():
        done = conn.execute(update(n).where(n.c.id == row.id, n.c.delivered_at.is_(None),
                                            n.c.next_at <= now).values(next_at=until))
        if done.rowcount == 1:
            taken.append(Due(row.id, row.fixmedins_code, row.url, row.body, row.attempts))
    return taken


def delivered(conn: Connection, id: str, *, at: datetime) -> None:
    conn.execute(update(n).where(n.c.id == id, n.c.delivered_at.is_(None))
                 .values(delivered_at=at, attempts=n.c.attempts + 1, last_error=None))


def failed(conn: Connection, id: str, *, next_at: datetime, error: str) -> None:
    """Record a failed attempt and when to try again (nothing once delivered)."""
    conn.execute(update(n).where(n.c.id == id, n.c.delivered_at.is_(None))
                 .values(attempts=n.c.attempts + 1, next_at=next_at, last_error=error[:200]))


def _view(row: Any, gave_up: str) -> NotificationView:
    given_up = row.delivered_at is None and (row.last_error or "").startswith(gave_up)
    return NotificationView(
        row.id, row.pay_ord_id, row.fixmedins_code, row.url, row.body, row.created_at,
        row.attempts, None if row.delivered_at is not None or given_up else row.next_at,
        row.delivered_at, row.last_error, given_up)


def of_order(conn: Connection, pay_ord_id: str, *, gave_up: str) -> list[NotificationView]:
    """An order's notifications, oldest first (gave_up: how a given-up last_error begins)."""
    rows = conn.execute(select(n).where(n.c.pay_ord_id == pay_ord_id)
                        .order_by(n.c.created_at, n.c.id))
    return [_view(r, gave_up) for r in rows]


def order_institution(conn: Connection, pay_ord_id: str) -> str | None:
    """The institution of an order (pay_orders), or None."""
    return conn.execute(select(pay_orders.c.fixmedins_code)
                        .where(pay_orders.c.pay_ord_id == pay_ord_id)).scalar()
