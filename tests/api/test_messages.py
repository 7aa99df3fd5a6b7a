"""Messages a person can read (issue 18): field names in the reader's language, an empty field
named ("请填写：证明材料"), broken JSON said as such with its position, every length limit
stated in both languages, no value echoed past a short prefix, and full-width digits as
Chinese input methods type them read as digits before the strict rules. Codes unchanged;
every body keeps code, message, message_en and detail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock
from gongji.domain.edge import plain
from gongji.domain.errors import ERRORS, GongjiError, missing
from gongji.domain.fields import LABELS, label
from gongji.domain.money import parse_yuan
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.clinic import Clinic, open_clinic
from tests.conftest import table_counts
from tests.family import make_family

OP = {"Authorization": "Bearer op"}
_n = count()


@pytest.fixture
def clinic(database: Database, clock: FixedClock) -> Clinic:
    return open_clinic(make_family(Gongji(database, clock)))


@pytest.fixture
def client(clinic: Clinic) -> Iterator[TestClient]:
    app = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def keyed() -> dict[str, str]:
    return {**OP, "Idempotency-Key": f"m{next(_n)}"}


def body_of(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    body: dict[str, Any] = r.json()
    assert set(body) == {"code", "message", "message_en", "detail"}, body
    assert body["code"] == code, body
    return body


# -- 4: field names in the reader's language --------------------------------------------------

def test_a_negative_amount_is_named_in_chinese(client: TestClient, clinic: Clinic) -> None:
    psn = clinic.fam["张伟"].psn_no
    r = client.post(f"/api/v1/persons/{psn}/credits", json={"amount": "-5"}, headers=keyed())
    body = body_of(r, 422, "MONEY_NEGATIVE")
    assert body["message"].startswith("金额不能为负"), body
    assert not re.search(r"[A-Za-z]", body["message"]), "no English field name in Chinese"
    assert body["message_en"].startswith("amount must not be negative"), body
    assert body["detail"]["fields"][0]["field"] == "amount"  # the machine name stays


def test_an_empty_field_is_asked_for_by_its_name(client: TestClient) -> None:
    r = client.post("/api/v1/bindings/b-1/verify", json={"evidence": "   "}, headers=keyed())
    body = body_of(r, 422, "VALIDATION_ERROR")
    assert (body["message"], body["message_en"]) == ("请填写：证明材料", "Please fill in: evidence")
    assert body["detail"]["fields"] == "evidence"


def test_a_missing_field_is_asked_for_by_its_name(client: TestClient, clinic: Clinic) -> None:
    psn = clinic.fam["张伟"].psn_no
    r = client.post(f"/api/v1/persons/{psn}/credits", json={}, headers=keyed())
    body = body_of(r, 422, "VALIDATION_ERROR")
    assert (body["message"], body["message_en"]) == ("请填写：金额", "Please fill in: amount")
    assert body["detail"]["fields"][0]["field"] == "amount"


@pytest.mark.parametrize(("raw", "at"), [(b'{"certno": 1,, }', 14), (b"{not json", 2)])
def test_broken_json_says_so_and_where(client: TestClient, raw: bytes, at: int) -> None:
    r = client.post("/api/v1/persons/lookup", content=raw,
                    headers={**OP, "Content-Type": "application/json"})
    body = body_of(r, 400, "BODY_NOT_JSON")
    assert body["message"] == f"请求体不是合法的 JSON（第 {at} 个字符）", body
    assert body["message_en"] == f"The request body is not valid JSON (at character {at})"
    assert "请求字段不合法" not in body["message"]
    assert body["detail"] == {"position": at - 1, "character": at}  # position as before


def test_too_long_states_the_limit_in_both_languages(client: TestClient) -> None:
    r = client.post("/api/v1/persons/lookup", json={"certno": "1" * 19}, headers=OP)
    body = body_of(r, 422, "VALIDATION_ERROR")
    assert "身份证号码" in body["message"] and "最多 18 个字符" in body["message"], body
    assert "18 characters" in body["message_en"], body
    field = body["detail"]["fields"][0]
    assert field["message"] == "太长：最多 18 个字符" and "18" in field["message_en"]


def test_every_too_long_message_in_chinese_states_its_limit() -> None:
    from gongji.api.errors import _ZH

    for kind in ("string_too_long", "string_too_short", "too_long", "too_short"):
        assert "{" in _ZH[kind], kind
    for spec in ERRORS.values():
        if "太长" in spec.zh or "too long" in spec.en:
            assert re.search(r"\d|\{", spec.zh) and re.search(r"\d|\{", spec.en), spec.code


def test_the_label_table_has_both_languages() -> None:
    for name, bi in LABELS.items():
        assert re.search(r"[\u4e00-\u9fff]", bi.zh), name
        assert not re.search(r"[\u4e00-\u9fff]", bi.en), name
    assert (label("amt_3", "zh"), label("amt_3", "en")) == ("第 3 行金额", "amount (row 3)")
    e = missing("evidence")
    assert e.code == "VALIDATION_ERROR" and e.body()["detail"]["fields"] == "evidence"


# -- 5: huge input is never echoed ------------------------------------------------------------

def test_a_5000_digit_amount_is_not_echoed(client: TestClient, clinic: Clinic,
                                           database: Database) -> None:
    psn = clinic.fam["张伟"].psn_no
    before = table_counts(database)
    r = client.post(f"/api/v1/persons/{psn}/credits", json={"amount": "9" * 5000},
                    headers=keyed())
    body = body_of(r, 422, "MONEY_INVALID")
    assert "9" * 21 not in r.text, r.text[:300]
    assert len(body["message"]) < 120 and len(body["message_en"]) < 160
    assert table_counts(database) == before


def test_a_registry_error_repeats_a_short_prefix_only() -> None:
    e = GongjiError("CATALOG_FIELD_INVALID", field="pack_cnt", value="x" * 5000)
    for text in (e.message, e.message_en, str(e.body()["detail"])):
        assert "x" * 21 not in text and "x" * 20 + "…" in text
    # an id is still said whole
    uuid = "0190f1f2-aaaa-7bbb-8ccc-dddddddddddd"
    assert uuid in GongjiError("ENTRY_NOT_FOUND", entry=uuid).message


# -- 6: full-width digits --------------------------------------------------------------------

def test_plain_makes_full_width_digits_ascii_and_nothing_else() -> None:
    assert plain("\u3000２０００。５０ ") == "2000.50"
    assert plain("１１０１０１１９９００１０１１２３Ｘ") == "11010119900101123X"
    assert plain("２０２６－１１－２４") == "2026-11-24"
    assert plain("张伟") == "张伟"
    assert parse_yuan(plain("２０００")) == 2000_00
    with pytest.raises(GongjiError):
        parse_yuan(plain("２，０００"))  # separators stay refused


def test_a_full_width_amount_is_taken_over_rest(client: TestClient, clinic: Clinic) -> None:
    psn = clinic.fam["张伟"].psn_no
    r = client.post(f"/api/v1/persons/{psn}/credits", json={"amount": "２０００。００"},
                    headers=keyed())
    assert r.status_code == 201, r.text[:500]
    assert {p["amount"] for p in r.json()["postings"]} == {"2000.00", "-2000.00"}


def test_a_full_width_id_number_is_taken_over_rest(client: TestClient, clinic: Clinic) -> None:
    m = clinic.fam["张伟"]
    wide = "".join(chr(ord(c) + 0xFEE0) for c in m.certno) + "\u3000"
    r = client.post("/api/v1/persons/lookup", json={"certno": wide}, headers=OP)
    assert r.status_code == 200, r.text[:500]
    assert r.json()["psn_no"] == m.psn_no


def test_every_rest_string_type_for_numbers_and_codes_is_made_plain() -> None:
    from datetime import date

    from pydantic import TypeAdapter

    from gongji.api.routes.auth import LoginIn
    from gongji.api.types import Admdvs, Day, Month, Pin, Psn

    assert TypeAdapter(Day).validate_python("２０２６－１１－２４") == date(2026, 11, 24)
    assert TypeAdapter(Month).validate_python("２０２６－１１") == "2026-11"
    assert TypeAdapter(Pin).validate_python("１３５７９２\u3000") == "135792"
    assert TypeAdapter(Admdvs).validate_python("５１０１００") == "510100"
    assert TypeAdapter(Psn).validate_python("Ｐ０００１") == "P0001"
    login = LoginIn.model_validate({"certno": "１１０１０１１９９００１０１１２３Ｘ",
                                    "code": "１２３４５６"})
    assert (login.certno, login.code) == ("11010119900101123X", "123456")


def test_a_remark_after_a_field_reads_in_chinese_with_its_limit() -> None:
    from datetime import date

    from gongji.services.reports.service import check_range

    with pytest.raises(GongjiError) as e:
        check_range(date(2025, 1, 1), date(2026, 1, 2))
    assert e.value.message == "请求字段不合法：结束日期（最多 366 天）"
    assert e.value.message_en == "Invalid request fields: end (at most 366 days)"
    assert e.value.body()["detail"]["fields"] == "end (at most 366 days)"  # as before
