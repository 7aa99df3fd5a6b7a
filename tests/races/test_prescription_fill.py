"""Prescriptions at once: two, then forty orders filling one electronic prescription at the same
instant (each checks it, then fills it, in one unit of work as the mobile-payment core does):
exactly one fills it, every other is RX_ALREADY_FILLED; and a fill racing the issuer's
revocation leaves it either filled or revoked, never both. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from gongji.domain.errors import GongjiError
from gongji.services.catalog import service as catalog
from gongji.services.prescriptions import service as rx
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import audit_log
from tests.clinic import D_B, HOSPITAL, PHARMACY, open_clinic
from tests.family import key, make_family
from tests.races.barrier import together

H = Principal("institution", HOSPITAL)
P = Principal("institution", PHARMACY)


def outcome(r: Any) -> str:
    if isinstance(r, GongjiError):
        return r.code
    assert not isinstance(r, BaseException), r
    return "filled" if r is None else str(r.value.status)


def prescribed(app: Gongji) -> tuple[str, str]:
    fam = make_family(app)
    open_clinic(fam)
    psn_no = fam["张伟"].psn_no
    v = rx.issue(app, H, key("rx"), rx.IssuePrescription(
        items=(rx.RxItemIn(D_B, Decimal(2)),), psn_no=psn_no)).value
    return v.hi_rxno, psn_no


def order(app: Gongji, hi_rxno: str, psn_no: str, ref: str) -> None:
    def run(uow: UnitOfWork) -> None:
        lines = [(D_B, Decimal(2))]
        rx.check_in(uow, hi_rxno, psn_no, lines,
                    catalog.lookup(uow, "510100", [D_B], uow.today))
        rx.fill_in(uow, hi_rxno, fixmedins_code=PHARMACY, ref=ref)
    return app.transact(P, run)


def fills(app: Gongji, hi_rxno: str) -> int:
    return len(app.read(lambda uow: uow.conn.execute(select(audit_log.c.seq).where(
        audit_log.c.subject == hi_rxno, audit_log.c.action == "prescription.fill")).all()))


@pytest.mark.parametrize("at_once", [2, 40])
def test_orders_filling_one_prescription_at_once_fill_it_once(app: Gongji,
                                                              at_once: int) -> None:
    hi_rxno, psn_no = prescribed(app)
    refs = [f"ORDER-{i}" for i in range(at_once)]
    out = Counter(outcome(r) for r in together(*[
        lambda ref=ref: order(app, hi_rxno, psn_no, ref) for ref in refs]))
    assert out == {"filled": 1, "RX_ALREADY_FILLED": at_once - 1}, out
    v = rx.get(app, H, hi_rxno)
    assert v.status == "filled" and v.filled_by == PHARMACY
    assert fills(app, hi_rxno) == 1


def test_a_fill_and_the_revocation_at_once_do_one_of_them(app: Gongji) -> None:
    hi_rxno, psn_no = prescribed(app)
    for n in range(3):
        if n:
            hi_rxno = rx.issue(app, H, key("rx"), rx.IssuePrescription(
                items=(rx.RxItemIn(D_B, Decimal(2)),), psn_no=psn_no)).value.hi_rxno
        out = Counter(outcome(r) for r in together(
            lambda n=hi_rxno: order(app, n, psn_no, "ORDER-R"),
            lambda n=hi_rxno: rx.revoke(app, H, key("rv"), n)))
        assert out in ({"filled": 1, "RX_ALREADY_FILLED": 1},
                       {"revoked": 1, "RX_REVOKED": 1}), out
        assert rx.get(app, H, hi_rxno).status == ("filled" if "filled" in out else "revoked")
