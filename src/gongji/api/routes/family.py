"""Family mutual-aid bindings (家庭共济) and family proxies (亲情账户)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from gongji.api.deps import Caller, IdempotencyKey, Operator, Person, Services, replay_header
from gongji.api.types import Certno, In, Psn, YuanOut
from gongji.domain.documents import Document
from gongji.domain.relations import NAMES, Relation
from gongji.services.family import service as family
from gongji.services.proxies import service as proxies

router = APIRouter(prefix="/api/v1", tags=["family"])

RelationName = Literal["spouse", "parent", "child", "sibling", "grandparent",
                       "maternal_grandparent", "grandchild", "maternal_grandchild",
                       "parent_in_law", "child_in_law", "sibling_in_law"]
"""The close relatives of the Civil Code, plus the in-laws people ask for (refused by name)."""


class BindingIn(In):
    other_certno: Certno
    other_name: str = Field(min_length=1, max_length=50)
    my_role: Literal["sponsor", "beneficiary"] = Field(
        description="sponsor: I share my personal account; beneficiary: they share with me")
    relation: RelationName = Field(description="What the other person is to me")


class BindingOut(BaseModel):
    id: str
    sponsor_psn_no: str
    beneficiary_psn_no: str
    sponsor_name_masked: str
    beneficiary_name_masked: str
    relation: str = Field(description="What the beneficiary is to the sponsor")
    status: Literal["pending", "active", "declined", "ended"]
    verified: bool
    requested_by: str
    requested_at: datetime
    activated_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    cross_province: bool
    quota: YuanOut = Field(description="Unused quota the beneficiary holds from this sponsor")

    @classmethod
    def of(cls, b: family.BindingView) -> BindingOut:
        return cls(**{f: getattr(b, f) for f in cls.model_fields})


class VerifyIn(In):
    evidence: str = Field(min_length=1, max_length=200,
                          description="What was checked: 户口簿, 结婚证, 出生医学证明...")


@router.post("/bindings", status_code=status.HTTP_201_CREATED, response_model=BindingOut,
             summary="Ask a close relative to bind (they consent to make it active)")
def request_binding(body: BindingIn, who: Person, services: Services, response: Response,
                    key: IdempotencyKey = None) -> BindingOut:
    w = family.request(services, who, key, family.RequestBinding(**body.model_dump()))
    replay_header(response, w)
    return BindingOut.of(w.value)


def _respond(accept: bool):  # type: ignore[no-untyped-def]
    def handler(binding_id: str, who: Person, services: Services, response: Response,
                key: IdempotencyKey = None) -> BindingOut:
        w = family.respond(services, who, key, binding_id, accept)
        replay_header(response, w)
        return BindingOut.of(w.value)

    return handler


router.add_api_route("/bindings/{binding_id}/consent", _respond(True), methods=["POST"],
                     response_model=BindingOut, summary="The other side consents: active")
router.add_api_route("/bindings/{binding_id}/decline", _respond(False), methods=["POST"],
                     response_model=BindingOut, summary="The other side declines")


@router.post("/bindings/{binding_id}/end", response_model=BindingOut,
             summary="End a binding (either side): pending transfers and quota go home")
def end_binding(binding_id: str, who: Caller, services: Services, response: Response,
                key: IdempotencyKey = None) -> BindingOut:
    w = family.end(services, who, key, binding_id)
    replay_header(response, w)
    return BindingOut.of(w.value)


@router.post("/bindings/{binding_id}/verify", response_model=BindingOut, tags=["operators"],
             summary="An operator verifies the relation with evidence")
def verify_binding(binding_id: str, body: VerifyIn, who: Operator, services: Services,
                   response: Response, key: IdempotencyKey = None) -> BindingOut:
    w = family.verify(services, who, key, binding_id, body.evidence)
    replay_header(response, w)
    return BindingOut.of(w.value)


@router.get("/bindings/{binding_id}", response_model=BindingOut, summary="One binding")
def get_binding(binding_id: str, who: Caller, services: Services) -> BindingOut:
    return BindingOut.of(family.get(services, who, binding_id))


@router.get("/persons/{psn_no}/bindings", response_model=list[BindingOut],
            summary="A person's bindings as sponsor and as beneficiary")
def list_bindings(psn_no: Psn, who: Caller, services: Services) -> list[BindingOut]:
    return [BindingOut.of(b) for b in family.list_for(services, who, psn_no)]


@router.get("/relations", summary="The relations one may bind (Civil Code close relatives)")
def relations() -> list[dict[str, str]]:
    return [{"value": r.value, "zh": NAMES[r].zh, "en": NAMES[r].en} for r in Relation]


# -- proxies -------------------------------------------------------------------------------

class DocumentIn(In):
    kind: Literal["household_register", "birth_certificate"] = Field(
        description="户口簿 household_register, 出生医学证明 birth_certificate")
    reference: str = Field(min_length=1, max_length=40, description="The document's number")


class DocumentOut(BaseModel):
    kind: str
    reference_masked: str


class ProxyIn(In):
    relative_certno: Certno
    relative_name: str = Field(min_length=1, max_length=50)
    relation: RelationName = Field(description="What the relative is to me")
    evidence: str = Field("", max_length=200, description="A note for the operator")
    documents: list[DocumentIn] = Field(default_factory=list, max_length=4, description=(
        "The relative's documents: required under credentials.minor_age (any one of the "
        "region's credentials.minor_documents, or all where it says so); otherwise optional"))


class ProxyOut(BaseModel):
    id: str
    holder_psn_no: str
    subject_psn_no: str
    holder_name_masked: str
    subject_name_masked: str
    relation: str
    status: Literal["pending", "active", "declined", "ended"]
    needs: Literal["consent", "operator"]
    requested_at: datetime
    decided_at: datetime | None
    documents: list[DocumentOut]

    @classmethod
    def of(cls, p: proxies.ProxyView) -> ProxyOut:
        fields = {f: getattr(p, f) for f in cls.model_fields if f != "documents"}
        return cls(**fields, documents=[DocumentOut(kind=d.kind,
                                                    reference_masked=d.reference_masked)
                                        for d in p.documents])


@router.post("/proxies", status_code=status.HTTP_201_CREATED, response_model=ProxyOut,
             tags=["credentials"],
             summary="Ask to hold a relative's insurance code (亲情账户)")
def request_proxy(body: ProxyIn, who: Person, services: Services, response: Response,
                  key: IdempotencyKey = None) -> ProxyOut:
    w = proxies.request(services, who, key, proxies.RequestProxy(
        body.relative_certno, body.relative_name, body.relation, body.evidence,
        tuple(Document(d.kind, d.reference) for d in body.documents)))
    replay_header(response, w)
    return ProxyOut.of(w.value)


def _decide(accept: bool):  # type: ignore[no-untyped-def]
    def handler(proxy_id: str, who: Caller, services: Services, response: Response,
                key: IdempotencyKey = None) -> ProxyOut:
        w = proxies.decide(services, who, key, proxy_id, accept)
        replay_header(response, w)
        return ProxyOut.of(w.value)

    return handler


router.add_api_route("/proxies/{proxy_id}/approve", _decide(True), methods=["POST"],
                     response_model=ProxyOut, tags=["credentials"],
                     summary="Approve: the adult relative themselves, or an operator for a minor")
router.add_api_route("/proxies/{proxy_id}/decline", _decide(False), methods=["POST"],
                     response_model=ProxyOut, tags=["credentials"], summary="Decline")


@router.post("/proxies/{proxy_id}/end", response_model=ProxyOut, tags=["credentials"],
             summary="End a proxy (either side)")
def end_proxy(proxy_id: str, who: Caller, services: Services, response: Response,
              key: IdempotencyKey = None) -> ProxyOut:
    w = proxies.end(services, who, key, proxy_id)
    replay_header(response, w)
    return ProxyOut.of(w.value)


@router.get("/persons/{psn_no}/proxies", response_model=list[ProxyOut], tags=["credentials"],
            summary="Proxies a person holds and proxies over them")
def list_proxies(psn_no: Psn, who: Caller, services: Services) -> list[ProxyOut]:
    return [ProxyOut.of(p) for p in proxies.list_for(services, who, psn_no)]


@router.get("/proxies/queue", response_model=list[ProxyOut], tags=["operators"],
            summary="Proxies for minors waiting for an operator's approval")
def proxy_queue(who: Operator, services: Services) -> list[ProxyOut]:
    return [ProxyOut.of(p) for p in proxies.pending_for_operators(services, who)]
