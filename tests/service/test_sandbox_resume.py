"""A restarted demo resumes its ticking sandbox clock where it stopped (issue 18, point 9):
the serving demo keeps the clock's position now and then and at shutdown, so a restart does
not go back to where the clock was last set, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from gongji.domain.clock import FixedClock, shanghai
from gongji.services.runtime import Gongji
from gongji.services.sandbox import service as sandbox
from gongji.store.db import Database

REAL = shanghai(2026, 12, 5, 9, 0, 0)
"""Real (wall) time when the demo first starts."""
SET = shanghai(2026, 11, 24, 20, 0, 0)
"""Where the demo's clock starts."""


def serve(database: Database, wall: FixedClock) -> Gongji:
    app = Gongji(database, sandbox.SharedClock(database, base=wall), sandbox=True)
    sandbox.resume(app, SET)
    return app


def test_a_restart_resumes_where_the_clock_had_ticked_to(database: Database) -> None:
    wall = FixedClock(REAL)
    first = serve(database, wall)
    assert first.clock.now() == SET
    wall.advance(timedelta(minutes=3))                 # three minutes of demo go by
    assert first.clock.now() == SET + timedelta(minutes=3)
    sandbox.keep(first)                                # as the serving demo does
    wall.advance(timedelta(hours=2))                   # stopped for two hours
    again = serve(database, wall)
    assert again.clock.now() == SET + timedelta(minutes=3), "neither back nor forward"


def test_without_keeping_it_the_restart_went_back(database: Database) -> None:
    wall = FixedClock(REAL)
    serve(database, wall)
    wall.advance(timedelta(minutes=3))
    wall.advance(timedelta(hours=2))
    assert serve(database, wall).clock.now() == SET   # what issue 18 saw: 3 minutes back


def test_keep_outside_the_sandbox_does_nothing(database: Database) -> None:
    app = Gongji(database, FixedClock(SET))
    sandbox.keep(app)
    assert sandbox.resume(Gongji(database, FixedClock(SET), sandbox=True),
                          SET + timedelta(days=1)) == SET + timedelta(days=1)
