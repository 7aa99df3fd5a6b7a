"""The bank test, short: client processes and a nemesis that SIGKILLs `gongji serve`, on each
database; no fen lost, nothing applied twice, nothing acknowledged lost, verify clean.
`gongji chaos --minutes N` runs the long one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gongji.chaos import bank

SECONDS = float(os.environ.get("GONGJI_CHAOS_SECONDS", "25"))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_no_fen_is_lost_when_the_server_is_killed(database: str, tmp_path: Path) -> None:
    if database == "postgresql":
        from gongji.testing.postgres import PostgresUnavailable, find_bindir

        try:
            find_bindir()
        except PostgresUnavailable as e:
            if os.environ.get("GONGJI_REQUIRE_PG"):
                pytest.fail(str(e))
            pytest.skip(str(e))
    lines: list[str] = []
    result = bank.run(bank.Plan(database=database, seconds=SECONDS, clients=3, persons=24,
                                kill_every=(1.5, 3.5), day_turn_every=3, seed=7),
                      say=lines.append, folder=tmp_path)
    report = "\n".join(lines + bank.summary(result))
    assert result.kills >= 4, report
    assert result.operations >= 20, report
    assert result.acknowledged.get("send") and result.acknowledged.get("settle"), report
    assert result.retries > 0, report  # the kills were felt
    assert result.negative_reads == 0 and result.reads > 0, report
    assert result.fen_lost == 0 and result.balances_sum == 0, report
    assert result.applied_twice == 0 and result.applied_unacknowledged == 0, report
    assert result.lost_acknowledged == 0, report
    assert result.verify_ok, report
    assert result.ok, report
