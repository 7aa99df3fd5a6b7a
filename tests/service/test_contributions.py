"""Paying a relative's resident or long-term-care contribution: window, once a year, sources."""

from __future__ import annotations

from datetime import date

import pytest

from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.errors import GongjiError
from gongji.services.contributions import service as contributions
from gongji.services.contributions.service import PayContribution
from gongji.services.transfers import service as transfers
from gongji.services.wallet import service as wallet
from gongji.store.db import Database
from tests.conftest import OPERATOR, refused
from tests.family import PIN, Family, key, make_family


@pytest.fixture
def fam(app) -> Family:  # type: ignore[no-untyped-def]
    f = make_family(app)
    f.bind("张伟", "李秀英", "parent")
    return f


def pay(fam: Family, payer: str, cmd: PayContribution, pin: str = PIN):  # type: ignore[no-untyped-def]
    return contributions.pay(fam.app, fam[payer].who, key(), cmd, pin).value




def test_sponsor_pays_a_parents_resident_contribution(fam: Family, database: Database) -> None:
    ma = fam["李秀英"]
    c = pay(fam, "张伟", PayContribution(ma.psn_no, "390", 2027, "personal"))
    assert (c.amount, c.admdvs, c.source) == (400_00, "411300", "personal")
    assert wallet.get(fam.app, OPERATOR, fam["张伟"].psn_no).personal_account == 11_600_00
    err = refused(database, "CONTRIBUTION_ALREADY_PAID", lambda: pay(
        fam, "张伟", PayContribution(ma.psn_no, "390", 2027, "personal")))
    assert err.params["year"] == 2027
    assert [x.id for x in contributions.list_for(fam.app, OPERATOR, ma.psn_no)] == [c.id]


def test_collection_window_at_the_day(fam: Family, database: Database,
                                      clock: FixedClock) -> None:
    """Before the window opens: refused. After it closes a resident contribution is taken
    with a waiting period (tests/service/test_late_enrollment.py has the boundaries)."""
    ma = fam["李秀英"]
    cmd = PayContribution(ma.psn_no, "390", 2027, "personal")
    clock.set(shanghai(2026, 8, 31, 23, 59, 59))
    err = refused(database, "CONTRIBUTION_WINDOW_CLOSED", lambda: pay(fam, "张伟", cmd))
    assert (err.params["start"], err.params["end"]) == ("2026-09-01", "2026-12-31")
    clock.set(shanghai(2027, 1, 1, 0, 0, 0))
    c = pay(fam, "张伟", cmd)
    assert (c.year, c.benefits_from) == (2027, date(2027, 4, 1))


def test_refusals(fam: Family, database: Database) -> None:
    ma, wife = fam["李秀英"], fam["王芳"]
    refused(database, "CONTRIBUTION_NOT_OFFERED", lambda: pay(
        fam, "张伟", PayContribution(ma.psn_no, "390", 2030, "personal")))
    refused(database, "TRANSFER_NOT_BOUND", lambda: pay(
        fam, "王芳", PayContribution(ma.psn_no, "390", 2027, "personal")))
    refused(database, "NOT_ENROLLED", lambda: pay(
        fam, "张伟", PayContribution(wife.psn_no, "390", 2027, "personal")))
    refused(database, "CONTRIBUTION_SOURCE_INVALID", lambda: pay(
        fam, "张伟", PayContribution(ma.psn_no, "390", 2027, "quota", fam["张伟"].psn_no)))
    refused(database, "CONTRIBUTION_NOT_OFFERED", lambda: pay(
        fam, "张伟", PayContribution(ma.psn_no, "410", 2027, "personal")))  # no LTC in Nanyang
    with pytest.raises(GongjiError) as e:
        pay(fam, "张伟", PayContribution(ma.psn_no, "390", 2027, "personal"), pin="000001")
    assert e.value.code == "PIN_WRONG"


def test_own_contribution_from_wallet_quota(fam: Family, database: Database) -> None:
    ma, zw = fam["李秀英"], fam["张伟"]
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    t = transfers.send(fam.app, zw.who, key(), transfers.SendTransfer(ma.psn_no, 300_00),
                       PIN).value
    transfers.respond(fam.app, ma.who, key(), t.id, "accept")
    cmd = PayContribution(ma.psn_no, "390", 2027, "quota", zw.psn_no)
    refused(database, "CONTRIBUTION_SOURCE_INVALID", lambda: pay(fam, "张伟", cmd))
    err = refused(database, "INSUFFICIENT_FUNDS", lambda: pay(fam, "李秀英", cmd))
    assert err.params["available"] == "300.00"
    t2 = transfers.send(fam.app, zw.who, key(), transfers.SendTransfer(ma.psn_no, 100_00),
                        PIN).value
    transfers.respond(fam.app, ma.who, key(), t2.id, "accept")
    c = pay(fam, "李秀英", cmd)
    assert (c.source, c.sponsor_psn_no, c.payer_psn_no) == ("quota", zw.psn_no, ma.psn_no)
    assert wallet.get(fam.app, OPERATOR, ma.psn_no).quota_total == 0


def test_long_term_care_where_the_region_collects_it(fam: Family) -> None:
    son = fam["张小宝"]
    fam.bind("张伟", "张小宝", "child")
    c = pay(fam, "张伟", PayContribution(son.psn_no, "410", 2027, "personal"))
    assert (c.amount, c.admdvs, c.insutype) == (25_00, "510100", "410")
