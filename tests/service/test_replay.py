"""The like-for-like yardsticks replay what gongji did: the captured statements of settlements
and transfers, replayed through the bare driver on a copy of the database as it was before
(and their minimal write set on another copy), leave every table exactly as gongji left it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from gongji.benchmark import population, replay, workloads
from gongji.benchmark.run import business_start
from gongji.domain.access import COMMAND_LINE
from gongji.domain.clock import OffsetClock
from gongji.services.runtime import Gongji
from gongji.services.sandbox import service as sandbox
from gongji.store.db import Database
from gongji.testing.postgres import TempPostgres
from tests.conftest import table_counts

PERSONS = 40


@pytest.fixture
def world(db_url: str) -> Iterator[Gongji]:
    db = Database(db_url)
    app = Gongji(db, OffsetClock(), sandbox=True)
    sandbox.move(app, COMMAND_LINE, to=business_start(app.clock))  # type: ignore[arg-type]
    population.load(app, PERSONS)
    yield app
    db.dispose()


def copier(request: pytest.FixtureRequest, db_url: str
           ) -> tuple[AbstractContextManager[str], object]:
    """A copy of the database now, and how to copy that copy again."""
    if db_url.startswith("sqlite"):
        return replay.sqlite_copy(Path(db_url[len("sqlite:///"):]), "before"), None
    cluster: TempPostgres = request.getfixturevalue("pg")
    name = db_url.rsplit("/", 1)[1]
    return replay.postgres_copy(lambda n, t: cluster.create_database(n, template=t),
                                cluster.drop_database, name, f"{name}_before"), cluster


def again(before: str, cluster: object, name: str) -> AbstractContextManager[str]:
    if cluster is None:
        return replay.sqlite_copy(Path(before), name)
    assert isinstance(cluster, TempPostgres)
    template = before.rsplit("/", 1)[1]
    return replay.postgres_copy(lambda n, t: cluster.create_database(n, template=t),
                                cluster.drop_database, template, f"{template}_{name}")


def kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def test_replay_and_minimal_write_set_leave_what_gongji_left(
        world: Gongji, db_url: str, request: pytest.FixtureRequest) -> None:
    app = world
    drugs = workloads.prepare(app)
    members = population.members(app, PERSONS)
    pool = workloads.PairPool(population.pairs(app, PERSONS // 2))
    app.db.engine.dispose()
    made, cluster = copier(request, db_url)
    with made as before:
        settled = replay.capture(app.db.engine, workloads.settlement_clients(
            app, members, drugs, 1)(0), 6)
        sent = replay.capture(app.db.engine, workloads.transfer_clients(app, pool)(0), 2)
        ops = settled + sent
        assert all(len(op) > 20 for op in ops)
        gongji_left = table_counts(app.db)
        app.db.engine.dispose()
        for name, seq in (("replay", ops), ("minimal", replay.minimal(ops))):
            with again(before, cluster, name) as target:
                url = target if cluster is not None else f"sqlite:///{target}"
                f = replay.replay_loop(name, kind(db_url), target, seq, 1)
                assert (f.operations, f.errors) == (len(ops), 0), f
                copy = Database(url)
                assert table_counts(copy) == gongji_left, name
                copy.dispose()
    # the minimal write set has no reads, and each statement once
    for op in replay.minimal(ops):
        assert all(s.writes and s.many for s in op)
        assert len({s.sql for s in op}) == len(op)
