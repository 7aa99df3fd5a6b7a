"""Hand claims (手工报销) through the services on both databases: computed as a direct settlement
would be, reviewed line by line, booked, paid through the outbox, cancelled before payment."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gongji.domain.clock import FixedClock
from gongji.services.claims import service as claims
from gongji.services.claims.model import ClaimLineIn, LineDecision, Review, SubmitClaim
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.store.db import Database
from gongji.store.tables import accumulators, outbox
from tests.clinic import CLINIC, D_B, D_C, HOSPITAL, S_A, Clinic, open_clinic
from tests.conftest import OPERATOR, refused
from tests.family import key, make_family
from tests.service.test_settlement import ledger_ok

TODAY = date(2026, 11, 24)


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    return open_clinic(make_family(app))


def balance(app: Gongji, code: str) -> int:
    acc = app.read(lambda uow: uow.ledger.account_by_code(code))
    return acc.balance if acc else 0


def claim_of(clinic: Clinic, name: str, *lines: tuple[str, str, str], at: str = HOSPITAL,
             med_type: str = "21", invoice: str = "FP0001", enddate: date = TODAY,
             acct_used: bool = True) -> SubmitClaim:
    m = clinic.fam[name]
    fee = [clinic.line(x, i) for i, x in enumerate(lines)]
    return SubmitClaim(
        psn_no=m.psn_no, insutype="310" if name in ("张伟", "王芳") else "390",
        fixmedins_code=at, med_type=med_type, begndate=enddate - timedelta(days=5),
        enddate=enddate, dise_codg="I63.900", dise_name="脑梗死", invoice_no=invoice,
        medfee_sumamt=sum(f.det_item_fee_sumamt for f in fee),
        lines=tuple(ClaimLineIn(f.feedetl_sn, f.med_list_codg, f.cnt, f.pric,
                                f.det_item_fee_sumamt) for f in fee),
        bank_name="中国农业银行南阳分行", bank_acct="6228480000001234567",
        acct_used=acct_used)


def year_acc(app: Gongji, psn_no: str) -> dict[str, int]:
    return app.read(lambda uow: {r.name: int(r.value) for r in uow.conn.execute(
        select(accumulators).where(accumulators.c.psn_no == psn_no))})


def test_unfiled_care_in_another_province_is_claimed_at_home_to_the_fen(
        clinic: Clinic, database: Database) -> None:
    """李秀英 (Nanyang resident) stayed in a Chengdu tertiary hospital without a filing: not
    settled directly, so she paid 10,800.00 and claims at home. Her region reimburses it as a
    direct settlement with the unfiled reduction would: deductible 800.00 (tertiary), 60% less
    20 points on 10,000.00 = 4,000.00; paid to her bank account through the outbox."""
    app, ma = clinic.app, clinic.fam["李秀英"]
    v = clinic.visit("李秀英")
    clinic.fees(v, (S_A, "1", "10800"))
    refused(database, "OUT_OF_AREA_NOT_FILED", lambda: clinic.settle(v, "李秀英"))
    svc.cancel_visit(app, clinic.inst(HOSPITAL), key("x"), v.mdtrt_id)  # she pays in cash

    c = claims.submit(app, ma.who, key("c"), claim_of(clinic, "李秀英", (S_A, "1", "10800")))
    assert (c.value.status, c.value.medfee_sumamt, c.value.submitted_by) == (
        "submitted", 10_800_00, "person")
    assert c.value.bank_acct_masked == "6228****4567" and c.value.reimbursement is None
    assert [x.claim_id for x in claims.queue(app, OPERATOR)] == [c.value.claim_id]

    done = claims.review(app, OPERATOR, key("r"), c.value.claim_id, Review(True)).value
    r = done.reimbursement
    assert r is not None and done.status == "approved"
    assert (r.act_pay_dedc, r.hifp_pay, r.psn_cash_pay, r.reimbursed, r.filing_kind) == (
        800_00, 4_000_00, 6_800_00, 4_000_00, None)
    assert balance(app, f"CLAIM_PAYABLE/{ma.psn_no}") == 4_000_00
    assert balance(app, "FUND_POOL/411300") == -4_000_00
    assert year_acc(app, ma.psn_no) != {}

    paid = claims.pay(app, OPERATOR, key("p"), c.value.claim_id).value
    assert paid.status == "paid" and paid.paid_at is not None
    assert balance(app, f"CLAIM_PAYABLE/{ma.psn_no}") == 0
    assert balance(app, "CASH/411300") == 4_000_00
    sent = app.read(lambda uow: uow.conn.execute(select(outbox).where(
        outbox.c.channel == "bank")).all())
    assert len(sent) == 1 and sent[0].psn_no == ma.psn_no
    body = json.loads(sent[0].body)
    assert body == {"claim_id": c.value.claim_id, "amount": "4000.00",
                    "bank_name": "中国农业银行南阳分行", "bank_acct": "6228****4567"}
    assert "6228480000001234567" not in sent[0].body
    ledger_ok(app.db)
    assert [x.claim_id for x in claims.queue(app, OPERATOR)] == []
    assert [x.status for x in claims.list_for(app, ma.who, ma.psn_no)] == ["paid"]


def test_a_claim_computes_what_a_direct_settlement_would(clinic: Clinic) -> None:
    """Same care, same person, same day: the hand claim's amounts are the pre-settlement's
    (insured region's benefits, care region's catalog, accumulators, own account)."""
    app, zw = clinic.app, clinic.fam["张伟"]
    lines = ((S_A, "2", "150"), (D_B, "3", "30"), (D_C, "1", "45.5"))
    v = clinic.visit("张伟", at=CLINIC, med_type="11")
    clinic.fees(v, *lines)
    direct = clinic.pre(v, "张伟")
    c = claims.submit(app, zw.who, key("c"), claim_of(clinic, "张伟", *lines, at=CLINIC,
                                                      med_type="11")).value
    r = claims.review(app, OPERATOR, key("r"), c.claim_id, Review(True)).value.reimbursement
    assert r is not None
    for name in ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
                 "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "fund_pay_sumamt", "acct_pay",
                 "psn_cash_pay"):
        assert getattr(r, name) == getattr(direct, name), name
    assert r.reimbursed == direct.fund_pay_sumamt + direct.acct_pay
    assert balance(app, f"PERSONAL/{zw.psn_no}") == 12_000_00 - direct.acct_pay


def test_the_review_admits_each_line_in_full_in_part_or_not_at_all(
        clinic: Clinic, database: Database) -> None:
    app, zw = clinic.app, clinic.fam["张伟"]
    c = claims.submit(app, zw.who, key("c"), claim_of(
        clinic, "张伟", (S_A, "4", "100"), (D_C, "2", "50"), at=CLINIC, med_type="11",
        acct_used=False)).value
    cid = c.claim_id
    refused(database, "CLAIM_REVIEW_INVALID", lambda: claims.review(
        app, OPERATOR, key(), cid, Review(True, (LineDecision("1", "3"),))))   # no reason
    refused(database, "CLAIM_REVIEW_INVALID", lambda: claims.review(
        app, OPERATOR, key(), cid, Review(True, (LineDecision("1", "4.0001", "x"),))))
    refused(database, "CLAIM_REVIEW_INVALID", lambda: claims.review(
        app, OPERATOR, key(), cid, Review(True, (LineDecision("9", "1", "x"),))))
    refused(database, "CLAIM_REVIEW_INVALID", lambda: claims.review(
        app, OPERATOR, key(), cid, Review(True, (LineDecision("1", "0", "x"),
                                                 LineDecision("2", "0", "y")))))
    refused(database, "CLAIM_REFUSE_REASON", lambda: claims.review(
        app, OPERATOR, key(), cid, Review(False, reason="  ")))
    done = claims.review(app, OPERATOR, key(), cid, Review(True, (
        LineDecision("1", "3", "超出医嘱次数 one more than prescribed"),
        LineDecision("2", "0", "非本次疾病用药 not for this illness")))).value
    assert [(x.admitted_cnt, x.admitted_amt) for x in done.lines] == [("3", 300_00),
                                                                      ("0", 0)]
    r = done.reimbursement
    assert r is not None and r.medfee_sumamt == 300_00
    # outpatient, employee, community level 1: deductible 1,000.00 not reached: nothing paid
    assert (r.hifp_pay, r.act_pay_dedc, r.reimbursed) == (0, 300_00, 0)
    assert done.status == "approved"
    assert claims.pay(app, OPERATOR, key(), cid).value.status == "paid"


def test_states_an_invoice_claimed_once_and_cancel_before_payment(
        clinic: Clinic, database: Database) -> None:
    app, ma, wf = clinic.app, clinic.fam["李秀英"], clinic.fam["王芳"]
    ask = claim_of(clinic, "李秀英", (S_A, "1", "10800"))
    first = claims.submit(app, ma.who, key("c"), ask).value
    refused(database, "CLAIM_INVOICE_CLAIMED", lambda: claims.submit(app, ma.who, key(), ask))
    refused(database, "CLAIM_NOT_FOUND", lambda: claims.get(app, wf.who, first.claim_id))
    refused(database, "CLAIM_NOT_FOUND", lambda: claims.withdraw(app, wf.who, key(),
                                                                 first.claim_id))
    refused(database, "FORBIDDEN", lambda: claims.review(app, ma.who, key(), first.claim_id,
                                                         Review(True)))
    # refused: the invoice is free again, a corrected claim may follow
    claims.review(app, OPERATOR, key(), first.claim_id, Review(False, reason="缺出院小结"))
    refused(database, "CLAIM_STATE", lambda: claims.withdraw(app, ma.who, key(),
                                                             first.claim_id))
    second = claims.submit(app, ma.who, key("c2"), ask).value
    before = (balance(app, "FUND_POOL/411300"), year_acc(app, ma.psn_no))
    claims.review(app, OPERATOR, key(), second.claim_id, Review(True))
    assert balance(app, "FUND_POOL/411300") == before[0] - 4_000_00
    refused(database, "CLAIM_STATE", lambda: claims.withdraw(app, ma.who, key(),
                                                             second.claim_id))
    gone = claims.cancel(app, OPERATOR, key(), second.claim_id, "发票作废 invoice void").value
    assert gone.status == "cancelled"
    assert before[1] == {} and balance(app, "FUND_POOL/411300") == before[0]
    assert all(v == 0 for v in year_acc(app, ma.psn_no).values())
    assert balance(app, f"CLAIM_PAYABLE/{ma.psn_no}") == 0
    refused(database, "CLAIM_STATE", lambda: claims.pay(app, OPERATOR, key(),
                                                        second.claim_id))
    third = claims.submit(app, ma.who, key("c3"), ask).value
    claims.review(app, OPERATOR, key(), third.claim_id, Review(True))
    claims.pay(app, OPERATOR, key(), third.claim_id)
    refused(database, "CLAIM_STATE", lambda: claims.cancel(app, OPERATOR, key(),
                                                           third.claim_id, "x"))
    refused(database, "CLAIM_STATE", lambda: claims.pay(app, OPERATOR, key(), third.claim_id))
    ledger_ok(app.db)


def test_submission_is_checked_and_idempotent(clinic: Clinic, database: Database,
                                              clock: FixedClock) -> None:
    app, ma = clinic.app, clinic.fam["李秀英"]
    ok = claim_of(clinic, "李秀英", (S_A, "1", "100"))
    for code, bad in (
            ("CLAIM_DATES_INVALID", claim_of(clinic, "李秀英", (S_A, "1", "100"),
                                             enddate=TODAY + timedelta(days=1))),
            ("CLAIM_TOO_LATE", claim_of(clinic, "李秀英", (S_A, "1", "100"),
                                        enddate=TODAY - timedelta(days=366))),
            ("CLAIM_TOTAL_MISMATCH", replace(ok, medfee_sumamt=99)),
            ("CLAIM_BANK_ACCOUNT_INVALID", replace(ok, bank_acct="12ab")),
            ("CATALOG_ITEM_NOT_FOUND", claim_of(clinic, "李秀英", ("999", "1", "1"))),
            ("INSTITUTION_NOT_FOUND", claim_of(clinic, "李秀英", (S_A, "1", "1"),
                                               at="H00000000000")),
            ("MED_TYPE_UNSUPPORTED", claim_of(clinic, "李秀英", (S_A, "1", "1"),
                                              med_type="41")),
            ("FEE_LINE_MISMATCH", replace(ok, lines=(ClaimLineIn("1", S_A, "1", "100", 100_01),),
                                         medfee_sumamt=100_01))):
        refused(database, code, lambda b=bad: claims.submit(app, ma.who, key(), b))
    # the deadline at its edge: 365 days after the care ended is still in time
    late = claim_of(clinic, "李秀英", (S_A, "1", "100"), enddate=TODAY - timedelta(days=365),
                    invoice="FP-EDGE")
    assert claims.submit(app, ma.who, key(), late).value.status == "submitted"
    once = claims.submit(app, ma.who, "same-key", ok)
    again = claims.submit(app, ma.who, "same-key", ok)
    assert again.replayed and again.value.claim_id == once.value.claim_id


def test_a_proxy_claims_for_a_relative_and_sees_it(clinic: Clinic) -> None:
    app, zw, ma = clinic.app, clinic.fam["张伟"], clinic.fam["李秀英"]
    p = proxies.request(app, zw.who, key(), proxies.RequestProxy(ma.certno, ma.name,
                                                                 "parent")).value
    proxies.decide(app, ma.who, key(), p.id, True)
    c = claims.submit(app, zw.who, key(), claim_of(clinic, "李秀英", (S_A, "1", "100"))).value
    assert c.submitted_by == "proxy" and c.psn_no == ma.psn_no
    assert [x.claim_id for x in claims.list_for(app, zw.who, ma.psn_no)] == [c.claim_id]
    assert claims.withdraw(app, zw.who, key(), c.claim_id).value.status == "cancelled"


def test_filed_care_claimed_by_hand_takes_the_filing_and_the_direct_path_is_unchanged(
        clinic: Clinic) -> None:
    """With an other_temporary filing the claim takes the filing's 20 points (the same figures
    here), and names the filing kind."""
    app, ma = clinic.app, clinic.fam["李秀英"]
    clinic.file_away("李秀英", "510000")
    c = claims.submit(app, ma.who, key(), claim_of(clinic, "李秀英", (S_A, "1", "10800"))).value
    r = claims.review(app, OPERATOR, key(), c.claim_id, Review(True)).value.reimbursement
    assert r is not None and (r.hifp_pay, r.filing_kind) == (4_000_00, "other_temporary")
    v = clinic.visit("李秀英")
    clinic.fees(v, (S_A, "1", "10800"))
    s = clinic.settle(v, "李秀英")     # the second stay of the year: half the deductible
    assert isinstance(s, svc.SettlementView) and s.act_pay_dedc == 400_00


def test_the_demo_shows_a_claim_paid_and_one_waiting(app: Gongji, database: Database) -> None:
    """`gongji demo`: 张建国's stay claimed from submission to payment (one ECG reduced),
    李秀英's waiting for review; seeding again changes nothing."""
    from gongji.services.demo.service import seed

    seed(app)
    queue = claims.queue(app, OPERATOR)
    assert [(c.psn_name_masked, c.status) for c in queue] == [("李**", "submitted")]
    people = {name: psn for _c, name, psn, _r in seed(app).people}
    assert claims.queue(app, OPERATOR) == queue
    [paid] = claims.list_for(app, OPERATOR, people["张建国"])
    r = paid.reimbursement
    assert paid.status == "paid" and r is not None
    # 1,800 + 800 + 5 x (15 + 30 + 25) + 60 + 2 ECGs at 25 = 3,060.00, one ECG left out:
    # 3,035.00; resident, tertiary: (3,035.00 - 800.00) x (60% - 20% unfiled) = 894.00
    assert (paid.medfee_sumamt, r.medfee_sumamt, r.act_pay_dedc, r.reimbursed) == (
        3_060_00, 3_035_00, 800_00, 894_00)
