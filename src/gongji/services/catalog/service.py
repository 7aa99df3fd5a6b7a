"""The catalog of each care region: import (CSV, the national tab-separated download) and
lookup. Items are kept per region and start date; a lookup takes the pooling region's own
item, else the province's, else the national one ("000000"), in force on the day."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path

from gongji.domain.catalog import CatalogItem, make_item
from gongji.domain.errors import GongjiError
from gongji.domain.filing import CHRONIC_DISEASES
from gongji.domain.money import format_yuan
from gongji.domain.regions import NATIONAL, layers
from gongji.services.access import require_institution, require_operator
from gongji.services.catalog import store
from gongji.services.catalog.model import (
    BATCH,
    CHRONIC_LIST_VER,
    CSV_COLUMNS,
    DISEASE_LISTS,
    OPSP_COLUMNS,
    TSV_COLUMNS,
    Download,
    ImportReport,
    Prepared,
)
from gongji.services.catalog.store import StoredItem, demo_rows, parse_text, read_csv, read_tsv
from gongji.services.door import door
from gongji.services.files import service as files
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import Principal, UnitOfWork

__all__ = ["CSV_COLUMNS", "TSV_COLUMNS", "Download", "ImportReport", "Prepared", "demo_rows",
           "parse_text", "read_csv", "read_tsv"]
"""Besides the doors and the steps below: the model and the file readers callers use."""


def check_region(app: Gongji, admdvs: str) -> None:
    """The care region a catalog is imported into: national, a province or a pooling region."""
    if admdvs != NATIONAL:
        app.read(lambda uow: uow.region(admdvs))


def _day(text: str | None, default: date | None) -> date | None:
    text = (text or "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise GongjiError("CATALOG_FIELD_INVALID", field="date", value=text[:20]) from None


def _amount(text: str) -> str:
    """The national file writes 16,2 numbers ("12.5"); we take them as exact yuan."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise GongjiError("CATALOG_FIELD_INVALID", field="pric_uplmt_amt",
                          value=text[:20]) from None
    if d != d.quantize(Decimal("0.01")) or d < 0:
        raise GongjiError("CATALOG_FIELD_INVALID", field="pric_uplmt_amt", value=text[:20])
    return f"{d:.2f}"


def to_item(row: dict[str, str], *, begndate: date, national: bool = False) -> CatalogItem:
    if national and int(row.get("_cells", "0")) < len(TSV_COLUMNS):
        raise GongjiError("CATALOG_FIELD_INVALID", field="columns",
                          value=f"{row.get('_cells')} of {len(TSV_COLUMNS)}")
    if national and (row.get("vali_flag") or "").strip() == "0":
        raise GongjiError("CATALOG_FIELD_INVALID", field="vali_flag", value="0 (withdrawn)")
    return make_item(
        med_list_codg=row.get("med_list_codg") or "", name=row.get("name") or "",
        list_type=row.get("list_type") or "", med_chrgitm_type=row.get("med_chrgitm_type") or "",
        chrgitm_lv=row.get("chrgitm_lv") or "", selfpay_prop=row.get("selfpay_prop") or "",
        pric_uplmt_amt=_amount(row.get("pric_uplmt_amt") or "") if national
        else (row.get("pric_uplmt_amt") or ""),
        lmt_used_flag=row.get("lmt_used_flag") or "0", spec=row.get("spec") or "",
        unit=row.get("unit") or "",
        begndate=_day(row.get("begndate"), begndate) or begndate,
        enddate=_day(row.get("enddate"), None), pack_cnt=row.get("pack_cnt") or "",
        otc_flag=row.get("otc_flag") or "")


