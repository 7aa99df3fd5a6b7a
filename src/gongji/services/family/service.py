"""Family mutual aid bindings (家庭共济关系) between a sponsor and a close relative.

Requested by either side (naming the other by ID number and name), active once the other side
consents, optionally verified by an operator (required before money moves where the sponsor's
region says so). Ended by either side, or by itself when an enrollment ends or moves. When a
binding ends, pending transfers between the two go back to the sponsor and the unused quota
returns to the sponsor's personal account, in the same transaction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gongji.domain.access import Act, Principal
from gongji.domain.errors import Bi, GongjiError, missing
from gongji.domain.family import check_binding, check_unbind
from gongji.domain.ids import new_id
from gongji.domain.privacy import mask_name
from gongji.domain.regions import cross_province
from gongji.domain.relations import Relation, inverse
from gongji.ledger.kinds import AccountKind, account_code
from gongji.services.access import authorize, may_see, require_operator
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.family import store
from gongji.services.family.model import AwaitingVerification, BindingView, RequestBinding
from gongji.services.family.store import BindingRecord
from gongji.services.people import service as people
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.transfers import service as transfers
from gongji.services.unit_of_work import UnitOfWork
from gongji.services.wallet import service as wallet


@door
def request(app: Gongji, who: Principal, key: Key,
            cmd: RequestBinding) -> Written[BindingView]:
    """Ask a close relative to bind; the other side consents to make it active."""
    if who.kind != "person":
        raise GongjiError("FORBIDDEN")

    def run(uow: UnitOfWork) -> BindingView:
        me = who.id
        other = people.person_by_certno(uow.conn, cmd.other_certno.strip())
        if other is None or other.name != cmd.other_name.strip():
            raise GongjiError("PERSON_NOT_FOUND", psn_no=Bi("（按身份证号和姓名）",
                                                            "(by ID number and name)"))
        if cmd.my_role == "sponsor":
            sponsor, beneficiary = me, other.psn_no
            relation = cmd.relation
        else:
            sponsor, beneficiary = other.psn_no, me
            try:
                relation = inverse(Relation(cmd.relation)).value
            except ValueError:
                relation = cmd.relation  # check_binding names the problem
        _eligible(uow, sponsor, beneficiary, relation)
        if store.open_between(uow.conn, sponsor, beneficiary) is not None:
            raise GongjiError("BINDING_EXISTS")
        bid = new_id()
        store.add(uow.conn, binding_id=bid, sponsor=sponsor, beneficiary=beneficiary,
                  relation=relation, requested_by=me, at=uow.now)
        uow.record("binding.request", subject=bid, detail={"sponsor": sponsor,
                                                           "beneficiary": beneficiary,
                                                           "relation": relation})
        return view(uow, bid)

    return app.write(who, key=key, operation="binding.request",
                     request=to_json(cmd, RequestBinding), fn=run, result_type=BindingView)


@door
def respond(app: Gongji, who: Principal, key: Key, binding_id: str,
            accept: bool) -> Written[BindingView]:
    """The other side consents (the binding becomes active) or declines."""
    def run(uow: UnitOfWork) -> BindingView:
        b = _lock(uow, binding_id, who)
        if who.id not in (b.sponsor_psn_no, b.beneficiary_psn_no):
            raise GongjiError("FORBIDDEN")
        if b.status != "pending":
            raise GongjiError("BINDING_NOT_PENDING", state=b.status)
        if who.id == b.requested_by:
            raise GongjiError("BINDING_CONSENT_BY_OTHER_SIDE")
        if accept:
            _eligible(uow, b.sponsor_psn_no, b.beneficiary_psn_no, b.relation)
            values: dict[str, Any] = {"status": "active", "activated_at": uow.now}
        else:
            values = {"status": "declined", "ended_at": uow.now, "ended_by": who.scope,
                      "end_reason": "declined"}
        store.change(uow.conn, b.id, **values)
        uow.record("binding.consent" if accept else "binding.decline", subject=b.id)
        return view(uow, b.id)

    return app.write(who, key=key, operation="binding.respond",
                     request={"binding_id": binding_id, "accept": accept}, fn=run,
                     result_type=BindingView)


@door
def verify(app: Gongji, who: Principal, key: Key, binding_id: str,
           evidence: str) -> Written[BindingView]:
    """An operator marks the relation verified, noting the evidence seen (户口簿, 结婚证...)."""
    require_operator(who)
    if not evidence.strip():
        raise missing("evidence")

    def run(uow: UnitOfWork) -> BindingView:
        b = _lock(uow, binding_id)
        if b.status not in store.OPEN:
            raise GongjiError("BINDING_NOT_ACTIVE")
        store.change(uow.conn, b.id, verified=True, verified_by=who.scope,
                     evidence=evidence[:200])
        uow.record("binding.verify", subject=b.id, detail={"evidence": evidence[:200]})
        return view(uow, b.id)

    return app.write(who, key=key, operation="binding.verify",
                     request={"binding_id": binding_id, "evidence": evidence}, fn=run,
                     result_type=BindingView)


@door
def end(app: Gongji, who: Principal, key: Key, binding_id: str) -> Written[BindingView]:
    """Either side (or an operator) ends a binding or withdraws a pending request."""
    def run(uow: UnitOfWork) -> BindingView:
        b = _lock(uow, binding_id, who)
        if who.kind == "person" and who.id not in (b.sponsor_psn_no, b.beneficiary_psn_no):
            raise GongjiError("FORBIDDEN")
        if b.status not in store.OPEN:
            raise GongjiError("BINDING_NOT_ACTIVE")
        sponsor_enrollment = people.basic_enrollment(uow.conn, b.sponsor_psn_no)
        if b.status == "active" and who.kind == "person" and sponsor_enrollment is not None:
            # operators may end a binding at any time (a death, a court order)
            check_unbind(b.activated_at, uow.now, uow.policy(sponsor_enrollment.insuplc_admdvs))
        returned = _finish(uow, b, reason="unbound" if b.status == "active" else "withdrawn")
        return replace(view(uow, b.id), quota_returned=returned)

    return app.write(who, key=key, operation="binding.end", request={"binding_id": binding_id},
                     fn=run, result_type=BindingView)


def end_all_bindings(uow: UnitOfWork, psn_no: str, *, reason: str) -> list[str]:
    """End every pending or active binding of a person (their enrollment ended or moved)."""
    open_ = store.open_of(uow.conn, psn_no)
    for b in open_:
        _finish(uow, b, reason=reason)
    return [b.id for b in open_]


@door
def list_for(app: Gongji, who: Principal, psn_no: str) -> list[BindingView]:
    """A person's bindings as sponsor and as beneficiary, newest first."""
    def run(uow: UnitOfWork) -> list[BindingView]:
        authorize(uow, who, Act.READ, psn_no)
        return views_of(uow, psn_no)

    return app.read(run, principal=who)


