"""The operator console in Chromium, phone-sized, in Chinese and in English: log in (a wrong
token first), regions, a policy document with errors explained by path and then a valid one,
the difference it makes, a catalog import with its report, a new institution key, the
verification queue, the outbox, reports with server-drawn charts, ledger verification, the
audit log and the sandbox clock. Every page is saved as console-<page>-<lang>.png."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gongji.web.console_words import CONSOLE_WORDS
from gongji.web.i18n import word
from tests.web.conftest import ADMIN_TOKEN, CERTNO, PHONE, DemoServer, new_page, shot

pytestmark = pytest.mark.browser

BAD_POLICY = """region: "510100"
name: console test (bad)
effective_from: 2030-01-01
wallet:
  max_transfer: 1500
  daily_transfer_count: three
"""
GOOD_POLICY = """region: "510100"
name: console test
effective_from: 2030-01-01
wallet:
  max_transfer: "1500.00"
"""
ROWS = 3000
"""Enough rows for a few batches, so the report page usually refreshes itself at least once."""
CATALOG = ("med_list_codg,name,list_type,med_chrgitm_type,chrgitm_lv,selfpay_prop,"
           "pric_uplmt_amt,lmt_used_flag,spec,unit\n"
           "NOT-A-CODE,坏行,201,05,01,,,0,,次\n"
           + "".join(f"31{i:013d},控制台导入的治疗{i},201,05,01,,,0,,次\n"
                     for i in range(1, ROWS + 1)))
assert "c_policy_text" in CONSOLE_WORDS  # the words below are the pages' own


def click(page: Any, target: Any) -> None:
    """Click and wait for the page the server answers with."""
    with page.expect_navigation():
        target.click()


def go(page: Any, server: DemoServer, lang: str, key: str) -> None:
    """Follow the console's navigation to a page, and check its heading."""
    click(page, page.get_by_role("navigation", name=word("console", lang))
          .get_by_role("link", name=word(key, lang), exact=True))
    heading(page, word(key, lang))


