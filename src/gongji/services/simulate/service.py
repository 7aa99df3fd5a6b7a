"""What-if: replay claims under one or more policies and compare what the funds and people pay.

Claims come from a file (CSV or Parquet, schema in docs/SIMULATE.md and CLAIM_COLUMNS) or from
a synthetic population drawn from a seed. Each policy (the shipped documents, or the shipped
documents with proposed ones laid over them) is resolved per insured region and day exactly as
settlement resolves it, and the claims are settled by the batch engine (domain/batch.py), which
applies the online engine's rules. The report sums every fund, the personal burden and how it
was paid, and the distribution of each person's yearly out-of-pocket cash, per policy.

No database: a simulation reads policy documents and claims, and writes files.

Claims datasets: many Parquet (or CSV) files, each holding all claims of its persons, settled
file by file, here or on a Dask cluster, with the same summaries as one file read whole.

A national year does not fit in one process. Its claims are split into files by person (a hash
of psn_no: `partition`, or `write_synthetic` for a drawn population), so that every claim of a
person, in every year and scheme, is in one file: the year's accumulators are per person-year,
and the account balances run down across all of a person's claims. Each file is then one task:
read and checked exactly as read_claims checks a file (the same CLAIMS_FILE_INVALID, naming the
file and its row), settled by the batch engine under every scenario, and answered as a small
Tally per scenario (integer fen totals, and the distinct yearly cash amounts with their
person-years). Tallies merge exactly, so the report is the one the single-process run writes.

A person found in two files is refused (the dataset is not partitioned by person): each task
also answers a 64-bit hash of each of its persons; the driver looks for a hash in two files and
reads both files' psn_no to name the person (a mere hash collision is no refusal).

Dask is imported here, inside `_on_cluster`, and nowhere else: the CLI and the server never
load it unless a cluster is asked for.
"""

from __future__ import annotations

import csv
import glob
import importlib
import itertools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from gongji.charts import bar_chart
from gongji.domain import batch
from gongji.domain.benefits import CARE_TYPES, Benefits
from gongji.domain.errors import GongjiError
from gongji.domain.filing import EMERGENCY_MED_TYPES
from gongji.domain.money import MAX_FEN, format_yuan, format_yuan_unchecked
from gongji.domain.policy import resolve
from gongji.domain.regions import check_admdvs
from gongji.services.door import door
from gongji.services.policy.service import parse_documents, shipped_documents
from gongji.services.settlement.model import MED_TYPES
from gongji.services.simulate.model import (
    CLAIM_COLUMNS,
    FIGURES,
    OOP_BUCKETS,
    OPTIONAL_COLUMNS,
    PSN_TYPES,
    YEAR_LIMIT,
    Cluster,
    Population,
    Replay,
    Scenario,
    Simulated,
    Simulation,
    Summary,
    Tally,
)

__all__ = ["OPTIONAL_COLUMNS"]
"""What callers still reach here though this module does not use it (the model, under its
old names)."""

_AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt")
_FLAGS = ("out_of_area", "cross_province", "acct_used_flag", "assistance", "low_income")


