"""The composition root: database, clock and settings, and the three ways to run a call.

- write(): a mutating call with a client key. One transaction: claim the key, do the work,
  store the result, write the audit records, commit. A retry with the same key and request
  returns the stored result (replayed=True) without running the work again.
- transact(): a mutating call by the system itself (sweeps, seeding), no client key.
- read(): a read-only transaction.
- ride() / riding(): a small write that commits with the request's first write (a gateway
  request's nonce), so a request costs one commit, not two.

Deadlocks, serialization failures and a busy SQLite file are retried from the start; that is
safe because a unit of work either commits whole or leaves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from gongji.domain.clock import Clock, SystemClock
from gongji.domain.errors import GongjiError
from gongji.domain.ids import check_idempotency_key
from gongji.ledger.audit import canonical_json
from gongji.metrics import ERRORS as REFUSALS
from gongji.services import idempotency
from gongji.services.cashpay.model import CashChannel
from gongji.services.cashpay.service import SandboxChannel
from gongji.services.codec import from_json, to_json
from gongji.services.messages import MessageSender, OutboxSender
from gongji.services.policy.store import PolicyBook
from gongji.services.regions.store import RegionBook
from gongji.services.sealing import Sealer
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.db import Database

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Written(Generic[R]):
    value: R
    replayed: bool
    """True when this is the stored result of an earlier call with the same key."""


@dataclass(frozen=True, slots=True)
class ClientKey:
    """An idempotency key that brings the request it guards.

    A writing service hashes its own command by default. The national gateway keys each write
    by the message's msgid and holds the whole message input to it (a repeat with any field
    changed is refused, as the national platform does): it passes the input here."""

    key: str | None
    request: dict[str, Any]


Key = str | ClientKey | None
"""What a writing service takes: a client key (REST, pages), or a ClientKey (the gateway)."""


Rider = Callable[[UnitOfWork], None]
"""A small write (a request's nonce) that refuses the request by raising GongjiError."""

_riders: ContextVar[list[Rider] | None] = ContextVar("gongji_riders", default=None)
_RIDERS = Principal("system", "auth")


def _board(uow: UnitOfWork) -> list[Rider]:
    """Run the request's pending riders first in this unit of work; they land if it commits."""
    pending = _riders.get()
    if not pending:
        return []
    aboard = list(pending)
    for rider in aboard:
        rider(uow)
    return aboard


def _landed(aboard: list[Rider]) -> None:
    pending = _riders.get()
    if aboard and pending:
        pending[:] = [r for r in pending if r not in aboard]


def _counting(call: Callable[[], R]) -> R:
    """Run a mutating call; count its refusal by code (process metrics only: a refusal writes
    nothing to the database, so this counter is the one place refusals are tallied)."""
    try:
        return call()
    except GongjiError as e:
        REFUSALS.labels(code=e.code).inc()
        raise


class Gongji:
    def __init__(self, db: Database, clock: Clock, *, policies: PolicyBook | None = None,
                 regions: RegionBook | None = None, sender: MessageSender | None = None,
                 sandbox: bool = False, wall: Clock | None = None,
                 admin_token: str | None = None, sealer: Sealer | None = None,
                 cash: CashChannel | None = None) -> None:
        self.db = db
        self.sealer = sealer or Sealer.for_database(db.url)
        """Seals the credentials the server must read back (services/sealing.py)."""
        self.clock = clock
        self.wall: Clock = wall or SystemClock()
        """Real time, for what must not follow the sandbox clock (request signatures)."""
        self.sandbox = sandbox
        self.admin_token = admin_token
        """A bootstrap operator token from the settings (GONGJI_ADMIN_TOKEN)."""
        self._policies = policies
        self._regions = regions
        self.sender: MessageSender = sender or OutboxSender()
        self.cash: CashChannel = cash or SandboxChannel(self)
        """The payment channel of an order's cash part (docs/MOBILE_PAY.md, "Cash channel")."""

    @property
    def policies(self) -> PolicyBook:
        if self._policies is None:  # loaded on first use: ledger-only callers never pay for it
            self._policies = PolicyBook()
        return self._policies

    @property
    def regions(self) -> RegionBook:
        if self._regions is None:
            self._regions = RegionBook()
        return self._regions

    def _uow(self, conn: Connection, principal: Principal) -> UnitOfWork:
        return UnitOfWork(conn, now=self.clock.now(), principal=principal,
                          policies=self.policies, regions=self.regions)

    def write(self, principal: Principal, *, key: Key, operation: str,
              request: dict[str, Any], fn: Callable[[UnitOfWork], R],
              result_type: Any) -> Written[R]:
        if isinstance(key, ClientKey):
            request = key.request
        key = check_idempotency_key(key.key if isinstance(key, ClientKey) else key)
        scope = principal.scope

        def work(uow: UnitOfWork) -> Written[R]:
            conn = uow.conn
            asked = canonical_json(request)
            prior = idempotency.claim(conn, scope=scope, key=key, operation=operation,
                                      request=request, now=uow.now, text=asked)
            if prior is not None:
                return Written(from_json(prior, result_type), replayed=True)
            value = fn(uow)
            answer = idempotency.store(conn, scope=scope, key=key,
                                       response=to_json(value, result_type))
            # the stored answer is sealed in the audit chain (verify: stored_responses)
            uow.audit.seal_response(
                at=uow.now, actor=scope, scope=scope, key=key, operation=operation,
                request_hash=idempotency.request_hash(operation, request, text=asked),
                request=asked, response=answer)
            return Written(value, replayed=False)

        return _counting(lambda: self.db.retrying(lambda: self._commit(principal, work)))

    def stored(self, principal: Principal, *, key: Key, operation: str,
               request: dict[str, Any], result_type: Any) -> Written[Any] | None:
        """The stored result of an earlier call with this key, without writing anything.

        For calls that check something with side effects first (a PIN, whose wrong attempts
        are counted): a retry of a call that already succeeded must not be checked again.
        """
        if isinstance(key, ClientKey):
            request = key.request
        key = check_idempotency_key(key.key if isinstance(key, ClientKey) else key)
        with self.db.read() as conn:
            prior = idempotency.peek(conn, scope=principal.scope, key=key, operation=operation,
                                     request=request)
        return None if prior is None else Written(from_json(prior, result_type), replayed=True)

    def transact(self, principal: Principal, fn: Callable[[UnitOfWork], R]) -> R:
        return _counting(lambda: self.db.retrying(lambda: self._commit(principal, fn)))

    def _commit(self, principal: Principal, fn: Callable[[UnitOfWork], R]) -> R:
        """One write transaction: the request's riders, the work, the audit records, commit."""
        with self.db.begin() as conn:
            uow = self._uow(conn, principal)
            aboard = _board(uow)
            value = fn(uow)
            uow.flush()
        _landed(aboard)
        return value

    def ride(self, rider: Rider) -> None:
        """Have a small write commit with the request's next write transaction (inside
        riding(); a refusal it raises refuses that transaction), or at once in its own."""
        pending = _riders.get()
        if pending is None:
            self.transact(_RIDERS, rider)
        else:
            pending.append(rider)

    @contextmanager
    def riding(self) -> Iterator[None]:
        """One request, run in one thread: riders wait for its first write transaction, and
        what is still waiting at the end (a read-only or refused request) commits on its own;
        a refusal from it (NONCE_REUSED) takes the place of the request's answer or error."""
        token = _riders.set([])
        try:
            yield
        finally:
            pending = _riders.get() or []
            _riders.reset(token)
            if pending:
                self.transact(_RIDERS, lambda uow: [rider(uow) for rider in pending])

    def dry_run(self, principal: Principal, fn: Callable[[UnitOfWork], R]) -> R:
        """Run a unit of work and roll it back whatever happens: what-if computations that
        reuse the real code path (a pharmacy pre-settlement)."""
        def once() -> R:
            with self.db.scratch() as conn:
                return fn(self._uow(conn, principal))

        return self.db.retrying(once)

    def read(self, fn: Callable[[UnitOfWork], R], principal: Principal | None = None) -> R:
        def once() -> R:
            with self.db.read() as conn:
                return fn(self._uow(conn, principal or Principal("reader", "-")))

        return self.db.retrying(once)

    def read_conn(self, fn: Callable[[Connection], R]) -> R:
        with self.db.read() as conn:
            return fn(conn)

    def dispose(self) -> None:
        """Close the database's connections (a CLI command that is done with it)."""
        self.db.dispose()
