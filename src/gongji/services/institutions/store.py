"""The institutions, their API keys and the nonces of signed requests seen, as typed
records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, bindparam, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.services.institutions.model import Institution, NewKey
from gongji.store import fast
from gongji.store.tables import institution_keys, institutions, request_nonces

_INSTITUTION = fast.Prepared(select(institutions).where(
    institutions.c.fixmedins_code == bindparam("code")))

# -- institutions -----------------------------------------------------------------------------

def exists(conn: Connection, code: str) -> bool:
    return conn.execute(select(institutions.c.fixmedins_code)
                        .where(institutions.c.fixmedins_code == code)).first() is not None


def add(conn: Connection, i: Institution, *, at: datetime) -> None:
    conn.execute(insert(institutions).values(
        fixmedins_code=i.fixmedins_code, fixmedins_name=i.fixmedins_name,
        fixmedins_type=i.fixmedins_type, hosp_lv=i.hosp_lv, admdvs=i.admdvs,
        wallet_supported=i.wallet_supported, created_at=at))


def institution(conn: Connection, code: str) -> Institution | None:
    r = _INSTITUTION.run(conn, {"code": code}).first()
    if r is None:
        return None
    return Institution(r.fixmedins_code, r.fixmedins_name, r.fixmedins_type, r.hosp_lv,
                       r.admdvs, bool(r.wallet_supported))


def codes(conn: Connection) -> list[str]:
    """Every institution's code, in order."""
    return list(conn.execute(select(institutions.c.fixmedins_code)
                             .order_by(institutions.c.fixmedins_code)).scalars())


@dataclass(frozen=True, slots=True)
class Where:
    """A lookup's filter: wallet taken (None: either way), admdvs prefix, name fragment
    (lower case; "" any)."""

    wallet: bool | None
    prefix: str
    name: str


def _where(w: Where) -> list[ColumnElement[bool]]:
    c = institutions.c
    out: list[ColumnElement[bool]] = []
    if w.wallet is not None:
        out.append(c.wallet_supported.is_(w.wallet))
    if w.prefix:
        out.append(c.admdvs.startswith(w.prefix, autoescape=True))
    if w.name:
        out.append(func.lower(c.fixmedins_name).contains(w.name, autoescape=True))
    return out


def count_matching(conn: Connection, w: Where) -> int:
    return int(conn.execute(select(func.count()).select_from(institutions)
                            .where(*_where(w))).scalar_one())


def matching(conn: Connection, w: Where, *, limit: int, offset: int) -> list[Institution]:
    """By name in code-point order on both databases (PostgreSQL's default collation would
    sort by its locale), then code."""
    c = institutions.c
    name = c.fixmedins_name.collate("C") if conn.dialect.name == "postgresql" \
        else c.fixmedins_name
    return [Institution(r.fixmedins_code, r.fixmedins_name, r.fixmedins_type, r.hosp_lv,
                        r.admdvs, bool(r.wallet_supported))
            for r in conn.execute(select(institutions).where(*_where(w))
                                  .order_by(name, c.fixmedins_code).limit(limit).offset(offset))]


# -- keys and nonces --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class KeyRecord:
    secret: str
    fixmedins_code: str
    revoked_at: datetime | None


def add_key(conn: Connection, k: NewKey, *, at: datetime) -> None:
    conn.execute(insert(institution_keys).values(
        key_id=k.key_id, fixmedins_code=k.fixmedins_code, secret=k.secret, created_at=at))


def key(conn: Connection, key_id: str) -> KeyRecord | None:
    row = conn.execute(
        select(institution_keys.c.secret, institution_keys.c.fixmedins_code,
               institution_keys.c.revoked_at).where(institution_keys.c.key_id == key_id)
    ).first()
    return None if row is None else KeyRecord(row.secret, row.fixmedins_code, row.revoked_at)


def live_key(conn: Connection, code: str) -> NewKey | None:
    """One key of the institution not revoked, any of them (the demo prints one)."""
    row = conn.execute(select(institution_keys.c.key_id, institution_keys.c.secret).where(
        institution_keys.c.fixmedins_code == code, institution_keys.c.revoked_at.is_(None))
        .limit(1)).first()
    return None if row is None else NewKey(row.key_id, code, row.secret)


def remember_nonce(conn: Connection, key_id: str, nonce: str, *, at: datetime) -> bool:
    """Note a request's nonce; False when this key used it before (a replay). `at` (kept as
    seen_at) is the later of its arrival and its own timestamp: a request stamped ahead
    stays replayable, by its timestamp, until that leaves the window, so its nonce is kept
    at least that long."""
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)
    fresh = conn.execute(ins(request_nonces).values(key_id=key_id, nonce=nonce, seen_at=at)
                         .on_conflict_do_nothing(index_elements=["key_id", "nonce"])
                         .returning(request_nonces.c.nonce)).first()
    return fresh is not None


def forget_nonces(conn: Connection, *, before: datetime) -> None:
    conn.execute(delete(request_nonces).where(request_nonces.c.seen_at < before))
