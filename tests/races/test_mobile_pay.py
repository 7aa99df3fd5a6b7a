"""Mobile-payment orders at once (issue 19): two and forty 6202s of one order settle it once;
two orders uploaded with one authorization make one order; refunds of one order at once give
it back once; a crash between the settlement and the cash answer is finished by the
reconciliation, nothing kept. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from gongji.domain.errors import GongjiError
from gongji.services.cashpay import service as channel
from gongji.services.mobilepay import service as mp
from gongji.services.mobilepay.model import Pay, RefundAsk, Upload
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.clinic import HENAN_PHARMACY, Clinic
from tests.family import key
from tests.races.barrier import together
from tests.service.test_mobile_pay import (
    TOTAL,
    authorize,
    lines,
    no_traces,
    prescribe,
    quota,
    upload,
)
from tests.service.test_mobile_pay import clinic as clinic
from tests.service.test_settlement import ledger_ok


def outcomes(results: list[Any]) -> Counter[str]:
    assert not any(isinstance(r, BaseException) and not isinstance(r, GongjiError)
                   for r in results), results
    return Counter(r.code if isinstance(r, GongjiError) else "ok" for r in results)


@pytest.mark.parametrize("at_once", [2, 40])
def test_payments_of_one_order_at_once_settle_it_once(clinic: Clinic, database: Database,
                                                      at_once: int) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    before = quota(clinic)
    cmd = Pay(a, up.pay_ord_id, up.pay_token or "")
    out = outcomes(together(*[lambda: mp.pay(app, inst, cmd) for _ in range(at_once)]))
    assert set(out) <= {"ok", "PAY_IN_PROGRESS"}, out
    assert out["ok"] >= 1
    paid = mp.query(app, inst, up.pay_ord_id)
    assert paid.ord_stas == "6"
    assert quota(clinic) == before - paid.acct_mulaid_pay
    ledger_ok(database)


def test_two_uploads_with_one_authorization_make_one_order(clinic: Clinic,
                                                           database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    fees = tuple(no_traces(f) for f in lines())
    rx = prescribe(clinic)

    def send(n: int) -> Any:
        return mp.upload(app, inst, key(f"up{n}"), Upload(a, "WX-1", "41", fees, TOTAL,
                                                          hi_rxno=rx)).value

    results = together(*[lambda n=n: send(n) for n in range(8)])
    out = outcomes(results)
    assert out == Counter({"ok": 8}), out  # the same order, answered eight times
    assert len({r.pay_ord_id for r in results}) == 1
    ledger_ok(database)


def test_refunds_of_one_order_at_once_give_it_back_once(clinic: Clinic,
                                                        database: Database) -> None:
    app, inst = clinic.app, clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    before = quota(clinic)
    mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    out = outcomes(together(*[
        lambda n=n: mp.refund(app, inst, RefundAsk(up.pay_ord_id, f"R{n}", "ALL", TOTAL))
        for n in range(10)]))
    assert out["ok"] == 1 and set(out) <= {"ok", "PAY_ORDER_STATE"}, out
    assert quota(clinic) == before
    assert len(mp.query(app, inst, up.pay_ord_id).refunds) == 1
    ledger_ok(database)


def test_a_crash_before_the_cash_answer_is_finished_by_the_reconciliation(
        clinic: Clinic, database: Database, app: Gongji) -> None:
    inst = clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    before = quota(clinic)

    class Crash(BaseException):
        pass

    def dies(*_: Any, **__: Any) -> Any:
        raise Crash  # the process dies after the settlement committed

    real = app.cash.pay
    app.cash.pay = dies  # type: ignore[method-assign]
    try:
        with pytest.raises(Crash):
            mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    finally:
        app.cash.pay = real  # type: ignore[method-assign]
    assert mp.query(app, inst, up.pay_ord_id).ord_stas == "15"  # never reached the channel
    assert quota(clinic) == before
    ledger_ok(database)


def test_a_crash_after_the_channel_took_the_cash_completes_the_order(
        clinic: Clinic, database: Database, app: Gongji) -> None:
    inst = clinic.inst(HENAN_PHARMACY)
    a = authorize(clinic)
    up = upload(clinic, a)
    real = app.cash.pay

    def pays_then_dies(request_id: str, amount: int, **kw: Any) -> Any:
        real(request_id, amount, **kw)
        raise KeyboardInterrupt  # the answer is lost with the process

    channel.next_outcome(app, "pay")
    app.cash.pay = pays_then_dies  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyboardInterrupt):
            mp.pay(app, inst, Pay(a, up.pay_ord_id, up.pay_token or ""))
    finally:
        app.cash.pay = real  # type: ignore[method-assign]
    assert mp.reconcile(app) == 1
    assert mp.query(app, inst, up.pay_ord_id).ord_stas == "6"
    ledger_ok(database)
