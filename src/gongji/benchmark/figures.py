"""Closed-loop load: N clients, each doing one operation after another for a fixed time, and
what came out of it (operations per second, latency percentiles)."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping
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


Run = Callable[[float, float], None]
"""A client's loop, given the measured window (start, end) in perf_counter seconds."""


def _together(name: str, clients: int, seconds: float, warmup: float,
              prepare: Callable[[int], Run]) -> float:
    """Start `clients` threads; each prepares its loop with prepare(i) before a common start
    line, then runs it; returns the measured window's length. A client that cannot prepare
    breaks the start line, so none waits for it."""
    start_line = threading.Barrier(clients + 1)
    window: list[float] = []

    def client(i: int) -> None:
        try:
            run = prepare(i)
        except BaseException:
            start_line.abort()
            raise
        try:
            start_line.wait()
        except threading.BrokenBarrierError:
            return
        run(window[0], window[1])

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    now = time.perf_counter()
    window[:] = [now + warmup, now + warmup + seconds]
    try:
        start_line.wait()
    except threading.BrokenBarrierError:
        for t in threads:
            t.join()
        raise RuntimeError(f"{name}: a client could not start (see its traceback)") from None
    for t in threads:
        t.join()
    return max(min(time.perf_counter(), window[1]) - window[0], 1e-9)


def closed_loop(name: str, database: str, clients: int, seconds: float,
                make_client: Callable[[int], Operation], *, warmup: float = 0.5,
                persons: int | None = None, max_operations: int | None = None) -> Figures:
    """Run `clients` threads, each calling its operation until `seconds` have passed (after a
    short warm-up that is not counted). A client whose operation raises counts an error and
    goes on; one that raises StopIteration has run out of work and stops."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    per_client = None if max_operations is None else max(1, max_operations // clients)

    def prepare(i: int) -> Run:
        op = make_client(i)
        mine = latencies[i]

        def run(start: float, end: float) -> None:
            while True:
                t0 = time.perf_counter()
                if t0 >= end or (per_client is not None and len(mine) >= per_client):
                    return
                try:
                    op()
                except StopIteration:
                    return
                except Exception:
                    errors[i] += 1
                    continue
                t1 = time.perf_counter()
                if t0 >= start:
                    mine.append(t1 - t0)

        return run

    elapsed = _together(name, clients, seconds, warmup, prepare)
    every = sorted(x for xs in latencies for x in xs)
    return Figures(name, database, clients, len(every), round(elapsed, 4),
                   round(len(every) / elapsed, 1), round(percentile(every, 50) * 1000, 2),
                   round(percentile(every, 95) * 1000, 2), round(percentile(every, 99) * 1000, 2),
                   sum(errors), persons)


class Refused(RuntimeError):
    """An answer other than success, with the error code it carried (the mixed load lists the
    first few distinct codes of each operation)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


ERROR_CODES_KEPT = 5


@dataclass(frozen=True, slots=True)
class KindFigures:
    """One operation kind of a mixed load."""

    name: str
    share: int
    """Its weight in the random choice, in percent."""
    operations: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    error_codes: tuple[str, ...] = ()
    """The first few distinct codes, in the order they came."""


@dataclass(frozen=True, slots=True)
class Mixed:
    """A mixed load: each client picks its next operation at random by weight."""

    database: str
    clients: int
    seconds: float
    kinds: tuple[KindFigures, ...]
    persons: int | None = None
    workers: int | None = None
    peak_rss_mb_per_worker: float | None = None
    server_cpu_ms_per_op: float | None = None
    """CPU time of the server's processes per operation (all kinds together)."""
    client_cpu_ms_per_op: float | None = None
    """CPU time of the load's own client threads (HTTP, signing, JSON) per operation."""
    machine_busy: float | None = None
    """How busy all the machine's cores were, 0-1 (server, client and database)."""

    @property
    def operations(self) -> int:
        return sum(k.operations for k in self.kinds)

    @property
    def per_second(self) -> float:
        return round(self.operations / self.seconds, 1) if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(k.errors for k in self.kinds)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kinds": [{**asdict(k), "error_codes": list(k.error_codes)}
                                          for k in self.kinds],
                "operations": self.operations, "per_second": self.per_second,
                "errors": self.errors}


def mixed_loop(database: str, clients: int, seconds: float,
               make_client: Callable[[int], Mapping[str, Operation]],
               shares: Mapping[str, int], *, seed: int = 16, warmup: float = 0.5,
               persons: int | None = None) -> Mixed:
    """closed_loop with a mix: client i gets one operation per kind from make_client(i) and
    picks the next at random by `shares` (its own generator, seeded, so a run repeats the same
    sequence of choices). Every failure counts, warm-up included, by its code
    (Refused.code, else the exception's class)."""
    names = list(shares)
    weights = [shares[n] for n in names]
    latencies: dict[str, list[float]] = {n: [] for n in names}
    errors = dict.fromkeys(names, 0)
    codes: dict[str, list[str]] = {n: [] for n in names}
    lock = threading.Lock()

    def prepare(i: int) -> Run:
        ops = make_client(i)
        rnd = random.Random(seed * 1_000 + i)
        mine: dict[str, list[float]] = {n: [] for n in names}

        def run(start: float, end: float) -> None:
            try:
                while True:
                    name = rnd.choices(names, weights)[0]
                    t0 = time.perf_counter()
                    if t0 >= end:
                        return
                    try:
                        ops[name]()
                    except Exception as e:  # counted, by its code
                        code = getattr(e, "code", None) or type(e).__name__
                        with lock:
                            errors[name] += 1
                            if code not in codes[name] and len(codes[name]) < ERROR_CODES_KEPT:
                                codes[name].append(str(code))
                        continue
                    if t0 >= start:
                        mine[name].append(time.perf_counter() - t0)
            finally:
                with lock:
                    for n in names:
                        latencies[n] += mine[n]

        return run

    elapsed = _together("mixed load", clients, seconds, warmup, prepare)
    total = sum(weights) or 1
    kinds = []
    for n, w in zip(names, weights, strict=True):
        every = sorted(latencies[n])
        kinds.append(KindFigures(
            n, round(100 * w / total), len(every), round(len(every) / elapsed, 1),
            round(percentile(every, 50) * 1000, 2), round(percentile(every, 95) * 1000, 2),
            round(percentile(every, 99) * 1000, 2), errors[n], tuple(codes[n])))
    return Mixed(database, clients, round(elapsed, 4), tuple(kinds), persons)
