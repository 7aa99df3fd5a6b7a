"""Who may act on whose records: the person, a proxy holder within the proxy's limits, and
operators for reading and for their own operator work (never to move a person's money)."""

from __future__ import annotations

from gongji.domain.access import Act, check_may
from gongji.domain.errors import GongjiError
from gongji.services.proxies.store import held_proxies
from gongji.services.unit_of_work import Principal, UnitOfWork

OPERATOR_MAY = frozenset({Act.READ})


def require_operator(who: Principal) -> None:
    """Operator work (the console, the ledger's raw verbs, reports): operators only, and the
    system itself (seeding the demo, sweeps), which no request can claim to be."""
    if who.kind not in ("operator", "system"):
        raise GongjiError("FORBIDDEN")


def require_institution(who: Principal) -> None:
    if who.kind != "institution":
        raise GongjiError("FORBIDDEN")


def authorize(uow: UnitOfWork, who: Principal, act: Act, subject: str) -> None:
    if who.kind == "operator":
        if act in OPERATOR_MAY:
            return
        raise GongjiError("FORBIDDEN")
    if who.kind != "person":
        raise GongjiError("FORBIDDEN")
    check_may(act, actor=who.id, subject=subject, proxy_for=held_proxies(uow.conn, who.id)
              if who.id != subject else frozenset())


def authorize_either(uow: UnitOfWork, who: Principal, act: Act, one: str, other: str) -> None:
    """A record of two persons (a binding, a transfer): either side may (or their proxy)."""
    try:
        authorize(uow, who, act, one)
    except GongjiError:
        authorize(uow, who, act, other)


def may_see(uow: UnitOfWork, who: Principal, *subjects: str) -> bool:
    """Whether the caller may read a record of these persons (either side, their proxy, an
    operator). A record the caller may not see is looked up as if it did not exist, so an
    id's answer never tells a stranger that it is real."""
    for subject in subjects:
        try:
            authorize(uow, who, Act.READ, subject)
            return True
        except GongjiError as e:
            if e.code not in ("FORBIDDEN", "PROXY_NOT_ALLOWED"):
                raise
    return False
