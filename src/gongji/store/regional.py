"""The data kept by insured region: which tables split by which column, and the PostgreSQL
DDL that partitions them by region on one machine.

The partition key of each table here is the distribution column it would have on a
distributed PostgreSQL-compatible engine (docs/SCALING.md); the keys are the same, so what
PostgreSQL's partition pruning shows on one machine is what shard routing does on many. A
table's primary key has the region column in front (since migration 0015 for the ledger), as
both partitioning and sharding require; a posting has the region of its entry, so an entry
and its postings always live together and the zero-sum check of an entry never leaves one
shard. An audit record's region is its chain's name up to the stripe ("510100.3" is a stripe
of 510100's chain), a balance stripe's that of its account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gongji.ledger.audit import NATIONAL_CHAIN


@dataclass(frozen=True, slots=True)
class Regional:
    table: str
    region: str
    """The column that names the region (every table here has it since migration 0016)."""
    key: tuple[str, ...]
    """The table's own primary key; the region column goes in front of it."""


REGIONAL: tuple[Regional, ...] = (
    Regional("accounts", "admdvs", ("id",)),
    Regional("entries", "admdvs", ("id",)),
    Regional("postings", "admdvs", ("entry_id", "idx")),
    Regional("account_stripes", "admdvs", ("account_id", "stripe")),
    Regional("audit_log", "admdvs", ("chain", "seq")),
    Regional("visits", "insuplc_admdvs", ("mdtrt_id",)),
    Regional("settlements", "insuplc_admdvs", ("setl_id",)),
)
"""The ledger and the settlement records. Person data (persons, enrollments, wallets, ...)
follows the same pattern keyed by the person's insured region (docs/SCALING.md)."""

_CODE = re.compile(r"^\d{6}$")


def partition_ddl(regions: list[str], *, schema: str = "regional") -> list[str]:
    """CREATE statements for `schema`.<table> partitioned by LIST of region, one partition
    per region, the national chain's own, and a default for rows with no region (system
    accounts of the national level)."""
    for r in regions:
        if not _CODE.match(r):
            raise ValueError(f"not a six-digit admdvs: {r!r}")
    _check_schema(schema)
    out = [f"CREATE SCHEMA {schema}"]
    for t in REGIONAL:
        out.append(f"CREATE TABLE {schema}.{t.table} (LIKE public.{t.table} INCLUDING DEFAULTS)"
                   f" PARTITION BY LIST ({t.region})")
        out.append(f"ALTER TABLE {schema}.{t.table} ADD PRIMARY KEY "
                   f"({', '.join((t.region, *t.key))})")
        values = [*regions, NATIONAL_CHAIN] if t.table == "audit_log" else regions
        for r in values:
            out.append(f"CREATE TABLE {schema}.{t.table}_{r} PARTITION OF {schema}.{t.table} "
                       f"FOR VALUES IN ('{r}')")
        out.append(f"CREATE TABLE {schema}.{t.table}_other PARTITION OF {schema}.{t.table} "
                   "DEFAULT")
    return out


def copy_sql(*, schema: str = "regional") -> list[str]:
    """INSERT ... SELECT statements that fill the partitioned tables from public ones (how a
    single-node database is split by region; on a distributed engine the same rows go to
    the shards their region names)."""
    _check_schema(schema)
    out = []
    for t in REGIONAL:  # names from the table above and a checked schema: nothing typed in
        out.append(f"INSERT INTO {schema}.{t.table} SELECT * FROM public.{t.table}")  # noqa: S608
    return out


def _check_schema(schema: str) -> None:
    if not re.fullmatch(r"[a-z_]+", schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
