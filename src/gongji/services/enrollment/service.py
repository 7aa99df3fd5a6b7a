"""Persons, enrollments and personal accounts (operator work).

A person is registered once by their resident ID number (validated by the GB 11643 check
digit; birth date and sex derived from it). An enrollment puts them in a scheme in a pooling
region; an employee enrollment with a personal account opens the PERSONAL ledger account.
Ending or moving an enrollment ends the person's family bindings (quota goes home).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from gongji.domain.certno import parse_certno
from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_code, new_id
from gongji.domain.money import check_fen, format_yuan, parse_yuan
from gongji.ledger.kinds import AccountKind
from gongji.ledger.model import Entry
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.enrollment import store
from gongji.services.enrollment.model import (
    CREDIT,
    CSV_COLUMNS,
    FLAGS,
    PSN_TYPES,
    BatchReport,
    Credit,
    EndEnrollment,
    Enroll,
    EnrollmentResult,
    Flag,
    RegisterPerson,
)
from gongji.services.family.service import end_all_bindings
from gongji.services.people import service as people
from gongji.services.people.model import BASIC, Enrollment, PersonView
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork

__all__ = ["Enrollment"]
"""What callers still reach here though this module does not use it."""

_PHONE = re.compile(r"1[3-9][0-9]{9}")


@door
def register(app: Gongji, who: Principal, key: Key,
             cmd: RegisterPerson) -> Written[PersonView]:
    def run(uow: UnitOfWork) -> PersonView:
        info = parse_certno(cmd.certno, today=uow.today)
        name = cmd.name.strip() if isinstance(cmd.name, str) else ""
        if not 1 <= len(name) <= 50 or any(not c.isprintable() for c in name):
            raise GongjiError("NAME_INVALID")
        if cmd.phone is not None and not _PHONE.fullmatch(cmd.phone):
            raise GongjiError("PHONE_INVALID")
        existing = people.person_by_certno(uow.conn, info.certno)
        if existing is not None:
            raise GongjiError("PERSON_EXISTS", psn_no=existing.psn_no)
        psn_no = new_code("P")
        store.add_person(uow.conn, psn_no=psn_no, certno=info.certno, name=name,
                         gend=info.gend, brdy=info.brdy, phone=cmd.phone, at=uow.now)
        uow.record("person.register", subject=psn_no)
        return people.person(uow.conn, psn_no).masked

    return app.write(who, key=key, operation="person.register",
                     request=to_json(cmd, RegisterPerson), fn=run, result_type=PersonView)


@door
def enroll(app: Gongji, who: Principal, key: Key,
           cmd: Enroll) -> Written[EnrollmentResult]:
    return app.write(who, key=key, operation="enrollment.create", request=to_json(cmd, Enroll),
                     fn=lambda uow: _enroll(uow, cmd), result_type=EnrollmentResult)


def _enroll(uow: UnitOfWork, cmd: Enroll) -> EnrollmentResult:
    if cmd.insutype not in PSN_TYPES:
        raise GongjiError("INSUTYPE_INVALID", insutype=cmd.insutype,
                          allowed=", ".join(PSN_TYPES))
    if cmd.psn_type not in PSN_TYPES[cmd.insutype]:
        raise GongjiError("PSN_TYPE_INVALID", psn_type=cmd.psn_type, insutype=cmd.insutype)
    region = uow.region(cmd.insuplc_admdvs, field="insuplc_admdvs")
    people.person(uow.conn, cmd.psn_no)
    if cmd.begndate > uow.today:
        raise GongjiError("ENROLLMENT_DATES_INVALID", reason="begndate is in the future")
    for e in people.enrollments_of(uow.conn, cmd.psn_no, active_only=True):
        # one basic scheme at a time (no double enrollment, 重复参保)
        if e.insutype == cmd.insutype or (e.insutype in BASIC and cmd.insutype in BASIC):
            raise GongjiError("ENROLLMENT_EXISTS", insutype=e.insutype, admdvs=e.insuplc_admdvs)
    has_account = cmd.insutype == "310" and cmd.has_personal_account
    eid = new_id()
    store.add_enrollment(uow.conn, enrollment_id=eid, psn_no=cmd.psn_no, insutype=cmd.insutype,
                         psn_type=cmd.psn_type, insuplc_admdvs=region.admdvs,
                         begndate=cmd.begndate, has_personal_account=has_account,
                         emp_name=cmd.emp_name, at=uow.now)
    if cmd.insutype in BASIC:  # the person's rows live where they are insured
        store.rehome(uow.conn, cmd.psn_no, region.admdvs)
    account_id = None
    if has_account:
        account_id = uow.ledger.open_account(AccountKind.PERSONAL, owner=cmd.psn_no,
                                             admdvs=region.admdvs).id
    uow.record("enrollment.create", subject=cmd.psn_no, chain=region.admdvs,
               detail={"enrollment": eid, "insutype": cmd.insutype, "psn_type": cmd.psn_type})
    return EnrollmentResult(people.enrollment(uow.conn, eid), account_id)


@door
def end(app: Gongji, who: Principal, key: Key,
        cmd: EndEnrollment) -> Written[EnrollmentResult]:
    def run(uow: UnitOfWork) -> EnrollmentResult:
        e = people.enrollment(uow.conn, cmd.enrollment_id)
        if e.status != "active":
            raise GongjiError("ENROLLMENT_NOT_ACTIVE")
        if cmd.enddate < e.begndate:
            raise GongjiError("ENROLLMENT_DATES_INVALID", reason="enddate before begndate")
        if cmd.reason == "moved":
            if not cmd.new_admdvs:
                raise GongjiError("ENROLLMENT_DATES_INVALID", reason="a move needs new_admdvs")
            uow.region(cmd.new_admdvs, field="new_admdvs")
            if cmd.new_admdvs == e.insuplc_admdvs:
                raise GongjiError("ENROLLMENT_DATES_INVALID",
                                  reason="new_admdvs is the current region")
        store.end_enrollment(uow.conn, e.id, status=cmd.reason, enddate=cmd.enddate,
                             at=uow.now)
        ended = end_all_bindings(uow, e.psn_no, reason=cmd.reason)
        uow.record(f"enrollment.{cmd.reason}", subject=e.psn_no, chain=e.insuplc_admdvs,
                   detail={"enrollment": e.id, "ended_bindings": ended})
        new = None
        if cmd.reason == "moved":
            new = _enroll(uow, Enroll(psn_no=e.psn_no, insutype=e.insutype,
                                      psn_type=e.psn_type, insuplc_admdvs=cmd.new_admdvs or "",
                                      begndate=min(cmd.enddate + timedelta(days=1), uow.today),
                                      has_personal_account=e.has_personal_account,
                                      emp_name=e.emp_name)).enrollment
        return EnrollmentResult(people.enrollment(uow.conn, e.id), None, tuple(ended), new)

    return app.write(who, key=key, operation="enrollment.end",
                     request=to_json(cmd, EndEnrollment), fn=run, result_type=EnrollmentResult)


@door
def credit(app: Gongji, who: Principal, key: Key, cmd: Credit) -> Written[Entry]:
    """Credit a personal account (the monthly 划入): from the outside world into PERSONAL."""
    def run(uow: UnitOfWork) -> Entry:
        check_fen(cmd.amount, allow_zero=False)
        active = [e for e in people.enrollments_of(uow.conn, cmd.psn_no, active_only=True)
                  if e.has_personal_account]
        if not active:
            people.person(uow.conn, cmd.psn_no)
            raise GongjiError("NO_PERSONAL_ACCOUNT")
        region = active[0].insuplc_admdvs
        cash = uow.ledger.open_account(AccountKind.CASH, owner=region, admdvs=region)
        acct = uow.ledger.open_account(AccountKind.PERSONAL, owner=cmd.psn_no, admdvs=region)
        return uow.ledger.transfer(cash.id, acct.id, cmd.amount, code=CREDIT,
                                   memo=cmd.memo, admdvs=region)

    return app.write(who, key=key, operation=CREDIT, request=to_json(cmd, Credit), fn=run,
                     result_type=Entry)


# -- batch credits from CSV ----------------------------------------------------------------

def read_credit_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise GongjiError("VALIDATION_ERROR", fields="CSV header: " + ", ".join(missing))
        return list(reader)


@door
def credit_batch(app: Gongji, who: Principal, batch: str, rows: Iterable[dict[str, str]],
                 progress: Callable[[int], None] | None = None) -> BatchReport:
    """Credit many accounts, each row its own transaction and idempotency key
    ("{batch}:{line}" unless the row names one), so a rerun of the same file after a crash
    credits only what is missing."""
    report = BatchReport()
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            amount = parse_yuan((row.get("amount") or "").strip())
            w = credit(app, who, (row.get("key") or "").strip() or f"{batch}:{line}",
                       Credit(psn_no=(row.get("psn_no") or "").strip(), amount=amount,
                              memo=(row.get("memo") or "").strip()[:200]))
            if w.replayed:
                report.replayed += 1
            else:
                report.credited += 1
                report.total_fen += amount
        except GongjiError as e:
            report.rejected.append((line, e.code, e.message_en))
        if progress:
            progress(1)
    return report


@door
def credit_file(app: Gongji, who: Principal, path: Path, *, batch: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> BatchReport:
    """`gongji accounts credit`: credit_batch over a CSV file (batch: its name by default);
    progress(done, total) after each row."""
    rows = read_credit_csv(path)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(rows))

    return credit_batch(app, who, batch or path.stem, rows, progress=tick)


def describe(report: BatchReport) -> str:
    return (f"credited {report.credited} account(s), {format_yuan(report.total_fen)} yuan; "
            f"{report.replayed} already done; {len(report.rejected)} rejected")


@door
def set_flag(app: Gongji, who: Principal, key: Key, cmd: Flag) -> Written[Flag]:
    """Record an eligibility an operator has checked: medical assistance (医疗救助 layer) or
    low income (more points on the supplementary layer)."""
    def run(uow: UnitOfWork) -> Flag:
        if cmd.flag not in FLAGS:
            raise GongjiError("VALIDATION_ERROR", fields="flag")
        if cmd.enddate is not None and cmd.enddate <= cmd.begndate:
            raise GongjiError("ENROLLMENT_DATES_INVALID", reason="enddate before begndate")
        people.person(uow.conn, cmd.psn_no)
        store.add_flag(uow.conn, cmd, set_by=who.scope, at=uow.now)
        uow.record("person.flag", subject=cmd.psn_no, detail={"flag": cmd.flag})
        return cmd

    return app.write(who, key=key, operation="person.flag", request=to_json(cmd, Flag),
                     fn=run, result_type=Flag)
