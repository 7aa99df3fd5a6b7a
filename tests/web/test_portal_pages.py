"""The portal's pages without a browser: login and CSRF, refusals beside their field in the
reader's language with nothing written, personal data kept off pages and URLs, and the
explanation of a settlement adding up to the fen."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from html import unescape
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock, shanghai
from gongji.domain.money import format_yuan, parse_yuan
from gongji.services.demo.service import DEMO_PIN, FAMILY, certno_of, seed
from gongji.services.family import service as family
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.transfers import service as transfers
from gongji.services.unit_of_work import Principal
from gongji.services.wallet import service as wallet
from gongji.store.db import Database
from tests.conftest import OPERATOR, table_counts

OP = {"Authorization": "Bearer op-token"}
_keys = count()
CERTNO = {p.name: certno_of(p) for p in FAMILY}
NANYANG_PHARMACY = "P41130000001"


@pytest.fixture
def site(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Gongji]]:
    target = tmp_path / "gongji.db"
    shutil.copyfile(sqlite_template, target)
    db = Database(f"sqlite:///{target}")
    services = Gongji(db, FixedClock(shanghai(2026, 11, 24, 20, 0, 0)), sandbox=True)
    seed(services)
    app = create_app(services, Settings(db=db.url, admin_token="op-token", sandbox=True))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, services
    db.dispose()


def csrf(c: TestClient) -> str:
    c.get("/login")
    token = c.cookies.get("gj_csrf")
    assert token
    return token


def log_in(c: TestClient, name: str) -> None:
    r = c.post("/login/code", data={"certno": CERTNO[name], "csrf": csrf(c)})
    assert r.status_code == 200, r.text
    body = c.get("/api/v1/outbox", headers=OP, params={"limit": 1}).json()[0]["body"]
    code = re.search(r"(\d{6})", body).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"certno": CERTNO[name], "code": code, "csrf": csrf(c)},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/", r.text


def psn_of(app: Gongji, name: str) -> Principal:
    from gongji.services.people.service import person_by_certno

    p = app.read(lambda uow: person_by_certno(uow.conn, CERTNO[name]))
    assert p is not None
    return Principal("person", p.psn_no)


def amounts(html: str, table_id: str) -> tuple[list[int], int]:
    """The step amounts of one explanation table and its footer total, in fen."""
    part = html.split(f'aria-labelledby="{table_id}"', 1)[1].split("</table>", 1)[0]
    body, foot = part.split("<tfoot>")
    cells = re.findall(r'<td class="num">([\d.]+)</td>', body)
    total = re.findall(r'<th class="num">([\d.]+)</th>', foot)
    return [parse_yuan(x) for x in cells], parse_yuan(total[0])


def test_pages_need_a_login_and_keep_their_language(site: Any) -> None:
    c, _ = site
    for path in ("/", "/family", "/wallet", "/transfer", "/history", "/more", "/code",
                 "/statement", "/statement.csv"):
        r = c.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login"), path
    assert "登录" in c.get("/login").text
    c.get("/login?lang=en")
    page = c.get("/login").text
    assert '<html lang="en">' in page and "Log in" in page and "登录" not in page


def test_a_wrong_code_is_shown_beside_the_field(site: Any) -> None:
    c, _ = site
    c.post("/login/code", data={"certno": CERTNO["张伟"], "csrf": csrf(c)})
    c.cookies.set("gj_lang", "en")
    r = c.post("/login", data={"certno": CERTNO["张伟"], "code": "000000", "csrf": csrf(c)})
    assert r.status_code == 401
    assert re.search(r'id="code-error"[^>]*>[^<]*(code|Code)', r.text), r.text
    assert 'aria-invalid="true"' in r.text
    assert "gj_session" not in r.cookies


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(site: Any) -> None:
    c, app = site
    log_in(c, "张伟")
    before = table_counts(app.db)
    r = c.post("/wallet/open", data={"key": "k1"})
    assert r.status_code == 403 and "<html" in r.text and "刷新页面后重试" in r.text
    r = c.post("/wallet/open", data={"key": "k1", "csrf": "forged"})
    assert r.status_code == 403
    assert table_counts(app.db) == before


def test_no_form_while_his_own_wallet_is_not_open(site: Any) -> None:
    # who may send is said before an amount or a PIN is typed (issue 17, point 6)
    c, _ = site
    log_in(c, "张伟")
    r = c.get("/transfer")
    assert 'id="not-yet"' in r.text and "还没有开通医保钱包" in r.text
    assert 'href="/wallet"' in r.text
    assert 'id="send"' not in r.text


def test_bad_money_is_refused_beside_the_amount_with_nothing_sent(site: Any) -> None:
    c, app = site
    log_in(c, "张伟")
    fang = psn_of(app, "王芳")  # the demo binds his wife and opens her wallet
    wei = psn_of(app, "张伟")
    wallet.open_wallet(app, Principal("person", wei.id), "open-his", wei.id)
    before = table_counts(app.db)
    for amount, code_text in (("12.345", "两位小数"), ("-5", "金额"), ("2000.01", "2000.00")):
        r = c.post("/transfer", data={"receiver": fang.id, "amount": amount, "pin": DEMO_PIN,
                                      "key": f"t-{amount}", "csrf": csrf(c)})
        assert r.status_code == 422, (amount, r.status_code)
        error = re.search(r'id="amount-error"[^>]*>([^<]*)<', r.text)
        assert error and code_text in unescape(error.group(1)), (amount, r.text[:3000])
        assert f'value="{amount}"' in r.text, "the form keeps what was typed"
        assert DEMO_PIN not in r.text, "the PIN is never echoed"
    assert table_counts(app.db) == before


def test_personal_data_stays_off_pages_and_urls(site: Any) -> None:
    c, _ = site
    log_in(c, "张伟")
    seen = []
    for path in ("/", "/family", "/wallet", "/transfer", "/history", "/more", "/code",
                 "/trace", "/claims", "/where", "/statement", "/statement.csv"):
        r = c.get(path)
        assert r.status_code == 200, path
        seen.append(r.text)
        assert r.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    html = "\n".join(seen)
    for p in FAMILY:
        assert certno_of(p) not in html, f"{p.name}'s ID number on a page"
        assert p.phone not in html
    assert "张伟" not in html and "王芳" not in html, "names are masked"
    for url in re.findall(r'(?:href|action)="([^"]+)"', html):
        assert not re.search(r"\d{17}[\dX]", url), url


def test_unknown_pages_answer_with_a_page_and_the_api_keeps_json(site: Any) -> None:
    c, _ = site
    r = c.get("/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "未找到" in r.text and 'href="/"' in r.text
    r = c.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    assert "gj_csrf" not in r.cookies, "the API sets no page cookies"


def test_the_explanation_accounts_for_every_fen(site: Any) -> None:
    """李秀英 (resident, Henan) buys at a Nanyang pharmacy; her son's wallet quota pays part."""
    c, app = site
    wei, mother = psn_of(app, "张伟"), psn_of(app, "李秀英")
    wallet.open_wallet(app, wei, "w1", wei.id)
    wallet.open_wallet(app, mother, "w2", mother.id)
    b = family.request(app, wei, "b1", family.RequestBinding(CERTNO["李秀英"], "李秀英",
                                                             "sponsor", "parent")).value
    family.respond(app, mother, "b2", b.id, True)
    sent = transfers.send(app, wei, "t1", transfers.SendTransfer(mother.id, 150_00),
                          DEMO_PIN).value
    transfers.respond(app, mother, "t2", sent.id, "accept")

    shop = Principal("institution", NANYANG_PHARMACY)
    cred = svc.Credential("02", CERTNO["李秀英"])
    lines = (svc.FeeIn("1", "XJ01CRA040A001010333926", "2", "30.00", 60_00,
                       trace_codes=("81000000000000000001", "81000000000000000002")),
             svc.FeeIn("2", "XJ01CAA040B001010215467", "1", "8.00", 8_00,
                       trace_codes=("81000000000000000003",)))
    s = svc.purchase(app, shop, "p1", svc.OpenVisit(cred, "390", "41"), lines,
                     svc.SettleAsk(cred)).value
    assert s.acct_mulaid_pay > 0, "the quota paid part of it"

    log_in(c, "李秀英")
    history = c.get("/history").text
    assert f'href="/settlements/{s.setl_id}"' in history
    assert "南阳仲景大药房" in history, "the purchase names the pharmacy"
    page = c.get(f"/settlements/{s.setl_id}").text

    split, total = amounts(page, "split")
    assert sum(split) == total == s.medfee_sumamt
    payers, total = amounts(page, "payers")
    assert sum(payers) == total == s.medfee_sumamt
    assert payers[-1] == s.psn_part_amt and sum(payers[:-1]) == s.fund_pay_sumamt + \
        s.hosp_part_amt
    yours, mine = amounts(page, "yours")
    assert sum(yours) == mine == s.psn_part_amt
    assert s.acct_mulaid_pay in yours and s.psn_cash_pay in yours
    assert "张* 给你的钱包共济额度" in page, "the sponsor is named, masked"
    assert "南阳仲景大药房" in page
    for line in s.lines:
        assert Decimal(line.det_item_fee_sumamt) / 100 == Decimal(
            re.findall(r'<td class="num"[^>]*>([\d.]+)</td>',
                       page.split(line.name or "", 1)[1])[0])

    c.get("/login?lang=en")
    english = c.get(f"/settlements/{s.setl_id}").text
    assert "Where every yuan went" in english and "Wallet quota from 张*" in english

    c.cookies.clear()
    log_in(c, "张丽")
    assert c.get(f"/settlements/{s.setl_id}").status_code in (403, 404), \
        "another person cannot read it"


