"""Every error leaves the REST API as {code, message, message_en, detail}, from the registry."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gongji.domain.errors import GongjiError
from gongji.domain.privacy import scrub
from gongji.logs import request_id

log = logging.getLogger("gongji.api")

# Chinese for the validation errors pydantic raises most (English comes from pydantic itself).
_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "datetime_type": "应为时间",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "timezone_aware": "时间必须带时区，如 2026-11-24T22:00:00+08:00",
    "date_parsing": "日期格式不正确",
    "json_invalid": "请求体不是合法的 JSON",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "greater_than": "取值过小",
    "greater_than_equal": "取值过小",
    "less_than": "取值过大",
    "less_than_equal": "取值过大",
}


FHIR_PREFIX = "/fhir/"


def error_response(err: GongjiError, headers: dict[str, str] | None = None,
                   request: Request | None = None) -> Response:
    """The error body; under /fhir/ an OperationOutcome (same status, the code in details)."""
    if request is not None and request.url.path.startswith(FHIR_PREFIX):
        from gongji.services.fhir import service as fhir

        return Response(fhir.render(fhir.outcome(err)), status_code=err.spec.http_status,
                        headers=headers, media_type=fhir.MEDIA_TYPE)
    return JSONResponse(err.body(), status_code=err.spec.http_status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "(body)"


def validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """One body for all field errors; a single money error keeps its own code."""
    fields = []
    for e in errors:
        ctx = e.get("ctx") or {}
        fields.append({
            "field": _field(tuple(e.get("loc", ()))),
            "code": ctx.get("code", "VALIDATION_ERROR"),
            "message": ctx.get("zh") or _ZH.get(e.get("type", ""), "不合法"),
            "message_en": e.get("msg", "invalid"),
        })
    names = ", ".join(f["field"] for f in fields)
    if len(fields) == 1 and fields[0]["code"] != "VALIDATION_ERROR":
        f = fields[0]
        return {"code": f["code"], "message": f["message"], "message_en": f["message_en"],
                "detail": {"fields": fields}}
    err = GongjiError("VALIDATION_ERROR", fields=names)
    return {**err.body(), "detail": {"fields": fields}}


def install(app: FastAPI) -> None:
    @app.exception_handler(GongjiError)
    async def _gongji(_req: Request, exc: GongjiError) -> Response:
        return error_response(exc, request=_req)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> Response:
        body = validation_body(list(exc.errors()))
        if _req.url.path.startswith(FHIR_PREFIX):
            return error_response(GongjiError("VALIDATION_ERROR", fields=", ".join(
                f["field"] for f in body["detail"]["fields"])), request=_req)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            err = GongjiError("NOT_FOUND", what=scrub(_req.url.path))  # never echo an ID
        elif exc.status_code == 405:
            err = GongjiError("METHOD_NOT_ALLOWED")
        elif exc.status_code == 401:
            err = GongjiError("UNAUTHENTICATED")
        elif exc.status_code == 403:
            err = GongjiError("FORBIDDEN")
        else:
            body = {"code": f"HTTP_{exc.status_code}", "message": str(exc.detail),
                    "message_en": str(exc.detail), "detail": {}}
            return JSONResponse(body, status_code=exc.status_code)
        return error_response(err, headers=getattr(exc, "headers", None), request=_req)

    @app.exception_handler(Exception)
    async def _bug(req: Request, exc: Exception) -> Response:
        rid = getattr(req.state, "request_id", None) or request_id.get()
        log.exception("unhandled error [%s]", rid)
        return error_response(GongjiError("INTERNAL", request_id=rid),
                              headers={"X-Request-ID": rid}, request=req)
