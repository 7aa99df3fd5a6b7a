"""Races: many calls released at one instant by a barrier, on SQLite and PostgreSQL, each
bounded in threads, rounds and seconds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

JOIN_SECONDS = 90


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment; each result is its return value or the exception it
    raised. Fails if one is still running after JOIN_SECONDS (a hang is a finding too)."""
    out: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int, call: Callable[[], Any]) -> None:
        start.wait()
        try:
            out[i] = call()
        except BaseException as e:  # surfaced to the test
            out[i] = e

    threads = [threading.Thread(target=run, args=(i, c), daemon=True)
               for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads), f"still running after {JOIN_SECONDS} s"
    return out
