"""A unit of work that keeps meeting a transient failure (a deadlock, a locked file) is retried
from the start, and when the attempts or the time run out the caller gets UNAVAILABLE, the
documented retryable refusal, in bounded time; never the driver's error."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from gongji.domain.errors import ERRORS, GongjiError
from gongji.store import db as db_mod
from gongji.store.db import Database


def locked() -> OperationalError:
    return OperationalError("UPDATE", None, sqlite3.OperationalError("database is locked"))


def test_transient_failures_end_as_unavailable(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    calls = []

    def always_locked() -> None:
        calls.append(1)
        raise locked()

    with pytest.raises(GongjiError) as e:
        db.retrying(always_locked, attempts=4)
    assert e.value.code == "UNAVAILABLE" and ERRORS["UNAVAILABLE"].retryable
    assert len(calls) == 4

    outcomes = iter([locked(), locked(), "done"])

    def twice_then_done() -> str:
        o = next(outcomes)
        if isinstance(o, Exception):
            raise o
        return o

    assert db.retrying(twice_then_done) == "done"
    db.dispose()


def test_retries_stop_at_the_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setattr(db_mod, "RETRY_SECONDS", 0.05)
    calls = []

    def slow_and_locked() -> None:
        calls.append(1)
        time.sleep(0.03)
        raise locked()

    started = time.monotonic()
    with pytest.raises(GongjiError) as e:
        db.retrying(slow_and_locked, attempts=50)
    assert e.value.code == "UNAVAILABLE"
    assert len(calls) < 50 and time.monotonic() - started < 1.0
    db.dispose()


def test_other_failures_are_not_retried(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    calls = []

    def broken() -> None:
        calls.append(1)
        raise IntegrityError("INSERT", None, sqlite3.IntegrityError("CHECK constraint failed"))

    with pytest.raises(IntegrityError):
        db.retrying(broken)
    assert len(calls) == 1
    db.dispose()
