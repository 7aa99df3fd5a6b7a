"""Claims datasets: many Parquet (or CSV) files, each holding all claims of its persons, settled
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

import glob
import importlib
import itertools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from gongji.domain import batch
from gongji.domain.benefits import CARE_TYPES
from gongji.domain.errors import GongjiError
from gongji.services.simulate.model import Cluster, Population, Replay, Scenario, Tally
from gongji.services.simulate.service import (
    Resolved,
    _as_replay,
    _refuse,
    merge,
    read_frame,
    settle,
    synthetic,
)

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