def heading(page: Any, text: str) -> None:
    h1 = page.get_by_role("heading", level=1)
    assert h1.inner_text() == text, page.locator("main").inner_text()[:500]
    assert page.title().startswith(text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_operator_console(server: DemoServer, browser: Any, lang: str) -> None:
    def t(key: str, **params: Any) -> str:
        return word(key, lang, **params)

    page = new_page(browser, lang=lang, viewport=PHONE)

    # -- log in: a wrong token is explained beside the field ---------------------------------
    page.goto(f"{server.base}/console/login?lang={lang}")
    heading(page, t("c_login"))
    shot(page, f"console-login-{lang}")
    page.get_by_label(t("operator_token")).fill("not-the-token")
    click(page, page.get_by_role("button", name=t("login")))
    assert page.locator("#token-error").inner_text() == (
        "未登录或凭据无效" if lang == "zh" else "Not authenticated or invalid credentials")
    assert page.get_by_label(t("operator_token")).get_attribute("aria-invalid") == "true"
    page.get_by_label(t("operator_token")).fill(ADMIN_TOKEN)
    click(page, page.get_by_role("button", name=t("login")))
    heading(page, t("c_dashboard"))
    shot(page, f"console-dashboard-{lang}")

    # -- regions and rollout ------------------------------------------------------------------
    go(page, server, lang, "c_regions")
    guangdong = page.get_by_role("row", name=re.compile("440000"))
    assert t("c_no") in guangdong.inner_text()  # the wallet is not live in Guangdong: in words
    assert page.get_by_text(t("c_sum_wallet", n=31, total=32)).count() == 1
    shot(page, f"console-regions-{lang}")

    # -- policies: errors by path, then a valid upload ---------------------------------------
    go(page, server, lang, "c_policies")
    page.get_by_label(t("c_policy_text")).fill(BAD_POLICY)
    click(page, page.get_by_role("button", name=t("c_check_upload")))
    problems = page.get_by_role("table", name=t("c_problems_by_path"))
    rows = problems.locator("tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in rows] == ["wallet.max_transfer",
                                                 "wallet.daily_transfer_count"], rows
    assert "not a bare number" in rows[0] and "integer" in rows[1]
    assert page.get_by_text(t("c_problems", n=2)).count() == 1
    shot(page, f"console-policies-errors-{lang}")
    page.get_by_label(t("c_policy_text")).fill(GOOD_POLICY)
    click(page, page.get_by_role("button", name=t("c_check_only")))
    assert page.get_by_text(t("c_valid", n=1)).count() == 1
    click(page, page.get_by_role("button", name=t("c_check_upload")))
    assert page.get_by_role("status").first.inner_text() == t("c_policy_stored", n=1)
    versions = page.get_by_role("table", name=t("c_versions", region="510100"))
    assert "console test" in versions.inner_text()
    shot(page, f"console-policies-{lang}")

    click(page, page.get_by_role("link", name=re.compile(re.escape(t("c_policy_diff")))))
    page.locator("#a_region").select_option("510100")
    page.locator("#a_day").fill("2029-12-31")
    page.locator("#b_region").select_option("510100")
    page.locator("#b_day").fill("2030-01-01")
    click(page, page.get_by_role("button", name=t("c_compare")))
    row = page.get_by_role("row", name=re.compile(r"wallet\.max_transfer"))
    assert re.search(r"2000\.00\s+1500\.00", row.inner_text()), row.inner_text()
    shot(page, f"console-policy-diff-{lang}")

    # -- catalog import with progress and a report --------------------------------------------
    go(page, server, lang, "c_catalog")
    shot(page, f"console-catalog-{lang}")
    page.get_by_label(t("c_care_region")).select_option("510100")
    page.get_by_label(t("c_catalog_file")).set_input_files(files=[{
        "name": "catalog.csv", "mimeType": "text/csv", "buffer": CATALOG.encode()}])
    click(page, page.get_by_role("button", name=t("c_import")))
    heading(page, t("c_import_report"))
    # the page refreshes itself until the import is done (no script): wait for the report
    page.get_by_role("heading", name=t("c_import_done")).wait_for()
    assert page.locator("#imported-count").inner_text() == str(ROWS)
    assert page.locator("#rejected-count").inner_text() == "1"
    rejected = page.get_by_role("table", name=t("c_rejected_rows"))
    assert rejected.locator("tbody tr").all_inner_texts()[0].split("\t")[:2] == [
        "2", "CATALOG_CODE_INVALID"]
    shot(page, f"console-catalog-report-{lang}")

    # -- institutions and a key shown once -------------------------------------------------
    go(page, server, lang, "c_institutions")
    assert page.get_by_role("row", name=re.compile("H51010000001")).count() == 1
    shot(page, f"console-institutions-{lang}")
    click(page, page.get_by_role("button", name=f"{t('c_create_key')} H51010000002"))
    heading(page, t("c_new_key"))
    assert re.fullmatch(r"[0-9a-f]{64}", page.get_by_label(t("c_secret")).input_value())
    shot(page, f"console-key-{lang}")

    # -- the verification queue ------------------------------------------------------------
    go(page, server, lang, "c_queue")
    card = page.locator(".card", has=page.get_by_role("heading", name=re.compile("张\\* → 王\\*")))
    shot(page, f"console-queue-{lang}")
    click(page, card.get_by_role("button", name=re.compile(re.escape(t("c_verify_relation")))))
    error = page.locator("p.error[role=alert]")
    said = error.inner_text()  # beside the field, named in the reader's language
    assert error.count() == 1 and ("证明材料" if lang == "zh" else "evidence") in said
    card.get_by_label(t("c_evidence")).fill("结婚证" if lang == "zh" else "marriage certificate")
    click(page, card.get_by_role("button", name=re.compile(re.escape(t("c_verify_relation")))))
    assert page.get_by_text(t("c_bindings_waiting", n=0)).count() == 1

    # -- the outbox: a code was sent, the phone is masked -----------------------------------
    server.api("POST", "/api/v1/auth/code", json={"certno": CERTNO["王芳"]})
    go(page, server, lang, "c_outbox")
    outbox = page.locator("main").inner_text()
    assert "138****0002" in outbox and "13800000002" not in outbox
    shot(page, f"console-outbox-{lang}")

    # -- reports with charts ---------------------------------------------------------------
    go(page, server, lang, "c_reports")
    click(page, page.get_by_role("button", name=t("c_run_report")))
    chart = page.get_by_role("img", name=t("c_rep_opened"))
    assert chart.count() == 1 and chart.locator("rect.bar").count() == 14
    assert page.get_by_role("img", name=t("c_rep_amounts")).locator("circle").count() == 14
    opened = sum(int(v) for v in chart.locator("rect.bar").evaluate_all(
        "bars => bars.map(b => b.getAttribute('data-value'))"))
    assert opened >= 1  # the demo opened 王芳's wallet
    shot(page, f"console-reports-{lang}")

    # -- ledger verification ---------------------------------------------------------------
    go(page, server, lang, "c_verify")
    click(page, page.get_by_role("button", name=t("c_run_verify")))
    assert page.locator("#verify-result").inner_text() == "✓ " + t("c_verify_ok")
    assert page.get_by_role("row", name=re.compile(re.escape(t("c_chk_conservation")))).count() == 1
    shot(page, f"console-verify-{lang}")

    # -- the audit log -----------------------------------------------------------------------
    go(page, server, lang, "c_audit")
    page.get_by_label(t("c_action")).fill("binding.verify")
    click(page, page.get_by_role("button", name=t("c_search")))
    assert page.get_by_role("status").inner_text() == t("c_found", total=1, page=1, pages=1)
    shot(page, f"console-audit-{lang}")

    # -- the sandbox clock -----------------------------------------------------------------
    go(page, server, lang, "c_clock")
    before = page.locator("#business-now").inner_text()
    page.get_by_label(t("c_advance_by")).fill("2")
    page.get_by_label(t("c_unit")).select_option("hours")
    click(page, page.get_by_role("button", name=t("c_advance"), exact=True))
    after = page.locator("#business-now").inner_text()
    assert after[:13] > before[:13], (before, after)  # two hours later (to the hour)
    moved = t("c_clock_moved", now="\0", n=0).split("\0")[0]
    assert page.get_by_role("status").first.inner_text().startswith(moved)
    shot(page, f"console-clock-{lang}")

    assert page.js_errors == []
    page.context.close()
