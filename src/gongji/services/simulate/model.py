"""What a simulation takes and gives: the claims file's columns, a replay (claims ready for
the batch engine), a synthetic population, a policy scenario, each policy's summary, and what
`gongji simulate` asks and answers. Amounts are fen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from gongji.domain import batch
from gongji.domain.policy import PolicyDocument

PSN_TYPES = ("1101", "1201", "1401", "1402", "1403", "1404", "1405", "1501")
"""Person types by scheme (docs/RULES.md): employees 1101 in service, 1201 retired; residents."""

CLAIM_COLUMNS: dict[str, str] = {
    "psn_no": "the person (any opaque id; never an ID number)",
    "insutype": "310 employee or 390 resident",
    "psn_type": "1101, 1201 (retired), 1401-1405, 1501",
    "insuplc_admdvs": "the insured region (6 digits): whose benefits apply",
    "setl_date": "the settlement day, YYYY-MM-DD (policy version and accumulator year)",
    "med_type": "11, 13 outpatient; 14 chronic/special; 21, 25, 28 inpatient; 41 pharmacy",
    "hosp_lv": "the institution's level: 0 pharmacy or unrated, 1, 2, 3",
    "medfee_sumamt": "the visit's total, yuan with two decimals",
    "fulamt_ownpay_amt": "fully self-paid part (丙类, not listed, limited use), yuan",
    "overlmt_selfpay": "the part above price caps, yuan",
    "preselfpay_amt": "乙类 first self-pay part, yuan",
}
OPTIONAL_COLUMNS: dict[str, str] = {
    "out_of_area": "1 when the care region is not the insured region (default 0)",
    "cross_province": "1 when the care region is in another province (needs out_of_area 1; "
                      "default 0)",
    "filing_kind": "the out-of-area filing: retiree_settled, long_term_resident, posted_staff, "
                   "referral, emergency, other_temporary, or empty (default empty)",
    "acct_used_flag": "0: the person pays cash only (default 1)",
    "assistance": "1: eligible for medical assistance (default 0)",
    "low_income": "1: low-income plus points (default 0)",
    "acct_balc": "own personal account balance before the person's first claim, yuan "
                 "(read from the person's first row; default 0.00)",
    "mulaid_balc": "family money (sponsors' accounts, wallet quota) before the first claim, "
                   "yuan (first row; default 0.00)",
}

YEAR_LIMIT = 10**12
"""At most 10 billion yuan of claims per person and year: far above any real year, and far
enough below 2**63 / 10^4 that the batch engine's integer arithmetic cannot overflow."""

OOP_BUCKETS = (0, 100_00, 500_00, 1000_00, 5000_00, 20000_00)
"""Yearly out-of-pocket cash per person, bucket lower bounds in fen (yuan: 0, 100, 500, 1,000,
5,000, 20,000)."""

FIGURES = ("medfee_sumamt", "hifp_pay", "hifmi_pay", "hifob_pay", "maf_pay", "fund_pay_sumamt",
           "psn_part_amt", "acct_pay", "acct_mulaid_pay", "psn_cash_pay")
"""What a summary totals, per policy (the report's columns, in this order)."""


@dataclass(frozen=True, slots=True)
class Replay:
    """Claims ready for the batch engine, with what a policy needs to be resolved for each."""

    claims: batch.Claims
    region: np.ndarray
    """Per claim: index into `regions`."""
    day: np.ndarray
    """Per claim: index into `days`."""
    regions: tuple[str, ...]
    days: tuple[date, ...]
    source: str = ""

    def __len__(self) -> int:
        return len(self.claims)


@dataclass(frozen=True, slots=True)
class Population:
    """A synthetic population: who is insured where, and how often they need care."""

    persons: int = 10_000
    seed: int = 1
    claims_per_person: float = 5.0
    """Mean claims per person in the year (1 + Poisson)."""
    employee_share: float = 0.45
    retiree_share: float = 0.25
    """Of employees."""
    regions: tuple[str, ...] = ("510100", "371500", "411300")
    visit_mix: tuple[float, float, float, float] = (0.45, 0.08, 0.35, 0.12)
    """Weights of outpatient, inpatient, pharmacy, chronic (benefits.CARE_TYPES order)."""
    out_of_area_share: float = 0.08
    day: date = date(2026, 6, 30)
    """Every synthetic claim settles on this day (the policy version in force then)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    documents: tuple[PolicyDocument, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    policy: str
    claims: int
    refused: int
    totals: dict[str, int]
    """Fen, over all claims (refused ones: all cash)."""
    persons: int
    oop_quantiles: dict[str, int]
    """p50, p90, p99, max of each person's yearly cash, fen."""
    oop_buckets: list[tuple[str, int]] = field(default_factory=list)
    """(bucket label, persons)."""


@dataclass(frozen=True, slots=True)
class Tally:
    """What a summary is made of, for one policy over some of the claims: counts, fen totals and
    each person-year's yearly cash as distinct amounts with how many person-years have each.
    Tallies of disjoint sets of person-years merge exactly (service.merge) into the tally of
    their union, so a summary over many files is the summary over their claims together."""

    policy: str
    claims: int
    refused: int
    totals: dict[str, int]
    """Fen, per FIGURES."""
    cash: np.ndarray
    """Distinct yearly cash amounts of the person-years, fen, ascending (int64)."""
    count: np.ndarray
    """Person-years with each amount in `cash` (int64)."""


@dataclass(frozen=True, slots=True)
class Cluster:
    """Where a claims dataset is settled: a running Dask scheduler, or a local cluster."""

    address: str | None = None
    """A running scheduler (tcp://host:8786); None: a local cluster of `workers`."""
    workers: int = 2
    """Worker processes of the local cluster (one thread each)."""
    memory_limit: str = "auto"
    """Per worker of the local cluster (Dask's form: "2GB", "300MB", "auto")."""


@dataclass(frozen=True, slots=True)
class Simulation:
    """What `gongji simulate` asks: a claims file or a synthetic population, the proposals."""

    proposals: tuple[Path, ...] = ()
    current: bool = True
    claims: Path | None = None
    """Replay this file (CSV, Parquet) instead of the population, or this claims dataset (a
    directory or glob of Parquet files, each holding all claims of its persons)."""
    population: Population = Population()
    out: Path = Path("simulate-out")
    cluster: Cluster | None = None
    """Settle the dataset's files on this Dask cluster (None: one after the other, here)."""


@dataclass(frozen=True, slots=True)
class Simulated:
    claims: int
    source: str
    summaries: list[Summary]
    written: list[Path]
