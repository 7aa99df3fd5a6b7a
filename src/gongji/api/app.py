"""The FastAPI application: routes, error rendering, request context, the hold sweeper."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from gongji import __version__, web
from gongji.api import errors, openapi
from gongji.api.limits import BodyLimit
from gongji.api.observability import RequestContext
from gongji.api.routes import (
    auth,
    claims,
    conformance,
    contributions,
    family,
    fhir,
    filing,
    gateway,
    health,
    institutions,
    ledger,
    mobilepay,
    persons,
    prescriptions,
    regions,
    sandbox,
    settlement,
    transport,
    wallet,
)
from gongji.config import Settings
from gongji.metrics import HOLDS_EXPIRED
from gongji.services.ledger.service import checkpoint, sweep_expired
from gongji.services.mobilepay import service as mobile_pay
from gongji.services.notify import service as notify
from gongji.services.root import build
from gongji.services.runtime import Gongji
from gongji.services.sandbox import service as sandbox_clock

log = logging.getLogger("gongji.api")

DESCRIPTION = """
共济 gongji: medical-insurance personal accounts, family mutual aid (家庭共济) and the 医保钱包.

* Money is a string of yuan with at most two decimals (`"2000.00"`), never a JSON number.
* Every write needs an `Idempotency-Key` header. A retry with the same key and body returns the
  first result (with `Idempotent-Replayed: true`); a different body gets 409
  `IDEMPOTENCY_CONFLICT` naming the fields that differ.
* Every error is `{code, message, message_en, detail}` (the `Error` schema; under
  /fhir/ an OperationOutcome); codes are stable. Each operation lists the refusals
  it can give.
* Times are ISO 8601 with a zone; business time is Asia/Shanghai.
"""


def create_app(services: Gongji, settings: Settings, *, sweeper: bool = False) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_sweep_forever(services, settings))] if sweeper else []
        if sweeper:
            tasks.append(asyncio.create_task(_notify_forever(services)))
        if sweeper and settings.checkpoint_key and settings.checkpoint_to:
            tasks.append(asyncio.create_task(_checkpoint_forever(services, settings)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if sweeper and services.sandbox:  # the demo resumes here next time
                with contextlib.suppress(Exception):
                    await run_in_threadpool(sandbox_clock.keep, services)

    app = FastAPI(title="gongji 共济", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.services = services
    app.state.settings = settings
    errors.install(app)
    for module in (health, auth, persons, family, wallet, contributions, filing, settlement,
                   claims, institutions, transport, conformance, regions, ledger, sandbox, fhir,
                   prescriptions, mobilepay):
        app.include_router(module.router)
    app.include_router(gateway.router_for(settings.call_paths()))
    web.install(app)
    openapi.install(app)
    app.add_middleware(BodyLimit, max_body=settings.max_body_bytes,
                       max_upload=settings.max_upload_bytes, call_paths=settings.call_paths(),
                       clock=services.clock.now)
    app.add_middleware(RequestContext)
    return app


KEEP_CLOCK_SECONDS = 30.0
"""How often a serving sandbox remembers its clock's position (a restart resumes there)."""


async def _sweep_forever(services: Gongji, settings: Settings) -> None:
    """Return holds at their deadline without waiting for `gongji sweep` (exactly once: the
    ledger's state guard makes a second sweeper, or a crash mid-sweep, harmless), and finish
    online orders a crash or a silent cash channel left paying (services/mobilepay)."""
    kept = time.monotonic()
    while True:
        try:
            done = await run_in_threadpool(sweep_expired, services)
            if done:
                HOLDS_EXPIRED.inc(len(done))
                log.info("sweeper returned %d expired holds", len(done))
            settled = await run_in_threadpool(mobile_pay.reconcile, services)
            if settled:
                log.info("reconciliation finished %d online orders", settled)
            if services.sandbox and time.monotonic() - kept >= KEEP_CLOCK_SECONDS:
                # where the ticking demo clock is, should the demo be killed
                await run_in_threadpool(sandbox_clock.keep, services)
                kept = time.monotonic()
        except Exception:  # keep sweeping; the next round retries what failed
            log.exception("sweep failed")
        await asyncio.sleep(settings.sweep_interval_seconds)


NOTIFY_SECONDS = 5.0
"""How often a serving process POSTs the notifications to institutions that are due."""


async def _notify_forever(services: Gongji) -> None:
    """Deliver due notifications to institutions (every worker may: each row is claimed by
    one deliverer, services/notify). A failure is logged and the next round goes on."""
    while True:
        try:
            done = await run_in_threadpool(notify.deliver_due, services)
            if done.claimed:
                log.info("notifications: %d delivered, %d to retry, %d given up",
                         done.delivered, done.failed, done.gave_up)
        except Exception:  # keep delivering; what failed is due again next round
            log.exception("notification delivery failed")
        await asyncio.sleep(NOTIFY_SECONDS)


async def _checkpoint_forever(services: Gongji, settings: Settings) -> None:
    """Sign the audit chains' heads every checkpoint_interval_seconds into checkpoint_to
    (GONGJI_CHECKPOINT_KEY / _TO): the anchors `gongji verify --anchors` holds the chains to.
    Off unless both are set."""
    key, to = Path(settings.checkpoint_key or ""), Path(settings.checkpoint_to or "")
    while True:
        try:
            done = await run_in_threadpool(checkpoint, services, key, to)
            log.info("checkpoint of %d chains appended to %s", done.chains, done.path)
        except Exception:  # keep going; the next round writes a newer one
            log.exception("checkpoint failed")
        await asyncio.sleep(settings.checkpoint_interval_seconds)


def app_from_env() -> Any:
    """ASGI factory for `gongji serve --workers N` (uvicorn --factory): each worker process
    builds its own services from the GONGJI_* environment."""
    settings = Settings()
    return create_app(build(settings, resume_clock=False).app, settings, sweeper=True)
