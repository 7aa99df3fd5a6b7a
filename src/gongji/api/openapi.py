"""The OpenAPI as the server answers, so a generated client works (docs/ARCHITECTURE.md, "The
OpenAPI error contract").

FastAPI documents a 422 as its own HTTPValidationError and no other refusal. Here, in one
place, the document FastAPI builds is corrected from the routes themselves:

* every refusal is the `Error` schema, `{code, message, message_en, detail}` (api/errors.py);
  under /fhir/ an OperationOutcome (application/fhir+json) instead;
* each operation lists the refusals it can give, by what its route takes:
  413 always (a body over the limit is refused before routing);
  400 and 422 when it takes any input (a body that is not JSON, a bad Idempotency-Key, a
  field the rules refuse); 401 and 403 when it needs a caller; 404 and 409 when it names
  something (a path id, or a write's body) that may be missing or in the wrong state;
  503 when it reaches the database (UNAVAILABLE, retryable);
  and whatever the route declares itself (`responses=`: PIN_REFUSALS, OTP_REFUSALS);
* Idempotency-Key is required (with its pattern) wherever a route takes it: every such route
  writes through Gongji.write, which refuses a missing key (IDEMPOTENCY_KEY_MISSING);
* a signed institution request is a security scheme (X-Gongji-Key and friends);
* /metrics is Prometheus text, /healthz answers 503 with its own body.

A route that answers its refusals its own way says so with `openapi_extra={REFUSALS: [...]}`
(x-gongji-refusals, left in the document): exactly those statuses are documented (the national
interface: none, its envelope is HTTP 200; OAuth2: RFC 6749's 400).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST

from gongji.api import deps
from gongji.api.errors import FHIR_PREFIX, FIELDS_MAX, routes_of
from gongji.domain.ids import IDEMPOTENCY_KEY

REFUSALS = "x-gongji-refusals"
"""openapi_extra key: the exact refusal statuses of a route that answers its own way."""

ERROR_REF = {"$ref": "#/components/schemas/Error"}
OUTCOME_REF = {"$ref": "#/components/schemas/OperationOutcome"}
FHIR_MEDIA_TYPE = "application/fhir+json"
SIGNED = "InstitutionSignature"

WHY: dict[int, str] = {
    400: "The request could not be read: a body that is not JSON or not UTF-8 (BODY_NOT_JSON, "
         "BODY_NOT_UTF8), a missing or malformed Idempotency-Key (IDEMPOTENCY_KEY_MISSING, "
         "IDEMPOTENCY_KEY_INVALID)",
    401: "No caller, or credentials that do not hold (UNAUTHENTICATED, SIGNATURE_INVALID, ...)",
    403: "The caller may not do this (FORBIDDEN)",
    404: "Something the request names does not exist, or is not the caller's to see "
         "(NOT_FOUND, ...)",
    409: "The request conflicts with the state of what it names (INSUFFICIENT_FUNDS, "
         "WALLET_NOT_OPEN, ...) or reuses an Idempotency-Key with another body "
         "(IDEMPOTENCY_CONFLICT, naming the fields that differ)",
    413: "The body is over the limit (BODY_TOO_LARGE); the connection is closed",
    422: "A value is refused: detail.fields lists each field (VALIDATION_ERROR, or the one "
         "field's own code such as MONEY_ZERO); a value the rules refuse has its own code",
    423: "Locked (PIN_LOCKED: too many wrong PINs)",
    429: "Too many attempts: wait and retry",
    503: "The database is busy or unreachable (UNAVAILABLE): retry",
}

PIN_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "FORBIDDEN, or PIN_WRONG (detail.left: attempts left)"},
    409: {"description": "PIN_NOT_SET, or the state of what the request names"},
    423: {"description": "PIN_LOCKED (detail.until)"},
    429: {"description": "PIN_BUSY: other attempts with this PIN are being checked"},
}
"""`responses=` of a route that checks a payment PIN (pins.verify)."""

OTP_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "OTP_INVALID: the one-time code is wrong or expired"},
    429: {"description": "OTP_TOO_SOON, OTP_LOCKED, OTP_DAILY_LIMIT"},
}
"""`responses=` of a route that sends or checks a one-time login code."""

_AUTH = {deps.get_caller, deps.get_operator, deps.get_person, deps.get_institution,
         deps.get_signed_or_bearer}
_SIGNED = {deps.get_institution, deps.get_signed_or_bearer}
_WRITES = {"post", "put", "patch", "delete"}

ERROR_SCHEMAS: dict[str, Any] = {
    "Error": {
        "title": "Error",
        "description": "Every refusal: a stable code from the registry (domain/errors.py), "
                       "the message in Chinese and in English, and what it names.",
        "type": "object",
        "required": ["code", "message", "message_en", "detail"],
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$",
                     "description": "Stable: branch on this"},
            "message": {"type": "string", "description": "中文"},
            "message_en": {"type": "string"},
            "detail": {"$ref": "#/components/schemas/ErrorDetail"},
        },
    },
    "ErrorDetail": {
        "title": "ErrorDetail",
        "description": "The error's parameters (values it names, cut to 64 characters). A "
                       "refused request body or query lists its field errors in `fields`.",
        "type": "object",
        "additionalProperties": True,
        "properties": {
            "fields": {"anyOf": [
                {"type": "array", "maxItems": FIELDS_MAX,
                 "items": {"$ref": "#/components/schemas/FieldError"}},
                {"type": "string", "description": "the fields, named in words"}]},
            "more": {"type": "integer", "minimum": 1,
                     "description": "field errors left out past the first 50"},
        },
    },
    "FieldError": {
        "title": "FieldError",
        "type": "object",
        "required": ["field", "code", "message", "message_en"],
        "properties": {
            "field": {"type": "string", "description": "dotted path, e.g. lines.0.cnt"},
            "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
            "message": {"type": "string"},
            "message_en": {"type": "string"},
        },
    },
    "OperationOutcome": {
        "title": "OperationOutcome",
        "description": "A FHIR R4 OperationOutcome: the gongji error code in "
                       "issue[0].details.coding[0].code, Chinese in details.text, English in "
                       "diagnostics (http://hl7.org/fhir/R4/operationoutcome.html)",
        "type": "object",
        "required": ["resourceType", "issue"],
        "properties": {
            "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
            "issue": {"type": "array", "minItems": 1, "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"type": "string"},
                    "code": {"type": "string"},
                    "details": {"type": "object", "properties": {
                        "coding": {"type": "array", "items": {"type": "object", "properties": {
                            "system": {"type": "string"}, "code": {"type": "string"}}}},
                        "text": {"type": "string"}}},
                    "diagnostics": {"type": "string"},
                }}},
        },
    },
}

SIGNED_SCHEME = {
    "type": "apiKey", "in": "header", "name": "X-Gongji-Key",
    "description": "A designated institution's signed request: X-Gongji-Key (the key id), "
                   "X-Gongji-Timestamp, X-Gongji-Nonce and X-Gongji-Signature, an HMAC over the "
                   "method, path, timestamp, nonce and body (docs/ARCHITECTURE.md; "
                   "gongji.client.signing)",
}


def install(app: FastAPI) -> None:
    """Serve the corrected document at /openapi.json (and to app.openapi())."""
    built: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        schema = FastAPI.openapi(app)  # FastAPI's own, rebuilt when the routes change
        if not built or built[0] is not schema:
            truthful(schema, app.routes)
            built[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def truthful(schema: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    """Correct FastAPI's document in place from the routes (see the module docstring)."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update(ERROR_SCHEMAS)
    signed = False
    for route in routes_of(routes):
        if not isinstance(getattr(route, "original_route", route), APIRoute) \
                or not route.include_in_schema:
            continue
        calls = _calls(route.dependant)
        for method in route.methods:
            op = schema["paths"].get(route.path_format, {}).get(method.lower())
            if op is None:
                continue
            _key_required(op)
            if calls & _SIGNED:
                signed = True
                bearer = [s for s in op.get("security", []) if s]
                op["security"] = [*bearer, {SIGNED: []}] if deps.get_signed_or_bearer in calls \
                    else [{SIGNED: []}]
            _refusals(op, route, method.lower(), calls)
    if signed:
        components.setdefault("securitySchemes", {})[SIGNED] = SIGNED_SCHEME
    _own_answers(schema)
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)
    return schema


