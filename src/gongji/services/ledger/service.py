"""Low-level ledger operations for operators (adjustments, corrections) and the hold sweeper.

Business flows (wallet transfers, settlements) have their own services that call the Ledger
inside their own unit of work; these are the raw verbs, each idempotent by a client key.
"""

from __future__ import annotations

import os

from gongji.domain.errors import GongjiError
from gongji.ledger.kinds import REGION_FUND_KINDS, AccountKind, parse_kind
from gongji.ledger.model import Account, Entry, EntryKind, Hold, HoldState
from gongji.ledger.verify import CheckResult, VerifyReport, Violation
from gongji.ledger.verify import verify as verify_journal
from gongji.services.access import require_operator
from gongji.services.codec import to_json
from gongji.services.door import door
from gongji.services.ledger.model import (
    ADJUST,
    HOLD,
    CreateHold,
    HoldResult,
    OpenAccount,
    Progress,
    ResolveHold,
    Reverse,
    Transfer,
)
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork

__all__ = ["ADJUST", "HOLD", "Account", "AccountKind", "CheckResult", "CreateHold", "Entry",
           "EntryKind", "Hold", "HoldResult", "HoldState", "OpenAccount", "Progress",
           "ResolveHold", "Reverse", "Transfer", "VerifyReport", "Violation"]
"""The model and the journal's records callers reach through this module, besides its doors
and steps."""


@door
def open_account(app: Gongji, who: Principal, key: Key,
                 cmd: OpenAccount) -> Written[Account]:
    require_operator(who)
    kind = parse_kind(cmd.kind)
    if kind == AccountKind.HOLD:
        raise GongjiError("ACCOUNT_KIND_INVALID", kind=cmd.kind)
    return app.write(who, key=key, operation="ledger.open_account",
                     request=to_json(cmd, OpenAccount), result_type=Account,
                     fn=lambda uow: uow.ledger.open_account(kind, owner=cmd.owner,
                                                            sponsor=cmd.sponsor,
                                                            admdvs=cmd.admdvs))


@door
def transfer(app: Gongji, who: Principal, key: Key, cmd: Transfer) -> Written[Entry]:
    require_operator(who)
    return app.write(who, key=key, operation="ledger.transfer", request=to_json(cmd, Transfer),
                     result_type=Entry,
                     fn=lambda uow: uow.ledger.transfer(cmd.debit_account_id,
                                                        cmd.credit_account_id, cmd.amount,
                                                        code=ADJUST, memo=cmd.memo,
                                                        ext_ref=cmd.ext_ref))


@door
def create_hold(app: Gongji, who: Principal, key: Key,
                cmd: CreateHold) -> Written[Hold]:
    require_operator(who)
    return app.write(who, key=key, operation="ledger.hold", request=to_json(cmd, CreateHold),
                     result_type=Hold,
                     fn=lambda uow: uow.ledger.hold(cmd.source_account_id, cmd.dest_account_id,
                                                    cmd.amount, cmd.deadline, code=HOLD,
                                                    memo=cmd.memo))


@door
def resolve_hold(app: Gongji, who: Principal, key: Key,
                 cmd: ResolveHold) -> Written[HoldResult]:
    require_operator(who)

    def run(uow: UnitOfWork) -> HoldResult:
        if cmd.action == "post":
            hold, entry = uow.ledger.post(cmd.hold_id, memo=cmd.memo)
        else:
            hold, entry = uow.ledger.void(cmd.hold_id, memo=cmd.memo)
        return HoldResult(hold, entry)

    return app.write(who, key=key, operation=f"ledger.{cmd.action}",
                     request=to_json(cmd, ResolveHold), result_type=HoldResult, fn=run)


@door
def reverse(app: Gongji, who: Principal, key: Key, cmd: Reverse) -> Written[Entry]:
    require_operator(who)
    return app.write(who, key=key, operation="ledger.reverse", request=to_json(cmd, Reverse),
                     result_type=Entry,
                     fn=lambda uow: uow.ledger.reverse(cmd.entry_id, memo=cmd.memo))


@door
def sweep_expired(app: Gongji, *, batch: int = 100) -> list[str]:
    """Expire every hold whose deadline has passed, exactly once each; returns their ids.

    Each batch is its own transaction, so a long backlog never holds locks for long, and a
    crash mid-sweep loses nothing: the rest are still pending and due.
    """
    expired: list[str] = []
    while True:
        def run(uow: UnitOfWork) -> list[str]:
            ids = uow.ledger.due_holds(limit=batch)
            for hold_id in ids:
                uow.ledger.expire(hold_id)
            return ids

        done = app.transact(SYSTEM, run)
        expired += done
        if len(done) < batch:
            return expired


# -- reads (operators) -----------------------------------------------------------------------

@door
def accounts(app: Gongji, who: Principal, *, kind: AccountKind | None = None,
             owner: str | None = None, admdvs: str | None = None, after: str | None = None,
             limit: int = 100) -> list[Account]:
    require_operator(who)
    return app.read(lambda uow: uow.ledger.list_accounts(kind=kind, owner=owner, admdvs=admdvs,
                                                         after=after, limit=limit))


@door
def account(app: Gongji, who: Principal, account_id: str) -> Account:
    require_operator(who)
    return app.read(lambda uow: uow.ledger.account(account_id))


@door
def entries(app: Gongji, who: Principal, account_id: str, *, before: str | None = None,
            limit: int = 50) -> list[Entry]:
    """An account's entries, newest first (ACCOUNT_NOT_FOUND for an unknown account)."""
    require_operator(who)

    def run(uow: UnitOfWork) -> list[Entry]:
        uow.ledger.account(account_id)
        return uow.ledger.entries_of(account_id, limit=limit, before=before)

    return app.read(run)


@door
def entry(app: Gongji, who: Principal, entry_id: str) -> Entry:
    require_operator(who)
    return app.read(lambda uow: uow.ledger.entry(entry_id))


@door
def hold(app: Gongji, who: Principal, hold_id: str) -> Hold:
    require_operator(who)
    return app.read(lambda uow: uow.ledger.get_hold(hold_id))


@door
def verify(app: Gongji, who: Principal, *, progress: Progress | None = None,
           parallel: bool = False) -> VerifyReport:
    """Recompute every invariant from the journal on one snapshot (docs/ARCHITECTURE.md);
    parallel: the chain walks and the big sums in a second process."""
    require_operator(who)
    workers = (os.cpu_count() or 1) if parallel else 1
    with app.db.read() as conn:
        return verify_journal(conn, progress=progress, url=app.db.url, workers=workers)


def ensure_region_accounts(uow: UnitOfWork, admdvs: str) -> list[Account]:
    """The system accounts of a pooling region (funds, clearing, cash); get-or-create."""
    return [uow.ledger.open_account(k, owner=admdvs, admdvs=admdvs) for k in REGION_FUND_KINDS]
