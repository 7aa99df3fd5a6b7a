"""Re-homing a person: moving every row of theirs to another region (the first enrollment
takes them out of "000000", a move to the new insured region).

A person's rows carry the person's region in front of their keys, the distribution column a
distributed database shards them by (issue 20, docs/SCALING.md). Such a database never
updates a distribution value in place, so neither does gongji: the rows are copied to the new
region, parents first, and the old ones deleted, children first, in the caller's transaction.
The person's row is locked first, so the person's own calls, which hold it while they write
(their keys, their rows' foreign keys), commit before the move or run after it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, Connection, Table, delete, insert, literal, select

from gongji.store.tables import (
    accumulators,
    bindings,
    cards,
    cash_payments,
    credential_uses,
    enrollments,
    idempotency,
    pay_auths,
    pay_notifications,
    pay_orders,
    pay_refunds,
    person_flags,
    persons,
    pins,
    prescription_items,
    prescriptions,
    proxies,
    switches,
    wallet_transfers,
    wallets,
)

Mine = Callable[[str, str], ColumnElement[bool]]
"""(psn_no, region) -> whether a row of the table is that person's in that region."""


def _by(column: str) -> Callable[[Table], Mine]:
    return lambda t: lambda psn, old: (t.c.admdvs == old) & (t.c[column] == psn)


def _auths(psn: str, old: str) -> ColumnElement[bool]:
    return pay_orders.c.pay_auth_no.in_(select(pay_auths.c.pay_auth_no).where(
        pay_auths.c.admdvs == old, pay_auths.c.psn_no == psn))


def _of_orders(t: Table) -> Mine:
    return lambda psn, old: (t.c.admdvs == old) & t.c.pay_ord_id.in_(
        select(pay_orders.c.pay_ord_id).where(pay_orders.c.admdvs == old, _auths(psn, old)))


PERSON_ROWS: tuple[tuple[Table, Mine], ...] = (
    (persons, _by("psn_no")(persons)),
    *((t, _by("psn_no")(t)) for t in (enrollments, cards, credential_uses, pins, wallets,
                                       switches, person_flags, accumulators, prescriptions,
                                       pay_auths)),
    (proxies, _by("subject_psn_no")(proxies)),
    (bindings, _by("beneficiary_psn_no")(bindings)),
    (wallet_transfers, _by("sender_psn_no")(wallet_transfers)),
    (prescription_items, lambda psn, old: (prescription_items.c.admdvs == old)
     & prescription_items.c.hi_rxno.in_(select(prescriptions.c.hi_rxno).where(
         prescriptions.c.admdvs == old, prescriptions.c.psn_no == psn))),
    (pay_orders, lambda psn, old: (pay_orders.c.admdvs == old) & _auths(psn, old)),
    *((t, _of_orders(t)) for t in (pay_refunds, cash_payments, pay_notifications)),
    (idempotency, lambda psn, old: (idempotency.c.admdvs == old)
     & (idempotency.c.scope == f"person:{psn}")),
)
"""Every table holding a person's rows, each after the table its foreign key names, with
what makes a row the person's (a binding is its beneficiary's, a proxy its subject's, a
transfer its sender's; an order's rows go with its authorization; a call's key with its
caller)."""


def rehome(conn: Connection, psn_no: str, admdvs: str) -> bool:
    """Move the person's rows to region `admdvs`; False when they are there already."""
    q = select(persons.c.admdvs).where(persons.c.psn_no == psn_no)
    old = conn.execute(q.with_for_update() if conn.dialect.name == "postgresql" else q
                       ).scalar()
    if old is None or old == admdvs:
        return False
    for t, mine in PERSON_ROWS:
        names = [c.name for c in t.columns]
        conn.execute(insert(t).from_select(names, select(*(
            literal(admdvs, type_=c.type).label(c.name) if c.name == "admdvs" else c
            for c in t.columns)).where(mine(psn_no, old))))
    for t, mine in reversed(PERSON_ROWS):
        conn.execute(delete(t).where(mine(psn_no, old)))
    return True
