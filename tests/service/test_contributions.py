"""Paying a relative's resident or long-term-care contribution: window, once a year, sources;
across provinces only through the wallet (issue 17, point 4)."""

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
    """张伟 (Chengdu) sponsors his son 张小宝 (a resident in Chengdu) and his mother 李秀英
    (a resident in Nanyang, Henan: another province)."""
    f = make_family(app)
    f.bind("张伟", "李秀英", "parent")
    f.bind("张伟", "张小宝", "child")
    return f


def quota_for(fam: Family, amount: int, to: str = "李秀英") -> None:
    """张伟 sends to the relative's wallet and they accept: quota from him."""
    zw = fam["张伟"]
    t = transfers.send(fam.app, zw.who, key(), transfers.SendTransfer(fam[to].psn_no, amount),
                       PIN).value
    transfers.respond(fam.app, fam[to].who, key(), t.id, "accept")


def pay(fam: Family, payer: str, cmd: PayContribution, pin: str = PIN):  # type: ignore[no-untyped-def]
    return contributions.pay(fam.app, fam[payer].who, key(), cmd, pin).value




def test_sponsor_pays_a_resident_contribution_in_his_province(fam: Family,
                                                             database: Database) -> None:
    son = fam["张小宝"]
    c = pay(fam, "张伟", PayContribution(son.psn_no, "390", 2027, "personal"))
    assert (c.amount, c.admdvs, c.source) == (400_00, "510100", "personal")
    assert wallet.get(fam.app, OPERATOR, fam["张伟"].psn_no).personal_account == 11_600_00
    err = refused(database, "CONTRIBUTION_ALREADY_PAID", lambda: pay(
        fam, "张伟", PayContribution(son.psn_no, "390", 2027, "personal")))
    assert err.params["year"] == 2027
    assert [x.id for x in contributions.list_for(fam.app, OPERATOR, son.psn_no)] == [c.id]


def test_across_provinces_only_through_the_wallet(fam: Family, database: Database) -> None:
    """A Chengdu sponsor cannot debit his account for his mother in Henan directly; he sends
    to her wallet (its limits, hours and both regions' rollout apply) and she pays from it.
    No PIN attempt is spent on the refusal."""
    ma = fam["李秀英"]
    direct = PayContribution(ma.psn_no, "390", 2027, "personal")
    for _ in range(6):  # five wrong PINs would lock him out
        err = refused(database, "CONTRIBUTION_VIA_WALLET",
                      lambda: pay(fam, "张伟", direct, pin="000001"))
    assert "河南" in err.message or "南阳" in err.message
    assert "through the wallet" in err.message_en
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    quota_for(fam, 400_00)
    c = pay(fam, "李秀英", PayContribution(ma.psn_no, "390", 2027, "quota",
                                          fam["张伟"].psn_no))
    assert (c.source, c.sponsor_psn_no, c.admdvs) == ("quota", fam["张伟"].psn_no, "411300")
    assert wallet.get(fam.app, OPERATOR, fam["张伟"].psn_no).personal_account == 11_600_00


def test_quota_is_spent_only_from_an_open_wallet(fam: Family, database: Database) -> None:
    ma, zw = fam["李秀英"], fam["张伟"]
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    quota_for(fam, 400_00)
    wallet.close_wallet(fam.app, ma.who, key(), ma.psn_no)  # returns the quota to him
    err = refused(database, "WALLET_NOT_OPEN", lambda: pay(
        fam, "李秀英", PayContribution(ma.psn_no, "390", 2027, "quota", zw.psn_no)))
    assert "本人" in err.message


def test_collection_window_at_the_day(fam: Family, database: Database,
                                      clock: FixedClock) -> None:
    """Before the window opens: refused. After it closes a resident contribution is taken
    with a waiting period (tests/service/test_late_enrollment.py has the boundaries)."""
    son = fam["张小宝"]
    cmd = PayContribution(son.psn_no, "390", 2027, "personal")
    clock.set(shanghai(2026, 8, 31, 23, 59, 59))
    err = refused(database, "CONTRIBUTION_WINDOW_CLOSED", lambda: pay(fam, "张伟", cmd))
    assert (err.params["start"], err.params["end"]) == ("2026-09-01", "2026-12-31")
    clock.set(shanghai(2027, 1, 1, 0, 0, 0))
    c = pay(fam, "张伟", cmd)
    assert (c.year, c.benefits_from) == (2027, date(2027, 4, 1))


def test_refusals(fam: Family, database: Database) -> None:
    ma, son, wife = fam["李秀英"], fam["张小宝"], fam["王芳"]
    refused(database, "CONTRIBUTION_NOT_OFFERED", lambda: pay(
        fam, "张伟", PayContribution(son.psn_no, "390", 2030, "personal")))
    refused(database, "TRANSFER_NOT_BOUND", lambda: pay(
        fam, "王芳", PayContribution(ma.psn_no, "390", 2027, "personal")))
    refused(database, "NOT_ENROLLED", lambda: pay(
        fam, "张伟", PayContribution(wife.psn_no, "390", 2027, "personal")))
    refused(database, "CONTRIBUTION_SOURCE_INVALID", lambda: pay(
        fam, "张伟", PayContribution(ma.psn_no, "390", 2027, "quota", fam["张伟"].psn_no)))
    refused(database, "CONTRIBUTION_NOT_OFFERED", lambda: pay(
        fam, "张伟", PayContribution(ma.psn_no, "410", 2027, "personal")))  # no LTC in Nanyang
    with pytest.raises(GongjiError) as e:
        pay(fam, "张伟", PayContribution(son.psn_no, "390", 2027, "personal"), pin="000001")
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
    c = pay(fam, "张伟", PayContribution(son.psn_no, "410", 2027, "personal"))
    assert (c.amount, c.admdvs, c.insutype) == (25_00, "510100", "410")
