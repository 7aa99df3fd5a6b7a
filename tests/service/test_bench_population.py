"""The benchmark's bulk population is what the services would have made: verify passes, and
the measured operations (a transfer, a pharmacy settlement) run on it."""

from __future__ import annotations

from gongji.benchmark import population, workloads
from gongji.benchmark.figures import closed_loop
from gongji.ledger.verify import verify
from gongji.services.runtime import Gongji
from gongji.services.transfers import service as transfers
from gongji.services.unit_of_work import Principal
from gongji.services.wallet import service as wallet


def test_a_bulk_population_passes_verify_and_carries_the_workloads(app: Gongji) -> None:
    assert population.load(app, 300) == 300
    assert population.load(app, 300) == 0, "growing to the same size adds nothing"
    assert population.load(app, 500) == 200
    members = population.members(app, 500)
    pairs = population.pairs(app, 1000)
    assert len(members) == 500 and len(set(m.certno for m in members)) == 500
    assert len(pairs) == 250

    sponsor, receiver = pairs[0]
    w = wallet.get(app, Principal("person", sponsor), sponsor)
    assert w.status == "open" and w.personal_account == population.OPENING_FEN
    assert transfers.limits(app, Principal("person", sponsor), sponsor).left_today == 3

    drugs = workloads.prepare(app)
    t = closed_loop("transfer", "x", 2, 5, workloads.transfer_clients(
        app, workloads.PairPool(pairs[:4])), warmup=0)
    assert t.errors == 0 and t.operations == 4 * 3, "four pairs, three transfers each"
    s = closed_loop("settlement", "x", 2, 5, workloads.settlement_clients(
        app, members, drugs, 2), warmup=0, max_operations=6)
    assert s.errors == 0 and s.operations == 6
    assert wallet.get(app, Principal("person", receiver), receiver).quota_total == \
        3 * workloads.TRANSFER_FEN

    added = population.grow_postings(app, population.postings_count(app) + 400)
    assert added >= 400
    with app.db.read() as conn:
        report = verify(conn)
    assert report.ok, [v for c in report.checks for v in c.violations]
