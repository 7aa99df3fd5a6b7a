"""`gongji simulate`: a small fixed population in a claims file, settled under the shipped
policy and a proposal, every figure worked out here by hand from the policy parameters."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from gongji.cli import app as cli

runner = CliRunner()

HEADER = ["psn_no", "insutype", "psn_type", "insuplc_admdvs", "setl_date", "med_type",
          "hosp_lv", "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
          "out_of_area", "filing_kind", "assistance", "acct_balc", "mulaid_balc"]
ROWS = [
    # A: employee in Chengdu (national default benefits), 500.00 in the personal account
    ["A", "310", "1101", "510100", "2026-03-01", "11", "1", "800.00", "0", "0", "0", "0", "",
     "0", "500.00", "0"],
    ["A", "310", "1101", "510100", "2026-04-01", "11", "1", "600.00", "100.00", "0", "0", "0",
     "", "0", "", ""],
    # B: resident in Liaocheng (its critical-illness bands), two stays at a tertiary hospital
    ["B", "390", "1501", "371500", "2026-02-01", "21", "3", "30000.00", "0", "0", "1000.00",
     "0", "", "0", "0", "0"],
    ["B", "390", "1501", "371500", "2026-05-01", "21", "3", "10000", "0", "0", "0", "0", "",
     "0", "0", "0"],
    # C: retired employee, medical assistance, family money 100.00; a pharmacy purchase
    ["C", "310", "1201", "510100", "2026-06-01", "41", "0", "300.00", "0", "20.00", "0", "0",
     "", "1", "0", "100.00"],
    # D: resident of Chengdu treated elsewhere without filing
    ["D", "390", "1501", "510100", "2026-06-02", "11", "2", "200.00", "0", "0", "0", "1", "",
     "0", "0", "0"],
]
PROPOSAL = """\
region: "510100"
name: 提案 refuse unfiled care, accounts pay self-paid items
effective_from: 2026-01-01
benefits:
  out_of_area: {unfiled_in_province: refuse}
  account_pays_self_paid: true
"""


def half_up(fen_times_ratio_num: int, den: int) -> int:
    q, r = divmod(fen_times_ratio_num, den)
    return q + (2 * r >= den)


def expected() -> dict[str, dict[str, int]]:
    """Fen, from the national default (000000-national.yaml) and Liaocheng's document."""
    # A1: outpatient, annual deductible 1000.00: all 800.00 goes to it; the account pays 500
    a1 = {"hifp": 0, "part": 800_00, "acct": 500_00, "mulaid": 0}
    # A2: 500.00 in scope; the deductible's last 200.00, then 60% (level 1) of 300.00
    a2_hifp = half_up((500_00 - 200_00) * 60, 100)
    a2 = {"hifp": a2_hifp, "part": 600_00 - a2_hifp, "acct": 0, "mulaid": 0}
    # B1: 29,000 in scope; per-stay deductible 800 (level 3); 60%; then Liaocheng's critical
    # illness: what is left in scope above 11,000 at 60%
    b1_hifp = half_up((29000_00 - 800_00) * 60, 100)
    b1_base = 29000_00 - b1_hifp
    b1_mi = half_up((b1_base - 11000_00) * 60, 100)
    # B2: a later stay: half the deductible; the layer continues from B1's base
    b2_hifp = half_up((10000_00 - 400_00) * 60, 100)
    b2_base = 10000_00 - b2_hifp
    b2_mi = half_up((b1_base + b2_base - 11000_00) * 60, 100) - b1_mi
    # C: pharmacy, 280.00 in scope all within the employee deductible; assistance 70%
    c_maf = half_up(280_00 * 70, 100)
    c_part = 300_00 - c_maf
    # D: out of area without filing: 20 points off the 50% at level 2, after the 100 deductible
    d_hifp = half_up((200_00 - 100_00) * 30, 100)
    current = {
        "hifp_pay": a1["hifp"] + a2["hifp"] + b1_hifp + b2_hifp + d_hifp,
        "hifmi_pay": b1_mi + b2_mi, "hifob_pay": 0, "maf_pay": c_maf,
        "acct_pay": 500_00, "acct_mulaid_pay": c_part - 20_00,  # the 20.00 over cap: cash
        "medfee_sumamt": 800_00 + 600_00 + 30000_00 + 10000_00 + 300_00 + 200_00,
        "refused": 0}
    proposal = dict(current)
    proposal["hifp_pay"] -= d_hifp             # D refused: all cash
    proposal["acct_mulaid_pay"] = 100_00       # C's family money also pays the 20.00
    proposal["refused"] = 1
    for f in (current, proposal):
        f["fund_pay_sumamt"] = f["hifp_pay"] + f["hifmi_pay"] + f["hifob_pay"] + f["maf_pay"]
        f["psn_part_amt"] = f["medfee_sumamt"] - f["fund_pay_sumamt"]
        f["psn_cash_pay"] = f["psn_part_amt"] - f["acct_pay"] - f["acct_mulaid_pay"]
    return {"current": current, "proposal": proposal}


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


@pytest.fixture
def claims(tmp_path: Path) -> Path:
    path = tmp_path / "claims.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(ROWS)
    return path


