"""Low-level ledger operations for operators (adjustments, corrections) and the hold sweeper.

Business flows (wallet transfers, settlements) have their own services that call the Ledger
inside their own unit of work; these are the raw verbs, each idempotent by a client key.
They keep to the operators' own money: a person's accounts (personal account, wallet quota,
the HOLD of either) move only through the capability that owns them, and an entry or hold
written by a business record (a settlement, a transfer, a contribution, a credit) is undone
only by it, so no record can be left saying what its entries no longer do.
"""

from __future__ import annotations

import os
from pathlib import Path

from gongji.domain.errors import GongjiError
from gongji.ledger import anchors as anchor_file
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
    AnchorCheck,
    CheckpointMade,
    CreateHold,
    HoldResult,
    OpenAccount,
    Progress,
    ResolveHold,
    Reverse,
    SigningKeyFiles,
    Transfer,
)
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork

__all__ = ["ADJUST", "HOLD", "Account", "AccountKind", "AnchorCheck", "CheckResult",
           "CheckpointMade", "CreateHold", "Entry", "EntryKind", "Hold", "HoldResult",
           "HoldState", "OpenAccount", "Progress", "ResolveHold", "Reverse", "SigningKeyFiles",
           "Transfer", "VerifyReport", "Violation"]
"""The model and the journal's records callers reach through this module, besides its doors
and steps."""


PERSONS = (AccountKind.PERSONAL, AccountKind.WALLET_QUOTA)
"""The kinds of account that hold a person's money (and the HOLD of either)."""


def _operators(uow: UnitOfWork, account_id: str) -> Account:
    """The account, if the operator ledger may move it: not a person's money, and not a HOLD
    account (its money moves by its hold's post, void or expiry)."""
    acc = uow.ledger.account(account_id)
    source = uow.ledger.account(acc.parent_id) if acc.kind == AccountKind.HOLD and \
        acc.parent_id else acc
    if acc.kind in PERSONS or source.kind in PERSONS:
        raise GongjiError("LEDGER_PERSON_ACCOUNT", account=acc.code)
    if acc.kind == AccountKind.HOLD:
        raise GongjiError("ACCOUNT_KIND_INVALID", kind=acc.kind.value)
    return acc


@door
def open_account(app: Gongji, who: Principal, key: Key,
                 cmd: OpenAccount) -> Written[Account]:
    require_operator(who)
    kind = parse_kind(cmd.kind)
    if kind == AccountKind.HOLD:
        raise GongjiError("ACCOUNT_KIND_INVALID", kind=cmd.kind)
    if kind in PERSONS:  # enrollment opens a person's account, a transfer their quota
        raise GongjiError("LEDGER_PERSON_ACCOUNT", account=f"{kind.value}/{cmd.owner or ''}")
    return app.write(who, key=key, operation="ledger.open_account",
                     request=to_json(cmd, OpenAccount), result_type=Account,
                     fn=lambda uow: uow.ledger.open_account(kind, owner=cmd.owner,
                                                            sponsor=cmd.sponsor,
                                                            admdvs=cmd.admdvs))


@door
def transfer(app: Gongji, who: Principal, key: Key, cmd: Transfer) -> Written[Entry]:
    require_operator(who)

    def run(uow: UnitOfWork) -> Entry:
        _operators(uow, cmd.debit_account_id)
        _operators(uow, cmd.credit_account_id)
        return uow.ledger.transfer(cmd.debit_account_id, cmd.credit_account_id, cmd.amount,
                                   code=ADJUST, memo=cmd.memo, ext_ref=cmd.ext_ref)

    return app.write(who, key=key, operation="ledger.transfer", request=to_json(cmd, Transfer),
                     result_type=Entry, fn=run)


@door
def create_hold(app: Gongji, who: Principal, key: Key,
                cmd: CreateHold) -> Written[Hold]:
    require_operator(who)

    def run(uow: UnitOfWork) -> Hold:
        _operators(uow, cmd.source_account_id)
        _operators(uow, cmd.dest_account_id)
        return uow.ledger.hold(cmd.source_account_id, cmd.dest_account_id, cmd.amount,
                               cmd.deadline, code=HOLD, memo=cmd.memo)

    return app.write(who, key=key, operation="ledger.hold", request=to_json(cmd, CreateHold),
                     result_type=Hold, fn=run)


