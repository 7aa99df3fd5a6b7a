"""Reading persons and enrollments: the doors of the API and the console, and (re-exported
from store.py) the reads every other capability composes in its own unit of work."""

from __future__ import annotations

from gongji.domain.access import Act, Principal
from gongji.domain.errors import GongjiError
from gongji.services.access import authorize, require_operator
from gongji.services.door import door
from gongji.services.people.model import BASIC, Enrollment, Person, PersonView
from gongji.services.people.store import (
    basic_enrollment,
    enrollment,
    enrollments_of,
    insured_region,
    lock_person,
    member,
    person,
    person_by_certno,
)
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import UnitOfWork

__all__ = ["BASIC", "Person", "basic_enrollment", "enrollment", "insured_region",
           "lock_person", "member"]
"""What callers still reach here though this module does not use it (the model and the
reads of store.py, under their old names)."""


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
