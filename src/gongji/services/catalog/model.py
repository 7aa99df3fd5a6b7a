"""What the catalog takes and gives: the columns of its files, an import's report, a file
checked for a background import, a national download stored for 9102. The items themselves
are domain.catalog's CatalogItem."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gongji.domain.errors import GongjiError

CSV_COLUMNS = ("med_list_codg", "name", "list_type", "med_chrgitm_type", "chrgitm_lv",
               "selfpay_prop", "pric_uplmt_amt", "lmt_used_flag", "spec", "unit")
"""Our CSV: a header with these names (begndate, enddate optional)."""

TSV_COLUMNS = (*CSV_COLUMNS, "begndate", "enddate", "vali_flag")
"""Our reading of the national catalog download (1301/1305/1306 via 9102): tab-separated, no
header, these fields in this order; amounts as plain 16,2 numbers; dates as yyyy-MM-dd
(a time part is ignored); vali_flag 1 valid, 0 withdrawn. See docs/GATEWAY.md."""

BATCH = 500
"""Items stored per transaction of an import."""


@dataclass
class ImportReport:
    """What an import did. Filled in as the import goes (so neither frozen nor slotted)."""

    imported: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    """(line, code, message) per refused row."""
    refusals: list[tuple[int, GongjiError]] = field(default_factory=list)
    """(line, error) per refused row: the same, for pages that speak both languages."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A file checked for an import that runs in the background (the console)."""

    admdvs: str
    rows: list[tuple[int, dict[str, str]]]
    begndate: date
    national: bool


@dataclass(frozen=True, slots=True)
class Download:
    file_qury_no: str
    filename: str
    ver: str
    """The newest item's import time (yyyyMMddHHmmss): the next download asks for newer."""
    count: int
