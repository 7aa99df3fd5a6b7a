"""Drug trace codes over HTTP (issue 17, point 5): the query's official neutral outcomes to
anyone and whose sale it was to a signed-in person; split sales (拆零) of one box to several
people up to its units; an institution's untraced stock (无码库) from before the mandate,
settled without a code while it lasts. Each boundary on both sides, nothing written when
refused."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.client.signing import signed_headers
from gongji.config import Settings
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.services.auth import service as auth
from gongji.services.catalog import service as catalog
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from tests.clinic import CLINIC, PHARMACY, S_A, Clinic, open_clinic, trace
from tests.conftest import OPERATOR, table_counts
from tests.family import make_family

_n = count()
WALL = datetime(2026, 11, 24, 10, 0, 0, tzinfo=SHANGHAI)
D_P = "XA02BCA010A001010100002"  # a drug sold by the tablet: 24 in a box
PACK = 24
MANDATE = date(2025, 7, 1)       # settlement.trace_codes_required_from, the national default
OP = {"Authorization": "Bearer op"}


def add_pack_item(app: Gongji) -> None:
    report = catalog.import_rows(app, OPERATOR, "000000", [(2, {
        "med_list_codg": D_P, "name": "按片药", "list_type": "101", "med_chrgitm_type": "09",
        "chrgitm_lv": "01", "selfpay_prop": "", "pric_uplmt_amt": "", "lmt_used_flag": "0",
        "unit": "片", "pack_cnt": str(PACK)})], begndate=date(2024, 1, 1), version="pack")
    assert report.imported == 1, report.rejected


@pytest.fixture
def clinic(database: Database, clock: FixedClock) -> Clinic:
    c = open_clinic(make_family(Gongji(database, clock, wall=FixedClock(WALL))))
    add_pack_item(c.app)
    return c


@pytest.fixture
def client(clinic: Clinic) -> Iterator[TestClient]:
    app = create_app(clinic.app, Settings(db=clinic.app.db.url, admin_token="op"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


class Signer:
    def __init__(self, c: TestClient, app: Gongji, code: str) -> None:
        self.c = c
        k = institutions.create_key(app, OPERATOR, code)
        self.key_id, self.secret = k.key_id, k.secret
        self.med_type = "41" if code == PHARMACY else "11"

    def call(self, method: str, path: str, body: Any = None, *, expect: int) -> Any:
        raw = b"" if body is None else json.dumps(body).encode()
        h = signed_headers(self.key_id, self.secret, method, path, raw,
                           timestamp=int(WALL.timestamp()))
        if method != "GET":
            h |= {"Idempotency-Key": f"t{next(_n)}", "Content-Type": "application/json"}
        r = self.c.request(method, path, content=raw or None, headers=h)
        assert r.status_code == expect, r.text
        return r.json()

    def sell(self, clinic: Clinic, name: str, *lines: dict[str, Any], expect: int = 201,
             code: str | None = None) -> Any:
        """A visit, its lines and the settlement; the refusal's code if one is expected."""
        cred = {"mdtrt_cert_type": "02", "mdtrt_cert_no": clinic.fam[name].certno}
        v = self.call("POST", "/api/v1/visits", {"credential": cred, "insutype": "310"
                                                  if name in ("张伟", "王芳") else "390",
                                                  "med_type": self.med_type}, expect=201)
        self.call("POST", f"/api/v1/visits/{v['mdtrt_id']}/fees",
                  {"lines": [{"feedetl_sn": str(i), "pric": "1", **ln}
                             for i, ln in enumerate(lines, start=1)]}, expect=201)
        out = self.call("POST", f"/api/v1/visits/{v['mdtrt_id']}/settle",
                        {"credential": cred}, expect=expect)
        if code is not None:
            assert out["code"] == code, out
        return out


def units(n: int, box: str | None) -> dict[str, Any]:
    """A split line of n tablets from the box with this code (none: from untraced stock)."""
    return {"med_list_codg": D_P, "cnt": str(n), "det_item_fee_sumamt": f"{n}.00",
            "trdn_flag": True, "trace_codes": [box] if box else []}


