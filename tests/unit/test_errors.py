import re

import pytest

from gongji.domain.errors import ERRORS, Bi, GongjiError, define, render

PLACEHOLDER = re.compile(r"{(\w+)}")


def test_every_error_has_both_languages_and_a_sane_status() -> None:
    assert len(ERRORS) > 20
    for code, spec in ERRORS.items():
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", code)
        assert spec.zh and spec.en
        assert re.search(r"[\u4e00-\u9fff]", spec.zh), f"{code}: zh message has no Chinese"
        assert 400 <= spec.http_status < 600
        assert spec.infcode == -1


def test_placeholders_agree_between_languages() -> None:
    for code, spec in ERRORS.items():
        assert set(PLACEHOLDER.findall(spec.zh)) == set(PLACEHOLDER.findall(spec.en)), code


def test_codes_are_defined_once() -> None:
    with pytest.raises(ValueError, match="twice"):
        define("NOT_FOUND", 404, "x", "x")


def test_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        GongjiError("NO_SUCH_CODE")


def test_body_renders_parameters_in_both_languages() -> None:
    e = GongjiError("INSUFFICIENT_FUNDS", account="PERSONAL/P1", available="10.00",
                    required="20.00")
    body = e.body()
    assert body["code"] == "INSUFFICIENT_FUNDS"
    assert "余额不足" in body["message"] and "10.00" in body["message"]
    assert "Insufficient" in body["message_en"] and "20.00" in body["message_en"]
    assert body["detail"] == {"account": "PERSONAL/P1", "available": "10.00",
                              "required": "20.00"}


def test_bilingual_parameters_pick_their_language() -> None:
    e = GongjiError("HOLD_NOT_PENDING", state=Bi("已完成", "posted"), action=Bi("撤销", "voided"))
    assert "已完成" in e.message and "posted" not in e.message
    assert "posted" in e.message_en and "已完成" not in e.message_en
    assert e.body()["detail"]["state"] == "posted"


def test_missing_parameters_stay_visible_rather_than_crash() -> None:
    assert render("limit {limit}, got {got}", {"limit": 3}) == "limit 3, got {got}"
