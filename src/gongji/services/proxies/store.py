"""The proxies table, as typed records. SQL only: who may decide or end a proxy is the
service's. The access kernel (services/access.py) reads held_proxies from here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from gongji.store import fast
from gongji.store.tables import person_region, proxies


@dataclass(frozen=True, slots=True)
class ProxyRecord:
    id: str
    holder_psn_no: str
    subject_psn_no: str
    relation: str
    status: str
    """pending, active, declined, ended."""
    needs: str
    """consent or operator."""
    requested_at: datetime
    decided_at: datetime | None
    evidence: str | None = None
    """The documents named (domain.documents.encode) and any note."""


def held_proxies(conn: Connection, holder: str) -> frozenset[str]:
    """The relatives this person currently holds an active proxy (亲情账户) for."""
    return frozenset(_HELD.run(conn, {"holder": holder}).scalars())


_HELD = fast.Prepared(select(proxies.c.subject_psn_no).where(
    proxies.c.holder_psn_no == bindparam("holder"), proxies.c.status == "active"))


def proxy(conn: Connection, proxy_id: str, *, lock: bool = False) -> ProxyRecord | None:
    q = select(proxies).where(proxies.c.id == proxy_id)
    p = conn.execute(q.with_for_update() if lock else q).first()
    return None if p is None else ProxyRecord(p.id, p.holder_psn_no, p.subject_psn_no,
                                              p.relation, p.status, p.needs,
                                              p.requested_at, p.decided_at, p.evidence)


def open_between(conn: Connection, holder: str, subject: str) -> bool:
    """Whether the holder has a pending or active proxy for the subject."""
    return conn.execute(select(proxies.c.id).where(
        proxies.c.holder_psn_no == holder, proxies.c.subject_psn_no == subject,
        proxies.c.status.in_(["pending", "active"]))).first() is not None


def active_between(conn: Connection, holder: str, subject: str) -> ProxyRecord | None:
    """The holder's active proxy for the subject."""
    pid = conn.execute(select(proxies.c.id).where(
        proxies.c.holder_psn_no == holder, proxies.c.subject_psn_no == subject,
        proxies.c.status == "active")).scalar()
    return None if pid is None else proxy(conn, pid)


def open_count(conn: Connection, holder: str) -> int:
    """The holder's pending and active proxies."""
    return int(conn.execute(select(func.count()).select_from(proxies).where(
        proxies.c.holder_psn_no == holder,
        proxies.c.status.in_(["pending", "active"]))).scalar_one())


def ids_of(conn: Connection, psn_no: str) -> list[str]:
    """Proxies the person holds or is the subject of, newest first."""
    return list(conn.execute(select(proxies.c.id).where(or_(
        proxies.c.holder_psn_no == psn_no, proxies.c.subject_psn_no == psn_no))
        .order_by(proxies.c.requested_at.desc())).scalars())


def pending_operator_ids(conn: Connection) -> list[str]:
    """Proxies waiting for an operator's approval, oldest first."""
    return list(conn.execute(select(proxies.c.id).where(
        proxies.c.status == "pending", proxies.c.needs == "operator")
        .order_by(proxies.c.requested_at)).scalars())


def add(conn: Connection, proxy_id: str, *, holder: str, subject: str, relation: str,
        needs: str, evidence: str | None, at: datetime) -> None:
    conn.execute(insert(proxies).values(
        admdvs=person_region(subject), id=proxy_id, holder_psn_no=holder, subject_psn_no=subject,
        relation=relation,
        status="pending", needs=needs, evidence=evidence, requested_at=at))


def decide(conn: Connection, proxy_id: str, *, status: str, by: str, at: datetime) -> None:
    """A pending proxy decided: active or declined."""
    conn.execute(update(proxies).where(proxies.c.id == proxy_id).values(
        status=status, decided_at=at, decided_by=by))


def end(conn: Connection, proxy_id: str, *, at: datetime) -> None:
    conn.execute(update(proxies).where(proxies.c.id == proxy_id)
                 .values(status="ended", ended_at=at))
