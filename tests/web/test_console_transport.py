"""An institution's transport profile on the console: the profile saved once per form, a
refusal beside its field with nothing written, a credential's secret in the answer to the
form that issued it and nowhere after (not in the page that follows, a URL or a cookie),
revocation, and operators only. One browser run at phone width walks the same page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji import sm
from gongji.domain.access import Principal
from gongji.domain.errors import GongjiError
from gongji.domain.transport import tif_signature
from gongji.services.runtime import Gongji
from gongji.services.transport import service as transport
from tests.conftest import OPERATOR, table_counts
from tests.web.conftest import ADMIN_TOKEN, PHONE, DemoServer, new_page, shot
from tests.web.test_console_pages import csrf, field_error, log_in, make_site

CODE = "H51010000001"
PAGE = f"/console/institutions/{CODE}/transport"


@pytest.fixture
def site(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Gongji]]:
    yield from make_site(sqlite_template, tmp_path, sandbox=True)


def cell(html: str, element_id: str) -> str:
    found = re.search(rf'<code id="{re.escape(element_id)}">([^<]+)</code>', html)
    assert found, f"no <code id={element_id}>"
    return unescape(found.group(1))


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select id="{name}" name="{name}".*?</select>', html, re.DOTALL)
    assert select, name
    chosen = re.findall(r'<option value="(\w+)" selected>', select.group(0))
    assert len(chosen) == 1, chosen
    return chosen[0]


def issue(c: TestClient, token: str, key: str, **fields: str) -> Any:
    return c.post(f"{PAGE}/credentials", data={"csrf": token, "key": key, **fields},
                  follow_redirects=False)


def test_the_institutions_page_links_each_institution_to_its_transport(site: Any) -> None:
    c, _ = site
    log_in(c)
    html = c.get("/console/institutions").text
    for code in ("H51010000001", "H51010000002"):
        assert f'href="/console/institutions/{code}/transport"' in html
    page = c.get(PAGE)
    assert page.status_code == 200 and "<h1>接入方式与凭据</h1>" in page.text
    assert selected(page.text, "scheme") == "gongji"  # nothing set yet: the default
    assert selected(page.text, "infcode_as") == "number"
    assert "尚未签发凭据" in page.text
    english = c.get(PAGE + "?lang=en").text
    assert "<h1>Transport profile and credentials</h1>" in english
    assert "National front gateway TIF (x-tif-* headers)" in english
    assert c.get("/console/institutions/H59999999999/transport").status_code == 404


def test_a_profile_is_saved_once_per_form(site: Any) -> None:
    c, app = site
    token = log_in(c)
    form = {"csrf": token, "key": "tp-1", "scheme": "tif", "infcode_as": "string",
            "relay": "1", "relay_opter": "his-relay", "encrypted": ""}
    r = c.post(PAGE, data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == PAGE  # the notice: server-side
    written = table_counts(app.db)
    r = c.post(PAGE, data=form, follow_redirects=False)  # the same form again: nothing new
    assert r.status_code == 303 and table_counts(app.db) == written
    v = transport.get(app, OPERATOR, CODE)
    assert (v.scheme, v.infcode_as, v.relay, v.relay_opter, v.encrypted) == (
        "tif", "string", True, "his-relay", False)
    html = c.get(r.headers["location"]).text
    assert "已保存 H51010000001 的接入配置：国家医保前置网关 TIF" in html
    assert selected(html, "scheme") == "tif" and selected(html, "infcode_as") == "string"
    assert re.search(r'id="relay" name="relay" type="checkbox" value="1" checked', html)
    assert 'value="his-relay"' in html
    # an unchecked box is a no: the relay goes off
    c.post(PAGE, data={**form, "key": "tp-2", "relay": ""})
    assert transport.get(app, OPERATOR, CODE).relay is False


@pytest.mark.parametrize(("field", "typed"), [("scheme", "ftp"), ("infcode_as", "boolean"),
                                              ("relay_opter", "x" * 31)])
def test_a_refused_profile_is_explained_beside_its_field_and_writes_nothing(
        site: Any, field: str, typed: str) -> None:
    c, app = site
    token = log_in(c)
    before = table_counts(app.db)
    form = {"csrf": token, "key": f"bad-{field}", "scheme": "esb", "infcode_as": "number",
            "relay_opter": "relay", field: typed}
    r = c.post(PAGE, data=form)
    assert r.status_code == 422
    # named in Chinese, a length refused with its limit (issue 18, point 4)
    assert field_error(r.text, field) == {
        "scheme": "请求字段不合法：传输方式", "infcode_as": "请求字段不合法：infcode 类型",
        "relay_opter": "请求字段不合法：转发经办人代码（太长：最多 30 个字符）"}[field]
    assert table_counts(app.db) == before
    assert transport.get(app, OPERATOR, CODE).scheme == "gongji"
    if field == "relay_opter":  # what was typed comes back
        assert f'value="{typed}"' in r.text and selected(r.text, "scheme") == "esb"


def test_a_secret_is_in_the_answer_that_issued_it_and_nowhere_after(site: Any) -> None:
    c, app = site
    token = log_in(c)
    c.post(PAGE, data={"csrf": token, "key": "tp", "scheme": "tif", "infcode_as": "number",
                       "relay_opter": "relay"})
    r = issue(c, token, "cred-1", kind="tif")
    assert r.status_code == 200 and "<h1>新的接入凭据</h1>" in r.text
    secret, paasid = cell(r.text, "issued-secret"), cell(r.text, "issued-principal")
    assert re.fullmatch(r"[0-9a-f]{48}", secret) and paasid.startswith("paas_")
    assert "不会再次显示" in r.text
    for name in ("location", "set-cookie"):
        assert secret not in r.headers.get(name, "")
    # the secret is the credential's: a TIF request signed with it is admitted
    now, nonce = str(int(time.time())), "n0nce-" + secret[:10]
    admitted = transport.admit(app, headers={
        "x-tif-paasid": paasid, "x-tif-timestamp": now, "x-tif-nonce": nonce,
        "x-tif-signature": tif_signature(now, secret, nonce)}, method="POST",
        path="/fsi/api/rsfComIfsService/callService", body=b"{}")
    assert admitted.principal.id == CODE
    # the page that follows names the credential, never its secret
    after = c.get(PAGE).text
    assert paasid in after and secret not in after
    # the same form sent again (a reload) names the same credential, without its secret
    again = issue(c, token, "cred-1", kind="tif")
    assert again.status_code == 200 and secret not in again.text
    assert 'id="issued-secret"' not in again.text and "已经签发过" in again.text
    assert cell(again.text, "credential-id") == cell(r.text, "credential-id")
    # a language switch on the answer goes back to the page (a GET of it has no secret)
    switch = c.get(f"{PAGE}/credentials?lang=en", follow_redirects=False)
    assert (switch.status_code, switch.headers["location"]) == (303, PAGE + "?lang=en")


def test_an_oauth2_password_chosen_is_shown_once_and_a_refused_one_is_not_echoed(
        site: Any) -> None:
    c, app = site
    token = log_in(c)
    before = table_counts(app.db)
    r = issue(c, token, "o-1", kind="oauth2", principal="his_user", password="tooShort42")
    assert r.status_code == 422
    assert field_error(r.text, "password") == "请求字段不合法：密码（12 至 128 个字符）"
    assert "tooShort42" not in r.text and 'value="his_user"' in r.text
    assert selected(r.text, "kind") == "oauth2"
    assert table_counts(app.db) == before
    r = issue(c, token, "o-2", kind="oauth2", principal="his_user",
              password="a long enough password")
    assert r.status_code == 200
    assert cell(r.text, "issued-principal") == "his_user"
    assert cell(r.text, "issued-secret") == "a long enough password"
    assert transport.grant(app, username="his_user",
                           password="a long enough password").token_type == "bearer"
    # the name is taken now: said beside the field
    r = issue(c, token, "o-3", kind="oauth2", principal="his_user")
    assert r.status_code == 409 and "his_user" in field_error(r.text, "principal")


def test_sm_with_a_bad_public_key_is_refused_and_a_good_one_shows_our_key(site: Any) -> None:
    c, app = site
    token = log_in(c)
    before = table_counts(app.db)
    bad = "04" + "ab" * 64  # the right length, not a point on the curve
    r = issue(c, token, "sm-1", kind="sm", peer_public=bad)
    assert r.status_code == 422
    assert field_error(r.text, "peer_public") == "请求字段不合法：对方公钥"
    assert re.search(r'aria-invalid="true" aria-describedby="peer_public-error">'
                     + bad + "</textarea>", r.text)
    assert table_counts(app.db) == before and transport.get(app, OPERATOR, CODE).credentials == ()
    r = c.post(f"{PAGE}/credentials?lang=en", data={
        "csrf": token, "key": "sm-1", "kind": "sm", "peer_public": bad})  # the same key again
    assert r.status_code == 422 and "Invalid request fields: peer public key" in r.text

    peer = sm.sm2_generate().public_hex
    r = issue(c, token, "sm-2", kind="sm", peer_public=peer.upper())
    assert r.status_code == 200
    sm4_key, ours = cell(r.text, "issued-secret"), cell(r.text, "issued-platform-public")
    assert re.fullmatch(r"[0-9a-f]{32}", sm4_key) and sm.is_public_key(ours)
    (stored,) = transport.get(app, OPERATOR, CODE).credentials
    assert (stored.kind, stored.peer_public, stored.platform_public) == ("sm", peer, ours)
    after = c.get(PAGE).text
    assert cell(after, f"platform-public-{stored.credential_id}") == ours
    assert sm4_key not in after


def test_a_credential_is_revoked_from_its_row(site: Any) -> None:
    c, app = site
    token = log_in(c)
    first = issue(c, token, "e-1", kind="esb", principal="ak_first").text
    issue(c, token, "e-2", kind="esb", principal="ak_second")
    cid = cell(first, "credential-id")
    page = c.get(PAGE).text
    action = f"{PAGE}/credentials/{cid}/revoke"
    assert f'action="{action}"' in page
    r = c.post(action, data={"csrf": token, "key": "rv-1"}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "已撤销凭据 ak_first" in page
    assert f'action="{action}"' not in page and page.count("已于 ") == 1
    views = {v.principal: v.revoked_at for v in transport.get(app, OPERATOR, CODE).credentials}
    assert views["ak_first"] is not None and views["ak_second"] is None
    # an unknown credential (or another institution's) is refused at the top; nothing written
    before = table_counts(app.db)
    for code in (CODE, "H51010000002"):
        path = f"/console/institutions/{code}/transport/credentials/"
        r = c.post(path + ("tc_nope" if code == CODE else cid) + "/revoke",
                   data={"csrf": token, "key": f"rv-{code}"})
        assert r.status_code == 404 and '<p class="alert" role="alert">传输凭据不存在' in r.text
    assert table_counts(app.db) == before


def test_the_transport_pages_are_for_operators_only(site: Any) -> None:
    c, app = site
    token = csrf(c)
    before = table_counts(app.db)
    posts = {PAGE: {"scheme": "tif", "infcode_as": "number", "relay_opter": "relay"},
             f"{PAGE}/credentials": {"kind": "tif"},
             f"{PAGE}/credentials/tc_x/revoke": {}}
    for cookie in (None, "not-a-token"):
        if cookie:
            c.cookies.set("gj_console", cookie)
        for path in (PAGE, f"{PAGE}/credentials"):
            r = c.get(path, follow_redirects=False)
            assert (r.status_code, r.headers["location"]) == (303, "/console/login"), path
        for path, data in posts.items():
            r = c.post(path, data={"csrf": token, "key": "k", **data}, follow_redirects=False)
            assert (r.status_code, r.headers["location"]) == (303, "/console/login"), path
    assert table_counts(app.db) == before
    with pytest.raises(GongjiError) as refused:  # the door itself: operators only
        transport.get(app, Principal("person", "p1"), CODE)
    assert refused.value.code == "FORBIDDEN"


# -- in a browser, phone-sized --------------------------------------------------------------------

@pytest.mark.browser
def test_the_transport_page_on_a_phone(server: DemoServer, browser: Any) -> None:
    page = new_page(browser, lang="zh", viewport=PHONE)

    def click(target: Any) -> None:
        with page.expect_navigation():
            target.click()

    page.goto(f"{server.base}/console/login")
    page.get_by_label("运营令牌").fill(ADMIN_TOKEN)
    click(page.get_by_role("button", name="登录"))
    page.goto(f"{server.base}/console/institutions")
    click(page.get_by_role("link", name="查看与设置 H51010000002"))
    assert page.get_by_role("heading", level=1).inner_text() == "接入方式与凭据"
    shot(page, "console-transport-zh")

    page.get_by_label("签名方式").select_option("esb")
    click(page.get_by_role("button", name="保存接入配置"))
    assert "省级服务总线" in page.get_by_role("status").first.inner_text()

    page.get_by_label("类型", exact=True).select_option("sm")
    page.get_by_label("机构的 SM2 公钥（仅 SM 凭据）").fill("04" + "ab" * 64)
    click(page.get_by_role("button", name="签发", exact=True))
    assert page.locator("#peer_public-error").inner_text() == "请求字段不合法：对方公钥"
    page.get_by_label("机构的 SM2 公钥（仅 SM 凭据）").fill(sm.sm2_generate().public_hex)
    click(page.get_by_role("button", name="签发", exact=True))
    secret = page.locator("#issued-secret").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", secret)
    shot(page, "console-transport-issued-zh")

    click(page.get_by_role("link", name=re.compile("返回 H51010000002 的接入方式")))
    assert secret not in page.content()
    shot(page, "console-transport-sm-zh")
    click(page.get_by_role("button", name=re.compile("^撤销 ")))
    assert page.get_by_role("status").first.inner_text().startswith("已撤销凭据")
    click(page.get_by_role("link", name="English"))
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Transport profile and credentials"
    shot(page, "console-transport-en")
    assert page.js_errors == []
    page.context.close()