@door
def resolve_hold(app: Gongji, who: Principal, key: Key,
                 cmd: ResolveHold) -> Written[HoldResult]:
    require_operator(who)

    def run(uow: UnitOfWork) -> HoldResult:
        held = uow.ledger.get_hold(cmd.hold_id)
        code = uow.ledger.entry(held.entry_id).code
        if code != HOLD:  # a wallet transfer resolves by accept, reject, cancel or expiry
            raise GongjiError("HOLD_OWNED", hold=held.id, code=code)
        _operators(uow, held.source_id)
        _operators(uow, held.dest_id)
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

    def run(uow: UnitOfWork) -> Entry:
        original = uow.ledger.entry(cmd.entry_id)
        if original.kind == EntryKind.TRANSFER and original.code != ADJUST:
            # a settlement, a contribution, a credit: its own capability undoes it, and its
            # record with it (a settlement's cancel or 冲正)
            raise GongjiError("ENTRY_OWNED", entry=original.id, code=original.code)
        for p in original.postings:
            _operators(uow, p.account_id)
        return uow.ledger.reverse(cmd.entry_id, memo=cmd.memo)

    return app.write(who, key=key, operation="ledger.reverse", request=to_json(cmd, Reverse),
                     result_type=Entry, fn=run)


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
           parallel: bool = False, anchors: AnchorCheck | None = None) -> VerifyReport:
    """Recompute every invariant from the journal on one snapshot (docs/ARCHITECTURE.md);
    parallel: the chain walks and the big sums in a second process; anchors: also hold the
    chains to the latest checkpoint signed outside the database."""
    require_operator(who)
    workers = (os.cpu_count() or 1) if parallel else 1
    signed = None if anchors is None else anchor_file.load(
        anchors.anchors, anchor_file.public_key(_read(anchors.public_key),
                                                str(anchors.public_key)))
    with app.db.read() as conn:
        return verify_journal(conn, progress=progress, url=app.db.url, workers=workers,
                              anchors=signed)


# -- checkpoints: the chain heads signed outside the database ----------------------------------

@door
def make_signing_key(private_path: Path, public_path: Path) -> SigningKeyFiles:
    """A new Ed25519 key for checkpoints: the private key written 0600 (refused if the file
    exists), the public key beside it. The database never holds either."""
    private, public = anchor_file.new_key()
    for path, data, mode in ((private_path, private, 0o600), (public_path, public, 0o644)):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise GongjiError("CHECKPOINT_FILE_UNREADABLE", path=str(path),
                              reason=e.strerror or type(e).__name__) from None
    key = anchor_file.public_key(public, str(public_path))
    return SigningKeyFiles(private_path, public_path, anchor_file.key_id(key))


@door
def checkpoint(app: Gongji, key_file: Path, to: Path) -> CheckpointMade:
    """Sign every chain's head as it is now and append it to `to` (a file of the operator's
    choosing, on other storage than the database): what `gongji checkpoint` and the server's
    periodic checkpoint do."""
    key = anchor_file.private_key(_read(key_file), str(key_file))
    heads = app.read_conn(anchor_file.heads)
    at = app.wall.now()
    anchor_file.append(to, anchor_file.sign(heads, at, key))
    return CheckpointMade(to, at, anchor_file.key_id(key.public_key()), len(heads),
                          sum(seq for seq, _h in heads.values()))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise GongjiError("CHECKPOINT_FILE_UNREADABLE", path=str(path),
                          reason=e.strerror or type(e).__name__) from None


def ensure_region_accounts(uow: UnitOfWork, admdvs: str) -> list[Account]:
    """The system accounts of a pooling region (funds, clearing, cash); get-or-create."""
    return [uow.ledger.open_account(k, owner=admdvs, admdvs=admdvs) for k in REGION_FUND_KINDS]
