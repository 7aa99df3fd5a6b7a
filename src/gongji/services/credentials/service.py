"""E-credentials: the insurance code (shown by the person or their proxy, redeemed once by an
institution) and social security cards."""

from __future__ import annotations

import re

from gongji.domain import credentials as code
from gongji.domain.access import Act
from gongji.domain.errors import GongjiError
from gongji.services.access import authorize
from gongji.services.credentials import store
from gongji.services.credentials.model import Card, Redeemed
from gongji.services.credentials.store import mark_used, person_by_card, secret, used_by
from gongji.services.door import door
from gongji.services.people import service as people
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork

__all__ = ["mark_used", "person_by_card", "used_by"]
"""What callers still reach here though this module does not use it (store.py's reads)."""

_CARD = re.compile(r"[A-Z0-9]{6,32}")


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
    if not store.claim(uow.conn, t.jti, t.psn_no, used_by=used_by, at=uow.now):
        raise GongjiError("CREDENTIAL_USED")
    return t.psn_no


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


@door
def issue_card(app: Gongji, who: Principal, key: Key, psn_no: str,
               card_no: str) -> Written[Card]:
    def run(uow: UnitOfWork) -> Card:
        number = card_no.strip().upper()
        if not _CARD.fullmatch(number):
            raise GongjiError("CARD_INVALID")
        people.person(uow.conn, psn_no)
        if store.card_exists(uow.conn, number):
            raise GongjiError("CARD_EXISTS")
        store.replace_card(uow.conn, number, psn_no, at=uow.now)  # a new card replaces the old
        uow.record("card.issue", subject=psn_no, detail={"card": number[-4:]})
        return Card(number, psn_no, "valid")

    return app.write(who, key=key, operation="card.issue",
                     request={"psn_no": psn_no, "card_no": card_no}, fn=run, result_type=Card)
