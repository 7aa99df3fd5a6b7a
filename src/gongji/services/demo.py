"""Demo data for `gongji demo`: believable, idempotent (seeding twice changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from gongji.domain.money import format_yuan
from gongji.ledger.kinds import AccountKind
from gongji.services.ledger import ensure_region_accounts
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM, UnitOfWork

DEMO_REGIONS = {
    "510100": "四川省成都市 Chengdu, Sichuan",
    "410100": "河南省郑州市 Zhengzhou, Henan",
    "440100": "广东省广州市 Guangzhou, Guangdong",
}
OPENING_POOL_FEN = 50_000_000_00
"""Each demo region's pooled fund starts with 50 million yuan, paid in from outside (CASH)."""


@dataclass(frozen=True, slots=True)
class Seeded:
    admdvs: str
    pool_balance: int


def seed(app: Gongji) -> list[str]:
    lines = ["demo data (ledger fund accounts per pooling region):"]
    for admdvs, name in DEMO_REGIONS.items():
        def run(uow: UnitOfWork, admdvs: str = admdvs) -> Seeded:
            accts = {a.kind: a for a in ensure_region_accounts(uow, admdvs)}
            pool = accts[AccountKind.FUND_POOL]
            if pool.balance == 0:
                uow.ledger.transfer(accts[AccountKind.CASH].id, pool.id, OPENING_POOL_FEN,
                                    code="demo.opening", memo="demo opening balance",
                                    admdvs=admdvs)
            return Seeded(admdvs, uow.ledger.account(pool.id).balance)

        s = app.write(SYSTEM, key=f"demo-seed-{admdvs}", operation="demo.seed_region",
                      request={"admdvs": admdvs}, fn=run, result_type=Seeded).value
        lines.append(f"  {admdvs} {name}: pooled fund {format_yuan(s.pool_balance)} yuan")
    return lines
