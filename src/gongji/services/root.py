"""The composition root: the one place that builds the database and the services, for every
entrypoint (`gongji serve` and `demo`, the ASGI factory of the worker processes, each CLI
command). Entrypoints get a Gongji from here and call the services' doors on it; none of them
opens a database or reads a schema revision itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import DBAPIError

from gongji.config import Settings
from gongji.domain.clock import Clock, SystemClock
from gongji.domain.errors import GongjiError
from gongji.services.runtime import Gongji
from gongji.services.sandbox import service as sandbox
from gongji.services.sealing import Sealer
from gongji.store import migrate
from gongji.store.db import Database

Schema = Literal["leave", "check", "upgrade"]
"""What to do with the database's schema on opening: leave it alone (db current, backup,
restore), check it (serve, verify: an empty database is created, a stale one refused), or
upgrade it (demo, token create)."""


@dataclass(frozen=True, slots=True)
class Built:
    app: Gongji
    schema: str
    """current, created, upgraded, or unchecked."""
    url: str
    """The database, its password hidden."""


def build(settings: Settings, *, schema: Schema = "check", clock: Clock | None = None,
          sandbox_start: datetime | None = None, resume_clock: bool = True) -> Built:
    """The services over the settings' database. In the sandbox the clock resumes where the
    last run left it (or at sandbox_start, else now, on a fresh database); a worker process
    of a running server (resume_clock False) joins the clock as it is."""
    try:
        db = Database(settings.db, group_commit=settings.group_commit)
    except (ValueError, ImportError) as e:
        raise GongjiError("DATABASE_UNREACHABLE", url=settings.db, reason=str(e)) from None
    try:
        state = "unchecked" if schema == "leave" else \
            migrate.ensure_ready(db, auto=schema == "upgrade")
    except DBAPIError as e:
        db.dispose()
        raise GongjiError("DATABASE_UNREACHABLE", url=db.display_url,
                          reason=e.orig.__class__.__name__ if e.orig else str(e)) from None
    try:
        sealer = Sealer.from_hex(settings.secret_key) if settings.secret_key else \
            Sealer.for_database(db.url, settings.secret_key_file)
    except (ValueError, OSError) as e:
        db.dispose()
        raise GongjiError("CONFIG_INVALID", reason=str(e)) from None
    if not settings.sandbox:
        app = Gongji(db, clock or SystemClock(), admin_token=settings.admin_token, sealer=sealer)
    else:
        app = Gongji(db, clock or sandbox.SharedClock(db), sandbox=True,
                     admin_token=settings.admin_token, sealer=sealer)
        if resume_clock:
            sandbox.resume(app, sandbox_start or SystemClock().now())
    return Built(app, state, db.display_url)
