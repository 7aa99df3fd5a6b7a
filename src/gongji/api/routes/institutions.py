"""Institutions and their keys (operators), the public lookup of institutions (where the
wallet is accepted), catalog import and search, trace-code query."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, Field

from gongji.api.deps import (
    IdempotencyKey,
    Institution,
    Operator,
    Person,
    Services,
    replay_header,
)
from gongji.api.types import PLAIN, Admdvs, Day, In, YuanOut
from gongji.domain.access import ANONYMOUS
from gongji.domain.catalog import ratio_text
from gongji.services.catalog import service as catalog
from gongji.services.institutions import service as institutions
from gongji.services.institutions.model import MAX_PAGE, MAX_PER_PAGE, PER_PAGE, Lookup
from gongji.services.tracing import service as tracing

router = APIRouter(prefix="/api/v1", tags=["institutions and catalog"])


class InstitutionIn(In):
    fixmedins_code: Annotated[str, PLAIN] = Field(pattern=r"^[HP][0-9]{11}$",
                                description="H + 11 digits hospital, P + 11 digits pharmacy")
    fixmedins_name: str = Field(min_length=1, max_length=200)
    hosp_lv: Literal["0", "1", "2", "3"] = Field(description="3 tertiary ... 0 pharmacy")
    admdvs: Admdvs
    wallet_supported: bool = True


class InstitutionOut(BaseModel):
    fixmedins_code: str
    fixmedins_name: str
    fixmedins_type: str
    hosp_lv: str
    admdvs: str
    wallet_supported: bool


class KeyOut(BaseModel):
    key_id: str
    fixmedins_code: str
    secret: str = Field(description="Shown once: sign requests with it (hex)")


@router.post("/institutions", status_code=status.HTTP_201_CREATED,
             response_model=InstitutionOut, summary="Register a designated institution")
def register(body: InstitutionIn, who: Operator, services: Services, response: Response,
             key: IdempotencyKey = None) -> InstitutionOut:
    w = institutions.register(services, who, key,
                              institutions.RegisterInstitution(**body.model_dump()))
    replay_header(response, w)
    return InstitutionOut(**{f: getattr(w.value, f) for f in InstitutionOut.model_fields})


class InstitutionPageOut(BaseModel):
    items: list[InstitutionOut]
    page: int
    per_page: int
    total: int = Field(description="Institutions matching, on every page")


@router.get("/institutions", response_model=InstitutionPageOut,
            summary="Look up designated institutions (public): where the wallet is accepted, "
            "by area and name, sorted by name, a page at a time")
def lookup_institutions(
        services: Services,
        wallet: Annotated[bool | None, Query(
            description="true: those that take the wallet (医保钱包); false: those that do "
            "not; absent: all")] = None,
        admdvs: Annotated[str | None, Query(
            max_length=6, description="A province (2 digits, or its code ending 0000), a "
            "city (4 digits, or its code ending 00) or one admdvs (6 digits); else "
            "AREA_INVALID",
            examples=["51"])] = None,
        q: Annotated[str | None, Query(max_length=50,
                                       description="A fragment of the name")] = None,
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = PER_PAGE,
) -> InstitutionPageOut:
    found = institutions.lookup(services, ANONYMOUS, Lookup(
        wallet=wallet, area=admdvs or "", q=q or "", page=page, per_page=per_page))
    return InstitutionPageOut(
        items=[InstitutionOut(**{f: getattr(i, f) for f in InstitutionOut.model_fields})
               for i in found.institutions],
        page=found.page, per_page=found.per_page, total=found.total)


@router.post("/institutions/{code}/keys", status_code=status.HTTP_201_CREATED,
             response_model=KeyOut, summary="A new API key; the secret is shown once")
def create_key(code: str, who: Operator, services: Services) -> KeyOut:
    k = institutions.create_key(services, who, code)
    return KeyOut(key_id=k.key_id, fixmedins_code=k.fixmedins_code, secret=k.secret)


class ImportOut(BaseModel):
    imported: int
    rejected: list[dict[str, object]]


class ItemOut(BaseModel):
    med_list_codg: str
    name: str
    list_type: str
    med_chrgitm_type: str
    chrgitm_lv: str
    selfpay_prop: str
    pric_uplmt_amt: YuanOut | None
    lmt_used_flag: bool
    spec: str
    unit: str
    begndate: date
    enddate: date | None


@router.post("/catalog/{admdvs}/import", response_model=ImportOut,
             summary="Import catalog items (CSV with a header, or the national TSV)")
def import_catalog(admdvs: str, who: Operator, services: Services,
                   text: Annotated[str, Body(media_type="text/csv")],
                   begndate: Day,
                   version: Annotated[str, Query(max_length=40)] = "upload",
                   format: Literal["csv", "tsv"] = "csv") -> ImportOut:
    report = catalog.import_text(services, who, admdvs, text, fmt=format, begndate=begndate,
                                 version=version)
    return ImportOut(imported=report.imported,
                     rejected=[{"line": ln, "code": c, "message": m}
                               for ln, c, m in report.rejected])


@router.get("/catalog/{admdvs}/items", response_model=list[ItemOut],
            summary="Search the catalog in force in a care region (region, province, national)")
def search_catalog(admdvs: Admdvs, services: Services,
                   q: Annotated[str, Query(min_length=1, max_length=50)],
                   day: Day | None = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[ItemOut]:
    return [ItemOut(med_list_codg=i.med_list_codg, name=i.name, list_type=i.list_type,
                    med_chrgitm_type=i.med_chrgitm_type, chrgitm_lv=i.chrgitm_lv,
                    selfpay_prop=ratio_text(i.selfpay_prop), pric_uplmt_amt=i.pric_uplmt_amt,
                    lmt_used_flag=i.lmt_used_flag, spec=i.spec, unit=i.unit,
                    begndate=i.begndate, enddate=i.enddate)
            for i in catalog.search(services, ANONYMOUS, admdvs, q, day, limit=limit)]


class TraceQueryIn(In):
    code: str = Field(min_length=8, max_length=128, description="A drug trace code as scanned")


class TraceQueryOut(BaseModel):
    outcome: Literal["unsold", "sold_once", "sold_split", "sold_to_you", "sold_to_other",
                     "sold_more_than_once"] = Field(
        description="To anyone: unsold (no record: check again in two days, then report), "
        "sold_once (a sale record exists: check it was you), sold_split (split sales within "
        "the box), sold_more_than_once. To a signed-in person, sold_to_you or sold_to_other "
        "in place of sold_once and sold_split.")
    message: str
    message_en: str
    kind: str
    expiry: date | None


@router.post("/trace-codes/query", response_model=TraceQueryOut, tags=["trace codes"],
             summary="Public check of a drug trace code: the official neutral outcomes")
def query_trace(body: TraceQueryIn, services: Services) -> TraceQueryOut:
    return _out(tracing.query(services, ANONYMOUS, body.code))


@router.post("/me/trace-codes/query", response_model=TraceQueryOut, tags=["trace codes"],
             summary="Check a drug trace code as the logged-in person (sold to you?)")
def my_query_trace(body: TraceQueryIn, who: Person, services: Services) -> TraceQueryOut:
    return _out(tracing.query(services, who, body.code))


def _out(r: tracing.QueryResult) -> TraceQueryOut:
    return TraceQueryOut(outcome=r.outcome, message=r.message,
                         message_en=r.message_en, kind=r.kind, expiry=r.expiry)


class StockIn(In):
    med_list_codg: str = Field(min_length=1, max_length=30)
    quantity: int = Field(ge=1, le=tracing.MAX_STOCK, description="Boxes")
    bought_on: Day = Field(description="Bought before trace codes were required")


class StockOut(BaseModel):
    med_list_codg: str
    registered: int
    sold: str = Field(description="Boxes, exact (\"5/2\" after split sales)")
    left: str
    bought_on: date

    @classmethod
    def of(cls, v: tracing.StockView) -> StockOut:
        return cls(**{f: getattr(v, f) for f in cls.model_fields})


@router.post("/untraced-stock", status_code=status.HTTP_201_CREATED, response_model=StockOut,
             tags=["trace codes"],
             summary="Register stock bought before trace codes were required (无码库)")
def register_stock(body: StockIn, who: Institution, services: Services, response: Response,
                   key: IdempotencyKey = None) -> StockOut:
    w = tracing.register_stock(services, who, key, tracing.StockIn(
        body.med_list_codg, body.quantity, body.bought_on))
    replay_header(response, w)
    return StockOut.of(w.value)


@router.get("/untraced-stock", response_model=list[StockOut], tags=["trace codes"],
            summary="The institution's untraced stock: registered, sold, left")
def list_stock(who: Institution, services: Services) -> list[StockOut]:
    return [StockOut.of(v) for v in tracing.list_stock(services, who)]
