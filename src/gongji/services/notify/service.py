"""Notifications to institutions: an order's state changed (paid, refunded, cancelled...).

The core queues one with enqueue_in() inside its own unit of work, so it exists exactly when
the change it reports was committed. deliver_due() (a loop in the server, every few seconds)
POSTs due ones, signed with the institution's pay key, and retries on the schedule of
domain/notify.py. Delivery is at least once: the institution deduplicates by notifyId.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_id
from gongji.domain.notify import GAVE_UP, NEVER, retry_after, sign
from gongji.ledger.audit import canonical_json
from gongji.services.door import door
from gongji.services.notify import store
from gongji.services.notify.model import DeliveryReport, Due, NotificationView
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork

log = logging.getLogger("gongji.notify")

Post = Callable[[str, bytes, dict[str, str]], int]
"""POST body to url with headers; the HTTP status (raises on no answer)."""

POST_TIMEOUT_SECONDS = 5.0
BATCH = 10
"""Notifications claimed at once by one deliverer."""
LEASE = timedelta(seconds=BATCH * POST_TIMEOUT_SECONDS + 60)
"""How long a claimed notification is left to its deliverer (longer than a batch's posts can
take) before another deliverer may take it again."""


def pay_key(app: Gongji, fixmedins_code: str) -> str:
    """The institution's pay key: what its notifications are signed with (64 hex; the core
    shows it to the institution). Derived from the server's key: nothing to store or rotate
    apart from it."""
    return app.sealer.tag(fixmedins_code, context="pay-key")


def _no_floats(value: Any, path: str = "event") -> None:
    if isinstance(value, float):
        raise ValueError(f"{path} is a float: money goes as a yuan string (\"12.30\")")
    if isinstance(value, dict):
        for k, v in value.items():
            _no_floats(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _no_floats(v, f"{path}[{i}]")


def enqueue_in(uow: UnitOfWork, *, pay_ord_id: str, fixmedins_code: str, url: str,
               event: dict[str, Any]) -> str:
    """Queue a notification in the caller's transaction, due at once; returns its notifyId.

    The body is the canonical JSON (sorted keys, no spaces) of {"notifyId", "payOrdId"} and
    what `event` carries (medOrgOrd, ordStas, feeSumamt as "12.30"...)."""
    if not url.startswith(("http://", "https://")) or len(url) > 300:
        raise ValueError("a notify URL is http(s) and at most 300 characters")
    if "notifyId" in event or "payOrdId" in event:
        raise ValueError("event must not carry notifyId or payOrdId: they are set here")
    _no_floats(event)
    notify_id = new_id()
    body = canonical_json({"notifyId": notify_id, "payOrdId": pay_ord_id, **event})
    store.add(uow.conn, id=notify_id, pay_ord_id=pay_ord_id, fixmedins_code=fixmedins_code,
              url=url, body=body, at=uow.now)
    return notify_id


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """The default way out: one POST, 5 s timeout, no redirects followed."""
    return httpx.post(url, content=body, headers=headers, timeout=POST_TIMEOUT_SECONDS,
                      follow_redirects=False).status_code


def headers_for(app: Gongji, due: Due, body: bytes) -> dict[str, str]:
    """The signed headers of one attempt; the timestamp is real time (app.wall), which the
    institution compares with its own clock, not the sandbox's business time."""
    ts = str(int(app.wall.now().timestamp()))
    return {"Content-Type": "application/json", "X-Gongji-Notify-Id": due.id,
            "X-Gongji-Timestamp": ts,
            "X-Gongji-Signature": sign(pay_key(app, due.fixmedins_code), ts, due.id, body)}


def _attempt(post: Post, due: Due, body: bytes, headers: dict[str, str]) -> str | None:
    """None when delivered, else a short reason (no body, no personal data)."""
    try:
        status = post(due.url, body, headers)
    except httpx.TimeoutException:
        return "timeout"
    except Exception as e:  # no answer of any kind: retried on the schedule
        return f"no answer: {type(e).__name__}"
    return None if 200 <= status < 300 else f"HTTP {status}"


@door
def deliver_due(app: Gongji, *, post: Post | None = None, limit: int = 50) -> DeliveryReport:
    """POST up to `limit` due notifications (not delivered, next_at <= now). Each is claimed
    first (a lease on next_at), so deliverers running at once never send one row together."""
    send = post or http_post
    claimed = delivered = failed = gave_up = 0
    while claimed < limit:
        batch = app.transact(SYSTEM, _claimer(min(BATCH, limit - claimed)))
        if not batch:
            break
        claimed += len(batch)
        for due in batch:
            body = due.body.encode()
            error = _attempt(send, due, body, headers_for(app, due, body))
            if error is None:
                delivered += 1
            elif retry_after(due.attempts + 1) is None:
                gave_up += 1
                log.warning("notification %s given up after %d attempts (%s)", due.id,
                            due.attempts + 1, error)
            else:
                failed += 1
                log.info("notification %s attempt %d failed (%s)", due.id, due.attempts + 1,
                         error)
            app.transact(SYSTEM, _recorder(due, error))
    return DeliveryReport(claimed, delivered, failed, gave_up)


def _claimer(size: int) -> Callable[[UnitOfWork], list[Due]]:
    def claim(uow: UnitOfWork) -> list[Due]:
        return store.claim(uow.conn, now=uow.now, until=uow.now + LEASE, limit=size)
    return claim


def _recorder(due: Due, error: str | None) -> Callable[[UnitOfWork], None]:
    """Record one attempt: delivered, or when to try again, or given up."""
    def record(uow: UnitOfWork) -> None:
        if error is None:
            store.delivered(uow.conn, due.id, at=uow.now)
            return
        wait = retry_after(due.attempts + 1)
        if wait is None:
            store.failed(uow.conn, due.id, next_at=NEVER, error=f"{GAVE_UP} ({error})")
        else:
            store.failed(uow.conn, due.id, next_at=uow.now + wait, error=error)
    return record


@door
def list_for(app: Gongji, who: Principal, pay_ord_id: str) -> list[NotificationView]:
    """An order's notifications (what was sent, attempts, delivered): operators, and the
    institution of the order."""
    if who.kind not in ("operator", "system", "institution"):
        raise GongjiError("FORBIDDEN")

    def work(uow: UnitOfWork) -> list[NotificationView]:
        owner = store.order_institution(uow.conn, pay_ord_id)
        if owner is None or (who.kind == "institution" and owner != who.id):
            raise GongjiError("NOT_FOUND", what=pay_ord_id)
        return store.of_order(uow.conn, pay_ord_id, gave_up=GAVE_UP)

    return app.read(work, who)
