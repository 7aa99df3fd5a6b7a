"""Liveness/readiness and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gongji.api.deps import Services
from gongji.api.observability import METRICS_REFUSALS, metrics_access
from gongji.domain.clock import display
from gongji.services.system import service as system

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Health: process up, database reachable, schema current")
def healthz(services: Services) -> Any:
    h = system.health(services)
    body: dict[str, Any] = {"status": h.status, "time": display(h.time),
                            "timezone": "Asia/Shanghai", "database": h.database,
                            "sandbox": h.sandbox}
    if h.schema is not None:
        body["schema"] = h.schema
    if h.schema_head is not None:
        body["schema_head"] = h.schema_head
    if h.error is not None:
        body["error"] = h.error
    return JSONResponse(body, status_code=200 if h.status == "ok" else 503)


@router.get("/metrics", summary="Prometheus metrics (an operator token unless GONGJI_METRICS "
                                "says public or off)", include_in_schema=True,
            responses=METRICS_REFUSALS, dependencies=[Depends(metrics_access)])
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
