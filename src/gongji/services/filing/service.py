"""Out-of-area filing, chronic disease recognition, and a person's authorization switches."""

from __future__ import annotations

import dataclasses
from datetime import date

from gongji.domain.access import Act
from gongji.domain.errors import GongjiError
from gongji.domain.filing import CHRONIC_DISEASES, check_filing, covers
from gongji.domain.ids import new_id
from gongji.services.access import authorize
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.filing import store
from gongji.services.filing.model import (
    SWITCH_SCOPES,
    Designation,
    File,
    FilingView,
    Recognition,
    RecognitionView,
    ReferralView,
)
from gongji.services.people import service as people
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork


@door
def file(app: Gongji, who: Principal, key: Key, psn_no: str,
         cmd: File) -> Written[FilingView]:
    """A person (or their proxy) files out-of-area care: there is no national transaction
    for it, except referral filing (2501) by the referring hospital."""
    return app.write(who, key=key, operation="filing.create",
                     request={"psn_no": psn_no, **to_json(cmd, File)},
                     fn=lambda uow: file_in(uow, who, psn_no, cmd), result_type=FilingView)


def file_in(uow: UnitOfWork, who: Principal, psn_no: str, cmd: File) -> FilingView:
    if who.kind == "institution":
        if cmd.kind not in ("referral", "emergency"):
            raise GongjiError("FORBIDDEN")
        people.person(uow.conn, psn_no)
    else:
        authorize(uow, who, Act.FILE, psn_no)
    home = people.insured_region(uow.conn, psn_no)
    uow.region(cmd.target_admdvs, field="target_admdvs")
    if covers(cmd.target_admdvs, home) or cmd.target_admdvs == home:
        raise GongjiError("FILING_TARGET_INVALID")
    begndate = cmd.begndate or uow.today
    end = check_filing(cmd.kind, begndate, cmd.enddate, today=uow.today,
                       temporary_min_months=uow.policy(home).filing.temporary_min_months)
    if cmd.opsp_dise_code is not None:
        recognised(uow, psn_no, cmd.opsp_dise_code)
    for f in active_filings(uow, psn_no):
        if f.target_admdvs == cmd.target_admdvs and f.opsp_dise_code == cmd.opsp_dise_code:
            raise GongjiError("FILING_EXISTS")
    fid = new_id()
    store.add_filing(uow.conn, fid, psn_no=psn_no, kind=cmd.kind, insuplc_admdvs=home,
                     target_admdvs=cmd.target_admdvs, begndate=begndate, enddate=end,
                     opsp_dise_code=cmd.opsp_dise_code, at=uow.now)
    uow.record("filing.create", subject=fid, chain=home,
               detail={"kind": cmd.kind, "target": cmd.target_admdvs})
    return _view(uow, fid)


@door
def revoke(app: Gongji, who: Principal, key: Key, filing_id: str) -> Written[FilingView]:
    return app.write(who, key=key, operation="filing.revoke",
                     request={"filing_id": filing_id},
                     fn=lambda uow: revoke_in(uow, who, filing_id), result_type=FilingView)


def revoke_in(uow: UnitOfWork, who: Principal, filing_id: str) -> FilingView:
    f = _view(uow, filing_id)
    if who.kind == "person":
        authorize(uow, who, Act.FILE, f.psn_no)
    if f.status != "active":
        raise GongjiError("FILING_NOT_ACTIVE")
    store.revoke_filing(uow.conn, filing_id, at=uow.now)
    uow.record("filing.revoke", subject=filing_id)
    return _view(uow, filing_id)


@door
def recognize(app: Gongji, who: Principal, key: Key, psn_no: str, disease: str,
              begndate: date) -> Written[Recognition]:
    """The insured region recognises a chronic/special disease (an operator, or the
    recognising hospital through 2503), on evidence."""
    return app.write(who, key=key, operation="chronic.recognize",
                     request={"psn_no": psn_no, "disease": disease,
                              "begndate": begndate.isoformat()},
                     fn=lambda uow: recognize_in(uow, who, psn_no, disease, begndate),
                     result_type=Recognition)