def _calls(dependant: Dependant) -> set[Callable[..., Any]]:
    out: set[Callable[..., Any]] = set()
    for d in dependant.dependencies:
        if d.call is not None:
            out.add(d.call)
        out |= _calls(d)
    return out


def _key_required(op: dict[str, Any]) -> None:
    for p in op.get("parameters", []):
        if p["in"] == "header" and p["name"] == "Idempotency-Key":
            p["required"] = True
            p["schema"] = {"type": "string", "title": "Idempotency-Key",
                           "pattern": f"^{IDEMPOTENCY_KEY.pattern}$",
                           "description": p["schema"].get("description", "")}


def _refusals(op: dict[str, Any], route: Any, method: str,
              calls: set[Callable[..., Any]]) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    declared = {int(s) for s in responses if s.isdigit() and s[0] in "45"}
    own = op.get(REFUSALS)
    if own is not None:
        statuses = set(own)
        for status in declared - statuses:
            del responses[str(status)]
    else:
        takes = bool(op.get("parameters") or op.get("requestBody"))
        names = "{" in route.path_format or (method in _WRITES and "requestBody" in op)
        statuses = {413} | declared
        statuses |= {400, 422} if takes else set()
        statuses |= {401, 403} if calls & _AUTH else set()
        statuses |= {404, 409} if names else set()
        statuses |= {503} if deps.get_services in calls else set()
    fhir = route.path_format.startswith(FHIR_PREFIX)
    for status in sorted(statuses):
        answer = responses.setdefault(str(status), {})
        outcome = fhir and status != 413  # 413 is refused before routing: JSON
        if answer.get("description") in (None, "", "Validation Error"):
            answer["description"] = WHY.get(status, "Refused") \
                + (", as an OperationOutcome" if outcome else "")
        _error_content(answer, outcome)
    if fhir and "4XX" in responses:
        responses["4XX"]["content"] = {FHIR_MEDIA_TYPE: {"schema": dict(OUTCOME_REF)}}
    op["responses"] = dict(sorted(responses.items()))


