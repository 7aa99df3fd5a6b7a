"""Electronic prescriptions through the services on both databases: a hospital issues one, who
may read it, what an order is checked against (each refusal, nothing written), a fill once,
a refund giving it back, a revocation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from gongji.domain.catalog import CatalogItem
from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.errors import GongjiError
from gongji.domain.prescriptions import needs_prescription
from gongji.services.catalog import service as catalog
from gongji.services.prescriptions import service as rx
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.db import Database
from gongji.store.tables import audit_log, prescriptions
from tests.clinic import D_B, D_C, HOSPITAL, PHARMACY, S_A, Clinic, open_clinic
from tests.conftest import OPERATOR, refused
from tests.family import key, make_family

D_OTC = "ZA01AAA0107001010254399"  # a cold medicine, OTC


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    c = open_clinic(make_family(app))
    report = catalog.import_rows(app, OPERATOR, "000000", [(2, {
        "med_list_codg": D_OTC, "name": "感冒清热颗粒", "list_type": "101",
        "med_chrgitm_type": "11", "chrgitm_lv": "01", "selfpay_prop": "",
        "pric_uplmt_amt": "", "lmt_used_flag": "0", "otc_flag": "1"})],
        begndate=date(2024, 1, 1), version="otc")
    assert report.imported == 1, report.rejected
    return c


H = Principal("institution", HOSPITAL)


def issue(c: Clinic, name: str = "张伟", *items: tuple[str, str], days: int | None = None,
          by: Principal = H, certno: bool = False) -> rx.PrescriptionView:
    m = c.fam[name]
    return rx.issue(c.app, by, key("rx"), rx.IssuePrescription(
        items=tuple(rx.RxItemIn(code, Decimal(n)) for code, n in (items or ((D_B, "2"),))),
        psn_no=None if certno else m.psn_no, certno=m.certno if certno else None,
        valid_days=days, dise_codg="J00")).value


def items_of(app: Gongji, *codes: str) -> dict[str, CatalogItem]:
    return app.read(lambda uow: catalog.lookup(uow, "510100", codes, uow.today))


def check(app: Gongji, hi_rxno: str | None, psn_no: str, *lines: tuple[str, str]) -> None:
    parsed = [(c, Decimal(n)) for c, n in lines]
    app.read(lambda uow: rx.check_in(uow, hi_rxno, psn_no, parsed,
                                     items_of(app, *[c for c, _ in lines])))


def fill(app: Gongji, hi_rxno: str, ref: str, at: str = PHARMACY) -> None:
    def run(uow: UnitOfWork) -> None:
        rx.fill_in(uow, hi_rxno, fixmedins_code=at, ref=ref)
    app.transact(Principal("institution", at), run)


def unfill(app: Gongji, hi_rxno: str, ref: str) -> None:
    app.transact(Principal("institution", PHARMACY),
                 lambda uow: rx.unfill_in(uow, hi_rxno, ref))


# -- issuing ----------------------------------------------------------------------------------

def test_a_hospital_issues_a_prescription_valid_that_day(clinic: Clinic,
                                                          database: Database) -> None:
    app, zw = clinic.app, clinic.fam["张伟"]
    v = issue(clinic, "张伟", (D_B, "2"), (D_C, "0.50"))
    assert v.hi_rxno.startswith("R") and v.psn_no == zw.psn_no and v.issued_by == HOSPITAL
    assert (v.status, v.dise_codg, v.filled_by) == ("issued", "J00", None)
    assert v.valid_until == shanghai(2026, 11, 24, 23, 59, 59)
    assert [(i.med_list_codg, i.cnt) for i in v.items] == sorted([(D_B, "2"), (D_C, "0.5")])
    audit = app.read(lambda uow: uow.conn.execute(select(audit_log.c.action).where(
        audit_log.c.subject == v.hi_rxno)).scalars().all())
    assert audit == ["prescription.issue"]
    # by ID number, valid three days
    three = issue(clinic, "王芳", days=3, certno=True)
    assert three.psn_no == clinic.fam["王芳"].psn_no
    assert three.valid_until == shanghai(2026, 11, 26, 23, 59, 59)


def test_issue_is_idempotent_by_key(clinic: Clinic) -> None:
    cmd = rx.IssuePrescription(items=(rx.RxItemIn(D_B, Decimal(1)),),
                               psn_no=clinic.fam["张伟"].psn_no)
    first = rx.issue(clinic.app, H, "same-key", cmd)
    again = rx.issue(clinic.app, H, "same-key", cmd)
    assert again.replayed and again.value == first.value
    with pytest.raises(GongjiError) as e:
        rx.issue(clinic.app, H, "same-key", rx.IssuePrescription(
            items=(rx.RxItemIn(D_B, Decimal(2)),), psn_no=clinic.fam["张伟"].psn_no))
    assert e.value.code == "IDEMPOTENCY_CONFLICT"


@pytest.mark.parametrize(("kw", "code"), [
    ({"by": Principal("institution", PHARMACY)}, "RX_ISSUER_NOT_HOSPITAL"),
    ({"by": OPERATOR}, "FORBIDDEN"),
    ({"days": 4}, "RX_VALID_DAYS"),
    ({"days": 0}, "RX_VALID_DAYS"),
    ({"items": ((S_A, "1"),)}, "RX_ITEM_NOT_DRUG"),
    ({"items": (("XA99ZZZ999Z999999999999", "1"),)}, "CATALOG_ITEM_NOT_FOUND"),
    ({"items": ((D_B, "0"),)}, "RX_ITEMS_INVALID"),
    ({"items": ((D_B, "1.000001"),)}, "RX_ITEMS_INVALID"),
    ({"items": ((D_B, "1"), (D_B, "2"))}, "RX_ITEMS_INVALID"),
])
def test_refused_prescriptions_write_nothing(clinic: Clinic, database: Database,
                                             kw: dict[str, object], code: str) -> None:
    kw = dict(kw)  # the parameters are shared by both databases' runs
    items = kw.pop("items", ((D_B, "1"),))
    refused(database, code, lambda: issue(clinic, "张伟", *items, **kw))  # type: ignore[arg-type]


def test_the_person_is_named_once_and_must_exist(clinic: Clinic, database: Database) -> None:
    m = clinic.fam["张伟"]
    one = (rx.RxItemIn(D_B, Decimal(1)),)
    for cmd, code in ((rx.IssuePrescription(one), "VALIDATION_ERROR"),
                      (rx.IssuePrescription(one, psn_no=m.psn_no, certno=m.certno),
                       "VALIDATION_ERROR"),
                      (rx.IssuePrescription(one, psn_no="P0000000000000000"),
                       "PERSON_NOT_FOUND"),
                      (rx.IssuePrescription(one, certno="110101199003070000"),
                       "PERSON_NOT_FOUND")):
        refused(database, code, lambda cmd=cmd: rx.issue(clinic.app, H, key(), cmd))


# -- reading ----------------------------------------------------------------------------------

def test_who_may_read_it(clinic: Clinic) -> None:
    app, zw, ma, zl = (clinic.app, clinic.fam["张伟"], clinic.fam["李秀英"],
                       clinic.fam["张丽"])
    v = issue(clinic, "李秀英")
    for who in (ma.who, H, OPERATOR):
        assert rx.get(app, who, v.hi_rxno) == v
    # a stranger, another institution, the son before he holds a proxy: "not found"
    for who in (zl.who, zw.who, Principal("institution", PHARMACY)):
        with pytest.raises(GongjiError) as e:
            rx.get(app, who, v.hi_rxno)
        assert e.value.code == "RX_NOT_FOUND"
    with pytest.raises(GongjiError) as e:
        rx.get(app, ma.who, "RNOSUCHTHING")
    assert e.value.code == "RX_NOT_FOUND"
    p = proxies.request(app, zw.who, key(), proxies.RequestProxy(ma.certno, ma.name,
                                                                 "parent")).value
    proxies.decide(app, ma.who, key(), p.id, True)
    assert rx.get(app, zw.who, v.hi_rxno) == v
    assert rx.list_for(app, zw.who, ma.psn_no) == [v]
    # the pharmacy that fills it may read it afterwards
    fill(app, v.hi_rxno, "ORDER-1")
    assert rx.get(app, Principal("institution", PHARMACY), v.hi_rxno).filled_by == PHARMACY


def test_a_persons_list_is_newest_first_and_theirs(clinic: Clinic, clock: FixedClock) -> None:
    app, zw = clinic.app, clinic.fam["张伟"]
    first = issue(clinic)
    clock.advance(timedelta(minutes=5))
    second = issue(clinic, "张伟", (D_C, "1"))
    issue(clinic, "王芳")
    assert [x.hi_rxno for x in rx.list_for(app, zw.who, zw.psn_no)] == [second.hi_rxno,
                                                                        first.hi_rxno]
    for who in (clinic.fam["张丽"].who, H):
        with pytest.raises(GongjiError) as e:
            rx.list_for(app, who, zw.psn_no)
        assert e.value.code == "FORBIDDEN"


# -- an order checked against it ------------------------------------------------------------

def test_check_in_refuses_each_way(clinic: Clinic, clock: FixedClock,
                                   database: Database) -> None:
    app, zw, wf = clinic.app, clinic.fam["张伟"], clinic.fam["王芳"]
    v = issue(clinic, "张伟", (D_B, "2"))
    n = v.hi_rxno
    check(app, n, zw.psn_no, (D_B, "1"), (D_B, "1"), (D_OTC, "9"), (S_A, "1"))
    for args, code in (
            ((None, zw.psn_no, (D_B, "1")), "RX_REQUIRED"),
            (("RNOSUCHTHING", zw.psn_no, (D_B, "1")), "RX_NOT_FOUND"),
            ((n, wf.psn_no, (D_B, "1")), "RX_OTHER_PERSON"),
            ((n, zw.psn_no, (D_C, "1")), "RX_ITEM_NOT_PRESCRIBED"),
            ((n, zw.psn_no, (D_B, "1.5"), (D_B, "0.6")), "RX_QUANTITY_EXCEEDED")):
        e = refused(database, code, lambda args=args: check(app, *args))  # type: ignore[arg-type]
        if code == "RX_REQUIRED":
            assert e.params == {"code": D_B, "name": "乙类药"}
        if code == "RX_QUANTITY_EXCEEDED":
            assert (e.params["prescribed"], e.params["asked"]) == ("2", "2.1")
    clock.set(shanghai(2026, 11, 25, 0, 0, 0))
    refused(database, "RX_EXPIRED", lambda: check(app, n, zw.psn_no, (D_B, "1")))


def test_otc_drugs_and_services_need_no_prescription(clinic: Clinic) -> None:
    zw = clinic.fam["张伟"]
    check(clinic.app, None, zw.psn_no, (D_OTC, "3"), (S_A, "1"))
    assert not needs_prescription(items_of(clinic.app, D_OTC)[D_OTC])
    assert needs_prescription(items_of(clinic.app, D_B)[D_B])


# -- filled once, given back on a refund, revoked -----------------------------------------------

def test_filled_once_then_given_back_by_the_refund_of_that_order(
        clinic: Clinic, database: Database) -> None:
    app, zw = clinic.app, clinic.fam["张伟"]
    v = issue(clinic)
    fill(app, v.hi_rxno, "ORDER-1")
    got = rx.get(app, zw.who, v.hi_rxno)
    assert (got.status, got.filled_by) == ("filled", PHARMACY) and got.filled_at is not None
    refused(database, "RX_ALREADY_FILLED", lambda: fill(app, v.hi_rxno, "ORDER-2"))
    refused(database, "RX_ALREADY_FILLED", lambda: check(app, v.hi_rxno, zw.psn_no, (D_B, "1")))
    unfill(app, v.hi_rxno, "ORDER-2")  # not the order that filled it: nothing changes
    assert rx.get(app, zw.who, v.hi_rxno).status == "filled"
    unfill(app, v.hi_rxno, "ORDER-1")
    back = rx.get(app, zw.who, v.hi_rxno)
    assert (back.status, back.filled_by, back.filled_at) == ("issued", None, None)
    fill(app, v.hi_rxno, "ORDER-3")
    row = app.read(lambda uow: uow.conn.execute(select(prescriptions).where(
        prescriptions.c.hi_rxno == v.hi_rxno)).one())
    assert row.filled_setl == "ORDER-3"
    actions = app.read(lambda uow: uow.conn.execute(select(audit_log.c.action).where(
        audit_log.c.subject == v.hi_rxno).order_by(audit_log.c.at, audit_log.c.seq))
        .scalars().all())
    assert actions == ["prescription.issue", "prescription.fill", "prescription.unfill",
                       "prescription.fill"]
    refused(database, "RX_NOT_FOUND", lambda: fill(app, "RNOSUCHTHING", "ORDER-4"))


def test_an_expired_prescription_is_not_filled(clinic: Clinic, clock: FixedClock,
                                               database: Database) -> None:
    v = issue(clinic, days=2)
    clock.set(shanghai(2026, 11, 25, 23, 59, 59))
    check(clinic.app, v.hi_rxno, clinic.fam["张伟"].psn_no, (D_B, "1"))
    clock.set(shanghai(2026, 11, 26, 0, 0, 0))
    refused(database, "RX_EXPIRED", lambda: fill(clinic.app, v.hi_rxno, "ORDER-1"))


def test_the_issuer_revokes_one_not_filled(clinic: Clinic, database: Database) -> None:
    app, zw = clinic.app, clinic.fam["张伟"]
    v = issue(clinic)
    for who, code in ((Principal("institution", "H51010000002"), "RX_NOT_FOUND"),
                      (zw.who, "FORBIDDEN"), (OPERATOR, "FORBIDDEN")):
        refused(database, code, lambda who=who: rx.revoke(app, who, key(), v.hi_rxno))
    w = rx.revoke(app, H, "rv-1", v.hi_rxno)
    assert w.value.status == "revoked"
    assert rx.revoke(app, H, "rv-1", v.hi_rxno).replayed
    refused(database, "RX_REVOKED", lambda: rx.revoke(app, H, key(), v.hi_rxno))
    refused(database, "RX_REVOKED", lambda: check(app, v.hi_rxno, zw.psn_no, (D_B, "1")))
    refused(database, "RX_REVOKED", lambda: fill(app, v.hi_rxno, "ORDER-1"))
    filled = issue(clinic)
    fill(app, filled.hi_rxno, "ORDER-2")
    refused(database, "RX_ALREADY_FILLED", lambda: rx.revoke(app, H, key(), filled.hi_rxno))
