"""Regions and their rollout: which have the wallet live, family mutual aid across provinces,
a changeable place of use (from each region's resolved policy)."""

from __future__ import annotations

from datetime import date

from gongji.domain.access import Principal
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.regions import Region
from gongji.services.door import door
from gongji.services.regions.model import Rollout
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import UnitOfWork


def rollout_of(uow: UnitOfWork, region: Region, day: date | None = None) -> Rollout:
    when = day or uow.today
    w = uow.policies.resolve(uow.conn, region.admdvs, when).wallet
    return Rollout(region, when, w.enabled, w.cross_province_mutual_aid, w.place_of_use_change)


@door
def rollout(app: Gongji, who: Principal, *, day: date | None = None,
            level: str | None = None) -> list[Rollout]:
    """Every region (or every province, or pooling region) with its flags on a day (public:
    any caller)."""
    def run(uow: UnitOfWork) -> list[Rollout]:
        found = sorted(uow.regions.all(uow.conn).values(), key=lambda r: r.admdvs)
        return [rollout_of(uow, r, day) for r in found if level is None or r.level == level]

    return app.read(run, principal=who)


@door
def region(app: Gongji, who: Principal, admdvs: str) -> Rollout:
    """One region with today's flags (public: any caller)."""
    return app.read(lambda uow: rollout_of(uow, uow.region(admdvs)), principal=who)


@door
def all_regions(app: Gongji, who: Principal) -> list[Region]:
    return app.read(lambda uow: sorted(uow.regions.all(uow.conn).values(),
                                       key=lambda r: r.admdvs), principal=who)


def name_of(uow: UnitOfWork, admdvs: str) -> Bi:
    """A region as people call it (广东省 / Guangdong), for refusals; its code if unknown."""
    try:
        r = uow.region(admdvs)
    except GongjiError:
        return Bi(admdvs, admdvs)
    return Bi(r.name, r.name_en)
