"""Clearing statements between regions and reconciliation totals per institution."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gongji.cli import app as cli
from gongji.services.clearing import service as clearing
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from tests.clinic import CLINIC, HENAN_HOSPITAL, HOSPITAL, S_A, Clinic, open_clinic
from tests.conftest import OPERATOR
from tests.family import key, make_family


@pytest.fixture
def clinic(app: Gongji) -> Clinic:
    return open_clinic(make_family(app))


def settle(c: Clinic, name: str, at: str, yuan: str, med_type: str = "11"
           ) -> svc.SettlementView:
    v = c.visit(name, at=at, med_type=med_type)
    c.fees(v, (S_A, "1", yuan))
    return c.settle(v, name)


def test_statement_by_pair_of_regions(clinic: Clinic, db_url: str) -> None:
    clinic.file_away("李秀英", "510000")
    clinic.file_away("张伟", "410000")
    a = settle(clinic, "李秀英", HOSPITAL, "1000")      # Henan resident in Chengdu
    b = settle(clinic, "李秀英", CLINIC, "200")
    settle(clinic, "张伟", HENAN_HOSPITAL, "300")      # Chengdu employee in Henan
    settle(clinic, "张伟", CLINIC, "50")                # in area: no obligation
    cancelled = settle(clinic, "李秀英", CLINIC, "70")
    svc.cancel(clinic.app, clinic.inst(CLINIC), key(), cancelled.setl_id or "")
    lines = {(x.insuplc_admdvs, x.mdtrtarea_admvs): x
             for x in clearing.statement(clinic.app, OPERATOR, "2026-11")}
    assert set(lines) == {("411300", "510100"), ("510100", "411300")}
    henan = lines[("411300", "510100")]
    assert henan.count == 2
    assert henan.medfee_sumamt == 1200_00
    assert henan.clearing_amt == sum(x.medfee_sumamt - x.psn_cash_pay for x in (a, b))
    assert clearing.statement(clinic.app, OPERATOR, "2026-10") == []
    out = CliRunner().invoke(cli, ["clearing", "statement", "--month", "2026-11",
                                   "--db", db_url])
    assert out.exit_code == 0, out.output
    assert "411300" in out.output and "2 pair(s)" in out.output


def test_institution_totals_for_reconciliation(clinic: Clinic) -> None:
    s1 = settle(clinic, "张伟", CLINIC, "50")
    s2 = settle(clinic, "王芳", CLINIC, "80")
    t = clearing.totals(clinic.app, CLINIC, date(2026, 11, 24), date(2026, 11, 24))
    assert (t.medfee_sumamt, t.fixmedins_setl_cnt) == (130_00, 2)
    assert t.fund_pay_sumamt == s1.fund_pay_sumamt + s2.fund_pay_sumamt
    assert t.acct_pay == s1.acct_pay + s2.acct_pay
    assert clearing.totals(clinic.app, CLINIC, date(2026, 11, 25),
                           date(2026, 11, 30)).fixmedins_setl_cnt == 0
    assert clearing.totals(clinic.app, CLINIC, date(2026, 11, 24), date(2026, 11, 24),
                           clr_type="21").fixmedins_setl_cnt == 0


def test_catalog_import_cli(clinic: Clinic, db_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "cat.csv"
    csv.write_text("med_list_codg,name,list_type,med_chrgitm_type,chrgitm_lv,selfpay_prop,"
                   "pric_uplmt_amt,lmt_used_flag,spec,unit\n"
                   "XB01AAA010A001010100009,新药,101,09,02,0.10,50.00,0,10mg,盒\n"
                   "BAD,坏码,101,09,01,,,0,,\n"
                   "310000000000009,新治疗,201,05,04,,,0,,\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["catalog", "import", str(csv), "--region", "510100",
                                 "--begndate", "2026-01-01", "--db", db_url])
    assert r.exit_code == 1
    assert "imported 1 item(s) into 510100; 2 rejected" in r.output
    assert "line 3" in r.output and "CATALOG_CODE_INVALID" in r.output
    assert "line 4" in r.output and "chrgitm_lv" in r.output
    tsv = tmp_path / "national.txt"
    tsv.write_text("XB01AAA010A001010100010\t国家药\t101\t09\t01\t\t12.5\t0\t5mg\t盒\t"
                   "2026-01-01 00:00:00\t\t1\n"
                   "XB01AAA010A001010100011\t撤销药\t101\t09\t01\t\t12.5\t0\t5mg\t盒\t"
                   "2026-01-01\t\t0\n"
                   "XB01AAA010A001010100012\t短行\t101\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["catalog", "import", str(tsv), "--format", "tsv",
                                 "--db", db_url])
    assert "imported 1 item(s) into 000000; 2 rejected" in r.output
    assert "vali_flag" in r.output and "columns" in r.output
