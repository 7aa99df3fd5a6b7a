"""Reference data: provinces and pooling regions (shipped, plus any an operator adds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import TYPE_CHECKING

import yaml
from sqlalchemy import Connection, insert, select

from gongji.domain.access import Principal
from gongji.domain.errors import GongjiError
from gongji.domain.regions import NATIONAL, Region, check_admdvs, province_of
from gongji.services.door import door
from gongji.store.tables import regions

if TYPE_CHECKING:  # the runtime imports this module for RegionBook
    from gongji.services.runtime import Gongji
    from gongji.services.unit_of_work import UnitOfWork


def shipped_regions() -> dict[str, Region]:
    data = yaml.safe_load((resources.files("gongji") / "data" / "regions.yaml")
                          .read_text(encoding="utf-8"))
    out: dict[str, Region] = {}
    for level, key in (("province", "provinces"), ("pooling", "pooling")):
        for code, name, name_en in data[key]:
            out[str(code)] = Region(str(code), name, name_en, level)
    return out


class RegionBook:
    def __init__(self) -> None:
        self.shipped = shipped_regions()

    def all(self, conn: Connection) -> dict[str, Region]:
        out = dict(self.shipped)
        for r in conn.execute(select(regions)).all():
            out[r.admdvs] = Region(r.admdvs, r.name, r.name_en, r.level)
        return out

    def get(self, conn: Connection, admdvs: str, *, field: str = "admdvs") -> Region:
        check_admdvs(admdvs, field=field)
        found = self.shipped.get(admdvs)
        if found is None:
            row = conn.execute(select(regions).where(regions.c.admdvs == admdvs)).first()
            if row is not None:
                found = Region(row.admdvs, row.name, row.name_en, row.level)
        if found is None:
            raise GongjiError("REGION_NOT_FOUND", admdvs=admdvs)
        return found

    def pooling(self, conn: Connection, admdvs: str, *, field: str = "admdvs") -> Region:
        """A region people can be insured in: a pooling region, or a province that pools."""
        return self.get(conn, admdvs, field=field)

    def add(self, conn: Connection, region: Region, *, now: object) -> Region:
        check_admdvs(region.admdvs)
        if region.admdvs == NATIONAL or region.admdvs in self.all(conn):
            raise GongjiError("VALIDATION_ERROR", fields="admdvs (exists)")
        if region.level == "pooling":
            self.get(conn, province_of(region.admdvs), field="province")
        conn.execute(insert(regions).values(admdvs=region.admdvs, name=region.name,
                                            name_en=region.name_en, level=region.level,
                                            created_at=now))
        return region


@dataclass(frozen=True, slots=True)
class Rollout:
    """A region and its wallet rollout flags on a day (from its resolved policy)."""

    region: Region
    day: date
    wallet_enabled: bool
    cross_province_mutual_aid: bool
    place_of_use_change: bool


def rollout_of(uow: UnitOfWork, region: Region, day: date | None = None) -> Rollout:
    when = day or uow.today
    w = uow.app.policies.resolve(uow.conn, region.admdvs, when).wallet
    return Rollout(region, when, w.enabled, w.cross_province_mutual_aid, w.place_of_use_change)


@door
def rollout(app: Gongji, who: Principal, *, day: date | None = None,
            level: str | None = None) -> list[Rollout]:
    """Every region (or every province, or pooling region) with its flags on a day (public:
    any caller)."""
    def run(uow: UnitOfWork) -> list[Rollout]:
        found = sorted(app.regions.all(uow.conn).values(), key=lambda r: r.admdvs)
        return [rollout_of(uow, r, day) for r in found if level is None or r.level == level]

    return app.read(run, principal=who)


@door
def region(app: Gongji, who: Principal, admdvs: str) -> Rollout:
    """One region with today's flags (public: any caller)."""
    return app.read(lambda uow: rollout_of(uow, uow.region(admdvs)), principal=who)


@door
def all_regions(app: Gongji, who: Principal) -> list[Region]:
    return app.read(lambda uow: sorted(app.regions.all(uow.conn).values(),
                                       key=lambda r: r.admdvs), principal=who)
