"""Benchmark: the batch settlement engine (domain/batch.py), claims per second.

    python bench/simulate.py [--claims 10000000] [--runs 3] [--seed 3]

Draws a synthetic population (services/simulate.synthetic: about --claims claims, 5 per person
on average, three regions, the shipped policies), resolves the policy of each claim, then times
`settle_batch` alone, --runs times in the same process (the first run includes the first touch
of the memory). Prints one JSON line per run and a summary line with the median.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

from gongji.domain import batch
from gongji.services.simulate import service as simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    pop = simulate.Population(persons=max(1, args.claims // 5), seed=args.seed)
    start = time.perf_counter()
    replay = simulate.synthetic(pop)
    drawn = time.perf_counter() - start
    policy, table = simulate.benefits_for(replay, simulate.scenarios([])[0])
    claims = batch.Claims(**{**replay.claims.__dict__, "policy": policy})
    rates = []
    for run in range(args.runs):
        start = time.perf_counter()
        out = batch.settle_batch(claims, table)
        seconds = time.perf_counter() - start
        rates.append(len(claims) / seconds)
        print(json.dumps({"benchmark": "batch_engine", "run": run + 1, "claims": len(claims),
                          "steps": out.steps, "seconds": round(seconds, 3),
                          "claims_per_second": round(rates[-1])}))
    print(json.dumps({
        "benchmark": "batch_engine", "summary": True, "claims": len(claims),
        "population_seconds": round(drawn, 3), "runs": args.runs,
        "median_claims_per_second": round(statistics.median(rates)),
        "min_claims_per_second": round(min(rates)),
        "machine": f"{_cpu()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"numpy {np.__version__}", "load_average": os.getloadavg()}))


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


if __name__ == "__main__":
    main()
