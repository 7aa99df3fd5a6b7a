"""Resident ID numbers (GB 11643-1999): shape, check character, birth date, sex, age."""

from __future__ import annotations

from datetime import date

import pytest

from gongji.domain.certno import check_digit, make_certno, parse_certno
from gongji.domain.errors import GongjiError

TODAY = date(2026, 6, 15)

# The worked examples printed in GB 11643-1999 itself (independent of our implementation).
STANDARD_MALE = "440524188001010014"
STANDARD_FEMALE_X = "11010519491231002X"


def _iso7064(first17: str) -> str:
    """MOD 11-2 written out independently: weights 2^(17-i) mod 11, check (12 - s) mod 11."""
    s = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17)) % 11
    value = (12 - s) % 11
    return "X" if value == 10 else str(value)


def _other_check(certno: str) -> str:
    """The same number with a different (hence wrong) check character."""
    right = certno[17]
    wrong = "0" if right != "0" else "1"
    return certno[:17] + wrong


def _seq_with_check_x() -> int:
    for seq in range(1000):
        if _iso7064(f"51010419900228{seq:03d}") == "X":
            return seq
    raise AssertionError("no sequence gives X")


def test_standard_examples_are_valid() -> None:
    # the male example (born 1880) has a right check character but falls to the 1890 floor
    err = _refused(STANDARD_MALE)
    assert "birth date" in err.message_en
    female = parse_certno(STANDARD_FEMALE_X, today=TODAY)
    assert female.admdvs == "110105"
    assert female.brdy == date(1949, 12, 31)
    assert female.gend == "2"
    assert female.certno == STANDARD_FEMALE_X


def test_check_digit_matches_the_standard_formula() -> None:
    for number in (STANDARD_MALE, STANDARD_FEMALE_X):
        assert check_digit(number[:17]) == number[17]
    for first17 in ("51010419900228001", "11010520000229123", "41130019751111999"):
        assert check_digit(first17) == _iso7064(first17)


@pytest.mark.parametrize(("admdvs", "brdy", "seq", "gend"), [
    ("510104", date(1990, 2, 28), 1, "1"),
    ("510104", date(1990, 2, 28), 2, "2"),
    ("110105", date(2000, 2, 29), 999, "1"),
    ("440100", date(1956, 12, 31), 0, "2"),
    ("411300", date(2026, 6, 15), 38, "2"),   # born today is not in the future
])
def test_make_certno_round_trips(admdvs: str, brdy: date, seq: int, gend: str) -> None:
    number = make_certno(admdvs, brdy, seq)
    assert len(number) == 18
    assert number[:17] == f"{admdvs}{brdy:%Y%m%d}{seq:03d}"
    assert number[17] == _iso7064(number[:17])
    info = parse_certno(number, today=TODAY)
    assert info.certno == number
    assert info.brdy == brdy
    assert info.gend == gend
    assert info.admdvs == admdvs


def test_sex_is_read_from_the_seventeenth_digit() -> None:
    for seq, gend in ((10, "2"), (11, "1"), (18, "2"), (19, "1"), (100, "2"), (101, "1")):
        number = make_certno("320102", date(1985, 7, 1), seq)
        assert number[16] == str(seq % 10)
        assert parse_certno(number, today=TODAY).gend == gend


def test_age_on_at_the_birthday_boundary() -> None:
    info = parse_certno(make_certno("510104", date(2008, 3, 15), 21), today=TODAY)
    assert info.age_on(date(2026, 3, 14)) == 17
    assert info.age_on(date(2026, 3, 15)) == 18
    assert info.age_on(date(2026, 3, 16)) == 18
    assert info.age_on(date(2025, 12, 31)) == 17
    assert info.age_on(date(2008, 3, 15)) == 0


def test_lowercase_x_is_accepted_as_upper_case() -> None:
    info = parse_certno(STANDARD_FEMALE_X.lower(), today=TODAY)
    assert info.certno == STANDARD_FEMALE_X
    seq = _seq_with_check_x()
    number = make_certno("510104", date(1990, 2, 28), seq)
    assert number.endswith("X")
    assert parse_certno(number[:17] + "x", today=TODAY).certno == number


def test_surrounding_spaces_are_ignored() -> None:
    assert parse_certno(f"  {STANDARD_FEMALE_X} ", today=TODAY).certno == STANDARD_FEMALE_X


def _refused(value: object) -> GongjiError:
    with pytest.raises(GongjiError) as e:
        parse_certno(value, today=TODAY)  # type: ignore[arg-type]
    assert e.value.code == "CERTNO_INVALID"
    return e.value


def test_wrong_check_digit_is_refused() -> None:
    err = _refused(_other_check(STANDARD_MALE))
    assert "check" in err.message_en
    err = _refused(STANDARD_FEMALE_X[:17] + "0")
    assert "check" in err.message_en
    good = make_certno("510104", date(1990, 2, 28), 1)
    _refused(_other_check(good))


def test_a_swapped_digit_is_refused() -> None:
    good = make_certno("510104", date(1990, 2, 28), 123)
    swapped = good[:14] + good[15] + good[14] + good[16:]
    assert swapped != good
    _refused(swapped)


@pytest.mark.parametrize("value", [
    STANDARD_MALE[:17],                 # 17 characters
    STANDARD_MALE + "1",                # 19 characters
    "44052418800101001A",               # a letter other than X at the end
    "4405241880010100X4",               # X in the middle
    "44O524188001010014",               # letter O for zero
    "040524188001010014",               # leading zero
    "",
    "4405241880 1010014",
    "４４０５２４１８８００１０１００１４",  # full-width digits
])
def test_bad_shape_is_refused(value: str) -> None:
    err = _refused(value)
    assert "18 characters" in err.message_en


def test_not_a_string_is_refused() -> None:
    _refused(440524188001010014)
    _refused(None)


def test_impossible_dates_are_refused() -> None:
    for first14 in ("51010419900230", "51010420010229", "51010419901301", "51010419900000"):
        first17 = first14 + "001"
        err = _refused(first17 + _iso7064(first17))
        assert "birth date" in err.message_en


def test_feb_29_of_a_leap_year_is_fine() -> None:
    first17 = "51010420000229001"
    assert parse_certno(first17 + _iso7064(first17), today=TODAY).brdy == date(2000, 2, 29)


def test_future_birth_date_is_refused() -> None:
    tomorrow = make_certno("510104", date(2026, 6, 16), 1)
    err = _refused(tomorrow)
    assert "birth date" in err.message_en
    # the same number is fine once that day has come
    assert parse_certno(tomorrow, today=date(2026, 6, 16)).brdy == date(2026, 6, 16)


def test_birth_year_before_1890_is_refused() -> None:
    _refused(make_certno("510104", date(1889, 12, 31), 1))
    assert parse_certno(make_certno("510104", date(1890, 1, 1), 1),
                        today=TODAY).brdy == date(1890, 1, 1)
