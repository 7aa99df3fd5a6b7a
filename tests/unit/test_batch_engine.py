"""The batch engine on hand-made claims: segments as benefits.banded reads bands, the order of
each person's claims, caps and deductibles carried between claims, balances running down."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from gongji.domain import batch
from gongji.domain.benefits import CARE_TYPES, Benefits, banded

FLAT = Benefits.model_validate({
    "rules": [{"name": "门诊", "when": {"care": ["outpatient"]},
               "deductible": {"per": "year", "amount": "100.00"}, "pay": {"ratio": "0.5"},
               "cap_group": "op"}],
    "caps": {"op": "150.00"},
    "out_of_area": {"unfiled_in_province": "refuse"},  # the simulator's claims: in province
})


def claims(rows: list[tuple[int, int]], *, own: list[int], care: str = "outpatient",
           out_of_area: bool = False) -> batch.Claims:
    """rows: (person, medfee in fen), everything in scope."""
    n = len(rows)
    i64 = np.int64
    person = np.array([p for p, _ in rows], i64)
    return batch.Claims(
        person=person, group=person.copy(), policy=np.zeros(n, i64),
        insutype=np.zeros(n, i64), psn_type=np.zeros(n, i64),
        care=np.full(n, CARE_TYPES.index(care), i64), level=np.full(n, 1, i64),
        out_of_area=np.full(n, out_of_area), filing=np.zeros(n, i64),
        first_stay=np.zeros(n, np.bool_), medfee_sumamt=np.array([m for _, m in rows], i64),
        fulamt_ownpay_amt=np.zeros(n, i64), overlmt_selfpay=np.zeros(n, i64),
        preselfpay_amt=np.zeros(n, i64), acct_used=np.ones(n, np.bool_),
        assistance=np.zeros(n, np.bool_), low_income=np.zeros(n, np.bool_),
        own_balance=np.array(own, i64), mulaid_balance=np.zeros(len(own), i64))


@pytest.mark.parametrize("bands", [
    [(100, Fraction(1, 2)), (50, Fraction(9, 10)), (300, Fraction(3, 10)), (None, Fraction(1))],
    [(None, Fraction(7, 10))],
    [(20, Fraction(1, 5)), (20, Fraction(1, 3))],
])
@pytest.mark.parametrize("start", [0, 30, 150])
def test_segments_read_bands_as_banded_does(bands: list[tuple[int | None, Fraction]],
                                            start: int) -> None:
    segs = batch.segments(start, bands)
    for x in range(0, 500, 7):
        total = sum(max(min(x, hi) - lo, 0) * r for lo, hi, r in segs)
        assert Fraction(total, batch.SCALE) == banded(x, start, bands), x


def test_each_persons_claims_run_in_order_with_the_year_carried() -> None:
    # person 0: 60.00, 100.00, 300.00; person 1: 500.00 (interleaved in the input)
    c = claims([(0, 60_00), (1, 500_00), (0, 100_00), (0, 300_00)], own=[1000_00, 0])
    out = batch.settle_batch(c, [FLAT])
    # deductible 100.00 a year: 60.00, then the last 40.00, then nothing
    assert out["act_pay_dedc"].tolist() == [60_00, 100_00, 40_00, 0]
    # 50% above it, capped at 150.00 a year: 30.00 then 120.00 (the cap's rest, not 150.00)
    assert out["hifp_pay"].tolist() == [0, 150_00, 30_00, 120_00]
    # person 0's account pays every burden while it lasts; person 1 has none
    assert out["acct_pay"].tolist() == [60_00, 0, 70_00, 180_00]
    assert out["psn_cash_pay"].tolist() == [0, 350_00, 0, 0]
    assert out.steps == 3


def test_refused_out_of_area_claims_are_all_cash() -> None:
    c = claims([(0, 80_00)], own=[1000_00], out_of_area=True)
    out = batch.settle_batch(c, [FLAT])
    assert out.refused.tolist() == [True]
    assert (out["fund_pay_sumamt"][0], out["acct_pay"][0], out["psn_cash_pay"][0]) == \
        (0, 0, 80_00)


def test_a_visit_without_a_rule_pays_nothing_from_the_pool() -> None:
    c = claims([(0, 80_00)], own=[0], care="inpatient")
    out = batch.settle_batch(c, [FLAT])
    assert (out["hifp_pay"][0], out["act_pay_dedc"][0], out["psn_part_amt"][0]) == (0, 0, 80_00)


def test_no_claims() -> None:
    out = batch.settle_batch(claims([], own=[]), [FLAT])
    assert out.steps == 0 and out["hifp_pay"].shape == (0,)
