"""A benefits rule's `when`: which keys it takes, what each fits, and that the first rule that
fits, in document order, applies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from gongji.domain.benefits import Benefits, Match
from gongji.domain.catalog import make_item
from gongji.domain.filing import is_emergency
from gongji.domain.policy import resolve
from gongji.domain.settlement import Accumulators, FeeLine, PersonFacts, Visit, settle
from gongji.services.policy.service import parse_documents, shipped_documents

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "411300-nanyang.yaml"
ITEM = make_item(med_list_codg="310100001000000", name="治疗", list_type="201",
                 med_chrgitm_type="05", chrgitm_lv="01", begndate=date(2020, 1, 1))
FACTS = {"insutype": "390", "psn_type": "1501", "care": "inpatient", "level": "3"}


def test_when_takes_out_of_area_keys_and_refuses_unknown_values() -> None:
    m = Match.model_validate({"out_of_area": True, "cross_province": False,
                              "filing": ["referral", "none"], "stay": "later",
                              "emergency": False})
    assert m.filing == {"referral", "none"}
    for bad in ({"filing": ["holiday"]}, {"stay": "second"}, {"emergency": "maybe"},
                {"abroad": True}):
        with pytest.raises(ValidationError):
            Match.model_validate(bad)


@pytest.mark.parametrize(("when", "facts", "fits"), [
    ({"out_of_area": True}, {"out_of_area": True}, True),
    ({"out_of_area": True}, {}, False),
    ({"out_of_area": False}, {}, True),
    ({"cross_province": True}, {"out_of_area": True, "cross_province": True}, True),
    ({"cross_province": True}, {"out_of_area": True}, False),
    ({"filing": ["none"]}, {}, True),                            # in area: no filing
    ({"filing": ["none"]}, {"out_of_area": True, "filing": "referral"}, False),
    ({"filing": ["referral"]}, {"out_of_area": True, "filing": "referral"}, True),
    ({"stay": "first"}, {}, True),
    ({"stay": "first"}, {"first_stay": False}, False),
    ({"stay": "later"}, {"first_stay": False}, True),
    ({"stay": "first"}, {"care": "outpatient"}, False),          # a stay condition: inpatient
    ({"stay": "later"}, {"care": "outpatient", "first_stay": False}, False),
    ({"emergency": True}, {"emergency": True}, True),
    ({"emergency": True}, {}, False),
    ({"emergency": False}, {}, True),
    ({}, {"out_of_area": True, "cross_province": True, "emergency": True}, True),
])
def test_each_key_fits_its_fact(when: dict[str, object], facts: dict[str, object],
                                fits: bool) -> None:
    assert Match.model_validate(when).fits(**{**FACTS, **facts}) is fits  # type: ignore[arg-type]


def test_the_first_rule_that_fits_applies() -> None:
    """Both rules fit a stay across provinces: the first listed wins; at home only the
    second fits. A share deductible binds at its minimum and maximum."""
    b = Benefits.model_validate({"rules": [
        {"name": "away", "when": {"care": ["inpatient"], "cross_province": True},
         "deductible": {"per": "stay", "share": {"ratio": "0.20", "min": "2000.00",
                                                 "max": "10000.00"}},
         "pay": {"ratio": "0.60"}},
        {"name": "home", "when": {"care": ["inpatient"]},
         "deductible": {"per": "stay", "amount": "800.00"}, "pay": {"ratio": "0.60"}}],
        "out_of_area": {"unfiled": "reduce"}})
    person = PersonFacts("390", "1501")

    def run(fee: str, cross: bool) -> tuple[str, int]:
        amount = int(Decimal(fee) * 100)
        r = settle([FeeLine("1", ITEM.med_list_codg, Decimal(1), Decimal(fee), amount)],
                   {ITEM.med_list_codg: ITEM},
                   Visit("inpatient", "3", date(2026, 11, 24), cross, "long_term_resident"
                         if cross else None, cross_province=cross), person, b,
                   Accumulators(), [])
        return r.rule, r.act_pay_dedc

    assert run("9999.95", True) == ("away", 2000_00)
    assert run("10000.05", True) == ("away", 2000_01)
    assert run("49999.95", True) == ("away", 9999_99)
    assert run("50000.05", True) == ("away", 10000_00)
    assert run("50000.05", False) == ("home", 800_00)


def test_the_example_only_adds_its_out_of_province_rule() -> None:
    """docs/examples/411300-nanyang.yaml lists the national rules again after its own, so for
    every other visit Nanyang's figures are the national ones."""
    shipped = shipped_documents()
    [doc] = parse_documents(EXAMPLE.read_text(encoding="utf-8"), source=str(EXAMPLE))
    assert (doc.region, doc.effective_from) == ("411300", date(2026, 1, 1))
    day = date(2026, 11, 24)
    ours = resolve([*shipped, doc], "411300", day).benefits
    base = resolve(shipped, "411300", day).benefits
    assert ours.rules[0].when.cross_province is True
    assert ours.rules[1:] == base.rules
    assert ours.model_copy(update={"rules": base.rules}) == base


def test_an_emergency_is_med_type_13() -> None:
    assert is_emergency("13") and not is_emergency("11") and not is_emergency("21")
