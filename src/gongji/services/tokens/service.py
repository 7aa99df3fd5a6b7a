"""Operator API tokens: random secrets shown once, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from gongji.domain.ids import new_id
from gongji.services.door import door
from gongji.services.runtime import Gongji
from gongji.services.tokens import store
from gongji.services.tokens.model import ROLES, TOKEN_PREFIX, NewToken
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@door
def create_token(app: Gongji, name: str, role: str = "admin") -> NewToken:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def run(uow: UnitOfWork) -> NewToken:
        tid = new_id()
        store.add(uow.conn, token_id=tid, name=name, token_hash=_hash(token), role=role,
                  at=uow.now)
        uow.record("token.create", subject=name, detail={"token_id": tid, "role": role})
        return NewToken(tid, name, role, token)

    return app.transact(SYSTEM, run)


@door(auth=True)
def authenticate(app: Gongji, token: str, *, bootstrap: str | None) -> Principal | None:
    """The operator a bearer token belongs to, or None."""
    if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
        return Principal("operator", "bootstrap", "admin")
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = app.read_conn(lambda c: store.by_hash(c, _hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    return Principal("operator", row.id, row.role)
