"""Data kept by insured region, shown on one machine: PostgreSQL partitions the ledger and the
settlement records by region (the distribution column they would have on a distributed
engine), queries for one region touch one partition, an entry never leaves its partition,
and a cross-region settlement cuts cleanly along the clearing accounts (docs/SCALING.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from gongji.services.clearing import service as clearing
from gongji.services.runtime import Gongji
from gongji.store.db import Database
from gongji.store.regional import REGIONAL, copy_sql, partition_ddl
from gongji.testing.postgres import TempPostgres
from tests.clinic import CLINIC, HENAN_HOSPITAL, HOSPITAL, S_A, Clinic, open_clinic
from tests.conftest import OPERATOR, TEMPLATE
from tests.family import make_family

REGIONS = ["510100", "411300", "440100"]


@pytest.fixture
def pg_app(pg: TempPostgres, clock: object) -> Iterator[Gongji]:
    name = "r_" + uuid.uuid4().hex[:16]
    db = Database(pg.create_database(name, template=TEMPLATE))
    yield Gongji(db, clock)  # type: ignore[arg-type]
    db.dispose()
    pg.drop_database(name)


def settle(c: Clinic, name: str, at: str, yuan: str) -> str:
    v = c.visit(name, at=at, med_type="11")
    c.fees(v, (S_A, "1", yuan))
    return c.settle(v, name).setl_id or ""


def test_the_ledger_and_settlements_split_by_insured_region(pg_app: Gongji) -> None:
    c = open_clinic(make_family(pg_app))
    c.file_away("李秀英", "510000")
    c.file_away("张伟", "410000")
    henan_in_chengdu = settle(c, "李秀英", HOSPITAL, "1000")    # insured 411300, care 510100
    chengdu_in_henan = settle(c, "张伟", HENAN_HOSPITAL, "300")  # insured 510100, care 411300
    settle(c, "张伟", CLINIC, "50")                               # in area
    settle(c, "王芳", CLINIC, "80")

    with pg_app.db.begin() as conn:
        for sql in partition_ddl(REGIONS) + copy_sql():
            conn.execute(text(sql))

    with pg_app.db.read() as conn:
        def one(sql: str, **kw: object) -> object:
            return conn.execute(text(sql), kw).scalar_one()

        def rows(sql: str, **kw: object) -> list[tuple[object, ...]]:
            return [tuple(r) for r in conn.execute(text(sql), kw)]

        # every row is copied, and each region's partition holds that region only
        for t in REGIONAL:
            assert one(f"SELECT COUNT(*) FROM regional.{t.table}") == \
                one(f"SELECT COUNT(*) FROM public.{t.table}"), t.table
            for r in REGIONS:
                held = {x[0] for x in rows(f"SELECT DISTINCT {t.region} "
                                           f"FROM regional.{t.table}_{r}")}
                assert held <= {r}, (t.table, r, held)
        assert one("SELECT COUNT(*) FROM regional.settlements_411300") == 1
        assert one("SELECT COUNT(*) FROM regional.settlements_510100") == 3

        # an entry and its postings share a partition, so each entry sums to zero inside it
        for r in REGIONS:
            assert rows(f"""SELECT p.entry_id FROM regional.postings_{r} p
                            LEFT JOIN regional.entries_{r} e ON e.id = p.entry_id
                            WHERE e.id IS NULL""") == []
            assert rows(f"""SELECT entry_id FROM regional.postings_{r}
                            GROUP BY entry_id HAVING SUM(amount) <> 0""") == []

        # a cross-region settlement touches accounts of two regions, and its postings in
        # each region sum to zero on their own (the cut runs through the CLEARING accounts):
        # the insured region's half and the care region's half can be two local entries
        for setl_id, regions in ((henan_in_chengdu, {"411300", "510100"}),
                                 (chengdu_in_henan, {"510100", "411300"})):
            halves = dict(rows("""
                SELECT a.admdvs, SUM(p.amount) FROM regional.settlements s
                JOIN regional.postings p ON p.entry_id = s.entry_id
                JOIN regional.accounts a ON a.id = p.account_id
                WHERE s.setl_id = :s GROUP BY a.admdvs""", s=setl_id))
            assert set(halves) == regions and set(halves.values()) == {0}, halves
            kinds = {x[0] for x in rows("""
                SELECT a.kind FROM regional.settlements s
                JOIN regional.postings p ON p.entry_id = s.entry_id
                JOIN regional.accounts a ON a.id = p.account_id
                WHERE s.setl_id = :s AND a.admdvs = s.mdtrtarea_admvs""", s=setl_id)}
            assert kinds <= {"INSTITUTION", "CASH", "CLEARING"}, kinds
            assert "CLEARING" in kinds

        # a query for one insured region reads one partition (pruning = shard routing)
        plan = "\n".join(str(x[0]) for x in rows(
            "EXPLAIN SELECT * FROM regional.settlements WHERE insuplc_admdvs = '411300' "
            "AND psn_no = 'P0'"))
        assert "settlements_411300" in plan and "settlements_510100" not in plan, plan

        # the clearing statement is the one query that reads across regions; over the
        # partitioned table it gives the service's figures
        across = rows("""
            SELECT insuplc_admdvs, mdtrtarea_admvs, COUNT(*), SUM(clearing_amt)
            FROM regional.settlements
            WHERE status = 'settled' AND insuplc_admdvs <> mdtrtarea_admvs
            GROUP BY insuplc_admdvs, mdtrtarea_admvs ORDER BY 1, 2""")
    statement = clearing.statement(pg_app, OPERATOR, "2026-11")
    assert across == [(x.insuplc_admdvs, x.mdtrtarea_admvs, x.count, x.clearing_amt)
                      for x in statement]
    assert len(across) == 2


def test_region_codes_are_checked_before_any_ddl() -> None:
    with pytest.raises(ValueError, match="six-digit"):
        partition_ddl(["5101'; DROP TABLE accounts; --"])
    with pytest.raises(ValueError, match="schema"):
        partition_ddl(REGIONS, schema="x; DROP")