def boxes(n: int, *codes: str) -> dict[str, Any]:
    return {"med_list_codg": D_P, "cnt": str(n), "det_item_fee_sumamt": f"{n}.00",
            "trace_codes": list(codes)}


def moved(database: Database) -> dict[str, int]:
    """The rows a sale or a registration writes (a refused one writes none of them)."""
    return {t: n for t, n in table_counts(database).items() if t in (
        "trace_sales", "untraced_stock", "settlements", "entries", "postings", "accumulators")}


def login(client: TestClient, clinic: Clinic, name: str) -> dict[str, str]:
    m = clinic.fam[name]
    auth.request_code(clinic.app, m.certno)
    text = client.get("/api/v1/outbox", headers=OP, params={"limit": 1}).json()[0]["body"]
    code = re.search(r"验证码是 (\d+)", text).group(1)  # type: ignore[union-attr]
    token = client.post("/api/v1/auth/login", json={"certno": m.certno, "code": code}).json()
    return {"Authorization": f"Bearer {token['token']}"}


def query(client: TestClient, code: str, who: dict[str, str] | None = None) -> Any:
    path = "/api/v1/me/trace-codes/query" if who else "/api/v1/trace-codes/query"
    r = client.post(path, json={"code": code}, headers=who or {})
    assert r.status_code == 200, r.text
    return r.json()


# -- the query --------------------------------------------------------------------------------

def test_anyone_hears_the_official_outcome_a_signed_in_person_hears_whose(
        client: TestClient, clinic: Clinic) -> None:
    shop = Signer(client, clinic.app, PHARMACY)
    code = trace()
    none = query(client, code)
    assert none["outcome"] == "unsold"
    assert "2 天后再查询" in none["message"] and "举报" in none["message"]
    assert "two days" in none["message_en"] and "report" in none["message_en"]
    shop.sell(clinic, "张伟", boxes(1, code))
    anyone = query(client, code)
    assert anyone["outcome"] == "sold_once"
    assert "核对是否为您本人购买" in anyone["message"] and "check that it was you" in \
        anyone["message_en"]
    assert "不是您" not in anyone["message"] and "someone else" not in anyone["message_en"]
    assert query(client, code, login(client, clinic, "张伟"))["outcome"] == "sold_to_you"
    other = query(client, code, login(client, clinic, "王芳"))
    assert other["outcome"] == "sold_to_other" and "不是您本人" in other["message"]
    shop.sell(clinic, "王芳", boxes(1, code), expect=409, code="TRACE_CODE_SOLD")


# -- split sales (拆零) -------------------------------------------------------------------------

def test_a_box_sells_in_units_to_several_people_and_not_one_unit_more(
        client: TestClient, clinic: Clinic, database: Database) -> None:
    shop = Signer(client, clinic.app, PHARMACY)
    box = trace()
    shop.sell(clinic, "张伟", units(10, box))
    shop.sell(clinic, "王芳", units(10, box))
    before = moved(database)
    over = shop.sell(clinic, "张小宝", units(5, box), expect=409, code="TRACE_SPLIT_OVER")
    assert "尚余 4" in over["message"] and "本次 5" in over["message"]
    assert moved(database) == before
    shop.sell(clinic, "张小宝", units(4, box))        # the 24th tablet: the box is sold out
    shop.sell(clinic, "张小宝", units(1, box), expect=409, code="TRACE_SPLIT_OVER")  # 25th
    assert query(client, box)["outcome"] == "sold_split"
    assert query(client, box, login(client, clinic, "王芳"))["outcome"] == "sold_to_you"
    shop.sell(clinic, "王芳", boxes(1, box), expect=409, code="TRACE_CODE_SOLD")


def test_a_split_line_sells_from_one_tablet_to_the_whole_box(client: TestClient,
                                                             clinic: Clinic) -> None:
    shop = Signer(client, clinic.app, PHARMACY)
    shop.sell(clinic, "张伟", units(PACK + 1, trace()), expect=422, code="TRACE_SPLIT_INVALID")
    half = units(1, trace()) | {"cnt": "1.5", "det_item_fee_sumamt": "1.50"}
    shop.sell(clinic, "张伟", half, expect=422, code="TRACE_SPLIT_INVALID")
    whole = trace()
    shop.sell(clinic, "张伟", units(PACK, whole))
    shop.sell(clinic, "王芳", units(1, whole), expect=409, code="TRACE_SPLIT_OVER")
    one = trace()
    shop.sell(clinic, "王芳", units(1, one))
    assert query(client, one)["outcome"] == "sold_once"


