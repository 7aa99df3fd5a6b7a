"""The low-level ledger API for operators: accounts, entries, holds, reversals, verify.

Business flows (wallets, settlements) have their own endpoints; these are for adjustments,
corrections and inspection of the operators' own money (funds, cash, clearing,
institutions): a person's accounts, and the entries and holds of a business record, are
refused (LEDGER_PERSON_ACCOUNT, ENTRY_OWNED, HOLD_OWNED). Every write needs an
Idempotency-Key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from gongji.api.deps import IdempotencyKey, Operator, Services, replay_header
from gongji.api.types import Moment, Yuan, YuanOut
from gongji.domain.clock import aware
from gongji.services.ledger import service as svc
from gongji.services.ledger.service import Account, AccountKind, Entry, EntryKind, Hold, HoldState

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

Id = Annotated[str, Field(min_length=1, max_length=36)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountOut(BaseModel):
    id: str
    code: str
    kind: AccountKind
    owner: str | None
    sponsor: str | None
    admdvs: str | None
    parent_id: str | None
    no_negative: bool = Field(description="The database refuses any posting that would make "
                                          "this account negative")
    balance: YuanOut
    status: Literal["open", "closed"]
    created_at: datetime

    @classmethod
    def of(cls, a: Account) -> AccountOut:
        return cls(id=a.id, code=a.code, kind=a.kind, owner=a.owner, sponsor=a.sponsor,
                   admdvs=a.admdvs, parent_id=a.parent_id, no_negative=a.no_negative,
                   balance=a.balance, status=a.status,
                   created_at=a.created_at)


class PostingOut(BaseModel):
    account_id: str
    amount: YuanOut = Field(description="Signed: positive adds to the account's balance")


class EntryOut(BaseModel):
    id: str
    kind: EntryKind
    code: str = Field(description="The business operation, e.g. ledger.adjust")
    ref_entry_id: str | None = Field(description="The hold a post/void/expire resolves, or the "
                                                 "transfer a reversal mirrors")
    ext_ref: str | None
    memo: str
    actor: str
    admdvs: str | None
    created_at: datetime
    postings: list[PostingOut]

    @classmethod
    def of(cls, e: Entry) -> EntryOut:
        return cls(id=e.id, kind=e.kind, code=e.code, ref_entry_id=e.ref_entry_id,
                   ext_ref=e.ext_ref, memo=e.memo, actor=e.actor, admdvs=e.admdvs,
                   created_at=e.created_at,
                   postings=[PostingOut(account_id=p.account_id, amount=p.amount)
                             for p in e.postings])


class HoldOut(BaseModel):
    id: str
    entry_id: str
    source_account_id: str
    hold_account_id: str
    dest_account_id: str
    amount: YuanOut
    deadline: datetime
    state: HoldState
    resolved_entry_id: str | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, h: Hold) -> HoldOut:
        return cls(id=h.id, entry_id=h.entry_id, source_account_id=h.source_id,
                   hold_account_id=h.hold_account_id, dest_account_id=h.dest_id,
                   amount=h.amount, deadline=h.deadline, state=h.state,
                   resolved_entry_id=h.resolved_entry_id, resolved_at=h.resolved_at)


class HoldResolutionOut(BaseModel):
    hold: HoldOut
    entry: EntryOut


class OpenAccountIn(_In):
    # a person's account and wallet quota are opened by enrollment and transfers, not here
    kind: Literal["FUND_POOL", "FUND_CRITICAL", "FUND_ASSISTANCE", "FUND_LTC", "INSTITUTION",
                  "CLEARING", "CASH"]
    owner: str | None = Field(None, max_length=64)
    sponsor: str | None = Field(None, max_length=64)
    admdvs: str | None = Field(None, pattern=r"^[0-9]{6}$")


class TransferIn(_In):
    debit_account_id: Id
    credit_account_id: Id
    amount: Yuan
    memo: str = Field("", max_length=200)
    ext_ref: str | None = Field(None, max_length=64)


class HoldIn(_In):
    source_account_id: Id
    dest_account_id: Id
    amount: Yuan
    deadline: Moment
    memo: str = Field("", max_length=200)


class ResolveIn(_In):
    memo: str = Field("", max_length=200)


class VerifyCheckOut(BaseModel):
    name: str
    title: str
    examined: int
    ok: bool
    violations: list[dict[str, str]]


class VerifyOut(BaseModel):
    ok: bool
    checks: list[VerifyCheckOut]


@router.post("/accounts", status_code=status.HTTP_201_CREATED, response_model=AccountOut,
             summary="Open (or get) an account of a kind for an owner")
def open_account(body: OpenAccountIn, who: Operator, services: Services, response: Response,
                 key: IdempotencyKey = None) -> AccountOut:
    w = svc.open_account(services, who, key, svc.OpenAccount(**body.model_dump()))
    replay_header(response, w)
    return AccountOut.of(w.value)


@router.get("/accounts", response_model=list[AccountOut], summary="List accounts")
def list_accounts(who: Operator, services: Services,
                  kind: AccountKind | None = None,
                  owner: Annotated[str | None, Query(max_length=64)] = None,
                  admdvs: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
                  after: Annotated[str | None, Query(max_length=36,
                                                     description="page: ids after this")] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AccountOut]:
    found = svc.accounts(services, who, kind=kind, owner=owner, admdvs=admdvs, after=after,
                         limit=limit)
    return [AccountOut.of(a) for a in found]


@router.get("/accounts/{account_id}", response_model=AccountOut, summary="One account")
def get_account(account_id: Id, who: Operator, services: Services) -> AccountOut:
    return AccountOut.of(svc.account(services, who, account_id))


@router.get("/accounts/{account_id}/entries", response_model=list[EntryOut],
            summary="An account's entries, newest first")
def account_entries(account_id: Id, who: Operator, services: Services,
                    before: Annotated[str | None, Query(max_length=36)] = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[EntryOut]:
    return [EntryOut.of(e) for e in svc.entries(services, who, account_id, before=before,
                                                limit=limit)]


@router.post("/transfers", status_code=status.HTTP_201_CREATED, response_model=EntryOut,
             summary="Move money between two accounts now (an adjustment; never a person's)")
def transfer(body: TransferIn, who: Operator, services: Services, response: Response,
             key: IdempotencyKey = None) -> EntryOut:
    w = svc.transfer(services, who, key, svc.Transfer(**body.model_dump()))
    replay_header(response, w)
    return EntryOut.of(w.value)


@router.get("/entries/{entry_id}", response_model=EntryOut, summary="One entry")
def get_entry(entry_id: Id, who: Operator, services: Services) -> EntryOut:
    return EntryOut.of(svc.entry(services, who, entry_id))


@router.post("/entries/{entry_id}/reversal", status_code=status.HTTP_201_CREATED,
             response_model=EntryOut,
             summary="Reverse an operator's adjustment (a mirror entry); a business record's "
                     "entry is undone by its own capability")
def reverse(entry_id: Id, body: ResolveIn, who: Operator, services: Services,
            response: Response, key: IdempotencyKey = None) -> EntryOut:
    w = svc.reverse(services, who, key, svc.Reverse(entry_id, body.memo))
    replay_header(response, w)
    return EntryOut.of(w.value)


@router.post("/holds", status_code=status.HTTP_201_CREATED, response_model=HoldOut,
             summary="Hold money from a source for a destination until a deadline")
def create_hold(body: HoldIn, who: Operator, services: Services, response: Response,
                key: IdempotencyKey = None) -> HoldOut:
    cmd = svc.CreateHold(body.source_account_id, body.dest_account_id, body.amount,
                         aware(body.deadline), body.memo)
    w = svc.create_hold(services, who, key, cmd)
    replay_header(response, w)
    return HoldOut.of(w.value)


@router.get("/holds/{hold_id}", response_model=HoldOut, summary="One hold")
def get_hold(hold_id: Id, who: Operator, services: Services) -> HoldOut:
    return HoldOut.of(svc.hold(services, who, hold_id))


def _resolve(action: Literal["post", "void"]):  # type: ignore[no-untyped-def]
    def handler(hold_id: Id, body: ResolveIn, who: Operator, services: Services,
                response: Response, key: IdempotencyKey = None) -> HoldResolutionOut:
        w = svc.resolve_hold(services, who, key, svc.ResolveHold(hold_id, action, body.memo))
        replay_header(response, w)
        return HoldResolutionOut(hold=HoldOut.of(w.value.hold), entry=EntryOut.of(w.value.entry))

    return handler


router.add_api_route("/holds/{hold_id}/post", _resolve("post"), methods=["POST"],
                     response_model=HoldResolutionOut,
                     summary="Post a pending hold in full to its destination (before deadline)")
router.add_api_route("/holds/{hold_id}/void", _resolve("void"), methods=["POST"],
                     response_model=HoldResolutionOut,
                     summary="Void a pending hold back to its source (before deadline)")


@router.get("/verify", response_model=VerifyOut,
            summary="Recompute every invariant from the journal (as `gongji verify`)")
def run_verify(who: Operator, services: Services) -> VerifyOut:
    report = svc.verify(services, who)
    return VerifyOut(ok=report.ok, checks=[
        VerifyCheckOut(name=c.name, title=c.title, examined=c.examined, ok=c.ok,
                       violations=[{"subject": v.subject, "message": v.message}
                                   for v in c.violations[:100]])
        for c in report.checks])
