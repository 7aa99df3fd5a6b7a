"""Persons, enrollments, personal-account credits (single and CSV batch), cards and codes."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from gongji.domain.certno import make_certno
from gongji.domain.clock import FixedClock
from gongji.domain.errors import GongjiError
from gongji.services.credentials import service as credentials
from gongji.services.enrollment import service as enrollment
from gongji.services.people import service as people
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import UnitOfWork
from gongji.services.wallet import service as wallet
from gongji.store.db import Database
from tests.conftest import OPERATOR, refused
from tests.family import Family, key, make_family

CERTNO = make_certno("510104", date(1990, 3, 7), 123)


def register(app: Gongji, certno: str = CERTNO, name: str = "张伟",
             phone: str | None = "13800000001") -> people.PersonView:
    return enrollment.register(app, OPERATOR, key(), enrollment.RegisterPerson(
        certno, name, phone)).value




def test_register_derives_sex_and_birth_and_masks(app: Gongji) -> None:
    p = register(app)
    assert p.psn_no.startswith("P") and len(p.psn_no) == 17
    assert (p.certno_masked, p.name_masked, p.phone_masked) == \
        ("510104********1237", "张*", "138****0001")
    assert (p.gend, p.brdy_year) == ("1", 1990)


@pytest.mark.parametrize(("certno", "name", "phone", "code"), [
    (CERTNO[:-1] + "0", "张伟", None, "CERTNO_INVALID"),
    ("51010419900230123X", "张伟", None, "CERTNO_INVALID"),
    (CERTNO, "", None, "NAME_INVALID"),
    (CERTNO, "张\x00伟", None, "NAME_INVALID"),
    (CERTNO, "张伟", "1380000000", "PHONE_INVALID"),
    (CERTNO, "张伟", "23800000001", "PHONE_INVALID"),
])
def test_register_refusals(app: Gongji, database: Database, certno: str, name: str,
                           phone: str | None, code: str) -> None:
    refused(database, code, lambda: register(app, certno, name, phone))


def test_one_person_per_id_number(app: Gongji, database: Database) -> None:
    p = register(app)
    err = refused(database, "PERSON_EXISTS", lambda: register(app, CERTNO.lower()))
    assert err.params["psn_no"] == p.psn_no


def test_enrollment_opens_a_personal_account_for_employees(app: Gongji) -> None:
    p = register(app)
    r = enrollment.enroll(app, OPERATOR, key(), enrollment.Enroll(
        p.psn_no, "310", "1101", "510100", date(2020, 1, 1))).value
    assert r.personal_account_id is not None and r.enrollment.status == "active"
    q = register(app, make_certno("411302", date(1964, 11, 2), 248), "李秀英")
    r2 = enrollment.enroll(app, OPERATOR, key(), enrollment.Enroll(
        q.psn_no, "390", "1501", "411300", date(2020, 1, 1))).value
    assert r2.personal_account_id is None and not r2.enrollment.has_personal_account


@pytest.mark.parametrize(("insutype", "psn_type", "admdvs", "code"), [
    ("320", "1101", "510100", "INSUTYPE_INVALID"),
    ("310", "1501", "510100", "PSN_TYPE_INVALID"),
    ("390", "1101", "510100", "PSN_TYPE_INVALID"),
    ("310", "1101", "999999", "REGION_NOT_FOUND"),
    ("310", "1101", "51010", "ADMDVS_INVALID"),
])
def test_enrollment_refusals(app: Gongji, database: Database, insutype: str, psn_type: str,
                             admdvs: str, code: str) -> None:
    p = register(app)
    refused(database, code, lambda: enrollment.enroll(app, OPERATOR, key(), enrollment.Enroll(
        p.psn_no, insutype, psn_type, admdvs, date(2020, 1, 1))))


def test_one_basic_scheme_at_a_time(app: Gongji, database: Database,
                                    clock: FixedClock) -> None:
    p = register(app)
    enrollment.enroll(app, OPERATOR, key(), enrollment.Enroll(
        p.psn_no, "310", "1101", "510100", date(2020, 1, 1)))
    refused(database, "ENROLLMENT_EXISTS", lambda: enrollment.enroll(
        app, OPERATOR, key(), enrollment.Enroll(p.psn_no, "390", "1501", "411300",
                                                date(2020, 1, 1))))
    refused(database, "ENROLLMENT_DATES_INVALID", lambda: enrollment.enroll(
        app, OPERATOR, key(), enrollment.Enroll(p.psn_no, "310", "1101", "510100",
                                                clock.now().date() + timedelta(days=1))))


def test_credit_single(app: Gongji, database: Database) -> None:
    p = register(app)
    refused(database, "NO_PERSONAL_ACCOUNT", lambda: enrollment.credit(
        app, OPERATOR, key(), enrollment.Credit(p.psn_no, 100_00)))
    enrollment.enroll(app, OPERATOR, key(), enrollment.Enroll(
        p.psn_no, "310", "1101", "510100", date(2020, 1, 1)))
    e = enrollment.credit(app, OPERATOR, key(), enrollment.Credit(p.psn_no, 345_67, "11月")).value
    assert e.code == "account.credit" and e.memo == "11月"
    assert wallet.get(app, OPERATOR, p.psn_no).personal_account == 345_67
    refused(database, "PERSON_NOT_FOUND", lambda: enrollment.credit(
        app, OPERATOR, key(), enrollment.Credit("PNOBODY", 1)))
    refused(database, "MONEY_ZERO", lambda: enrollment.credit(
        app, OPERATOR, key(), enrollment.Credit(p.psn_no, 0)))


def test_credit_batch_from_csv_is_rerunnable(app: Gongji, tmp_path: Path) -> None:
    fam = make_family(app)
    zw, wife = fam["张伟"], fam["王芳"]
    path = tmp_path / "credits-2026-11.csv"
    path.write_text(
        "psn_no,amount,memo\n"
        f"{zw.psn_no},100.00,November\n"
        f"{wife.psn_no},250.50,November\n"
        f"{fam['李秀英'].psn_no},10.00,a resident has no account\n"
        f"{zw.psn_no},1.001,too precise\n"
        "PNOBODY,5.00,unknown\n", encoding="utf-8")
    rows = enrollment.read_credit_csv(path)
    ticks: list[int] = []
    report = enrollment.credit_batch(app, OPERATOR, "2026-11", rows, progress=ticks.append)
    assert (report.credited, report.replayed, report.total_fen) == (2, 0, 350_50)
    assert [(line, code) for line, code, _ in report.rejected] == [
        (4, "NO_PERSONAL_ACCOUNT"), (5, "MONEY_TOO_PRECISE"), (6, "PERSON_NOT_FOUND")]
    assert len(ticks) == 5
    again = enrollment.credit_batch(app, OPERATOR, "2026-11", rows)
    assert (again.credited, again.replayed) == (0, 2)
    assert wallet.get(app, OPERATOR, zw.psn_no).personal_account == 12_000_00 + 100_00
    bad = tmp_path / "bad.csv"
    bad.write_text("who,amount\nx,1.00\n", encoding="utf-8")
    with pytest.raises(GongjiError) as e:
        enrollment.read_credit_csv(bad)
    assert "psn_no" in e.value.message_en


def test_insurance_code_is_single_use_and_expires(app: Gongji, database: Database,
                                                  clock: FixedClock) -> None:
    fam = make_family(app)
    zw = fam["张伟"]
    t = credentials.issue_code(app, zw.who, zw.psn_no)
    assert t.expires_at == clock.now() + timedelta(seconds=60)

    def redeem(token: str) -> str:
        return app.transact(OPERATOR, lambda uow: credentials.redeem(uow, token,
                                                                     used_by="H510100000001"))

    assert redeem(t.token) == zw.psn_no
    refused(database, "CREDENTIAL_USED", lambda: redeem(t.token))
    t2 = credentials.issue_code(app, zw.who, zw.psn_no)
    clock.advance(timedelta(seconds=59))
    assert redeem(t2.token) == zw.psn_no
    t3 = credentials.issue_code(app, zw.who, zw.psn_no)
    clock.advance(timedelta(seconds=60))
    refused(database, "CREDENTIAL_EXPIRED", lambda: redeem(t3.token))
    refused(database, "CREDENTIAL_INVALID", lambda: redeem(t3.token[:-2] + "xx"))


def test_code_shown_by_self_or_proxy_only(app: Gongji) -> None:
    fam: Family = make_family(app)
    zw, ma, wife = fam["张伟"], fam["李秀英"], fam["王芳"]
    with pytest.raises(GongjiError) as e:
        credentials.issue_code(app, zw.who, ma.psn_no)
    assert e.value.code == "FORBIDDEN"
    p = proxies.request(app, zw.who, key(), proxies.RequestProxy(ma.certno, ma.name,
                                                                 "parent")).value
    proxies.decide(app, ma.who, key(), p.id, True)
    assert credentials.issue_code(app, zw.who, ma.psn_no).psn_no == ma.psn_no
    with pytest.raises(GongjiError):
        credentials.issue_code(app, wife.who, ma.psn_no)


def test_cards(app: Gongji, database: Database) -> None:
    fam = make_family(app)
    zw = fam["张伟"]
    credentials.issue_card(app, OPERATOR, key(), zw.psn_no, "a12345678")
    assert app.read(lambda uow: credentials.person_by_card(uow.conn, "A12345678")) == zw.psn_no
    credentials.issue_card(app, OPERATOR, key(), zw.psn_no, "B87654321")  # replaces
    with pytest.raises(GongjiError) as e:
        app.read(lambda uow: credentials.person_by_card(uow.conn, "A12345678"))
    assert e.value.code == "CARD_NOT_FOUND"
    refused(database, "CARD_EXISTS", lambda: credentials.issue_card(
        app, OPERATOR, key(), fam["王芳"].psn_no, "B87654321"))
    refused(database, "CARD_INVALID", lambda: credentials.issue_card(
        app, OPERATOR, key(), zw.psn_no, "short"))


def test_persons_lookup_by_certno_inside_a_unit_of_work(app: Gongji) -> None:
    p = register(app)

    def find(uow: UnitOfWork) -> str | None:
        found = people.person_by_certno(uow.conn, CERTNO)
        return found.psn_no if found else None

    assert app.read(find) == p.psn_no