def _error_content(answer: dict[str, Any], fhir: bool) -> None:
    """The documented body of a refusal: what the route declared, else the Error schema (an
    OperationOutcome under /fhir/)."""
    content = answer.get("content") or {}
    given = {m: c for m, c in content.items() if c.get("schema")
             and "HTTPValidationError" not in str(c["schema"])}
    if given:
        answer["content"] = given
    elif fhir:
        answer["content"] = {FHIR_MEDIA_TYPE: {"schema": dict(OUTCOME_REF)}}
    else:
        answer["content"] = {"application/json": {"schema": dict(ERROR_REF)}}


def _own_answers(schema: dict[str, Any]) -> None:
    """Routes whose success is not JSON, or whose 503 is not an Error."""
    metrics = schema["paths"].get("/metrics", {}).get("get")
    if metrics is not None:
        media = CONTENT_TYPE_LATEST.split(";")[0].strip()
        metrics["responses"]["200"] = {
            "description": f"Prometheus text exposition ({CONTENT_TYPE_LATEST})",
            "content": {media: {"schema": {"type": "string"}}}}
    health = schema["paths"].get("/healthz", {}).get("get")
    if health is not None:
        health["responses"]["503"] = {
            "description": "Not ready (database unreachable or schema behind): the same body, "
                           "status not ok",
            "content": {"application/json": {"schema": {"type": "object"}}}}
