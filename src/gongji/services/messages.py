"""Messages to persons (one-time codes). Pluggable; the default writes to an outbox table that
operators can read, like a console mail backend, so nothing leaves the machine."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import Connection, insert

from gongji.domain.ids import new_id
from gongji.domain.privacy import mask_phone
from gongji.store.tables import outbox

log = logging.getLogger("gongji.messages")


class MessageSender(Protocol):
    def send(self, conn: Connection, *, psn_no: str, phone: str | None, body: str,
             now: object) -> None:
        """Deliver (or queue, in the same transaction) a short message to a person."""
        ...


class OutboxSender:
    """Writes each message to the outbox in the caller's transaction."""

    def send(self, conn: Connection, *, psn_no: str, phone: str | None, body: str,
             now: object) -> None:
        to = mask_phone(phone) if phone else "(no phone)"
        conn.execute(insert(outbox).values(id=new_id(), channel="sms", psn_no=psn_no,
                                           to_masked=to, body=body, created_at=now))
        log.info("message queued for %s in the outbox", to)
