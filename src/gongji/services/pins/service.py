"""Payment PINs (支付密码): argon2-hashed, locked after repeated wrong attempts.

Failed attempts are security state, not business data: they are counted in their own small
transaction even though the request they guarded is refused (which writes nothing else).
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update

from gongji.domain.clock import display
from gongji.domain.errors import GongjiError
from gongji.domain.policy import PinRules
from gongji.services.door import door
from gongji.services.people import service as people
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import pins

HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
"""OWASP's minimum argon2id profile (19 MiB, 2 passes): ~15 ms a check, too slow to guess."""


@dataclass(frozen=True, slots=True)
class PinSet:
    psn_no: str
    changed: bool
    """False the first time a PIN is set."""


def check_format(pin: str, rules: PinRules) -> None:
    if not isinstance(pin, str) or len(pin) != rules.length or not pin.isascii() \
            or not pin.isdigit():
        raise GongjiError("PIN_FORMAT", length=rules.length)
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}):
        raise GongjiError("PIN_WEAK")


def _rules(uow: UnitOfWork, psn_no: str) -> PinRules:
    e = people.basic_enrollment(uow.conn, psn_no)
    return uow.policy(e.insuplc_admdvs if e else "000000").pin


@door
def set_pin(app: Gongji, who: Principal, key: Key, psn_no: str, pin: str,
            old_pin: str | None = None) -> Written[PinSet]:
    """Set the PIN; changing it needs the old one (checked, and counted if wrong)."""
    with app.db.read() as conn:
        exists = conn.execute(select(pins.c.psn_no).where(pins.c.psn_no == psn_no)).first()
    request = {"psn_no": psn_no}
    prior = app.stored(who, key=key, operation="pin.set", request=request, result_type=PinSet)
    if prior is not None:
        return prior
    if exists is not None:
        verify(app, psn_no, old_pin or "")

    def run(uow: UnitOfWork) -> PinSet:
        people.person(uow.conn, psn_no)
        check_format(pin, _rules(uow, psn_no))
        digest = HASHER.hash(pin)
        done = uow.conn.execute(update(pins).where(pins.c.psn_no == psn_no).values(
            hash=digest, failed=0, locked_until=None, updated_at=uow.now))
        if done.rowcount == 0:
            uow.conn.execute(insert(pins).values(psn_no=psn_no, hash=digest, failed=0,
                                                 updated_at=uow.now))
        uow.record("pin.set", subject=psn_no)
        return PinSet(psn_no, changed=done.rowcount == 1)

    # the PIN itself never enters the idempotency record
    return app.write(who, key=key, operation="pin.set", request=request, fn=run,
                     result_type=PinSet)


def has_pin_in(uow: UnitOfWork, psn_no: str) -> bool:
    return uow.conn.execute(select(pins.c.psn_no)
                            .where(pins.c.psn_no == psn_no)).first() is not None


def verify(app: Gongji, psn_no: str, pin: str) -> None:
    """Raise PIN_NOT_SET, PIN_LOCKED or PIN_WRONG; a right PIN clears the failure count."""
    def fetch(uow: UnitOfWork) -> tuple[Any, PinRules]:
        return (uow.conn.execute(select(pins).where(pins.c.psn_no == psn_no)).first(),
                _rules(uow, psn_no))

    row, rules = app.read(fetch)
    now = app.clock.now()
    if row is None:
        raise GongjiError("PIN_NOT_SET")
    if row.locked_until is not None and now < row.locked_until:
        raise GongjiError("PIN_LOCKED", until=display(row.locked_until))
    ok = False
    with contextlib.suppress(VerificationError, InvalidHashError):
        ok = isinstance(pin, str) and HASHER.verify(row.hash, pin)
    if ok:
        if row.failed:
            with app.db.begin() as conn:
                conn.execute(update(pins).where(pins.c.psn_no == psn_no).values(failed=0))
        return

    def count(uow: UnitOfWork) -> tuple[int, datetime | None]:
        failed = uow.conn.execute(update(pins).where(pins.c.psn_no == psn_no)
                                  .values(failed=pins.c.failed + 1)
                                  .returning(pins.c.failed)).scalar_one()
        if failed >= rules.max_attempts:
            until = uow.now + timedelta(minutes=rules.lockout_minutes)
            uow.conn.execute(update(pins).where(pins.c.psn_no == psn_no)
                             .values(failed=0, locked_until=until))
            uow.record("pin.locked", subject=psn_no, detail={"until": display(until)})
            return 0, until
        return rules.max_attempts - failed, None

    left, until = app.transact(Principal("person", psn_no), count)
    if until is not None:
        raise GongjiError("PIN_LOCKED", until=display(until))
    raise GongjiError("PIN_WRONG", left=left)