def run(tmp_path: Path, claims: Path) -> dict[str, dict[str, str]]:
    tmp_path.mkdir(exist_ok=True)
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text(PROPOSAL, encoding="utf-8")
    out = tmp_path / "out"
    r = runner.invoke(cli, ["simulate", "--claims", str(claims), "--policy", str(proposal),
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "6 claims" in r.output and "proposal" in r.output
    with (out / "summary.csv").open() as fh:
        rows = {row["policy"]: row for row in csv.DictReader(fh)}
    for name in ("compare.svg", "funds-current.svg", "oop-proposal.svg"):
        assert (out / name).read_text().startswith("<svg")
    return rows


def test_hand_checked_figures_per_policy(tmp_path: Path, claims: Path) -> None:
    rows = run(tmp_path, claims)
    for policy, figures in expected().items():
        row = rows[policy]
        assert int(row["claims"]) == 6 and int(row["refused"]) == figures["refused"]
        for key, fen in figures.items():
            if key != "refused":
                assert row[key] == yuan(fen), (policy, key)
    # yearly cash per person under the current policy: A 720.00, B, C 20.00, D 170.00
    f = expected()["current"]
    b_cash = 40000_00 - f["hifp_pay"] - f["hifmi_pay"] + (180_00 + 30_00)  # B's two stays
    cash = sorted([720_00, b_cash, 20_00, 170_00])
    assert rows["current"]["oop_p50"] == yuan(cash[1])
    assert rows["current"]["oop_max"] == yuan(cash[3]) == rows["current"]["oop_p90"]


def test_parquet_gives_the_same_figures(tmp_path: Path, claims: Path) -> None:
    parquet = tmp_path / "claims.parquet"
    pl.read_csv(claims, infer_schema=False).write_parquet(parquet)
    by_parquet, by_csv = run(tmp_path / "p", parquet), run(tmp_path / "c", claims)
    assert by_parquet == by_csv and by_csv["current"]["hifmi_pay"] != "0.00"


def test_a_synthetic_population_is_reproducible(tmp_path: Path) -> None:
    outs = []
    for name in ("a", "b"):
        r = runner.invoke(cli, ["simulate", "--persons", "300", "--seed", "9", "--out",
                                str(tmp_path / name)])
        assert r.exit_code == 0, r.output
        outs.append((tmp_path / name / "summary.csv").read_text())
    assert outs[0] == outs[1] and outs[0].count("\n") == 2
    r = runner.invoke(cli, ["simulate", "--persons", "300", "--seed", "10", "--out",
                            str(tmp_path / "c")])
    assert (tmp_path / "c" / "summary.csv").read_text() != outs[0]


@pytest.mark.parametrize(("row", "problem"), [
    ({"medfee_sumamt": "12.345"}, "medfee_sumamt"),
    ({"medfee_sumamt": "1e3"}, "medfee_sumamt"),
    ({"med_type": "99"}, "med_type"),
    ({"setl_date": "2026-02-30"}, "setl_date"),
    ({"fulamt_ownpay_amt": "900.00"}, "exceed"),
    ({"medfee_sumamt": "10000000000.01"}, "in one year exceed"),
])
def test_a_bad_claims_file_is_refused_with_its_row(tmp_path: Path, row: dict[str, str],
                                                   problem: str) -> None:
    path = tmp_path / "bad.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, HEADER)
        w.writeheader()
        w.writerow(dict(zip(HEADER, ROWS[0], strict=True)) | row)
    r = runner.invoke(cli, ["simulate", "--claims", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1
    said = " ".join(r.output.split())  # the terminal wraps long lines anywhere
    assert "CLAIMS_FILE_INVALID" in said and problem in said and "row 2" in said


def test_a_bad_proposal_is_refused_by_path(tmp_path: Path, claims: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(PROPOSAL.replace("account_pays_self_paid: true",
                                    "caps: {employee_pool: 400000}"), encoding="utf-8")
    r = runner.invoke(cli, ["simulate", "--claims", str(claims), "--policy", str(bad),
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 1
    assert "POLICY_INVALID" in r.output and "benefits.caps.employee_pool" in r.output
    assert not (tmp_path / "o").exists()


def test_rules_for_care_in_another_province_as_online(tmp_path: Path) -> None:
    """docs/examples/411300-nanyang.yaml: a Nanyang resident's stay across provinces, filed,
    pays 20% of the stay as deductible (at most 10,000); the same stay elsewhere in Henan,
    the national rule's 800. cross_province without out_of_area is refused."""
    example = Path(__file__).parents[2] / "docs" / "examples" / "411300-nanyang.yaml"
    header = [*HEADER, "cross_province"]
    stay = ["E", "390", "1501", "411300", "2026-03-01", "21", "3", "60000.00", "0", "0", "0",
            "1", "long_term_resident", "0", "0", "0"]
    figures = {}
    for cross in ("1", "0"):
        path = tmp_path / f"claims-{cross}.csv"
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerows([header, [*stay, cross]])
        out = tmp_path / f"out-{cross}"
        r = runner.invoke(cli, ["simulate", "--claims", str(path), "--policy", str(example),
                                "--out", str(out)])
        assert r.exit_code == 0, r.output
        with (out / "summary.csv").open() as fh:
            figures[cross] = {row["policy"]: row["hifp_pay"] for row in csv.DictReader(fh)}
    national = yuan(half_up((60000_00 - 800_00) * 60, 100))
    assert figures["1"] == {"current": national, "411300-nanyang": "30000.00"}
    assert figures["0"] == {"current": national, "411300-nanyang": national}

    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, [*stay[:11], "0", "", *stay[13:], "1"]])
    r = runner.invoke(cli, ["simulate", "--claims", str(bad), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1
    assert "CLAIMS_FILE_INVALID" in r.output and "cross_province" in r.output
