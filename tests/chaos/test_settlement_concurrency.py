"""Several counters settle for one person at the same moment: the year's accumulators end up
exactly the sum of what each settlement recorded, and the annual deductible is used once."""

from __future__ import annotations

import threading

from sqlalchemy import select

from gongji.domain.errors import GongjiError
from gongji.ledger.verify import verify
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.store.tables import accumulators
from tests.clinic import CLINIC, HOSPITAL, S_A, open_clinic
from tests.family import key, make_family

THREADS = 8


def test_concurrent_settlements_for_one_person(app: Gongji) -> None:
    clinic = open_clinic(make_family(app))
    visits = []
    for i in range(THREADS):
        v = clinic.visit("张伟", at=CLINIC if i % 2 else HOSPITAL, med_type="11")
        clinic.fees(v, (S_A, "1", "400"))
        visits.append(v)
    results: list[svc.SettlementView] = []
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(v: svc.VisitView) -> None:
        try:
            start.wait()
            results.append(svc.settle(app, clinic.inst(v.fixmedins_code), key("c"),
                                      v.mdtrt_id, clinic.ask("张伟")).value)
        except (GongjiError, Exception) as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(v,)) for v in visits]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == THREADS
    # 8 x 400 in scope; the 1,000 annual deductible is used exactly once across them
    assert sum(r.act_pay_dedc for r in results) == 1000_00
    stored = app.read(lambda uow: {r.name: int(r.value) for r in uow.conn.execute(
        select(accumulators).where(accumulators.c.psn_no == clinic.fam["张伟"].psn_no))})
    assert stored["ded:employee_outpatient"] == 1000_00
    assert stored["paid:employee_outpatient"] == sum(r.hifp_pay for r in results)
    with app.db.read() as conn:
        assert verify(conn).ok
