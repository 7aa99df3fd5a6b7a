"""The catalog_items table, as typed records, and the catalog's files: our CSV, the national
tab-separated download, the demo catalog shipped in gongji/data/catalog. SQL and file reading
only: which item is in force where (region, province, national) is the service's rule."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, or_, select, tuple_

from gongji.domain.catalog import CatalogItem, ratio_text
from gongji.domain.errors import Bi, GongjiError
from gongji.services.catalog.model import CSV_COLUMNS, TSV_COLUMNS
from gongji.store import fast
from gongji.store.tables import catalog_items

# -- files ------------------------------------------------------------------------------------

def read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return _csv_rows(csv.DictReader(f))


def _csv_rows(reader: csv.DictReader[str]) -> list[tuple[int, dict[str, str]]]:
    """Our CSV's rows by line, its header checked. A file the csv module cannot read (a bare
    carriage return inside an unquoted field, a field past its size limit) is refused whole,
    naming the line: which of its rows were meant cannot be told."""
    try:
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise GongjiError("VALIDATION_ERROR", fields="CSV header: " + ", ".join(missing))
        return [(i, row) for i, row in enumerate(reader, start=2)]
    except csv.Error as e:
        raise GongjiError("CATALOG_FILE_INVALID", line=max(reader.reader.line_num, 1),
                          reason=_csv_reason(str(e))) from None


def _csv_reason(message: str) -> Bi:
    if "new-line character" in message:
        return Bi("未加引号的字段中有回车或换行符（含回车的字段须加双引号）",
                  "a carriage return or line break in an unquoted field (quote such fields)")
    if "field larger than field limit" in message:
        return Bi(f"字段超过 {csv.field_size_limit()} 个字符",
                  f"a field is longer than {csv.field_size_limit()} characters")
    return Bi("不是合法的 CSV（" + message[:60] + "）", "not valid CSV (" + message[:60] + ")")


def read_tsv(path: Path) -> list[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig") as f:
        return _tsv_rows(f)


def _tsv_rows(lines: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    rows = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = line.rstrip("\r\n").split("\t")
        rows.append((i, dict(zip(TSV_COLUMNS, cells, strict=False)) | {
            "_cells": str(len(cells))}))
    return rows


def parse_text(text: str, fmt: str) -> list[tuple[int, dict[str, str]]]:
    """Rows of an uploaded file's text: "csv" (our header) or "tsv" (the national download)."""
    if fmt == "tsv":
        return _tsv_rows(text.removeprefix("\ufeff").splitlines())
    if fmt != "csv":
        raise GongjiError("VALIDATION_ERROR", fields="format (csv or tsv)")
    return _csv_rows(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def demo_rows() -> list[tuple[int, dict[str, str]]]:
    """The shipped demo catalog's rows (data/catalog/demo-catalog.csv)."""
    text = (resources.files("gongji") / "data" / "catalog" / "demo-catalog.csv").read_text(
        encoding="utf-8")
    reader = csv.DictReader(text.splitlines())
    return [(i, row) for i, row in enumerate(reader, start=2)]


# -- items ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as stored: its region, its columns as they are (the national download writes
    selfpay_prop back as stored), and when it was imported."""

    admdvs: str
    med_list_codg: str
    name: str
    list_type: str
    med_chrgitm_type: str
    chrgitm_lv: str
    selfpay_prop: str
    pric_uplmt_amt: int | None
    lmt_used_flag: bool
    spec: str
    unit: str
    begndate: date
    enddate: date | None
    imported_at: datetime
    pack_cnt: int | None = None
    otc_flag: bool = False

    @property
    def item(self) -> CatalogItem:
        return CatalogItem(
            med_list_codg=self.med_list_codg, name=self.name, list_type=self.list_type,
            med_chrgitm_type=self.med_chrgitm_type, chrgitm_lv=self.chrgitm_lv,
            selfpay_prop=Fraction(Decimal(self.selfpay_prop)),
            pric_uplmt_amt=self.pric_uplmt_amt, lmt_used_flag=self.lmt_used_flag,
            spec=self.spec, unit=self.unit, begndate=self.begndate, enddate=self.enddate,
            pack_cnt=self.pack_cnt, otc=self.otc_flag)


def _stored(r: Row[Any]) -> StoredItem:
    return StoredItem(r.admdvs, r.med_list_codg, r.name, r.list_type, r.med_chrgitm_type,
                      r.chrgitm_lv, r.selfpay_prop, r.pric_uplmt_amt, bool(r.lmt_used_flag),
                      r.spec, r.unit, r.begndate, r.enddate, r.imported_at, r.pack_cnt,
                      bool(r.otc_flag))


def in_force(conn: Connection, scopes: Sequence[str], codes: Sequence[str], day: date
             ) -> list[StoredItem]:
    """Every item of these codes in force on the day in any of these regions."""
    return [_stored(r) for r in _IN_FORCE.run(conn, {"codes": codes, "scopes": scopes},
                                              {"day": day})]


_DAY = bindparam("day", type_=catalog_items.c.begndate.type)
_IN_FORCE = fast.ByArity(lambda codes, scopes: select(catalog_items).where(
    catalog_items.c.med_list_codg.in_(codes), catalog_items.c.admdvs.in_(scopes),
    catalog_items.c.begndate <= _DAY,
    or_(catalog_items.c.enddate.is_(None), catalog_items.c.enddate > _DAY)))


def codes_matching(conn: Connection, scopes: Sequence[str], text: str, *, limit: int
                   ) -> list[str]:
    """Codes of these regions' items whose name or code contains the text, in code order."""
    like = f"%{text.strip()}%"
    return list(conn.execute(select(catalog_items.c.med_list_codg).where(
        catalog_items.c.admdvs.in_(scopes),
        or_(catalog_items.c.name.like(like), catalog_items.c.med_list_codg.like(like)))
        .distinct().order_by(catalog_items.c.med_list_codg).limit(limit)).scalars())