def post_form(c: TestClient, path: str, **data: str) -> Any:
    """Post a page's form the way a browser does: the CSRF token and a fresh key."""
    return c.post(path, data={"csrf": csrf(c), "key": f"form-{next(_keys)}", **data},
                  follow_redirects=False)


def test_more_switch_filing_contribution_and_proxy(site: Any) -> None:
    c, app = site
    wei, mother = psn_of(app, "张伟"), psn_of(app, "李秀英")
    b = family.request(app, wei, "b1", family.RequestBinding(CERTNO["李秀英"], "李秀英",
                                                             "sponsor", "parent")).value
    family.respond(app, mother, "b2", b.id, True)
    log_in(c, "张伟")
    page = c.get("/more").text
    assert f'<option value="{mother.id}"' in page, "a bound relative can be paid for"

    # the cross-province pharmacy switch, on and off again
    assert post_form(c, "/more/switch", enabled="1").status_code == 303
    assert "✓ 已开启" in c.get("/more").text
    assert post_form(c, "/more/switch", enabled="0").status_code == 303
    assert "✗ 已关闭" in c.get("/more").text

    # out-of-area filing: a bad date beside its field, then a filing, then revoked
    r = post_form(c, "/more/filing", kind="long_term_resident", target="440100",
                  begndate="2026-13-01", enddate="")
    assert r.status_code == 422 and 'id="begndate-error"' in r.text
    r = post_form(c, "/more/filing", kind="long_term_resident", target="440100",
                  begndate="2026-11-24", enddate="")
    assert r.status_code == 303, r.text
    page = c.get("/more").text
    assert "异地长期居住人员" in page and "✓ 已生效" in page
    filing_id = re.search(r'name="filing_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert post_form(c, "/more/revoke", filing_id=filing_id).status_code == 303
    assert "✗ 已撤销" in c.get("/more").text

    # his mother is in Henan: his account reaches her contribution only through the wallet,
    # said beside "for whom" before any PIN is checked, and nothing written (pins neither)
    assert "外省：先向其医保钱包转账" in c.get("/more").text
    before = table_counts(app.db)
    r = post_form(c, "/more/contribution", psn_no=mother.id, insutype="390", year="2027",
                  source="personal", pin="000000")
    assert r.status_code == 409 and 'id="psn_no-error"' in r.text, r.text[-3000:]
    assert "须通过医保钱包" in r.text
    assert table_counts(app.db) == before
    # he sends her 400.00 through the wallet; she pays her own from it, a wrong PIN first
    for person in (wei, mother):
        wallet.open_wallet(app, person, f"open-{person.id}", person.id)
    t = transfers.send(app, wei, "t1", transfers.SendTransfer(mother.id, 400_00),
                       DEMO_PIN).value
    transfers.respond(app, mother, "t1-ok", t.id, "accept")
    with TestClient(c.app) as her:  # her own phone
        log_in(her, "李秀英")
        before = table_counts(app.db)
        r = post_form(her, "/more/contribution", psn_no=mother.id, insutype="390",
                      year="2027", source=f"quota:{wei.id}", pin="000000")
        assert r.status_code == 403 and 'id="pin-error"' in r.text
        assert {k: v for k, v in table_counts(app.db).items() if k != "pins"} == \
            {k: v for k, v in before.items() if k != "pins"}, "only the failed-PIN count moved"
        r = post_form(her, "/more/contribution", psn_no=mother.id, insutype="390",
                      year="2027", source=f"quota:{wei.id}", pin=DEMO_PIN)
        assert r.status_code == 303, r.text
        history = her.get("/history").text
        assert "2027" in history and "400.00" in history and "钱包共济额度" in history
        assert "待遇起始日" in history and "2027-01-01" in history, "paid in the window"
        r = post_form(c, "/more/contribution", psn_no=mother.id, insutype="390", year="2027",
                      source="personal", pin=DEMO_PIN)
        assert r.status_code == 409 and 'id="year-error"' in r.text, "paid once a year"

        # a proxy (亲情账户) for his mother: she approves it on her own page
        assert post_form(c, "/more/proxy", relation="parent", name="李秀英",
                         certno=CERTNO["李秀英"]).status_code == 303
        page = her.get("/more").text
        proxy_id = re.search(r'action="/more/proxy-approve">.*?name="proxy_id" value="([^"]+)"',
                             page, re.S).group(1)  # type: ignore[union-attr]
        assert post_form(her, "/more/proxy-approve", proxy_id=proxy_id).status_code == 303
    home = c.get("/").text
    assert "我代办的亲属" in home and f"/code?psn={mother.id}" in home
    code_page = c.get(f"/code?psn={mother.id}").text
    assert "李** 的医保码" in code_page and "<svg" in code_page


def test_a_proxy_for_a_minor_names_the_documents(site: Any) -> None:
    """Under 16 the form's documents are required: refused beside the number with nothing
    written; named, the request waits for an operator, who sees the number masked."""
    c, app = site
    log_in(c, "张伟")
    assert "出生医学证明" in c.get("/more").text
    before = table_counts(app.db)
    r = post_form(c, "/more/proxy", relation="child", name="张小宝", certno=CERTNO["张小宝"],
                  doc_kind="", doc_ref="")  # as the browser sends the empty fields
    assert r.status_code == 422 and 'id="doc_ref-error"' in r.text
    assert "户口簿、出生医学证明" in unescape(r.text)
    assert table_counts(app.db) == before
    r = post_form(c, "/more/proxy", relation="child", name="张小宝", certno=CERTNO["张小宝"],
                  doc_kind="birth_certificate", doc_ref="Q510012345")
    assert r.status_code == 303, r.text
    with TestClient(c.app) as op:  # the operator's console
        op.get("/console/login")
        assert op.post("/console/login", data={"csrf": op.cookies.get("gj_csrf"),
                                               "token": "op-token"}).status_code == 200
        queue = op.get("/console/queue").text
    assert "出生医学证明 <code>Q5******45</code>" in queue and "Q510012345" not in queue


def test_the_trace_code_check_gives_the_official_outcomes(site: Any) -> None:
    """Anyone: no record (check again in two days, then report) or a record exists (check it
    was you); only a signed-in person hears whether the buyer was them."""
    c, app = site
    form = c.get("/trace").text  # a scanned GS1 code is longer than 20 and has letters
    assert 'maxlength="128"' in form and 'inputmode="numeric"' not in form
    r = c.post("/trace", data={"code": "123", "csrf": csrf(c)})
    assert r.status_code == 422 and 'id="code-error"' in r.text
    r = c.post("/trace", data={"code": "81000000000000000001", "csrf": csrf(c)})
    assert r.status_code == 200 and "未查询到" in r.text and "2 天后再查询" in r.text
    assert "outcome-unsold" in r.text and "举报" in r.text

    shop = Principal("institution", "P51010000001")
    cred = svc.Credential("02", CERTNO["张伟"])
    svc.purchase(app, shop, "p1", svc.OpenVisit(cred, "310", "41"), (
        svc.FeeIn("1", "XJ01CAA040B001010215467", "1", "8.00", 8_00,
                  trace_codes=("81000000000000000001",)),), svc.SettleAsk(cred))
    log_in(c, "张伟")
    r = c.post("/trace", data={"code": "81000000000000000001", "csrf": csrf(c)})
    assert "购买人是您本人" in r.text
    c.cookies.clear()
    r = c.post("/trace", data={"code": "81000000000000000001", "csrf": csrf(c)})
    assert "查询到 1 次销售记录" in r.text and "核对是否为您本人购买" in r.text
    assert "购买人不是您" not in r.text and "outcome-sold_once" in r.text
    log_in(c, "王芳")
    r = c.post("/trace", data={"code": "81000000000000000001", "csrf": csrf(c)})
    assert "购买人不是您本人" in r.text and "⚠" in r.text


def test_every_portal_page_has_a_title_a_heading_and_labelled_fields(site: Any) -> None:
    c, _ = site
    pages = {"/login": c.get("/login").text}
    log_in(c, "张伟")
    for path in ("/", "/family", "/wallet", "/transfer", "/history", "/more", "/code",
                 "/trace", "/claims", "/where", "/statement"):
        pages[path] = c.get(path).text
    for path, html in pages.items():
        title = re.search(r"<title>([^<]+)</title>", html)
        assert title and title.group(1).strip(" ·"), path
        assert len(re.findall(r"<h1[ >]", html)) == 1, path
        assert 'class="skip" href="#main"' in html, path
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for tag, attrs in re.findall(r"<(input|select|textarea)\b([^>]*)>", html):
            if 'type="hidden"' in attrs or 'type="radio"' in attrs:
                continue  # radios sit inside their <label>
            field_id = re.search(r'id="([^"]+)"', attrs)
            assert field_id and field_id.group(1) in labelled, (path, tag, attrs)


def test_in_the_sandbox_a_newcomer_picks_a_demo_person_and_sees_the_code(site: Any) -> None:
    c, _ = site
    page = c.get("/login").text
    assert "演示家庭" in page and "张* · 成都在职职工（共济人）" in page and DEMO_PIN in page
    r = c.post("/login/code", data={"demo": "xiuying", "csrf": csrf(c)})
    code = re.search(r'id="code"[^>]*value="(\d{6})"', r.text)
    assert code, "the code is filled in"
    sent = c.get("/api/v1/outbox", headers=OP, params={"limit": 1}).json()[0]["body"]
    assert code.group(1) in sent, "it is the code that was sent"
    assert CERTNO["李秀英"] not in r.text, "the ID number stays on the server"
    r = c.post("/login", data={"demo": "xiuying", "code": code.group(1), "csrf": csrf(c)},
               follow_redirects=False)
    assert r.status_code == 303
    assert "李**" in c.get("/").text


def test_outside_the_sandbox_there_is_no_demo_family_and_no_code_on_the_page(
        sqlite_template: Path, tmp_path: Path) -> None:
    target = tmp_path / "prod.db"
    shutil.copyfile(sqlite_template, target)
    db = Database(f"sqlite:///{target}")
    services = Gongji(db, FixedClock(shanghai(2026, 11, 24, 20, 0, 0)))
    seed(services)
    app = create_app(services, Settings(db=db.url, admin_token="op-token"))
    with TestClient(app) as c:
        assert "演示家庭" not in c.get("/login").text
        r = c.post("/login/code", data={"demo": "wei", "csrf": csrf(c)})
        assert r.status_code == 422, "no demo person outside the sandbox: no ID number typed"
        r = c.post("/login/code", data={"certno": CERTNO["张伟"], "csrf": csrf(c)})
        assert r.status_code == 200 and not re.search(r'id="code"[^>]*value="\d', r.text)
    db.dispose()


def test_a_transfer_not_accepted_by_06_00_shows_as_returned(site: Any) -> None:
    from gongji.services.ledger.service import sweep_expired

    c, app = site
    wei, fang = psn_of(app, "张伟"), psn_of(app, "王芳")  # bound and her wallet open (demo)
    wallet.open_wallet(app, wei, "w1", wei.id)
    transfers.send(app, wei, "t1", transfers.SendTransfer(fang.id, 500_00), DEMO_PIN)
    log_in(c, "张伟")
    assert "… 待接收" in c.get("/history").text
    assert "撤回" in c.get("/transfer").text, "the sender may take it back while it waits"
    app.clock.set(shanghai(2026, 11, 25, 5, 59, 59))
    assert sweep_expired(app) == []
    app.clock.set(shanghai(2026, 11, 25, 6, 0, 0))
    assert len(sweep_expired(app)) == 1
    history = c.get("/history").text
    assert "↩ 已退回" in history and "… 待接收" not in history
    assert "−500.00" not in history, "money that came back is no longer shown as gone"
    assert "12000.00" in c.get("/").text, "the money is back in his account"


# -- where the wallet is accepted (issue 17, point 7) ------------------------------------------

def listed(html: str) -> list[str]:
    return [unescape(x) for x in re.findall(r'<li class="card"><strong>([^<]+)</strong>', html)]


def test_where_the_wallet_is_accepted_is_open_to_all_by_area_and_name(site: Any) -> None:
    c, app = site
    institutions.register(app, OPERATOR, "no-wallet", institutions.RegisterInstitution(
        "P51010000009", "不收钱包的药房", "0", "510100", wallet_supported=False))
    r = c.get("/where")
    assert r.status_code == 200 and "哪里能用医保钱包" in r.text
    assert listed(r.text) == sorted(listed(r.text)) and len(listed(r.text)) == 5
    assert "不收钱包的药房" not in r.text, "only institutions that take the wallet"
    assert '<form method="get" action="/where"' in r.text, "a plain form: works without JS"
    assert '<option value="510100">　成都市</option>' in r.text
    sichuan = c.get("/where", params={"area": "510100"}).text
    assert '<option value="510100" selected>' in sichuan
    assert listed(sichuan) == ["成都共济医院（三级，演示）", "成都康济大药房（演示）",
                               "玉林社区卫生服务中心（一级，演示）"]
    assert "成都市 · 医疗机构 · 三级" in sichuan
    assert listed(c.get("/where", params={"area": "410000", "q": "药房"}).text) == \
        ["共济网上药房（演示）", "南阳仲景大药房（演示）"]
    none = c.get("/where", params={"q": "不存在"}).text
    assert listed(none) == [] and "没有找到符合条件的机构" in none and 'value="不存在"' in none
    c.cookies.set("gj_lang", "en")
    english = c.get("/where").text
    assert "Where the wallet is accepted" in english and "哪里能用" not in english
    assert "Chengdu · Hospital or clinic · Level 3" in english


def test_where_pages_through_many(site: Any) -> None:
    c, app = site
    for n in range(20):
        institutions.register(app, OPERATOR, f"many-{n}", institutions.RegisterInstitution(
            f"P510100001{n:02d}", f"锦城药房{n:02d}", "0", "510100"))
    first = c.get("/where", params={"area": "51"}).text
    assert "共 23 家" in first and "第 1 / 2 页" in first and len(listed(first)) == 20
    link = re.search(r'href="(/where\?[^"]+)" rel="next"', first)
    assert link and 'rel="prev"' not in first
    second = c.get(unescape(link.group(1))).text
    assert "第 2 / 2 页" in second and len(listed(second)) == 3 and 'rel="next"' not in second
    assert not set(listed(first)) & set(listed(second))


def test_where_refuses_a_bad_area_beside_the_field(site: Any) -> None:
    c, _ = site
    r = c.get("/where", params={"area": "5"})
    assert r.status_code == 422
    assert re.search(r'id="area-error"[^>]*>[^<]*省（2 位）', r.text), r.text
    assert 'aria-invalid="true"' in r.text and listed(r.text) == []
    r = c.get("/where", params={"q": "x" * 51})
    assert r.status_code == 422 and 'id="q-error"' in r.text
    r = c.get("/where", params={"page": "999999999"})
    assert r.status_code == 422 and 'class="alert"' in r.text
    c.cookies.set("gj_lang", "en")
    r = c.get("/where", params={"area": "5"})
    assert r.status_code == 422 and "a province (2 digits)" in r.text


def test_more_leads_to_where_and_the_explanation_names_the_unused_quota(site: Any) -> None:
    """李秀英 holds her son's quota and buys at a Nanyang pharmacy that does not take the
    wallet: she pays cash, and the explanation says why the quota was not used."""
    c, app = site
    shop_code = "P41130000009"
    institutions.register(app, OPERATOR, "no-wallet", institutions.RegisterInstitution(
        shop_code, "宛城小药房", "0", "411300", wallet_supported=False))
    wei, mother = psn_of(app, "张伟"), psn_of(app, "李秀英")
    wallet.open_wallet(app, wei, "w1", wei.id)
    wallet.open_wallet(app, mother, "w2", mother.id)
    b = family.request(app, wei, "b1", family.RequestBinding(CERTNO["李秀英"], "李秀英",
                                                             "sponsor", "parent")).value
    family.respond(app, mother, "b2", b.id, True)
    sent = transfers.send(app, wei, "t1", transfers.SendTransfer(mother.id, 150_00),
                          DEMO_PIN).value
    transfers.respond(app, mother, "t2", sent.id, "accept")
    cred = svc.Credential("02", CERTNO["李秀英"])
    line = svc.FeeIn("1", "XJ01CRA040A001010333926", "2", "30.00", 60_00,
                     trace_codes=("81000000000000000011", "81000000000000000012"))
    s = svc.purchase(app, Principal("institution", shop_code), "p1",
                     svc.OpenVisit(cred, "390", "41"), (line,), svc.SettleAsk(cred)).value
    assert s.acct_mulaid_pay == 0 and s.quota_not_accepted > 0

    log_in(c, "李秀英")
    assert 'href="/where"' in c.get("/more").text
    page = c.get(f"/settlements/{s.setl_id}").text
    assert "本机构未开通医保钱包支付，未使用钱包共济额度" in page
    assert f"本可支付 {Decimal(s.quota_not_accepted) / 100:.2f} 元" in page
    yours, mine = amounts(page, "yours")
    assert sum(yours) == mine == s.psn_part_amt == s.psn_cash_pay
    c.cookies.set("gj_lang", "en")
    assert "This institution does not take the wallet; wallet quota was not used" in \
        c.get(f"/settlements/{s.setl_id}").text


def test_the_statement_accounts_for_his_balance_and_downloads(site: Any) -> None:
    """张伟 sends his mother 150.00 of quota, she spends part of it at a Nanyang pharmacy, the
    binding ends and the rest comes home: 收支明细 names every cause and reproduces his
    balance; the CSV is the same month for a spreadsheet (issue 18, point 1)."""
    c, app = site
    wei, mother = psn_of(app, "张伟"), psn_of(app, "李秀英")
    wallet.open_wallet(app, wei, "w1", wei.id)
    wallet.open_wallet(app, mother, "w2", mother.id)
    b = family.request(app, wei, "b1", family.RequestBinding(CERTNO["李秀英"], "李秀英",
                                                             "sponsor", "parent")).value
    family.respond(app, mother, "b2", b.id, True)
    sent = transfers.send(app, wei, "t1", transfers.SendTransfer(mother.id, 150_00),
                          DEMO_PIN).value
    transfers.respond(app, mother, "t2", sent.id, "accept")
    shop = Principal("institution", NANYANG_PHARMACY)
    cred = svc.Credential("02", CERTNO["李秀英"])
    s = svc.purchase(app, shop, "p1", svc.OpenVisit(cred, "390", "41"), (
        svc.FeeIn("1", "XJ01CAA040B001010215467", "1", "8.00", 8_00,
                  trace_codes=("81000000000000000003",)),), svc.SettleAsk(cred)).value
    spent = s.acct_mulaid_pay
    assert spent > 0

    log_in(c, "张伟")
    home = c.get("/").text
    assert 'href="/statement"' in home and 'href="/statement"' in c.get("/history").text
    outstanding = re.search(r'id="given-total">([\d.]+)', home)
    assert outstanding and parse_yuan(outstanding.group(1)) == 150_00 - spent
    assert "给 李**" in home

    family.end(app, wei, "b3", b.id)
    assert 'id="given-total"' not in c.get("/").text, "nothing outstanding once returned"
    page = unescape(c.get("/statement").text)
    assert '<strong id="month">2026-11</strong>' in page
    back = 150_00 - spent
    for cause in ("转账给 李**", "李** 接收了你的转账，计入其共济额度",
                  "亲属 李** 在 南阳仲景大药房（演示） 结算", "未用完的共济额度退回",
                  "个人账户划入",
                  "给 李** 的额度退回你的个人账户（共济关系解除或钱包关闭）"):
        assert cause in page, cause
    amounts_shown = [parse_yuan(x, allow_negative=True) for x in re.findall(
        r'class="amount (?:in|out)">\+?(-?[\d.]+)<', page)]
    assert sorted(amounts_shown) == sorted([12000_00, -150_00, 150_00, -spent, back, -back])
    personal = page.split('data-kind="personal"', 1)[1]
    now = parse_yuan(re.findall(r'class="num">([\d.]+)<', personal)[0])
    wallet_now = wallet.get(app, wei, wei.id).personal_account
    assert now == wallet_now == 12000_00 - spent
    assert "李秀英" not in page and CERTNO["李秀英"] not in page

    r = c.get("/statement.csv?month=2026-11")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="statement-2026-11.csv"' in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    rows = [line.split(",") for line in r.content.decode("utf-8-sig").splitlines()]
    assert rows[0] == ["时间", "账户", "摘要", "金额（元）", "余额（元）"]
    assert len(rows) == 1 + 6
    assert rows[1][0].startswith("2026-11-24") and rows[1][1] == "个人账户"
    assert rows[1][3] == format_yuan(back) and rows[1][4] == format_yuan(12000_00 - spent)
    assert [r[3] for r in rows[-3:]] == ["150.00", "-150.00", "12000.00"]
    assert rows[-1][4] == "12000.00" and rows[-1][2] == "个人账户划入"
    for p in FAMILY:
        assert certno_of(p) not in r.text and p.name not in r.text

    english = unescape(c.get("/statement?lang=en").text)
    assert "李**'s settlement at 南阳仲景大药房" in english and "Quota given to 李**" in english
    assert "Download this month (CSV)" in english
    assert "Description" in c.get("/statement.csv?lang=en").content.decode("utf-8-sig")
    empty = c.get("/statement?month=2026-10&lang=zh").text
    assert "本月没有收支。" in empty
    assert 'href="/statement?month=2026-11"' in empty
    assert c.get("/statement?month=11-2026").status_code == 422
    c.cookies.clear()
    log_in(c, "张丽")
    assert "南阳" not in c.get("/statement.csv?month=2026-11").text, "only his own"


def test_a_proxy_holder_reads_a_relatives_statement(site: Any) -> None:
    from gongji.services.proxies import service as proxies

    c, app = site
    wei, mother = psn_of(app, "张伟"), psn_of(app, "李秀英")
    p = proxies.request(app, wei, "x1", proxies.RequestProxy(
        CERTNO["李秀英"], "李秀英", "parent")).value
    proxies.decide(app, mother, "x2", p.id, True)
    log_in(c, "张伟")
    assert f'href="/statement?psn={mother.id}"' in c.get("/").text
    page = unescape(c.get(f"/statement?psn={mother.id}").text)
    assert "<h1>李** 的收支明细</h1>" in page
    assert f'href="/statement.csv?month=2026-11&psn={mother.id}"' in page
    assert c.get(f"/statement.csv?psn={mother.id}").status_code == 200
    c.cookies.clear()
    log_in(c, "张丽")
    assert c.get(f"/statement?psn={mother.id}").status_code in (403, 404)
    assert c.get(f"/statement.csv?psn={mother.id}").status_code in (403, 404)


# -- issue 18: what waits for the person, and notes that say what happened ---------------------

def nav_count(html: str, href: str) -> str | None:
    """The badge on a tab: its visible count (the screen-reader text checked beside it)."""
    tab = re.search(rf'<a href="{href}"[^>]*>(.*?)</a>', html, re.S)
    assert tab, href
    found = re.search(r'<span class="count" aria-hidden="true">(\d+)</span>'
                      r'<span class="sr-only">([^<]+)</span>', tab.group(1))
    if found is None:
        return None
    assert found.group(1) in found.group(2), "the count is said in words too"
    return found.group(1)


def note_of(c: TestClient, r: Any) -> str:
    """The one-time note the page a form redirected to shows."""
    assert r.status_code == 303, r.text[-2000:]
    page = c.get(r.headers["location"]).text
    found = re.search(r'<p class="note" role="status">([^<]*)</p>', page)
    assert found, page[:3000]
    return unescape(found.group(1))


def test_her_home_lists_every_action_waiting_for_her_with_badges(site: Any) -> None:
    c, app = site
    wei, mother = psn_of(app, "张伟"), psn_of(app, "李秀英")
    log_in(c, "张伟")
    assert post_form(c, "/family/bind", role="sponsor", relation="parent", name="李秀英",
                     certno=CERTNO["李秀英"]).status_code == 303
    with TestClient(c.app) as her:
        log_in(her, "李秀英")
        home = her.get("/").text
        card = re.search(r'<div class="card pending-binding" data-binding="([^"]+)">(.*?)</div>',
                         home, re.S)
        assert card, "the binding to consent to is on her home page"
        assert "张*（你的子女）请求与你建立家庭共济" in card.group(2), "his relation, from her side"
        assert f'action="/family/{card.group(1)}/consent"' in card.group(2)
        assert f'action="/family/{card.group(1)}/decline"' in card.group(2)
        assert nav_count(home, "/family") == "1" and "（1 项待处理）" in home
        assert nav_count(home, "/transfer") is None and nav_count(home, "/more") is None
        assert nav_count(her.get("/history").text, "/family") == "1", "on every page"

        r = post_form(her, f"/family/{card.group(1)}/consent", back="/")
        assert r.headers["location"] == "/", "back where she answered"
        assert note_of(her, r) == "已同意，与 张* 的家庭共济关系已生效。"
        home = her.get("/").text
        assert "pending-binding" not in home and nav_count(home, "/family") is None

        # a transfer to accept (amount and deadline) and a proxy request to approve
        for person in (wei, mother):
            wallet.open_wallet(app, person, f"open-{person.id}", person.id)
        transfers.send(app, wei, "t1", transfers.SendTransfer(mother.id, 2000_00), DEMO_PIN)
        assert post_form(c, "/more/proxy", relation="parent", name="李秀英",
                         certno=CERTNO["李秀英"]).status_code == 303
        home = her.get("/").text
        assert "张* 向你转入 2000.00 元" in home and "请在 2026-11-25 06:00 前接收" in home
        assert re.search(r'class="card pending-proxy".*?张\*（你的子女）申请成为你的亲情账户代办人'
                         r'.*?action="/more/proxy-approve"', home, re.S)
        assert nav_count(home, "/transfer") == "1" and nav_count(home, "/more") == "1"
        her.get("/?lang=en")
        english = her.get("/").text
        assert "Waiting for you" in english and "(1 thing waiting for you)" in english
        assert "张* (your child) asks to act for you" in english
        her.get("/?lang=zh")
        proxy_id = re.search(r'name="proxy_id" value="([^"]+)"', home).group(1)  # type: ignore[union-attr]
        r = post_form(her, "/more/proxy-approve", proxy_id=proxy_id, back="/")
        assert r.headers["location"] == "/"
        assert note_of(her, r) == "已同意 张* 成为你的亲情账户代办人。"


def test_notes_say_what_happened(site: Any) -> None:
    c, app = site
    wei, mother = psn_of(app, "张伟"), psn_of(app, "李秀英")
    log_in(c, "张伟")
    note = note_of(c, post_form(c, "/family/bind", role="sponsor", relation="parent",
                                name="李秀英", certno=CERTNO["李秀英"]))
    assert note == "已向 李** 发出家庭共济绑定申请，等待对方同意。"
    binding = re.search(r'<tr data-binding="([^"]+)">\s*<td[^>]*><strong[^>]*>李\*\*',
                        c.get("/family").text).group(1)  # type: ignore[union-attr]
    family.respond(app, mother, "b2", binding, True)
    note = note_of(c, post_form(c, "/wallet/open"))
    assert note == "医保钱包已开通。"
    wallet.open_wallet(app, mother, "w2", mother.id)
    note = note_of(c, post_form(c, "/transfer", receiver=mother.id, amount="1500.00",
                                pin=DEMO_PIN))
    assert note == ("已向 李** 转入 1500.00 元，对方需在 2026-11-25 06:00 前接收，否则退回。"
                    "今日还可转 2 笔。")
    with TestClient(c.app) as her:
        log_in(her, "李秀英")
        t = re.search(r'data-transfer="([^"]+)"', her.get("/").text).group(1)  # type: ignore[union-attr]
        note = note_of(her, post_form(her, f"/transfers/{t}/accept"))
        assert note == "已接收 张* 转入的 1500.00 元，已计入钱包共济额度。"
        note = note_of(her, post_form(her, "/more/contribution", psn_no=mother.id,
                                      insutype="390", year="2027", source=f"quota:{wei.id}",
                                      pin=DEMO_PIN))
        assert re.fullmatch(r"已缴纳 2027 年度城乡居民基本医疗保险 \d+\.\d\d 元，"
                            r"待遇起始日 2027-01-01。", note), note
    note = note_of(c, post_form(c, "/more/filing", kind="long_term_resident", target="440100",
                                begndate="2026-11-24", enddate=""))
    assert note == "已备案：异地长期居住人员，2026-11-24 起生效。"
    c.get("/login?lang=en")
    note = note_of(c, post_form(c, "/more/switch", enabled="1"))
    assert note == "Cross-province pharmacy purchases are on."
    c.get("/login?lang=zh")
    # the binding ends after its minimum period: her unused quota comes back to him
    app.clock.set(shanghai(2027, 12, 1, 10, 0, 0))
    c.cookies.clear()
    log_in(c, "张伟")
    note = note_of(c, post_form(c, f"/family/{binding}/end"))
    assert note == "已解除与 李** 的共济关系；未用完的额度 1100.00 元已退回你的个人账户。", \
        "1500.00 less her 400.00 contribution"


def test_small_things(site: Any) -> None:
    """Issue 18, point 10: a returned transfer reads as returned; a plain fact has no red ✗;
    plurals; an icon; an expired session says so; purchases name the place; demo pickers
    speak from no one's side; no wallet to open where it is not live."""
    from gongji.services.ledger.service import sweep_expired

    c, app = site
    assert c.get("/favicon.ico").status_code == 200
    assert c.get("/favicon.ico").headers["content-type"] == "image/x-icon"
    assert c.get("/favicon.ico").content[:4] == b"\x00\x00\x01\x00"

    wei, fang = psn_of(app, "张伟"), psn_of(app, "王芳")
    wallet.open_wallet(app, wei, "w1", wei.id)
    transfers.send(app, wei, "t1", transfers.SendTransfer(fang.id, 500_00), DEMO_PIN)
    app.clock.set(shanghai(2026, 11, 25, 6, 0, 0))
    assert len(sweep_expired(app)) == 1
    log_in(c, "王芳")
    row = re.search(r'<tr data-transfer="[^"]+">(.*?)</tr>', c.get("/history").text, re.S)
    assert row, "her history lists it"
    assert "+500.00" not in row.group(1) and ">500.00<" in row.group(1), row.group(1)
    assert "↩ 已退回" in row.group(1)
    assert "✗" not in row.group(1) and "badge bad" not in row.group(1)

    # the demo pickers on her pages do not call anyone "妻子" or "母亲" (张伟's words)
    family_page = c.get("/family").text
    picker = family_page.split('id="demo_relative"', 1)[1].split("</select>", 1)[0]
    assert "妻子" not in picker and "母亲" not in picker
    assert "1964 年生 · 河南省南阳市 · 居民医保" in picker
    assert "成都在职职工（共济人）" in c.get("/login").text, "the login's picker keeps the story"

    # a wrong PIN in English: no "1 attempts"
    c.get("/login?lang=en")
    r = post_form(c, "/wallet/pin", old_pin="000000", pin="258036")
    assert "attempts left: 4" in unescape(r.text), r.text[-2000:]
    c.get("/login?lang=zh")

    # the session runs out: the login page says so
    app.clock.set(shanghai(2026, 11, 27, 6, 0, 0))
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "登录已过期，请重新登录。" in c.get("/login").text
    assert "登录已过期" not in c.get("/login").text, "said once: the dead cookie is gone"

    # 张丽 in Guangdong: no wallet to open, and why
    c.cookies.clear()
    log_in(c, "张丽")
    page = c.get("/wallet").text
    assert 'id="not-live"' in page and "广州" in page, page[:4000]
    assert 'action="/wallet/open">' not in page.split('aria-labelledby="pin"')[0]
    assert 'href="/wallet">开通医保钱包' not in c.get("/").text


def test_the_console_shows_cross_province_as_a_plain_fact(site: Any) -> None:
    from gongji.web.common import env

    with_words: Any = env.get_template("console/macros.html").make_module(
        {"t": lambda key: {"c_yes": "是", "c_no": "否"}[key]})
    assert str(with_words.fact(False)) == '<span class="badge">否</span>'
    queue = (Path(env.loader.searchpath[0]) / "console" / "queue.html").read_text()  # type: ignore[union-attr]
    assert "m.fact(b.cross_province)" in queue


def test_the_elder_mode_switch_is_a_form(site: Any) -> None:
    """长辈模式: a form with the CSRF token sets gj_elder and comes back to the page it was
    pressed on (a path of this site only); every portal page then has `elder` on <body>."""
    c, _ = site
    c.get("/login")
    assert c.post("/elder", data={"elder": "on", "back": "/login"},
                  follow_redirects=False).status_code == 403, "no CSRF token, nothing set"
    assert "gj_elder" not in c.cookies
    r = post_form(c, "/elder", elder="on", back="/where")
    assert r.status_code == 303 and r.headers["location"] == "/where"
    assert c.cookies["gj_elder"] == "1"
    page = c.get("/where").text
    assert '<body class="portal elder">' in page and 'aria-pressed="true"' in page
    assert '<body class="">' in c.get("/console/login").text  # the portal's only
    for outside in ("//example.com/x", "https://example.com/", "javascript:alert(1)"):
        assert post_form(c, "/elder", elder="on", back=outside).headers["location"] == "/"
    r = post_form(c, "/elder", elder="off", back="/login")
    assert r.headers["location"] == "/login" and "gj_elder" not in c.cookies
    assert '<body class="portal">' in c.get("/login?lang=en").text
    assert ">Elder mode</button>" in c.get("/login").text


# -- issue 18: messages a person can read ------------------------------------------------------

def _transfer_ready(site: Any) -> tuple[TestClient, Gongji, Principal]:
    c, app = site
    log_in(c, "张伟")
    fang = psn_of(app, "王芳")  # the demo binds his wife and opens her wallet
    wei = psn_of(app, "张伟")
    wallet.open_wallet(app, Principal("person", wei.id), "open-his", wei.id)
    return c, app, fang


def test_a_full_width_amount_is_sent(site: Any) -> None:
    # '２０００' as Chinese input methods type it (issue 18, point 6)
    c, app, fang = _transfer_ready(site)
    r = c.post("/transfer", data={"receiver": fang.id, "amount": "\u3000２０００。００",
                                  "pin": DEMO_PIN, "key": "t-wide", "csrf": csrf(c)},
               follow_redirects=False)
    assert r.status_code == 303, r.text[:3000]
    sent = transfers.list_for(app, psn_of(app, "张伟"), psn_of(app, "张伟").id)
    assert [t.amount for t in sent] == [2000_00]


def test_a_5000_digit_amount_is_not_echoed_and_wraps(site: Any) -> None:
    # issue 18, point 5: the error repeats a short prefix, the field has a maxlength
    c, app, fang = _transfer_ready(site)
    before = table_counts(app.db)
    r = c.post("/transfer", data={"receiver": fang.id, "amount": "9" * 5000, "pin": DEMO_PIN,
                                  "key": "t-huge", "csrf": csrf(c)})
    assert r.status_code == 422
    error = re.search(r'id="amount-error"[^>]*>([^<]*)<', r.text)
    assert error, r.text[:3000]
    text = unescape(error.group(1))
    assert "9" * 21 not in text and len(text) < 80, text
    assert text.startswith("金额不是合法金额"), "named in Chinese, no English field name"
    assert not re.search(r"[A-Za-z]", text.split("（")[0]), text
    assert re.search(r'<input id="amount" name="amount" maxlength="20"', r.text)
    assert table_counts(app.db) == before
    css = c.get("/static/gongji.css").text
    assert re.search(r"\.error[^{]*\{[^}]*overflow-wrap:\s*anywhere", css)


def test_a_negative_amount_is_said_in_chinese_beside_the_field(site: Any) -> None:
    c, _, fang = _transfer_ready(site)
    r = c.post("/transfer", data={"receiver": fang.id, "amount": "-5", "pin": DEMO_PIN,
                                  "key": "t-neg", "csrf": csrf(c)})
    error = re.search(r'id="amount-error"[^>]*>([^<]*)<', r.text)
    assert error and unescape(error.group(1)) == "金额不能为负：-5.00", r.text[:3000]
    en = c.post("/transfer?lang=en", data={"receiver": fang.id, "amount": "-5",
                                           "pin": DEMO_PIN, "key": "t-neg2", "csrf": csrf(c)})
    error = re.search(r'id="amount-error"[^>]*>([^<]*)<', en.text)
    assert error and unescape(error.group(1)) == "amount must not be negative: -5.00"