def synthetic(pop: Population) -> Replay:
    """Draw a population and its claims from `pop.seed` (same seed, same claims).

    Amounts are drawn from log-normal distributions by care type and rounded to whole fen once;
    from then on everything is integer. Claims are in person order (each person's in sequence).
    """
    if pop.persons < 1 or not pop.regions:
        raise GongjiError("VALIDATION_ERROR", fields="persons, regions")
    for r in pop.regions:
        check_admdvs(r, field="regions")
    rng = np.random.default_rng(pop.seed)
    n_psn = pop.persons
    counts = 1 + rng.poisson(max(pop.claims_per_person - 1, 0), n_psn)
    person = np.repeat(np.arange(n_psn, dtype=np.int64), counts)
    n = int(person.shape[0])
    employee = rng.random(n_psn) < pop.employee_share
    retired = employee & (rng.random(n_psn) < pop.retiree_share)
    psn_type = np.where(employee, np.where(retired, PSN_TYPES.index("1201"),
                                           PSN_TYPES.index("1101")),
                        np.where(rng.random(n_psn) < 0.3, PSN_TYPES.index("1401"),
                                 PSN_TYPES.index("1501"))).astype(np.int64)
    region = rng.integers(0, len(pop.regions), n_psn)
    weights = np.array(pop.visit_mix, dtype=np.float64)
    care = rng.choice(len(CARE_TYPES), n, p=weights / weights.sum()).astype(np.int64)
    pharmacy = care == CARE_TYPES.index("pharmacy")
    level = np.where(pharmacy, 0, rng.integers(1, 4, n)).astype(np.int64)
    median = np.array([150_00, 12000_00, 80_00, 400_00])[care]  # fen, by care type
    spread = np.array([0.9, 1.0, 0.8, 0.7])[care]
    medfee = np.maximum(np.rint(median * rng.lognormal(0.0, spread)), 1).astype(np.int64)
    medfee = np.minimum(medfee, 5_000_000_00)
    full = medfee * rng.integers(0, 21, n) // 100
    over = (medfee - full) * rng.integers(0, 6, n) // 100
    pre = (medfee - full - over) * rng.integers(0, 16, n) // 100
    out = rng.random(n) < pop.out_of_area_share
    filing = np.where(out, rng.integers(0, len(batch.FILINGS), n), 0).astype(np.int64)
    inpatient = care == CARE_TYPES.index("inpatient")
    seen = np.cumsum(inpatient)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    before = np.where(starts > 0, seen[np.maximum(starts - 1, 0)], 0)
    first_stay = inpatient & (seen - before[person] == 1)
    own = np.where(employee, rng.integers(0, 8000_00, n_psn), 0).astype(np.int64)
    family = np.where(rng.random(n_psn) < 0.2, rng.integers(0, 3000_00, n_psn), 0)
    claims = batch.Claims(
        person=person, group=person, policy=np.zeros(n, np.int64),
        insutype=np.where(employee, 0, 1)[person].astype(np.int64),
        psn_type=psn_type[person], care=care, level=level, out_of_area=out, filing=filing,
        first_stay=first_stay, medfee_sumamt=medfee, fulamt_ownpay_amt=full,
        overlmt_selfpay=over, preselfpay_amt=pre, acct_used=rng.random(n) < 0.95,
        assistance=(rng.random(n_psn) < 0.03)[person],
        low_income=(rng.random(n_psn) < 0.05)[person], own_balance=own,
        mulaid_balance=family.astype(np.int64), psn_types=PSN_TYPES)
    return Replay(claims, region[person], np.zeros(n, np.int64), tuple(pop.regions),
                  (pop.day,), source=f"synthetic population, seed {pop.seed}")


# -- claims files --------------------------------------------------------------------------------

def _refuse(path: str, problem: str) -> GongjiError:
    return GongjiError("CLAIMS_FILE_INVALID", path=path, problem=problem)


def read_claims(path: Path) -> Replay:
    """A claims file (.csv or .parquet; every column as text in CSV) as a Replay, in replay order:
    by person, then settlement day, then file order. Refused whole on the first bad value."""
    return _as_replay(read_frame(path), str(path))


def read_frame(path: Path) -> pl.DataFrame:
    """A claims file checked and in replay order, as read_claims reads it (its columns as text,
    amounts as fen, and the replay's person, group, care and first stay)."""
    name = str(path)
    return _ordered(_checked(_with_defaults(_load(path, name), name), name), name)


def _load(path: Path, name: str) -> pl.DataFrame:
    """Every column as trimmed text with its file row number; refused if unreadable or empty."""
    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
        elif path.suffix.lower() == ".csv":
            frame = pl.read_csv(path, infer_schema=False)
        else:
            raise _refuse(name, "the file must end in .csv or .parquet")
    except (OSError, pl.exceptions.PolarsError) as e:
        raise _refuse(name, str(e).splitlines()[0][:200]) from None
    missing = [c for c in CLAIM_COLUMNS if c not in frame.columns]
    if missing:
        raise _refuse(name, "missing columns: " + ", ".join(missing))
    if frame.height == 0:
        raise _refuse(name, "no claims")
    text = [pl.col(c).cast(pl.String).str.strip_chars() for c in frame.columns]
    return frame.select(text).with_row_index("_row")


def _with_defaults(f: pl.DataFrame, name: str) -> pl.DataFrame:
    """Optional columns filled in; amounts and balances parsed to fen."""
    for c, default in (("out_of_area", "0"), ("cross_province", "0"), ("acct_used_flag", "1"),
                       ("assistance", "0"), ("low_income", "0"), ("acct_balc", "0.00"),
                       ("mulaid_balc", "0.00"), ("filing_kind", "")):
        if c not in f.columns:
            f = f.with_columns(pl.lit(default).alias(c))
        f = f.with_columns(pl.col(c).fill_null(default))
    for c in ("acct_balc", "mulaid_balc", *_AMOUNTS):
        f = f.with_columns(_fen(f, c, name).alias(c))
    return f


def _first_bad(bad: pl.DataFrame) -> int:
    """The file line of the first refused row (header is line 1)."""
    return int(bad["_row"][0]) + 2


