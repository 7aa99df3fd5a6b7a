"""Electronic prescriptions, the rules alone: validity to the second (《处方管理办法》第十八条),
which items need a prescription, and each refusal of a fill."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from gongji.domain.catalog import CatalogItem, make_item
from gongji.domain.clock import shanghai
from gongji.domain.errors import GongjiError
from gongji.domain.policy import Policy, validate
from gongji.domain.prescriptions import (
    Prescription,
    check_cnt,
    check_fill,
    check_items,
    check_required,
    cnt_text,
    is_expired,
    needs_prescription,
    prescribed_lines,
    valid_until,
)
from gongji.services.catalog.service import demo_rows, to_item

ISSUED = shanghai(2026, 11, 24, 10, 0, 0)
DRUG, OTC, SERVICE, OTHER = ("XA02BCA010A001010100001", "ZA01AAA0107001010254312",
                             "310000000000001", "XC08CAA040A001010234467")


def item(code: str, list_type: str = "101", *, otc: bool = False, name: str = "药") -> CatalogItem:
    return CatalogItem(code, name, list_type, "09", "01", Fraction(0), None, False, "", "",
                       date(2024, 1, 1), None, otc=otc)


ITEMS = {DRUG: item(DRUG, name="奥美拉唑"), OTC: item(OTC, otc=True, name="感冒清热颗粒"),
         SERVICE: item(SERVICE, "201", name="治疗"), OTHER: item(OTHER, name="硝苯地平")}


def rx(days: int = 1, **kw: object) -> Prescription:
    fields: dict[str, object] = dict(
        hi_rxno="R1", psn_no="P1", issued_by="H51010000001", issued_at=ISSUED,
        valid_until=valid_until(ISSUED, days, max_valid_days=3), status="issued",
        items={DRUG: Decimal("2"), OTHER: Decimal("0.5")})
    fields.update(kw)
    return Prescription(**fields)  # type: ignore[arg-type]


def code_of(fn: object) -> str:
    with pytest.raises(GongjiError) as e:
        fn()  # type: ignore[operator]
    return e.value.code


# -- validity, to the second -----------------------------------------------------------------

def test_valid_the_day_of_issue_only_by_default() -> None:
    r = rx(1)
    assert r.valid_until == shanghai(2026, 11, 24, 23, 59, 59)
    assert not is_expired(r, ISSUED)
    assert not is_expired(r, shanghai(2026, 11, 24, 23, 59, 59))
    assert not is_expired(r, shanghai(2026, 11, 24, 23, 59, 59) + timedelta(microseconds=999))
    assert is_expired(r, shanghai(2026, 11, 25, 0, 0, 0))


def test_three_days_run_through_the_day_after_tomorrow() -> None:
    r = rx(3)
    assert r.valid_until == shanghai(2026, 11, 26, 23, 59, 59)
    assert not is_expired(r, shanghai(2026, 11, 26, 23, 59, 59))
    assert is_expired(r, shanghai(2026, 11, 27, 0, 0, 0))
    assert valid_until(ISSUED, 2, max_valid_days=3) == shanghai(2026, 11, 25, 23, 59, 59)


def test_issued_just_before_midnight_is_still_that_day() -> None:
    late = shanghai(2026, 11, 24, 23, 59, 30)
    assert valid_until(late, 1, max_valid_days=3) == shanghai(2026, 11, 24, 23, 59, 59)
    # an instant written in UTC is read as its Shanghai day (15:59:30 UTC is 23:59:30 there)
    assert valid_until(late.astimezone(shanghai(2026, 1, 1).tzinfo), 1, max_valid_days=3) \
        == shanghai(2026, 11, 24, 23, 59, 59)


@pytest.mark.parametrize("days", [0, 4, -1, 30])
def test_more_than_three_days_or_none_is_refused(days: int) -> None:
    with pytest.raises(GongjiError) as e:
        valid_until(ISSUED, days, max_valid_days=3)
    assert e.value.code == "RX_VALID_DAYS" and e.value.params["max_valid_days"] == 3


def test_a_region_may_shorten_the_maximum_never_lengthen_it() -> None:
    assert code_of(lambda: valid_until(ISSUED, 2, max_valid_days=1)) == "RX_VALID_DAYS"
    assert code_of(lambda: valid_until(ISSUED, 4, max_valid_days=9)) == "RX_VALID_DAYS"
    assert Policy().prescriptions.default_valid_days == 1
    assert Policy().prescriptions.max_valid_days == 3
    for bad in ({"max_valid_days": 4}, {"default_valid_days": 2, "max_valid_days": 1},
                {"default_valid_days": 0}):
        with pytest.raises(GongjiError):
            validate({"prescriptions": bad})


# -- what needs a prescription --------------------------------------------------------------

def test_a_prescription_drug_needs_one_otc_and_services_do_not() -> None:
    assert needs_prescription(ITEMS[DRUG])
    assert not needs_prescription(ITEMS[OTC])
    assert not needs_prescription(ITEMS[SERVICE])


def test_an_order_without_a_prescription_names_the_drug() -> None:
    check_required([(OTC, Decimal(1)), (SERVICE, Decimal(1))], ITEMS)
    with pytest.raises(GongjiError) as e:
        check_required([(OTC, Decimal(1)), (DRUG, Decimal(1))], ITEMS)
    assert e.value.code == "RX_REQUIRED" and e.value.params == {"code": DRUG, "name": "奥美拉唑"}
    assert DRUG in e.value.message and "奥美拉唑" in e.value.message_en
    assert prescribed_lines([(OTC, Decimal(1)), (DRUG, Decimal(2)), (SERVICE, Decimal(1))],
                            ITEMS) == [(DRUG, Decimal(2))]


# -- a fill ---------------------------------------------------------------------------------

def test_a_fill_within_the_prescription_passes() -> None:
    check_fill(rx(), "P1", [(DRUG, Decimal(1)), (DRUG, Decimal(1)), (OTHER, Decimal("0.5"))],
               ISSUED)
    check_fill(rx(), "P1", [], ISSUED)


@pytest.mark.parametrize(("r", "psn", "lines", "at", "code"), [
    (None, "P1", [], ISSUED, "RX_NOT_FOUND"),
    (rx(), "P2", [], ISSUED, "RX_OTHER_PERSON"),
    (rx(status="revoked"), "P1", [], ISSUED, "RX_REVOKED"),
    (rx(status="filled"), "P1", [], ISSUED, "RX_ALREADY_FILLED"),
    (rx(), "P1", [], shanghai(2026, 11, 25), "RX_EXPIRED"),
    (rx(), "P1", [(SERVICE, Decimal(1))], ISSUED, "RX_ITEM_NOT_PRESCRIBED"),
    (rx(), "P1", [(DRUG, Decimal(2)), (DRUG, Decimal("0.00001"))], ISSUED,
     "RX_QUANTITY_EXCEEDED"),
    # someone else's prescription says nothing of its state
    (rx(status="filled"), "P2", [], ISSUED, "RX_OTHER_PERSON"),
])
def test_each_refusal_of_a_fill(r: Prescription | None, psn: str,
                                lines: list[tuple[str, Decimal]], at: object,
                                code: str) -> None:
    with pytest.raises(GongjiError) as e:
        check_fill(r, psn, lines, at, hi_rxno="R1")  # type: ignore[arg-type]
    assert e.value.code == code


def test_the_quantity_refusal_names_the_drug_and_both_quantities() -> None:
    with pytest.raises(GongjiError) as e:
        check_fill(rx(), "P1", [(OTHER, Decimal("0.75"))], ISSUED)
    assert e.value.params == {"code": OTHER, "prescribed": "0.5", "asked": "0.75"}
    assert "0.5" in e.value.message and "0.75" in e.value.message_en


# -- prescribing -----------------------------------------------------------------------------

def test_quantities() -> None:
    assert check_cnt(DRUG, Decimal("0.00001")) == Decimal("0.00001")
    assert cnt_text(Decimal("10")) == "10" and cnt_text(Decimal("2.50")) == "2.5"
    for bad in ("0", "-1", "0.000001", "100000", "NaN", "Infinity"):
        assert code_of(lambda bad=bad: check_cnt(DRUG, Decimal(bad))) == "RX_ITEMS_INVALID"


def test_items_are_one_to_five_drugs_of_the_catalog_each_once() -> None:
    assert check_items([(DRUG, Decimal(1)), (OTC, Decimal(2))], ITEMS) == {
        DRUG: Decimal(1), OTC: Decimal(2)}
    assert code_of(lambda: check_items([], ITEMS)) == "RX_ITEMS_INVALID"
    assert code_of(lambda: check_items([(DRUG, Decimal(1))] * 2, ITEMS)) == "RX_ITEMS_INVALID"
    assert code_of(lambda: check_items([(SERVICE, Decimal(1))], ITEMS)) == "RX_ITEM_NOT_DRUG"
    assert code_of(lambda: check_items([("XNOPE", Decimal(1))], ITEMS)) == \
        "CATALOG_ITEM_NOT_FOUND"
    six = {f"X{i}": item(f"X{i}") for i in range(6)}
    assert code_of(lambda: check_items([(c, Decimal(1)) for c in six], six)) == \
        "RX_ITEMS_INVALID"
    assert len(check_items([(c, Decimal(1)) for c in list(six)[:5]], six)) == 5


# -- the catalog says which drugs are OTC ------------------------------------------------------

def test_the_catalog_reads_otc_flag() -> None:
    base = {"med_list_codg": DRUG, "name": "药", "list_type": "101", "med_chrgitm_type": "09",
            "chrgitm_lv": "01", "begndate": date(2024, 1, 1)}
    assert make_item(**base, otc_flag="1").otc  # type: ignore[arg-type]
    assert not make_item(**base, otc_flag="0").otc  # type: ignore[arg-type]
    assert not make_item(**base).otc  # type: ignore[arg-type]
    with pytest.raises(GongjiError) as e:
        make_item(**base, otc_flag="yes")  # type: ignore[arg-type]
    assert e.value.code == "CATALOG_FIELD_INVALID" and e.value.params["field"] == "otc_flag"
    demo = [to_item(r, begndate=date(2024, 1, 1)) for _, r in demo_rows()]
    otc = {i.name for i in demo if i.otc}
    assert {"感冒清热颗粒", "对乙酰氨基酚片"} <= otc
    assert all(i.is_drug for i in demo if i.otc)
    assert any(needs_prescription(i) for i in demo)
