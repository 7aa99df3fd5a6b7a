"""Hand claims (手工报销) on the pages without a browser: a person claims through the portal's
form, an operator reviews it in the console (one line reduced), approves and pays it, and the
person sees it paid with the reimbursement to the fen; refusals come back beside their field
with nothing written; another person's claim is not found."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.domain.money import parse_yuan
from gongji.services.claims import service as claims
from gongji.services.demo.service import FAMILY, certno_of
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from tests.conftest import OPERATOR, table_counts
from tests.web.test_portal_pages import CERTNO, csrf, log_in, psn_of
from tests.web.test_portal_pages import site as portal_site

HOSPITAL = "H51010000001"
_keys = count()
CATARACT = (("331501001000000", "1", "1600", "1600.00"),
            ("110200006000000", "3", "15", "45.00"),
            ("110900001000000", "3", "30", "90.00"))


@pytest.fixture
def site(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Gongji]]:
    """The portal's seeded demo site (the operator token is op-token)."""
    yield from portal_site.__wrapped__(sqlite_template, tmp_path)  # type: ignore[attr-defined]


def claim_form(c: TestClient, **change: str) -> dict[str, str]:
    data = {"csrf": csrf(c), "key": "claim-1", "insutype": "390",
            "fixmedins_code": HOSPITAL, "med_type": "21", "begndate": "2026-11-15",
            "enddate": "2026-11-20", "dise_codg": "H25.900", "dise_name": "老年性白内障",
            "invoice_no": "51010026119999", "medfee_sumamt": "1735.00",
            "bank_name": "中国农业银行南阳分行", "bank_acct": "6228 4800 0000 7654 321",
            "acct_used": "1"}
    for i, (code, cnt, pric, amt) in enumerate(CATARACT, start=1):
        data |= {f"code_{i}": code, f"cnt_{i}": cnt, f"pric_{i}": pric, f"amt_{i}": amt}
    return data | change


def console(c: TestClient) -> None:
    c.get("/console/login")
    r = c.post("/console/login", data={"csrf": c.cookies["gj_csrf"], "token": "op-token"},
               follow_redirects=False)
    assert r.headers["location"] == "/console", r.text


def post(c: TestClient, path: str, **data: str) -> Any:
    return c.post(path, data={"csrf": c.cookies["gj_csrf"], "key": f"k{next(_keys)}",
                              **data}, follow_redirects=False)


def cell(html: str, id_: str) -> int:
    """The amount in fen shown in the element with this id."""
    found = re.search(rf'id="{id_}"[^>]*>(?:<strong>)?([\d,.]+)', html)
    assert found, html
    return parse_yuan(found.group(1).replace(",", ""), allow_zero=True)


def submitted(c: TestClient) -> str:
    r = c.post("/claims", data=claim_form(c), follow_redirects=False)
    assert r.status_code == 303, unescape(r.text)[:3000]
    return str(r.headers["location"].rsplit("/", 1)[1])


def dashboard(c: TestClient) -> tuple[int, int]:
    """The console dashboard's claims tile: (to review, approved and waiting for payment)."""
    tile = re.search(r'id="claims-tile".*?big-time">(\d+)<.*?另有 (\d+) 件',
                     c.get("/console").text, re.S)
    assert tile, "the dashboard has a claims tile"
    return int(tile.group(1)), int(tile.group(2))


def waiting(app: Any) -> tuple[int, int]:
    """The same counts from the review queue."""
    q = claims.queue(app, OPERATOR)
    return (sum(c.status == "submitted" for c in q), sum(c.status == "approved" for c in q))