@door
def import_rows(app: Gongji, who: Principal, admdvs: str,
                rows: Sequence[tuple[int, dict[str, str]]], *, begndate: date, version: str,
                national: bool = False,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row, then store the good ones in batches (a row replaces the item with
    the same region, code and start date). Rejected rows are reported, never half-stored."""
    require_operator(who)
    check_region(app, admdvs)
    report = ImportReport()
    good: list[CatalogItem] = []
    seen: set[tuple[str, date]] = set()
    for line, row in rows:
        try:
            item = to_item(row, begndate=begndate, national=national)
            if (item.med_list_codg, item.begndate) in seen:
                raise GongjiError("CATALOG_FIELD_INVALID", field="med_list_codg",
                                  value=f"{item.med_list_codg} twice in the file")
            seen.add((item.med_list_codg, item.begndate))
            good.append(item)
        except GongjiError as e:
            report.rejected.append((line, e.code, e.message_en))
            report.refusals.append((line, e))
            if progress:
                progress(1)
    for start in range(0, len(good), BATCH):
        chunk = good[start:start + BATCH]
        app.transact(who, partial(_store, admdvs=admdvs, items=chunk, version=version))
        report.imported += len(chunk)
        if progress:
            progress(len(chunk))
    return report


@door
def import_text(app: Gongji, who: Principal, admdvs: str, text: str, *, fmt: str,
                begndate: date, version: str) -> ImportReport:
    """An uploaded file's text: "csv" (our header) or "tsv" (the national download)."""
    return import_rows(app, who, admdvs, parse_text(text, fmt), begndate=begndate,
                       version=version[:40], national=fmt == "tsv")


@door
def prepare_import(app: Gongji, who: Principal, admdvs: str, text: str, *, fmt: str,
                   begndate: date | None) -> Prepared:
    """Read the file and check the region before the import starts (the rows themselves are
    checked one by one as they are imported); begndate defaults to today."""
    require_operator(who)
    if not text.strip():
        raise GongjiError("VALIDATION_ERROR", fields="file (empty)")
    rows = parse_text(text, fmt)
    check_region(app, admdvs)
    return Prepared(admdvs, rows, begndate or app.clock.now().date(), fmt == "tsv")


@door
def import_file(app: Gongji, who: Principal, path: Path, *, admdvs: str, fmt: str,
                begndate: date | None, version: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """`gongji catalog import`: a CSV (our header) or the national TSV download; rows that
    name no start date start on begndate (default today). progress(done, total)."""
    if fmt not in ("csv", "tsv"):
        raise GongjiError("VALIDATION_ERROR", fields="format (csv or tsv)")
    rows = read_csv(path) if fmt == "csv" else read_tsv(path)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(rows))

    return import_rows(app, who, admdvs, rows, begndate=begndate or app.clock.now().date(),
                       version=version or path.name, national=fmt == "tsv", progress=tick)


def _store(uow: UnitOfWork, *, admdvs: str, items: list[CatalogItem], version: str) -> None:
    store.replace_items(uow.conn, admdvs, items, version=version, at=uow.now)
    uow.record("catalog.import", subject=admdvs, chain=admdvs if admdvs != NATIONAL else None,
               detail={"items": len(items), "version": version})


def lookup(uow: UnitOfWork, care_admdvs: str, codes: Iterable[str],
           day: date) -> dict[str, CatalogItem]:
    """The items in force in the care region on the day (region, else province, else
    national), for these codes."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    memo = ("catalog", f"{care_admdvs} {day} {' '.join(wanted)}")
    seen = uow.memo.get(memo)
    if seen is not None:  # a settlement looks its lines up when uploaded and when settled
        return dict(seen)
    scopes = list(reversed(layers(care_admdvs)))  # most specific first
    best: dict[str, tuple[int, date, StoredItem]] = {}
    for r in store.in_force(uow.conn, scopes, wanted, day):
        rank = scopes.index(r.admdvs)
        cur = best.get(r.med_list_codg)
        if cur is None or (rank, -r.begndate.toordinal()) < (cur[0], -cur[1].toordinal()):
            best[r.med_list_codg] = (rank, r.begndate, r)
    found = uow.memo[memo] = {code: r.item for code, (_, _, r) in best.items()}
    return dict(found)


@door
def search(app: Gongji, who: Principal, care_admdvs: str, text: str, day: date | None = None,
           *, limit: int = 50) -> list[CatalogItem]:
    """Items in force in a care region on a day (default today) whose name or code contains
    the text (public: any caller)."""
    return app.read(lambda uow: search_in(uow, care_admdvs, text, day or uow.today,
                                          limit=limit), principal=who)


def search_in(uow: UnitOfWork, care_admdvs: str, text: str, day: date, *,
              limit: int = 50) -> list[CatalogItem]:
    codes = store.codes_matching(uow.conn, layers(care_admdvs), text, limit=limit)
    found = lookup(uow, care_admdvs, codes, day)
    return [found[c] for c in sorted(found)]


@door
def loaded_at(app: Gongji) -> datetime | None:
    """When the catalog was last imported into (None: never)."""
    return app.read_conn(store.latest_import)


# -- the national catalog downloads (1301, 1305, 1306) -----------------------------------------

@door
def download(app: Gongji, who: Principal, infno: str, list_type: str, ver: str = ""
             ) -> Download:
    """One list type's items newer than ver, as a zip of tab-separated text (our reading of
    the national download format, docs/GATEWAY.md), stored for 9102."""
    require_institution(who)

    def run(uow: UnitOfWork) -> Download:
        rows = store.of_list_type(uow.conn, list_type)
        versions = [f"{r.imported_at:%Y%m%d%H%M%S}" for r in rows]
        latest = max(versions, default="0")
        lines = []
        for r, v in zip(rows, versions, strict=True):
            if v <= ver:
                continue
            cap = "" if r.pric_uplmt_amt is None else format_yuan(r.pric_uplmt_amt)
            lines.append("\t".join([
                r.med_list_codg, r.name, r.list_type, r.med_chrgitm_type, r.chrgitm_lv,
                "" if r.chrgitm_lv != "02" else r.selfpay_prop, cap,
                "1" if r.lmt_used_flag else "0", r.spec, r.unit,
                f"{r.begndate:%Y-%m-%d} 00:00:00",
                f"{r.enddate:%Y-%m-%d} 00:00:00" if r.enddate else "", "1"]))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{infno}_{latest}.txt", "\n".join(lines))
        stored = files.store_in(uow, who.id, f"{infno}_{latest}.zip", buffer.getvalue())
        return Download(stored.file_qury_no, stored.filename, latest, len(lines))

    return app.transact(who, run)


# -- the disease list downloads (1307, 1309) ------------------------------------------------------

@door
def download_diseases(app: Gongji, who: Principal, infno: str, kind: str, ver: str = ""
                      ) -> Download:
    """A disease list newer than ver as a zip of tab-separated text, stored for 9102: chronic
    is gongji's list of chronic/special diseases (OPSP_COLUMNS), diagnosis the ICD-10
    list, which gongji does not keep: its file is a valid empty one."""
    require_institution(who)
    if kind not in DISEASE_LISTS:
        raise GongjiError("VALIDATION_ERROR", fields=f"kind ({', '.join(DISEASE_LISTS)})")

    def run(uow: UnitOfWork) -> Download:
        lines: list[str] = []
        latest = "0"
        if kind == "chronic":
            latest = CHRONIC_LIST_VER
            if ver < CHRONIC_LIST_VER:
                lines = ["\t".join(_opsp_row(code, name.zh)) for code, name in
                         CHRONIC_DISEASES.items()]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{infno}_{latest}.txt", "\n".join(lines))
        stored = files.store_in(uow, who.id, f"{infno}_{latest}.zip", buffer.getvalue())
        return Download(stored.file_qury_no, stored.filename, latest, len(lines))

    return app.transact(who, run)


def _opsp_row(code: str, name: str) -> list[str]:
    v = CHRONIC_LIST_VER
    stamp = f"{v[:4]}-{v[4:6]}-{v[6:8]} {v[8:10]}:{v[10:12]}:{v[12:14]}"
    values = {"opsp_dise_code": code, "admdvs": NATIONAL, "vali_flag": "1", "rid": code,
              "crte_time": stamp, "updt_time": stamp, "ver": CHRONIC_LIST_VER,
              "ver_name": "gongji", "opsp_dise_name": name}
    return [values.get(c, "") for c in OPSP_COLUMNS]
