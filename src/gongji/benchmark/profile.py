"""Where one settlement's time goes: cProfile's own time of each function over a few hundred
service-level settlements (one client), summed by layer.

Issue 16 set the "before" (SQLAlchemy compile/bind/rows 57 % of own time, the driver 14 %, the
domain rules 3 %); the bench reports the same split for the code as it is, so the two can be
read side by side. cProfile slows Python code more than the driver's C calls, so the shares
lean towards Python; what matters is how they move between runs.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from typing import Any

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("database driver (sqlite3 / psycopg, commit included)",
     ("<method 'commit' of 'sqlite3", "<method 'execute' of 'sqlite3",
      "<method 'executemany' of 'sqlite3", "<method 'fetch", "sqlite3", "psycopg", "select.")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("gongji store (fast statements, tables)", ("gongji/store/",)),
    ("gongji ledger (journal, audit chain)", ("gongji/ledger/",)),
    ("gongji services (units of work, settlement, tracing)", ("gongji/services/",)),
    ("gongji domain rules", ("gongji/domain/",)),
    ("serialisation (json, pydantic)", ("json/", "pydantic")),
    ("the benchmark's own client", ("gongji/benchmark/",)),
)
OTHER = "Python and the rest (stdlib, threads, datetime)"


def layer_of(where: str) -> str:
    for name, marks in LAYERS:
        if any(m in where for m in marks):
            return name
    return OTHER


def settlement_profile(op: Callable[[], object], operations: int) -> dict[str, Any]:
    """Profile `operations` calls of op (after a few unprofiled ones): own time per layer, in
    ms per operation and in percent, largest first, and the top functions."""
    for _ in range(min(20, operations)):
        op()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(operations):
        op()
    prof.disable()
    stats: dict[Any, Any] = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    layers: dict[str, float] = {}
    functions: list[tuple[float, str]] = []
    for (file, line, name), (_cc, _nc, own, _cum, _callers) in stats.items():
        where = f"{file}:{line}({name})" if file != "~" else name
        layers[layer_of(where)] = layers.get(layer_of(where), 0.0) + own
        functions.append((own, where.split("site-packages/")[-1].split("/src/")[-1]))
    whole = sum(layers.values()) or 1e-9
    return {
        "operations": operations,
        "ms_per_operation": round(1000 * whole / operations, 3),
        "layers": [{"layer": k, "ms": round(1000 * v / operations, 3),
                    "share": round(v / whole, 3)}
                   for k, v in sorted(layers.items(), key=lambda kv: -kv[1])],
        "top": [{"function": f, "ms": round(1000 * t / operations, 4)}
                for t, f in sorted(functions, reverse=True)[:15]],
    }
