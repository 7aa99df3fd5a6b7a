"""The operator console without a browser: login required, a wrong token beside its field,
CSRF refused with nothing written, personal data masked on the outbox and audit pages, and the
forms' idempotency keys (a resubmitted form acts once)."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.config import Settings
from gongji.domain.clock import FixedClock, OffsetClock, shanghai
from gongji.services.auth import service as auth
from gongji.services.catalog import service as catalog
from gongji.services.demo.service import FAMILY, certno_of, seed
from gongji.services.policy import service as policy
from gongji.services.runtime import Gongji
from gongji.services.tokens import service as tokens
from gongji.store.db import Database
from gongji.web.jobs import Job, Jobs
from tests.conftest import OPERATOR, table_counts

TOKEN = "console-op-token"
PAGES = ["/console", "/console/regions", "/console/policies", "/console/policies/diff",
         "/console/catalog", "/console/institutions", "/console/queue", "/console/orders",
         "/console/outbox", "/console/reports", "/console/verify", "/console/audit",
         "/console/clock"]
POSTS = ["/console/policies", "/console/catalog", "/console/institutions",
         "/console/orders/reconcile",
         "/console/institutions/key", "/console/queue/binding", "/console/queue/proxy",
         "/console/audit", "/console/clock"]
GOOD_POLICY = 'region: "510100"\nname: test\neffective_from: 2027-01-01\n' \
              'wallet: {max_transfer: "1500.00"}\n'


def make_site(template: Path, tmp_path: Path, *, sandbox: bool
              ) -> Iterator[tuple[TestClient, Gongji]]:
    target = tmp_path / "gongji.db"
    shutil.copyfile(template, target)
    db = Database(f"sqlite:///{target}")
    clock = OffsetClock() if sandbox else FixedClock(shanghai(2026, 11, 24, 20, 0, 0))
    clock.set(shanghai(2026, 11, 24, 20, 0, 0))
    services = Gongji(db, clock, sandbox=sandbox)
    seed(services)
    app = create_app(services, Settings(db=db.url, admin_token=TOKEN, sandbox=sandbox))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, services
    db.dispose()


@pytest.fixture
def site(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Gongji]]:
    yield from make_site(sqlite_template, tmp_path, sandbox=True)


def csrf(c: TestClient) -> str:
    c.get("/console/login")
    token = c.cookies.get("gj_csrf")
    assert token
    return token


def log_in(c: TestClient) -> str:
    token = csrf(c)
    r = c.post("/console/login", data={"csrf": token, "token": TOKEN}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/console")
    return token


def field_error(html: str, field: str) -> str:
    found = re.search(rf'id="{re.escape(field)}-error" role="alert">([^<]*)<', html)
    assert found, f"no error beside {field}"
    return unescape(found.group(1))


def test_the_demos_whole_operator_line_can_be_pasted(site: Any) -> None:
    """gongji demo prints "Authorization: Bearer demo-…"; pasting "Bearer demo-…" works, and
    the login page says where the token is."""
    c, _ = site
    page = c.get("/console/login").text
    assert "gongji demo" in page and "Bearer" in page
    r = c.post("/console/login", data={"csrf": csrf(c), "token": f"  Bearer {TOKEN} "},
               follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/console")
    c.cookies.clear()
    r = c.post("/console/login", data={"csrf": csrf(c), "token": "Bearer wrong"},
               follow_redirects=False)
    assert r.status_code in (401, 403) and 'id="token-error"' in r.text


def test_every_page_needs_an_operator(site: Any) -> None:
    c, _ = site
    token = csrf(c)
    for path in PAGES:
        r = c.get(path, follow_redirects=False)
        assert (r.status_code, r.headers.get("location")) == (303, "/console/login"), path
    for path in POSTS:
        r = c.post(path, data={"csrf": token, "key": "k-1"}, follow_redirects=False)
        assert (r.status_code, r.headers.get("location")) == (303, "/console/login"), path
    c.cookies.set("gj_console", "not-a-token")
    assert c.get("/console", follow_redirects=False).status_code == 303
    log_in(c)
    for path in PAGES:
        r = c.get(path)
        assert r.status_code == 200, path
        assert re.search(r"<title>[^<]+ · 共济</title>", r.text) and "<h1>" in r.text, path


@pytest.mark.parametrize(("lang", "words"), [("zh", "未登录或凭据无效"),
                                             ("en", "Not authenticated or invalid credentials")])
def test_a_wrong_token_is_explained_beside_the_field(site: Any, lang: str, words: str) -> None:
    c, _ = site
    c.get(f"/console/login?lang={lang}")
    r = c.post("/console/login", data={"csrf": csrf(c), "token": "wrong"},
               follow_redirects=False)
    assert r.status_code == 401
    assert field_error(r.text, "token") == words
    assert 'id="token" name="token"' in r.text and 'aria-invalid="true"' in r.text
    assert "gj_console" not in r.headers.get("set-cookie", "")
    assert c.get("/console", follow_redirects=False).status_code == 303


def test_the_cookie_is_httponly_strict_and_logout_ends_it(site: Any) -> None:
    c, _ = site
    token = csrf(c)
    r = c.post("/console/login", data={"csrf": token, "token": TOKEN}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "gj_console=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert c.get("/console").status_code == 200
    r = c.post("/console/logout", data={"csrf": token}, follow_redirects=False)
    assert r.headers["location"] == "/console/login"
    assert c.get("/console", follow_redirects=False).status_code == 303


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(site: Any) -> None:
    c, app = site
    token = log_in(c)
    before = table_counts(app.db)
    for path, data in (("/console/policies", {"text": GOOD_POLICY, "action": "upload"}),
                       ("/console/institutions", {"fixmedins_code": "H51010000099",
                                                  "fixmedins_name": "x", "hosp_lv": "2",
                                                  "admdvs": "510100"}),
                       ("/console/clock", {"action": "advance", "amount": "1",
                                           "unit": "hours"})):
        for sent in ({}, {"csrf": "forged-" + token}):
            r = c.post(path, data={"key": "k-csrf", **data, **sent})
            assert r.status_code == 403, path
            assert '<a class="button secondary" href="/console">' in r.text  # a page, in zh
    assert table_counts(app.db) == before
    r = c.post("/console/login", data={"token": TOKEN})
    assert r.status_code == 403


def test_personal_data_is_masked_in_the_outbox_and_the_audit_log(site: Any) -> None:
    c, app = site
    zw = FAMILY[0]
    auth.request_code(app, certno_of(zw))
    tokens.create_token(app, "欧阳娜娜")
    log_in(c)
    outbox = c.get("/console/outbox").text
    assert "138****0001" in outbox and zw.phone not in outbox
    assert re.search(r"验证码是 \d{6}", outbox)  # the code itself is what the outbox is for
    audit = c.get("/console/audit").text
    assert "token.create" in audit and "欧***" in audit and "欧阳娜娜" not in audit
    # searching by an ID number finds nothing, and it never reaches a URL: searches are posted
    r = c.post("/console/audit", data={"csrf": csrf(c), "subject": certno_of(zw)})
    assert r.status_code == 200 and certno_of(zw) not in r.text
    assert certno_of(zw) not in str(r.url)
    for path in PAGES:
        html = c.get(path).text
        for p in FAMILY:
            assert certno_of(p) not in html and p.phone not in html, path
            assert p.name not in html, path  # names show masked (张*) where they show at all


def test_a_policy_error_is_explained_by_path_and_an_upload_stored_once(site: Any) -> None:
    c, app = site
    token = log_in(c)
    bad = 'region: "510100"\neffective_from: 2027-01-01\nwallet:\n' \
          '  max_transfer: 2000\n  daily_transfer_count: three\n'
    r = c.post("/console/policies", data={"csrf": token, "key": "p-1", "text": bad,
                                          "action": "upload"})
    assert r.status_code == 422
    rows = {path: unescape(what) for path, what in re.findall(
        r"<tr><td><code>([^<]+)</code></td><td>(.*?)</td></tr>", r.text)}
    assert set(rows) == {"wallet.max_transfer", "wallet.daily_transfer_count"}
    # explained in Chinese, with the checker's own words under it
    assert rows["wallet.max_transfer"].startswith("金额应写成带引号的元")
    assert "not a bare number" in rows["wallet.max_transfer"]
    assert rows["wallet.daily_transfer_count"].startswith("应为整数")
    r = c.post("/console/policies?lang=en", data={"csrf": token, "key": "p-1", "text": bad,
                                                  "action": "check"})
    assert "<td>Input should be a valid integer</td>" in r.text
    uploaded = len(policy.versions(app, OPERATOR, "510100"))
    for _ in range(2):  # the same form submitted twice stores one version
        r = c.post("/console/policies", data={"csrf": token, "key": "p-2",
                                              "text": GOOD_POLICY, "action": "upload"},
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith(
            "/console/policies?region=510100")
    assert len(policy.versions(app, OPERATOR, "510100")) == uploaded + 1
    diff = c.get("/console/policies/diff", params={"a_region": "510100", "a_day": "2026-12-31",
                                                  "b_region": "510100", "b_day": "2027-01-01"})
    assert re.search(r"<code>wallet\.max_transfer</code></th>\s*<td><del>2000\.00</del></td>"
                     r"\s*<td><ins>1500\.00</ins></td>", diff.text)


def test_a_catalog_import_reports_each_rejected_row(site: Any) -> None:
    c, _ = site
    token = log_in(c)
    text = ("med_list_codg,name,list_type,med_chrgitm_type,chrgitm_lv,selfpay_prop,"
            "pric_uplmt_amt,lmt_used_flag,spec,unit\n"
            "310000000000009,治疗Z,201,05,01,,,0,,次\n"
            "BAD,坏,201,05,01,,,0,,次\n")
    r = c.post("/console/catalog", data={"csrf": token, "key": "c-1", "region": "510100",
                                         "format": "csv", "begndate": "2026-01-01"},
               files={"file": ("c.csv", text.encode(), "text/csv")}, follow_redirects=False)
    assert r.status_code == 303
    job = r.headers["location"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page = c.get(job).text
        if 'id="imported-count"' in page:
            break
        assert "<progress" in page and 'http-equiv="refresh"' in page
        time.sleep(0.05)
    assert re.search(r'id="imported-count">1<', page) and re.search(
        r'id="rejected-count">1<', page)
    assert re.search(r'<td class="num">3</td><td><code>CATALOG_CODE_INVALID</code>', page)
    assert 'http-equiv="refresh"' not in page
    r = c.post("/console/catalog", data={"csrf": token, "key": "c-2", "region": "999999",
                                         "format": "csv", "text": text})
    assert r.status_code == 404 and "999999" in field_error(r.text, "region")


def test_an_unfinished_job_shows_its_progress_and_refreshes_itself(site: Any) -> None:
    c, app = site
    log_in(c)
    jobs = Jobs()
    c.app.state.console_jobs = jobs  # type: ignore[attr-defined]
    release = threading.Event()

    def work(job: Job) -> catalog.ImportReport:
        job.advance(4)
        release.wait(10)
        job.advance(6)
        return catalog.ImportReport(imported=10)

    job = jobs.start("510100 · test", 10, work, app.clock.now)
    deadline = time.monotonic() + 10
    while job.done < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    page = c.get(f"/console/catalog/jobs/{job.id}").text
    assert '<meta http-equiv="refresh" content="1">' in page
    assert re.search(r'<progress id="job-progress" max="10" value="4">40%</progress>', page)
    assert "已处理 4 / 10 行" in page
    release.set()
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    page = c.get(f"/console/catalog/jobs/{job.id}").text
    assert 'http-equiv="refresh"' not in page and re.search(r'id="imported-count">10<', page)
    assert c.get("/console/catalog/jobs/no-such-job").status_code == 404


def test_a_key_secret_is_shown_once(site: Any) -> None:
    c, _ = site
    token = log_in(c)
    data = {"csrf": token, "key": "key-1", "fixmedins_code": "H51010000002"}
    first = c.post("/console/institutions/key", data=data).text
    secret = re.search(r'id="secret" readonly value="([0-9a-f]{64})"', first)
    assert secret
    again = c.post("/console/institutions/key", data=data).text
    assert secret.group(1) not in again and 'id="secret"' not in again
    assert re.search(r'id="key-id">(ak_\w+)<', again).group(1) == re.search(  # type: ignore[union-attr]
        r'id="key-id">(ak_\w+)<', first).group(1)  # type: ignore[union-attr]


def test_the_clock_moves_once_per_form_and_never_backwards(site: Any) -> None:
    c, app = site
    token = log_in(c)
    start = app.clock.now()
    for _ in range(2):
        r = c.post("/console/clock", data={"csrf": token, "key": "clk-1", "action": "advance",
                                           "amount": "3", "unit": "hours"},
                   follow_redirects=False)
        assert r.status_code == 303
    moved = (app.clock.now() - start).total_seconds()
    assert 3 * 3600 <= moved < 3 * 3600 + 60
    r = c.post("/console/clock", data={"csrf": token, "key": "clk-2", "action": "set",
                                       "set_to": "2026-01-01T00:00"})
    assert r.status_code == 409 and "只能向前拨" in field_error(r.text, "set_to")
    r = c.post("/console/clock", data={"csrf": token, "key": "clk-3", "action": "advance",
                                       "amount": "zwei", "unit": "hours"})
    assert r.status_code == 422 and field_error(r.text, "amount")


def test_without_the_sandbox_the_clock_page_says_so(sqlite_template: Path,
                                                    tmp_path: Path) -> None:
    for c, _ in make_site(sqlite_template, tmp_path, sandbox=False):
        token = log_in(c)
        assert "沙箱模式未开启" in c.get("/console/clock").text
        r = c.post("/console/clock", data={"csrf": token, "key": "k", "action": "advance",
                                           "amount": "1", "unit": "hours"})
        assert r.status_code == 403 and "仅沙箱模式可用" in r.text