def of_list_type(conn: Connection, list_type: str) -> list[StoredItem]:
    """Every item of one list type, oldest import first (a national download)."""
    return [_stored(r) for r in conn.execute(select(catalog_items).where(
        catalog_items.c.list_type == list_type).order_by(
        catalog_items.c.imported_at, catalog_items.c.med_list_codg)).all()]


def latest_import(conn: Connection) -> datetime | None:
    return conn.execute(
        select(catalog_items.c.imported_at).order_by(catalog_items.c.imported_at.desc())
        .limit(1)).scalar()


def count(conn: Connection) -> int:
    """How many items are stored, every region and version (none: no catalog loaded yet)."""
    return int(conn.execute(select(func.count()).select_from(catalog_items)).scalar_one())


def replace_items(conn: Connection, admdvs: str, items: Sequence[CatalogItem], *,
                  version: str, at: datetime) -> None:
    """Store items, each replacing the one with the same region, code and start date."""
    keys = [(admdvs, i.med_list_codg, i.begndate) for i in items]
    conn.execute(delete(catalog_items).where(tuple_(
        catalog_items.c.admdvs, catalog_items.c.med_list_codg, catalog_items.c.begndate
    ).in_(keys)))
    conn.execute(insert(catalog_items), [{
        "admdvs": admdvs, "med_list_codg": i.med_list_codg, "begndate": i.begndate,
        "enddate": i.enddate, "name": i.name, "list_type": i.list_type,
        "med_chrgitm_type": i.med_chrgitm_type, "chrgitm_lv": i.chrgitm_lv,
        "selfpay_prop": ratio_text(i.selfpay_prop), "pric_uplmt_amt": i.pric_uplmt_amt,
        "lmt_used_flag": i.lmt_used_flag, "spec": i.spec, "unit": i.unit, "version": version,
        "imported_at": at, "pack_cnt": i.pack_cnt, "otc_flag": i.otc} for i in items])
