"""The journal: every movement of money is an entry of postings that sum to zero.

A Ledger works inside one open transaction (a unit of work) and is the only code that writes
accounts, entries, postings and holds. Balances change in the same transaction as the
postings, by guarded UPDATEs taken in account-id order: the guard (balance + delta >= 0 for
accounts that may not go negative) is evaluated by the database on the locked row, so there
is no check-then-write race, and a CHECK constraint backs it up. Nothing here commits.

Accounts that may go negative (a region's funds, cash and clearing, an institution's
receivable) have nothing to check, and every settlement of a region touches the same few
of them: their deltas are summed and applied by apply_deferred() at the end of the unit of
work, so their row locks are held for the moment before commit instead of for the whole
transaction. Balances read through this ledger include what is still deferred.

On PostgreSQL even that moment queues when many settlements of one region commit at once. So
a deferred delta goes to the account's own row if no one holds it, and otherwise to the first
of its balance stripes (store.tables.account_stripes) no one holds, a new one if all are
held: concurrent commits stop waiting for each other, and an account's balance is its row
plus its stripes. One writer at a time (SQLite, or no contention) uses the row alone.

Reference of every operation and error: docs/ARCHITECTURE.md, "The ledger".
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, Row, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.domain.clock import display
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.ids import new_id
from gongji.domain.money import check_fen, format_yuan
from gongji.domain.regions import NATIONAL
from gongji.ledger.audit import AuditLog
from gongji.ledger.kinds import KIND_RULES, AccountKind, account_code
from gongji.ledger.model import Account, Entry, EntryKind, Hold, HoldState, Posting
from gongji.store import fast
from gongji.store.tables import account_stripes, accounts, entries, holds, postings

# the statements every write runs, built once (building one costs more than running it)
_STRIPED = (select(func.coalesce(func.sum(account_stripes.c.balance), 0))
            .where(account_stripes.c.admdvs == accounts.c.admdvs,
                   account_stripes.c.account_id == accounts.c.id)
            .scalar_subquery().label("striped"))
_ACCOUNTS = select(accounts, _STRIPED)
"""Accounts with the sum of their balance stripes (the balance is the row's plus that)."""
_BY_ID = fast.Prepared(_ACCOUNTS.where(accounts.c.id == bindparam("a_id")))
_BY_CODE = fast.Prepared(_ACCOUNTS.where(accounts.c.code == bindparam("a_code")))
_DELTA = bindparam("a_delta", type_=BigInteger)
_MOVE = fast.Prepared(update(accounts)
                      .where(accounts.c.id == bindparam("a_id"), accounts.c.status == "open",
                             or_(~accounts.c.no_negative, accounts.c.balance + _DELTA >= 0))
                      .values(balance=accounts.c.balance + _DELTA)
                      .returning(accounts.c.balance))
_ENTRY = fast.Prepared(fast.insert_of(entries, ["id", "kind", "code", "ref_entry_id", "ext_ref",
                                                "memo", "actor", "admdvs", "created_at"]))
_POSTING = fast.Prepared(fast.insert_of(postings, ["admdvs", "entry_id", "idx", "account_id",
                                                  "amount"]))
_HOLD = select(holds).where(holds.c.id == bindparam("id"))
_HOLD_BY = {lock: fast.Prepared(_HOLD.with_for_update() if lock else _HOLD)
            for lock in (False, True)}
_ADD_HOLD = fast.Prepared(fast.insert_of(holds, ["admdvs", "id", "entry_id", "source_id",
                                                 "hold_account_id", "dest_id", "amount",
                                                 "deadline", "state"]))
_ENTRY_REF = fast.Prepared(select(entries.c.code, entries.c.ext_ref, entries.c.admdvs)
                           .where(entries.c.id == bindparam("id")))
_RESOLVE = fast.Prepared(update(holds).where(holds.c.id == bindparam("w_id"),
                                             holds.c.state == HoldState.PENDING.value)
                         .values(fast.values_of(holds, ["state", "resolved_entry_id",
                                                        "resolved_at"])))
"""Move a balance by a_delta, refused (no row) if the account is closed or would go below
zero where it may not."""
_TRY_ROW = fast.Prepared(select(accounts.c.status).where(accounts.c.id == bindparam("a_id"))
                         .with_for_update(skip_locked=True, key_share=True))
"""The account's own row if no one holds it (NO KEY UPDATE: postings' foreign keys do not
conflict with it)."""
_STATUS = fast.Prepared(select(accounts.c.status, accounts.c.admdvs)
                        .where(accounts.c.id == bindparam("a_id")))
_s = account_stripes.c
_STRIPES_OF = (_s.admdvs == bindparam("a_region"), _s.account_id == bindparam("a_id"))
"""An account's stripes are in its region (the key's first column)."""
_FREE_STRIPE = fast.Prepared(select(_s.stripe).where(*_STRIPES_OF)
                             .order_by(_s.stripe).limit(1)
                             .with_for_update(skip_locked=True, key_share=True))
_LAST_STRIPE = fast.Prepared(select(func.coalesce(func.max(_s.stripe), 0)).where(*_STRIPES_OF))
_MOVE_STRIPE = fast.Prepared(update(account_stripes)
                             .where(*_STRIPES_OF, _s.stripe == bindparam("a_stripe"))
                             .values(balance=_s.balance + _DELTA))
_ADD_STRIPE = fast.Prepared(pg_insert(account_stripes)
                            .values(admdvs=bindparam("a_region"), account_id=bindparam("a_id"),
                                    stripe=bindparam("a_stripe"), balance=_DELTA)
                            .on_conflict_do_update(index_elements=["admdvs", "account_id",
                                                                   "stripe"],
                                                   set_={"balance": _s.balance + _DELTA}))
MAX_STRIPES = 32
"""Balance stripes per account at most: more than the commits that can be in flight at once."""

MAX_POSTINGS = 64
"""A settlement moves at most a few dozen amounts; more is a bug, not a business case."""


class Ledger:
    """Ledger operations bound to one transaction, one business time and one actor."""

    def __init__(self, conn: Connection, *, now: datetime, actor: str, audit: AuditLog) -> None:
        self.conn = conn
        self.now = now
        self.actor = actor
        self.audit = audit
        self._free: set[str] = set()
        """Ids of accounts seen here that may go negative: their deltas can wait."""
        self._deferred: dict[str, int] = {}

    # -- accounts ----------------------------------------------------------------------------

    def open_account(self, kind: AccountKind, *, owner: str | None = None,
                     sponsor: str | None = None, admdvs: str | None = None,
                     parent_id: str | None = None) -> Account:
        """Get or create the account of this kind for this owner (idempotent by its code)."""
        code = account_code(kind, owner=owner, sponsor=sponsor, parent_id=parent_id)
        found = self.account_by_code(code)
        if found is not None:
            return found
        admdvs = admdvs or NATIONAL
        row = {"id": new_id(), "code": code, "kind": kind.value, "owner": owner,
               "sponsor": sponsor, "admdvs": admdvs, "parent_id": parent_id,
               "no_negative": KIND_RULES[kind].no_negative, "balance": 0, "status": "open",
               "created_at": self.now}
        ins = (pg_insert if self.conn.dialect.name == "postgresql" else sqlite_insert)(accounts)
        self.conn.execute(ins.values(**row)
                          .on_conflict_do_nothing(index_elements=["admdvs", "code"]))
        found = self.account_by_code(code)
        assert found is not None
        if found.id == row["id"]:
            self.audit.add_account(at=self.now, actor=self.actor, account_id=found.id,
                                   code=code, kind=kind.value, owner=owner, sponsor=sponsor,
                                   admdvs=admdvs, parent_id=parent_id,
                                   no_negative=found.no_negative)
        return found

    def account(self, account_id: str) -> Account:
        row = _BY_ID.run(self.conn, {"a_id": account_id}).first()
        if row is None:
            raise GongjiError("ACCOUNT_NOT_FOUND", account=account_id)
        return self._seen(row)

    def account_by_code(self, code: str) -> Account | None:
        row = _BY_CODE.run(self.conn, {"a_code": code}).first()
        return self._seen(row) if row is not None else None

    def _seen(self, row: Row[Any]) -> Account:
        acc = _account(row)
        if not acc.no_negative:
            self._free.add(acc.id)
            if delta := self._deferred.get(acc.id):
                acc = replace(acc, balance=acc.balance + delta)
        return acc

    def list_accounts(self, *, kind: AccountKind | None = None, owner: str | None = None,
                      admdvs: str | None = None, after: str | None = None,
                      limit: int = 100) -> list[Account]:
        """Accounts in id order, filtered, paged by `after` (the last id of the page before)."""
        q = _ACCOUNTS.order_by(accounts.c.id).limit(limit)
        if kind is not None:
            q = q.where(accounts.c.kind == kind.value)
        if owner is not None:
            q = q.where(accounts.c.owner == owner)
        if admdvs is not None:
            q = q.where(accounts.c.admdvs == admdvs)
        if after is not None:
            q = q.where(accounts.c.id > after)
        return [self._seen(r) for r in self.conn.execute(q).all()]

    def close_account(self, account_id: str) -> Account:
        """Close an empty account: it can take no further postings."""
        acc = self.account(account_id)
        if acc.balance != 0:
            raise GongjiError("INSUFFICIENT_FUNDS", account=acc.code, available="0.00",
                              required=format_yuan(acc.balance))
        self.conn.execute(update(accounts).where(accounts.c.id == account_id)
                          .values(status="closed"))
        self.audit.add(at=self.now, actor=self.actor, action="ledger.close_account",
                       subject=acc.code, chain=acc.admdvs)
        return self.account(account_id)

    # -- entries -----------------------------------------------------------------------------

    def record(self, legs: Sequence[tuple[str, int]], *, code: str,
               kind: EntryKind = EntryKind.TRANSFER, memo: str = "",
               ext_ref: str | None = None, ref_entry_id: str | None = None,
               admdvs: str | None = None) -> Entry:
        """Write one entry: validate the postings, move the balances, append the journal."""
        _check_legs(legs)
        self._apply(legs)
        admdvs = admdvs or NATIONAL
        entry = Entry(id=new_id(), kind=kind, code=code, ref_entry_id=ref_entry_id,
                      ext_ref=ext_ref, memo=memo[:200], actor=self.actor, admdvs=admdvs,
                      created_at=self.now,
                      postings=tuple(Posting(acc, amt) for acc, amt in legs))
        _ENTRY.run(self.conn, dict(
            id=entry.id, kind=kind.value, code=code, ref_entry_id=ref_entry_id,
            ext_ref=ext_ref, memo=entry.memo, actor=self.actor, admdvs=admdvs,
            created_at=self.now))
        _POSTING.run_many(self.conn, [
            {"admdvs": admdvs, "entry_id": entry.id, "idx": i, "account_id": acc,
             "amount": amt}
            for i, (acc, amt) in enumerate(legs)])
        self.audit.add_entry(entry)
        return entry

    def transfer(self, debit_id: str, credit_id: str, amount: int, *, code: str,
                 memo: str = "", ext_ref: str | None = None,
                 admdvs: str | None = None) -> Entry:
        """Move `amount` fen from debit to credit now."""
        _check_amount(amount)
        if debit_id == credit_id:
            raise GongjiError("ENTRY_SAME_ACCOUNT")
        return self.record([(debit_id, -amount), (credit_id, amount)], code=code, memo=memo,
                           ext_ref=ext_ref, admdvs=admdvs)

    def entry(self, entry_id: str) -> Entry:
        row = self.conn.execute(select(entries).where(entries.c.id == entry_id)).first()
        if row is None:
            raise GongjiError("ENTRY_NOT_FOUND", entry=entry_id)
        return self._entries_with_postings([row])[0]

    def entries_of(self, account_id: str, *, limit: int = 50,
                   before: str | None = None) -> list[Entry]:
        """An account's entries, newest first (ids are time-ordered), paged by `before`."""
        q = (select(entries).join(postings, postings.c.entry_id == entries.c.id)
             .where(postings.c.account_id == account_id))
        if before:
            q = q.where(entries.c.id < before)
        rows = self.conn.execute(q.order_by(entries.c.id.desc()).limit(limit)).all()
        return self._entries_with_postings(rows)

    def entries_by_ref(self, ext_ref: str) -> list[Entry]:
        rows = self.conn.execute(select(entries).where(entries.c.ext_ref == ext_ref)
                                 .order_by(entries.c.id)).all()
        return self._entries_with_postings(rows)

    def reverse(self, entry_id: str, *, code: str | None = None, memo: str = "",
                ext_ref: str | None = None) -> Entry:
        """Mirror a transfer entry: every posting negated, as a new entry referencing it."""
        # Lock the original so two concurrent reversals queue here; the second then sees the
        # first's reversal below and is refused cleanly (the unique index is the backstop).
        self.conn.execute(select(entries.c.id).where(entries.c.id == entry_id).with_for_update())
        orig = self.entry(entry_id)
        if orig.kind != EntryKind.TRANSFER:
            raise GongjiError("ENTRY_NOT_REVERSIBLE", entry=entry_id,
                              reason=f"kind {orig.kind.value}; only transfer entries reverse")
        done = self.conn.execute(select(entries.c.id).where(
            entries.c.ref_entry_id == entry_id,
            entries.c.kind == EntryKind.REVERSAL.value)).scalar()
        if done is not None:
            raise GongjiError("ENTRY_ALREADY_REVERSED", entry=entry_id, reversal=done)
        return self.record([(p.account_id, -p.amount) for p in orig.postings],
                           kind=EntryKind.REVERSAL, code=code or f"{orig.code}.reversal",
                           memo=memo, ext_ref=ext_ref or orig.ext_ref, ref_entry_id=orig.id,
                           admdvs=orig.admdvs)

    # -- holds (two-phase transfers) ---------------------------------------------------------

    def hold(self, source_id: str, dest_id: str, amount: int, deadline: datetime, *,
             code: str, memo: str = "", ext_ref: str | None = None,
             admdvs: str | None = None) -> Hold:
        """Move `amount` from source into its HOLD account until posted, voided or expired."""
        _check_amount(amount)
        if source_id == dest_id:
            raise GongjiError("ENTRY_SAME_ACCOUNT")
        if deadline <= self.now:
            raise GongjiError("HOLD_DEADLINE_PAST", deadline=display(deadline))
        source = self.account(source_id)
        dest = self.account(dest_id)
        if dest.status != "open":
            raise GongjiError("ACCOUNT_CLOSED", account=dest.code)
        held = self.open_account(AccountKind.HOLD, owner=source.owner, parent_id=source.id,
                                 admdvs=source.admdvs)
        entry = self.record([(source.id, -amount), (held.id, amount)], kind=EntryKind.HOLD,
                            code=code, memo=memo, ext_ref=ext_ref, admdvs=admdvs)
        hold = Hold(id=new_id(), entry_id=entry.id, source_id=source.id,
                    hold_account_id=held.id, dest_id=dest.id, amount=amount,
                    deadline=deadline, state=HoldState.PENDING, resolved_entry_id=None,
                    resolved_at=None)
        _ADD_HOLD.run(self.conn, dict(
            admdvs=entry.admdvs, id=hold.id, entry_id=hold.entry_id, source_id=hold.source_id,
            hold_account_id=hold.hold_account_id, dest_id=hold.dest_id, amount=amount,
            deadline=deadline, state=hold.state.value))
        return hold

    def get_hold(self, hold_id: str, *, lock: bool = False) -> Hold:
        row = _HOLD_BY[lock].run(self.conn, {"id": hold_id}).first()
        if row is None:
            raise GongjiError("HOLD_NOT_FOUND", hold=hold_id)
        return _hold(row)

    def post(self, hold_id: str, *, memo: str = "") -> tuple[Hold, Entry]:
        """Complete a pending hold in full: HOLD account to destination. Only before deadline."""
        hold = self._pending(hold_id, Bi("完成", "posted"))
        return self._resolve(hold, HoldState.POSTED, EntryKind.POST, hold.dest_id, memo)

    def void(self, hold_id: str, *, memo: str = "") -> tuple[Hold, Entry]:
        """Cancel a pending hold before its deadline: HOLD account back to the source."""
        hold = self._pending(hold_id, Bi("撤销", "voided"))
        return self._resolve(hold, HoldState.VOIDED, EntryKind.VOID, hold.source_id, memo)

    def expire(self, hold_id: str) -> tuple[Hold, Entry]:
        """Return a pending hold whose deadline has come: HOLD account back to the source."""
        hold = self.get_hold(hold_id, lock=True)
        if hold.state != HoldState.PENDING:
            raise GongjiError("HOLD_NOT_PENDING", hold=hold_id, state=_state(hold.state),
                              action=Bi("到期退回", "expired"))
        if self.now < hold.deadline:
            raise GongjiError("HOLD_NOT_DUE", hold=hold_id, deadline=display(hold.deadline))
        return self._resolve(hold, HoldState.EXPIRED, EntryKind.EXPIRE, hold.source_id, "")

    def due_holds(self, *, limit: int = 100) -> list[str]:
        """Ids of pending holds whose deadline is at or before now, oldest deadline first."""
        q = (select(holds.c.id)
             .where(holds.c.state == HoldState.PENDING.value, holds.c.deadline <= self.now)
             .order_by(holds.c.deadline).limit(limit))
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)  # two sweepers share the work
        return list(self.conn.execute(q).scalars())

    def holds_of(self, account_id: str, *, state: HoldState | None = None) -> list[Hold]:
        q = select(holds).where(or_(holds.c.source_id == account_id,
                                    holds.c.dest_id == account_id))
        if state is not None:
            q = q.where(holds.c.state == state.value)
        return [_hold(r) for r in self.conn.execute(q.order_by(holds.c.id)).all()]

    # -- internals ---------------------------------------------------------------------------

    def _pending(self, hold_id: str, action: Bi) -> Hold:
        hold = self.get_hold(hold_id, lock=True)
        if hold.state != HoldState.PENDING:
            raise GongjiError("HOLD_NOT_PENDING", hold=hold_id, state=_state(hold.state),
                              action=action)
        if self.now >= hold.deadline:
            raise GongjiError("HOLD_EXPIRED", hold=hold_id, deadline=display(hold.deadline),
                              action=action)
        return hold

    def _resolve(self, hold: Hold, state: HoldState, kind: EntryKind, to_id: str,
                 memo: str) -> tuple[Hold, Entry]:
        hold_entry = _ENTRY_REF.run(self.conn, {"id": hold.entry_id}).one()
        entry = self.record([(hold.hold_account_id, -hold.amount), (to_id, hold.amount)],
                            kind=kind, code=f"{hold_entry.code}.{kind.value}", memo=memo,
                            ext_ref=hold_entry.ext_ref, ref_entry_id=hold.entry_id,
                            admdvs=hold_entry.admdvs)
        done = _RESOLVE.run(self.conn, {"w_id": hold.id, "state": state.value,
                                        "resolved_entry_id": entry.id,
                                        "resolved_at": self.now})
        if done.rowcount != 1:  # pragma: no cover - the row lock above makes this unreachable
            raise GongjiError("HOLD_NOT_PENDING", hold=hold.id, state=_state(state),
                              action=_state(state))
        resolved = Hold(id=hold.id, entry_id=hold.entry_id, source_id=hold.source_id,
                        hold_account_id=hold.hold_account_id, dest_id=hold.dest_id,
                        amount=hold.amount, deadline=hold.deadline, state=state,
                        resolved_entry_id=entry.id, resolved_at=self.now)
        return resolved, entry

    def _apply(self, legs: Iterable[tuple[str, int]]) -> None:
        """Move balances, locking rows in account-id order so transactions never deadlock;
        accounts that may go negative wait for apply_deferred()."""
        for account_id, delta in sorted(legs):
            if account_id in self._free:
                self._deferred[account_id] = self._deferred.get(account_id, 0) + delta
            else:
                self._update(account_id, delta)

    def apply_deferred(self) -> None:
        """Apply the summed deltas of accounts that may go negative, in account-id order
        (the unit of work calls this last, just before the audit records and commit)."""
        pending, self._deferred = self._deferred, {}
        striped = self.conn.dialect.name == "postgresql"
        for account_id, delta in sorted(pending.items()):
            if not delta:
                continue
            if striped and _TRY_ROW.run(self.conn, {"a_id": account_id}).first() is None:
                self._stripe(account_id, delta)
            else:
                self._update(account_id, delta)

    def _stripe(self, account_id: str, delta: int) -> None:
        """Add a deferred delta to a stripe of the account no one holds (a new one when all
        are held); only accounts that may go negative get here, so there is no guard."""
        acc = _STATUS.run(self.conn, {"a_id": account_id}).first()
        if acc is None or acc.status != "open":
            self._refuse(account_id, delta)
        key = {"a_region": acc.admdvs, "a_id": account_id}
        row = _FREE_STRIPE.run(self.conn, key).first()
        if row is not None:
            _MOVE_STRIPE.run(self.conn, {**key, "a_stripe": row.stripe, "a_delta": delta})
            return
        last = int(_LAST_STRIPE.run(self.conn, key).scalar_one())
        stripe = last + 1 if last < MAX_STRIPES else 1 + secrets.randbelow(MAX_STRIPES)
        _ADD_STRIPE.run(self.conn, {**key, "a_stripe": stripe, "a_delta": delta})

    def _update(self, account_id: str, delta: int) -> None:
        if _MOVE.run(self.conn, {"a_id": account_id, "a_delta": delta}).first() is None:
            self._refuse(account_id, delta)

    def _refuse(self, account_id: str, delta: int) -> None:
        acc = self.account(account_id)  # raises ACCOUNT_NOT_FOUND
        if acc.status != "open":
            raise GongjiError("ACCOUNT_CLOSED", account=acc.code)
        raise GongjiError("INSUFFICIENT_FUNDS", account=acc.code, account_id=acc.id,
                          available=format_yuan(acc.balance), required=format_yuan(-delta))

    def _entries_with_postings(self, rows: Sequence[Row[Any]]) -> list[Entry]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        legs: dict[str, list[Posting]] = {i: [] for i in ids}
        for p in self.conn.execute(select(postings).where(postings.c.entry_id.in_(ids))
                                   .order_by(postings.c.entry_id, postings.c.idx)):
            legs[p.entry_id].append(Posting(p.account_id, int(p.amount)))
        return [Entry(id=r.id, kind=EntryKind(r.kind), code=r.code,
                      ref_entry_id=r.ref_entry_id, ext_ref=r.ext_ref, memo=r.memo,
                      actor=r.actor, admdvs=r.admdvs, created_at=r.created_at,
                      postings=tuple(legs[r.id])) for r in rows]


