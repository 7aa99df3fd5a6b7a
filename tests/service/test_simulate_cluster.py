"""`gongji simulate` over a claims dataset, file by file here and on a Dask cluster: the same
summaries and report files as one file read whole, to the fen; refusals naming file and row; a
person in two files refused; a local cluster of 2 workers with a small memory limit."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from gongji.cli import app as cli
from gongji.domain.errors import GongjiError
from gongji.services.simulate import service as sim
from gongji.services.simulate.model import Cluster, Population, Simulation, Tally
from tests.api.test_simulate_cli import PROPOSAL

runner = CliRunner()
LIMIT = "500MB"
"""Each local worker's memory limit: the Python, numpy, polars and gongji of a worker take
about 250 MB of it, one small file's claims little more."""

FILINGS = ["", "", "", "retiree_settled", "long_term_resident", "posted_staff", "referral",
           "emergency", "other_temporary"]


def yuan(fen: np.ndarray) -> list[str]:
    """Yuan text in each accepted form: "12.30", "12.3", "12"."""
    out = []
    for i, v in enumerate(fen.tolist()):
        text = f"{v // 100}.{v % 100:02d}"
        if i % 3 == 1 and text.endswith("0"):
            text = text[:-1]
        if i % 3 == 2 and text.endswith(".00"):
            text = text[:-3]
        out.append(text)
    return out


def random_claims(seed: int, persons: int) -> pl.DataFrame:
    """Random claims in random row order: two years, both schemes, every care type and level,
    in and out of area (and across provinces) with every filing kind, accounts, family money,
    assistance, low income, cash-only visits; several claims of a person on one day."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 12, persons)
    person = np.repeat(np.arange(persons), counts)
    n = int(person.shape[0])
    employee = (rng.random(persons) < 0.5)[person]
    psn_type = np.where(employee, np.where((rng.random(persons) < 0.3)[person], "1201", "1101"),
                        rng.choice(["1401", "1402", "1501"], persons)[person])
    day0 = date(2025, 10, 1)
    days = [(day0 + timedelta(days=int(d))).isoformat() for d in rng.integers(0, 200, n)]
    med = rng.choice(["11", "13", "14", "21", "25", "28", "41"], n)
    level = np.where(med == "41", "0", rng.choice(["1", "2", "3"], n))
    total = np.maximum(np.rint(rng.lognormal(np.log(300_00), 1.4, n)), 1).astype(np.int64)
    full = total * rng.integers(0, 25, n) // 100
    over = (total - full) * rng.integers(0, 6, n) // 100
    pre = (total - full - over) * rng.integers(0, 16, n) // 100
    out = rng.random(n) < 0.25
    cross = out & (rng.random(n) < 0.5)
    own = np.where(employee, rng.integers(0, 5000_00, n), 0)
    fam = np.where(rng.random(n) < 0.3, rng.integers(0, 2000_00, n), 0)
    frame = pl.DataFrame({
        "psn_no": [f"p{p:05d}" for p in person.tolist()],
        "insutype": np.where(employee, "310", "390"),
        "psn_type": psn_type,
        "insuplc_admdvs": rng.choice(["510100", "371500", "411300"], persons)[person],
        "setl_date": days, "med_type": med, "hosp_lv": level,
        "medfee_sumamt": yuan(total), "fulamt_ownpay_amt": yuan(full),
        "overlmt_selfpay": yuan(over), "preselfpay_amt": yuan(pre),
        "out_of_area": out.astype(int).astype(str), "cross_province": cross.astype(int).astype(str),
        "filing_kind": np.where(out, rng.choice(FILINGS, n), ""),
        "acct_used_flag": np.where(rng.random(n) < 0.9, "1", "0"),
        "assistance": np.where((rng.random(persons) < 0.1)[person], "1", "0"),
        "low_income": np.where((rng.random(persons) < 0.1)[person], "1", "0"),
        "acct_balc": yuan(own), "mulaid_balc": yuan(fam)})
    return frame.sample(fraction=1.0, shuffle=True, seed=seed)


def split_by_person(frame: pl.DataFrame, files: int, out: Path, seed: int) -> list[Path]:
    """Each person's rows (in their order) in one of `files` Parquet files, chosen at random."""
    rng = np.random.default_rng(seed)
    names = frame["psn_no"].unique().sort()
    where = pl.DataFrame({"psn_no": names, "_f": rng.integers(0, files, names.len())})
    tagged = frame.join(where, on="psn_no", how="left", maintain_order="left")
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        part = tagged.filter(pl.col("_f") == i).drop("_f")
        if part.height:
            paths.append(out / f"claims-{i:02d}.parquet")
            part.write_parquet(paths[-1])
    return paths


