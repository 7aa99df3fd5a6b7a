"""Electronic prescriptions: a hospital issues and revokes; the person's side reads; the
mobile-payment core checks an order against one, fills it, and gives it back on a refund.
The rules are domain/prescriptions.py; this module finds the rows and says who may."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from gongji.domain import prescriptions as rules
from gongji.domain.access import Act, Principal
from gongji.domain.catalog import CatalogItem
from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_code
from gongji.services.access import authorize, may_see, require_institution
from gongji.services.catalog import service as catalog
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.institutions import service as institutions
from gongji.services.people import store as people
from gongji.services.prescriptions import store
from gongji.services.prescriptions.model import (
    IssuePrescription,
    PrescriptionView,
    RxItemIn,
    RxItemView,
)
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import UnitOfWork

__all__ = ["IssuePrescription", "PrescriptionView", "RxItemIn", "RxItemView"]

HOSPITAL = "1"
"""fixmedins_type of a medical institution (2: a retail pharmacy, which does not prescribe)."""


def view(rx: rules.Prescription) -> PrescriptionView:
    return PrescriptionView(
        hi_rxno=rx.hi_rxno, psn_no=rx.psn_no, issued_by=rx.issued_by, dise_codg=rx.dise_codg,
        issued_at=rx.issued_at, valid_until=rx.valid_until, status=rx.status,
        items=tuple(RxItemView(c, rules.cnt_text(n)) for c, n in sorted(rx.items.items())),
        filled_by=rx.filled_by, filled_at=rx.filled_at)


# -- the hospital -------------------------------------------------------------------------------

@door
def issue(app: Gongji, who: Principal, key: Key,
          cmd: IssuePrescription) -> Written[PrescriptionView]:
    """A hospital prescribes drugs of its region's catalog to a person, valid the day of issue
    or as many days as the doctor writes (at most the policy's max_valid_days)."""
    require_institution(who)
    return app.write(who, key=key, operation="prescription.issue",
                     request=to_json(cmd, IssuePrescription),
                     fn=lambda uow: issue_in(uow, who.id, cmd), result_type=PrescriptionView)


def issue_in(uow: UnitOfWork, fixmedins_code: str, cmd: IssuePrescription) -> PrescriptionView:
    inst = institutions.get_in(uow, fixmedins_code)
    if inst.fixmedins_type != HOSPITAL:
        raise GongjiError("RX_ISSUER_NOT_HOSPITAL")
    psn_no = _person_named(uow, cmd)
    policy = uow.policy(inst.admdvs).prescriptions
    days = policy.default_valid_days if cmd.valid_days is None else cmd.valid_days
    until = rules.valid_until(uow.now, days, max_valid_days=policy.max_valid_days)
    lines = [(i.med_list_codg, i.cnt) for i in cmd.items]
    found = catalog.lookup(uow, inst.admdvs, [c for c, _ in lines], uow.today)
    items = rules.check_items(lines, found)
    dise = (cmd.dise_codg or "").strip() or None
    if dise is not None and len(dise) > 30:
        raise GongjiError("VALIDATION_ERROR", fields="dise_codg (at most 30 characters)")
    rx = rules.Prescription(hi_rxno=new_code("R"), psn_no=psn_no, issued_by=fixmedins_code,
                            issued_at=uow.now, valid_until=until, status="issued",
                            items=items, dise_codg=dise)
    store.add(uow.conn, rx)
    uow.record("prescription.issue", subject=rx.hi_rxno, detail={
        "psn_no": psn_no, "items": {c: rules.cnt_text(n) for c, n in sorted(items.items())},
        "valid_until": until.isoformat()})
    return view(rx)


def _person_named(uow: UnitOfWork, cmd: IssuePrescription) -> str:
    """The person by psn_no or by ID number (exactly one of them)."""
    psn_no = (cmd.psn_no or "").strip()
    certno = (cmd.certno or "").strip()
    if bool(psn_no) == bool(certno):
        raise GongjiError("VALIDATION_ERROR", fields="psn_no, certno",
                          rule="exactly one of them")
    if psn_no:
        return people.person(uow.conn, psn_no).psn_no
    found = people.person_by_certno(uow.conn, certno)
    if found is None:
        raise GongjiError("PERSON_NOT_FOUND", psn_no="(certno)")
    return found.psn_no


@door
def revoke(app: Gongji, who: Principal, key: Key, hi_rxno: str) -> Written[PrescriptionView]:
    """The issuing hospital withdraws a prescription not yet filled."""
    require_institution(who)

    def run(uow: UnitOfWork) -> PrescriptionView:
        store.lock(uow.conn, hi_rxno)
        rx = store.get(uow.conn, hi_rxno)
        if rx is None or rx.issued_by != who.id:
            raise GongjiError("RX_NOT_FOUND", hi_rxno=hi_rxno)
        if rx.status == "filled":
            raise GongjiError("RX_ALREADY_FILLED", hi_rxno=hi_rxno)
        if rx.status == "revoked" or not store.revoke(uow.conn, hi_rxno):
            raise GongjiError("RX_REVOKED", hi_rxno=hi_rxno)
        uow.record("prescription.revoke", subject=hi_rxno)
        return _must(uow, hi_rxno)

    return app.write(who, key=key, operation="prescription.revoke",
                     request={"hi_rxno": hi_rxno}, fn=run, result_type=PrescriptionView)


# -- reading ------------------------------------------------------------------------------------

@door
def get(app: Gongji, who: Principal, hi_rxno: str) -> PrescriptionView:
    """One prescription, to its issuer, the institution that filled it, the person, their
    proxy holder, or an operator; to anyone else it does not exist."""
    def run(uow: UnitOfWork) -> PrescriptionView:
        rx = store.get(uow.conn, hi_rxno)
        if rx is None or not _may_see(uow, who, rx):
            raise GongjiError("RX_NOT_FOUND", hi_rxno=hi_rxno)
        return view(rx)

    return app.read(run, principal=who)


def _may_see(uow: UnitOfWork, who: Principal, rx: rules.Prescription) -> bool:
    if who.kind == "institution":
        return who.id in (rx.issued_by, rx.filled_by)
    return may_see(uow, who, rx.psn_no)


@door
def list_for(app: Gongji, who: Principal, psn_no: str) -> list[PrescriptionView]:
    """A person's prescriptions, newest first (the person, their proxy holder, operators)."""
    def run(uow: UnitOfWork) -> list[PrescriptionView]:
        authorize(uow, who, Act.READ, psn_no)
        return [view(rx) for rx in store.of_person(uow.conn, psn_no)]

    return app.read(run, principal=who)


# -- for the mobile-payment core (inside its unit of work) --------------------------------------

def check_in(uow: UnitOfWork, hi_rxno: str | None, psn_no: str,
             lines: list[tuple[str, Decimal]], items: Mapping[str, CatalogItem]) -> None:
    """An order's lines (code, quantity) with the catalog items they name: with no
    prescription, refused at the first prescription drug (RX_REQUIRED); with one, the
    prescription must be this person's, open, and name every prescription-drug line in at
    least its quantity. OTC drugs and non-drugs are not checked against it. Reads only: the
    fill (fill_in) takes the prescription under its lock."""
    if hi_rxno is None:
        rules.check_required(lines, items)
        return
    rules.check_fill(store.get(uow.conn, hi_rxno), psn_no,
                     rules.prescribed_lines(lines, items), uow.now, hi_rxno=hi_rxno)


def fill_in(uow: UnitOfWork, hi_rxno: str, *, fixmedins_code: str, ref: str) -> None:
    """Mark the prescription filled by `ref` (an order's id) at this institution. Locks it
    first and checks again that it is still open: of two fills at once one wins, the other
    is RX_ALREADY_FILLED."""
    store.lock(uow.conn, hi_rxno)
    rx = store.get(uow.conn, hi_rxno)
    if rx is None:
        raise GongjiError("RX_NOT_FOUND", hi_rxno=hi_rxno)
    rules.check_open(rx, uow.now)
    if not store.mark_filled(uow.conn, hi_rxno, by=fixmedins_code, ref=ref, at=uow.now):
        raise GongjiError("RX_ALREADY_FILLED", hi_rxno=hi_rxno)
    uow.record("prescription.fill", subject=hi_rxno,
               detail={"fixmedins_code": fixmedins_code, "ref": ref})


def unfill_in(uow: UnitOfWork, hi_rxno: str, ref: str) -> None:
    """A refunded order gives its prescription back (issued again, usable while valid) if
    that order is what filled it; otherwise nothing changes (a refund retried, or the
    prescription filled by something else)."""
    store.lock(uow.conn, hi_rxno)
    if store.unfill(uow.conn, hi_rxno, ref):
        uow.record("prescription.unfill", subject=hi_rxno, detail={"ref": ref})


def _must(uow: UnitOfWork, hi_rxno: str) -> PrescriptionView:
    rx = store.get(uow.conn, hi_rxno)
    if rx is None:
        raise GongjiError("RX_NOT_FOUND", hi_rxno=hi_rxno)
    return view(rx)
