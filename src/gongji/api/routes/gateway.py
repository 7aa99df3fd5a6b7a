"""The national interface: POST /fsi/api/rsfComIfsService/callService (and the file pair).

Every answer is the response envelope with HTTP 200, success or not (as the national platform
does): infcode 0 or -1, err_msg in Chinese with the stable code, plus err_code and err_msg_en
as extensions. Requests are signed like the REST API (X-Gongji-* headers); the envelope's
fixmedins_code must be the key's institution.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from gongji.api.deps import Services, get_institution
from gongji.domain.errors import GongjiError
from gongji.gateway import envelope as env_mod
from gongji.gateway import jsonio
from gongji.gateway.transactions import HANDLERS, Ctx, needs_sign_in
from gongji.logs import request_id
from gongji.metrics import GATEWAY_CALLS
from gongji.services.signin import service as signin

router = APIRouter(tags=["national interface"])
log = logging.getLogger("gongji.gateway")

DOC = ("The national interface envelope (see docs/GATEWAY.md): a JSON object with infno, "
       "msgid, fixmedins_code, inf_time, opter_type, opter, sign_no and input.")


async def _call(request: Request, services: Any, *, only: set[str] | None = None
                ) -> tuple[dict[str, Any], env_mod.Envelope | None, Any]:
    received = services.clock.now()
    env: env_mod.Envelope | None = None
    output: Any = None
    try:
        who = await get_institution(request, services)
        try:
            obj = jsonio.loads(await request.body())
        except ValueError:
            raise GongjiError("GATEWAY_BODY_INVALID") from None
        env = env_mod.parse(obj, only or set(HANDLERS))
        if env.fixmedins_code != who.id:
            raise GongjiError("GATEWAY_INSTITUTION_MISMATCH")
        if needs_sign_in(env.infno):
            await run_in_threadpool(signin.check, services, who, env.sign_no)
        output = await run_in_threadpool(HANDLERS[env.infno], Ctx(services, who, env))
        body = env_mod.respond(env=env, received=received, now=services.clock.now(),
                               output=output)
    except GongjiError as e:
        body = env_mod.respond(env=env, received=received, now=services.clock.now(), error=e)
    except Exception:  # never a 500: the HIS always gets an envelope
        log.exception("gateway failure")
        body = env_mod.respond(env=env, received=received, now=services.clock.now(),
                               error=GongjiError("INTERNAL", request_id=request_id.get()))
    GATEWAY_CALLS.labels(env.infno if env else "-", str(body["infcode"])).inc()
    return body, env, output


@router.post("/fsi/api/rsfComIfsService/callService", summary="National interface: every "
             "transaction by infno", description=DOC)
async def call_service(request: Request, services: Services) -> Response:
    body, _, _ = await _call(request, services)
    return Response(jsonio.dumps(body), media_type="application/json")


@router.post("/fsi/api/fileupload/upload", summary="File upload (9101)", description=DOC)
async def file_upload(request: Request, services: Services) -> Response:
    body, _, _ = await _call(request, services, only={"9101"})
    return Response(jsonio.dumps(body), media_type="application/json")


@router.post("/fsi/api/fileupload/download", summary="File download (9102): the bytes, or "
             "the envelope with infcode -1", description=DOC)
async def file_download(request: Request, services: Services) -> Response:
    body, _, output = await _call(request, services, only={"9102"})
    if body["infcode"] == 0 and output:
        return Response(base64.b64decode(output["content"]),
                        media_type="application/octet-stream")
    return Response(jsonio.dumps(body), media_type="application/json")