def _checked(f: pl.DataFrame, name: str) -> pl.DataFrame:
    """Flags, codes, ids, dates and the parts of each claim checked; adds the parsed `_day`."""
    for c in _FLAGS:
        bad = f.filter(~pl.col(c).is_in(["0", "1"]))
        if bad.height:
            raise _refuse(name, f"{c} must be 0 or 1 (row {_first_bad(bad)})")
    bad = f.filter((pl.col("cross_province") == "1") & (pl.col("out_of_area") == "0"))
    if bad.height:
        raise _refuse(name, f"cross_province 1 needs out_of_area 1 (row {_first_bad(bad)})")
    checks = {"insutype": list(batch.INSUTYPES), "psn_type": list(PSN_TYPES),
              "med_type": list(MED_TYPES), "hosp_lv": ["0", "1", "2", "3"],
              "filing_kind": [""] + [k for k in batch.FILINGS if k]}
    for c, allowed in checks.items():
        bad = f.filter(~pl.col(c).is_in(allowed) | pl.col(c).is_null())
        if bad.height:
            raise _refuse(name, f"{c} {bad[c][0]!r} not one of {', '.join(allowed)} "
                                f"(row {_first_bad(bad)})")
    bad = f.filter(~pl.col("insuplc_admdvs").str.contains(r"^[0-9]{6}$")
                   | pl.col("insuplc_admdvs").is_null() | pl.col("psn_no").is_null()
                   | (pl.col("psn_no").str.len_chars() > 40))
    if bad.height:
        raise _refuse(name, f"insuplc_admdvs or psn_no invalid (row {_first_bad(bad)})")
    f = f.with_columns(pl.col("setl_date").str.to_date("%Y-%m-%d", strict=False).alias("_day"))
    bad = f.filter(pl.col("_day").is_null())
    if bad.height:
        raise _refuse(name, f"setl_date must be YYYY-MM-DD (row {_first_bad(bad)})")
    bad = f.filter(pl.col("fulamt_ownpay_amt") + pl.col("overlmt_selfpay")
                   + pl.col("preselfpay_amt") > pl.col("medfee_sumamt"))
    if bad.height:
        raise _refuse(name, "fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt exceed "
                            f"medfee_sumamt (row {_first_bad(bad)})")
    return f


def _ordered(f: pl.DataFrame, name: str) -> pl.DataFrame:
    """Replay order, with each claim's person, person-year group, care type and first stay;
    refused if one person-year exceeds the plausible yearly total."""
    f = f.sort(["psn_no", "_day", "_row"])
    f = f.with_columns(
        pl.col("psn_no").rank("dense").cast(pl.Int64).sub(1).alias("_person"),
        pl.struct("psn_no", "insutype", pl.col("_day").dt.year()).rank("dense")
        .cast(pl.Int64).sub(1).alias("_group"),
        pl.col("med_type").replace_strict(MED_TYPES).alias("_care"))
    big = f.group_by("_group").agg(pl.col("medfee_sumamt").sum(), pl.col("_row").min()) \
        .filter(pl.col("medfee_sumamt") > YEAR_LIMIT)
    if big.height:
        raise _refuse(name, f"a person's claims in one year exceed {format_yuan(YEAR_LIMIT)} "
                            f"(row {_first_bad(big)})")
    return f.with_columns(
        ((pl.col("_care") == "inpatient").cum_sum().over("_group")
         .eq(1) & (pl.col("_care") == "inpatient")).alias("_first"))


def _as_replay(f: pl.DataFrame, name: str) -> Replay:
    """The checked, ordered frame as the simulator's column arrays."""
    regions = tuple(sorted(f["insuplc_admdvs"].unique().to_list()))
    days = tuple(sorted(f["_day"].unique().to_list()))
    first_rows = f.group_by("_person", maintain_order=True).first().sort("_person")

    def ints(col: str, frame: pl.DataFrame = f) -> np.ndarray:
        return frame[col].to_numpy().astype(np.int64)

    def flags(col: str) -> np.ndarray:
        return (f[col] == "1").to_numpy()

    def index(col: str, values: Sequence[object]) -> np.ndarray:
        table = {v: i for i, v in enumerate(values)}
        return f[col].replace_strict(table, return_dtype=pl.Int64).to_numpy()

    filing = f["filing_kind"].replace_strict(
        {"": 0, **{k: i for i, k in enumerate(batch.FILINGS) if k}}, return_dtype=pl.Int64)
    claims = batch.Claims(
        person=ints("_person"), group=ints("_group"), policy=np.zeros(f.height, np.int64),
        insutype=index("insutype", batch.INSUTYPES), psn_type=index("psn_type", PSN_TYPES),
        care=index("_care", CARE_TYPES), level=f["hosp_lv"].cast(pl.Int64).to_numpy(),
        out_of_area=flags("out_of_area"), filing=filing.to_numpy(),
        first_stay=f["_first"].to_numpy(), medfee_sumamt=ints("medfee_sumamt"),
        fulamt_ownpay_amt=ints("fulamt_ownpay_amt"), overlmt_selfpay=ints("overlmt_selfpay"),
        preselfpay_amt=ints("preselfpay_amt"), acct_used=flags("acct_used_flag"),
        assistance=flags("assistance"), low_income=flags("low_income"),
        own_balance=ints("acct_balc", first_rows),
        mulaid_balance=ints("mulaid_balc", first_rows), psn_types=PSN_TYPES,
        cross_province=flags("cross_province"),
        emergency=f["med_type"].is_in(sorted(EMERGENCY_MED_TYPES)).to_numpy())
    return Replay(claims, index("insuplc_admdvs", regions), index("_day", days), regions, days,
                  source=name)


