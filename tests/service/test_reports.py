"""The console's report queries, on SQLite and PostgreSQL, with figures computed from what each
test did: wallets opened, transfers and their outcomes, refusals, settlements by region,
clearing positions, and Shanghai business days at the UTC boundary."""

from __future__ import annotations

import re
from datetime import date

import pytest

from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.errors import GongjiError
from gongji.services.auth import service as auth
from gongji.services.clearing import service as clearing
from gongji.services.ledger import service as ledger
from gongji.services.reports import service as reports
from gongji.services.runtime import Gongji
from gongji.services.transfers import service as transfers
from gongji.services.wallet import service as wallet
from gongji.store.db import Database
from tests.clinic import CLINIC, HENAN_HOSPITAL, HOSPITAL, S_A, Clinic, open_clinic
from tests.conftest import OPERATOR, refused
from tests.family import PIN, Family, key, make_family

D23, D24, D25, D26 = (date(2026, 11, d) for d in (23, 24, 25, 26))


@pytest.fixture
def fam(app: Gongji) -> Family:
    return make_family(app)


def send(fam: Family, amount: int, pin: str = PIN) -> transfers.TransferView:
    return transfers.send(fam.app, fam["张伟"].who, key("t"),
                          transfers.SendTransfer(fam["李秀英"].psn_no, amount), pin).value


def respond(fam: Family, t: transfers.TransferView, action: str, who: str = "李秀英") -> None:
    transfers.respond(fam.app, fam[who].who, key("r"), t.id, action)  # type: ignore[arg-type]


@pytest.fixture
def story(fam: Family, clock: FixedClock) -> Family:
    """Two business days of a family's wallet (the clock starts 2026-11-24 10:00 Shanghai):

    24th: 张伟 and 李秀英 open wallets and bind; he sends 500.00 (she accepts), 300.00 (she
    refuses), 200.00 (left waiting). 25th: at 00:30 Shanghai (still the 24th in UTC) 王芳 opens
    her wallet; at 07:00 the 200.00 has come back; 李秀英 closes her wallet and opens it again;
    he sends 100.00 and takes it back.
    """
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    fam.bind("张伟", "李秀英", "parent")
    respond(fam, send(fam, 500_00), "accept")
    respond(fam, send(fam, 300_00), "reject")
    send(fam, 200_00)
    clock.set(shanghai(2026, 11, 25, 0, 30))
    fam.open_wallet("王芳")
    clock.set(shanghai(2026, 11, 25, 7, 0))
    assert len(ledger.sweep_expired(fam.app)) == 1
    li = fam["李秀英"]
    wallet.close_wallet(fam.app, li.who, key("close"), li.psn_no)
    fam.open_wallet("李秀英")
    clock.set(shanghai(2026, 11, 25, 10, 0))
    respond(fam, send(fam, 100_00), "cancel", who="张伟")
    return fam


def test_wallets_opened_per_shanghai_day_every_opening_counted(story: Family) -> None:
    opened = reports.wallets_opened(story.app, OPERATOR, D23, D26)
    # the 24th: 张伟 and 李秀英; the 25th: 王芳 at 00:30 (16:30 UTC on the 24th) and 李秀英
    # opening again after closing
    assert [(d.day, d.count) for d in opened] == [(D23, 0), (D24, 2), (D25, 2), (D26, 0)]
    assert [d.count for d in reports.wallets_opened(story.app, OPERATOR, D25, D25)] == [2]


def test_transfers_per_day_and_what_was_accepted(story: Family) -> None:
    rows = reports.transfers_by_day(story.app, OPERATOR, D24, D26)
    assert [(r.day, r.count, r.amount, r.accepted_count, r.accepted_amount) for r in rows] == [
        (D24, 3, 1000_00, 1, 500_00),
        (D25, 1, 100_00, 0, 0),
        (D26, 0, 0, 0, 0),
    ]


def test_how_transfers_ended(story: Family) -> None:
    both = {o.status: (o.count, o.amount) for o in reports.transfer_outcomes(
        story.app, OPERATOR, D24, D25)}
    assert both == {"accepted": (1, 500_00), "pending": (0, 0), "returned": (1, 200_00),
                    "rejected": (1, 300_00), "cancelled": (1, 100_00), "unbound": (0, 0)}
    only_25 = {o.status: o.count
               for o in reports.transfer_outcomes(story.app, OPERATOR, D25, D25)}
    assert only_25 == {"accepted": 0, "pending": 0, "returned": 0, "rejected": 0,
                       "cancelled": 1, "unbound": 0}


