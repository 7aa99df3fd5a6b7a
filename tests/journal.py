"""The journal's verbs under a client key, on any account: what the operator ledger doors did
before they were held to the operators' own money (services/ledger/service.py refuses a
person's accounts and a business record's entries). Tests of the ledger itself (the guard on
a person's balance, holds, reversals, idempotency, races) use these on PERSONAL and
WALLET_QUOTA accounts of made-up owners; the doors' own refusals have their own tests.
"""

from __future__ import annotations

from gongji.domain.errors import GongjiError
from gongji.ledger.kinds import AccountKind, parse_kind
from gongji.ledger.model import Account, Entry, Hold
from gongji.services.codec import to_json
from gongji.services.ledger.service import (  # noqa: F401 (what tests reach through here)
    ADJUST,
    HOLD,
    CreateHold,
    EntryKind,
    HoldResult,
    HoldState,
    OpenAccount,
    ResolveHold,
    Reverse,
    Transfer,
    sweep_expired,
)
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import Principal, UnitOfWork


def open_account(app: Gongji, who: Principal, key: Key, cmd: OpenAccount) -> Written[Account]:
    kind = parse_kind(cmd.kind)
    if kind == AccountKind.HOLD:
        raise GongjiError("ACCOUNT_KIND_INVALID", kind=cmd.kind)
    return app.write(who, key=key, operation="ledger.open_account",
                     request=to_json(cmd, OpenAccount), result_type=Account,
                     fn=lambda uow: uow.ledger.open_account(kind, owner=cmd.owner,
                                                            sponsor=cmd.sponsor,
                                                            admdvs=cmd.admdvs))


def transfer(app: Gongji, who: Principal, key: Key, cmd: Transfer) -> Written[Entry]:
    return app.write(who, key=key, operation="ledger.transfer", request=to_json(cmd, Transfer),
                     result_type=Entry,
                     fn=lambda uow: uow.ledger.transfer(cmd.debit_account_id,
                                                        cmd.credit_account_id, cmd.amount,
                                                        code=ADJUST, memo=cmd.memo,
                                                        ext_ref=cmd.ext_ref))


def create_hold(app: Gongji, who: Principal, key: Key, cmd: CreateHold) -> Written[Hold]:
    return app.write(who, key=key, operation="ledger.hold", request=to_json(cmd, CreateHold),
                     result_type=Hold,
                     fn=lambda uow: uow.ledger.hold(cmd.source_account_id, cmd.dest_account_id,
                                                    cmd.amount, cmd.deadline, code=HOLD,
                                                    memo=cmd.memo))


def resolve_hold(app: Gongji, who: Principal, key: Key,
                 cmd: ResolveHold) -> Written[HoldResult]:
    def run(uow: UnitOfWork) -> HoldResult:
        if cmd.action == "post":
            hold, entry = uow.ledger.post(cmd.hold_id, memo=cmd.memo)
        else:
            hold, entry = uow.ledger.void(cmd.hold_id, memo=cmd.memo)
        return HoldResult(hold, entry)

    return app.write(who, key=key, operation=f"ledger.{cmd.action}",
                     request=to_json(cmd, ResolveHold), result_type=HoldResult, fn=run)


def reverse(app: Gongji, who: Principal, key: Key, cmd: Reverse) -> Written[Entry]:
    return app.write(who, key=key, operation="ledger.reverse", request=to_json(cmd, Reverse),
                     result_type=Entry,
                     fn=lambda uow: uow.ledger.reverse(cmd.entry_id, memo=cmd.memo))