def report(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def claims(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(one CSV file, the same claims in 23 Parquet files, a proposal)."""
    root = tmp_path_factory.mktemp("claims")
    frame = random_claims(20261205, 1500)
    frame.write_csv(root / "all.csv")
    split_by_person(frame, 23, root / "parts", seed=5)
    (root / "proposal.yaml").write_text(PROPOSAL, encoding="utf-8")
    return root / "all.csv", root / "parts", root / "proposal.yaml"


def test_a_dataset_on_a_cluster_gives_the_single_process_report(
        claims: tuple[Path, Path, Path], tmp_path: Path) -> None:
    one, parts, proposal = claims
    assert len(list(parts.iterdir())) == 23
    whole = sim.simulate(Simulation(proposals=(proposal,), claims=one, out=tmp_path / "one"))
    done: list[tuple[int, int]] = []
    spread = sim.simulate(Simulation(proposals=(proposal,), claims=parts, out=tmp_path / "dask",
                                     cluster=Cluster(workers=2, memory_limit=LIMIT)),
                          progress=lambda n, total: done.append((n, total)))
    here = sim.simulate(Simulation(proposals=(proposal,), claims=parts / "*.parquet",
                                   out=tmp_path / "here"))
    assert whole.claims == spread.claims == here.claims > 5000
    assert [s.policy for s in whole.summaries] == ["current", "proposal"]
    assert spread.summaries == whole.summaries == here.summaries
    # the proposal changes something, and refusals happen: the comparison has teeth
    assert whole.summaries[0].totals != whole.summaries[1].totals
    assert whole.summaries[1].refused > 0
    assert report(tmp_path / "dask") == report(tmp_path / "one") == report(tmp_path / "here")
    assert done[-1] == (23, 23) and len(done) == 23


def test_a_person_in_two_files_is_refused_naming_them(
        claims: tuple[Path, Path, Path], tmp_path: Path) -> None:
    one, _, _ = claims
    frame = pl.read_csv(one, infer_schema=False)
    first = frame.filter(pl.col("psn_no") == "p00042")
    assert first.height >= 2
    rest = frame.filter(pl.col("psn_no") != "p00042")
    split_by_person(rest, 4, tmp_path / "d", seed=1)
    pl.concat([pl.read_parquet(tmp_path / "d" / "claims-00.parquet"), first.head(1)]) \
        .write_parquet(tmp_path / "d" / "claims-00.parquet")
    later = tmp_path / "d" / "claims-03.parquet"
    pl.concat([first.tail(first.height - 1), pl.read_parquet(later)]).write_parquet(later)
    with pytest.raises(GongjiError) as e:
        sim.simulate(Simulation(claims=tmp_path / "d", out=tmp_path / "o"))
    assert e.value.code == "CLAIMS_FILE_INVALID"
    assert "p00042" in e.value.message_en
    assert "claims-00.parquet" in e.value.message_en
    assert "claims-03.parquet" in e.value.message_en
    assert not (tmp_path / "o").exists()


def test_a_hash_shared_by_two_persons_is_no_straddle(
        claims: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Persons are told apart by a 64-bit hash; two persons with one hash in two files are read
    back by name and let through (here every hash is one of 3, so many persons share one)."""
    one, parts, _ = claims
    real = sim._hashes
    monkeypatch.setattr(sim, "_hashes", lambda s: real(s) % np.uint64(3))
    shared = sim.simulate(Simulation(claims=parts, out=tmp_path / "d"))
    assert shared.summaries == sim.simulate(Simulation(claims=one, out=tmp_path / "o")).summaries


def test_a_bad_value_is_refused_naming_the_file_and_row(tmp_path: Path) -> None:
    _, files = sim.write_synthetic(Population(persons=400, seed=3), 10, tmp_path / "d")
    bad = pl.read_parquet(files[7])
    bad = bad.with_columns(pl.when(pl.int_range(pl.len()) == 10).then(pl.lit("12.345"))
                           .otherwise(pl.col("medfee_sumamt")).alias("medfee_sumamt"))
    bad.write_parquet(files[7])
    with pytest.raises(GongjiError) as e:
        sim.simulate(Simulation(claims=tmp_path / "d", out=tmp_path / "o",
                                cluster=Cluster(workers=2, memory_limit=LIMIT)))
    assert e.value.code == "CLAIMS_FILE_INVALID"
    assert e.value.params["path"] == "part-00007.parquet"
    assert "part-00007.parquet" in e.value.message_en
    assert "'12.345'" in e.value.message_en and "(row 12)" in e.value.message_en
    assert not (tmp_path / "o").exists()


def test_partitioning_keeps_persons_whole_and_the_report(
        claims: tuple[Path, Path, Path], tmp_path: Path) -> None:
    one, _, proposal = claims
    written = sim.partition(one, 9, tmp_path / "p")
    assert 1 < len(written) <= 9
    owners: dict[str, Path] = {}
    for path in written:
        for psn in pl.read_parquet(path, columns=["psn_no"])["psn_no"].unique().to_list():
            assert owners.setdefault(psn, path) == path
    assert len(owners) == 1500
    whole = sim.simulate(Simulation(proposals=(proposal,), claims=one, out=tmp_path / "a"))
    again = sim.simulate(Simulation(proposals=(proposal,), claims=tmp_path / "p",
                                    out=tmp_path / "b"))
    assert again.summaries == whole.summaries


def test_a_synthetic_dataset_reads_back_as_drawn(tmp_path: Path) -> None:
    pop = Population(persons=3000, seed=9, out_of_area_share=0.3)
    count, files = sim.write_synthetic(pop, 3, tmp_path / "d")
    plans = sim.scenarios([])
    drawn = []
    for i, path in enumerate(files):
        seed = int(np.random.SeedSequence((9, i)).generate_state(1, np.uint64)[0])
        replay = sim.synthetic(replace(pop, persons=1000, seed=seed))
        drawn.append(sim.settle(replay, plans[0]))
        assert sim.run(sim.read_claims(path), plans) == [sim.finish(drawn[-1])]
    assert sum(t.claims for t in drawn) == count
    assert sim.settle_dataset(files, plans)[1][0].totals == sim.merge(drawn).totals


def test_the_cli_on_two_local_workers(tmp_path: Path) -> None:
    made = runner.invoke(cli, ["simulate", "--persons", "3000", "--seed", "4", "--synthetic-to",
                               str(tmp_path / "d"), "--parts", "7"])
    assert made.exit_code == 0, made.output
    assert "to 7 files" in made.output
    spread = runner.invoke(cli, ["simulate", "--claims", str(tmp_path / "d"), "--workers", "2",
                                 "--memory-limit", LIMIT, "--out", str(tmp_path / "a")])
    assert spread.exit_code == 0, spread.output
    said = " ".join(spread.output.split())  # Rich wraps long paths
    assert "7 files from" in said and "on 2 local Dask workers" in said
    pl.concat([pl.read_parquet(p) for p in sorted((tmp_path / "d").iterdir())]) \
        .write_parquet(tmp_path / "all.parquet")
    whole = runner.invoke(cli, ["simulate", "--claims", str(tmp_path / "all.parquet"),
                                "--out", str(tmp_path / "b")])
    assert whole.exit_code == 0, whole.output
    assert report(tmp_path / "a") == report(tmp_path / "b")
    nothing = runner.invoke(cli, ["simulate", "--workers", "2", "--out", str(tmp_path / "c")])
    assert nothing.exit_code != 0 and "--synthetic-to" in nothing.output


def test_dask_is_imported_only_for_a_cluster() -> None:
    code = ("import sys, gongji.cli, gongji.api.app, gongji.services.simulate.service; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_a_national_years_totals_are_written_exactly(tmp_path: Path) -> None:
    """Sums over billions of claims pass the 10^13 fen bound of one amount: written all the
    same, exactly."""
    big = 2 * 10**15 + 7  # 20 trillion yuan and 7 fen
    t = Tally("current", 7 * 10**9, 0, dict.fromkeys(sim.FIGURES, big),
              np.array([0, 12345], np.int64), np.array([10**9, 3 * 10**8], np.int64))
    s = sim.finish(t)
    assert s.persons == 13 * 10**8 and s.oop_quantiles["max"] == 12345
    sim.write_report([s], tmp_path)
    assert "20000000000000.07" in (tmp_path / "summary.csv").read_text(encoding="utf-8")


def test_a_file_too_big_for_the_workers_memory_is_refused_not_hung(tmp_path: Path) -> None:
    """250,000 claims in one file need about 600 MB in a worker: at a 330 MB limit Dask
    restarts the worker, tries again, and the run stops with a refusal (never a pause)."""
    sim.write_synthetic(Population(persons=50_000, seed=2), 1, tmp_path / "d")
    with pytest.raises(GongjiError) as e:
        sim.simulate(Simulation(claims=tmp_path / "d", out=tmp_path / "o",
                                cluster=Cluster(workers=2, memory_limit="330MB")))
    assert e.value.code == "VALIDATION_ERROR" and "memory-limit" in e.value.message_en
    assert not (tmp_path / "o").exists()


def test_a_running_scheduler_by_its_address(
        claims: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """--cluster ADDRESS: a scheduler started elsewhere (here, in this process, workers as
    threads); it is left running when the simulation ends."""
    from dask.distributed import LocalCluster

    one, parts, _ = claims
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as running:
        spread = sim.simulate(Simulation(claims=parts, out=tmp_path / "a",
                                         cluster=Cluster(address=running.scheduler_address)))
        assert running.scheduler.status.name == "running"
    whole = sim.simulate(Simulation(claims=one, out=tmp_path / "b"))
    assert spread.summaries == whole.summaries
    assert report(tmp_path / "a") == report(tmp_path / "b")
