"""The database itself: health, schema revision and upgrade, backup and restore, the plan that
distributes it on Citus.

These run for whoever runs the process (a probe, `gongji db`, `gongji backup`), not for a
person or an institution, so they take no caller.
"""

from __future__ import annotations

from pathlib import Path

from gongji.domain.access import COMMAND_LINE
from gongji.domain.errors import GongjiError
from gongji.services.door import door
from gongji.services.ledger import service as ledger
from gongji.services.ledger.service import Progress as VerifyProgress
from gongji.services.runtime import Gongji
from gongji.services.system import store
from gongji.services.system.model import (
    CitusDdl,
    Health,
    Progress,
    Restored,
    SchemaState,
    Upgraded,
)
from gongji.store import backup as store_backup
from gongji.store import migrate
from gongji.store.backup import BackupInfo

__all__ = ["BackupInfo", "CitusDdl", "Health", "Progress", "Restored", "SchemaState", "Upgraded"]


@door
def health(app: Gongji) -> Health:
    """Process up, database reachable, schema current; never raises (a probe reports)."""
    base = Health("ok", app.clock.now(), app.db.dialect, app.sandbox)
    try:
        with app.db.engine.connect() as conn:
            store.ping(conn)
        rev, head = migrate.current(app.db), migrate.head()
    except Exception as exc:  # a health check reports; it never raises
        return Health("down", base.time, base.database, base.sandbox,
                      error=exc.__class__.__name__)
    if rev != head:
        return Health("degraded", base.time, base.database, base.sandbox, rev, head)
    return Health("ok", base.time, base.database, base.sandbox, rev)


@door
def schema(app: Gongji) -> SchemaState:
    return SchemaState(app.db.display_url, migrate.current(app.db), migrate.head())


@door
def upgrade(app: Gongji) -> Upgraded:
    """Apply every pending migration (safe to run twice)."""
    before, after = migrate.upgrade(app.db)
    return Upgraded(app.db.display_url, before, after)


@door
def citus_ddl(app: Gongji) -> CitusDdl:
    """The statements that distribute this schema on Citus (docs/SCALING.md section 5) and
    every table that keeps them from being a whole plan, read from the database's own
    schema (SQLite too: the statements are for PostgreSQL with Citus). A schema that is not
    the program's (not migrated to head) is refused: its plan would be for another schema."""
    rev, head = migrate.current(app.db), migrate.head()
    if rev != head:
        raise GongjiError("DB_NOT_MIGRATED", current=rev or "none", head=head)
    with app.db.engine.connect() as conn:
        statements, found = store.citus_plan(conn)
    return CitusDdl(app.db.display_url, tuple(statements), tuple(found))


@door
def backup(app: Gongji, path: Path, *, progress: Progress | None = None) -> BackupInfo:
    """A consistent copy while the database keeps serving (docs/RELIABILITY.md)."""
    try:
        return store_backup.backup(app.db, path, progress=progress)
    finally:
        app.dispose()


@door
def restore(app: Gongji, path: Path, *, force: bool = False, progress: Progress | None = None,
            verify_progress: VerifyProgress | None = None) -> Restored:
    """Restore a backup (into an empty database unless force), bring its schema up to date
    and verify it: a backup that does not verify is reported, not trusted."""
    try:
        store_backup.restore(path, app.db, force=force, progress=progress)
        before, after = migrate.upgrade(app.db)
        report = ledger.verify(app, COMMAND_LINE, progress=verify_progress, parallel=True)
    finally:
        app.dispose()
    return Restored(app.db.display_url, before, after, report)