def recognize_in(uow: UnitOfWork, who: Principal, psn_no: str, disease: str,
                 begndate: date) -> Recognition:
    if disease not in CHRONIC_DISEASES:
        raise GongjiError("CHRONIC_DISEASE_INVALID", code=disease)
    if who.kind not in ("operator", "institution"):
        raise GongjiError("FORBIDDEN")
    home = people.insured_region(uow.conn, psn_no)
    rid = new_id()
    store.add_recognition(uow.conn, rid, psn_no=psn_no, disease=disease, admdvs=home,
                          begndate=begndate, by=who.scope, at=uow.now)
    uow.record("chronic.recognize", subject=psn_no, chain=home, detail={"disease": disease})
    return Recognition(rid, psn_no, disease, home, begndate)


@door
def withdraw_recognition(app: Gongji, who: Principal, key: Key, recognition_id: str
                         ) -> Written[bool]:
    """Withdraw a chronic/special disease recognition (2504)."""
    return app.write(who, key=key, operation="chronic.withdraw",
                     request={"recognition_id": recognition_id},
                     fn=lambda uow: withdraw_recognition_in(uow, who, recognition_id),
                     result_type=bool)


def withdraw_recognition_in(uow: UnitOfWork, who: Principal, recognition_id: str) -> bool:
    if who.kind not in ("operator", "institution"):
        raise GongjiError("FORBIDDEN")
    if not store.revoke_recognition(uow.conn, recognition_id):
        raise GongjiError("FILING_NOT_FOUND", filing=recognition_id)
    uow.record("chronic.withdraw", subject=recognition_id)
    return True


@door
def recognitions(app: Gongji, who: Principal, psn_no: str) -> list[RecognitionView]:
    """The person's chronic/special disease recognitions not ended (5301), oldest first; an
    empty list when there are none.

    An HIS asks right after 1101, before any visit exists, so any designated institution may
    ask on the psn_no the person's credential gave it (as 5206 and 2503 do); a person (or
    their proxy) reads their own; operators read."""
    def run(uow: UnitOfWork) -> list[RecognitionView]:
        _may_read_person(uow, who, psn_no)
        return [dataclasses.replace(r, opsp_dise_name=_disease_name(r.opsp_dise_code))
                for r in store.recognitions_of(uow.conn, psn_no, uow.today)]

    return app.read(run, principal=who)


@door
def designations(app: Gongji, who: Principal, psn_no: str) -> list[Designation]:
    """The person's designated institutions (人员定点, 5302): none. gongji binds no insured
    person to an institution (every designated institution serves every insured person), so
    the answer is an empty list, for a person who exists, to whoever may read them."""
    def run(uow: UnitOfWork) -> list[Designation]:
        _may_read_person(uow, who, psn_no)
        return []

    return app.read(run, principal=who)


def _may_read_person(uow: UnitOfWork, who: Principal, psn_no: str) -> None:
    """Institutions ask on a psn_no (the person exists or PERSON_NOT_FOUND); a person or
    their proxy, and operators, read as everywhere."""
    if who.kind == "institution":
        people.person(uow.conn, psn_no)
    else:
        authorize(uow, who, Act.READ, psn_no)


def _disease_name(code: str) -> str | None:
    disease = CHRONIC_DISEASES.get(code)
    return disease.zh if disease else None


def recognised(uow: UnitOfWork, psn_no: str, disease: str) -> None:
    """Refused unless the person has the disease recognised, in force today."""
    if disease not in CHRONIC_DISEASES:
        raise GongjiError("CHRONIC_DISEASE_INVALID", code=disease)
    if not store.recognised_on(uow.conn, psn_no, disease, uow.today):
        raise GongjiError("CHRONIC_NOT_RECOGNIZED", code=disease)


