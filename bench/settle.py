"""Benchmark: pharmacy settlements through the service layer, on SQLite and PostgreSQL.

    python bench/settle.py [--count 300] [--db sqlite|postgresql|both]

Each purchase is three units of work as an HIS makes them: open the visit with the person's
ID number, upload 3-5 drug lines with trace codes, settle (one ledger entry). One client,
durable settings (SQLite synchronous=FULL; a throwaway PostgreSQL cluster with fsync on).
Prints one JSON line per database.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from gongji.domain.certno import make_certno
from gongji.domain.clock import FixedClock, shanghai
from gongji.services import catalog, enrollment, institutions
from gongji.services import settlement as svc
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import Principal
from gongji.store import migrate
from gongji.store.db import Database
from gongji.testing.postgres import TempPostgres

OP = Principal("operator", "bench", "admin")
PHARMACY = "P51010000001"


def run(url: str, count: int, label: str) -> dict[str, object]:
    db = Database(url)
    migrate.upgrade(db)
    app = Gongji(db, FixedClock(shanghai(2026, 11, 24, 10)))
    institutions.register(app, OP, "inst", institutions.RegisterInstitution(
        PHARMACY, "药房", "0", "510100"))
    catalog.import_rows(app, OP, "000000", catalog.demo_rows(), begndate=date(2024, 1, 1),
                        version="bench")
    drugs = [i for _, r in catalog.demo_rows() if (i := catalog.to_item(
        r, begndate=date(2024, 1, 1))).is_drug and i.chrgitm_lv != "03"]
    certno = make_certno("510104", date(1990, 3, 7), 123)
    p = enrollment.register(app, OP, "p", enrollment.RegisterPerson(certno, "张伟")).value
    enrollment.enroll(app, OP, "e", enrollment.Enroll(p.psn_no, "310", "1101", "510100",
                                                      date(2020, 1, 1)))
    enrollment.credit(app, OP, "c", enrollment.Credit(p.psn_no, 10**10))
    rnd, serial = random.Random(3), 0
    who = Principal("institution", PHARMACY)
    cred = svc.Credential("02", certno)
    latencies = []
    start = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        v = svc.open_visit(app, who, f"v{n}", svc.OpenVisit(cred, "310", "41")).value
        lines = []
        for i in range(rnd.randint(3, 5)):
            item = rnd.choice(drugs)
            cnt = rnd.randint(1, 2)
            pric = Decimal(rnd.randint(100, 5000)) / 100
            codes = []
            for _ in range(cnt):
                serial += 1
                codes.append(f"8{serial:019d}")
            lines.append(svc.FeeIn(str(i), item.med_list_codg, str(cnt), str(pric),
                                   int(cnt * pric * 100), trace_codes=tuple(codes)))
        svc.upload_fees(app, who, f"f{n}", v.mdtrt_id, tuple(lines))
        svc.settle(app, who, f"s{n}", v.mdtrt_id, svc.SettleAsk(credential=cred))
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    latencies.sort()
    db.dispose()
    return {"benchmark": "settle", "database": label, "purchases": count,
            "seconds": round(elapsed, 3), "purchases_per_second": round(count / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as d:
            print(json.dumps(run(f"sqlite:///{Path(d) / 'bench.db'}", args.count, "sqlite")))
    if args.db in ("postgresql", "both"):
        with TempPostgres(durable=True) as pg:
            print(json.dumps(run(pg.create_database("bench"), args.count, "postgresql")))


if __name__ == "__main__":
    main()