_STATE_NAMES = {
    HoldState.PENDING: Bi("待处理", "pending"),
    HoldState.POSTED: Bi("已完成", "posted"),
    HoldState.VOIDED: Bi("已撤销", "voided"),
    HoldState.EXPIRED: Bi("已到期退回", "expired"),
}


def _state(state: HoldState) -> Bi:
    return _STATE_NAMES[state]


def _check_amount(amount: int) -> None:
    check_fen(amount, allow_zero=False)


def _check_legs(legs: Sequence[tuple[str, int]]) -> None:
    if len(legs) < 2:
        raise GongjiError("ENTRY_TOO_FEW_POSTINGS")
    if len(legs) > MAX_POSTINGS:
        raise GongjiError("ENTRY_TOO_MANY_POSTINGS", limit=MAX_POSTINGS)
    seen: set[str] = set()
    total = 0
    for account_id, amount in legs:
        check_fen(amount, allow_negative=True, allow_zero=False)
        if account_id in seen:
            raise GongjiError("ENTRY_DUPLICATE_ACCOUNT", account=account_id)
        seen.add(account_id)
        total += amount
    if total != 0:
        raise GongjiError("ENTRY_UNBALANCED", total=total)


def _account(row: Row[Any]) -> Account:
    return Account(id=row.id, code=row.code, kind=AccountKind(row.kind), owner=row.owner,
                   sponsor=row.sponsor, admdvs=row.admdvs, parent_id=row.parent_id,
                   no_negative=bool(row.no_negative),
                   balance=int(row.balance) + int(row.striped),
                   status=row.status, created_at=row.created_at)


def _hold(row: Row[Any]) -> Hold:
    return Hold(id=row.id, entry_id=row.entry_id, source_id=row.source_id,
                hold_account_id=row.hold_account_id, dest_id=row.dest_id,
                amount=int(row.amount), deadline=row.deadline, state=HoldState(row.state),
                resolved_entry_id=row.resolved_entry_id, resolved_at=row.resolved_at)