# -- untraced stock (无码库) ----------------------------------------------------------------------

def test_untraced_stock_is_registered_from_before_the_mandate(client: TestClient,
                                                              clinic: Clinic,
                                                              database: Database) -> None:
    shop = Signer(client, clinic.app, PHARMACY)
    before = moved(database)
    late = shop.call("POST", "/api/v1/untraced-stock", {
        "med_list_codg": D_P, "quantity": 2, "bought_on": MANDATE.isoformat()}, expect=422)
    assert late["code"] == "UNTRACED_STOCK_DATE"
    none = shop.call("POST", "/api/v1/untraced-stock", {
        "med_list_codg": D_P, "quantity": 0, "bought_on": "2025-06-30"}, expect=422)
    assert none["code"] == "VALIDATION_ERROR"
    treatment = shop.call("POST", "/api/v1/untraced-stock", {
        "med_list_codg": S_A, "quantity": 1, "bought_on": "2025-06-30"}, expect=404)
    assert treatment["code"] == "CATALOG_ITEM_NOT_FOUND"
    assert moved(database) == before
    got = shop.call("POST", "/api/v1/untraced-stock", {
        "med_list_codg": D_P, "quantity": 1, "bought_on": "2025-06-30"}, expect=201)
    assert got == {"med_list_codg": D_P, "registered": 1, "sold": "0", "left": "1",
                   "bought_on": "2025-06-30"}
    shop.call("POST", "/api/v1/untraced-stock", {
        "med_list_codg": D_P, "quantity": 2, "bought_on": "2025-01-31"}, expect=201)
    assert shop.call("GET", "/api/v1/untraced-stock", expect=200) == [
        {"med_list_codg": D_P, "registered": 3, "sold": "0", "left": "3",
         "bought_on": "2025-01-31"}]
    assert Signer(client, clinic.app, CLINIC).call("GET", "/api/v1/untraced-stock",
                                                   expect=200) == []
    refused = client.post("/api/v1/untraced-stock", json={
        "med_list_codg": D_P, "quantity": 1, "bought_on": "2025-06-30"}, headers=OP)
    assert refused.status_code in (401, 403)


def test_untraced_stock_settles_without_a_code_while_it_lasts(client: TestClient,
                                                              clinic: Clinic,
                                                              database: Database) -> None:
    shop = Signer(client, clinic.app, PHARMACY)
    shop.sell(clinic, "张伟", boxes(1), expect=422, code="TRACE_CODE_MISSING")  # none registered
    shop.call("POST", "/api/v1/untraced-stock", {
        "med_list_codg": D_P, "quantity": 3, "bought_on": "2025-06-30"}, expect=201)
    before = moved(database)
    shop.sell(clinic, "张伟", boxes(4), expect=409, code="UNTRACED_STOCK_EXHAUSTED")
    assert moved(database) == before
    first = shop.sell(clinic, "张伟", boxes(2))
    shop.sell(clinic, "王芳", units(12, None), units(12, None))   # the third box, in tablets
    assert shop.call("GET", "/api/v1/untraced-stock", expect=200)[0] | {"bought_on": ""} == {
        "med_list_codg": D_P, "registered": 3, "sold": "3", "left": "0", "bought_on": ""}
    shop.sell(clinic, "王芳", units(1, None), expect=409, code="UNTRACED_STOCK_EXHAUSTED")
    shop.sell(clinic, "王芳", boxes(1, trace()))                  # a coded box still sells
    other = Signer(client, clinic.app, CLINIC)                     # the stock is the pharmacy's
    other.sell(clinic, "张伟", boxes(1), expect=422, code="TRACE_CODE_MISSING")
    shop.call("POST", f"/api/v1/settlements/{first['setl_id']}/cancel", {}, expect=200)
    assert shop.call("GET", "/api/v1/untraced-stock", expect=200)[0]["left"] == "2"
    shop.sell(clinic, "王芳", boxes(2))
