"""收支明细: the statement reproduces every balance it shows to the fen and names the cause of
each movement (a relative's settlement, transfers out and back, quota going home), on SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest

from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.errors import GongjiError
from gongji.services.family import service as family
from gongji.services.ledger import service as ledger
from gongji.services.runtime import Gongji
from gongji.services.statement import service as statement
from gongji.services.statement.model import PERSONAL, QUOTA_GIVEN, QUOTA_HELD, Statement
from gongji.services.transfers import service as transfers
from gongji.services.unit_of_work import Principal
from tests.clinic import D_B, HENAN_PHARMACY, Clinic, open_clinic
from tests.conftest import OPERATOR
from tests.family import PIN, Family, key, make_family


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    fam = make_family(app)
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    fam.bind("张伟", "李秀英", "parent")
    return open_clinic(fam)


def send(fam: Family, amount: int) -> transfers.TransferView:
    return transfers.send(fam.app, fam["张伟"].who, key("t"), transfers.SendTransfer(
        fam["李秀英"].psn_no, amount), PIN).value


def story(clinic: Clinic, clock: FixedClock) -> None:
    """He sends 2,000.00 (accepted) and 300.00 (refused) and 100.00 (not accepted: back at
    06:00); his mother pays 56.00 at a Henan pharmacy from his quota; the binding ends and
    1,944.00 goes home."""
    fam, app = clinic.fam, clinic.app
    t = send(fam, 2000_00)
    transfers.respond(app, fam["李秀英"].who, key(), t.id, "accept")
    t = send(fam, 300_00)
    transfers.respond(app, fam["李秀英"].who, key(), t.id, "reject")
    send(fam, 100_00)
    clock.set(shanghai(2026, 11, 25, 6, 0, 0))
    assert len(ledger.sweep_expired(app)) == 1
    clock.set(shanghai(2026, 11, 25, 10, 0, 0))
    v = clinic.visit("李秀英", at=HENAN_PHARMACY, med_type="41")
    clinic.fees(v, (D_B, "2", "30"))
    assert clinic.settle(v, "李秀英").acct_mulaid_pay == 56_00
    b = next(x for x in family.list_for(app, OPERATOR, fam["张伟"].psn_no)
             if x.status == "active")
    family.end(app, fam["张伟"].who, key(), b.id)


def reproduces(s: Statement) -> None:
    """Opening plus the month's lines is the closing balance of every book, and each line's
    balance is the one before it plus its amount."""
    for book in s.books:
        mine = [x for x in s.lines if x.book is book]
        assert book.opening + sum(x.amount for x in mine) == book.closing
        running = book.opening
        for x in reversed(mine):
            running += x.amount
            assert x.balance == running


def test_the_sponsor_accounts_for_his_balance(clinic: Clinic, clock: FixedClock) -> None:
    story(clinic, clock)
    fam = clinic.fam
    s = statement.statement(clinic.app, fam["张伟"].who)
    assert s.month == "2026-11"
    reproduces(s)
    books = {b.kind: b for b in s.books}
    assert set(books) == {PERSONAL, QUOTA_GIVEN}
    personal, given = books[PERSONAL], books[QUOTA_GIVEN]
    # everything happened this month: from nothing to what the ledger holds now
    assert (personal.opening, personal.closing, personal.balance) == (0, 11944_00, 11944_00)
    assert (given.opening, given.closing, given.balance) == (0, 0, 0)
    assert given.other_name_masked == "李**"
    said = [(x.book.kind, x.amount, x.cause.zh) for x in s.lines]
    assert said == [  # newest first
        (PERSONAL, 1944_00, "未用完的共济额度退回"),
        (QUOTA_GIVEN, -1944_00,
         "给 李** 的额度退回你的个人账户（共济关系解除或钱包关闭）"),
        (QUOTA_GIVEN, -56_00, "亲属 李** 在 南阳大药房 结算"),
        (PERSONAL, 100_00, "给 李** 的转账未被接收，06:00 退回"),
        (PERSONAL, -100_00, "转账给 李**"),
        (PERSONAL, 300_00, "给 李** 的转账对方拒收，退回"),
        (PERSONAL, -300_00, "转账给 李**"),
        (QUOTA_GIVEN, 2000_00, "李** 接收了你的转账，计入其共济额度"),
        (PERSONAL, -2000_00, "转账给 李**"),
        (PERSONAL, 12000_00, "个人账户划入"),
    ]
    assert s.lines[2].cause.en == "李**'s settlement at 南阳大药房"
    assert s.lines[3].cause.en == "transfer to 李** not accepted: returned at 06:00"
    assert s.earlier is None and s.later is None


def test_the_mother_sees_the_quota_she_held(clinic: Clinic, clock: FixedClock) -> None:
    story(clinic, clock)
    s = statement.statement(clinic.app, clinic.fam["李秀英"].who)
    reproduces(s)
    assert [b.kind for b in s.books] == [QUOTA_HELD]
    assert s.books[0].other_name_masked == "张*"
    assert [(x.amount, x.cause.zh) for x in s.lines] == [
        (-1944_00, "共济关系解除，额度退回 张*"),
        (-56_00, "在 南阳大药房 结算"),
        (2000_00, "接收 张* 的转账"),
    ]


def test_a_month_at_a_time(clinic: Clinic, clock: FixedClock) -> None:
    fam, app = clinic.fam, clinic.app
    t = send(fam, 2000_00)
    transfers.respond(app, fam["李秀英"].who, key(), t.id, "accept")
    clock.set(shanghai(2027, 1, 3, 10, 0, 0))
    t = send(fam, 500_00)
    transfers.respond(app, fam["李秀英"].who, key(), t.id, "accept")
    who = fam["张伟"].who
    now = statement.statement(app, who)
    assert (now.month, now.earlier, now.later) == ("2027-01", "2026-11", None)
    reproduces(now)
    personal = next(b for b in now.books if b.kind == PERSONAL)
    assert (personal.opening, personal.closing) == (10000_00, 9500_00)
    before = statement.statement(app, who, "2026-11")
    reproduces(before)
    assert (before.earlier, before.later) == (None, "2027-01")
    personal = next(b for b in before.books if b.kind == PERSONAL)
    assert (personal.opening, personal.closing, personal.balance) == (0, 10000_00, 9500_00)
    empty = statement.statement(app, who, "2026-12")
    assert empty.lines == () and (empty.earlier, empty.later) == ("2026-11", "2027-01")
    assert statement.given_in.__name__  # the home page's read, covered by the page test


def test_only_the_person_or_their_proxy(clinic: Clinic) -> None:
    fam = clinic.fam
    with pytest.raises(GongjiError) as e:
        statement.statement(clinic.app, fam["王芳"].who, psn_no=fam["张伟"].psn_no)
    assert e.value.code in ("FORBIDDEN", "PROXY_NOT_ALLOWED")
    with pytest.raises(GongjiError) as e:
        statement.statement(clinic.app, Principal("institution", HENAN_PHARMACY))
    assert e.value.code == "FORBIDDEN"
    with pytest.raises(GongjiError) as e:
        statement.statement(clinic.app, fam["张伟"].who, "2026-13")
    assert e.value.code == "VALIDATION_ERROR"


def test_a_proxy_holder_reads_the_relatives_statement(clinic: Clinic,
                                                       clock: FixedClock) -> None:
    """亲情账户: the son holds a proxy for his mother and reads her statement; a stranger
    cannot."""
    from gongji.services.proxies import service as proxies

    story(clinic, clock)
    fam, app = clinic.fam, clinic.app
    son, ma = fam["张伟"], fam["李秀英"]
    p = proxies.request(app, son.who, key(), proxies.RequestProxy(
        ma.certno, ma.name, "parent")).value
    proxies.decide(app, ma.who, key(), p.id, True)
    s = statement.statement(app, son.who, psn_no=ma.psn_no)
    assert s.psn_no == ma.psn_no and s.name_masked == "李**"
    assert [b.kind for b in s.books] == [QUOTA_HELD]
    assert s.lines[1].cause.zh == "在 南阳大药房 结算"
    with pytest.raises(GongjiError):
        statement.statement(app, fam["张丽"].who, psn_no=ma.psn_no)
