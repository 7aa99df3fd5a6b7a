"""The two operations measured, at the service layer (one unit of work per call, as every
entrypoint makes them):

- a wallet transfer: the sponsor sends 20.00 with his PIN (submit) and the receiver accepts it
  (accept): two units of work, one ledger hold and its posting;
- a pharmacy settlement (2102): a person buys 3-5 boxed drugs with trace codes at a designated
  pharmacy; one unit of work that opens the visit, uploads the lines and settles.

Each client works on its own slice of the population, so contention is what the operations
themselves cause (the region's fund and audit chain), not the benchmark.
"""

from __future__ import annotations

import itertools
import random
import secrets
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from gongji.benchmark import population
from gongji.benchmark.figures import Operation
from gongji.domain.catalog import CatalogItem
from gongji.services.catalog import service as catalog
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.transfers import service as transfers
from gongji.services.unit_of_work import SYSTEM, Principal
from gongji.store.tables import catalog_items

PHARMACY = "P51010000001"
HOSPITAL = "H51010000001"
"""A tertiary hospital in the same region: the mixed load's outpatient visits (2201-2207)."""
CONSULTATION = "110200001000000"
"""普通门诊诊查费 (10.00, class A) in the demo catalog: the first line of every visit's fees."""
TRANSFER_FEN = 20_00
DEPENDENT = {"transfer": 3, "settlement": 1}
"""How many consecutive operations of one client build on each other: a pair sends three
times (the daily limit), the first opening the hold and quota accounts the others use."""


def prepare(app: Gongji) -> list[CatalogItem]:
    """The pharmacy and the national demo catalog (once per database); the drugs to sell."""
    institutions.register(app, SYSTEM, "bench-pharmacy", institutions.RegisterInstitution(
        PHARMACY, "基准测试药房", "0", population.REGION))
    loaded = app.read_conn(lambda c: c.execute(
        select(func.count()).select_from(catalog_items)).scalar_one())
    if not loaded:
        catalog.import_rows(app, SYSTEM, "000000", catalog.demo_rows(),
                            begndate=date(2024, 1, 1), version="bench")
    return [i for _, r in catalog.demo_rows()
            if (i := catalog.to_item(r, begndate=date(2024, 1, 1))).is_drug
            and i.chrgitm_lv != "03"]


class PairPool:
    """Hands out (sponsor, receiver) pairs that have not sent today, to one run after another:
    a sponsor may send three times a day, so a pair is used up by one client of one run."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = iter(pairs)
        self._lock = threading.Lock()

    def take(self) -> tuple[str, str]:
        with self._lock:
            return next(self._pairs)  # StopIteration: the population is used up for today

    def take_up_to(self, n: int) -> list[tuple[str, str]]:
        with self._lock:
            return list(itertools.islice(self._pairs, n))


def transfer_clients(app: Gongji, pool: PairPool) -> Callable[[int], Operation]:
    """Each client takes a fresh pair, sends three times (the daily limit), each accepted at
    once by the receiver, then takes the next pair."""
    def make(i: int) -> Operation:
        mine = (p for p in iter(pool.take, None) for _ in range(3))
        keys = itertools.count()
        tag = secrets.token_hex(4)

        def op() -> None:
            sponsor, receiver = next(mine)  # StopIteration: this client has run out
            n = next(keys)
            sent = transfers.send(app, Principal("person", sponsor), f"bs-{tag}-{n}",
                                  transfers.SendTransfer(receiver, TRANSFER_FEN),
                                  population.PIN).value
            transfers.respond(app, Principal("person", receiver), f"ba-{tag}-{n}", sent.id,
                              "accept")

        return op

    return make


def prepare_hospital(app: Gongji) -> None:
    """The hospital of the mixed load (after prepare: the catalog it bills from)."""
    institutions.register(app, SYSTEM, "bench-hospital", institutions.RegisterInstitution(
        HOSPITAL, "基准测试医院", "3", population.REGION))


def purchase_lines(rnd: random.Random, drugs: list[CatalogItem], codes: Callable[[], str]
                   ) -> tuple[svc.FeeIn, ...]:
    lines = []
    for i in range(rnd.randint(3, 5)):
        item = rnd.choice(drugs)
        cnt = rnd.randint(1, 2)
        pric = Decimal(rnd.randint(100, 5000)) / 100
        if item.pric_uplmt_amt is not None:
            pric = min(pric, Decimal(item.pric_uplmt_amt) / 100)
        lines.append(svc.FeeIn(str(i + 1), item.med_list_codg, str(cnt), str(pric),
                               int(cnt * pric * 100),
                               trace_codes=tuple(codes() for _ in range(cnt))))
    return tuple(lines)


def visit_lines(rnd: random.Random, drugs: list[CatalogItem], codes: Callable[[], str]
                ) -> tuple[svc.FeeIn, ...]:
    """An outpatient visit's fees: 3-5 boxed drugs, as a pharmacy sells them, and the
    consultation."""
    sold = purchase_lines(rnd, drugs, codes)
    return (*sold, svc.FeeIn(str(len(sold) + 1), CONSULTATION, "1", "10.00", 10_00))


def trace_codes() -> Callable[[], str]:
    """Fresh 20-digit trace codes, unique across runs on the same database."""
    run = secrets.randbelow(10**8)
    serial = itertools.count()
    return lambda: f"9{run:08d}{next(serial):011d}"


def settlement_clients(app: Gongji, members: list[population.Member], drugs: list[CatalogItem],
                       clients: int) -> Callable[[int], Operation]:
    codes = trace_codes()
    shop = Principal("institution", PHARMACY)

    def make(i: int) -> Operation:
        mine = members[i::clients]
        rnd = random.Random(i)
        tag = secrets.token_hex(4)
        keys = itertools.count()

        def op() -> None:
            m = rnd.choice(mine)
            cred = svc.Credential("02", m.certno)
            svc.purchase(app, shop, f"bp-{tag}-{next(keys)}", svc.OpenVisit(cred, "310", "41"),
                         purchase_lines(rnd, drugs, codes), svc.SettleAsk(cred))

        return op

    return make
