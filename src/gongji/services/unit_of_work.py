"""A unit of work: one database transaction, one business time, one actor.

Every service call runs inside exactly one. Business time is read from the clock once, when
the unit starts, so all records of one call carry the same moment. Audit records are written
at the end, just before commit; an exception anywhere rolls everything back, audit included.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from gongji.domain.access import SYSTEM, Principal
from gongji.domain.clock import business_date
from gongji.domain.policy import Policy
from gongji.domain.regions import Region
from gongji.ledger.audit import AuditLog
from gongji.ledger.journal import Ledger
from gongji.services.policy.store import PolicyBook
from gongji.services.regions.store import RegionBook

__all__ = ["SYSTEM", "Principal", "UnitOfWork"]


class UnitOfWork:
    def __init__(self, conn: Connection, *, now: datetime, principal: Principal,
                 policies: PolicyBook, regions: RegionBook) -> None:
        self.conn = conn
        self.now = now
        self.today: date = business_date(now)
        self.principal = principal
        self.policies = policies
        self.regions = regions
        self.audit = AuditLog()
        self.ledger = Ledger(conn, now=now, actor=principal.scope, audit=self.audit)
        self._resolved: dict[str, Policy] = {}
        self.memo: dict[tuple[str, str], Any] = {}
        """Rows that cannot change within this unit of work, read once (institutions)."""

    def record(self, action: str, subject: str = "", detail: dict[str, Any] | None = None,
               *, chain: str | None = None) -> None:
        """Add an audit record of who did what (written at commit)."""
        self.audit.add(at=self.now, actor=self.principal.scope, action=action,
                       subject=subject, detail=detail, chain=chain)

    def policy(self, admdvs: str) -> Policy:
        """The rules of a region today (national, province, region merged); looked up once
        per unit of work (a settlement asks several times)."""
        found = self._resolved.get(admdvs)
        if found is None:
            found = self._resolved[admdvs] = self.policies.resolve(self.conn, admdvs, self.today)
        return found

    def region(self, admdvs: str, *, field: str = "admdvs") -> Region:
        return self.regions.get(self.conn, admdvs, field=field)

    def flush(self) -> None:
        self.ledger.apply_deferred()
        self.audit.flush(self.conn)
