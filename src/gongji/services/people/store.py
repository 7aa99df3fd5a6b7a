"""The persons and enrollments tables, as typed records: the reads every capability composes
inside its own unit of work (a settlement, a binding, a transfer all start from a person)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from gongji.domain.errors import Bi, GongjiError
from gongji.domain.family import Member
from gongji.services.people.model import BASIC, Enrollment, Person
from gongji.store import fast, tables

_PERSON = fast.Prepared(select(tables.persons).where(
    tables.persons.c.psn_no == bindparam("psn_no")))
_BY_CERTNO = fast.Prepared(select(tables.persons).where(
    tables.persons.c.certno == bindparam("certno")))
_OF_PERSON = select(tables.enrollments).where(tables.enrollments.c.psn_no == bindparam("psn_no"))
_ENROLLMENTS = {active: fast.Prepared(
    (_OF_PERSON.where(tables.enrollments.c.status == "active") if active else _OF_PERSON)
    .order_by(tables.enrollments.c.created_at)) for active in (False, True)}


def person(conn: Connection, psn_no: str) -> Person:
    row = _PERSON.run(conn, {"psn_no": psn_no}).first()
    if row is None:
        raise GongjiError("PERSON_NOT_FOUND", psn_no=psn_no)
    return _person(row)


def person_by_certno(conn: Connection, certno: str) -> Person | None:
    row = _BY_CERTNO.run(conn, {"certno": certno.upper()}).first()
    if row is None:
        return None
    return _person(row)


def enrollments_of(conn: Connection, psn_no: str, *, active_only: bool = False
                   ) -> list[Enrollment]:
    return [_enrollment(r) for r in _ENROLLMENTS[active_only].run(conn, {"psn_no": psn_no})]


def enrollment(conn: Connection, enrollment_id: str) -> Enrollment:
    row = conn.execute(select(tables.enrollments)
                       .where(tables.enrollments.c.id == enrollment_id)).first()
    if row is None:
        raise GongjiError("ENROLLMENT_NOT_FOUND", enrollment=enrollment_id)
    return _enrollment(row)


def basic_enrollment(conn: Connection, psn_no: str) -> Enrollment | None:
    """The person's active basic insurance enrollment (employee preferred), if any."""
    active = [e for e in enrollments_of(conn, psn_no, active_only=True) if e.insutype in BASIC]
    active.sort(key=lambda e: BASIC.index(e.insutype))
    return active[0] if active else None


def insured_region(conn: Connection, psn_no: str, who: object = None) -> str:
    """Where the person is insured (参保地); refused if they have no active basic enrollment."""
    e = basic_enrollment(conn, psn_no)
    if e is None:
        raise GongjiError("NOT_ENROLLED", who=who or Bi("该参保人", "This person"))
    return e.insuplc_admdvs


def member(conn: Connection, psn_no: str) -> Member:
    """A person as the family rules see them."""
    p = person(conn, psn_no)
    active = enrollments_of(conn, psn_no, active_only=True)
    basic = basic_enrollment(conn, psn_no)
    return Member(psn_no=psn_no, brdy=p.brdy, insutypes=frozenset(e.insutype for e in active),
                  has_personal_account=any(e.has_personal_account for e in active),
                  insuplc_admdvs=basic.insuplc_admdvs if basic else None)


def _person(r: Row[Any]) -> Person:
    return Person(r.psn_no, r.certno, r.name, r.gend, r.brdy, r.phone)


def _enrollment(r: Row[Any]) -> Enrollment:
    return Enrollment(id=r.id, psn_no=r.psn_no, insutype=r.insutype, psn_type=r.psn_type,
                      insuplc_admdvs=r.insuplc_admdvs, begndate=r.begndate, enddate=r.enddate,
                      status=r.status, has_personal_account=bool(r.has_personal_account),
                      emp_name=r.emp_name, ended_at=r.ended_at)


def lock_person(conn: Connection, psn_no: str) -> None:
    """One person's writes queue here: a deductible is used once, a limit counted once.

    FOR NO KEY UPDATE, not FOR UPDATE: a unit of work that has already inserted a row naming
    the person (a visit) holds a key-share lock on the person through the foreign key, and
    two such units upgrading to FOR UPDATE deadlock each other. NO KEY UPDATE queues them
    just the same without conflicting with key-share locks. SQLite has no row locks: its one
    writer holds the whole database from BEGIN IMMEDIATE, so there is nothing to take."""
    if conn.dialect.name != "sqlite":
        _LOCK_PERSON.run(conn, {"psn_no": psn_no})


_LOCK_PERSON = fast.Prepared(select(tables.persons.c.psn_no).where(
    tables.persons.c.psn_no == bindparam("psn_no")).with_for_update(key_share=True))
