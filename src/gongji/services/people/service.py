"""Reading persons and enrollments inside a unit of work (shared by every people service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select

from gongji.domain.access import Act, Principal
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.family import Member
from gongji.domain.privacy import mask_certno, mask_name, mask_phone
from gongji.services.access import authorize, require_operator
from gongji.services.door import door
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import UnitOfWork
from gongji.store import tables

BASIC = ("310", "390")
"""Basic medical insurance schemes: employee (310) and urban-rural resident (390)."""


@dataclass(frozen=True, slots=True)
class Person:
    psn_no: str
    certno: str
    name: str
    gend: str
    brdy: date
    phone: str | None

    @property
    def masked(self) -> PersonView:
        return PersonView(psn_no=self.psn_no, certno_masked=mask_certno(self.certno),
                          name_masked=mask_name(self.name), gend=self.gend,
                          brdy_year=self.brdy.year,
                          phone_masked=mask_phone(self.phone) if self.phone else None)


@dataclass(frozen=True, slots=True)
class PersonView:
    """What leaves the service: personal data masked (110101********1234, 张*, 138****5678)."""

    psn_no: str
    certno_masked: str
    name_masked: str
    gend: str
    brdy_year: int
    phone_masked: str | None


@dataclass(frozen=True, slots=True)
class Enrollment:
    id: str
    psn_no: str
    insutype: str
    psn_type: str
    insuplc_admdvs: str
    begndate: date
    enddate: date | None
    status: str
    has_personal_account: bool
    emp_name: str | None
    ended_at: datetime | None


def person(conn: Connection, psn_no: str) -> Person:
    row = conn.execute(select(tables.persons).where(tables.persons.c.psn_no == psn_no)).first()
    if row is None:
        raise GongjiError("PERSON_NOT_FOUND", psn_no=psn_no)
    return Person(row.psn_no, row.certno, row.name, row.gend, row.brdy, row.phone)


def person_by_certno(conn: Connection, certno: str) -> Person | None:
    row = conn.execute(select(tables.persons)
                       .where(tables.persons.c.certno == certno.upper())).first()
    if row is None:
        return None
    return Person(row.psn_no, row.certno, row.name, row.gend, row.brdy, row.phone)


def enrollments_of(conn: Connection, psn_no: str, *, active_only: bool = False
                   ) -> list[Enrollment]:
    q = select(tables.enrollments).where(tables.enrollments.c.psn_no == psn_no)
    if active_only:
        q = q.where(tables.enrollments.c.status == "active")
    return [_enrollment(r) for r in conn.execute(q.order_by(tables.enrollments.c.created_at)).all()]


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


def _enrollment(r: object) -> Enrollment:
    return Enrollment(id=r.id, psn_no=r.psn_no, insutype=r.insutype,  # type: ignore[attr-defined]
                      psn_type=r.psn_type, insuplc_admdvs=r.insuplc_admdvs,  # type: ignore[attr-defined]
                      begndate=r.begndate, enddate=r.enddate, status=r.status,  # type: ignore[attr-defined]
                      has_personal_account=bool(r.has_personal_account),  # type: ignore[attr-defined]
                      emp_name=r.emp_name, ended_at=r.ended_at)  # type: ignore[attr-defined]


# -- what the API reads ---------------------------------------------------------------------

@door
def lookup(app: Gongji, who: Principal, certno: str) -> PersonView:
    """Find a person by ID number (operators; the number travels in a body, never a URL)."""
    require_operator(who)

    def run(uow: UnitOfWork) -> PersonView:
        p = person_by_certno(uow.conn, certno)
        if p is None:
            raise GongjiError("PERSON_NOT_FOUND", psn_no="(certno)")
        return p.masked

    return app.read(run, principal=who)


@door
def get(app: Gongji, who: Principal, psn_no: str) -> PersonView:
    """One person, masked."""
    def run(uow: UnitOfWork) -> PersonView:
        authorize(uow, who, Act.READ, psn_no)
        return person(uow.conn, psn_no).masked

    return app.read(run, principal=who)


@door
def enrollments(app: Gongji, who: Principal, psn_no: str) -> list[Enrollment]:
    """A person's enrollments, active and ended."""
    def run(uow: UnitOfWork) -> list[Enrollment]:
        authorize(uow, who, Act.READ, psn_no)
        person(uow.conn, psn_no)
        return enrollments_of(uow.conn, psn_no)

    return app.read(run, principal=who)