def _fen(f: pl.DataFrame, col: str, path: str) -> pl.Expr:
    """A yuan column ("12.30", "12.3", "12") as exact integer fen, or the first bad row refused."""
    pattern = r"^(0|[1-9][0-9]{0,10})(\.[0-9]{1,2})?$"
    bad = f.filter(~pl.col(col).str.contains(pattern) | pl.col(col).is_null())
    if bad.height:
        raise _refuse(path, f"{col} {bad[col][0]!r} is not yuan with at most two decimals "
                            f"(row {bad['_row'][0] + 2})")
    whole = pl.col(col).str.extract(r"^([0-9]+)", 1).cast(pl.Int64)
    frac = pl.col(col).str.extract(r"\.([0-9]+)$", 1).fill_null("").str.pad_end(2, "0") \
        .cast(pl.Int64)
    return whole * 100 + frac


# -- policies ----------------------------------------------------------------------------------

def scenarios(files: Sequence[Path], *, current: bool = True) -> list[Scenario]:
    """"current" (the shipped documents, and GONGJI_POLICY_DIR's) and, per file, the shipped
    documents with the file's laid over them (a version starting the same day as a shipped one
    of the same region replaces it)."""
    shipped = shipped_documents()
    out = [Scenario("current", tuple(shipped))] if current else []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise GongjiError("POLICY_INVALID", source=str(path), problems=str(e),
                              errors=[str(e)]) from None
        docs = parse_documents(text, source=str(path))
        taken = {(d.region, d.effective_from) for d in docs}
        merged = [d for d in shipped if (d.region, d.effective_from) not in taken] + docs
        out.append(Scenario(path.stem, tuple(merged)))
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise GongjiError("VALIDATION_ERROR", fields="policy (two files with the same name)")
    return out


Resolved = dict[tuple[str, date], tuple[str, Benefits]]
"""A scenario's benefits already resolved: (region, day) -> (their JSON, the Benefits)."""


def benefits_for(replay: Replay, scenario: Scenario,
                 resolved: Resolved | None = None) -> tuple[np.ndarray, list[Benefits]]:
    """Per claim, the index of its Benefits (the insured region's on the claim's day).
    `resolved` keeps what was resolved for the next replay of the same scenario."""
    found: dict[str, int] = {}
    table: list[Benefits] = []
    seen: Resolved = {} if resolved is None else resolved
    pair = np.zeros((len(replay.regions), len(replay.days)), np.int64)
    for ri, region in enumerate(replay.regions):
        for di, day in enumerate(replay.days):
            if (region, day) not in seen:
                b = resolve(scenario.documents, region, day).benefits
                seen[region, day] = (b.model_dump_json(), b)
            key, b = seen[region, day]
            if key not in found:
                found[key] = len(table)
                table.append(b)
            pair[ri, di] = found[key]
    return pair[replay.region, replay.day], table


# -- the report ----------------------------------------------------------------------------------

def run(replay: Replay, plans: Sequence[Scenario], *,
        progress: Callable[[int], None] | None = None) -> list[Summary]:
    """Settle the replay under each scenario; `progress(claims settled so far)`."""
    out = []
    done = 0
    for sc in plans:

        def tick(k: int, base: int = done) -> None:
            if progress is not None:
                progress(base + k)

        out.append(finish(settle(replay, sc, progress=tick)))
        done += len(replay)
    return out


def settle(replay: Replay, sc: Scenario, *, progress: Callable[[int], None] | None = None,
           resolved: Resolved | None = None) -> Tally:
    """The replay settled under one scenario, as a tally (`resolved`: see benefits_for)."""
    policy, table = benefits_for(replay, sc, resolved)
    claims = batch.Claims(**{**replay.claims.__dict__, "policy": policy})
    return tally(sc.name, claims, batch.settle_batch(claims, table, progress=progress))


def summarise(name: str, claims: batch.Claims, result: batch.Outcome) -> Summary:
    """Totals per figure and each person-year's out-of-pocket cash."""
    return finish(tally(name, claims, result))


def tally(name: str, claims: batch.Claims, result: batch.Outcome) -> Tally:
    """What the summary of these claims is made of (merge tallies of disjoint person-years)."""
    # a refused claim (no direct settlement) is all the person's, in cash: the engine says so
    totals = {"medfee_sumamt": int(claims.medfee_sumamt.sum())}
    for k in FIGURES[1:]:
        totals[k] = int(result[k].sum())
    yearly = _sum_by(claims.group, result["psn_cash_pay"])
    cash, count = np.unique(yearly, return_counts=True)
    return Tally(name, len(claims), int(result.refused.sum()), totals, cash.astype(np.int64),
                 count.astype(np.int64))


