"""The bindings table, as typed records. Other capabilities read bindings here (a transfer
needs an active one; a settlement asks who shares with the person; a wallet names its
sponsors' relations); only the family service writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, or_, select, update

from gongji.store import fast
from gongji.store.tables import bindings, person_region

_ACTIVE = select(bindings).where(bindings.c.sponsor_psn_no == bindparam("sponsor"),
                                 bindings.c.beneficiary_psn_no == bindparam("beneficiary"),
                                 bindings.c.status == "active")
_ACTIVE_BY = {lock: fast.Prepared(_ACTIVE.with_for_update() if lock else _ACTIVE)
              for lock in (False, True)}
_SPONSORS = fast.Prepared(select(bindings.c.sponsor_psn_no, bindings.c.relation).where(
    bindings.c.beneficiary_psn_no == bindparam("beneficiary"), bindings.c.status == "active")
    .order_by(bindings.c.activated_at, bindings.c.id))

OPEN = ("pending", "active")


@dataclass(frozen=True, slots=True)
class BindingRecord:
    id: str
    sponsor_psn_no: str
    beneficiary_psn_no: str
    relation: str
    """What the beneficiary is to the sponsor."""
    requested_by: str
    status: str
    verified: bool
    requested_at: datetime
    activated_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None


def _record(r: Row[Any]) -> BindingRecord:
    return BindingRecord(r.id, r.sponsor_psn_no, r.beneficiary_psn_no, r.relation,
                         r.requested_by, r.status, bool(r.verified), r.requested_at,
                         r.activated_at, r.ended_at, r.end_reason)


def binding(conn: Connection, binding_id: str, *, lock: bool = False) -> BindingRecord | None:
    q = select(bindings).where(bindings.c.id == binding_id)
    row = conn.execute(q.with_for_update() if lock else q).first()
    return None if row is None else _record(row)


def active(conn: Connection, sponsor: str, beneficiary: str, *, lock: bool = False
           ) -> BindingRecord | None:
    """The pair's active binding (locked: a transfer and an unbinding serialise on it)."""
    row = _ACTIVE_BY[lock].run(conn, {"sponsor": sponsor, "beneficiary": beneficiary}).first()
    return None if row is None else _record(row)


def open_between(conn: Connection, sponsor: str, beneficiary: str) -> BindingRecord | None:
    """The pair's pending or active binding (there is at most one)."""
    row = conn.execute(select(bindings).where(
        bindings.c.sponsor_psn_no == sponsor, bindings.c.beneficiary_psn_no == beneficiary,
        bindings.c.status.in_(OPEN))).first()
    return None if row is None else _record(row)


def open_of(conn: Connection, psn_no: str) -> list[BindingRecord]:
    """A person's pending and active bindings, either side, locked (their enrollment ended)."""
    return [_record(r) for r in conn.execute(select(bindings).where(
        or_(bindings.c.sponsor_psn_no == psn_no, bindings.c.beneficiary_psn_no == psn_no),
        bindings.c.status.in_(OPEN)).order_by(bindings.c.id).with_for_update())]


def ids_of(conn: Connection, psn_no: str) -> list[str]:
    """A person's bindings, either side, newest first."""
    return list(conn.execute(select(bindings.c.id).where(
        or_(bindings.c.sponsor_psn_no == psn_no, bindings.c.beneficiary_psn_no == psn_no))
        .order_by(bindings.c.requested_at.desc())).scalars())


def unverified(conn: Connection, *, limit: int) -> list[str]:
    """Pending and active bindings no operator has verified yet, oldest first."""
    return list(conn.execute(select(bindings.c.id).where(
        bindings.c.verified.is_(False), bindings.c.status.in_(OPEN))
        .order_by(bindings.c.requested_at, bindings.c.id).limit(limit)).scalars())


def sponsors(conn: Connection, beneficiary: str) -> list[tuple[str, str]]:
    """Who shares their personal account with the person (active bindings), oldest first:
    (sponsor, what the person is to them)."""
    return [(r.sponsor_psn_no, r.relation)
            for r in _SPONSORS.run(conn, {"beneficiary": beneficiary})]


def add(conn: Connection, *, binding_id: str, sponsor: str, beneficiary: str, relation: str,
        requested_by: str, at: datetime) -> None:
    conn.execute(insert(bindings).values(
        admdvs=person_region(beneficiary), id=binding_id, sponsor_psn_no=sponsor,
        beneficiary_psn_no=beneficiary,
        relation=relation, requested_by=requested_by, status="pending", verified=False,
        requested_at=at))


def change(conn: Connection, binding_id: str, **values: Any) -> None:
    conn.execute(update(bindings).where(bindings.c.id == binding_id).values(**values))
