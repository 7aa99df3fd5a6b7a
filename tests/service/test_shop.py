"""The demo online pharmacy (issue 19, points 1 and 6) on the seeded demo, on SQLite and
PostgreSQL: 李秀英 buys OTC drugs for herself; her son 张伟, holding a proxy for her, buys her a
prescription drug with his own PIN (her prescription from the internet hospital, his quota
used, the split mobilepay.quote showed); a cash part not paid leaves nothing; shipped boxes'
trace codes are hers; a refund puts every fen back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gongji.domain.access import Principal
from gongji.domain.clock import FixedClock
from gongji.domain.errors import GongjiError
from gongji.ledger.kinds import AccountKind, account_code
from gongji.services.demo.service import DEMO_PIN, FAMILY, certno_of, seed
from gongji.services.family import service as family
from gongji.services.mobilepay import service as mp
from gongji.services.people.service import person_by_certno
from gongji.services.prescriptions import service as prescriptions
from gongji.services.prescriptions.model import IssuePrescription, RxItemIn
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from gongji.services.shop import service as shop
from gongji.services.shop.model import HOSPITAL_CODE, MENU, RX_DRUG, SHOP_CODE, Cart
from gongji.services.tracing import service as tracing
from gongji.services.transfers import service as transfers
from gongji.services.wallet import service as wallet
from gongji.store.db import Database
from tests.conftest import refused
from tests.family import key
from tests.service.test_settlement import balance, ledger_ok

COLD, BANLANGEN = MENU[0][0], MENU[1][0]


class Demo:
    def __init__(self, app: Gongji, *, seeded: bool = False) -> None:
        self.app = app
        if not seeded:
            seed(app)
        self.psn = {}
        for p in FAMILY:
            found = app.read(lambda uow, p=p: person_by_certno(uow.conn, certno_of(p)))
            assert found is not None
            self.psn[p.name] = found.psn_no

    def who(self, name: str) -> Principal:
        return Principal("person", self.psn[name])

    def quota(self) -> int:
        return balance(self.app, account_code(AccountKind.WALLET_QUOTA,
                                              owner=self.psn["李秀英"], sponsor=self.psn["张伟"]))


@pytest.fixture
def demo(database: Database, clock: FixedClock) -> Demo:
    """The seeded demo in a sandbox (the shop ships, the cash channel can be told to fail),
    made ready."""
    return ready(Gongji(database, clock, sandbox=True))


def ready(app: Gongji, *, seeded: bool = False, quota: int = 30_00) -> Demo:
    """张伟 binds his mother, sends her 30.00 of quota (she accepts; less than her part of an
    order, so cash pays the rest) and holds a proxy for her."""
    d = Demo(app, seeded=seeded)
    wei, ma = d.who("张伟"), d.who("李秀英")
    wallet.open_wallet(app, wei, key(), wei.id)
    wallet.open_wallet(app, ma, key(), ma.id)
    b = family.request(app, wei, key(), family.RequestBinding(
        certno_of(FAMILY[3]), "李秀英", "sponsor", "parent")).value
    family.respond(app, ma, key(), b.id, True)
    t = transfers.send(app, wei, key(), transfers.SendTransfer(ma.id, quota), DEMO_PIN).value
    transfers.respond(app, ma, key(), t.id, "accept")
    p = proxies.request(app, wei, key(), proxies.RequestProxy(
        certno_of(FAMILY[3]), "李秀英", "parent")).value
    proxies.decide(app, ma, key(), p.id, True)
    return d


def mothers_cart(d: Demo, outcome: str = "pay") -> Cart:
    return Cart(d.psn["李秀英"], ((RX_DRUG, "2"), (BANLANGEN, "1")), outcome)


def test_the_demo_has_the_shop_its_items_and_the_mothers_prescription(demo: Demo) -> None:
    page = shop.catalog(demo.app, demo.who("张伟"), None)
    assert page.shop.fixmedins_code == SHOP_CODE and page.shop.admdvs == "411300"
    assert page.shop.wallet_supported
    assert [(i.name, i.needs_rx) for i in page.items] == [
        ("感冒清热颗粒", False), ("板蓝根颗粒", False), ("对乙酰氨基酚片", False),
        ("氯雷他定片", False), ("阿莫西林克拉维酸钾片", True)]
    assert [n for _, n in page.subjects] == ["张*", "李**"]
    assert [(r.name_masked, r.items) for r in page.prescriptions] == [
        ("李**", (("阿莫西林克拉维酸钾片", "2"),))]
    seed(demo.app)  # seeding again on the same day: the same prescription
    assert len(shop.catalog(demo.app, demo.who("张伟"), None).prescriptions) == 1


def test_she_buys_otc_drugs_for_herself(demo: Demo, database: Database) -> None:
    app, ma = demo.app, demo.who("李秀英")
    cart = Cart(ma.id, ((COLD, "1"), (BANLANGEN, "2")))
    page = shop.confirm(app, ma, cart)
    assert page.total == 15_80 + 2 * 11_50 and page.hi_rxno is None
    done = shop.checkout(app, ma, key(), cart, DEMO_PIN)
    assert not done.failed and done.order.ord_stas == "6"
    assert done.order.fee_sumamt == page.total
    assert (done.order.fund_pay, done.order.psn_acct_pay, done.order.own_pay_amt) == (
        page.quote.fund_pay, page.quote.acct_pay + page.quote.acct_mulaid_pay,
        page.quote.own_pay_amt)
    ledger_ok(database)


def test_the_son_buys_his_mothers_prescription_drug_and_gets_it_all_back(
        demo: Demo, database: Database) -> None:
    app, wei = demo.app, demo.who("张伟")
    before = demo.quota()
    page = shop.confirm(app, wei, mothers_cart(demo))
    assert page.hi_rxno is not None and page.for_name == "李**"
    q = page.quote
    assert q.fee_sumamt == page.total == 2 * 26_80 + 11_50
    assert q.acct_mulaid_pay == 30_00 and q.own_pay_amt > 0, "his quota, then cash"
    k = key()
    done = shop.checkout(app, wei, k, mothers_cart(demo), DEMO_PIN)
    o = done.order
    assert not done.failed and o.ord_stas == "6" and o.psn_no == demo.psn["李秀英"]
    assert o.authorized_by == wei.id and o.hi_rxno == page.hi_rxno
    assert (o.fund_pay, o.acct_mulaid_pay, o.own_pay_amt) == (
        q.fund_pay, q.acct_mulaid_pay, q.own_pay_amt)
    assert demo.quota() == before - q.acct_mulaid_pay
    assert shop.checkout(app, wei, k, mothers_cart(demo), DEMO_PIN).order == o, "retried"
    rx = prescriptions.get(app, wei, page.hi_rxno)
    assert rx.status == "filled"
    # a second order of the drug: the prescription is used
    refused(database, "RX_REQUIRED", lambda: shop.confirm(app, wei, mothers_cart(demo)))

    listed = shop.orders(app, wei)
    assert [(r.order.pay_ord_id, r.for_name) for r in listed.orders] == [(o.pay_ord_id, "李**")]
    shown = shop.order(app, wei, o.pay_ord_id)
    assert shown.explanation is not None and shown.explanation.total == o.fee_sumamt
    assert shown.can_refund and shown.can_ship and shown.traces == ()
    shipped = shop.ship(app, wei, key(), o.pay_ord_id)
    assert shipped.shipped_at is not None
    shown = shop.order(app, wei, o.pay_ord_id)
    assert len(shown.traces) == 3 and not shown.can_ship
    assert all(len(t.code) == 20 and t.code.startswith("8") for t in shown.traces)
    checked = tracing.query(app, demo.who("李秀英"), shown.traces[0].code)
    assert checked.outcome == "sold_to_you", checked

    back = shop.refund(app, wei, key(), o.pay_ord_id)
    assert back.ord_stas == "7" and demo.quota() == before
    assert [r.totl_refd_amt for r in back.refunds] == [o.fee_sumamt]
    assert prescriptions.get(app, wei, page.hi_rxno).status == "issued", "given back"
    assert not shop.order(app, wei, o.pay_ord_id).can_refund
    ledger_ok(database)


@pytest.mark.parametrize("outcome", ["fail", "timeout"])
def test_a_cash_part_not_paid_leaves_nothing(demo: Demo, database: Database,
                                             outcome: str) -> None:
    app, wei = demo.app, demo.who("张伟")
    before = demo.quota()
    done = shop.checkout(app, wei, key(), mothers_cart(demo, outcome), DEMO_PIN)
    assert done.failed and done.order.ord_stas == "15"
    assert demo.quota() == before
    shown = shop.order(app, wei, done.order.pay_ord_id)
    assert shown.explanation is None and not shown.can_refund and not shown.can_ship
    rx = prescriptions.list_for(app, wei, demo.psn["李秀英"])
    assert [r.status for r in rx] == ["issued"], "the prescription is still hers to use"
    ledger_ok(database)


def test_refusals_write_nothing(demo: Demo, database: Database) -> None:
    app, wei, fang = demo.app, demo.who("张伟"), demo.who("王芳")
    # no prescription for 王芳; and she holds no proxy for 李秀英
    refused(database, "RX_REQUIRED", lambda: shop.checkout(
        app, fang, key(), Cart(fang.id, ((RX_DRUG, "1"),)), DEMO_PIN))
    refused(database, "FORBIDDEN", lambda: shop.checkout(
        app, fang, key(), mothers_cart(demo), DEMO_PIN))
    # more than the prescription names
    refused(database, _over(app, demo), lambda: shop.confirm(
        app, wei, Cart(demo.psn["李秀英"], ((RX_DRUG, "3"),))))
    refused(database, "FEE_LINES_EMPTY", lambda: shop.confirm(
        app, wei, Cart(wei.id, ((COLD, "0"),))))
    refused(database, "SHOP_QUANTITY_INVALID", lambda: shop.confirm(
        app, wei, Cart(wei.id, ((COLD, "1.5"),))))
    refused(database, "SHOP_ITEM_NOT_SOLD", lambda: shop.confirm(
        app, wei, Cart(wei.id, (("XJ01CAA040B001010215467", "1"),))))
    with pytest.raises(GongjiError) as e:
        shop.checkout(app, wei, key(), mothers_cart(demo), "000000")
    assert e.value.code == "PIN_WRONG"
    assert mp.orders(app, wei, demo.psn["李秀英"]) == []
    assert mp.authorizations(app, wei, demo.psn["李秀英"]) == []


def _over(app: Gongji, demo: Demo) -> str:
    """The code a prescription names too few boxes with (the rules' own)."""
    from gongji.domain import prescriptions as rules
    from gongji.services.prescriptions import store

    rx = app.read(lambda uow: store.of_person(uow.conn, demo.psn["李秀英"]))[0]
    try:
        rules.check_fill(rx, demo.psn["李秀英"], [(RX_DRUG, Decimal(3))], app.clock.now())
    except GongjiError as e:
        return e.code
    raise AssertionError("3 boxes fit a prescription of 2")


def test_a_second_prescription_from_the_internet_hospital(demo: Demo) -> None:
    """The hospital may prescribe again: the shop finds whichever open one covers the cart."""
    app = demo.app
    prescriptions.issue(app, Principal("institution", HOSPITAL_CODE), key(), IssuePrescription(
        (RxItemIn(RX_DRUG, Decimal(4)),), psn_no=demo.psn["李秀英"]))
    page = shop.confirm(app, demo.who("张伟"), Cart(demo.psn["李秀英"], ((RX_DRUG, "4"),)))
    assert page.hi_rxno is not None
