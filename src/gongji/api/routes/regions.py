"""Regions, rollout flags and policy documents (reads are public; uploads are operators')."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel

from gongji.api.deps import IdempotencyKey, Operator, Services, replay_header
from gongji.api.types import Admdvs, Day
from gongji.domain.access import ANONYMOUS
from gongji.domain.errors import GongjiError
from gongji.domain.regions import province_of
from gongji.services.policy import service as policy
from gongji.services.regions import service as regions

router = APIRouter(prefix="/api/v1", tags=["regions and policy"])


class RegionOut(BaseModel):
    admdvs: str
    name: str
    name_en: str
    level: str
    province: str
    wallet_enabled: bool
    cross_province_mutual_aid: bool
    place_of_use_change: bool


def _out(f: regions.Rollout) -> RegionOut:
    r = f.region
    return RegionOut(admdvs=r.admdvs, name=r.name, name_en=r.name_en, level=r.level,
                     province=province_of(r.admdvs), wallet_enabled=f.wallet_enabled,
                     cross_province_mutual_aid=f.cross_province_mutual_aid,
                     place_of_use_change=f.place_of_use_change)


@router.get("/regions", response_model=list[RegionOut],
            summary="Provinces and pooling regions with today's rollout flags")
def list_regions(services: Services,
                 level: Annotated[str | None, Query(pattern="^(province|pooling)$")] = None
                 ) -> list[RegionOut]:
    return [_out(f) for f in regions.rollout(services, ANONYMOUS, level=level)]


@router.get("/regions/{admdvs}", response_model=RegionOut, summary="One region")
def get_region(admdvs: Admdvs, services: Services) -> RegionOut:
    return _out(regions.region(services, ANONYMOUS, admdvs))


@router.get("/regions/{admdvs}/policy", summary="The region's resolved policy on a day "
            "(national default, then province, then region); amounts in yuan")
def get_policy(admdvs: Admdvs, services: Services, day: Day | None = None) -> dict[str, Any]:
    e = policy.effective(services, ANONYMOUS, admdvs, day)
    return {"admdvs": admdvs, "day": e.day.isoformat(), "policy": e.document}


class PolicyCheckOut(BaseModel):
    ok: bool
    documents: int
    errors: list[str]


@router.post("/policies/check", response_model=PolicyCheckOut,
             summary="Validate a policy document (YAML) without storing it")
def check_policy(who: Operator, services: Services,
                 text: Annotated[str, Body(media_type="application/yaml",
                                           description="One or more YAML documents")]
                 ) -> PolicyCheckOut:
    try:
        docs = policy.check_text(services, who, text)
    except GongjiError as e:
        return PolicyCheckOut(ok=False, documents=0,
                              errors=list(e.params.get("errors") or [e.message_en]))
    return PolicyCheckOut(ok=True, documents=len(docs), errors=[])


class PolicyUploadOut(BaseModel):
    ids: list[str]


@router.post("/policies", status_code=status.HTTP_201_CREATED, response_model=PolicyUploadOut,
             summary="Store new policy versions (YAML); refused with every error by path")
def upload_policy(who: Operator, services: Services, response: Response,
                  text: Annotated[str, Body(media_type="application/yaml")],
                  key: IdempotencyKey = None) -> PolicyUploadOut:
    w = policy.upload_text(services, who, key, text)
    replay_header(response, w)
    return PolicyUploadOut(ids=w.value)
