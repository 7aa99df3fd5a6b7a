"""Provinces and pooling regions: the shipped list (gongji/data/regions.yaml) and any an
operator adds (regions)."""

from __future__ import annotations

from importlib import resources

import yaml
from sqlalchemy import Connection, insert, select

from gongji.domain.errors import GongjiError
from gongji.domain.regions import NATIONAL, Region, check_admdvs, province_of
from gongji.store.tables import regions


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
