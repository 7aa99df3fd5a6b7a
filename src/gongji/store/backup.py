"""Backup and restore of a whole gongji database.

SQLite: SQLite's online backup API copies a consistent snapshot page by page while the
server keeps running (readers and writers are not stopped), into one self-contained file.
PostgreSQL: pg_dump's custom format (a consistent snapshot as well), restored by pg_restore.
A restore goes only into an empty database unless forced, and is followed by `verify`: a
backup that does not verify is reported, not silently trusted.

The connection password never goes on a command line (where `ps` shows it): it is passed to
pg_dump and pg_restore in PGPASSWORD.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from gongji.domain.errors import GongjiError
from gongji.store.db import Database, normalize_url

Progress = Callable[[int, int], None]
"""progress(done, total) in pages (SQLite) or steps."""

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    kind: str
    """"sqlite" or "postgresql"."""
    size: int


def kind_of(path: Path) -> str:
    """What a backup file holds, from its first bytes."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as e:
        raise GongjiError("BACKUP_UNREADABLE", path=str(path), reason=e.strerror or str(e)
                          ) from e
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise GongjiError("BACKUP_UNREADABLE", path=str(path),
                      reason="neither an SQLite file nor a pg_dump archive")


def backup(db: Database, target: Path, *, progress: Progress | None = None) -> BackupInfo:
    """Write a consistent copy of db to target (replaced atomically when complete)."""
    target = target.expanduser().absolute()
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if db.dialect == "sqlite":
            _sqlite_backup(_sqlite_path(db.url), partial, progress)
        else:
            _pg_run("pg_dump", db.url, ["--format=custom", "--no-owner", f"--file={partial}"])
        kind_of(partial)  # a dump that does not even look like one is a failure
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(target, db.dialect, target.stat().st_size)


def restore(source: Path, db: Database, *, force: bool = False,
            progress: Progress | None = None) -> None:
    """Replace db's contents with the backup's. Refused if db already holds gongji tables,
    unless force; refused if the backup is of the other database kind."""
    source = source.expanduser().absolute()
    kind = kind_of(source)
    if kind != db.dialect:
        raise GongjiError("BACKUP_KIND_MISMATCH", backup=kind, database=db.dialect)
    if not force:
        with db.engine.connect() as conn:
            tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        if tables:
            raise GongjiError("RESTORE_TARGET_NOT_EMPTY", database=db.display_url,
                              tables=len(tables))
    if kind == "sqlite":
        db.dispose()
        with sqlite3.connect(source) as src:
            _check_sqlite(src, source)
        _sqlite_backup(source, _sqlite_path(db.url), progress)
    else:
        db.dispose()
        _pg_run("pg_restore", db.url, ["--no-owner", "--clean", "--if-exists",
                                       "--single-transaction", "--exit-on-error",
                                       str(source)], dbname_flag=True)
    db.dispose()


def _sqlite_path(url: str) -> Path:
    database = make_url(normalize_url(url)).database
    if not database or database == ":memory:":
        raise GongjiError("BACKUP_UNREADABLE", path=url, reason="an in-memory database")
    return Path(database)


def _check_sqlite(conn: sqlite3.Connection, path: Path) -> None:
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as e:
        raise GongjiError("BACKUP_UNREADABLE", path=str(path), reason=str(e)) from e
    if not ok or ok[0] != "ok":
        raise GongjiError("BACKUP_UNREADABLE", path=str(path),
                          reason=f"integrity check: {ok[0] if ok else '?'}")


def _sqlite_backup(source: Path, target: Path, progress: Progress | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # into the target through SQLite itself: it replaces the whole content in one transaction,
    # WAL and all (files are never removed from under a connection)

    def step(_status: int, remaining: int, total: int) -> None:
        if progress:
            progress(total - remaining, total)

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        try:
            # in one step: one read transaction, which in WAL mode never blocks the writers;
            # a copy in slices would restart whenever a writer commits, and never end on a
            # busy database
            src.backup(dst, pages=-1, progress=step)
        except sqlite3.DatabaseError as e:
            raise GongjiError("BACKUP_UNREADABLE", path=str(source), reason=str(e)) from e
        dst.execute("PRAGMA journal_mode=WAL")


def _pg_tool(name: str) -> str:
    """pg_dump / pg_restore on PATH, else the newest of Debian's versioned directories."""
    found = shutil.which(name)
    if found:
        return found
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True,
                         key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit()
                         else 0):
        if (Path(bindir) / name).exists():
            return str(Path(bindir) / name)
    raise GongjiError("BACKUP_TOOL_MISSING", tool=name)


def _pg_run(tool: str, url: str, args: list[str], *, dbname_flag: bool = False) -> None:
    u = make_url(normalize_url(url))
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    libpq = u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    cmd = [_pg_tool(tool), *args[:-1], f"--dbname={libpq}", args[-1]] if dbname_flag else \
        [_pg_tool(tool), *args, libpq]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True,  # noqa: S603
                          check=False)  # a fixed tool and arguments, no shell
    if done.returncode != 0:
        raise GongjiError("BACKUP_FAILED", tool=tool, reason=(done.stderr or done.stdout
                                                              ).strip()[-500:])
