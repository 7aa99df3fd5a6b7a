"""The online pharmacy's pages and the institution-started authorization without a browser
(issue 19, points 3, 4 and 7): who may see each page, the split shown to the fen before the
PIN, refusals beside their field with nothing written, the order with its explanation,
shipping and refund; the signed redirect: a forged, altered or unsigned order, an unknown
institution or a return address that is not plain http(s) is refused and writes nothing; the
return is signed by gongji."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from gongji.client.payauth import authorize_params, returned_ok
from gongji.domain import mobilepay as rules
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan
from gongji.services.demo.service import DEMO_PIN
from gongji.services.mobilepay import service as mp
from gongji.services.runtime import Gongji
from gongji.services.shop import service as shop
from gongji.services.shop.model import MENU, RX_DRUG, SHOP_CODE, Cart
from gongji.web.common import next_page
from tests.conftest import table_counts
from tests.service.test_shop import ready
from tests.web.test_portal_pages import CERTNO, OP, csrf, log_in, site  # noqa: F401

BANLANGEN = MENU[1][0]


@pytest.fixture
def shop_site(site: tuple[TestClient, Gongji]) -> Iterator[tuple[TestClient, Gongji]]:  # noqa: F811
    c, app = site
    ready(app, seeded=True)
    log_in(c, "张伟")
    yield c, app


def mother(app: Gongji) -> str:
    from tests.web.test_portal_pages import psn_of

    return psn_of(app, "李秀英").id


def cart_form(c: TestClient, psn: str, **extra: str) -> dict[str, str]:
    return {"csrf": c.cookies["gj_csrf"], "key": "k-" + psn[-4:], "psn_no": psn,
            f"qty_{RX_DRUG}": "2", f"qty_{BANLANGEN}": "1", **extra}


def test_the_shop_page_lists_items_badges_and_the_prescription(
        shop_site: tuple[TestClient, Gongji]) -> None:
    c, app = shop_site
    more = c.get("/more").text
    assert 'href="/shop"' in more and 'href="/orders"' in more
    r = c.get("/shop")
    assert r.status_code == 200
    assert r.text.count("非处方药") == 4 and r.text.count("✓ 非处方药") == 4
    assert "… 处方药" in r.text and "阿莫西林克拉维酸钾片 × 2" in r.text
    assert "李**" in r.text and "李秀英" not in r.text
    assert mother(app) in r.text, "her person number travels in the form"
    assert "支付失败" in r.text, "the sandbox's cash outcome"
    assert "共济网上药房" in r.text
    en = c.get("/shop?lang=en").text
    assert "Prescription" in en and "OTC" in en and "Buy medicine online" in en


def test_confirm_shows_the_split_to_the_fen_and_checkout_pays(
        shop_site: tuple[TestClient, Gongji]) -> None:
    c, app = shop_site
    psn = mother(app)
    q = shop.confirm(app, _wei(app), Cart(psn, ((RX_DRUG, "2"), (BANLANGEN, "1")))).quote
    before = table_counts(app.db)
    r = c.post("/shop/confirm", data=cart_form(c, psn))
    assert r.status_code == 200, r.text
    assert table_counts(app.db) == before, "the quote writes nothing"
    for name, fen in (("fund", q.fund_pay), ("acct", q.acct_pay), ("quota", q.acct_mulaid_pay),
                      ("cash", q.own_pay_amt), ("total", q.fee_sumamt)):
        assert f'id="split-{name}">{format_yuan(fen)}<' in r.text, name
    assert "统筹基金" in r.text and "家庭共济额度" in r.text and "自付现金" in r.text
    assert 'name="pin"' in r.text and "确认支付" in r.text

    # a wrong PIN: the page again, the refusal beside the PIN, no order
    r = c.post("/shop/checkout", data=cart_form(c, psn, pin="000000"))
    assert r.status_code == 403 and 'id="pin-error"' in r.text
    assert mp.orders(app, _wei(app), psn) == []
    r = c.post("/shop/checkout", data=cart_form(c, psn, pin=DEMO_PIN), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/orders/O")
    page = c.get(r.headers["location"]).text
    assert "已支付" in page and "结算完成" in page
    assert "每一元钱去了哪里" in page and 'id="ship"' in page and 'id="refund"' in page
    assert f'id="split-quota">{format_yuan(q.acct_mulaid_pay)}<' in page
    orders = c.get("/orders").text
    assert r.headers["location"] in orders and "李**" in orders

    # ship (sandbox): three boxes, three codes, each with a check on /trace
    pay_ord_id = r.headers["location"].rsplit("/", 1)[1]
    key = {"csrf": c.cookies["gj_csrf"], "key": "ship-1"}
    r = c.post(f"/orders/{pay_ord_id}/ship", data=key, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(f"/orders/{pay_ord_id}").text
    codes = re.findall(r'name="code" value="(8\d{19})"', page)
    assert len(codes) == 3 and 'id="ship"' not in page
    checked = c.post("/trace", data={"csrf": c.cookies["gj_csrf"], "code": codes[0]}).text
    assert 'id="trace-result"' in checked
    # refund: all back, the order refunded
    r = c.post(f"/orders/{pay_ord_id}/refund", data={**key, "key": "refund-1"},
               follow_redirects=False)
    assert r.status_code == 303
    page = c.get(f"/orders/{pay_ord_id}").text
    assert "已退款" in page and 'id="refund"' not in page and "退款记录" in page


def test_a_cash_failure_is_said_plainly(shop_site: tuple[TestClient, Gongji]) -> None:
    c, app = shop_site
    psn = mother(app)
    r = c.post("/shop/checkout", data=cart_form(c, psn, pin=DEMO_PIN, cash="fail"))
    assert r.status_code == 200
    assert "自费部分未支付成功，医保支付已全部退回" in r.text and "结算失败" in r.text
    assert 'id="refund"' not in r.text


def test_refusals_are_shown_and_write_nothing(shop_site: tuple[TestClient, Gongji]) -> None:
    c, app = shop_site
    before = table_counts(app.db)
    # a prescription drug for himself: he has none
    r = c.post("/shop/confirm", data=cart_form(c, _wei(app).id))
    assert r.status_code == 422 and f'id="qty_{RX_DRUG}-error"' in r.text
    assert "须凭电子处方购买" in r.text
    r = c.post("/shop/checkout", data=cart_form(c, _wei(app).id, pin=DEMO_PIN))
    assert r.status_code == 422 and "须凭电子处方购买" in r.text
    # nothing chosen; a count that is not one; someone he does not act for
    r = c.post("/shop/confirm", data={"csrf": c.cookies["gj_csrf"], f"qty_{BANLANGEN}": "0"})
    assert r.status_code == 422
    r = c.post("/shop/confirm", data={"csrf": c.cookies["gj_csrf"], f"qty_{BANLANGEN}": "99"})
    assert r.status_code == 422 and f'id="qty_{BANLANGEN}-error"' in r.text
    from tests.web.test_portal_pages import psn_of
    r = c.post("/shop/confirm", data=cart_form(c, psn_of(app, "张建国").id))
    assert r.status_code == 403
    r = c.post("/shop/confirm", data={"psn_no": mother(app)})
    assert r.status_code == 403, "no CSRF token"
    assert c.get("/orders/O000000000000000").status_code == 404
    assert table_counts(app.db) == before


def _wei(app: Gongji):  # type: ignore[no-untyped-def]
    from tests.web.test_portal_pages import psn_of

    return psn_of(app, "张伟")


# -- the institution-started authorization ---------------------------------------------------

ITEMS = [(BANLANGEN, "2", "11.50")]


def signed(app: Gongji, med_org_ord: str = "EXT-1", **change: str) -> dict[str, str]:
    """A signed order of the shop's; `change` alters it after signing."""
    params = authorize_params(mp.pay_key(app, SHOP_CODE), fixmedins_code=SHOP_CODE,
                              med_org_ord=med_org_ord, items=ITEMS, fee_sumamt="23.00",
                              return_url="https://shop.example/back?x=1", state="s-42")
    return {**params, **change}


