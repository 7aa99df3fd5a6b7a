"""E-credentials: the insurance code (shown by the person or their proxy, redeemed once by an
institution) and social security cards."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.domain import credentials as code
from gongji.domain.access import Act
from gongji.domain.errors import GongjiError
from gongji.services.access import authorize
from gongji.services.door import door
from gongji.services.people import service as people
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import cards, credential_uses
from gongji.store.tables import secrets as secrets_table

_CARD = re.compile(r"[A-Z0-9]{6,32}")


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


@door
def issue_code(app: Gongji, who: Principal, psn_no: str) -> code.CodeToken:
    """A fresh insurance code for the person (shown by them or by a proxy they approved)."""
    return app.transact(who, lambda uow: issue_in(uow, who, psn_no))


def issue_in(uow: UnitOfWork, who: Principal, psn_no: str) -> code.CodeToken:
    authorize(uow, who, Act.SHOW_CODE, psn_no)
    people.person(uow.conn, psn_no)
    region = people.insured_region(uow.conn, psn_no)
    ttl = uow.policy(region).credentials.code_ttl_seconds
    return code.issue(secret(uow.conn, "credential", now=uow.now), psn_no, uow.now, ttl)


def redeem(uow: UnitOfWork, token: str, *, used_by: str) -> str:
    """Check a presented code and use it up; returns the psn_no. Inside the caller's unit of
    work, so if the settlement it guards is refused, the code stays usable."""
    t = code.read(secret(uow.conn, "credential", now=uow.now), token, uow.now)
    ins = (pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert)(credential_uses)
    claimed = uow.conn.execute(ins.values(jti=t.jti, psn_no=t.psn_no, used_at=uow.now,
                                          used_by=used_by)
                               .on_conflict_do_nothing(index_elements=["jti"])
                               .returning(credential_uses.c.jti)).first()
    if claimed is None:
        raise GongjiError("CREDENTIAL_USED")
    return t.psn_no


def used_by(conn: Connection, jti: str) -> str | None:
    """Who used an insurance code up (institution scope and visit), if anyone has."""
    used: str | None = conn.execute(select(credential_uses.c.used_by)
                                    .where(credential_uses.c.jti == jti)).scalar()
    return used


def mark_used(conn: Connection, jti: str, used_by: str) -> None:
    """Note what a code was used up for (the visit it opened: its settlement accepts it)."""
    conn.execute(update(credential_uses).where(credential_uses.c.jti == jti)
                 .values(used_by=used_by))


@dataclass(frozen=True, slots=True)
class Redeemed:
    psn_no: str
    name_masked: str
    insuplc_admdvs: str | None


@door
def check_code(app: Gongji, who: Principal, key: Key, token: str) -> Written[Redeemed]:
    """Redeem a code and say whose it is (what an institution does before 1101/settlement)."""
    def run(uow: UnitOfWork) -> Redeemed:
        psn_no = redeem(uow, token, used_by=who.scope)
        p = people.person(uow.conn, psn_no)
        e = people.basic_enrollment(uow.conn, psn_no)
        return Redeemed(psn_no, p.masked.name_masked, e.insuplc_admdvs if e else None)

    return app.write(who, key=key, operation="credential.redeem", request={"token": token},
                     fn=run, result_type=Redeemed)


@dataclass(frozen=True, slots=True)
class Card:
    card_no: str
    psn_no: str
    status: str


@door
def issue_card(app: Gongji, who: Principal, key: Key, psn_no: str,
               card_no: str) -> Written[Card]:
    def run(uow: UnitOfWork) -> Card:
        number = card_no.strip().upper()
        if not _CARD.fullmatch(number):
            raise GongjiError("CARD_INVALID")
        people.person(uow.conn, psn_no)
        if uow.conn.execute(select(cards.c.card_no).where(cards.c.card_no == number)).first():
            raise GongjiError("CARD_EXISTS")
        uow.conn.execute(update(cards).where(cards.c.psn_no == psn_no, cards.c.status == "valid")
                         .values(status="lost"))  # a new card replaces the old one
        uow.conn.execute(insert(cards).values(card_no=number, psn_no=psn_no, status="valid",
                                              issued_at=uow.now))
        uow.record("card.issue", subject=psn_no, detail={"card": number[-4:]})
        return Card(number, psn_no, "valid")

    return app.write(who, key=key, operation="card.issue",
                     request={"psn_no": psn_no, "card_no": card_no}, fn=run, result_type=Card)


def person_by_card(conn: Connection, card_no: str) -> str:
    row = conn.execute(select(cards.c.psn_no).where(cards.c.card_no == card_no.strip().upper(),
                                                    cards.c.status == "valid")).first()
    if row is None:
        raise GongjiError("CARD_NOT_FOUND")
    return str(row.psn_no)
