"""The benchmark's measuring: percentiles, and the closed loop's counting."""

from __future__ import annotations

import itertools
import time

import pytest

from gongji.benchmark.figures import closed_loop, percentile


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_the_closed_loop_counts_operations_errors_and_clients_that_run_out() -> None:
    calls = itertools.count()

    def make(i: int):  # type: ignore[no-untyped-def]
        left = iter(range(5 if i == 0 else 10**9))

        def op() -> None:
            next(left)  # client 0 runs out after five
            time.sleep(0.001)
            if next(calls) % 7 == 3:
                raise ValueError("refused")

        return op

    f = closed_loop("test", "none", 3, 0.2, make, warmup=0.0, max_operations=300)
    assert f.clients == 3 and f.operations + f.errors <= 300 + 3
    assert f.operations > 0 and f.errors > 0
    assert f.per_second == pytest.approx(f.operations / f.seconds, rel=0.02)
    assert f.p50_ms <= f.p95_ms <= f.p99_ms
