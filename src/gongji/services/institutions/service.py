"""Designated institutions, their API keys, and the check of a signed request."""

from __future__ import annotations

import secrets as pysecrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.domain.errors import GongjiError
from gongji.domain.institutions import check_code, check_signature, kind_of
from gongji.ledger.kinds import AccountKind
from gongji.services.access import require_operator
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import institution_keys, institutions, request_nonces

WINDOW_SECONDS = 300
"""How far a request's timestamp may be from the server's wall clock (either way)."""


@dataclass(frozen=True, slots=True)
class RegisterInstitution:
    fixmedins_code: str
    fixmedins_name: str
    hosp_lv: str
    admdvs: str
    wallet_supported: bool = True


@dataclass(frozen=True, slots=True)
class Institution:
    fixmedins_code: str
    fixmedins_name: str
    fixmedins_type: str
    hosp_lv: str
    admdvs: str
    wallet_supported: bool


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    fixmedins_code: str
    secret: str
    """Hex; shown once. The server keeps it to check signatures."""


@door
def register(app: Gongji, who: Principal, key: Key,
             cmd: RegisterInstitution) -> Written[Institution]:
    require_operator(who)

    def run(uow: UnitOfWork) -> Institution:
        code = check_code(cmd.fixmedins_code)
        if cmd.hosp_lv not in ("0", "1", "2", "3"):
            raise GongjiError("VALIDATION_ERROR", fields="hosp_lv")
        name = cmd.fixmedins_name.strip()
        if not 1 <= len(name) <= 200:
            raise GongjiError("VALIDATION_ERROR", fields="fixmedins_name")
        region = uow.region(cmd.admdvs)
        if uow.conn.execute(select(institutions.c.fixmedins_code)
                            .where(institutions.c.fixmedins_code == code)).first():
            raise GongjiError("INSTITUTION_EXISTS", code=code)
        uow.conn.execute(insert(institutions).values(
            fixmedins_code=code, fixmedins_name=name, fixmedins_type=kind_of(code),
            hosp_lv=cmd.hosp_lv if code.startswith("H") else "0", admdvs=region.admdvs,
            wallet_supported=cmd.wallet_supported, created_at=uow.now))
        uow.ledger.open_account(AccountKind.INSTITUTION, owner=code, admdvs=region.admdvs)
        uow.record("institution.register", subject=code, chain=region.admdvs)
        return get_in(uow, code)

    return app.write(who, key=key, operation="institution.register",
                     request=to_json(cmd, RegisterInstitution), fn=run,
                     result_type=Institution)


@door
def create_key(app: Gongji, who: Principal, code: str) -> NewKey:
    require_operator(who)
    return app.transact(who, lambda uow: _new_key(uow, code))


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    fixmedins_code: str
    secret: str | None
    """The secret, on the call that made the key only; None when a retry with the same
    idempotency key is answered (the secret was shown once and is not stored with the key)."""


@door
def issue_key(app: Gongji, who: Principal, key: Key, code: str) -> Written[IssuedKey]:
    """create_key with an idempotency key (a form submitted twice makes one key). The stored
    result leaves the secret out, so a replay names the key without showing its secret."""
    require_operator(who)
    made: list[NewKey] = []

    def run(uow: UnitOfWork) -> IssuedKey:
        made.clear()  # a retried unit of work starts again
        k = _new_key(uow, code)
        made.append(k)
        return IssuedKey(k.key_id, code, None)

    w = app.write(who, key=key, operation="institution.key", request={"fixmedins_code": code},
                  fn=run, result_type=IssuedKey)
    if w.replayed or not made:
        return w
    return Written(IssuedKey(made[0].key_id, code, made[0].secret), replayed=False)


def _new_key(uow: UnitOfWork, code: str) -> NewKey:
    get_in(uow, code)
    k = NewKey("ak_" + pysecrets.token_hex(12), code, pysecrets.token_hex(32))
    uow.conn.execute(insert(institution_keys).values(
        key_id=k.key_id, fixmedins_code=code, secret=k.secret, created_at=uow.now))
    uow.record("institution.key", subject=code, detail={"key_id": k.key_id})
    return k


def get_in(uow: UnitOfWork, code: str) -> Institution:
    """An institution (registered institutions are never edited: read once per unit of work)."""
    found: Institution | None = uow.memo.get(("institution", code))
    if found is not None:
        return found
    r = uow.conn.execute(select(institutions)
                         .where(institutions.c.fixmedins_code == code)).first()
    if r is None:
        raise GongjiError("INSTITUTION_NOT_FOUND", code=code)
    found = uow.memo[("institution", code)] = Institution(
        r.fixmedins_code, r.fixmedins_name, r.fixmedins_type, r.hosp_lv, r.admdvs,
        bool(r.wallet_supported))
    return found


@door
def list_all(app: Gongji, who: Principal) -> list[Institution]:
    require_operator(who)
    return app.read(all_in, principal=who)


def all_in(uow: UnitOfWork) -> list[Institution]:
    codes = uow.conn.execute(select(institutions.c.fixmedins_code)
                             .order_by(institutions.c.fixmedins_code)).scalars()
    return [get_in(uow, c) for c in codes]


@door(auth=True)
def authenticate(app: Gongji, *, key_id: str, timestamp: str, nonce: str, signature: str,
                 method: str, path: str, body: bytes) -> Principal:
    """The institution behind a signed request; refuses forgeries, stale or replayed ones."""
    now: datetime = app.wall.now()
    row = app.read_conn(lambda c: c.execute(
        select(institution_keys.c.secret, institution_keys.c.fixmedins_code,
               institution_keys.c.revoked_at).where(institution_keys.c.key_id == key_id)
    ).first())
    if row is None or row.revoked_at is not None:
        raise GongjiError("SIGNATURE_INVALID", reason="unknown key")
    check_signature(row.secret, signature, timestamp=timestamp, nonce=nonce, method=method,
                    path=path, body=body, now_epoch=int(now.timestamp()),
                    window_seconds=WINDOW_SECONDS)

    def remember(uow: UnitOfWork) -> bool:
        ins = (pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert)
        fresh = uow.conn.execute(ins(request_nonces).values(key_id=key_id, nonce=nonce,
                                                            seen_at=now)
                                 .on_conflict_do_nothing(index_elements=["key_id", "nonce"])
                                 .returning(request_nonces.c.nonce)).first()
        # nonces older than twice the window can never be replayed (the timestamp check
        # refuses them first): forget them as we go
        uow.conn.execute(delete(request_nonces).where(
            request_nonces.c.seen_at < now - timedelta(seconds=2 * WINDOW_SECONDS)))
        return fresh is not None

    if not app.transact(Principal("system", "auth"), remember):
        raise GongjiError("NONCE_REUSED")
    return Principal("institution", row.fixmedins_code)