def active_filings(uow: UnitOfWork, psn_no: str) -> list[FilingView]:
    """The person's active filings, oldest first."""
    return [_view(uow, i) for i in store.active_ids(uow.conn, psn_no)]


def filing_for(uow: UnitOfWork, psn_no: str, care_admdvs: str, day: date,
               disease: str | None = None) -> FilingView | None:
    """The person's filing that covers care in this region on this day, if any."""
    for f in active_filings(uow, psn_no):
        if covers(f.target_admdvs, care_admdvs) and f.begndate <= day and \
                (f.enddate is None or day <= f.enddate) and \
                (disease is None or f.opsp_dise_code in (None, disease)):
            return f
    return None


@door
def list_for(app: Gongji, who: Principal, psn_no: str) -> list[FilingView]:
    def run(uow: UnitOfWork) -> list[FilingView]:
        authorize(uow, who, Act.READ, psn_no)
        return views_of(uow, psn_no)

    return app.read(run, principal=who)


def views_of(uow: UnitOfWork, psn_no: str) -> list[FilingView]:
    """Every filing of the person, newest first."""
    return [_view(uow, i) for i in store.ids_of(uow.conn, psn_no)]


@door
def set_switch(app: Gongji, who: Principal, key: Key, psn_no: str, scope: str,
               enabled: bool) -> Written[bool]:
    def run(uow: UnitOfWork) -> bool:
        authorize(uow, who, Act.SWITCH, psn_no)
        if scope not in SWITCH_SCOPES:
            raise GongjiError("VALIDATION_ERROR", fields="scope")
        store.set_switch(uow.conn, psn_no, scope, enabled, at=uow.now)
        uow.record("switch.set", subject=psn_no, detail={"scope": scope, "enabled": enabled})
        return enabled

    return app.write(who, key=key, operation="switch.set",
                     request={"psn_no": psn_no, "scope": scope, "enabled": enabled}, fn=run,
                     result_type=bool)


def switch_on(uow: UnitOfWork, psn_no: str, scope: str) -> bool:
    """Whether the person turned this authorization switch on."""
    return store.switch_on(uow.conn, psn_no, scope)


def _view(uow: UnitOfWork, filing_id: str) -> FilingView:
    f = store.filing(uow.conn, filing_id)
    if f is None:
        raise GongjiError("FILING_NOT_FOUND", filing=filing_id)
    return f


@door
def referrals(app: Gongji, who: Principal, psn_no: str, *, since: date | None = None,
              until: date | None = None) -> list[ReferralView]:
    """The person's referral filings (5304): active, in force some day of [since, until]
    (since: today when not given, so an ended one shows only when its period is asked for),
    oldest first; an empty list when there are none.

    Any designated institution may ask on a psn_no (as 5301): the hospital the person is
    referred to checks the filing before admitting them, and it did not file it. The scheme
    and employer are the person's basic enrollment in the region the filing names (a filing
    covers the person's basic insurance, not one insutype)."""
    def run(uow: UnitOfWork) -> list[ReferralView]:
        _may_read_person(uow, who, psn_no)
        p = people.person(uow.conn, psn_no)
        basic = people.basic_enrollment(uow.conn, psn_no)
        out = []
        for f in store.referrals_of(uow.conn, psn_no, since=since or uow.today, until=until):
            e = basic if basic is not None and basic.insuplc_admdvs == f.insuplc_admdvs \
                else None
            out.append(ReferralView(
                id=f.id, psn_no=psn_no, certno=p.certno, psn_name_masked=p.masked.name_masked,
                gend=p.gend, brdy=p.brdy, insutype=e.insutype if e else None,
                emp_name=e.emp_name if e else None, insuplc_admdvs=f.insuplc_admdvs,
                target_admdvs=f.target_admdvs,
                out_of_area=f.target_admdvs != f.insuplc_admdvs, begndate=f.begndate,
                enddate=f.enddate, filed_at=f.created_at))
        return out

    return app.read(run, principal=who)
