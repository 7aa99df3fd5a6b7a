"""The one door into the services: every public service function is marked @door.

A request (a REST operation, an infno, a page, a CLI command) makes exactly one door call to
do its work; the service behind it owns the transaction, the authorization and the rules.
Finding out who is calling (a session, a token, a signed request) is a door call of its own,
marked auth=True: it comes before the work and decides nothing about it. A record of a request
written after its work (the conformance trail of a gateway message) is one too, marked
trail=True: it comes after the work, decides nothing, and never changes the answer.

The door counts, so that tests can hold the entrypoints to the rule: an entrypoint opens
`request()` around each request, and every door call made at the top (not by another service)
is recorded with whether it was refused. Observers (tests) see each request's calls when it
ends. A door call made by another service is just a function call.

Nothing below the door leaks through it: a database that is down, or still busy after every
retry (a deadlock, a locked SQLite file), leaves as UNAVAILABLE, the documented retryable
refusal, never as an internal error.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, overload

from sqlalchemy.exc import OperationalError

from gongji.domain.errors import GongjiError

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(slots=True)
class Call:
    name: str
    """module.function, e.g. settlement.service.settle."""
    auth: bool
    trail: bool = False
    """A record written after the request's work (like auth, not the work itself)."""
    refused: bool = False


Observer = Callable[[str, list[Call]], None]

_depth: ContextVar[int] = ContextVar("gongji_door_depth", default=0)
_calls: ContextVar[list[Call] | None] = ContextVar("gongji_door_calls", default=None)
_observers: list[Observer] = []
log = logging.getLogger("gongji.services")


@overload
def door(fn: Callable[P, R]) -> Callable[P, R]: ...


@overload
def door(*, auth: bool = False, trail: bool = False
         ) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def door(fn: Callable[P, R] | None = None, *, auth: bool = False, trail: bool = False) -> Any:
    """Mark a public service function: what an entrypoint may call."""
    def mark(f: Callable[P, R]) -> Callable[P, R]:
        name = f"{f.__module__.removeprefix('gongji.services.')}.{f.__name__}"

        @functools.wraps(f)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            if _depth.get():
                return f(*args, **kwargs)
            seen = Call(name, auth, trail)
            calls = _calls.get()
            if calls is not None:
                calls.append(seen)
            token = _depth.set(1)
            try:
                return f(*args, **kwargs)
            except GongjiError:
                seen.refused = True
                raise
            except OperationalError as e:
                seen.refused = True
                log.error("database unavailable in %s: %s", name, e.orig.__class__.__name__)
                raise GongjiError("UNAVAILABLE") from e
            finally:
                _depth.reset(token)

        call.__gongji_door__ = True  # type: ignore[attr-defined]
        return call

    return mark(fn) if fn is not None else mark


def is_door(fn: object) -> bool:
    return bool(getattr(fn, "__gongji_door__", False))


@contextmanager
def request(label: str) -> Iterator[list[Call]]:
    """Record the door calls of one request (an entrypoint opens it around each)."""
    calls: list[Call] = []
    token = _calls.set(calls)
    try:
        yield calls
    finally:
        _calls.reset(token)
        for observer in list(_observers):
            observer(label, calls)


def observe(observer: Observer) -> Callable[[], None]:
    """See every request's door calls when it ends; returns a function that stops it."""
    _observers.append(observer)
    return lambda: _observers.remove(observer)