def test_a_claim_from_the_portal_is_reduced_approved_and_paid_to_the_fen(site: Any) -> None:
    c, app = site
    log_in(c, "李秀英")
    assert 'href="/claims"' in c.get("/more").text
    claim_id = submitted(c)
    page = c.get(f"/claims/{claim_id}").text
    assert "已提交，待审核" in page and "6228****4321" in page
    assert "6228480000007654321" not in page and cell(page, "total") == 1735_00
    assert 'id="withdraw"' in page and claim_id in c.get("/claims").text

    # the operator reduces line 2 (3 rounds -> 2) and approves
    console(c)
    assert claim_id in c.get("/console/claims").text
    assert dashboard(c) == waiting(app)
    assert dashboard(c)[0] >= 1  # this one at least
    page = c.get(f"/console/claims/{claim_id}").text
    assert 'name="cnt-2" inputmode="decimal" size="6" value="3"' in page  # prefilled
    r = post(c, f"/console/claims/{claim_id}/review", decision="approve",
             **{"cnt-1": "1", "cnt-2": "2", "why-2": "住院天数核减 one day too many",
                "cnt-3": "3", "reason": ""})
    assert r.status_code == 303, unescape(r.text)[:3000]
    approved = claims.get(app, OPERATOR, claim_id)
    assert approved.status == "approved" and approved.reimbursement is not None
    r_ = approved.reimbursement
    assert r_.medfee_sumamt == 1720_00 and r_.reimbursed == r_.fund_pay_sumamt + r_.acct_pay
    assert r_.reimbursed > 0
    page = c.get(f"/console/claims/{claim_id}").text
    assert cell(page, "reimbursed") == r_.reimbursed and 'id="pay"' in page
    assert dashboard(c) == waiting(app)
    review_before, pay_before = dashboard(c)
    r = post(c, f"/console/claims/{claim_id}/pay")
    assert r.status_code == 303, unescape(r.text)[:3000]
    assert dashboard(c) == (review_before, pay_before - 1)

    # the person sees it paid, the reduced line with its reason, every amount to the fen
    page = c.get(f"/claims/{claim_id}").text
    assert "已支付到银行账户" in page and "住院天数核减" in page and 'id="withdraw"' not in page
    assert cell(page, "reimbursed") == r_.reimbursed
    assert (cell(page, "admitted"), cell(page, "funds"), cell(page, "acct-pay"),
            cell(page, "cash")) == (1720_00, r_.fund_pay_sumamt, r_.acct_pay, r_.psn_cash_pay)
    assert r_.fund_pay_sumamt + r_.acct_pay + r_.psn_cash_pay == 1720_00
    assert claims.get(app, OPERATOR, claim_id).status == "paid"


def test_refusals_come_back_beside_their_field_with_nothing_written(site: Any) -> None:
    c, app = site
    log_in(c, "李秀英")
    before = table_counts(app.db)
    r = c.post("/claims", data=claim_form(c, medfee_sumamt="1735.01"))
    assert r.status_code == 422 and 'id="medfee_sumamt-error"' in r.text
    assert 'aria-invalid="true" aria-describedby="medfee_sumamt-error"' in r.text
    assert 'value="51010026119999"' in r.text  # what was typed comes back
    r = c.post("/claims", data=claim_form(c, amt_2="45.0.0"))
    assert r.status_code == 422 and 'id="amt_2-error"' in r.text
    r = c.post("/claims", data=claim_form(c, bank_acct="12345"))
    assert r.status_code == 422 and 'id="bank_acct-error"' in r.text
    assert table_counts(app.db) == before

    claim_id = submitted(c)
    console(c)
    before = table_counts(app.db)
    r = post(c, f"/console/claims/{claim_id}/review", decision="refuse", reason=" ")
    assert r.status_code == 422 and 'id="reason-error"' in r.text and "不予报销须说明理由" in r.text
    r = post(c, f"/console/claims/{claim_id}/review", decision="approve",
             **{"cnt-1": "1", "cnt-2": "4", "cnt-3": "3"})
    assert r.status_code == 422 and 'id="cnt-2-error"' in r.text
    assert 'name="cnt-2" inputmode="decimal" size="6" value="4"' in r.text
    r = post(c, f"/console/claims/{claim_id}/review", decision="approve",
             **{"cnt-1": "1", "cnt-2": "2", "cnt-3": "3"})  # less without a reason
    assert r.status_code == 422 and 'id="cnt-2-error"' in r.text
    assert table_counts(app.db) == before
    assert claims.get(app, OPERATOR, claim_id).status == "submitted"

    # refused with its reason; the person sees it in plain words
    r = post(c, f"/console/claims/{claim_id}/review", decision="refuse", reason="发票不清晰")
    assert r.status_code == 303
    page = c.get(f"/claims/{claim_id}").text
    assert "未通过" in page and "发票不清晰" in page and 'id="withdraw"' not in page


def test_a_claim_is_withdrawn_before_review_and_cancelled_before_payment(site: Any) -> None:
    c, app = site
    log_in(c, "李秀英")
    claim_id = submitted(c)
    r = post(c, f"/claims/{claim_id}/withdraw")
    assert r.status_code == 303 and claims.get(app, OPERATOR, claim_id).status == "cancelled"
    r = post(c, f"/claims/{claim_id}/withdraw")  # once is all
    assert r.status_code == 409

    claim_id = _again(c)
    console(c)
    assert post(c, f"/console/claims/{claim_id}/review", decision="approve").status_code == 303
    r = post(c, f"/console/claims/{claim_id}/cancel", cancel_reason="")
    assert r.status_code == 422 and 'id="cancel_reason-error"' in r.text
    r = post(c, f"/console/claims/{claim_id}/cancel", cancel_reason="重复报销 claimed twice")
    assert r.status_code == 303 and claims.get(app, OPERATOR, claim_id).status == "cancelled"
    assert 'id="pay"' not in c.get(f"/console/claims/{claim_id}").text


