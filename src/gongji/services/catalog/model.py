"""What the catalog takes and gives: the columns of its files, an import's report, a file
checked for a background import, a national download stored for 9102. The items themselves
are domain.catalog's CatalogItem."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gongji.domain.errors import GongjiError

CSV_COLUMNS = ("med_list_codg", "name", "list_type", "med_chrgitm_type", "chrgitm_lv",
               "selfpay_prop", "pric_uplmt_amt", "lmt_used_flag", "spec", "unit")
"""Our CSV: a header with these names (begndate, enddate optional; pack_cnt optional, the
units in a drug's smallest box, 最小包装数量, for split sales; otc_flag optional, 1 for a
non-prescription drug 非处方药, 0 or empty for a prescription drug)."""

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


OPSP_COLUMNS = (
    "opsp_dise_code", "opsp_dise_majcls_name", "opsp_dise_subd_clss_name", "admdvs", "memo",
    "vali_flag", "rid", "crte_time", "updt_time", "crter_id", "crter_name", "crte_optins_no",
    "opter_id", "opter_name", "opt_time", "optins_no", "ver", "dise_cont", "ver_name",
    "trt_guide_pagen", "trt_guide_elecacs", "opsp_dise_name", "opsp_dise_majcls_code",
    "isu_flag", "tram_data_id", "efft_time", "invd_time")
"""The chronic/special disease list file (1309 via 9102): tab-separated, no header, the columns
of the national opsp_dise_list_b in its order (as two public HIS integrations store it);
what gongji has no value for is left empty."""

CHRONIC_LIST_VER = "20241201000000"
"""The version of gongji's chronic/special disease list (domain.filing.CHRONIC_DISEASES): the
ten diseases settled directly across provinces since December 2024."""

DISEASE_LISTS = ("chronic", "diagnosis")
"""The disease lists a download names: chronic (1309, gongji's list) and diagnosis (1307,
ICD-10: gongji keeps none, so its file is empty)."""
