"""The pure settlement engine: fee lines per second on one core, no database."""

from __future__ import annotations

import random
import time
from datetime import date
from decimal import Decimal
from typing import Any

from gongji.domain.policy import resolve
from gongji.domain.settlement import Accumulators, FeeLine, PersonFacts, Source, Visit, settle
from gongji.services.catalog.service import demo_rows, to_item
from gongji.services.policy.service import shipped_documents


def engine_rate(settlements: int = 20_000, *, seed: int = 7) -> dict[str, Any]:
    """Settle `settlements` visits of 3-5 lines from the demo catalog under the national
    default benefits (random care types, levels, out-of-area kinds; fixed seed)."""
    rnd = random.Random(seed)
    items = [to_item(r, begndate=date(2024, 1, 1)) for _, r in demo_rows()]
    catalog = {i.med_list_codg: i for i in items}
    benefits = resolve(shipped_documents(), "510100", date(2026, 11, 24)).benefits
    work = []
    for _ in range(settlements):
        lines = []
        for n in range(rnd.randint(3, 5)):
            item = rnd.choice(items)
            cnt = Decimal(rnd.randint(1, 4))
            pric = Decimal(rnd.randint(100, 30000)) / 100
            lines.append(FeeLine(str(n), item.med_list_codg, cnt, pric, int(cnt * pric * 100)))
        person = PersonFacts(rnd.choice(["310", "390"]), rnd.choice(["1101", "1201", "1501"]))
        visit = Visit(rnd.choice(["outpatient", "inpatient", "pharmacy"]),
                      rnd.choice(["0", "1", "2", "3"]), date(2026, 11, 24), rnd.random() < 0.2,
                      rnd.choice([None, "referral", "long_term_resident"]))
        acc = Accumulators(year={"ded:employee_outpatient": rnd.randint(0, 100000)})
        work.append((lines, visit, person, acc, [Source("own", None, rnd.randint(0, 10**6))]))
    n_lines = sum(len(w[0]) for w in work)
    start = time.perf_counter()
    for lines, visit, person, acc, sources in work:
        settle(lines, catalog, visit, person, benefits, acc, sources)
    elapsed = time.perf_counter() - start
    return {"settlements": len(work), "fee_lines": n_lines, "seconds": round(elapsed, 3),
            "fee_lines_per_second": round(n_lines / elapsed),
            "settlements_per_second": round(len(work) / elapsed)}
