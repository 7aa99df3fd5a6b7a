"""Out-of-area filing, chronic disease recognition, and a person's authorization switches."""

from __future__ import annotations

from datetime import date

from gongji.domain.access import Act
from gongji.domain.errors import GongjiError
from gongji.domain.filing import CHRONIC_DISEASES, check_filing, covers
from gongji.domain.ids import new_id
from gongji.services.access import authorize
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.filing import store
from gongji.services.filing.model import SWITCH_SCOPES, File, FilingView, Recognition
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
