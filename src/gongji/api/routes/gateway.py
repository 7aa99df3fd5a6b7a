"""The national interface: POST .../callService (every transaction by infno) at each path HIS
vendors compile in (settings.gateway_paths), and the file pair beside each.

Every answer is the response envelope with HTTP 200, success or not (as the national platform
does): infcode 0 or -1 (a string for an institution whose profile says so), err_msg in Chinese
with the stable code, plus err_code and err_msg_en as extensions. How a request is
authenticated is the institution's transport profile: gongji HMAC (X-Gongji-*), TIF headers,
service-bus `_api_*` headers, or an OAuth2 Bearer token; encrypted institutions send SM4
ciphertext signed with SM2 (docs/GATEWAY.md).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gongji.api.deps import Services
from gongji.api.openapi import REFUSALS
from gongji.domain.errors import GongjiError
from gongji.gateway import encrypted, jsonio
from gongji.gateway import envelope as env_mod
from gongji.gateway.fields import Deviation, collecting
from gongji.gateway.transactions import HANDLERS, Ctx, needs_sign_in
from gongji.logs import request_id
from gongji.metrics import GATEWAY_CALLS
from gongji.services.conformance import service as conformance
from gongji.services.conformance.model import Observed
from gongji.services.signin import service as signin
from gongji.services.transport import service as transport
from gongji.services.transport.model import Admitted, SmKeys

log = logging.getLogger("gongji.gateway")

ENVELOPE: dict[str, Any] = {REFUSALS: []}
"""OpenAPI: every refusal comes in the envelope with HTTP 200 (infcode -1), none as a 4xx."""


class OAuthError(BaseModel):
    """RFC 6749 5.2 (`error`, `error_description`) beside gongji's error body."""

    error: str | None = Field(None, description="Absent only when the body could not be read "
                              "at all (BODY_UNREADABLE)")
    error_description: str | None = None
    code: str
    message: str
    message_en: str
    detail: dict[str, Any]


DOC = ("The national interface envelope (see docs/GATEWAY.md): a JSON object with infno, "
       "msgid, fixmedins_code, inf_time, opter_type, opter, sign_no and input.")


async def _call(request: Request, services: Any, *, only: set[str] | None = None
                ) -> tuple[dict[str, Any], Any]:
    received = services.clock.now()
    raw = await request.body()
    with collecting() as seen:
        admitted, env, obj, signer, output, error = await run_in_threadpool(
            _serve, services, {k.lower(): v for k, v in request.headers.items()},
            request.method, request.url.path, raw, only)
    body = env_mod.respond(env=env, received=received, now=services.clock.now(),
                           output=output, error=error,
                           infcode_as=admitted.profile.infcode_as if admitted else "number")
    GATEWAY_CALLS.labels(env.infno if env else "-", str(body["infcode"])).inc()
    if admitted is not None:
        await run_in_threadpool(_note, services, admitted, request.url.path, obj, raw, env,
                                seen, error)
    if signer is not None:
        body = encrypted.seal_answer(body, signer)
    return body, output


Served = tuple[Admitted | None, env_mod.Envelope | None, Any, SmKeys | None, Any,
               GongjiError | None]
"""admitted, envelope, the message as read, the encrypted sender's keys, output, refusal."""


def _serve(services: Any, headers: dict[str, str], method: str, path: str, raw: bytes,
           only: set[str] | None) -> Served:
    """One message in one thread, so that the transport's nonce commits with the handler's
    write (services.riding: one commit per message, not two)."""
    admitted: Admitted | None = None
    env: env_mod.Envelope | None = None
    obj: Any = None
    signer: SmKeys | None = None
    output: Any = None
    try:
        with services.riding():
            admitted = transport.admit(services, headers=headers, method=method, path=path,
                                       body=raw)
            try:
                obj = jsonio.loads(raw)
            except jsonio.TooDeep as e:
                raise GongjiError("GATEWAY_BODY_TOO_DEEP", limit=e.limit) from None
            except ValueError:
                raise GongjiError("GATEWAY_BODY_INVALID") from None
            obj, signer = _open(obj, admitted)
            env = env_mod.parse(obj, only or set(HANDLERS), _relay(admitted, services))
            if env.fixmedins_code != admitted.principal.id:
                raise GongjiError("GATEWAY_INSTITUTION_MISMATCH")
            if needs_sign_in(env.infno):
                signin.check(services, admitted.principal, env.sign_no)
            output = HANDLERS[env.infno](Ctx(services, admitted.principal, env))
    except GongjiError as e:
        return admitted, env, obj, signer, None, e
    except Exception:  # never a 500: the HIS always gets an envelope
        log.exception("gateway failure")
        return admitted, env, obj, signer, None, GongjiError("INTERNAL",
                                                              request_id=request_id.get())
    return admitted, env, obj, signer, output, None


def _open(obj: Any, admitted: Admitted) -> tuple[Any, SmKeys | None]:
    """A plain message as it is; an encrypted one opened (its institution must have keys)."""
    if encrypted.is_encrypted(obj):
        if not admitted.profile.encrypted:
            raise GongjiError("TRANSPORT_ENCRYPTION_NOT_SET", enc_type=str(obj["enc_type"])[:10])
        return encrypted.open_message(obj, admitted.sm)
    if admitted.profile.encrypted:
        raise GongjiError("TRANSPORT_ENCRYPTION_REQUIRED")
    return obj, None


def _relay(admitted: Admitted, services: Any) -> env_mod.Relay | None:
    if not admitted.profile.relay:
        return None
    return env_mod.Relay(admitted.principal.id, admitted.fixmedins_name, admitted.admdvs,
                         admitted.profile.relay_opter, services.clock.now())


