"""Designated institutions, their API keys, and the check of a signed request."""

from __future__ import annotations

import secrets as pysecrets
import time
import unicodedata
from datetime import UTC, datetime, timedelta

from gongji.domain.errors import Bi, GongjiError, missing
from gongji.domain.institutions import check_code, check_signature, kind_of
from gongji.domain.regions import area_prefix
from gongji.ledger.kinds import AccountKind
from gongji.services.access import require_operator
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.institutions import store
from gongji.services.institutions.model import (
    MAX_PAGE,
    MAX_PER_PAGE,
    NAME_QUERY_MAX,
    WINDOW_SECONDS,
    Institution,
    InstitutionPage,
    IssuedKey,
    Lookup,
    NewKey,
    RegisterInstitution,
)
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork


@door
def register(app: Gongji, who: Principal, key: Key,
             cmd: RegisterInstitution) -> Written[Institution]:
    require_operator(who)

    def run(uow: UnitOfWork) -> Institution:
        code = check_code(cmd.fixmedins_code)
        if cmd.hosp_lv not in ("0", "1", "2", "3"):
            raise GongjiError("VALIDATION_ERROR", fields="hosp_lv")
        name = cmd.fixmedins_name.strip()
        if not name:
            raise missing("fixmedins_name")
        if len(name) > 200:
            raise GongjiError("VALIDATION_ERROR", fields="fixmedins_name", rule=Bi(
                "太长：最多 200 个字符", "too long: at most 200 characters"))
        region = uow.region(cmd.admdvs)
        if store.exists(uow.conn, code):
            raise GongjiError("INSTITUTION_EXISTS", code=code)
        store.add(uow.conn, Institution(
            fixmedins_code=code, fixmedins_name=name, fixmedins_type=kind_of(code),
            hosp_lv=cmd.hosp_lv if code.startswith("H") else "0", admdvs=region.admdvs,
            wallet_supported=cmd.wallet_supported), at=uow.now)
        uow.ledger.open_account(AccountKind.INSTITUTION, owner=code, admdvs=region.admdvs)
        uow.record("institution.register", subject=code, chain=region.admdvs)
        return get_in(uow, code)

    return app.write(who, key=key, operation="institution.register",
                     request=to_json(cmd, RegisterInstitution), fn=run,
                     result_type=Institution)


@door
def create_key(app: Gongji, who: Principal, code: str) -> NewKey:
    require_operator(who)
    return app.transact(who, lambda uow: _new_key(app, uow, code))


@door
def issue_key(app: Gongji, who: Principal, key: Key, code: str) -> Written[IssuedKey]:
    """create_key with an idempotency key (a form submitted twice makes one key). The stored
    result leaves the secret out, so a replay names the key without showing its secret."""
    require_operator(who)
    made: list[NewKey] = []

    def run(uow: UnitOfWork) -> IssuedKey:
        made.clear()  # a retried unit of work starts again
        k = _new_key(app, uow, code)
        made.append(k)
        return IssuedKey(k.key_id, code, None)

    w = app.write(who, key=key, operation="institution.key", request={"fixmedins_code": code},
                  fn=run, result_type=IssuedKey)
    if w.replayed or not made:
        return w
    return Written(IssuedKey(made[0].key_id, code, made[0].secret), replayed=False)


def _new_key(app: Gongji, uow: UnitOfWork, code: str) -> NewKey:
    """A key whose secret is kept sealed; the plain secret is returned to be shown once."""
    get_in(uow, code)
    k = NewKey("ak_" + pysecrets.token_hex(12), code, pysecrets.token_hex(32))
    sealed = app.sealer.seal(k.secret, context=k.key_id)
    store.add_key(uow.conn, NewKey(k.key_id, code, sealed), at=uow.now)
    uow.record("institution.key", subject=code, detail={"key_id": k.key_id})
    return k


def get_in(uow: UnitOfWork, code: str) -> Institution:
    """An institution (registered institutions are never edited: read once per unit of work)."""
    found: Institution | None = uow.memo.get(("institution", code))
    if found is not None:
        return found
    found = store.institution(uow.conn, code)
    if found is None:
        raise GongjiError("INSTITUTION_NOT_FOUND", code=code)
    uow.memo[("institution", code)] = found
    return found


