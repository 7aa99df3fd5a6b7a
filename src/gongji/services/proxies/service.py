"""Family proxies (亲情账户): one person holds a relative's insurance code and helps them.

The holder asks, naming the relative by ID number and name. An adult relative consents
themselves; for a minor (under credentials.minor_age) an operator approves after checking the
documents (birth certificate, household register). Either side may end it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, insert, or_, select, update

from gongji.domain.access import Act
from gongji.domain.certno import CertInfo
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.ids import new_id
from gongji.domain.privacy import mask_name
from gongji.domain.relations import parse_relation
from gongji.services.access import authorize, require_operator
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.people import service as people
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import proxies


@dataclass(frozen=True, slots=True)
class RequestProxy:
    relative_certno: str
    relative_name: str
    relation: str
    """What the relative is to the holder."""
    evidence: str = ""
    """For a minor: which documents the operator will check."""


@dataclass(frozen=True, slots=True)
class ProxyView:
    id: str
    holder_psn_no: str
    subject_psn_no: str
    holder_name_masked: str
    subject_name_masked: str
    relation: str
    status: str
    needs: str
    """consent (an adult relative agrees) or operator (documents checked for a minor)."""
    requested_at: datetime
    decided_at: datetime | None


@door
def request(app: Gongji, who: Principal, key: Key,
            cmd: RequestProxy) -> Written[ProxyView]:
    def run(uow: UnitOfWork) -> ProxyView:
        if who.kind != "person":
            raise GongjiError("FORBIDDEN")
        subject = people.person_by_certno(uow.conn, cmd.relative_certno.strip())
        if subject is None or subject.name != cmd.relative_name.strip():
            raise GongjiError("PERSON_NOT_FOUND", psn_no=Bi("（按身份证号和姓名）",
                                                            "(by ID number and name)"))
        if subject.psn_no == who.id:
            raise GongjiError("PROXY_SELF")
        e = people.basic_enrollment(uow.conn, who.id)
        rules = uow.policy(e.insuplc_admdvs if e else "000000")
        relation = parse_relation(cmd.relation, {r.value for r in rules.mutual_aid.relations})
        open_ = uow.conn.execute(select(proxies.c.id).where(
            proxies.c.holder_psn_no == who.id, proxies.c.subject_psn_no == subject.psn_no,
            proxies.c.status.in_(["pending", "active"]))).first()
        if open_ is not None:
            raise GongjiError("PROXY_EXISTS")
        age = CertInfo(subject.certno, subject.brdy, subject.gend, "").age_on(uow.today)
        needs = "operator" if age < rules.credentials.minor_age else "consent"
        pid = new_id()
        uow.conn.execute(insert(proxies).values(
            id=pid, holder_psn_no=who.id, subject_psn_no=subject.psn_no,
            relation=relation.value, status="pending", needs=needs,
            evidence=cmd.evidence[:200] or None, requested_at=uow.now))
        uow.record("proxy.request", subject=pid, detail={"subject": subject.psn_no,
                                                         "needs": needs})
        return view(uow, pid)

    return app.write(who, key=key, operation="proxy.request",
                     request=to_json(cmd, RequestProxy), fn=run, result_type=ProxyView)


@door
def decide(app: Gongji, who: Principal, key: Key, proxy_id: str,
           accept: bool) -> Written[ProxyView]:
    """The adult relative consents or declines; for a minor, an operator approves or not."""
    def run(uow: UnitOfWork) -> ProxyView:
        p = _lock(uow, proxy_id)
        if who.kind != "operator" and who.id not in (p.subject_psn_no, p.holder_psn_no):
            raise GongjiError("FORBIDDEN")  # before any state: a stranger learns nothing
        if p.status != "pending":
            raise GongjiError("PROXY_NOT_PENDING", state=p.status)
        if p.needs == "consent":
            if who.kind == "operator":
                raise GongjiError("PROXY_NEEDS_CONSENT")
            if who.id != p.subject_psn_no:
                raise GongjiError("FORBIDDEN")
        elif who.kind != "operator":
            raise GongjiError("PROXY_NEEDS_OPERATOR")
        uow.conn.execute(update(proxies).where(proxies.c.id == p.id).values(
            status="active" if accept else "declined", decided_at=uow.now,
            decided_by=who.scope))
        uow.record("proxy.approve" if accept else "proxy.decline", subject=p.id)
        return view(uow, p.id)

    return app.write(who, key=key, operation="proxy.decide",
                     request={"proxy_id": proxy_id, "accept": accept}, fn=run,
                     result_type=ProxyView)


@door
def end(app: Gongji, who: Principal, key: Key, proxy_id: str) -> Written[ProxyView]:
    def run(uow: UnitOfWork) -> ProxyView:
        p = _lock(uow, proxy_id)
        if who.kind == "person" and who.id not in (p.holder_psn_no, p.subject_psn_no):
            raise GongjiError("FORBIDDEN")
        if p.status not in ("pending", "active"):
            raise GongjiError("PROXY_NOT_PENDING", state=p.status)
        uow.conn.execute(update(proxies).where(proxies.c.id == p.id)
                         .values(status="ended", ended_at=uow.now))
        uow.record("proxy.end", subject=p.id)
        return view(uow, p.id)

    return app.write(who, key=key, operation="proxy.end", request={"proxy_id": proxy_id},
                     fn=run, result_type=ProxyView)


@door
def list_for(app: Gongji, who: Principal, psn_no: str) -> list[ProxyView]:
    """Proxies a person holds and proxies over them."""
    def run(uow: UnitOfWork) -> list[ProxyView]:
        authorize(uow, who, Act.READ, psn_no)
        return views_of(uow, psn_no)

    return app.read(run, principal=who)


def views_of(uow: UnitOfWork, psn_no: str) -> list[ProxyView]:
    ids = uow.conn.execute(select(proxies.c.id).where(or_(
        proxies.c.holder_psn_no == psn_no, proxies.c.subject_psn_no == psn_no))
        .order_by(proxies.c.requested_at.desc())).scalars()
    return [view(uow, i) for i in ids]


@door
def pending_for_operators(app: Gongji, who: Principal) -> list[ProxyView]:
    """Proxies for minors waiting for an operator's approval."""
    require_operator(who)
    return app.read(pending_in)


def pending_in(uow: UnitOfWork) -> list[ProxyView]:
    ids = uow.conn.execute(select(proxies.c.id).where(
        proxies.c.status == "pending", proxies.c.needs == "operator")
        .order_by(proxies.c.requested_at)).scalars()
    return [view(uow, i) for i in ids]


def view(uow: UnitOfWork, proxy_id: str) -> ProxyView:
    p = uow.conn.execute(select(proxies).where(proxies.c.id == proxy_id)).first()
    if p is None:
        raise GongjiError("PROXY_NOT_FOUND", proxy=proxy_id)
    holder = people.person(uow.conn, p.holder_psn_no)
    subject = people.person(uow.conn, p.subject_psn_no)
    return ProxyView(id=p.id, holder_psn_no=p.holder_psn_no, subject_psn_no=p.subject_psn_no,
                     holder_name_masked=mask_name(holder.name),
                     subject_name_masked=mask_name(subject.name), relation=p.relation,
                     status=p.status, needs=p.needs, requested_at=p.requested_at,
                     decided_at=p.decided_at)


def _lock(uow: UnitOfWork, proxy_id: str) -> Row[object]:
    p = uow.conn.execute(select(proxies).where(proxies.c.id == proxy_id)
                         .with_for_update()).first()
    if p is None:
        raise GongjiError("PROXY_NOT_FOUND", proxy=proxy_id)
    return p
