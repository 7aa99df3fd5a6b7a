"""Online purchase with 医保 (issue 19): a son orders medicine for his mother in another
province, authorizes with his PIN, the pharmacy uploads (6201), pays (6202), queries (6301)
and refunds (6203); the split is the counter's to the fen, the refund puts every fen back, and
a failed cash part leaves nothing behind. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from gongji.domain.clock import FixedClock
from gongji.domain.errors import GongjiError
from gongji.ledger.kinds import AccountKind, account_code
from gongji.services.cashpay import service as channel
from gongji.services.catalog import service as catalog
from gongji.services.family import service as family
from gongji.services.mobilepay import service as mp
from gongji.services.mobilepay.model import (
    Authorize,
    OrderItem,
    Pay,
    RefundAsk,
    Shipped,
    Upload,
)
from gongji.services.notify import service as notify
from gongji.services.prescriptions import service as prescriptions
from gongji.services.prescriptions.model import IssuePrescription, RxItemIn
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.settlement.model import FeeIn
from gongji.services.transfers import service as transfers
from gongji.store.db import Database
from tests.clinic import D_B, HENAN_HOSPITAL, HENAN_PHARMACY, Clinic, open_clinic, trace
from tests.conftest import OPERATOR, refused
from tests.family import PIN, key, make_family
from tests.service.test_settlement import balance, ledger_ok

D_OTC = "XR05DAA010A001010100001"  # an OTC cough medicine, class A: no prescription online
ITEMS = (OrderItem(D_B, "2", "30", "乙类药"), OrderItem(D_OTC, "1", "12.5", "止咳糖浆"))
TOTAL = 2 * 30_00 + 12_50


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    return ready(open_clinic(make_family(app)))


def ready(c: Clinic) -> Clinic:
    """张伟 sends his mother 100.00 of quota through the wallet and holds a proxy for her; the
    catalog has an OTC syrup."""
    app, fam = c.app, c.fam
    catalog.import_rows(app, OPERATOR, "000000", [(2, {
        "med_list_codg": D_OTC, "name": "止咳糖浆", "list_type": "101", "med_chrgitm_type": "09",
        "chrgitm_lv": "01", "selfpay_prop": "", "pric_uplmt_amt": "", "lmt_used_flag": "0",
        "otc_flag": "1"})], begndate=date(2024, 1, 1), version="otc")
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    fam.bind("张伟", "李秀英", "parent")
    t = transfers.send(app, fam["张伟"].who, key(), transfers.SendTransfer(
        fam["李秀英"].psn_no, 100_00), PIN).value
    transfers.respond(app, fam["李秀英"].who, key(), t.id, "accept")
    p = proxies.request(app, fam["张伟"].who, key(), proxies.RequestProxy(
        fam["李秀英"].certno, fam["李秀英"].name, "parent")).value
    proxies.decide(app, fam["李秀英"].who, key(), p.id, True)
    return c


def order(c: Clinic, ord_no: str = "WX-1", items: tuple[OrderItem, ...] = ITEMS,
          total: int = TOTAL) -> Authorize:
    return Authorize(c.fam["李秀英"].psn_no, HENAN_PHARMACY, ord_no, items, total)


def lines(items: tuple[OrderItem, ...] = ITEMS) -> tuple[FeeIn, ...]:
    return tuple(Clinic.line((i.med_list_codg, i.cnt, i.pric), n)
                 for n, i in enumerate(items))


def no_traces(f: FeeIn) -> FeeIn:
    return replace(f, trace_codes=())


def prescribe(c: Clinic, items: tuple[OrderItem, ...] = ITEMS) -> str:
    """The internet hospital's electronic prescription for the order's prescription drug."""
    return prescriptions.issue(c.app, c.inst(HENAN_HOSPITAL), key("rx"), IssuePrescription(
        tuple(RxItemIn(i.med_list_codg, Decimal(i.cnt)) for i in items
              if i.med_list_codg != D_OTC), psn_no=c.fam["李秀英"].psn_no)).value.hi_rxno


def upload(c: Clinic, auth_no: str, ord_no: str = "WX-1",
           items: tuple[OrderItem, ...] = ITEMS, hi_rxno: str | None = None) -> mp.PayOrderView:
    fees = tuple(no_traces(f) for f in lines(items))
    return mp.upload(c.app, c.inst(HENAN_PHARMACY), key("u"), Upload(
        auth_no, ord_no, "41", fees, sum(f.det_item_fee_sumamt for f in fees),
        hi_rxno=hi_rxno or prescribe(c, items), notify_url="http://127.0.0.1:9/notify")).value


def authorize(c: Clinic, ord_no: str = "WX-1") -> str:
    zw = c.fam["张伟"]
    return mp.authorize(c.app, zw.who, key("a"), order(c, ord_no), PIN).value.pay_auth_no


def quota(c: Clinic) -> int:
    return balance(c.app, account_code(AccountKind.WALLET_QUOTA, owner=c.fam["李秀英"].psn_no,
                                       sponsor=c.fam["张伟"].psn_no))


def test_the_son_pays_for_his_mother_as_the_counter_would_and_the_refund_puts_it_back(
        clinic: Clinic, database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    ma = clinic.fam["李秀英"]
    # what the counter would take for the same items, computed and rolled back
    counter = svc.quote_purchase(app, inst, svc.OpenVisit(
        svc.Credential("02", ma.certno), "390", "41"), lines(),
        svc.SettleAsk(svc.Credential("02", ma.certno)))
    quote = mp.quote(app, clinic.fam["张伟"].who, order(clinic))
    assert (quote.fund_pay, quote.acct_mulaid_pay, quote.own_pay_amt) == (
        counter.fund_pay_sumamt, counter.acct_mulaid_pay, counter.psn_cash_pay)
    a = mp.authorize(app, clinic.fam["张伟"].who, key("a"), order(clinic), PIN).value
    assert (a.psn_no, a.authorized_by, a.fee_sumamt) == (
        ma.psn_no, clinic.fam["张伟"].psn_no, TOTAL)
    assert a.expires_at - a.created_at == timedelta(minutes=10)
    up = upload(clinic, a.pay_auth_no)
    assert up.ord_stas == "1" and up.pay_token
    assert (up.fee_sumamt, up.fund_pay, up.acct_mulaid_pay, up.own_pay_amt) == (
        TOTAL, counter.fund_pay_sumamt, counter.acct_mulaid_pay, counter.psn_cash_pay)
    assert up.acct_mulaid_pay > 0 and up.own_pay_amt > 0  # quota and cash both take a part
    before_quota = quota(clinic)
    paid = mp.pay(app, inst, Pay(a.pay_auth_no, up.pay_ord_id, up.pay_token or ""))
    assert paid.ord_stas == "6" and paid.cash_state == "paid"
    assert paid.fund_pay + paid.psn_acct_pay + paid.own_pay_amt == paid.fee_sumamt == TOTAL
    assert quota(clinic) == before_quota - paid.acct_mulaid_pay
    # paid again, by any message: the same paid order, nothing moved twice
    assert mp.pay(app, inst, Pay(a.pay_auth_no, up.pay_ord_id, up.pay_token or "")) == paid
    assert quota(clinic) == before_quota - paid.acct_mulaid_pay
    assert mp.query(app, inst, up.pay_ord_id).ord_stas == "6"
    back = mp.refund(app, inst, RefundAsk(up.pay_ord_id, "R1", "ALL", TOTAL,
                                          cash_refd_amt=paid.own_pay_amt))
    assert back.ord_stas == "7" and back.cash_state == "refunded"
    assert [(r.totl_refd_amt, r.cash_refd_amt, r.psn_acct_refd_amt, r.fund_refd_amt)
            for r in back.refunds] == [(TOTAL, paid.own_pay_amt, paid.psn_acct_pay,
                                        paid.fund_pay)]
    assert quota(clinic) == before_quota
    # the same refund again answers the same; nothing more goes back
    assert mp.refund(app, inst, RefundAsk(up.pay_ord_id, "R1", "ALL", TOTAL)) == back
    assert balance(app, f"PERSONAL/{clinic.fam['张伟'].psn_no}") == 12_000_00 - 100_00
    ledger_ok(database)


@pytest.mark.parametrize("mode", ["fail", "timeout"])
def test_a_cash_part_not_paid_leaves_nothing_behind(clinic: Clinic, database: Database,
                                                    mode: str) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    before = quota(clinic)
    channel.next_outcome(app, mode)
    with pytest.raises(GongjiError) as e:
        mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    assert e.value.code == "CASH_PAYMENT_FAILED"
    after = mp.query(app, inst, up.pay_ord_id)
    assert after.ord_stas == "15" and after.cash_state == "failed"
    assert quota(clinic) == before
    page = mp.order_page(app, clinic.fam["张伟"].who, up.pay_ord_id)
    assert page.settlement is not None and page.settlement.status == "cancelled"
    assert mp.reconcile(app) == 0  # nothing arrived late: nothing to give back
    ledger_ok(database)


def test_a_late_cash_success_is_refunded(clinic: Clinic, database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    channel.next_outcome(app, "late")
    with pytest.raises(GongjiError):
        mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    assert mp.reconcile(app) == 1
    with app.db.read() as conn:
        from gongji.services.cashpay import store as cash
        reqs = cash.requests_of(conn, up.pay_ord_id)
    assert [(r.kind, r.state, r.amount) for r in reqs] == [
        ("pay", "paid", up.own_pay_amt), ("refund", "paid", up.own_pay_amt)]
    assert mp.reconcile(app) == 0
    ledger_ok(database)


def test_the_authorization_binds_person_institution_and_order(clinic: Clinic,
                                                              database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    zw, ma, wf = clinic.fam["张伟"], clinic.fam["李秀英"], clinic.fam["王芳"]
    # a stranger may not authorize for her; a wrong PIN costs an attempt, writes no auth
    refused(database, "FORBIDDEN", lambda: mp.authorize(app, wf.who, key(), order(clinic),
                                                        PIN))
    with pytest.raises(GongjiError) as e:
        mp.authorize(app, zw.who, key(), order(clinic), "000000")
    assert e.value.code == "PIN_WRONG"
    refused(database, "PAY_AUTH_MISMATCH", lambda: mp.authorize(
        app, zw.who, key(), order(clinic, total=TOTAL + 1), PIN))
    a = authorize(clinic)
    fees = tuple(no_traces(f) for f in lines())
    refused(database, "PAY_AUTH_NOT_FOUND", lambda: mp.upload(
        app, clinic.inst("P51010000001"), key(), Upload(a, "WX-1", "41", fees, TOTAL)))
    refused(database, "PAY_AUTH_MISMATCH", lambda: mp.upload(
        app, inst, key(), Upload(a, "WX-2", "41", fees, TOTAL)))
    fewer = fees[:1]
    refused(database, "PAY_AUTH_MISMATCH", lambda: mp.upload(
        app, inst, key(), Upload(a, "WX-1", "41", fewer, fewer[0].det_item_fee_sumamt)))
    up = upload(clinic, a)
    assert up.psn_no == ma.psn_no
    # the same order again (another message): the same order and token
    assert upload(clinic, a) == up
    refused(database, "PAY_TOKEN_INVALID", lambda: mp.pay(app, inst, Pay(a, up.pay_ord_id,
                                                                         "0" * 32)))
    # a second order with the used authorization
    refused(database, "PAY_AUTH_USED", lambda: mp.upload(
        app, inst, key(), Upload(a, "WX-3", "41", fees, TOTAL)))


def test_an_authorization_expires_at_ten_minutes_to_the_second(clinic: Clinic,
                                                               database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    assert isinstance(app.clock, FixedClock)
    start = app.clock.now()
    a = authorize(clinic, "WX-E1")
    b = authorize(clinic, "WX-E2")
    app.clock.set(start + timedelta(minutes=10) - timedelta(seconds=1))
    assert upload(clinic, a, "WX-E1").ord_stas == "1"
    app.clock.set(start + timedelta(minutes=10))
    fees = tuple(no_traces(f) for f in lines())
    refused(database, "PAY_AUTH_EXPIRED", lambda: mp.upload(
        app, inst, key(), Upload(b, "WX-E2", "41", fees, TOTAL)))


def test_cancel_an_upload_before_payment(clinic: Clinic, database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    done = mp.cancel_upload(app, inst, key(), up.pay_ord_id, up.pay_token or "").value
    assert done.ord_stas == "12"
    refused(database, "PAY_ORDER_STATE", lambda: mp.pay(
        app, inst, Pay(a, up.pay_ord_id, up.pay_token or "")))
    ledger_ok(database)


def test_a_refund_of_one_line_gives_back_what_that_line_took(clinic: Clinic,
                                                            database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    # what the order would have cost without the second line
    ma = clinic.fam["李秀英"]
    one = svc.quote_purchase(app, inst, svc.OpenVisit(svc.Credential("02", ma.certno), "390",
                                                      "41"), lines(ITEMS[:1]),
                             svc.SettleAsk(svc.Credential("02", ma.certno)))
    paid = mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    # a wrong amount is refused with the right one named, nothing written
    e = refused(database, "REFUND_AMOUNT_MISMATCH", lambda: mp.refund(
        app, inst, RefundAsk(up.pay_ord_id, "R2", "ALL", 1, feedetl_sns=("2",))))
    assert e.params["due"] == "12.50"
    left = mp.refund(app, inst, RefundAsk(up.pay_ord_id, "R2", "ALL", 12_50,
                                          feedetl_sns=("2",)))
    assert left.ord_stas == "6" and left.fee_sumamt == 60_00
    assert (left.fund_pay, left.acct_mulaid_pay, left.own_pay_amt) == (
        one.fund_pay_sumamt, one.acct_mulaid_pay, one.psn_cash_pay)
    r = left.refunds[0]
    assert (r.cash_refd_amt, r.psn_acct_refd_amt, r.fund_refd_amt) == (
        paid.own_pay_amt - left.own_pay_amt, paid.psn_acct_pay - left.psn_acct_pay,
        paid.fund_pay - left.fund_pay)
    ledger_ok(database)


def test_refunds_of_a_part_only_are_refused(clinic: Clinic, database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    paid = mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    refused(database, "REFUND_TYPE_UNSUPPORTED", lambda: mp.refund(
        app, inst, RefundAsk(up.pay_ord_id, "R3", "CASH", paid.own_pay_amt)))
    refused(database, "PAY_ORDER_NOT_FOUND", lambda: mp.refund(
        app, clinic.inst("P51010000001"), RefundAsk(up.pay_ord_id, "R3", "ALL", TOTAL)))


def test_a_binding_ended_sends_refunded_quota_home(clinic: Clinic, database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    zw = clinic.fam["张伟"]
    a = authorize(clinic)
    up = upload(clinic, a)
    mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    b = next(x for x in family.list_for(app, zw.who, zw.psn_no) if x.status == "active")
    family.end(app, zw.who, key(), b.id)
    mp.refund(app, inst, RefundAsk(up.pay_ord_id, "R4", "ALL", TOTAL))
    assert quota(clinic) == 0
    assert balance(app, f"PERSONAL/{zw.psn_no}") == 12_000_00
    ledger_ok(database)


def test_prescription_drugs_need_the_prescription_once_and_otc_needs_none(
        clinic: Clinic, database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    fees = tuple(no_traces(f) for f in lines())
    a = authorize(clinic)
    e = refused(database, "RX_REQUIRED", lambda: mp.upload(
        app, inst, key(), Upload(a, "WX-1", "41", fees, TOTAL)))
    assert D_B in str(e.params)
    otc = (ITEMS[1],)
    b = mp.authorize(app, clinic.fam["张伟"].who, key(), order(clinic, "WX-OTC", otc, 12_50),
                     PIN).value.pay_auth_no
    only = mp.upload(app, inst, key(), Upload(b, "WX-OTC", "41", tuple(
        no_traces(f) for f in lines(otc)), 12_50)).value
    assert only.hi_rxno is None and only.ord_stas == "1"
    rx = prescribe(clinic)
    up = upload(clinic, a, hi_rxno=rx)
    paid = mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    assert prescriptions.get(app, clinic.inst(HENAN_HOSPITAL), rx).status == "filled"
    c = authorize(clinic, "WX-AGAIN")
    fees2 = tuple(no_traces(f) for f in lines())
    refused(database, "RX_ALREADY_FILLED", lambda: mp.pay(app, inst, Pay(
        c, mp.upload(app, inst, key(), Upload(c, "WX-AGAIN", "41", fees2, TOTAL,
                                              hi_rxno=rx)).value.pay_ord_id, "x")))
    # refunded, the prescription can be filled again while it is valid
    mp.refund(app, inst, RefundAsk(up.pay_ord_id, "R1", "ALL", paid.fee_sumamt))
    assert prescriptions.get(app, clinic.inst(HENAN_HOSPITAL), rx).status == "issued"


def test_the_payment_is_refused_once_the_authorization_expired(clinic: Clinic,
                                                               database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    assert isinstance(app.clock, FixedClock)
    start = app.clock.now()
    a, b = authorize(clinic, "WX-P1"), authorize(clinic, "WX-P2")
    one, two = upload(clinic, a, "WX-P1"), upload(clinic, b, "WX-P2")
    app.clock.set(start + timedelta(minutes=10) - timedelta(seconds=1))
    assert mp.pay(app, inst, Pay(a, one.pay_ord_id, one.pay_token or "")).ord_stas == "6"
    app.clock.set(start + timedelta(minutes=10))
    refused(database, "PAY_AUTH_EXPIRED", lambda: mp.pay(
        app, inst, Pay(b, two.pay_ord_id, two.pay_token or "")))
    # the order paid before keeps its state when asked again after the expiry
    assert mp.pay(app, inst, Pay(a, one.pay_ord_id, one.pay_token or "")).ord_stas == "6"


def test_shipped_boxes_stay_sold_after_a_refund_of_another_line(clinic: Clinic,
                                                                database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    codes = (trace(), trace())
    syrup = trace()
    e = refused(database, "TRACE_CODE_MISSING", lambda: mp.ship(
        app, inst, key(), up.pay_ord_id, Shipped((("1", codes),))))
    assert e.params["feedetl_sn"] == "2"
    shipped = mp.ship(app, inst, key(), up.pay_ord_id,
                      Shipped((("1", codes), ("2", (syrup,))))).value
    assert shipped.shipped_at is not None
    page = mp.order_page(app, clinic.fam["张伟"].who, up.pay_ord_id)
    assert sorted(t.code for t in page.traces) == sorted((*codes, syrup))
    # the same boxes cannot be sold again at the counter
    ma = clinic.fam["李秀英"]
    v = clinic.visit("李秀英", at=HENAN_PHARMACY, med_type="41")
    svc.upload_fees(app, inst, key(), v.mdtrt_id, (svc.FeeIn("1", D_B, "1", "30", 30_00,
                                                             trace_codes=(codes[0],)),))
    refused(database, "TRACE_CODE_SOLD", lambda: svc.settle(
        app, inst, key(), v.mdtrt_id, svc.SettleAsk(svc.Credential("02", ma.certno))))
    # the syrup goes back: the two boxes kept stay sold to her, the syrup's box is free
    left = mp.refund(app, inst, RefundAsk(up.pay_ord_id, "R5", "ALL", 12_50,
                                          feedetl_sns=("2",)))
    page = mp.order_page(app, clinic.fam["张伟"].who, up.pay_ord_id)
    assert left.setl_id != shipped.setl_id
    assert sorted(t.code for t in page.traces) == sorted(codes)
    ledger_ok(database)


def test_each_state_change_is_notified_once_in_order(clinic: Clinic) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    mp.ship(app, inst, key(), up.pay_ord_id, Shipped((("1", (trace(), trace())),
                                                     ("2", (trace(),)))))
    mp.refund(app, inst, RefundAsk(up.pay_ord_id, "R6", "ALL", TOTAL))
    mp.refund(app, inst, RefundAsk(up.pay_ord_id, "R6", "ALL", TOTAL))  # a retry: no notice
    sent = [json.loads(n.body) for n in notify.list_for(app, OPERATOR, up.pay_ord_id)]
    assert [(b["event"], b["ordStas"]) for b in sent] == [
        ("uploaded", "1"), ("paying", "2"), ("paid", "6"), ("shipped", "6"),
        ("refunded", "7")]
    assert len({b["notifyId"] for b in sent}) == 5
    assert all(b["payOrdId"] == up.pay_ord_id and b["feeSumamt"] == "72.50" for b in sent)
