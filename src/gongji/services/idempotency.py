"""Idempotency by client key: a retry returns the first result, a different request is refused.

The key row is inserted in the same transaction as the work it guards, so it exists if and
only if the work committed. A concurrent duplicate blocks on the row until the first commits
(PostgreSQL) or waits for the write lock (SQLite), then sees it and replays. A refused request
writes nothing, key included: retrying it runs the rules again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.domain.errors import GongjiError
from gongji.domain.regions import NATIONAL
from gongji.ledger.audit import canonical_json
from gongji.store import fast
from gongji.store.tables import idempotency, institutions, persons

_MISSING = object()


def request_hash(operation: str, request: dict[str, Any], *, text: str | None = None) -> str:
    """The request's fingerprint (`text`: its canonical JSON, when the caller has it)."""
    text = canonical_json(request) if text is None else text
    return hashlib.sha256(f"{operation}\n{text}".encode()).hexdigest()


def claim(conn: Connection, *, scope: str, key: str, operation: str,
          request: dict[str, Any], now: Any, text: str | None = None) -> Any:
    """Claim the key for this request. Returns the stored response of an earlier identical
    request, None if the key is new (and now held by this transaction), or raises
    IDEMPOTENCY_CONFLICT naming what differs."""
    text = canonical_json(request) if text is None else text
    _hold_region(conn, scope)
    claimed = _CLAIM[conn.dialect.name == "postgresql"].run(conn, {
        "i_scope": scope, "key": key, "operation": operation,
        "request_hash": request_hash(operation, request, text=text), "request": text,
        "created_at": now}).first()
    if claimed is not None:
        return None
    stored = peek(conn, scope=scope, key=key, operation=operation, request=request)
    assert stored is not None, "a committed key always carries its response"
    return stored


def peek(conn: Connection, *, scope: str, key: str, operation: str,
         request: dict[str, Any]) -> Any:
    """The stored response for this key and request, None if the key is unused, or
    IDEMPOTENCY_CONFLICT if it was used for something else. Writes nothing."""
    h = request_hash(operation, request)
    row = _PEEK.run(conn, {"i_scope": scope, "i_key": key}).first()
    if row is None:
        return None
    if row.operation == TOMBSTONE:
        raise GongjiError("MESSAGE_REVERSED", msgid=key)
    if row.request_hash != h:
        fields = ["operation"] if row.operation != operation else \
            differing_fields(json.loads(row.request), request)
        raise GongjiError("IDEMPOTENCY_CONFLICT", key=key, fields=", ".join(fields) or "?",
                          differing=fields, operation=row.operation)
    if row.response is None:
        return None
    stored = json.loads(row.response)
    return stored


def stored_response(conn: Connection, *, scope: str, key: str, operation: str) -> Any:
    """What a committed call with this key answered (None if the key was never used), for
    undoing it (冲正); IDEMPOTENCY_CONFLICT if the key was used for another operation."""
    row = conn.execute(select(idempotency.c.operation, idempotency.c.response).where(
        idempotency.c.admdvs == caller_region(literal(scope)), idempotency.c.scope == scope,
        idempotency.c.key == key)).first()
    if row is None or row.response is None or row.operation == TOMBSTONE:
        return None
    if row.operation != operation:
        raise GongjiError("IDEMPOTENCY_CONFLICT", key=key, fields="operation",
                          differing=["operation"], operation=row.operation)
    return json.loads(row.response)


TOMBSTONE = "reversed"
"""The operation of a key that 冲正 reached before its original: the original is refused."""


def place_tombstone(conn: Connection, *, scope: str, key: str, kind: str, now: Any) -> bool:
    """Reverse a message that has not taken effect: claim its key so that it never can
    (MESSAGE_REVERSED when it comes). False if the key is already taken: by the original,
    whose result can then be undone (a concurrent original is waited for), or by an earlier
    tombstone."""
    request = {"kind": kind}
    _hold_region(conn, scope)
    placed = _CLAIM[conn.dialect.name == "postgresql"].run(conn, {
        "i_scope": scope, "key": key, "operation": TOMBSTONE,
        "request_hash": request_hash(TOMBSTONE, request), "request": canonical_json(request),
        "created_at": now}).first()
    if placed is None:
        return False
    store(conn, scope=scope, key=key, response={"reversed": kind})
    return True


def store(conn: Connection, *, scope: str, key: str, response: dict[str, Any]) -> str:
    """Keep the answer for the key; returns it as stored (canonical JSON)."""
    text = canonical_json(response)
    _STORE.run(conn, {"i_scope": scope, "i_key": key, "response": text})
    return text


# built once: every write runs them
def caller_region(scope: Any) -> Any:
    """The region a caller's keys are kept in: a person's (persons.admdvs), an
    institution's, "000000" for operators and the system; worked out from the scope in the
    statement itself, so the key lives with the data the call changes."""
    p, i = persons.c, institutions.c
    return func.coalesce(case(
        (scope.like("person:%"), select(p.admdvs).where(
            p.psn_no == func.substr(scope, len("person:") + 1)).scalar_subquery()),
        (scope.like("institution:%"), select(i.admdvs).where(
            i.fixmedins_code == func.substr(scope, len("institution:") + 1)).scalar_subquery()),
    ), NATIONAL)


_HOLD_PERSON = fast.Prepared(select(persons.c.admdvs)
                             .where(persons.c.psn_no == bindparam("psn_no"))
                             .with_for_update(key_share=True))


def _hold_region(conn: Connection, scope: str) -> None:
    """A person's region holds still while their call's key is kept: a re-home (which updates
    the person's row) waits for this call to commit, or this call for the re-home, so the key
    never stays behind in the old region (the person's other rows follow by their foreign
    keys). SQLite runs one writer at a time and needs no lock."""
    if conn.dialect.name == "postgresql" and scope.startswith("person:"):
        _HOLD_PERSON.run(conn, {"psn_no": scope[len("person:"):]})


_SCOPE = bindparam("i_scope", type_=idempotency.c.scope.type)
_KEY_IS = (idempotency.c.admdvs == caller_region(_SCOPE), idempotency.c.scope == _SCOPE,
           idempotency.c.key == bindparam("i_key", type_=idempotency.c.key.type))
_PEEK = fast.Prepared(select(idempotency).where(*_KEY_IS))
_CLAIM = {pg: fast.Prepared((pg_insert if pg else sqlite_insert)(idempotency).values({
    **fast.values_of(idempotency, ["key", "operation", "request_hash", "request",
                                   "created_at"]),
    "scope": _SCOPE, "admdvs": caller_region(_SCOPE)})
    .on_conflict_do_nothing(index_elements=["admdvs", "scope", "key"])
    .returning(idempotency.c.key)) for pg in (False, True)}
_STORE = fast.Prepared(update(idempotency).where(*_KEY_IS)
                       .values(fast.values_of(idempotency, ["response"])))


def differing_fields(old: Any, new: Any, path: str = "") -> list[str]:
    """Dotted paths at which two JSON values differ (list items by index)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for k in sorted(set(old) | set(new)):
            sub = f"{path}.{k}" if path else str(k)
            out += differing_fields(old.get(k, _MISSING), new.get(k, _MISSING), sub)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [path or "(body)"]
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out += differing_fields(a, b, f"{path}[{i}]")
        return out
    return [] if old == new else [path or "(body)"]
