"""Every error leaves the REST API as {code, message, message_en, detail}, from the registry."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import fastapi.routing
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from gongji.domain.edge import cut as cut_value
from gongji.domain.errors import GongjiError, echo, missing
from gongji.domain.privacy import scrub
from gongji.logs import request_id

log = logging.getLogger("gongji.api")

# Chinese for the validation errors pydantic raises most (English comes from pydantic itself).
_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "string_too_short": "太短：至少 {min_length} 个字符",
    "string_too_long": "太长：最多 {max_length} 个字符",
    "too_short": "太少：至少 {min_length} 项",
    "too_long": "太多：最多 {max_length} 项",
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
    "greater_than": "取值过小：应大于 {gt}",
    "greater_than_equal": "取值过小：应不小于 {ge}",
    "less_than": "取值过大：应小于 {lt}",
    "less_than_equal": "取值过大：应不大于 {le}",
}



FHIR_PREFIX = "/fhir/"

ECHO_MAX = 40
"""An error names a field or an id it refuses cut to this many characters, a value as typed to
20 (domain/errors.echo): a crafted request never comes back whole."""
FIELDS_MAX = 50
"""Field errors listed in one body; past it, detail.more says how many were left out."""


def cut(text: str, limit: int = ECHO_MAX) -> str:
    return cut_value(text, limit)


def shown(err: GongjiError) -> GongjiError:
    """The error as it may be shown: every echoed value cut short (domain/errors.echo)."""
    params = {k: echo(k, v) for k, v in err.params.items()}
    return err if params == err.params else GongjiError(err.code, **params)


def _zh(e: dict[str, Any]) -> str:
    """The Chinese for one pydantic error, its limits (max_length, gt...) filled in as the
    English states them."""
    ctx = e.get("ctx") or {}
    template = _ZH.get(e.get("type", ""), "不合法")
    try:
        return template.format(**{k: v for k, v in ctx.items() if k != "error"})
    except (KeyError, IndexError, ValueError):
        return template.split("：")[0]


def _empty(e: dict[str, Any]) -> bool:
    return e.get("type") == "missing" or (
        e.get("type") == "string_too_short" and e.get("input") == "")


def error_response(err: GongjiError, headers: dict[str, str] | None = None,
                   request: Request | None = None) -> Response:
    """The error body; under /fhir/ an OperationOutcome (same status, the code in details)."""
    err = shown(err)
    if request is not None and request.url.path.startswith(FHIR_PREFIX):
        from gongji.services.fhir import service as fhir

        return Response(fhir.render(fhir.outcome(err)), status_code=err.spec.http_status,
                        headers=headers, media_type=fhir.MEDIA_TYPE)
    return JSONResponse(err.body(), status_code=err.spec.http_status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return cut(".".join(parts)) or "(body)"


def validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """One body for all field errors; a single money error keeps its own code."""
    fields = []
    for e in errors[:FIELDS_MAX]:
        ctx = e.get("ctx") or {}
        zh, en = ctx.get("zh") or _zh(e), e.get("msg", "invalid")
        fields.append({
            "field": _field(tuple(e.get("loc", ()))),
            "code": ctx.get("code", "VALIDATION_ERROR"),
            "message": cut(zh, 300),
            "message_en": cut(en, 300),
        })
    more = {"more": len(errors) - FIELDS_MAX} if len(errors) > FIELDS_MAX else {}
    names = ", ".join(f["field"] for f in fields)
    if len(fields) == 1 and fields[0]["code"] != "VALIDATION_ERROR":
        f = fields[0]
        return {"code": f["code"], "message": f["message"], "message_en": f["message_en"],
                "detail": {"fields": fields}}
    empty = all(_empty(e) for e in errors[:FIELDS_MAX])
    err = shown(missing(names) if empty else GongjiError("VALIDATION_ERROR", fields=names))
    if len(fields) == 1 and not empty:  # one field: what is wrong with it, and its limit
        f = fields[0]
        return {"code": err.code, "message": f"{err.message}（{f['message']}）",
                "message_en": f"{err.message_en} ({f['message_en']})",
                "detail": {"fields": fields, **more}}
    return {**err.body(), "detail": {"fields": fields, **more}}


def unreadable_body(errors: list[dict[str, Any]]) -> GongjiError | None:
    """A body that never became a value (not JSON, not UTF-8) is one refusal, not a field
    error: BODY_NOT_JSON (with the position) or BODY_NOT_UTF8."""
    for e in errors:
        loc = tuple(e.get("loc", ()))
        if e.get("type") == "json_invalid":
            at = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
            # position: the parser's offset, as before; character: counted from 1, as a
            # person counts, for the message
            return GongjiError("BODY_NOT_JSON", position=at,
                               character=None if at is None else at + 1)
        if e.get("type") == "string_unicode" and loc[:1] == ("body",):
            return GongjiError("BODY_NOT_UTF8")
    return None


def _parse_failure(request: Request, cause: BaseException | None) -> GongjiError:
    """FastAPI's 400 "There was an error parsing the body", by what failed underneath."""
    if isinstance(cause, UnicodeDecodeError):
        return GongjiError("BODY_NOT_UTF8")
    kind = request.headers.get("content-type", "application/json").lower()
    if isinstance(cause, RecursionError | ValueError) and "json" in kind:
        return GongjiError("BODY_NOT_JSON")
    return GongjiError("BODY_UNREADABLE")


def routes_of(routes: Iterable[Any]) -> list[Any]:
    """Each route as served, its path with its router's prefix (FastAPI 0.165 keeps included
    routers whole: fastapi.routing.iter_route_contexts walks them; older ones flatten)."""
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(walk(routes)) if walk is not None else list(routes)


def allowed(request: Request) -> str:
    """Every method of the resource (Starlette's 405 names only those of the first route that
    matches the path, and here each method is a route of its own). The resource is the most
    literal template that matches: /api/v1/persons/lookup is the lookup (POST), not a person
    numbered "lookup"."""
    by_params: dict[int, set[str]] = {}
    for route in routes_of(request.app.router.routes):
        if getattr(route, "methods", None) and hasattr(route, "matches") \
                and route.matches(request.scope)[0] is not Match.NONE:
            params = str(getattr(route, "path_format", "")).count("{")
            by_params.setdefault(params, set()).update(route.methods)
    return ", ".join(sorted(by_params[min(by_params)])) if by_params else ""


def install(app: FastAPI) -> None:
    @app.exception_handler(GongjiError)
    async def _gongji(_req: Request, exc: GongjiError) -> Response:
        return error_response(exc, request=_req)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> Response:
        unreadable = unreadable_body(list(exc.errors()))
        if unreadable is not None:
            return error_response(unreadable, request=_req)
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
            return error_response(err, headers={**(exc.headers or {}), "Allow": allowed(_req)},
                                  request=_req)
        elif exc.status_code == 401:
            err = GongjiError("UNAUTHENTICATED")
        elif exc.status_code == 403:
            err = GongjiError("FORBIDDEN")
        elif exc.status_code == 400:
            err = _parse_failure(_req, exc.__cause__)
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
