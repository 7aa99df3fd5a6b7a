"""Liveness/readiness and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from gongji.api.deps import Services
from gongji.domain.clock import display
from gongji.store import migrate

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Health: process up, database reachable, schema current")
def healthz(request: Request, services: Services) -> Any:
    body: dict[str, Any] = {"status": "ok", "time": display(services.clock.now()),
                            "timezone": "Asia/Shanghai",
                            "database": services.db.dialect,
                            "sandbox": bool(request.app.state.settings.sandbox)}
    try:
        with services.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        rev = migrate.current(services.db)
        body["schema"] = rev
        if rev != migrate.head():
            body["status"] = "degraded"
            body["schema_head"] = migrate.head()
    except Exception as exc:  # a health check reports; it never raises
        body["status"] = "down"
        body["error"] = exc.__class__.__name__
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=True)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
