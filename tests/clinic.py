"""Institutions, a small hand-made catalog and helpers to run visits, for settlement tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import count

from gongji.domain.clock import business_date
from gongji.services.catalog import service as catalog
from gongji.services.filing import service as filing
from gongji.services.institutions import service as institutions
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.unit_of_work import Principal
from tests.conftest import OPERATOR
from tests.family import Family, key

HOSPITAL = "H51010000001"    # tertiary, Chengdu
CLINIC = "H51010000002"      # community, Chengdu
PHARMACY = "P51010000001"    # Chengdu
HENAN_PHARMACY = "P41130000001"
HENAN_HOSPITAL = "H41130000001"

S_A = "310000000000001"              # a treatment, class A (甲), no cap
S_B = "330000000000001"              # a surgery, class B (乙) 10%, cap 5000.00
D_B = "XA02BCA010A001010100001"      # a drug, class B 10%, cap 28.00
D_C = "XA11HAA040B004010300001"      # a drug, class C (丙)
D_L = "XL01XCA010A001010100001"      # a limited-use drug, class B 20%

CATALOG_CSV = [
    {"med_list_codg": S_A, "name": "治疗A", "list_type": "201", "med_chrgitm_type": "05",
     "chrgitm_lv": "01", "selfpay_prop": "", "pric_uplmt_amt": "", "lmt_used_flag": "0"},
    {"med_list_codg": S_B, "name": "手术B", "list_type": "201", "med_chrgitm_type": "06",
     "chrgitm_lv": "02", "selfpay_prop": "0.10", "pric_uplmt_amt": "5000.00",
     "lmt_used_flag": "0"},
    {"med_list_codg": D_B, "name": "乙类药", "list_type": "101", "med_chrgitm_type": "09",
     "chrgitm_lv": "02", "selfpay_prop": "0.10", "pric_uplmt_amt": "28.00",
     "lmt_used_flag": "0"},
    {"med_list_codg": D_C, "name": "丙类药", "list_type": "101", "med_chrgitm_type": "09",
     "chrgitm_lv": "03", "selfpay_prop": "", "pric_uplmt_amt": "", "lmt_used_flag": "0"},
    {"med_list_codg": D_L, "name": "限用药", "list_type": "101", "med_chrgitm_type": "09",
     "chrgitm_lv": "02", "selfpay_prop": "0.20", "pric_uplmt_amt": "", "lmt_used_flag": "1"},
]

_codes = count(1)


def trace() -> str:
    """A fresh 20-digit 码上放心 code."""
    return f"8{next(_codes):019d}"


@dataclass
class Clinic:
    app: Gongji
    fam: Family

    def inst(self, code: str) -> Principal:
        return Principal("institution", code)

    def visit(self, name: str, *, at: str = HOSPITAL, med_type: str = "21",
              insutype: str | None = None, credential: svc.Credential | None = None,
              dise_codg: str | None = None) -> svc.VisitView:
        m = self.fam[name]
        cred = credential or svc.Credential("02", m.certno)
        ins = insutype or ("310" if name in ("张伟", "王芳", "张丽", "林华") else "390")
        return svc.open_visit(self.app, self.inst(at), key("v"), svc.OpenVisit(
            credential=cred, insutype=ins, med_type=med_type, dise_codg=dise_codg)).value

    def file_away(self, name: str, province: str) -> None:
        """A temporary filing for care in another province (unfiled, it is not settled
        directly); other_temporary takes the same 20 points the unfiled reduction took."""
        m = self.fam[name]
        filing.file(self.app, m.who, key("fl"), m.psn_no, filing.File(
            "other_temporary", province, business_date(self.app.clock.now())))

    def fees(self, v: svc.VisitView, *lines: tuple[str, str, str] | svc.FeeIn
             ) -> list[svc.LineView]:
        return svc.upload_fees(self.app, self.inst(v.fixmedins_code), key("f"), v.mdtrt_id,
                               tuple(self.line(x, i) for i, x in enumerate(lines))).value.lines

    @staticmethod
    def line(x: tuple[str, str, str] | svc.FeeIn, i: int = 0) -> svc.FeeIn:
        if isinstance(x, svc.FeeIn):
            return x
        code, cnt, pric = x
        fee = int((Decimal(cnt) * Decimal(pric) * 100).quantize(Decimal(1), ROUND_HALF_UP))
        codes: tuple[str, ...] = ()
        if code.startswith(("X", "Z")):
            codes = tuple(trace() for _ in range(int(Decimal(cnt))))
        return svc.FeeIn(f"{i + 1}", code, cnt, pric, fee, trace_codes=codes)

    def ask(self, name: str, **kw: object) -> svc.SettleAsk:
        return svc.SettleAsk(credential=svc.Credential("02", self.fam[name].certno),
                             **kw)  # type: ignore[arg-type]

    def settle(self, v: svc.VisitView, name: str, **kw: object) -> svc.SettlementView:
        return svc.settle(self.app, self.inst(v.fixmedins_code), key("s"), v.mdtrt_id,
                          self.ask(name, **kw)).value

    def pre(self, v: svc.VisitView, name: str, **kw: object) -> svc.SettlementView:
        return svc.pre_settle(self.app, self.inst(v.fixmedins_code), v.mdtrt_id,
                              self.ask(name, **kw))


def open_clinic(fam: Family) -> Clinic:
    app = fam.app
    for code, name, level, admdvs in (
            (HOSPITAL, "成都共济医院", "3", "510100"), (CLINIC, "社区卫生服务中心", "1", "510100"),
            (PHARMACY, "成都大药房", "0", "510100"), (HENAN_PHARMACY, "南阳大药房", "0", "411300"),
            (HENAN_HOSPITAL, "南阳医院", "2", "411300")):
        institutions.register(app, OPERATOR, key("i"),
                              institutions.RegisterInstitution(code, name, level, admdvs))
    report = catalog.import_rows(app, OPERATOR, "000000",
                                 [(i, r) for i, r in enumerate(CATALOG_CSV, start=2)],
                                 begndate=date(2024, 1, 1), version="test")
    assert report.imported == len(CATALOG_CSV), report.rejected
    return Clinic(app, fam)