def _note(services: Any, admitted: Admitted, path: str, obj: Any, raw: bytes,
          env: env_mod.Envelope | None, seen: Iterable[Deviation],
          error: GongjiError | None) -> None:
    """The conformance trail (written only while the institution's record mode is on): the
    request as read (a body that is not JSON as its text), masked by the trail itself."""
    raw_text = raw[:65536].decode("utf-8", "replace")
    field = error.params.get("field") if error is not None else None
    infno = env.infno if env else (obj.get("infno") if isinstance(obj, dict) else None)
    msgid = env.msgid if env else (obj.get("msgid") if isinstance(obj, dict) else None)
    conformance.note(
        services, fixmedins_code=admitted.principal.id,
        infno=str(infno)[:4] if infno is not None else None,
        msgid=str(msgid)[:30] if msgid is not None else None, path=path,
        scheme=admitted.scheme, deviations=[Observed(d.field, d.zh, d.en) for d in seen],
        refusal_code=error.code if error else None,
        refusal_field=str(field) if field is not None else None,
        infcode=-1 if error else 0, raw=obj if obj is not None else raw_text,
        refusal_zh=error.message if error else None,
        refusal_en=error.message_en if error else None)


def router_for(call_paths: Iterable[str]) -> APIRouter:
    """The national interface at each callService path, and 9101/9102 beside each."""
    router = APIRouter(tags=["national interface"])

    async def call_service(request: Request, services: Services) -> Response:
        body, _ = await _call(request, services)
        return Response(jsonio.dumps(body), media_type="application/json")

    async def file_upload(request: Request, services: Services) -> Response:
        body, _ = await _call(request, services, only={"9101"})
        return Response(jsonio.dumps(body), media_type="application/json")

    async def file_download(request: Request, services: Services) -> Response:
        body, output = await _call(request, services, only={"9102"})
        if body["infcode"] in (0, "0") and output and body.get("enc_type") is None:
            return Response(base64.b64decode(output["content"]),
                            media_type="application/octet-stream")
        return Response(jsonio.dumps(body), media_type="application/json")

    prefixes: list[str] = []
    for i, path in enumerate(call_paths):
        extra = i > 0  # the national path is documented; the others are aliases
        router.add_api_route(path, call_service, methods=["POST"], include_in_schema=not extra,
                             summary="National interface: every transaction by infno",
                             description=DOC, name=f"call_service_{i}",
                             openapi_extra=ENVELOPE)
        prefix = path.rsplit("/", 2)[0]
        if prefix not in prefixes:
            prefixes.append(prefix)
            router.add_api_route(f"{prefix}/fileupload/upload", file_upload, methods=["POST"],
                                 include_in_schema=not extra, summary="File upload (9101)",
                                 description=DOC, name=f"file_upload_{i}",
                                 openapi_extra=ENVELOPE)
            router.add_api_route(f"{prefix}/fileupload/download", file_download,
                                 methods=["POST"], include_in_schema=not extra,
                                 summary="File download (9102): the bytes, or the envelope "
                                 "with infcode -1", description=DOC, name=f"file_download_{i}",
                                 openapi_extra=ENVELOPE, responses={200: {"content": {
                                     "application/octet-stream": {"schema": {
                                         "type": "string", "format": "binary"}}}}})

    @router.post("/auth/oauth/token", tags=["national interface"],
                 summary="OAuth2 password grant (RFC 6749 4.3) for institutions whose "
                 "transport is oauth2", response_model=None,
                 responses={400: {"model": OAuthError,
                                  "description": "RFC 6749 5.2: invalid_grant and friends"}},
                 openapi_extra={REFUSALS: [400, 413, 422, 503]})
    async def oauth_token(services: Services,
                          grant_type: Annotated[str, Form(max_length=40)] = "",
                          username: Annotated[str, Form(max_length=64)] = "",
                          password: Annotated[str, Form(max_length=128)] = ""
                          ) -> JSONResponse:
        """Answers as RFC 6749 5.1 (a token) or 5.2 (`invalid_grant` and friends, HTTP 400)."""
        if grant_type != "password":
            return _oauth_error("unsupported_grant_type", GongjiError(
                "VALIDATION_ERROR", fields="grant_type (only password)"))
        if not username or not password:
            return _oauth_error("invalid_request", GongjiError(
                "VALIDATION_ERROR", fields="username, password"))
        try:
            t = await run_in_threadpool(transport.grant, services, username=username,
                                        password=password)
        except GongjiError as e:
            return _oauth_error("invalid_grant", e)
        return JSONResponse({"access_token": t.access_token, "token_type": t.token_type,
                             "expires_in": t.expires_in, "scope": t.scope},
                            headers={"Cache-Control": "no-store"})

    @router.post("/auth/oauth/revoke", tags=["national interface"], status_code=200,
                 summary="Revoke an OAuth2 token (RFC 7009): always 200", response_model=None,
                 openapi_extra={REFUSALS: [400, 413, 422, 503]})
    async def oauth_revoke(services: Services,
                           token: Annotated[str, Form(max_length=200)] = "") -> JSONResponse:
        if token:
            await run_in_threadpool(transport.revoke_token, services, access_token=token)
        return JSONResponse({})

    return router


def _oauth_error(error: str, e: GongjiError) -> JSONResponse:
    """RFC 6749 5.2 (`error`, `error_description`) and gongji's error body side by side."""
    return JSONResponse({"error": error, "error_description": e.message_en, **e.body()},
                        status_code=400, headers={"Cache-Control": "no-store"})
