"""The rows enrollment writes: persons, enrollments and their ending, eligibility flags.
Reading them back is the people capability's (gongji.services.people.store)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, insert, update

from gongji.domain.regions import NATIONAL
from gongji.services.enrollment.model import Flag
from gongji.store.rehome import rehome as store_rehome
from gongji.store.tables import enrollments, person_flags, person_region, persons


def add_person(conn: Connection, *, psn_no: str, certno: str, name: str, gend: str,
               brdy: date, phone: str | None, at: datetime) -> None:
    """A person registered by their resident ID number (psn_cert_type 01), in the national
    region until their first enrollment re-homes them (rehome)."""
    conn.execute(insert(persons).values(
        admdvs=NATIONAL, psn_no=psn_no, certno=certno, psn_cert_type="01", name=name, gend=gend,
        brdy=brdy, phone=phone, created_at=at))


def add_enrollment(conn: Connection, *, enrollment_id: str, psn_no: str, insutype: str,
                   psn_type: str, insuplc_admdvs: str, begndate: date, has_personal_account: bool,
                   emp_name: str | None, at: datetime) -> None:
    """An active enrollment, open-ended."""
    conn.execute(insert(enrollments).values(
        admdvs=person_region(psn_no), id=enrollment_id, psn_no=psn_no, insutype=insutype,
        psn_type=psn_type,
        insuplc_admdvs=insuplc_admdvs, begndate=begndate, enddate=None, status="active",
        has_personal_account=has_personal_account, emp_name=emp_name, created_at=at))


def rehome(conn: Connection, psn_no: str, admdvs: str) -> bool:
    """Make `admdvs` the person's region: every row of theirs, the keys of their calls too,
    is copied there and deleted where it was (gongji.store.rehome). False when it already
    was."""
    return store_rehome(conn, psn_no, admdvs)


def end_enrollment(conn: Connection, enrollment_id: str, *, status: str, enddate: date,
                   at: datetime) -> None:
    """An enrollment ended (status ended) or moved away from (status moved)."""
    conn.execute(update(enrollments).where(enrollments.c.id == enrollment_id).values(
        status=status, enddate=enddate, ended_at=at))


def add_flag(conn: Connection, flag: Flag, *, set_by: str, at: datetime) -> None:
    conn.execute(insert(person_flags).values(
        admdvs=person_region(flag.psn_no), psn_no=flag.psn_no, flag=flag.flag,
        begndate=flag.begndate, enddate=flag.enddate,
        set_by=set_by, created_at=at))