@door
def list_all(app: Gongji, who: Principal) -> list[Institution]:
    require_operator(who)
    return app.read(all_in, principal=who)


def all_in(uow: UnitOfWork) -> list[Institution]:
    return [get_in(uow, c) for c in store.codes(uow.conn)]


@door
def lookup(app: Gongji, who: Principal, q: Lookup) -> InstitutionPage:
    """Designated institutions by wallet, area and name, a page at a time, sorted by name
    (public: anyone; "where the wallet is accepted" asks wallet=True)."""
    return app.read(lambda uow: lookup_in(uow, q), principal=who)


def lookup_in(uow: UnitOfWork, q: Lookup) -> InstitutionPage:
    where = where_of(q)
    total = store.count_matching(uow.conn, where)
    return InstitutionPage(store.matching(uow.conn, where, limit=q.per_page,
                                          offset=(q.page - 1) * q.per_page),
                           q.page, q.per_page, total)


def where_of(q: Lookup) -> store.Where:
    """The lookup's filter, its input checked: AREA_INVALID, VALIDATION_ERROR naming q (too
    long, or with a control character), page or per_page."""
    name = q.q.strip() if isinstance(q.q, str) else ""
    if len(name) > NAME_QUERY_MAX or any(unicodedata.category(c).startswith("C")
                                         for c in name):  # control, format, unassigned
        raise GongjiError("VALIDATION_ERROR", fields="q")
    if not 1 <= q.page <= MAX_PAGE:
        raise GongjiError("VALIDATION_ERROR", fields="page")
    if not 1 <= q.per_page <= MAX_PER_PAGE:
        raise GongjiError("VALIDATION_ERROR", fields="per_page")
    area = q.area.strip() if isinstance(q.area, str) else ""
    return store.Where(q.wallet, area_prefix(area) if area else "", name.lower())


@door(auth=True)
def authenticate(app: Gongji, *, key_id: str, timestamp: str, nonce: str, signature: str,
                 method: str, path: str, body: bytes) -> Principal:
    """The institution behind a signed request; refuses forgeries, stale or replayed ones."""
    now: datetime = app.wall.now()
    row = app.read_conn(lambda c: store.key(c, key_id))
    if row is None or row.revoked_at is not None:
        raise GongjiError("SIGNATURE_INVALID", reason="unknown key")
    check_signature(app.sealer.open(row.secret, context=key_id), signature,
                    timestamp=timestamp, nonce=nonce, method=method, path=path, body=body,
                    now_epoch=int(now.timestamp()), window_seconds=WINDOW_SECONDS)

    remember_nonce(app, key_id, nonce, at=max(now, datetime.fromtimestamp(int(timestamp),
                                                                        tz=UTC)))
    return Principal("institution", row.fixmedins_code)


FORGET_EVERY = 10.0
"""Seconds between two sweeps of old nonces in a process."""
_swept = [-FORGET_EVERY]


def remember_nonce(app: Gongji, key_id: str, nonce: str, *, at: datetime) -> None:
    """Each nonce once per key or credential: noted with the request's first write (one
    commit per request: Gongji.ride), NONCE_REUSED for one seen before. `at` is the later of
    its arrival and its own timestamp; nonces older than twice the window can never be
    replayed (the timestamp check refuses them first), and are swept every FORGET_EVERY
    seconds in a transaction of their own (never inside a request's: two requests would queue
    on the same old rows)."""
    def remember(uow: UnitOfWork) -> None:
        if not store.remember_nonce(uow.conn, key_id, nonce, at=at):
            raise GongjiError("NONCE_REUSED")

    app.ride(remember)
    tick = time.monotonic()
    if tick - _swept[0] >= FORGET_EVERY:
        _swept[0] = tick
        before = app.wall.now() - timedelta(seconds=2 * WINDOW_SECONDS)
        app.transact(Principal("system", "auth"),
                     lambda uow: store.forget_nonces(uow.conn, before=before))
