"""The benchmark's measuring: percentiles, the closed loop's counting and the mixed load's."""

from __future__ import annotations

import itertools
import time

import pytest

from gongji.benchmark.figures import Refused, closed_loop, mixed_loop, percentile


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


def test_the_mixed_loop_counts_each_kind_and_names_its_error_codes() -> None:
    calls = itertools.count()

    def make(i: int):  # type: ignore[no-untyped-def]
        def read() -> None:
            time.sleep(0.001)

        def write() -> None:
            time.sleep(0.001)
            n = next(calls)
            if n % 5 == 1:
                raise Refused("LIMIT_REACHED", "business")
            if n % 5 == 3:
                raise TimeoutError

        return {"read": read, "write": write}

    m = mixed_loop("none", 3, 0.3, make, {"read": 80, "write": 20}, warmup=0.0)
    read, write = m.kinds
    assert (read.name, read.share, write.name, write.share) == ("read", 80, "write", 20)
    assert read.operations > write.operations > 0 and read.errors == 0
    assert write.errors > 0 and set(write.error_codes) == {"LIMIT_REACHED", "TimeoutError"}
    assert m.operations == read.operations + write.operations and m.errors == write.errors
    assert m.per_second == pytest.approx(m.operations / m.seconds, rel=0.02)
    assert read.p50_ms <= read.p95_ms <= read.p99_ms
    d = m.as_dict()
    assert d["kinds"][1]["error_codes"] == list(write.error_codes) and d["errors"] == m.errors


def test_the_profile_sorts_each_function_into_its_layer() -> None:
    from gongji.benchmark.profile import OTHER, layer_of
    assert layer_of("<method 'commit' of 'sqlite3.Connection' objects>").startswith("database")
    assert layer_of("/x/site-packages/sqlalchemy/engine/base.py:10(execute)") == "SQLAlchemy"
    assert layer_of("/w/src/gongji/domain/settlement.py:5(settle)") == "gongji domain rules"
    assert layer_of("/w/src/gongji/services/settlement/service.py:5(x)").startswith(
        "gongji services")
    assert layer_of("/usr/lib/python3.11/threading.py:1(wait)") == OTHER


def test_like_for_like_pairs_only_the_size_the_statements_were_captured_at() -> None:
    from gongji.benchmark.figures import Figures
    from gongji.benchmark.run import Result
    r = Result("", {}, {})
    r.service += [Figures("settlement", "sqlite", 1, 10, 1.0, 500.0, 1, 1, 1, 0, 10_000),
                  Figures("settlement", "sqlite", 1, 10, 1.0, 400.0, 1, 1, 1, 0, 100_000)]
    r.replays += [Figures("settlement replay", "sqlite", 1, 10, 1.0, 1000.0, 1, 1, 1),
                  Figures("settlement minimal write set", "sqlite", 1, 10, 1.0, 2000.0, 1, 1, 1)]
    [row] = r.like_for_like()
    assert (row["service_per_second"], row["ratio_to_replay"], row["ratio_to_minimal"]) == \
        (500.0, 0.5, 0.25)
