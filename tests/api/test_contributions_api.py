"""Contributions over HTTP: a late resident contribution answers the day its benefits start;
a replay answers the same; refusals are 409 in both languages with nothing written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock, shanghai
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.api.test_fhir import WALL, person_token
from tests.conftest import table_counts
from tests.family import PIN, Family, make_family


@pytest.fixture
def fam(database: Database, clock: FixedClock) -> Family:
    f = make_family(Gongji(database, clock, wall=FixedClock(WALL)))
    f.bind("张伟", "李秀英", "parent")
    f.bind("张伟", "张小宝", "child")
    return f


@pytest.fixture
def client(fam: Family) -> Iterator[TestClient]:
    app = create_app(fam.app, Settings(db=fam.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_late_contribution_answers_when_benefits_start(client: TestClient, fam: Family,
                                                       clock: FixedClock) -> None:
    son = fam["张小宝"]
    body = {"psn_no": son.psn_no, "insutype": "390", "year": 2027, "source": "personal",
            "pin": PIN}
    clock.set(shanghai(2027, 1, 1, 0, 0, 0))
    me = person_token(client, fam["张伟"].certno)
    r = client.post("/api/v1/contributions", json=body, headers=me | {"Idempotency-Key": "c1"})
    assert r.status_code == 201, r.text
    assert (r.json()["amount"], r.json()["benefits_from"]) == ("400.00", "2027-04-01")
    clock.set(shanghai(2027, 1, 1, 8, 0, 0))
    again = client.post("/api/v1/contributions", json=body,
                        headers=me | {"Idempotency-Key": "c1"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == r.json()
    mine = fam["张伟"].psn_no  # paid by him: in his list
    listed = client.get(f"/api/v1/persons/{mine}/contributions", headers=me).json()
    assert [c["benefits_from"] for c in listed] == ["2027-04-01"]


def test_in_the_window_benefits_start_on_the_first_of_january(
        client: TestClient, fam: Family, clock: FixedClock) -> None:
    clock.set(shanghai(2026, 12, 31, 23, 59, 59))
    me = person_token(client, fam["张伟"].certno)
    r = client.post("/api/v1/contributions", headers=me | {"Idempotency-Key": "c2"}, json={
        "psn_no": fam["张小宝"].psn_no, "insutype": "390", "year": 2027,
        "source": "personal", "pin": PIN})
    assert r.status_code == 201, r.text
    assert r.json()["benefits_from"] == "2027-01-01"


def test_too_late_in_the_year_is_refused_in_both_languages(
        client: TestClient, fam: Family, clock: FixedClock) -> None:
    clock.set(shanghai(2027, 10, 1, 0, 0, 0))
    me = person_token(client, fam["张伟"].certno)
    before = table_counts(fam.app.db)
    r = client.post("/api/v1/contributions", headers=me | {"Idempotency-Key": "c3"}, json={
        "psn_no": fam["李秀英"].psn_no, "insutype": "390", "year": 2027,
        "source": "personal", "pin": PIN})
    assert r.status_code == 409 and r.json()["code"] == "CONTRIBUTION_TOO_LATE"
    assert "2028-01-01" in r.json()["message"] and "2028-01-01" in r.json()["message_en"]
    assert table_counts(fam.app.db) == before


def test_across_provinces_the_account_goes_through_the_wallet(
        client: TestClient, fam: Family) -> None:
    me = person_token(client, fam["张伟"].certno)
    before = table_counts(fam.app.db)
    r = client.post("/api/v1/contributions", headers=me | {"Idempotency-Key": "c4"}, json={
        "psn_no": fam["李秀英"].psn_no, "insutype": "390", "year": 2027,
        "source": "personal", "pin": PIN})
    assert r.status_code == 409 and r.json()["code"] == "CONTRIBUTION_VIA_WALLET"
    assert "医保钱包" in r.json()["message"] and "wallet" in r.json()["message_en"]
    assert table_counts(fam.app.db) == before
