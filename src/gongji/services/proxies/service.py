"""Family proxies (亲情账户): one person holds a relative's insurance code and helps them.

The holder asks, naming the relative by ID number and name. An adult relative consents
themselves; for a minor (under credentials.minor_age) the holder names the documents (policy
credentials.minor_documents: 户口簿, 出生医学证明, each with its number) and an operator
approves after checking them. Either side may end it. opening_documents tells the wallet
whether a proxy may open the relative's wallet (代开通) without more documents.
"""

from __future__ import annotations

from gongji.domain import documents
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
from gongji.services.proxies import store
from gongji.services.proxies.model import ProxyDocument, ProxyView, RequestProxy
from gongji.services.proxies.store import ProxyRecord
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork


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
        # the holder's requests queue on the holder: what the checks below read is what the
        # insert after them sees (SQLite's one writer queues them anyway)
        people.lock_person(uow.conn, who.id)
        if store.open_between(uow.conn, who.id, subject.psn_no):
            raise GongjiError("PROXY_EXISTS")
        if store.open_count(uow.conn, who.id) >= rules.credentials.proxy_members:
            raise GongjiError("PROXY_MEMBERS_FULL", limit=rules.credentials.proxy_members)
        age = CertInfo(subject.certno, subject.brdy, subject.gend, "").age_on(uow.today)
        creds = rules.credentials
        needs = "operator" if age < creds.minor_age else "consent"
        docs = documents.required(cmd.documents, accepted=creds.minor_documents,
                                  needed=creds.minor_documents_needed, age=creds.minor_age) \
            if needs == "operator" else documents.valid(cmd.documents)
        note = cmd.evidence.strip()
        stored = "\n".join(x for x in (documents.encode(docs) if docs else "", note) if x)
        pid = new_id()
        store.add(uow.conn, pid, holder=who.id, subject=subject.psn_no,
                  relation=relation.value, needs=needs, evidence=stored[:200] or None,
                  at=uow.now)
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
        store.decide(uow.conn, p.id, status="active" if accept else "declined",
                     by=who.scope, at=uow.now)
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
        store.end(uow.conn, p.id, at=uow.now)
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
    """Proxies the person holds or is the subject of, newest first."""
    return [view(uow, i) for i in store.ids_of(uow.conn, psn_no)]


@door
def pending_for_operators(app: Gongji, who: Principal) -> list[ProxyView]:
    """Proxies for minors waiting for an operator's approval."""
    require_operator(who)
    return app.read(pending_in)


def pending_in(uow: UnitOfWork) -> list[ProxyView]:
    """Proxies for minors waiting for an operator, oldest first."""
    return [view(uow, i) for i in store.pending_operator_ids(uow.conn)]


def view(uow: UnitOfWork, proxy_id: str) -> ProxyView:
    """A proxy with both persons' names masked."""
    p = store.proxy(uow.conn, proxy_id)
    if p is None:
        raise GongjiError("PROXY_NOT_FOUND", proxy=proxy_id)
    holder = people.person(uow.conn, p.holder_psn_no)
    subject = people.person(uow.conn, p.subject_psn_no)
    return ProxyView(id=p.id, holder_psn_no=p.holder_psn_no, subject_psn_no=p.subject_psn_no,
                     holder_name_masked=mask_name(holder.name),
                     subject_name_masked=mask_name(subject.name), relation=p.relation,
                     status=p.status, needs=p.needs, requested_at=p.requested_at,
                     decided_at=p.decided_at, documents=tuple(
                         ProxyDocument(d.kind, d.reference_masked)
                         for d in documents.decode(p.evidence)))


def check_opening(uow: UnitOfWork, holder: str, subject: str, age: int, home: str) -> None:
    """代开通: refuse a proxy opening the relative's wallet without the relative's documents
    on the proxy where the relative's region asks for them (credentials.proxy_open_documents:
    for a minor, always, or never)."""
    creds = uow.policy(home).credentials
    wanted = creds.proxy_open_documents == "always" or (
        creds.proxy_open_documents == "minor" and age < creds.minor_age)
    if not wanted:
        return
    p = store.active_between(uow.conn, holder, subject)
    if p is None or not documents.satisfied(documents.decode(p.evidence),
                                            accepted=creds.minor_documents,
                                            needed=creds.minor_documents_needed):
        raise GongjiError("PROXY_OPEN_NEEDS_DOCUMENTS",
                          documents=documents.names(creds.minor_documents))


def _lock(uow: UnitOfWork, proxy_id: str) -> ProxyRecord:
    p = store.proxy(uow.conn, proxy_id, lock=True)
    if p is None:
        raise GongjiError("PROXY_NOT_FOUND", proxy=proxy_id)
    return p
