"""Drug trace codes (DOMAIN.md §6): the three printed forms, one key per box, sale outcomes."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from gongji.domain.errors import ERRORS, Bi, GongjiError
from gongji.domain.tracecode import (
    OUTCOME_TEXT,
    Box,
    Recorded,
    Sold,
    TraceCode,
    check_sales,
    check_stock_date,
    expired,
    parse,
    part_of_box,
    query_outcome,
    split_allowed,
    untraced_draws,
)

GS = "\x1d"


def _gs1_check(first13: str) -> str:
    """GS1 mod 10 written out independently: pad to 17 digits, weights 3,1,3,... from the left
    of the 17 (which is 3,1 from the right of the data), check = round up to a multiple of 10."""
    padded = first13.rjust(17, "0")
    s = sum(int(c) * w for c, w in zip(padded, [3, 1] * 8 + [3], strict=True))
    return str((10 - s % 10) % 10)


def _gtin(first13: str) -> str:
    return first13 + _gs1_check(first13)


GTIN = _gtin("0690123456789")
OTHER_GTIN = _gtin("1693456789012")
MSSF = "81234567890123456789"
NUMERIC = "61234567890123456789"


def _refused(text: str) -> GongjiError:
    with pytest.raises(GongjiError) as info:
        parse(text)
    e = info.value
    assert e.code == "TRACE_CODE_INVALID"
    assert isinstance(e.params["reason"], Bi)
    return e


def _reason_en(text: str) -> str:
    reason = _refused(text).params["reason"]
    assert isinstance(reason, Bi)
    return reason.en


# -- the check digit used throughout is right ----------------------------------------------


def test_independent_check_digit_matches_published_examples() -> None:
    # GS1's own worked example (GTIN-13 4006381333931) and a GTIN-14 with a leading 0.
    assert _gs1_check("0400638133393") == "1"
    assert _gs1_check("400638133393") == "1"
    assert GTIN == "06901234567892"


# -- 20-digit codes ------------------------------------------------------------------------


def test_mssf_code() -> None:
    code = parse(MSSF)
    assert code == TraceCode(kind="mssf", key=MSSF, gtin=None, serial=None, batch=None,
                             expiry=None, raw=MSSF)


def test_other_numeric_code() -> None:
    code = parse(NUMERIC)
    assert code.kind == "numeric"
    assert code.key == NUMERIC
    assert parse("0" * 20).kind == "numeric"


def test_surrounding_whitespace_is_stripped() -> None:
    code = parse(f"  {MSSF}\r\n")
    assert code.raw == MSSF and code.key == MSSF


@pytest.mark.parametrize("text", [MSSF[:19], MSSF + "0", NUMERIC[:19], "8", "8" * 40])
def test_wrong_number_of_digits_is_refused(text: str) -> None:
    assert "20 digits" in _reason_en(text)


@pytest.mark.parametrize("text", [
    "8123456789012345678A",
    "A1234567890123456789",
    "8123456789O123456789",
    "８１２３４５６７８９０１２３４５６７８９",  # full-width digits
    "81234567890 123456789",
    "81234567890-123456789",
])
def test_letters_and_other_characters_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_is_refused(text: str) -> None:
    assert "empty" in _reason_en(text)


def test_refusal_message_names_the_problem_in_both_languages() -> None:
    e = _refused(MSSF[:19])
    assert e.message.startswith("药品追溯码不合法：")
    assert "20" in e.message
    assert e.message_en.startswith("Invalid drug trace code: ")
    assert e.body()["detail"]["reason"] == e.params["reason"].en


def test_error_is_registered_as_422() -> None:
    spec = ERRORS["TRACE_CODE_INVALID"]
    assert spec.http_status == 422
    assert "{reason}" in spec.zh and "{reason}" in spec.en


# -- GS1 element strings -------------------------------------------------------------------

HUMAN = f"(01){GTIN}(17)261231(10)ABC123(21)XYZ789"
RAW_FORMS = [
    f"01{GTIN}17261231" + f"10ABC123{GS}21XYZ789",
    f"]d201{GTIN}17261231" + f"10ABC123{GS}21XYZ789",
    f"01{GTIN}17261231" + "10ABC123<GS>21XYZ789",
    f"]d201{GTIN}17261231" + "10ABC123<GS>21XYZ789",
    f"]d201{GTIN}17261231" + f"10ABC123{GS}21XYZ789{GS}",
]


def _assert_full_box(code: TraceCode) -> None:
    assert code.kind == "gs1"
    assert code.gtin == GTIN
    assert code.serial == "XYZ789"
    assert code.batch == "ABC123"
    assert code.expiry == date(2026, 12, 31)
    assert code.key == f"01{GTIN}21XYZ789"


def test_human_readable_form() -> None:
    code = parse(HUMAN)
    _assert_full_box(code)
    assert code.raw == HUMAN


@pytest.mark.parametrize("text", RAW_FORMS)
def test_raw_forms(text: str) -> None:
    code = parse(text)
    _assert_full_box(code)
    assert code.raw == text.strip()


def test_raw_keeps_the_symbology_identifier_and_separators() -> None:
    text = f"]d201{GTIN}10ABC123{GS}21XYZ789"
    assert parse(text).raw == text


@pytest.mark.parametrize("text", [
    f"(21)XYZ789(10)ABC123(17)261231(01){GTIN}",
    f"(10)ABC123(01){GTIN}(21)XYZ789(17)261231",
    f"21XYZ789{GS}10ABC123{GS}17261231" + f"01{GTIN}",
    "]d217261231" + f"10ABC123<GS>01{GTIN}21XYZ789",
    f"10ABC123{GS}21XYZ789{GS}01{GTIN}17261231",
])
def test_application_identifiers_in_any_order(text: str) -> None:
    _assert_full_box(parse(text))


def test_only_gtin_and_serial_are_required() -> None:
    for text in (f"(01){GTIN}(21)S1", f"01{GTIN}21S1", f"]d201{GTIN}21S1"):
        code = parse(text)
        assert (code.gtin, code.serial, code.batch, code.expiry) == (GTIN, "S1", None, None)


def test_a_separator_after_a_fixed_length_field_is_tolerated() -> None:
    code = parse(f"01{GTIN}{GS}17261231{GS}21XYZ789")
    assert code.expiry == date(2026, 12, 31) and code.serial == "XYZ789"


def test_an_all_digit_gs1_string_needs_the_symbology_identifier() -> None:
    # 20 digits without "]d2" are a maker's numeric code, even if they could read as GS1.
    digits = f"01{GTIN}2112"
    assert len(digits) == 20
    assert parse(digits).kind == "numeric"
    code = parse("]d2" + digits)
    assert code.kind == "gs1" and code.serial == "12"


def test_variable_field_without_a_separator_swallows_what_follows() -> None:
    # The batch runs to the end, so the serial is not there: refused, not guessed at.
    assert "(21)" in _reason_en(f"01{GTIN}10ABC12321XYZ789")


def test_other_symbology_identifiers_are_refused() -> None:
    assert "]d2" in _reason_en(f"]Q301{GTIN}21XYZ789")
    _refused(f"]C101{GTIN}21XYZ789")


# -- expiry (17) ---------------------------------------------------------------------------


@pytest.mark.parametrize(("yymmdd", "expected"), [
    ("261100", date(2026, 11, 30)),
    ("261200", date(2026, 12, 31)),
    ("260100", date(2026, 1, 31)),
    ("240200", date(2024, 2, 29)),
    ("250200", date(2025, 2, 28)),
    ("000200", date(2000, 2, 29)),
    ("260415", date(2026, 4, 15)),
    ("240229", date(2024, 2, 29)),
])
def test_expiry_dates(yymmdd: str, expected: date) -> None:
    assert parse(f"(01){GTIN}(17){yymmdd}(21)S").expiry == expected
    assert parse(f"01{GTIN}17{yymmdd}21S").expiry == expected


@pytest.mark.parametrize("yymmdd", ["261300", "260015", "269901"])
def test_bad_month_is_refused(yymmdd: str) -> None:
    assert "month must be 01-12" in _reason_en(f"(01){GTIN}(17){yymmdd}(21)S")


@pytest.mark.parametrize("yymmdd", ["260431", "250229", "260132", "260299"])
def test_day_past_month_end_is_refused(yymmdd: str) -> None:
    assert "expiry day is past" in _reason_en(f"(01){GTIN}(17){yymmdd}(21)S")


@pytest.mark.parametrize("value", ["2612", "2612311", "26123A", ""])
def test_expiry_must_be_six_digits(value: str) -> None:
    assert "6 digits" in _reason_en(f"(01){GTIN}(17){value}(21)S")


def test_expired_at_the_day_boundary() -> None:
    code = parse(f"(01){GTIN}(17)260600(21)S")
    assert code.expiry == date(2026, 6, 30)
    assert not expired(code, date(2026, 6, 29))
    assert not expired(code, date(2026, 6, 30))
    assert expired(code, date(2026, 7, 1))
    assert expired(code, date(2027, 1, 1))


def test_a_code_without_expiry_is_never_expired() -> None:
    assert not expired(parse(MSSF), date(2099, 12, 31))
    assert not expired(parse(f"(01){GTIN}(21)S"), date(2099, 12, 31))


# -- GTIN (01) -----------------------------------------------------------------------------


@pytest.mark.parametrize("wrong", [d for d in "0123456789" if d != GTIN[-1]])
def test_wrong_gtin_check_digit_is_refused(wrong: str) -> None:
    bad = GTIN[:13] + wrong
    assert "check digit" in _reason_en(f"(01){bad}(21)S")
    assert "check digit" in _reason_en(f"01{bad}21S")


def test_transposed_digits_are_caught() -> None:
    swapped = GTIN[:3] + GTIN[4] + GTIN[3] + GTIN[5:]
    assert swapped != GTIN
    assert "check digit" in _reason_en(f"(01){swapped}(21)S")


def test_another_valid_gtin_is_accepted() -> None:
    assert parse(f"(01){OTHER_GTIN}(21)S").gtin == OTHER_GTIN


@pytest.mark.parametrize("value", [GTIN[1:], GTIN + "0", GTIN[:12] + "A" + GTIN[13], ""])
def test_gtin_must_be_fourteen_digits(value: str) -> None:
    assert "14 digits" in _reason_en(f"(01){value}(21)S")


def test_raw_gtin_cut_short_is_refused() -> None:
    _refused(f"01{GTIN[:10]}{GS}21S")


# -- required, unknown and repeated identifiers --------------------------------------------


@pytest.mark.parametrize("text", [
    f"(01){GTIN}(17)261231(10)ABC123",
    f"01{GTIN}17261231" + "10ABC123",
    f"]d201{GTIN}",
])
def test_missing_serial_is_refused(text: str) -> None:
    assert "(21)" in _reason_en(text)


@pytest.mark.parametrize("text", [
    "(17)261231(10)ABC123(21)XYZ789",
    f"21XYZ789{GS}10ABC123",
    "]d221XYZ789",
])
def test_missing_gtin_is_refused(text: str) -> None:
    assert "(01)" in _reason_en(text)


@pytest.mark.parametrize("text", [
    f"(01){GTIN}(99)FOO(21)S",
    f"(01){GTIN}(21)S(240)X",
    f"01{GTIN}99FOO{GS}21S",
    f"]d201{GTIN}21S{GS}99FOO",
    "(99)FOO",
])
def test_unknown_application_identifier_is_refused(text: str) -> None:
    assert "unsupported application identifier" in _reason_en(text)


@pytest.mark.parametrize("text", [
    f"(01){GTIN}(21)S(01){GTIN}",
    f"(01){GTIN}(21)S1(21)S2",
    f"01{GTIN}21S1{GS}21S2",
    f"01{GTIN}17261231" + "17261231" + "21S",
    f"(01){GTIN}(10)B1(10)B1(21)S",
])
def test_duplicate_application_identifier_is_refused(text: str) -> None:
    assert "twice" in _reason_en(text)


@pytest.mark.parametrize("text", [
    f"(01){GTIN}(21)S extra",
    f"X(01){GTIN}(21)S",
    f"01{GTIN}21S1{GS}{GS}10B",
    f"01{GTIN}{GS}{GS}21S",
    f"01{GTIN}21S1{GS}X",
    f"(01){GTIN}(21)S{GS}B",  # a separator has no place in the bracketed form
])
def test_malformed_element_strings_are_refused(text: str) -> None:
    _refused(text)


# -- batch (10) and serial (21) ------------------------------------------------------------


@pytest.mark.parametrize("ai", ["10", "21"])
def test_twenty_characters_is_the_limit(ai: str) -> None:
    ok = "A" * 20
    other = "21S" if ai == "10" else "10B"
    code = parse(f"(01){GTIN}({ai}){ok}({other[:2]}){other[2:]}")
    assert (code.batch if ai == "10" else code.serial) == ok
    code = parse(f"01{GTIN}{ai}{ok}{GS}{other}")
    assert (code.batch if ai == "10" else code.serial) == ok
    assert "1-20" in _reason_en(f"(01){GTIN}({ai}){ok}B({other[:2]}){other[2:]}")
    assert "1-20" in _reason_en(f"01{GTIN}{ai}{ok}B{GS}{other}")


@pytest.mark.parametrize("ai", ["10", "21"])
def test_empty_variable_field_is_refused(ai: str) -> None:
    other = "21S" if ai == "10" else "10B"
    assert "1-20" in _reason_en(f"(01){GTIN}({ai})({other[:2]}){other[2:]}")
    assert "1-20" in _reason_en(f"01{GTIN}{ai}{GS}{other}")


@pytest.mark.parametrize("value", ["A/B-1.2", "x_y:z;", "!\"%&'*+,<=>?", "(a)"])
def test_set_82_symbols_are_accepted(value: str) -> None:
    assert parse(f"01{GTIN}21{value}").serial == value


@pytest.mark.parametrize("char", [" ", "#", "$", "@", "[", "\\", "^", "`", "{", "|", "}",
                                  "~", "批"])
def test_characters_outside_set_82_are_refused(char: str) -> None:
    _refused(f"01{GTIN}10B{char}1{GS}21S")
    _refused(f"(01){GTIN}(21)S{char}1")


# -- one key per box -----------------------------------------------------------------------


def test_same_box_in_both_forms_has_one_key() -> None:
    keys = {parse(HUMAN).key} | {parse(t).key for t in RAW_FORMS}
    keys.add(parse(f"(21)XYZ789(01){GTIN}").key)
    assert keys == {f"01{GTIN}21XYZ789"}


def test_key_ignores_batch_and_expiry_but_not_gtin_or_serial() -> None:
    base = parse(f"(01){GTIN}(21)XYZ789").key
    assert parse(f"(01){GTIN}(17)270101(10)OTHER(21)XYZ789").key == base
    assert parse(f"(01){GTIN}(21)XYZ788").key != base
    assert parse(f"(01){OTHER_GTIN}(21)XYZ789").key != base
    assert parse(f"(01){GTIN}(21)xyz789").key != base


def test_keys_of_different_kinds_differ() -> None:
    assert len({parse(MSSF).key, parse(NUMERIC).key, parse(HUMAN).key}) == 3


# -- sales of one code ---------------------------------------------------------------------


def r(sale_id: str, psn_no: str, part: Fraction | None = None) -> Recorded:
    """A sale; with a part, a split sale (拆零) of that part of the box."""
    return Recorded(sale_id, psn_no, part is not None, part if part is not None else Fraction(1))


@pytest.mark.parametrize("asker", ["P1", None, ""])
def test_unsold(asker: str | None) -> None:
    assert query_outcome([], asker) == "unsold"


def test_sold_to_you() -> None:
    assert query_outcome([r("S1", "P1")], "P1") == "sold_to_you"


def test_sold_to_other() -> None:
    assert query_outcome([r("S1", "P2")], "P1") == "sold_to_other"


@pytest.mark.parametrize("anonymous", [None, ""])
def test_an_anonymous_asker_hears_the_neutral_answer_never_whose(anonymous: str | None
                                                                 ) -> None:
    """The official query: "a sale record exists, check it was you", never "not you"."""
    assert query_outcome([r("S1", "P1")], anonymous) == "sold_once"
    assert query_outcome([r("S1", "")], anonymous) == "sold_once"
    assert query_outcome([r("S1", "P1", Fraction(1, 2))], anonymous) == "sold_once"


@pytest.mark.parametrize("asker", ["P1", "P2", None])
def test_sold_more_than_once(asker: str | None) -> None:
    assert query_outcome([r("S1", "P1"), r("S2", "P2")], asker) == "sold_more_than_once"
    assert query_outcome([r("S1", "P1"), r("S2", "P1")], asker) == "sold_more_than_once"
    many = [r(f"S{i}", f"P{i}") for i in range(5)]
    assert query_outcome(many, asker) == "sold_more_than_once"


def test_one_sale_listed_twice_is_one_sale() -> None:
    assert query_outcome([r("S1", "P1"), r("S1", "P1")], "P1") == "sold_to_you"
    assert query_outcome([r("S1", "P1"), r("S1", "P1")], None) == "sold_once"


def test_split_sales_to_several_buyers_within_the_box_are_one_sale() -> None:
    parts = [r(f"S{i}", f"P{i}", Fraction(1, 3)) for i in range(3)]  # exactly the box
    assert query_outcome(parts, None) == "sold_split"
    assert query_outcome(parts, "P1") == "sold_to_you"
    assert query_outcome(parts, "P9") == "sold_to_other"
    over = [*parts, r("S9", "P9", Fraction(1, 24))]  # one unit past the box
    assert query_outcome(over, None) == "sold_more_than_once"
    assert query_outcome(over, "P9") == "sold_more_than_once"
    mixed = [r("S1", "P1", Fraction(1, 2)), r("S2", "P2")]  # a split part and a whole sale
    assert query_outcome(mixed, None) == "sold_more_than_once"


def test_every_outcome_is_explained_in_both_languages() -> None:
    assert set(OUTCOME_TEXT) == {"unsold", "sold_once", "sold_split", "sold_to_you",
                                 "sold_to_other", "sold_more_than_once"}
    assert "2 天后" in OUTCOME_TEXT["unsold"].zh and "two days" in OUTCOME_TEXT["unsold"].en
    assert "举报" in OUTCOME_TEXT["unsold"].zh and "report" in OUTCOME_TEXT["unsold"].en
    assert "核对" in OUTCOME_TEXT["sold_once"].zh and "check" in OUTCOME_TEXT["sold_once"].en
    assert "不是您" not in OUTCOME_TEXT["sold_once"].zh
    for text in OUTCOME_TEXT.values():
        assert isinstance(text, Bi)
        assert re.search(r"[\u4e00-\u9fff]", text.zh)
        assert text.en and not re.search(r"[\u4e00-\u9fff]", text.en)
    assert len({t.zh for t in OUTCOME_TEXT.values()}) == len(OUTCOME_TEXT)
    assert "举报" in OUTCOME_TEXT["sold_more_than_once"].zh


# -- split sales (拆零) ---------------------------------------------------------------------


def test_split_sales_up_to_exactly_one_box() -> None:
    assert split_allowed(Fraction(0), Fraction(1))
    assert split_allowed(Fraction(0), Fraction(1, 3))
    assert split_allowed(Fraction(1, 2), Fraction(1, 2))
    assert split_allowed(Fraction(2, 3), Fraction(1, 3))
    assert split_allowed(Fraction(9, 10), Fraction(1, 10))


def test_split_sales_past_one_box_are_refused() -> None:
    tiny = Fraction(1, 10**12)
    assert not split_allowed(Fraction(1), tiny)
    assert not split_allowed(Fraction(0), Fraction(1) + tiny)
    assert not split_allowed(Fraction(1, 2), Fraction(1, 2) + tiny)
    assert not split_allowed(Fraction(2, 3), Fraction(1, 3) + tiny)
    assert not split_allowed(Fraction(1), Fraction(1))


def _refuses(code: str, fn: object) -> GongjiError:
    with pytest.raises(GongjiError) as e:
        fn()  # type: ignore[operator]
    assert e.value.code == code, e.value.code
    return e.value


def test_a_split_line_counts_units_of_the_box_when_the_catalog_knows_them() -> None:
    assert part_of_box("1", Decimal("1"), pack_cnt=24) == Fraction(1, 24)
    assert part_of_box("1", Decimal("24"), pack_cnt=24) == 1
    assert part_of_box("1", Decimal("24.0000"), pack_cnt=24) == 1
    for bad in ("25", "0", "1.5"):
        _refuses("TRACE_SPLIT_INVALID", lambda b=bad: part_of_box("1", Decimal(b), pack_cnt=24))
    assert part_of_box("1", Decimal("0.5"), pack_cnt=None) == Fraction(1, 2)
    assert part_of_box("1", Decimal("1"), pack_cnt=None) == 1
    _refuses("TRACE_SPLIT_INVALID", lambda: part_of_box("1", Decimal("1.0001"), pack_cnt=None))


def _box(units: int, pack: int = 24) -> Box:
    return Box("1", "X", parse(MSSF), Fraction(units, pack), True, pack)


def test_the_units_of_a_box_sell_to_several_buyers_and_not_one_more() -> None:
    before = {parse(MSSF).key: [Sold(Fraction(10, 24), True), Sold(Fraction(10, 24), True)]}
    check_sales([_box(4)], before)                      # the 24th unit: the box is sold out
    e = _refuses("TRACE_SPLIT_OVER", lambda: check_sales([_box(5)], before))  # the 25th
    assert e.params["left"] == "4" and e.params["asked"] == "5" and e.params["box"] == "24"
    whole = {parse(MSSF).key: [Sold(Fraction(1), False)]}
    _refuses("TRACE_CODE_SOLD", lambda: check_sales([_box(1)], whole))


def test_untraced_stock_is_what_was_bought_before_the_mandate() -> None:
    mandate = date(2025, 7, 1)
    check_stock_date(date(2025, 6, 30), mandate)
    _refuses("UNTRACED_STOCK_DATE", lambda: check_stock_date(date(2025, 7, 1), mandate))
    _refuses("UNTRACED_STOCK_DATE", lambda: check_stock_date(date(2025, 6, 30), None))


def test_untraced_stock_settles_while_it_lasts() -> None:
    left = {"X": Fraction(3)}
    assert untraced_draws([("1", "X", Fraction(2)), ("2", "X", Fraction(1))], left) == \
        {"X": Fraction(3)}
    e = _refuses("UNTRACED_STOCK_EXHAUSTED", lambda: untraced_draws(
        [("1", "X", Fraction(2)), ("2", "X", Fraction(3, 2))], left))
    assert e.params["feedetl_sn"] == "2" and e.params["left"] == "1"
    _refuses("TRACE_CODE_MISSING", lambda: untraced_draws([("1", "Y", Fraction(1))], left))
    _refuses("UNTRACED_STOCK_EXHAUSTED", lambda: untraced_draws(
        [("1", "X", Fraction(1))], {"X": Fraction(0)}))


@pytest.mark.parametrize(("before", "this"), [
    (Fraction(0), Fraction(0)),
    (Fraction(1, 2), Fraction(-1, 2)),
    (Fraction(-1, 2), Fraction(1, 2)),
])
def test_split_fractions_must_be_positive(before: Fraction, this: Fraction) -> None:
    with pytest.raises(ValueError, match="positive"):
        split_allowed(before, this)


def test_expiry_day_boundary_holds_for_every_month_end() -> None:
    for month in range(1, 13):
        code = parse(f"(01){GTIN}(17)28{month:02d}00(21)S")
        assert code.expiry is not None
        nxt = code.expiry + timedelta(days=1)
        assert nxt.day == 1
        assert not expired(code, code.expiry) and expired(code, nxt)


# -- the catalog's units per box ------------------------------------------------------------


@pytest.mark.parametrize(("text", "units"), [("", None), ("1", 1), ("24", 24), ("10000", 10000)])
def test_a_catalog_item_may_say_how_many_units_its_box_holds(text: str, units: int | None
                                                             ) -> None:
    from gongji.domain.catalog import make_item
    item = make_item(med_list_codg="XA02BCA010A001010100002", name="按片药", list_type="101",
                     med_chrgitm_type="09", chrgitm_lv="01", begndate=date(2024, 1, 1),
                     pack_cnt=text)
    assert item.pack_cnt == units


@pytest.mark.parametrize("text", ["0", "10001", "1.5", "-1", "二十"])
def test_a_units_per_box_outside_1_to_10000_is_refused(text: str) -> None:
    from gongji.domain.catalog import make_item
    e = _refuses("CATALOG_FIELD_INVALID", lambda: make_item(
        med_list_codg="XA02BCA010A001010100002", name="按片药", list_type="101",
        med_chrgitm_type="09", chrgitm_lv="01", begndate=date(2024, 1, 1), pack_cnt=text))
    assert e.params["field"] == "pack_cnt"
