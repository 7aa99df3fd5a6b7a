"""Closed-loop load: N clients, each doing one operation after another for a fixed time, and
what came out of it (operations per second, latency percentiles)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

Operation = Callable[[], object]
"""One operation, done synchronously by one client."""


@dataclass(frozen=True, slots=True)
class Figures:
    name: str
    database: str
    clients: int
    operations: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int = 0
    persons: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(p / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def closed_loop(name: str, database: str, clients: int, seconds: float,
                make_client: Callable[[int], Operation], *, warmup: float = 0.5,
                persons: int | None = None, max_operations: int | None = None) -> Figures:
    """Run `clients` threads, each calling its operation until `seconds` have passed (after a
    short warm-up that is not counted). A client whose operation raises counts an error and
    goes on; one that raises StopIteration has run out of work and stops."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start_line = threading.Barrier(clients + 1)
    window: dict[str, float] = {}
    per_client = None if max_operations is None else max(1, max_operations // clients)

    def client(i: int) -> None:
        try:
            op = make_client(i)
        except BaseException:
            start_line.abort()  # the others must not wait for a client that cannot start
            raise
        try:
            start_line.wait()
        except threading.BrokenBarrierError:
            return
        mine = latencies[i]
        while True:
            t0 = time.perf_counter()
            if t0 >= window["end"] or (per_client is not None and len(mine) >= per_client):
                return
            try:
                op()
            except StopIteration:
                return
            except Exception:
                errors[i] += 1
                continue
            t1 = time.perf_counter()
            if t0 >= window["start"]:
                mine.append(t1 - t0)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    now = time.perf_counter()
    window["start"] = now + warmup
    window["end"] = now + warmup + seconds
    try:
        start_line.wait()
    except threading.BrokenBarrierError:
        for t in threads:
            t.join()
        raise RuntimeError(f"{name}: a client could not start (see its traceback)") from None
    for t in threads:
        t.join()
    finished = min(time.perf_counter(), window["end"])
    elapsed = max(finished - window["start"], 1e-9)
    every = sorted(x for xs in latencies for x in xs)
    return Figures(name, database, clients, len(every), round(elapsed, 4),
                   round(len(every) / elapsed, 1), round(percentile(every, 50) * 1000, 2),
                   round(percentile(every, 95) * 1000, 2), round(percentile(every, 99) * 1000, 2),
                   sum(errors), persons)
