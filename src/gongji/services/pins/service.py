"""Payment PINs (支付密码): argon2-hashed, locked after repeated wrong attempts.

Failed attempts are security state, not business data: they are counted in their own small
transaction even though the request they guarded is refused (which writes nothing else).
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError

from gongji.domain.clock import display
from gongji.domain.errors import GongjiError
from gongji.domain.pins import after_failure, check_format
from gongji.domain.policy import PinRules
from gongji.services.door import door
from gongji.services.kdf import BoundedHasher
from gongji.services.people import service as people
from gongji.services.pins import store
from gongji.services.pins.model import PinSet
from gongji.services.pins.store import PinRecord
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork

HASHER = BoundedHasher(time_cost=5, memory_cost=7_168, parallelism=1)
"""argon2id, the 7 MiB, 5-pass profile of OWASP's minimum (its equal of 19 MiB, 2 passes):
~15 ms and 7 MiB a check here, against 21 ms and 19 MiB (docs/PERFORMANCE.md, "argon2 for a
6-digit PIN"; bench/argon2_params.py). Hashes made with other parameters still verify, and
are made again with these at the next right PIN (rehash below)."""


def _rules(uow: UnitOfWork, psn_no: str) -> PinRules:
    e = people.basic_enrollment(uow.conn, psn_no)
    return uow.policy(e.insuplc_admdvs if e else "000000").pin


@door
def set_pin(app: Gongji, who: Principal, key: Key, psn_no: str, pin: str,
            old_pin: str | None = None) -> Written[PinSet]:
    """Set the PIN; changing it needs the old one (checked, and counted if wrong)."""
    exists = app.read(lambda uow: store.exists(uow.conn, psn_no))
    request = {"psn_no": psn_no}
    prior = app.stored(who, key=key, operation="pin.set", request=request, result_type=PinSet)
    if prior is not None:
        return prior
    if exists:
        verify(app, psn_no, old_pin or "")

    def run(uow: UnitOfWork) -> PinSet:
        people.person(uow.conn, psn_no)
        check_format(pin, _rules(uow, psn_no))
        changed = store.save(uow.conn, psn_no, HASHER.hash(pin), at=uow.now)
        uow.record("pin.set", subject=psn_no)
        return PinSet(psn_no, changed=changed)

    # the PIN itself never enters the idempotency record
    return app.write(who, key=key, operation="pin.set", request=request, fn=run,
                     result_type=PinSet)


def has_pin_in(uow: UnitOfWork, psn_no: str) -> bool:
    return store.exists(uow.conn, psn_no)


CLAIM_WAIT_SECONDS = 2.0
"""How long an attempt queues while max_attempts others are being checked, before PIN_BUSY:
a person's own parallel payments get through, one check after another."""

CLAIM_STALE = timedelta(minutes=1)
"""An attempt claimed this long ago and never answered belongs to a process that died."""


def verify(app: Gongji, psn_no: str, pin: str) -> None:
    """Raise PIN_NOT_SET, PIN_LOCKED, PIN_BUSY or PIN_WRONG; a right PIN clears the count.

    The attempt is claimed in the database before the (slow, ~15 ms) argon2 check and
    answered after it, each in its own small transaction: parallel guesses queue on the
    claim, so at most max_attempts of them are ever checked before the lock, and a right
    PIN that finishes after the lock is not accepted."""
    def claim(uow: UnitOfWork) -> tuple[str | None, PinRecord | None, PinRules]:
        rules = _rules(uow, psn_no)
        digest = store.claim_attempt(uow.conn, psn_no, now=uow.now,
                                     stale_before=uow.now - CLAIM_STALE,
                                     max_attempts=rules.max_attempts)
        return digest, (None if digest else store.pin(uow.conn, psn_no)), rules

    who = Principal("person", psn_no)
    digest, row, rules = app.transact(who, claim)
    waited = 0.0
    while digest is None and row is not None and waited < CLAIM_WAIT_SECONDS and \
            not (row.locked_until is not None and app.clock.now() < row.locked_until):
        # every attempt is being checked: one finishes within an argon2 check, so queue
        time.sleep(0.01)
        waited += 0.01
        digest, row, rules = app.transact(who, claim)
    if digest is None:
        now = app.clock.now()
        if row is None:
            raise GongjiError("PIN_NOT_SET")
        if row.locked_until is not None and now < row.locked_until:
            raise GongjiError("PIN_LOCKED", until=display(row.locked_until))
        raise GongjiError("PIN_BUSY")
    ok = False
    with contextlib.suppress(VerificationError, InvalidHashError):
        ok = isinstance(pin, str) and HASHER.verify(digest, pin)
    if ok:
        if app.transact(who, lambda uow: store.right_attempt(uow.conn, psn_no, now=uow.now)):
            if HASHER.check_needs_rehash(digest):
                _rehash(app, who, psn_no, digest, pin)
            return
        locked = app.read(lambda uow: store.pin(uow.conn, psn_no))
        until = locked.locked_until if locked else None
        raise GongjiError("PIN_LOCKED", until=display(until) if until else "-")

    def count(uow: UnitOfWork) -> tuple[int, datetime | None]:
        left, until = after_failure(store.wrong_attempt(uow.conn, psn_no), rules, uow.now)
        if until is not None:
            store.lock(uow.conn, psn_no, until)
            uow.record("pin.locked", subject=psn_no, detail={"until": display(until)})
        return left, until

    left, until = app.transact(who, count)
    if until is not None:
        raise GongjiError("PIN_LOCKED", until=display(until))
    raise GongjiError("PIN_WRONG", left=left)


def _rehash(app: Gongji, who: Principal, psn_no: str, digest: str, pin: str) -> None:
    """A right PIN whose hash has older parameters: hash it again with HASHER's, once (the
    new hash replaces the old only if the PIN was not changed meanwhile)."""
    new = HASHER.hash(pin)
    app.transact(who, lambda uow: store.rehash(uow.conn, psn_no, digest, new))
