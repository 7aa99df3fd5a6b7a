"""Settlement through the services on both databases, figures worked out by hand."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gongji.domain.access import ANONYMOUS
from gongji.domain.catalog import ratio_text
from gongji.domain.clock import FixedClock
from gongji.domain.errors import GongjiError
from gongji.ledger.kinds import AccountKind, account_code
from gongji.ledger.verify import verify
from gongji.services.credentials import service as credentials
from gongji.services.family import service as family
from gongji.services.filing import service as filing
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.tracing import service as tracing
from gongji.services.transfers import service as transfers
from gongji.services.wallet import service as wallet
from gongji.store.db import Database
from gongji.store.tables import accumulators, fee_details, stay_accumulators
from tests.clinic import (
    CLINIC,
    D_B,
    D_C,
    D_L,
    HENAN_PHARMACY,
    HOSPITAL,
    PHARMACY,
    S_A,
    S_B,
    Clinic,
    open_clinic,
    trace,
)
from tests.conftest import OPERATOR, refused, table_counts
from tests.family import PIN, key, make_family


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    return open_clinic(make_family(app))


def balance(app: Gongji, code: str) -> int:
    acc = app.read(lambda uow: uow.ledger.account_by_code(code))
    return acc.balance if acc else 0


def acc_rows(app: Gongji) -> dict[tuple[str, str], int]:
    def run(uow):  # type: ignore[no-untyped-def]
        return {(r.psn_no, r.name): int(r.value) for r in uow.conn.execute(
            select(accumulators))} | {(r.mdtrt_id, r.name): int(r.value)
                                      for r in uow.conn.execute(select(stay_accumulators))}
    return app.read(run)


def ledger_ok(database: Database) -> None:
    with database.read() as conn:
        report = verify(conn)
    assert report.ok, report.violations


# -- the worked example --------------------------------------------------------------------

def test_inpatient_settlement_to_the_fen(clinic: Clinic, database: Database) -> None:
    app, zw = clinic.app, clinic.fam["张伟"]
    v = clinic.visit("张伟")
    assert (v.care, v.out_of_area, v.first_stay) == ("inpatient", False, True)
    lines = clinic.fees(v, (S_A, "1", "20000"), (S_B, "1", "6000"), (D_B, "2", "30"),
                        (D_C, "1", "12"))
    assert [(x.fulamt_ownpay_amt, x.overlmt_amt, x.preselfpay_amt, x.inscp_scp_amt)
            for x in lines] == [(0, 0, 0, 20000_00), (0, 1000_00, 500_00, 4500_00),
                                (0, 4_00, 5_60, 50_40), (12_00, 0, 0, 0)]
    cash_before = balance(app, "CASH/510100")
    before = table_counts(database)
    pre = clinic.pre(v, "张伟")
    assert table_counts(database) == before           # pre-settle moves nothing
    s = clinic.settle(v, "张伟")
    for field in ("medfee_sumamt", "hifp_pay", "acct_pay", "psn_cash_pay"):
        assert getattr(pre, field) == getattr(s, field)
    # deductible 1,000 (tertiary, first stay); 85% of the 23,550.40 above it
    assert (s.medfee_sumamt, s.fulamt_ownpay_amt, s.overlmt_selfpay, s.preselfpay_amt,
            s.inscp_scp_amt) == (26072_00, 12_00, 1004_00, 505_60, 24550_40)
    assert (s.act_pay_dedc, s.hifp_pay, s.hifob_pay, s.fund_pay_sumamt) == \
        (1000_00, 20017_84, 0, 20017_84)
    assert (s.psn_part_amt, s.acct_pay, s.acct_mulaid_pay, s.psn_cash_pay) == \
        (6054_16, 5038_16, 0, 1016_00)
    assert s.balc == 12000_00 - 5038_16 and ratio_text(s.pool_prop_selfpay) == "0.8500"
    assert [(d.fund_pay_type, d.fund_payamt) for d in s.setldetail] == \
        [("310100", 20017_84), ("330100", 0)]
    # one entry moved every amount
    assert balance(app, "FUND_POOL/510100") == -20017_84
    assert balance(app, f"PERSONAL/{zw.psn_no}") == 12000_00 - 5038_16
    assert balance(app, "CASH/510100") == cash_before - 1016_00  # the cash at the counter
    assert balance(app, f"INSTITUTION/{HOSPITAL}") == 26072_00
    acc = acc_rows(app)
    assert acc[(zw.psn_no, "paid:employee_pool")] == 20017_84
    assert acc[(zw.psn_no, "base:employee_pool")] == 23550_40
    assert acc[(v.mdtrt_id, "ded")] == 1000_00
    ledger_ok(database)


def test_cancel_restores_every_balance_and_accumulator(clinic: Clinic,
                                                       database: Database) -> None:
    app = clinic.app
    balances = {c: balance(app, c) for c in ("FUND_POOL/510100", "CASH/510100",
                                             f"INSTITUTION/{HOSPITAL}",
                                             f"PERSONAL/{clinic.fam['张伟'].psn_no}")}
    v = clinic.visit("张伟")
    lines = [(S_A, "1", "20000"), (D_B, "2", "30")]
    clinic.fees(v, *lines)
    s = clinic.settle(v, "张伟")
    codes = [c for ln in app.read(lambda uow: uow.conn.execute(
        select(fee_details.c.trace_codes)).scalars().all()) for c in json.loads(ln)]
    assert tracing.query(app, ANONYMOUS, codes[0]).outcome == "sold_once"
    c = svc.cancel(app, clinic.inst(HOSPITAL), key(), s.setl_id or "").value
    assert c.status == "cancelled"
    assert {k: balance(app, k) for k in balances} == balances
    assert all(v_ == 0 for v_ in acc_rows(app).values())
    assert tracing.query(app, ANONYMOUS, codes[0]).outcome == "unsold"
    refused(database, "SETTLEMENT_NOT_SETTLED", lambda: svc.cancel(
        app, clinic.inst(HOSPITAL), key(), s.setl_id or ""))
    # the lines are pending again and settle again to the same amounts
    again = clinic.settle(v, "张伟")
    assert (again.hifp_pay, again.acct_pay) == (s.hifp_pay, s.acct_pay)
    ledger_ok(database)


def test_mid_stay_settlements_take_the_deductible_once(clinic: Clinic) -> None:
    v = clinic.visit("张伟")
    clinic.fees(v, clinic.line((S_A, "1", "600"), 0))
    first = clinic.settle(v, "张伟", final=False)
    assert (first.act_pay_dedc, first.hifp_pay) == (600_00, 0)
    clinic.fees(v, clinic.line((S_A, "1", "1400"), 5))
    second = clinic.settle(v, "张伟")
    assert second.act_pay_dedc == 400_00                 # 1,000 for the stay in all
    assert second.hifp_pay == 850_00                     # 85% of the 1,000 above it
    with pytest.raises(GongjiError) as e:
        clinic.settle(v, "张伟")
    assert e.value.code == "VISIT_NOT_OPEN"
    later = clinic.visit("张伟")
    assert later.first_stay is False


# -- who pays -----------------------------------------------------------------------------

def test_same_province_family_account_pays(clinic: Clinic) -> None:
    fam = clinic.fam
    fam.bind("张伟", "张小宝", "child")
    v = clinic.visit("张小宝", at=CLINIC, med_type="11")
    clinic.fees(v, (S_A, "1", "300"))
    s = clinic.settle(v, "张小宝")
    # resident outpatient: deductible 100, then 60% at a primary institution
    assert (s.act_pay_dedc, s.hifp_pay, s.psn_part_amt) == (100_00, 120_00, 180_00)
    assert (s.acct_pay, s.acct_mulaid_pay, s.psn_cash_pay) == (0, 180_00, 0)
    assert [(p.kind, p.sponsor) for p in s.payments] == [("family", fam["张伟"].psn_no)]
    assert balance(clinic.app, f"PERSONAL/{fam['张伟'].psn_no}") == 12000_00 - 180_00
    v2 = clinic.visit("张小宝", at=CLINIC, med_type="11")
    clinic.fees(v2, (S_A, "1", "50"))
    cash = clinic.settle(v2, "张小宝", acct_used_flag=False)
    assert (cash.acct_mulaid_pay, cash.psn_cash_pay) == (0, cash.psn_part_amt)


def test_wallet_quota_pays_across_provinces(clinic: Clinic, database: Database) -> None:
    fam, app = clinic.fam, clinic.app
    fam.open_wallet("张伟")
    fam.open_wallet("李秀英")
    fam.bind("张伟", "李秀英", "parent")
    t = transfers.send(app, fam["张伟"].who, key(), transfers.SendTransfer(
        fam["李秀英"].psn_no, 100_00), PIN).value
    transfers.respond(app, fam["李秀英"].who, key(), t.id, "accept")
    v = clinic.visit("李秀英", at=HENAN_PHARMACY, med_type="41")
    clinic.fees(v, (D_B, "2", "30"))
    s = clinic.settle(v, "李秀英")
    # within the 100 resident deductible: no fund; 56.00 policy self-pay from the quota,
    # the 4.00 above the price cap in cash
    assert (s.hifp_pay, s.acct_pay, s.acct_mulaid_pay, s.psn_cash_pay) == (0, 0, 56_00, 4_00)
    assert [(p.kind, p.sponsor) for p in s.payments] == [("quota", fam["张伟"].psn_no)]
    assert wallet.get(app, OPERATOR, fam["李秀英"].psn_no).quota_total == 44_00
    # cancelled after the binding ended: the refunded quota goes home to the sponsor
    b = next(x for x in family.list_for(app, OPERATOR, fam["张伟"].psn_no) if x.status == "active")
    family.end(app, fam["张伟"].who, key(), b.id)
    svc.cancel(app, clinic.inst(HENAN_PHARMACY), key(), s.setl_id or "")
    assert balance(app, account_code(AccountKind.WALLET_QUOTA, owner=fam["李秀英"].psn_no,
                                     sponsor=fam["张伟"].psn_no)) == 0
    assert balance(app, f"PERSONAL/{fam['张伟'].psn_no}") == 12000_00
    ledger_ok(database)


# -- out of area ---------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "paid"), [
    ("referral", 5000_00), ("other_temporary", 4000_00), ("long_term_resident", 6000_00),
])
def test_out_of_area_by_filing_kind(clinic: Clinic, kind: str | None, paid: int,
                                    clock: FixedClock) -> None:
    app, ma = clinic.app, clinic.fam["李秀英"]
    if kind is not None:
        filing.file(app, ma.who, key(), ma.psn_no, filing.File(kind, "510000",
                                                               clock.now().date()))
    v = clinic.visit("李秀英")                      # Henan resident in a Chengdu hospital
    assert v.out_of_area
    clinic.fees(v, (S_A, "1", "10800"))
    s = clinic.settle(v, "李秀英")
    # deductible 800 (tertiary), 60% less the kind's points on the 10,000 above it
    assert (s.act_pay_dedc, s.hifp_pay, s.filing_kind) == (800_00, paid, kind)
    assert balance(app, "CLEARING/411300") == s.medfee_sumamt - s.psn_cash_pay
    assert balance(app, "CLEARING/510100") == -(s.medfee_sumamt - s.psn_cash_pay)
    assert balance(app, "FUND_POOL/411300") == -paid


def test_unfiled_cross_province_care_is_refused_unless_the_region_allows(
        clinic: Clinic, database: Database) -> None:
    """The national rule: a Henan resident in a Chengdu hospital without a filing is not
    settled directly (file first, or pay and claim at home); where her region's document
    allows it, she is settled 20 points lower."""
    app = clinic.app
    v = clinic.visit("李秀英")
    clinic.fees(v, (S_A, "1", "10800"))
    refused(database, "OUT_OF_AREA_NOT_FILED", lambda: clinic.settle(v, "李秀英"))
    app.transact(OPERATOR, lambda uow: app.policies.upload(
        uow.conn, "region: '411300'\neffective_from: 2026-11-01\n"
                  "benefits: {out_of_area: {unfiled: reduce}}\n", by="t", now=uow.now))
    s = clinic.settle(v, "李秀英")
    assert (s.act_pay_dedc, s.hifp_pay, s.filing_kind) == (800_00, 4000_00, None)


def test_an_emergency_counts_as_filed(clinic: Clinic, database: Database) -> None:
    """急诊抢救视同已备案: an emergency visit (med_type 13) of an unfiled Henan resident in
    Chengdu settles directly, as an emergency filing would; a plain outpatient visit does not."""
    plain = clinic.visit("李秀英", med_type="11")
    clinic.fees(plain, (S_A, "1", "300"))
    refused(database, "OUT_OF_AREA_NOT_FILED", lambda: clinic.settle(plain, "李秀英"))
    urgent = clinic.visit("李秀英", med_type="13")
    clinic.fees(urgent, (S_A, "1", "300"))
    s = clinic.settle(urgent, "李秀英")
    assert s.filing_kind == "emergency" and s.hifp_pay > 0


def test_filing_rules(clinic: Clinic, database: Database, clock: FixedClock) -> None:
    app, ma = clinic.app, clinic.fam["李秀英"]
    today = clock.now().date()
    f = filing.file(app, ma.who, key(), ma.psn_no, filing.File("referral", "510100", today))
    assert f.value.enddate == date(2027, 5, 24)         # at least six months
    refused(database, "FILING_DATES_INVALID", lambda: filing.file(
        app, ma.who, key(), ma.psn_no, filing.File("emergency", "440100", today,
                                                   today + timedelta(days=100))))
    refused(database, "FILING_DATES_INVALID", lambda: filing.file(
        app, ma.who, key(), ma.psn_no, filing.File("retiree_settled", "440100", today,
                                                   today + timedelta(days=400))))
    refused(database, "FILING_TARGET_INVALID", lambda: filing.file(
        app, ma.who, key(), ma.psn_no, filing.File("referral", "410000", today)))
    refused(database, "FILING_EXISTS", lambda: filing.file(
        app, ma.who, key(), ma.psn_no, filing.File("referral", "510100", today)))
    refused(database, "FILING_KIND_INVALID", lambda: filing.file(
        app, ma.who, key(), ma.psn_no, filing.File("holiday", "440100", today)))
    r = filing.revoke(app, ma.who, key(), f.value.id).value
    assert r.status == "revoked"


def test_chronic_disease_needs_recognition_and_filing(clinic: Clinic,
                                                      database: Database) -> None:
    app, ma = clinic.app, clinic.fam["李秀英"]
    v = clinic.visit("李秀英", med_type="14", dise_codg="diabetes")
    clinic.fees(v, (S_A, "1", "500"))
    refused(database, "CHRONIC_NOT_RECOGNIZED", lambda: clinic.settle(v, "李秀英"))
    filing.recognize(app, OPERATOR, key(), ma.psn_no, "diabetes", date(2026, 1, 1))
    refused(database, "OUT_OF_AREA_NOT_FILED", lambda: clinic.settle(v, "李秀英"))
    filing.file(app, ma.who, key(), ma.psn_no, filing.File(
        "long_term_resident", "510000", date(2026, 11, 24), opsp_dise_code="diabetes"))
    s = clinic.settle(v, "李秀英")
    assert s.hifp_pay == 300_00                          # resident chronic: 60%


# -- the Fujian switch -------------------------------------------------------------------

def test_cross_province_pharmacy_switch(clinic: Clinic, database: Database) -> None:
    fam, app = clinic.fam, clinic.app
    lin = fam.add("林华", born=date(1985, 5, 5), seq=131, insutype="310", psn_type="1101",
                  admdvs="350100", credit=500_00, born_in="350102")
    v = clinic.visit("林华", at=PHARMACY, med_type="41")
    clinic.fees(v, (D_B, "1", "20"))
    filing.file(app, lin.who, key(), lin.psn_no, filing.File(   # across provinces: filed
        "other_temporary", "510000", date(2026, 11, 24)))
    refused(database, "PHARMACY_SWITCH_OFF", lambda: clinic.settle(v, "林华"))
    filing.set_switch(app, lin.who, key(), lin.psn_no, "pharmacy_cross_province", True)
    assert clinic.settle(v, "林华").psn_part_amt > 0


# -- trace codes ---------------------------------------------------------------------------

def test_a_box_sells_once(clinic: Clinic, database: Database) -> None:
    code = trace()
    v = clinic.visit("张伟", at=PHARMACY, med_type="41")
    clinic.fees(v, svc.FeeIn("1", D_B, "1", "20", 20_00, trace_codes=(code,)))
    s = clinic.settle(v, "张伟")
    assert tracing.query(clinic.app, clinic.fam["张伟"].who, code).outcome == \
        "sold_to_you"
    v2 = clinic.visit("王芳", at=PHARMACY, med_type="41")
    clinic.fees(v2, svc.FeeIn("1", D_B, "1", "20", 20_00, trace_codes=(code,)))
    refused(database, "TRACE_CODE_SOLD", lambda: clinic.settle(v2, "王芳"))
    svc.cancel(clinic.app, clinic.inst(PHARMACY), key(), s.setl_id or "")  # returned
    assert clinic.settle(v2, "王芳").setl_id


def test_trace_code_rules(clinic: Clinic, database: Database) -> None:
    v = clinic.visit("张伟", at=PHARMACY, med_type="41")
    clinic.fees(v, svc.FeeIn("1", D_B, "2", "20", 40_00, trace_codes=(trace(),)))
    refused(database, "TRACE_CODE_COUNT", lambda: clinic.settle(v, "张伟"))
    svc.cancel_fees(clinic.app, clinic.inst(PHARMACY), key(), v.mdtrt_id)
    clinic.fees(v, svc.FeeIn("9", D_B, "1", "20", 20_00))
    refused(database, "TRACE_CODE_MISSING", lambda: clinic.settle(v, "张伟"))
    with pytest.raises(GongjiError) as e:
        clinic.fees(v, svc.FeeIn("10", D_B, "1", "20", 20_00, trace_codes=("12345",)))
    assert e.value.code == "TRACE_CODE_INVALID"


def test_split_sales_up_to_the_box(clinic: Clinic, database: Database) -> None:
    code = trace()
    for name, sn in (("张伟", "1"), ("张伟", "2")):
        v = clinic.visit(name, at=PHARMACY, med_type="41")
        clinic.fees(v, svc.FeeIn(sn, D_B, "0.5", "20", 10_00, trace_codes=(code,),
                                 trdn_flag=True))
        clinic.settle(v, name)
    assert tracing.query(clinic.app, clinic.fam["张伟"].who, code).outcome == \
        "sold_to_you"
    v = clinic.visit("张伟", at=PHARMACY, med_type="41")
    clinic.fees(v, svc.FeeIn("3", D_B, "0.5", "20", 10_00, trace_codes=(code,),
                             trdn_flag=True))
    refused(database, "TRACE_SPLIT_OVER", lambda: clinic.settle(v, "张伟"))


# -- credentials -----------------------------------------------------------------------------

def test_insurance_code_opens_one_visit_and_settles_it(clinic: Clinic, database: Database,
                                                       clock: FixedClock) -> None:
    app, zw = clinic.app, clinic.fam["张伟"]
    token = credentials.issue_code(app, zw.who, zw.psn_no).token
    cred = svc.Credential("01", token)
    v = clinic.visit("张伟", at=CLINIC, med_type="11", credential=cred)
    refused(database, "CREDENTIAL_USED", lambda: clinic.visit("张伟", at=CLINIC,
                                                              med_type="11", credential=cred))
    clinic.fees(v, (S_A, "1", "10"))
    clock.advance(timedelta(minutes=30))                  # the code has long expired
    s = svc.settle(app, clinic.inst(CLINIC), key(), v.mdtrt_id,
                   svc.SettleAsk(credential=cred)).value
    assert s.psn_no == zw.psn_no
    v2 = clinic.visit("张伟", at=CLINIC, med_type="11")
    clinic.fees(v2, (S_A, "1", "10"))
    refused(database, "CREDENTIAL_MISMATCH", lambda: svc.settle(
        app, clinic.inst(CLINIC), key(), v2.mdtrt_id,
        svc.SettleAsk(credential=svc.Credential("02", clinic.fam["王芳"].certno))))
    refused(database, "CREDENTIAL_EXPIRED", lambda: svc.settle(
        app, clinic.inst(CLINIC), key(), v2.mdtrt_id, svc.SettleAsk(credential=cred)))


def test_an_institution_sees_only_its_own(clinic: Clinic, database: Database) -> None:
    v = clinic.visit("张伟", at=CLINIC, med_type="11")
    refused(database, "VISIT_NOT_FOUND", lambda: svc.upload_fees(
        clinic.app, clinic.inst(HOSPITAL), key(), v.mdtrt_id, (clinic.line((S_A, "1", "1")),)))
    clinic.fees(v, (S_A, "1", "10"))
    s = clinic.settle(v, "张伟")
    with pytest.raises(GongjiError) as e:
        svc.get(clinic.app, clinic.inst(HOSPITAL), s.setl_id or "")
    assert e.value.code == "SETTLEMENT_NOT_FOUND"
    assert svc.get(clinic.app, clinic.fam["张伟"].who, s.setl_id or "").setl_id == s.setl_id
    with pytest.raises(GongjiError):
        svc.get(clinic.app, clinic.fam["王芳"].who, s.setl_id or "")


# -- bad input writes nothing ----------------------------------------------------------------

def test_bad_lines_are_refused_whole(clinic: Clinic, database: Database) -> None:
    v = clinic.visit("张伟", at=CLINIC, med_type="11")
    up = clinic.app, clinic.inst(CLINIC)

    def upload(*lines: svc.FeeIn) -> None:
        svc.upload_fees(up[0], up[1], key(), v.mdtrt_id, lines)

    good = svc.FeeIn("1", S_A, "1", "10", 10_00)
    refused(database, "CATALOG_ITEM_NOT_FOUND", lambda: upload(
        good, svc.FeeIn("2", "999999999999999", "1", "10", 10_00)))
    refused(database, "FEE_LINE_INVALID", lambda: upload(
        good, svc.FeeIn("2", S_A, "-1", "10", -10_00)))
    refused(database, "FEE_LINE_MISMATCH", lambda: upload(
        good, svc.FeeIn("2", S_A, "3", "10", 31_00)))
    refused(database, "FEE_LINE_INVALID", lambda: upload(good, good))
    refused(database, "FEE_LINES_EMPTY", lambda: upload())
    refused(database, "MED_TYPE_UNSUPPORTED", lambda: clinic.visit("张伟", med_type="51"))
    refused(database, "MED_TYPE_UNSUPPORTED", lambda: clinic.visit("张伟", at=PHARMACY,
                                                                   med_type="11"))
    upload(good)
    refused(database, "SETTLE_AMOUNT_MISMATCH", lambda: clinic.settle(
        v, "张伟", medfee_sumamt=10_01))


def test_price_above_cap_refused_where_the_region_says(clinic: Clinic,
                                                       database: Database) -> None:
    v = clinic.visit("张伟", at=PHARMACY, med_type="41")
    assert clinic.fees(v, (D_B, "1", "30"))[0].overlmt_amt == 2_00   # self-paid by default
    clinic.app.transact(OPERATOR, lambda uow: clinic.app.policies.upload(
        uow.conn, "region: '510100'\neffective_from: 2026-11-01\n"
                  "settlement: {over_cap: refuse}\n", by="t", now=uow.now))
    err = refused(database, "FEE_PRICE_OVER_CAP", lambda: clinic.fees(v, svc.FeeIn(
        "7", D_B, "1", "30", 30_00, trace_codes=(trace(),))))
    assert err.params["cap"] == "28.00"


def test_limited_use_needs_the_indication(clinic: Clinic) -> None:
    v = clinic.visit("张伟", at=CLINIC, med_type="11")
    out = clinic.fees(v, svc.FeeIn("1", D_L, "1", "100", 100_00, trace_codes=(trace(),)),
                      svc.FeeIn("2", D_L, "1", "100", 100_00, trace_codes=(trace(),),
                                within_limits=True))
    assert (out[0].fulamt_ownpay_amt, out[1].preselfpay_amt, out[1].inscp_scp_amt) == \
        (100_00, 20_00, 80_00)


def test_settle_is_idempotent_and_msgid_unique(clinic: Clinic, database: Database) -> None:
    app = clinic.app
    v = clinic.visit("张伟", at=CLINIC, med_type="11")
    clinic.fees(v, (S_A, "1", "10"))
    ask = clinic.ask("张伟", medins_setl_id="H510100000022026112410000001")
    first = svc.settle(app, clinic.inst(CLINIC), "setl-1", v.mdtrt_id, ask)
    counts = table_counts(database)
    again = svc.settle(app, clinic.inst(CLINIC), "setl-1", v.mdtrt_id, ask)
    assert again.replayed and again.value == first.value
    assert table_counts(database) == counts
    v2 = clinic.visit("张伟", at=CLINIC, med_type="11")
    clinic.fees(v2, (S_A, "1", "10"))
    refused(database, "SETTLEMENT_DUPLICATE_MSGID", lambda: svc.settle(
        app, clinic.inst(CLINIC), "setl-2", v2.mdtrt_id, ask))


def test_supplementary_and_assistance_layers(clinic: Clinic) -> None:
    from gongji.services.enrollment import service as enrollment

    ma = clinic.fam["李秀英"]
    enrollment.set_flag(clinic.app, OPERATOR, key(), enrollment.Flag(
        ma.psn_no, "assistance", date(2026, 1, 1), None))
    v = clinic.visit("李秀英", at="H41130000001")          # in area, secondary
    clinic.fees(v, (S_A, "1", "100000"))
    s = clinic.settle(v, "李秀英")
    # resident inpatient, secondary: deductible 500, 75% -> 74,625.00; in scope left
    # 25,375.00: critical illness 60% above 15,000 -> 6,225.00; assistance 70% of the
    # remaining 19,150.00 -> 13,405.00
    assert (s.hifp_pay, s.hifmi_pay, s.maf_pay) == (74625_00, 6225_00, 13405_00)
    assert s.psn_part_amt == 100000_00 - 74625_00 - 6225_00 - 13405_00
    assert [d.fund_pay_type for d in s.setldetail] == ["390100", "390200", "610100"]


def test_reversal_by_message_id(clinic: Clinic, database: Database) -> None:
    app = clinic.app
    v = clinic.visit("张伟", at=CLINIC, med_type="11")
    clinic.fees(v, (S_A, "1", "10"))
    msgid = "H510100000022026112410000009"
    s = clinic.settle(v, "张伟", medins_setl_id=msgid)
    nothing = svc.reverse_by_msgid(app, clinic.inst(CLINIC), key(), "NEVER-HAPPENED").value
    assert (nothing.done, nothing.setl_id) == (False, None)
    done = svc.reverse_by_msgid(app, clinic.inst(CLINIC), key(), msgid).value
    assert (done.done, done.setl_id) == (True, s.setl_id)
    again = svc.reverse_by_msgid(app, clinic.inst(CLINIC), key(), msgid).value
    assert (again.done, again.setl_id) == (False, s.setl_id)        # already undone
    other = svc.reverse_by_msgid(app, clinic.inst(HOSPITAL), key(), msgid).value
    assert other.setl_id is None                                    # not theirs
    assert svc.get(app, OPERATOR, s.setl_id or "").status == "cancelled"
