"""The api_tokens table: operator tokens by the hash of their secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from gongji.store.tables import api_tokens


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: str
    role: str
    revoked_at: datetime | None


def add(conn: Connection, *, token_id: str, name: str, token_hash: str, role: str,
        at: datetime) -> None:
    conn.execute(insert(api_tokens).values(id=token_id, name=name, token_hash=token_hash,
                                           role=role, created_at=at))


def by_hash(conn: Connection, token_hash: str) -> TokenRecord | None:
    row = conn.execute(select(api_tokens.c.id, api_tokens.c.role, api_tokens.c.revoked_at)
                       .where(api_tokens.c.token_hash == token_hash)).first()
    return None if row is None else TokenRecord(row.id, row.role, row.revoked_at)
