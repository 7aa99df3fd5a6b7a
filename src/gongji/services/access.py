"""Who may act on whose records: the person, a proxy holder within the proxy's limits, and
operators for reading and for their own operator work (never to move a person's money)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from gongji.domain.access import Act, check_may
from gongji.domain.errors import GongjiError
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import proxies

OPERATOR_MAY = frozenset({Act.READ})


def held_proxies(conn: Connection, holder: str) -> frozenset[str]:
    """The relatives this person currently holds an active proxy (亲情账户) for."""
    return frozenset(conn.execute(select(proxies.c.subject_psn_no).where(
        proxies.c.holder_psn_no == holder, proxies.c.status == "active")).scalars())


def authorize(uow: UnitOfWork, who: Principal, act: Act, subject: str) -> None:
    if who.kind == "operator":
        if act in OPERATOR_MAY:
            return
        raise GongjiError("FORBIDDEN")
    if who.kind != "person":
        raise GongjiError("FORBIDDEN")
    check_may(act, actor=who.id, subject=subject, proxy_for=held_proxies(uow.conn, who.id)
              if who.id != subject else frozenset())