def test_refusals_persistent_counts_and_process_metrics(fam: Family,
                                                        database: Database) -> None:
    app, zw = fam.app, fam["张伟"]
    auth.request_code(app, zw.certno)
    body = auth.read_outbox(app, OPERATOR, psn_no=zw.psn_no, limit=1)[0].body
    code = re.search(r"验证码是 (\d+)", body)
    assert code is not None
    wrong = "000000" if code.group(1) != "000000" else "111111"
    with pytest.raises(GongjiError):
        auth.login(app, zw.certno, wrong)
    auth.login(app, zw.certno, code.group(1))
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    fam.bind("张伟", "李秀英", "parent")
    before = dict(reports.refusals_since_start())
    refused(database, "TRANSFER_AMOUNT_OVER_LIMIT", lambda: send(fam, 2000_01))
    with pytest.raises(GongjiError) as e:
        send(fam, 100_00, pin="999999")
    assert e.value.code == "PIN_WRONG"

    s = reports.security(app, OPERATOR, D24, D24)
    assert (s.login_codes_sent, s.wrong_login_codes, s.wrong_pins_now, s.pins_locked_now) == \
        (1, 1, 1, 0)
    assert reports.security(app, OPERATOR, D25, D25).login_codes_sent == 0
    after = dict(reports.refusals_since_start())
    assert after["TRANSFER_AMOUNT_OVER_LIMIT"] == before.get("TRANSFER_AMOUNT_OVER_LIMIT",
                                                              0) + 1
    # nothing of a refused transfer is in the database: no row, no audit record
    assert [r.count for r in reports.transfers_by_day(app, OPERATOR, D24, D24)] == [0]


def settle(c: Clinic, name: str, at: str, yuan: str):  # type: ignore[no-untyped-def]
    v = c.visit(name, at=at, med_type="11")
    c.fees(v, (S_A, "1", yuan))
    return c.settle(v, name)


def test_settlements_fund_outlays_and_clearing_by_region(app: Gongji) -> None:
    from gongji.services.settlement import service as svc

    c = open_clinic(make_family(app))
    c.file_away("李秀英", "510000")
    c.file_away("张伟", "410000")
    henan_in_chengdu = settle(c, "李秀英", HOSPITAL, "1000")
    chengdu_in_henan = settle(c, "张伟", HENAN_HOSPITAL, "300")
    chengdu_at_home = settle(c, "张伟", CLINIC, "50")
    cancelled = settle(c, "王芳", CLINIC, "70")
    svc.cancel(app, c.inst(CLINIC), key(), cancelled.setl_id or "")

    by_region = {r.admdvs: r for r in reports.settlements_by_region(app, OPERATOR, D24, D24)}
    assert set(by_region) == {"411300", "510100"}
    for admdvs, mine in (("411300", [henan_in_chengdu]),
                         ("510100", [chengdu_in_henan, chengdu_at_home])):
        r = by_region[admdvs]
        assert r.count == len(mine)
        for f in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "acct_mulaid_pay",
                  "psn_cash_pay"):
            assert getattr(r, f) == sum(getattr(s, f) for s in mine), (admdvs, f)
    assert by_region["411300"].medfee_sumamt == 1000_00
    assert by_region["510100"].medfee_sumamt == 350_00
    assert by_region["411300"].fund_pay_sumamt > 0  # the fund paid some of it
    assert reports.settlements_by_region(app, OPERATOR, D25, D26) == []

    owes_henan = henan_in_chengdu.medfee_sumamt - henan_in_chengdu.psn_cash_pay
    owes_chengdu = chengdu_in_henan.medfee_sumamt - chengdu_in_henan.psn_cash_pay
    pairs = clearing.statement(app, OPERATOR, "2026-11")
    positions = {p.admdvs: p for p in reports.positions(pairs)}
    assert {a: (p.owes, p.owed, p.net) for a, p in positions.items()} == {
        "411300": (owes_henan, owes_chengdu, owes_chengdu - owes_henan),
        "510100": (owes_chengdu, owes_henan, owes_henan - owes_chengdu),
    }
    assert sum(p.net for p in positions.values()) == 0


def test_a_day_starts_at_midnight_in_shanghai_not_utc(fam: Family, clock: FixedClock) -> None:
    clock.set(shanghai(2026, 11, 24, 23, 59, 59))   # 15:59:59 UTC on the 24th
    fam.open_wallet("张伟")
    clock.set(shanghai(2026, 11, 25, 0, 0, 0))      # 16:00:00 UTC on the 24th
    fam.open_wallet("王芳")
    clock.set(shanghai(2026, 11, 25, 7, 59, 59))    # 23:59:59 UTC on the 24th
    fam.open_wallet("李秀英")
    assert [d.count for d in reports.wallets_opened(fam.app, OPERATOR, D24, D25)] == [1, 2]


@pytest.mark.parametrize(("start", "end", "field"), [
    (D25, D24, "end (before start)"),
    (date(2025, 1, 1), date(2026, 1, 2), "end (at most 366 days)"),  # 367 days
])
def test_a_bad_range_is_refused(app: Gongji, start: date, end: date, field: str) -> None:
    for run in (reports.wallets_opened, reports.transfers_by_day, reports.transfer_outcomes,
                reports.security, reports.settlements_by_region):
        with pytest.raises(GongjiError) as e:
            run(app, OPERATOR, start, end)
        assert (e.value.code, e.value.params["fields"]) == ("VALIDATION_ERROR", field)
    reports.check_range(date(2025, 1, 1), date(2026, 1, 1))  # 366 days: allowed
