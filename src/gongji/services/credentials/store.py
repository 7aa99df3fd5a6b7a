"""The server secrets, the insurance codes used up (credential_uses) and social security
cards."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.domain.errors import GongjiError
from gongji.store.tables import cards, credential_uses, person_region
from gongji.store.tables import secrets as secrets_table


def secret(conn: Connection, name: str, *, now: object) -> bytes:
    """A server secret, made once and kept in the database (shared by every worker)."""
    row = conn.execute(select(secrets_table.c.value).where(secrets_table.c.name == name)).first()
    if row is None:
        ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(secrets_table)
        conn.execute(ins.values(name=name, value=secrets.token_hex(32), created_at=now)
                     .on_conflict_do_nothing(index_elements=["name"]))
        row = conn.execute(select(secrets_table.c.value)
                           .where(secrets_table.c.name == name)).one()
    return bytes.fromhex(row.value)


def claim(conn: Connection, jti: str, psn_no: str, *, used_by: str, at: datetime) -> bool:
    """Use a code up (by its jti); False when it was used up before."""
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(credential_uses)
    claimed = conn.execute(ins.values(admdvs=person_region(psn_no), jti=jti, psn_no=psn_no,
                                      used_at=at, used_by=used_by)
                           .on_conflict_do_nothing(index_elements=["admdvs", "jti"])
                           .returning(credential_uses.c.jti)).first()
    return claimed is not None


def used_by(conn: Connection, jti: str) -> str | None:
    """Who used an insurance code up (institution scope and visit), if anyone has."""
    used: str | None = conn.execute(select(credential_uses.c.used_by)
                                    .where(credential_uses.c.jti == jti)).scalar()
    return used


def mark_used(conn: Connection, jti: str, used_by: str) -> None:
    """Note what a code was used up for (the visit it opened: its settlement accepts it)."""
    conn.execute(update(credential_uses).where(credential_uses.c.jti == jti)
                 .values(used_by=used_by))


def card_exists(conn: Connection, card_no: str) -> bool:
    return conn.execute(select(cards.c.card_no).where(cards.c.card_no == card_no)
                        ).first() is not None


def replace_card(conn: Connection, card_no: str, psn_no: str, *, at: datetime) -> None:
    """A new valid card for the person; their valid one, if any, is marked lost."""
    conn.execute(update(cards).where(cards.c.psn_no == psn_no, cards.c.status == "valid")
                 .values(status="lost"))
    conn.execute(insert(cards).values(admdvs=person_region(psn_no), card_no=card_no,
                                      psn_no=psn_no, status="valid", issued_at=at))


def person_by_card(conn: Connection, card_no: str) -> str:
    """Whose valid card this is (CARD_NOT_FOUND when none is)."""
    row = conn.execute(select(cards.c.psn_no).where(cards.c.card_no == card_no.strip().upper(),
                                                    cards.c.status == "valid")).first()
    if row is None:
        raise GongjiError("CARD_NOT_FOUND")
    return str(row.psn_no)