def test_the_canonical_string_and_signatures() -> None:
    params = {"fixmedins_code": "P1", "med_org_ord": "O1", "items": "A*1*2.00",
              "fee_sumamt": "2.00", "return_url": "https://x.example/r", "state": "s"}
    assert rules.auth_canonical(params) == (
        "gongji-pay-authorize-v1\nfixmedins_code=P1\nmed_org_ord=O1\nitems=A*1*2.00\n"
        "fee_sumamt=2.00\nreturn_url=https://x.example/r\nstate=s")
    sig = rules.sign_auth("k", params)
    assert re.fullmatch(r"[0-9a-f]{64}", sig) and rules.verify_auth("k", params, sig)
    for field, value in (("fee_sumamt", "1.00"), ("items", "A*2*2.00"), ("items", "B*1*2.00"),
                         ("return_url", "https://evil.example/r"), ("state", "t")):
        assert not rules.verify_auth("k", {**params, field: value}, sig), field
    assert not rules.verify_auth("other", params, sig)
    assert not rules.verify_auth("k", params, "")
    assert not rules.verify_auth("k", params, "é" * 64)
    back = rules.sign_return("k", "A1", "s", "O1")
    assert rules.verify_return("k", "A1", "s", "O1", back)
    assert not rules.verify_return("k", "A2", "s", "O1", back)
    assert not rules.verify_return("k", "A1", "s", "O2", back)
    assert rules.parse_items("A*1*2.00,B*0.5*3") == (("A", "1", "2.00"), ("B", "0.5", "3"))
    for bad in ("", "A*1", "A*x*1", "A*1*2*3", "A B*1*2"):
        with pytest.raises(GongjiError):
            rules.parse_items(bad)
    for url in ("javascript:alert(1)", "//x.example/r", "ftp://x.example/", "https://u:p@x/",
                "https:///nohost", "https://x.example/a b", "data:text/html,1",
                "https://x.example;sandbox/", "https://例子.example/"):
        with pytest.raises(GongjiError) as e:
            rules.check_return_url(url)
        assert e.value.code == "PAY_RETURN_URL_INVALID", url
    for ok in ("http://127.0.0.1:8000/back?a=1", "https://[::1]:8443/r", "https://a-b.example"):
        assert rules.check_return_url(ok) == ok


