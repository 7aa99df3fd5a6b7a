"""SQLite with several server processes: a writer of any process waits for the others on an
flock beside the database file (asleep in the kernel, woken when it is free), not in SQLite's
busy handler, which polls in growing sleeps and turns a queue into a long tail."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from gongji.store.db import Database

WRITE = """
import sys, time
from sqlalchemy import text
from gongji.store.db import Database
db = Database("sqlite:///" + sys.argv[1])
print("ready", flush=True)
with db.begin() as conn:
    conn.execute(text("INSERT INTO regions (admdvs, name, name_en, level, created_at) "
                      "VALUES ('990100', 'x', 'x', 'pooling', '2026-12-05 00:00:00')"))
print(time.time(), flush=True)
"""


def test_a_writer_of_another_process_waits_on_the_file_lock(
        sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "gongji.db"
    shutil.copy(sqlite_template, path)
    Database(f"sqlite:///{path}").dispose()
    fd = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as another process's writer in its transaction
        proc = subprocess.Popen([sys.executable, "-c", WRITE, str(path)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(1.0)
        assert proc.poll() is None, "the writer did not wait for the file lock"
        released = time.time()
        fcntl.flock(fd, fcntl.LOCK_UN)
        out, _ = proc.communicate(timeout=30)
    finally:
        os.close(fd)
    assert proc.returncode == 0
    assert float(out.split()[-1]) >= released
    db = Database(f"sqlite:///{path}")
    with db.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM regions WHERE admdvs = '990100'")
                            ).scalar_one() == 1
    db.dispose()
