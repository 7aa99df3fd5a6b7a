"""Hand claims at once (issue 17): one invoice is claimed once however many submissions race,
a claim is reviewed once and paid once, and paying and cancelling one claim at once leave it
either paid or cancelled with the ledger to match; on both databases."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gongji.domain.errors import GongjiError
from gongji.services.claims import service as claims
from gongji.services.claims.model import Review
from gongji.services.runtime import Gongji
from tests.clinic import S_A, open_clinic
from tests.conftest import OPERATOR
from tests.family import key, make_family
from tests.races.barrier import together
from tests.service.test_claims import balance, claim_of
from tests.service.test_settlement import ledger_ok


def outcome(r: Any) -> str:
    if isinstance(r, GongjiError):
        return r.code
    assert not isinstance(r, BaseException), r
    return str(r.value.status)


def test_forty_submissions_of_one_invoice_make_one_claim(app: Gongji) -> None:
    clinic = open_clinic(make_family(app))
    ma = clinic.fam["李秀英"]
    ask = claim_of(clinic, "李秀英", (S_A, "1", "10800"))
    out = Counter(outcome(r) for r in together(*[
        lambda: claims.submit(app, ma.who, key("c"), ask) for _ in range(40)]))
    assert out == {"submitted": 1, "CLAIM_INVOICE_CLAIMED": 39}, out
    assert len(claims.list_for(app, ma.who, ma.psn_no)) == 1


def test_forty_approvals_of_one_claim_book_it_once(app: Gongji) -> None:
    clinic = open_clinic(make_family(app))
    ma = clinic.fam["李秀英"]
    c = claims.submit(app, ma.who, key(), claim_of(clinic, "李秀英", (S_A, "1", "10800"))).value
    out = Counter(outcome(r) for r in together(*[
        lambda: claims.review(app, OPERATOR, key("r"), c.claim_id, Review(True))
        for _ in range(40)]))
    assert out == {"approved": 1, "CLAIM_STATE": 39}, out
    assert balance(app, f"CLAIM_PAYABLE/{ma.psn_no}") == 4_000_00
    assert balance(app, "FUND_POOL/411300") == -4_000_00
    ledger_ok(app.db)


def test_paying_and_cancelling_at_once_do_one_of_them(app: Gongji) -> None:
    clinic = open_clinic(make_family(app))
    ma = clinic.fam["李秀英"]
    for n in range(3):
        c = claims.submit(app, ma.who, key(), claim_of(clinic, "李秀英", (S_A, "1", "10800"),
                                                       invoice=f"FP{n}")).value
        claims.review(app, OPERATOR, key(), c.claim_id, Review(True))
        out = Counter(outcome(r) for r in together(
            lambda cid=c.claim_id: claims.pay(app, OPERATOR, key("p"), cid),
            lambda cid=c.claim_id: claims.cancel(app, OPERATOR, key("x"), cid, "作废 void")))
        assert out in ({"paid": 1, "CLAIM_STATE": 1}, {"cancelled": 1, "CLAIM_STATE": 1}), out
        assert balance(app, f"CLAIM_PAYABLE/{ma.psn_no}") == 0
    ledger_ok(app.db)
