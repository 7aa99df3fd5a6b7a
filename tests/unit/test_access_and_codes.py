"""Who may act on whose records, and the signed short-lived insurance code."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gongji.domain.access import Act, check_may
from gongji.domain.clock import UTC, shanghai
from gongji.domain.credentials import issue, read
from gongji.domain.errors import GongjiError

# -- check_may ---------------------------------------------------------------------------------

PROXY_ALLOWED = ["read", "show_code", "open_wallet", "place_of_use", "accept_transfer", "file",
                 "claim", "pay_online"]
PROXY_REFUSED = ["send_transfer", "set_pin", "bind", "pay_contribution", "close_wallet",
                 "switch"]


def test_the_acts_are_exactly_these() -> None:
    assert sorted(a.value for a in Act) == sorted(PROXY_ALLOWED + PROXY_REFUSED)


@pytest.mark.parametrize("act", PROXY_ALLOWED + PROXY_REFUSED)
def test_a_person_may_do_everything_for_themselves(act: str) -> None:
    check_may(Act(act), actor="P-ME", subject="P-ME", proxy_for=frozenset())
    check_may(Act(act), actor="P-ME", subject="P-ME", proxy_for=frozenset({"P-MUM"}))


@pytest.mark.parametrize("act", PROXY_ALLOWED)
def test_a_proxy_holder_may(act: str) -> None:
    check_may(Act(act), actor="P-ME", subject="P-MUM", proxy_for=frozenset({"P-MUM", "P-DAD"}))


@pytest.mark.parametrize("act", PROXY_REFUSED)
def test_a_proxy_holder_may_not(act: str) -> None:
    with pytest.raises(GongjiError) as e:
        check_may(Act(act), actor="P-ME", subject="P-MUM", proxy_for=frozenset({"P-MUM"}))
    assert e.value.code == "PROXY_NOT_ALLOWED"
    assert e.value.params["act"] == act
    assert act in e.value.message_en


@pytest.mark.parametrize("act", PROXY_ALLOWED + PROXY_REFUSED)
def test_a_stranger_may_do_nothing(act: str) -> None:
    for proxies in (frozenset(), frozenset({"P-DAD"})):
        with pytest.raises(GongjiError) as e:
            check_may(Act(act), actor="P-ME", subject="P-MUM", proxy_for=proxies)
        assert e.value.code == "FORBIDDEN"


# -- the insurance code ------------------------------------------------------------------------

SECRET = b"test-secret-for-the-insurance-code"
NOW = shanghai(2026, 3, 10, 12, 0, 0)
PSN = "P-0123456789"


def _invalid(token: object, secret: bytes = SECRET) -> None:
    with pytest.raises(GongjiError) as e:
        read(secret, token, NOW)  # type: ignore[arg-type]
    assert e.value.code == "CREDENTIAL_INVALID"


def test_issue_then_read() -> None:
    code = issue(SECRET, PSN, NOW, 60)
    assert code.psn_no == PSN
    assert code.expires_at == shanghai(2026, 3, 10, 12, 1, 0)
    assert code.token.startswith(f"GJ1.{PSN}.{int(code.expires_at.timestamp())}.{code.jti}.")
    got = read(SECRET, code.token, NOW)
    assert got.psn_no == PSN
    assert got.jti == code.jti
    assert got.expires_at == code.expires_at
    assert got.token == code.token


def test_each_code_has_its_own_jti() -> None:
    a, b = issue(SECRET, PSN, NOW, 60), issue(SECRET, PSN, NOW, 60)
    assert a.jti != b.jti
    assert a.token != b.token


def test_read_one_second_before_expiry() -> None:
    code = issue(SECRET, PSN, NOW, 60)
    assert read(SECRET, code.token, NOW + timedelta(seconds=59)).psn_no == PSN


def test_read_at_expiry_is_expired() -> None:
    code = issue(SECRET, PSN, NOW, 60)
    for later in (timedelta(seconds=60), timedelta(seconds=61), timedelta(days=1)):
        with pytest.raises(GongjiError) as e:
            read(SECRET, code.token, NOW + later)
        assert e.value.code == "CREDENTIAL_EXPIRED"


def test_expiry_is_an_instant_whatever_the_zone() -> None:
    code = issue(SECRET, PSN, NOW.astimezone(UTC), 60)
    assert code.expires_at == shanghai(2026, 3, 10, 12, 1, 0)
    read(SECRET, code.token, (NOW + timedelta(seconds=59)).astimezone(UTC))
    with pytest.raises(GongjiError) as e:
        read(SECRET, code.token, (NOW + timedelta(seconds=60)).astimezone(UTC))
    assert e.value.code == "CREDENTIAL_EXPIRED"


def _altered(token: str, i: int) -> str:
    c = token[i]
    if c.isdigit():
        new = str((int(c) + 1) % 10)
    elif c == ".":
        new = "-"
    elif c.isalpha():
        new = "a" if c != "a" else "b"
    else:
        new = "A"
    return token[:i] + new + token[i + 1:]


def test_any_altered_character_is_invalid() -> None:
    token = issue(SECRET, PSN, NOW, 60).token
    for i in range(len(token)):
        altered = _altered(token, i)
        assert altered != token
        _invalid(altered)


@pytest.mark.parametrize("part", [1, 2, 3, 4])
def test_altered_part_is_invalid(part: int) -> None:
    code = issue(SECRET, PSN, NOW, 60)
    parts = code.token.split(".")
    replacements = {
        1: "P-9999999999",                                   # someone else's psn_no
        2: str(int(parts[2]) + 3600),                        # an hour longer
        3: "0" * len(parts[3]),                              # another jti
        4: parts[4][::-1],                                   # a shuffled signature
    }
    parts[part] = replacements[part]
    _invalid(".".join(parts))


def test_extended_expiry_does_not_revive_an_expired_code() -> None:
    code = issue(SECRET, PSN, NOW, 60)
    parts = code.token.split(".")
    parts[2] = str(int(parts[2]) + 86400)
    with pytest.raises(GongjiError) as e:
        read(SECRET, ".".join(parts), NOW + timedelta(seconds=120))
    assert e.value.code == "CREDENTIAL_INVALID"


def test_another_secret_is_invalid() -> None:
    token = issue(SECRET, PSN, NOW, 60).token
    _invalid(token, b"another-secret")
    _invalid(token, SECRET + b"x")
    _invalid(issue(b"another-secret", PSN, NOW, 60).token)


def test_extra_or_missing_parts_are_invalid() -> None:
    token = issue(SECRET, PSN, NOW, 60).token
    _invalid(token + ".x")
    _invalid(token.rsplit(".", 1)[0])
    _invalid(token[:-1])
    _invalid(token + "A")
    _invalid(" " + token)
    _invalid(token.replace("GJ1.", "GJ2.", 1))


@pytest.mark.parametrize("garbage", [
    "", ".", "....", "GJ1", "GJ1....", "GJ1.P.x.j.s", "GJ1.P.-1.j.s", "GJ1.P.1.j.s",
    "not a token", "GJ1.P.99999999999.j." + "A" * 22, "x" * 300, "GJ1." + "." * 250,
    "GJ1.P.１２３.j.s",
])
def test_garbage_is_invalid(garbage: str) -> None:
    _invalid(garbage)


def test_non_strings_are_invalid() -> None:
    _invalid(None)
    _invalid(12345)
    _invalid(b"GJ1.P.1.j.s")