def views_of(uow: UnitOfWork, psn_no: str) -> list[BindingView]:
    return [view(uow, i) for i in store.ids_of(uow.conn, psn_no)]


@door
def get(app: Gongji, who: Principal, binding_id: str) -> BindingView:
    """One binding, to either side (or their proxy) and to operators."""
    def run(uow: UnitOfWork) -> BindingView:
        _visible(uow, binding_id, who)
        return view(uow, binding_id)

    return app.read(run, principal=who)


@door
def awaiting_verification(app: Gongji, who: Principal, *, limit: int = 200
                          ) -> list[AwaitingVerification]:
    """Pending and active bindings no operator has verified yet (the console's queue): those
    whose sponsor's region requires verification first, then the oldest."""
    require_operator(who)
    return app.read(lambda uow: awaiting_in(uow, limit=limit))


def awaiting_in(uow: UnitOfWork, *, limit: int = 200) -> list[AwaitingVerification]:
    out = []
    for i in store.unverified(uow.conn, limit=limit):
        b = view(uow, i)
        e = people.basic_enrollment(uow.conn, b.sponsor_psn_no)
        required = e is not None and uow.policy(
            e.insuplc_admdvs).mutual_aid.require_verified_relation
        out.append(AwaitingVerification(b, required))
    return sorted(out, key=lambda a: not a.required)


def view(uow: UnitOfWork, binding_id: str) -> BindingView:
    b = store.binding(uow.conn, binding_id)
    if b is None:
        raise GongjiError("BINDING_NOT_FOUND", binding=binding_id)
    sponsor = people.person(uow.conn, b.sponsor_psn_no)
    beneficiary = people.person(uow.conn, b.beneficiary_psn_no)
    regions = [people.basic_enrollment(uow.conn, p) for p in (sponsor.psn_no,
                                                               beneficiary.psn_no)]
    quota = uow.ledger.account_by_code(account_code(
        AccountKind.WALLET_QUOTA, owner=b.beneficiary_psn_no, sponsor=b.sponsor_psn_no))
    return BindingView(
        id=b.id, sponsor_psn_no=b.sponsor_psn_no, beneficiary_psn_no=b.beneficiary_psn_no,
        sponsor_name_masked=mask_name(sponsor.name),
        beneficiary_name_masked=mask_name(beneficiary.name), relation=b.relation,
        status=b.status, verified=b.verified, requested_by=b.requested_by,
        requested_at=b.requested_at, activated_at=b.activated_at, ended_at=b.ended_at,
        end_reason=b.end_reason,
        cross_province=bool(regions[0] and regions[1] and cross_province(
            regions[0].insuplc_admdvs, regions[1].insuplc_admdvs)),
        quota=quota.balance if quota else 0)


# -- internals ------------------------------------------------------------------------------

def _eligible(uow: UnitOfWork, sponsor: str, beneficiary: str, relation: str) -> None:
    s, b = people.member(uow.conn, sponsor), people.member(uow.conn, beneficiary)
    region = s.insuplc_admdvs
    if region is None:
        raise GongjiError("SPONSOR_NOT_ELIGIBLE", required="310")
    check_binding(s, b, relation, uow.policy(region))


def _lock(uow: UnitOfWork, binding_id: str, who: Principal | None = None) -> BindingRecord:
    return _visible(uow, binding_id, who, lock=True)


def _visible(uow: UnitOfWork, binding_id: str, who: Principal | None, *,
             lock: bool = False) -> BindingRecord:
    """The binding; with who, only if who may see it (to anyone else it does not exist)."""
    b = store.binding(uow.conn, binding_id, lock=lock)
    if b is None or (who is not None and
                     not may_see(uow, who, b.sponsor_psn_no, b.beneficiary_psn_no)):
        raise GongjiError("BINDING_NOT_FOUND", binding=binding_id)
    return b


def _finish(uow: UnitOfWork, b: BindingRecord, *, reason: str) -> int:
    """End one binding: pending transfers back to the sponsor, quota home, row closed; how
    much quota went home."""
    returned = 0
    if b.status == "active":
        transfers.return_pending(uow, b.sponsor_psn_no, b.beneficiary_psn_no, reason="unbound")
        returned = wallet.return_quota(uow, b.sponsor_psn_no, b.beneficiary_psn_no)
    store.change(uow.conn, b.id, status="ended", ended_at=uow.now, ended_by=uow.principal.scope,
                 end_reason=reason)
    uow.record("binding.end", subject=b.id, detail={"reason": reason})
    return returned