def test_an_institution_sends_the_person_to_authorize(
        shop_site: tuple[TestClient, Gongji]) -> None:
    c, app = shop_site
    log_in(c, "李秀英")  # in Nanyang, where the shop is: her own order
    params = signed(app)
    before = table_counts(app.db)
    r = c.get("/pay/authorize", params=params)
    assert r.status_code == 200, r.text
    assert "共济网上药房" in r.text and "EXT-1" in r.text and 'id="split-total">23.00<' in r.text
    assert "form-action 'self' https://shop.example" in r.headers["content-security-policy"]
    assert table_counts(app.db) == before
    form = {**params, "csrf": c.cookies["gj_csrf"], "key": "auth-1", "pin": DEMO_PIN}
    r = c.post("/pay/authorize", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    to = urlsplit(r.headers["location"])
    assert (to.scheme, to.netloc, to.path) == ("https", "shop.example", "/back")
    query = {k: v[0] for k, v in parse_qs(to.query).items()}
    assert query["x"] == "1" and query["state"] == "s-42" and query["medOrgOrd"] == "EXT-1"
    assert returned_ok(mp.pay_key(app, SHOP_CODE), query, "EXT-1")
    assert not returned_ok(mp.pay_key(app, SHOP_CODE), {**query, "payAuthNo": "A1"})
    assert not returned_ok(mp.pay_key(app, SHOP_CODE), query, "EXT-2")
    auths = mp.authorizations(app, _wei(app), mother(app))
    assert [(a.pay_auth_no, a.fee_sumamt) for a in auths] == [(query["payAuthNo"], 23_00)]


def test_a_visitor_sent_by_the_institution_logs_in_and_comes_back_to_the_order(
        shop_site: tuple[TestClient, Gongji]) -> None:
    """The institution's redirect reaches a visitor: after the login, the same order to
    authorize (remembered in a cookie for 15 minutes, never in an address)."""
    c, app = shop_site
    c.cookies.delete("gj_session")  # a visitor: nobody logged in on this browser
    params = signed(app)
    r = c.get("/pay/authorize", params=params, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert "gj_next" in r.headers["set-cookie"] and "Max-Age=900" in r.headers["set-cookie"]
    r = c.post("/login/code", data={"certno": CERTNO["李秀英"], "csrf": csrf(c)})
    body = c.get("/api/v1/outbox", headers=OP, params={"limit": 1}).json()[0]["body"]
    code = re.search(r"(\d{6})", body).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"certno": CERTNO["李秀英"], "code": code, "csrf": csrf(c)},
               follow_redirects=False)
    back = r.headers["location"]
    assert r.status_code == 303 and back.startswith("/pay/authorize?"), back
    assert "gj_next=" in r.headers["set-cookie"]  # cleared
    page = c.get(back)
    assert page.status_code == 200 and "EXT-1" in page.text
    assert "gj_next" not in c.cookies