def merge(tallies: Sequence[Tally]) -> Tally:
    """One policy's tallies over disjoint sets of person-years as one: exact integer sums."""
    first = tallies[0]
    if any(t.policy != first.policy for t in tallies):
        raise ValueError("tallies of different policies")
    cash = np.concatenate([t.cash for t in tallies])
    count = np.concatenate([t.count for t in tallies])
    order = np.argsort(cash, kind="stable")
    cash, count = cash[order], count[order]
    if cash.shape[0]:
        starts = np.flatnonzero(np.concatenate(([True], cash[1:] != cash[:-1])))
        cash, count = cash[starts], np.add.reduceat(count, starts)
    return Tally(first.policy, sum(t.claims for t in tallies), sum(t.refused for t in tallies),
                 {k: sum(t.totals[k] for t in tallies) for k in FIGURES},
                 cash.astype(np.int64), count.astype(np.int64))


def finish(t: Tally) -> Summary:
    """The summary of a tally: totals, person-years, yearly cash percentiles and buckets."""
    cash, count = t.cash, t.count
    below = np.cumsum(count)
    m = int(below[-1]) if below.shape[0] else 0

    def q(num: int, den: int) -> int:
        """The smallest yearly amount with at least num/den of persons at or below it."""
        rank = max(-(-m * num // den) - 1, 0)
        return int(cash[int(np.searchsorted(below, rank, side="right"))]) if m else 0

    def persons(lo: int, hi: int) -> int:
        return int(count[(cash >= lo) & (cash < hi)].sum())

    buckets = []
    edges = [*OOP_BUCKETS, MAX_FEN + 1]
    for lo, hi in itertools.pairwise(edges):
        if lo == 0:
            buckets.append(("0.00", persons(0, 1)))
            lo = 1
        label = f"{format_yuan(lo)}+" if hi > MAX_FEN else f"{format_yuan(lo)}-{format_yuan(hi)}"
        buckets.append((label, persons(lo, hi)))
    return Summary(t.policy, t.claims, t.refused, dict(t.totals), m,
                   {"p50": q(1, 2), "p90": q(9, 10), "p99": q(99, 100),
                    "max": int(cash[-1]) if m else 0}, buckets)


def _sum_by(key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Exact integer sums of values per key (bincount would go through floats)."""
    order = np.argsort(key, kind="stable")
    k, v = key[order], values[order]
    if k.shape[0] == 0:
        return np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    return np.add.reduceat(v, starts).astype(np.int64)


@door
def simulate(sim: Simulation, *,
             loaded: Callable[[int, str, list[str]], None] | None = None,
             progress: Callable[[int, int], None] | None = None) -> Simulated:
    """Replay the claims under each policy and write the report. loaded(claims, source,
    policy names) once the claims are read; progress(done, total) while settling. A claims
    dataset (a directory or glob, or any claims with a cluster) is settled file by file
    (below): then loaded and progress count files, not claims."""
    plans = scenarios(sim.proposals, current=sim.current)
    if not plans:
        raise GongjiError("VALIDATION_ERROR", fields="policy (nothing to compare: give a "
                                                     "proposal or keep the current policy)")
    if sim.claims is not None and (sim.cluster is not None or is_dataset(sim.claims)):
        files = dataset_files(sim.claims)
        if loaded is not None:
            loaded(len(files), str(sim.claims), [p.name for p in plans])
        count, tallies = settle_dataset(files, plans, cluster=sim.cluster,
                                                progress=progress)
        summaries = [finish(t) for t in tallies]
        return Simulated(count, str(sim.claims), summaries, write_report(summaries, sim.out))
    if sim.cluster is not None:
        raise GongjiError("VALIDATION_ERROR", fields="claims (a cluster settles a claims "
                                                     "dataset: write one with --synthetic-to)")
    replay = read_claims(sim.claims) if sim.claims is not None else synthetic(sim.population)
    if loaded is not None:
        loaded(len(replay), replay.source, [p.name for p in plans])
    total = len(replay) * len(plans)
    summaries = run(replay, plans,
                    progress=None if progress is None else lambda n: progress(n, total))
    return Simulated(len(replay), replay.source, summaries, write_report(summaries, sim.out))


def _total(fen: int) -> str:
    """A total over many claims in yuan: a national year's sums pass the 10^13 fen bound of one
    amount (money.MAX_FEN), and are written exactly all the same."""
    return format_yuan_unchecked(fen)


def write_report(summaries: Sequence[Summary], out: Path) -> list[Path]:
    """summary.csv, oop_distribution.csv, compare.svg, and per policy funds-{policy}.svg and
    oop-{policy}.svg in `out`; amounts in yuan."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    path = out / "summary.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["policy", "claims", "refused", *FIGURES, "persons", "oop_p50", "oop_p90",
                    "oop_p99", "oop_max"])
        for s in summaries:
            w.writerow([s.policy, s.claims, s.refused,
                        *(_total(s.totals[k]) for k in FIGURES), s.persons,
                        *(format_yuan(s.oop_quantiles[k]) for k in ("p50", "p90", "p99", "max"))])
    written.append(path)
    path = out / "oop_distribution.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["policy", "yearly_cash_yuan", "persons"])
        for s in summaries:
            for label, count in s.oop_buckets:
                w.writerow([s.policy, label, count])
    written.append(path)
    compare = [(f"{s.policy} {label}", s.totals[k]) for s in summaries
               for k, label in (("fund_pay_sumamt", "funds"), ("psn_part_amt", "burden"))]
    path = out / "compare.svg"
    path.write_text(bar_chart(compare, title="基金支出与个人负担 fund outlay and personal "
                                             "burden, per policy", value_text=_total),
                    encoding="utf-8")
    written.append(path)
    for s in summaries:
        funds = [(k, s.totals[k]) for k in ("hifp_pay", "hifmi_pay", "hifob_pay", "maf_pay",
                                             "acct_pay", "acct_mulaid_pay", "psn_cash_pay")]
        path = out / f"funds-{s.policy}.svg"
        path.write_text(bar_chart(funds, title=f"谁付了多少 who paid what: {s.policy}",
                                  value_text=_total), encoding="utf-8")
        written.append(path)
        path = out / f"oop-{s.policy}.svg"
        path.write_text(bar_chart(s.oop_buckets, title=f"个人年度现金支付 yearly out-of-pocket "
                                                       f"cash per person: {s.policy}"),
                        encoding="utf-8")
        written.append(path)
    return written


# -- claims datasets: file by file, here or on a Dask cluster -------------------------------

SUFFIXES = (".parquet", ".csv")
_SEED = 20261126
"""A fixed seed of polars' hash of psn_no: the same person gives the same hash in every task of a
run (polars promises this within one polars version: a cluster's workers share one)."""
_MERGE_EVERY = 64
"""Tallies held before they are merged into one (the driver's memory stays bounded)."""
_MED_TYPE = {"outpatient": "11", "inpatient": "21", "pharmacy": "41", "chronic": "14"}


@dataclass(frozen=True, slots=True)
class Part:
    """What one file's task answers: a tally per scenario, its persons' hashes (ascending,
    distinct), its claims count; or the refusal (error code and parameters) that stopped it."""

    path: str
    tallies: list[Tally]
    persons: np.ndarray
    claims: int = 0
    refusal: tuple[str, dict[str, Any]] | None = None


@door
def is_dataset(path: Path) -> bool:
    """A directory or a glob of claims files, rather than one file."""
    return path.is_dir() or any(c in str(path) for c in "*?[")


def dataset_files(path: Path) -> list[Path]:
    """The claims files of a dataset (a directory's *.parquet and *.csv, or a glob's matches),
    in name order; one file is a dataset of one."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
    elif is_dataset(path):
        files = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
    else:
        files = [path] if path.exists() else []
    if not files:
        raise _refuse(str(path), "no claims files (.parquet, .csv) found")
    odd = [p for p in files if p.suffix.lower() not in SUFFIXES or not p.is_file()]
    if odd:
        raise _refuse(str(odd[0]), "the file must end in .csv or .parquet")
    return files


def settle_file(path: str, plans: Sequence[Scenario]) -> Part:
    """One file of a dataset: read and checked as read_claims does, settled under every scenario.
    A refusal is answered, not raised (it crosses processes as plain values)."""
    try:
        frame = read_frame(Path(path))
        replay = _as_replay(frame, path)
    except GongjiError as e:
        return Part(path, [], np.zeros(0, np.uint64), 0, (e.code, dict(e.params)))
    persons = np.unique(_hashes(frame["psn_no"].unique()))
    return Part(path, [settle(replay, sc, resolved=_resolved(sc)) for sc in plans], persons,
                len(replay))


_RESOLVED: dict[int, tuple[Scenario, Resolved]] = {}
"""Per scenario (the very object: a worker holds the scattered scenarios for the whole run), its
benefits resolved so far in this process: each (region, day) is resolved once per worker, not
once per file."""


def _resolved(sc: Scenario) -> Resolved:
    held = _RESOLVED.get(id(sc))
    if held is None or held[0] is not sc:  # another run's scenario: start again
        if len(_RESOLVED) > 64:
            _RESOLVED.clear()
        held = _RESOLVED[id(sc)] = (sc, {})
    return held[1]


def _hashes(psn_no: pl.Series) -> np.ndarray:
    return psn_no.hash(_SEED).to_numpy().astype(np.uint64)


def settle_dataset(files: Sequence[Path], plans: Sequence[Scenario], *,
                   cluster: Cluster | None = None,
                   progress: Callable[[int, int], None] | None = None) -> tuple[int, list[Tally]]:
    """(claims, one tally per scenario) over every file: one after the other here, or as tasks
    on a Dask cluster. Refused whole on the first refusal met, or on a person in two files."""
    names = [str(f) for f in files]
    held: list[list[Tally]] = [[] for _ in plans]
    persons: list[np.ndarray] = []
    claims = 0

    def take(part: Part) -> None:
        nonlocal claims
        if part.refusal is not None:
            code, params = part.refusal
            if "path" in params:  # the file's name: a message shows a long path cut short
                params = {**params, "path": Path(params["path"]).name}
            raise GongjiError(code, **params)
        claims += part.claims
        persons.append(part.persons)
        for i, t in enumerate(part.tallies):
            held[i].append(t)
            if len(held[i]) >= _MERGE_EVERY:
                held[i] = [merge(held[i])]
        if progress is not None:
            progress(len(persons), len(names))

    if cluster is None:
        for f in names:
            take(settle_file(f, plans))
    else:
        _on_cluster(names, plans, cluster, take)
    _refuse_straddling(names, persons)
    return claims, [merge(h) for h in held]


def _on_cluster(files: Sequence[str], plans: Sequence[Scenario], cluster: Cluster,
                take: Callable[[Part], None]) -> None:
    """Each file one task; answers taken as they finish; the rest cancelled when one is
    refused. Only answers (a few tallies) come back: the claims stay in the workers."""
    # imported here only, and untyped to mypy (dask has no annotations for these calls)
    dd: Any = importlib.import_module("dask.distributed")
    config: Any = importlib.import_module("dask.config")
    # a worker holds nothing between tasks, so pausing one near its limit (Dask's default)
    # only waits forever; past the limit it is restarted and the file tried again elsewhere
    with _quiet(), config.set({"distributed.worker.memory.pause": False}):
        if cluster.address is not None:
            client = dd.Client(cluster.address)
            local = None
        else:
            local = dd.LocalCluster(n_workers=cluster.workers, threads_per_worker=1,
                                    processes=True, memory_limit=cluster.memory_limit,
                                    dashboard_address=":0", silence_logs=logging.ERROR)
            client = dd.Client(local)
    futures = []
    try:
        # the scenarios as a task's result, not scattered data: a worker restarted for its
        # memory loses scattered data for good, a task's result is computed again
        shared = client.submit(_given, list(plans), key="gongji-scenarios", pure=False)
        futures = [client.submit(settle_file, f, shared, key=f"gongji-settle-{i}-{f}",
                                 pure=False, retries=1) for i, f in enumerate(files)]
        for future in dd.as_completed(futures):
            try:
                part = future.result()
            except dd.KilledWorker:
                raise GongjiError("VALIDATION_ERROR", fields=(
                    "memory-limit (the workers settling a file ran out of memory: give them "
                    "more, or write the claims in more --parts)")) from None
            future.release()
            take(part)
    finally:
        with _quiet():
            client.cancel(futures)
            client.close()
            if local is not None:
                local.close()


def _given(value: Any) -> Any:
    return value


@contextmanager
def _quiet() -> Iterator[None]:
    """Dask's start-up and shut-down chatter kept off the user's screen (errors still show)."""
    loggers = [logging.getLogger(n) for n in ("distributed", "distributed.nanny",
                                               "distributed.scheduler", "distributed.worker")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, lv in zip(loggers, levels, strict=True):
            lg.setLevel(lv)


def _refuse_straddling(files: Sequence[str], persons: Sequence[np.ndarray]) -> None:
    """Refused if one person's claims are in two files (named, with both files). Holds the
    hashes twice at most (each file's, and all of them sorted)."""
    if len(persons) < 2:
        return
    keys = np.concatenate(persons)
    keys.sort()
    for key in np.unique(keys[1:][keys[1:] == keys[:-1]]):
        held = [i for i, p in enumerate(persons)
                if (j := int(np.searchsorted(p, key))) < p.shape[0] and p[j] == key]
        for a, b in itertools.combinations(held, 2):
            names = [set(_named(files[i], key)) for i in (a, b)]
            both = sorted(names[0] & names[1])
            if both:  # else two persons with one hash: no straddle
                raise _refuse(Path(files[b]).name,
                              f"psn_no {both[0]!r} also has claims in {files[a]}: a dataset's "
                              "files must each hold all claims of their persons (`gongji "
                              "simulate --partition-to`)")


def _named(path: str, key: np.uint64) -> list[str]:
    """The psn_no values in a file whose hash is `key`."""
    loaded = pl.read_parquet(path, columns=["psn_no"]) if path.lower().endswith(".parquet") \
        else pl.read_csv(path, columns=["psn_no"], infer_schema=False)
    psn = loaded["psn_no"].cast(pl.String).str.strip_chars().unique()
    return [str(v) for v, h in zip(psn.to_list(), _hashes(psn), strict=True) if h == key]


# -- writing datasets --------------------------------------------------------------------------

@door
def partition(source: Path, parts: int, out: Path,
              progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """A claims file (or a dataset: a directory or glob) split into `parts` Parquet files by a
    hash of psn_no, every person's claims in one file and in their order in the source. One
    streaming pass over the source per part (memory stays small); empty parts are left out."""
    if parts < 1:
        raise GongjiError("VALIDATION_ERROR", fields="parts")
    files = dataset_files(source)
    kinds = {f.suffix.lower() for f in files}
    if len(kinds) > 1:
        raise _refuse(str(source), "all .parquet or all .csv, not both")
    names = [str(f) for f in files]
    try:
        lf = pl.scan_parquet(names) if kinds == {".parquet"} \
            else pl.scan_csv(names, infer_schema=False)
        if "psn_no" not in lf.collect_schema().names():
            raise _refuse(str(source), "missing columns: psn_no")
    except (OSError, pl.exceptions.PolarsError) as e:
        raise _refuse(str(source), str(e).splitlines()[0][:200]) from None
    key = pl.col("psn_no").cast(pl.String).str.strip_chars().hash(_SEED) % parts
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(parts):
        path = out / f"part-{i:05d}.parquet"
        try:
            lf.filter(key == i).sink_parquet(path)
        except (OSError, pl.exceptions.PolarsError) as e:
            raise _refuse(str(source), str(e).splitlines()[0][:200]) from None
        if pl.scan_parquet(path).select(pl.len()).collect().item() == 0:
            path.unlink()
        else:
            written.append(path)
        if progress is not None:
            progress(i + 1, parts)
    return written


@door
def write_synthetic(pop: Population, parts: int, out: Path,
                    progress: Callable[[int, int], None] | None = None) -> tuple[int, list[Path]]:
    """(claims, files): a synthetic population drawn and written part by part as a claims
    dataset (Parquet, the claims file's columns, amounts as yuan text), never whole in memory.
    Part i is the population of persons/parts persons drawn from the seed (pop.seed, i); its
    persons are named S{seed}-{part}-{n}, so every person is in one file."""
    if parts < 1 or parts > pop.persons:
        raise GongjiError("VALIDATION_ERROR", fields="parts (1 to persons)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    claims = 0
    for i in range(parts):
        persons = pop.persons // parts + (i < pop.persons % parts)
        seed = int(np.random.SeedSequence((pop.seed, i)).generate_state(1, np.uint64)[0])
        replay = synthetic(replace(pop, persons=persons, seed=seed))
        path = out / f"part-{i:05d}.parquet"
        claims_frame(replay, f"S{pop.seed}-{i:05d}-").write_parquet(path)
        written.append(path)
        claims += len(replay)
        if progress is not None:
            progress(i + 1, parts)
    return claims, written


def claims_frame(replay: Replay, prefix: str = "P") -> pl.DataFrame:
    """A replay as a claims file's columns (text; amounts and balances as yuan): reading it back
    gives the same claims, settled the same."""
    c = replay.claims

    def label(values: Sequence[object], index: np.ndarray) -> pl.Series:
        return pl.Series(index).replace_strict(dict(enumerate(values)), return_dtype=pl.String)

    def flag(a: np.ndarray | None) -> pl.Series:
        return pl.Series(np.zeros(len(c), np.int8) if a is None else a.astype(np.int8)) \
            .cast(pl.String)

    def yuan(fen: np.ndarray) -> pl.Series:
        s = pl.Series(fen)
        return (s // 100).cast(pl.String) + "." + (s % 100).cast(pl.String).str.zfill(2)

    med = label([_MED_TYPE[t] for t in CARE_TYPES], c.care)
    if c.emergency is not None:
        med = pl.Series(np.where(c.emergency, "13", med.to_numpy()))
    return pl.DataFrame({
        "psn_no": prefix + pl.Series(c.person).cast(pl.String).str.zfill(9),
        "insutype": label(batch.INSUTYPES, c.insutype),
        "psn_type": label(c.psn_types, c.psn_type),
        "insuplc_admdvs": label(replay.regions, replay.region),
        "setl_date": label([d.isoformat() for d in replay.days], replay.day),
        "med_type": med,
        "hosp_lv": pl.Series(c.level).cast(pl.String),
        "medfee_sumamt": yuan(c.medfee_sumamt),
        "fulamt_ownpay_amt": yuan(c.fulamt_ownpay_amt),
        "overlmt_selfpay": yuan(c.overlmt_selfpay),
        "preselfpay_amt": yuan(c.preselfpay_amt),
        "out_of_area": flag(c.out_of_area),
        "cross_province": flag(c.cross_province),
        "filing_kind": label([k or "" for k in batch.FILINGS], c.filing),
        "acct_used_flag": flag(c.acct_used),
        "assistance": flag(c.assistance),
        "low_income": flag(c.low_income),
        "acct_balc": yuan(c.own_balance[c.person]),
        "mulaid_balc": yuan(c.mulaid_balance[c.person]),
    })

