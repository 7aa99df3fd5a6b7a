"""`serve --workers N --sandbox`: every worker process reads one sandbox clock. A move made
through one worker is what every other worker reads at once, to the second, across the
business day boundary."""

from __future__ import annotations

from datetime import timedelta

from gongji.config import Settings
from gongji.domain.clock import business_date, shanghai
from gongji.services.root import build
from gongji.services.sandbox import service as sandbox
from gongji.store.db import Database
from tests.conftest import OPERATOR


def test_workers_share_one_sandbox_clock(database: Database) -> None:
    settings = Settings(db=database.url, sandbox=True)
    first = build(settings, schema="upgrade", sandbox_start=shanghai(2026, 11, 24, 23, 59, 58))
    workers = [build(settings, schema="check", resume_clock=False).app for _ in range(2)]
    try:
        for w in workers:   # a worker that starts later neither rewinds nor jumps the clock
            assert abs(w.clock.now() - first.app.clock.now()) < timedelta(seconds=1)
        moved, _ = sandbox.move(workers[0], OPERATOR, seconds=3)     # through one worker
        assert business_date(moved) == shanghai(2026, 11, 25).date()
        for app in (first.app, *workers):                            # every worker sees it
            now = app.clock.now()
            assert moved <= now < moved + timedelta(seconds=1), (now, moved)
            assert business_date(now) == business_date(moved)
        sandbox.move(workers[1], OPERATOR, to=shanghai(2026, 11, 26, 5, 59, 59))
        for app in (first.app, *workers):
            assert shanghai(2026, 11, 26, 5, 59, 59) <= app.clock.now() < \
                shanghai(2026, 11, 26, 6, 0, 0) + timedelta(seconds=1)
    finally:
        for app in (first.app, *workers):
            app.dispose()