@pytest.mark.parametrize("raw", ["//evil.example/x", "https://evil.example/", "/login",
                                 "/console", "/\\evil", "evil", ""])
def test_only_this_sites_pages_are_gone_back_to(raw: str) -> None:
    assert next_page(raw) is None
    assert next_page("/orders?x=1") == "/orders?x=1"


@pytest.mark.parametrize(("change", "status", "text"), [
    ({"fee_sumamt": "22.00"}, 403, "签名缺失或不正确"),
    ({"items": f"{BANLANGEN}*3*11.50"}, 403, "签名缺失或不正确"),
    ({"sig": ""}, 403, "签名缺失或不正确"),
    ({"fixmedins_code": "P41139999999"}, 404, "P41139999999"),
    ({"return_url": ""}, 422, "return_url"),
])
def test_a_forged_or_broken_request_is_refused(shop_site: tuple[TestClient, Gongji],
                                               change: dict[str, str], status: int,
                                               text: str) -> None:
    c, app = shop_site
    before = table_counts(app.db)
    params = signed(app, **change)
    r = c.get("/pay/authorize", params=params)
    assert r.status_code == status and text in r.text, r.text[:500]
    assert "<h1>" in r.text and "返回" in r.text
    r = c.post("/pay/authorize", data={**params, "csrf": c.cookies["gj_csrf"], "key": "x",
                                       "pin": DEMO_PIN}, follow_redirects=False)
    assert r.status_code == status
    assert table_counts(app.db) == before


def test_the_son_chooses_his_mother_on_the_authorization_page(
        shop_site: tuple[TestClient, Gongji]) -> None:
    """He cannot pay at a Nanyang pharmacy for himself (no filing): the page says so and lets
    him choose his mother, then shows her split; his PIN authorizes her order."""
    c, app = shop_site
    params = signed(app, "EXT-9")
    r = c.get("/pay/authorize", params=params)
    assert r.status_code == 200 and 'id="not-payable"' in r.text and 'id="pin"' not in r.text
    token = c.cookies["gj_csrf"]
    r = c.post("/pay/authorize", data={**params, "csrf": token, "action": "quote",
                                       "psn_no": mother(app)})
    assert r.status_code == 200 and 'id="split-total">23.00<' in r.text and 'id="pin"' in r.text
    assert 'id="not-payable"' not in r.text
    r = c.post("/pay/authorize", data={**params, "csrf": token, "key": "auth-9",
                                       "psn_no": mother(app), "pin": DEMO_PIN},
               follow_redirects=False)
    assert r.status_code == 303 and "payAuthNo=" in r.headers["location"]
    [a] = mp.authorizations(app, _wei(app), mother(app))
    assert (a.med_org_ord, a.authorized_by) == ("EXT-9", _wei(app).id)


def test_a_return_address_that_is_not_plain_http_is_refused(
        shop_site: tuple[TestClient, Gongji]) -> None:
    c, app = shop_site
    before = table_counts(app.db)
    key = mp.pay_key(app, SHOP_CODE)
    for url in ("javascript:alert(1)", "https://u:p@shop.example/"):
        params = authorize_params(key, fixmedins_code=SHOP_CODE, med_org_ord="EXT-2",
                                  items=ITEMS, fee_sumamt="23.00", return_url=url, state="s")
        r = c.get("/pay/authorize", params=params)
        assert r.status_code == 422 and "http 或 https" in r.text
        r = c.post("/pay/authorize", data={**params, "csrf": c.cookies["gj_csrf"],
                                           "key": "y", "pin": DEMO_PIN},
                   follow_redirects=False)
        assert r.status_code == 422
    c.cookies.set("gj_lang", "en")
    r = c.get("/pay/authorize", params=authorize_params(
        key, fixmedins_code=SHOP_CODE, med_org_ord="EXT-2", items=ITEMS, fee_sumamt="23.00",
        return_url="ftp://shop.example/", state="s"))
    assert r.status_code == 422 and "plain http or https" in r.text
    assert table_counts(app.db) == before


def test_the_new_pages_are_the_persons(site: tuple[TestClient, Gongji]) -> None:  # noqa: F811
    c, _ = site
    for path in ("/shop", "/orders", "/orders/O1", "/pay/authorize"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    token = csrf(c)
    for path in ("/shop/confirm", "/shop/checkout", "/orders/O1/refund", "/orders/O1/ship",
                 "/pay/authorize"):
        r = c.post(path, data={"csrf": token}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