def _again(c: TestClient) -> str:
    """The same invoice again (a withdrawn claim frees it), a new form."""
    r = c.post("/claims", data=claim_form(c, key="claim-2"), follow_redirects=False)
    assert r.status_code == 303, unescape(r.text)[:3000]
    return str(r.headers["location"].rsplit("/", 1)[1])


def test_another_persons_claim_is_not_found(site: Any) -> None:
    c, app = site
    jianguo = claims.list_for(app, OPERATOR, psn_of(app, "张建国").id)
    assert [x.status for x in jianguo] == ["paid"]
    log_in(c, "张伟")
    r = c.get(f"/claims/{jianguo[0].claim_id}")
    assert r.status_code == 404 and "<html" in r.text
    assert jianguo[0].claim_id not in c.get("/claims").text
    r = post(c, f"/claims/{jianguo[0].claim_id}/withdraw")
    assert r.status_code == 404


def test_the_demo_claim_pages_keep_personal_data_masked_and_fields_labelled(site: Any) -> None:
    """张建国's paid demo claim, as he sees it and as the console does: no ID number, phone,
    full name or bank account number; every field labelled; one h1."""
    c, app = site
    mine = claims.list_for(app, OPERATOR, psn_of(app, "张建国").id)[0]
    log_in(c, "张建国")
    pages = [c.get("/claims").text, c.get(f"/claims/{mine.claim_id}").text]
    assert "已支付到银行账户" in pages[1] and cell(pages[1], "reimbursed") == \
        mine.reimbursement.reimbursed  # type: ignore[union-attr]
    console(c)
    pages += [c.get("/console/claims").text, c.get(f"/console/claims/{mine.claim_id}").text]
    waiting = claims.queue(app, OPERATOR)[0]
    pages.append(c.get(f"/console/claims/{waiting.claim_id}").text)
    html = "\n".join(pages)
    for p in FAMILY:
        assert certno_of(p) not in html and p.phone not in html, p.name
    assert "张建国" not in html and "6228480000001234567" not in html
    for page in pages:
        assert len(re.findall(r"<h1[ >]", page)) == 1
        labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', page))
        for attrs in re.findall(r"<(?:input|select|textarea)\b([^>]*)>", page):
            if 'type="hidden"' in attrs or 'type="radio"' in attrs:
                continue
            found = re.search(r'id="([^"]+)"', attrs)
            assert found and found.group(1) in labelled, attrs


def test_the_claim_pages_speak_english_too(site: Any) -> None:
    c, app = site
    mine = claims.list_for(app, OPERATOR, psn_of(app, "张建国").id)[0]
    log_in(c, "张建国")
    c.get("/claims?lang=en")
    pages = [c.get("/claims").text, c.get(f"/claims/{mine.claim_id}").text]
    console(c)
    pages += [c.get("/console/claims").text, c.get(f"/console/claims/{mine.claim_id}").text]
    html = text("\n".join(pages))
    assert "paid to the bank account" in html and "Reimbursed to you" in html
    assert "Claims review" in html and "Make a claim" in html
    assert not re.search(r"\b(c_)?(cl|mt)_\w+", html), re.findall(r"\b(?:c_)?(?:cl|mt)_\w+", html)


def text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_a_proxy_claims_for_the_relative_they_hold(site: Any) -> None:
    """张伟 holds his mother's 亲情账户: he may pick her on the form, claim for her, and see it
    (made by a relative); before she consents he may not (she is not on his form, and a
    claim for her is refused with nothing written)."""
    c, app = site
    son, mother = psn_of(app, "张伟"), psn_of(app, "李秀英")
    p = proxies.request(app, son, "px", proxies.RequestProxy(
        CERTNO["李秀英"], "李秀英", "parent")).value
    log_in(c, "张伟")
    assert f'value="{mother.id}"' not in c.get("/claims").text
    before = table_counts(app.db)
    r = c.post("/claims", data=claim_form(c, psn_no=mother.id))
    assert r.status_code == 403 and table_counts(app.db) == before
    proxies.decide(app, mother, "px-yes", p.id, True)
    assert f'value="{mother.id}"' in c.get("/claims").text
    r = c.post("/claims", data=claim_form(c, psn_no=mother.id, key="claim-proxy"),
               follow_redirects=False)
    assert r.status_code == 303, text(r.text)[:3000]
    page = c.get(r.headers["location"]).text
    assert "李**" in page and "亲属代为申请" in page and 'id="withdraw"' in page
    claim_id = r.headers["location"].rsplit("/", 1)[1]
    assert claims.get(app, OPERATOR, claim_id).submitted_by == "proxy"
    assert claim_id in c.get("/claims").text
