"""A population for the benchmarks, loaded in bulk: N employees in one pooling region, each
with a funded personal account, an open wallet and a PIN, bound in pairs (2k sponsors 2k+1).

Loading a million people through the services one call at a time would take hours, so the
loader writes the same rows the services write (the same account codes, the same entry and
posting shapes), a batch per transaction, through the ledger's own tables. What it writes
passes `gongji verify`: every opening credit is an entry whose postings sum to zero with its
audit record and digest, balances equal their postings, each account is sealed by its
opening record as the ledger seals it; the person-level records the
services would add (register, enroll, open wallet) are one record per batch instead
("bench.population").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from sqlalchemy import bindparam, func, insert, select, update

from gongji.domain.certno import make_certno
from gongji.domain.ids import new_code, new_id
from gongji.ledger.kinds import KIND_RULES, AccountKind, account_code
from gongji.ledger.model import Entry, EntryKind, Posting
from gongji.services.ledger.service import ensure_region_accounts
from gongji.services.pins.service import HASHER
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM, UnitOfWork
from gongji.store.tables import (
    accounts,
    bindings,
    enrollments,
    entries,
    persons,
    pins,
    postings,
    wallets,
)

REGION = "510100"
OPENING_FEN = 50_000_00
"""Each person's personal account starts with 50,000 yuan: enough for any benchmark run."""
PIN = "135790"
BATCH = 5_000


@dataclass(frozen=True, slots=True)
class Member:
    psn_no: str
    certno: str


def certno_for(n: int) -> str:
    """A valid, unique ID number for person n (birth dates from 1960 on, 999 a day)."""
    day, seq = divmod(n, 999)
    return make_certno("510104", date(1960, 1, 1) + timedelta(days=day), seq + 1)


def size(app: Gongji) -> int:
    """How many persons are loaded already."""
    return int(app.read_conn(lambda c: c.execute(
        select(func.count()).select_from(persons)).scalar_one()))


def load(app: Gongji, target: int, *, progress: Callable[[int], None] | None = None) -> int:
    """Grow the population to `target` persons (an even number); returns how many were added.
    Persons already there are kept, so 10 thousand, then 100 thousand, then a million reuse
    what came before."""
    start = size(app)
    target -= target % 2
    pin_hash = HASHER.hash(PIN)
    n = start
    while n < target:
        count = min(BATCH, target - n)
        app.transact(SYSTEM, partial(_batch, first=n, count=count, pin_hash=pin_hash))
        n += count
        if progress:
            progress(count)
    return n - start


def _batch(uow: UnitOfWork, *, first: int, count: int, pin_hash: str) -> None:
    cash = {a.kind: a for a in ensure_region_accounts(uow, REGION)}[AccountKind.CASH]
    now = uow.now
    people, enrolled, accts, ledger_rows, legs, open_wallets, pin_rows, pairs = (
        [], [], [], [], [], [], [], [])
    psn_nos = []
    for n in range(first, first + count):
        psn_no = new_code("P")
        psn_nos.append(psn_no)
        certno = certno_for(n)
        people.append({"psn_no": psn_no, "certno": certno, "psn_cert_type": "01",
                       "name": f"测试{n:07d}", "gend": "1" if int(certno[16]) % 2 else "2",
                       "brdy": date(int(certno[6:10]), int(certno[10:12]), int(certno[12:14])),
                       "phone": None, "created_at": now})
        enrolled.append({"id": new_id(), "psn_no": psn_no, "insutype": "310",
                         "psn_type": "1101", "insuplc_admdvs": REGION,
                         "begndate": date(2020, 1, 1), "enddate": None, "status": "active",
                         "has_personal_account": True, "emp_name": None, "created_at": now,
                         "ended_at": None})
        account_id = new_id()
        accts.append({"id": account_id, "code": account_code(AccountKind.PERSONAL,
                                                             owner=psn_no),
                      "kind": AccountKind.PERSONAL.value, "owner": psn_no, "sponsor": None,
                      "admdvs": REGION, "parent_id": None,
                      "no_negative": KIND_RULES[AccountKind.PERSONAL].no_negative,
                      "balance": OPENING_FEN, "status": "open", "created_at": now})
        entry = opening_entry(uow, cash.id, account_id, OPENING_FEN, "bench.opening")
        ledger_rows.append(entry_row(entry))
        legs += posting_rows(entry)
        open_wallets.append({"psn_no": psn_no, "status": "open", "place_of_use": REGION,
                             "opened_at": now, "opened_by": psn_no, "closed_at": None})
        pin_rows.append({"psn_no": psn_no, "hash": pin_hash, "failed": 0,
                         "locked_until": None, "updated_at": now})
    for k in range(0, count - 1, 2):
        sponsor, beneficiary = psn_nos[k], psn_nos[k + 1]
        pairs.append({"id": new_id(), "sponsor_psn_no": sponsor,
                      "beneficiary_psn_no": beneficiary, "relation": "sibling",
                      "requested_by": sponsor, "status": "active", "verified": False,
                      "verified_by": None, "evidence": None, "requested_at": now,
                      "activated_at": now, "ended_at": None, "ended_by": None,
                      "end_reason": None})
    for psn_no, a in zip(psn_nos, accts, strict=True):
        # each account sealed as Ledger.open_account seals it (verify: accounts)
        uow.audit.add_account(at=now, actor=uow.principal.scope, account_id=str(a["id"]),
                              code=account_code(AccountKind.PERSONAL, owner=psn_no),
                              kind=AccountKind.PERSONAL.value, owner=psn_no, sponsor=None,
                              admdvs=REGION, parent_id=None,
                              no_negative=KIND_RULES[AccountKind.PERSONAL].no_negative)
    conn = uow.conn
    for table, rows in ((persons, people), (enrollments, enrolled), (accounts, accts),
                        (entries, ledger_rows), (postings, legs), (wallets, open_wallets),
                        (pins, pin_rows), (bindings, pairs)):
        if rows and "admdvs" not in rows[0]:  # a person's rows: everyone here is insured in REGION
            rows = [{**r, "admdvs": REGION} for r in rows]
        conn.execute(insert(table), rows)
    conn.execute(update(accounts).where(accounts.c.id == cash.id)
                 .values(balance=accounts.c.balance - OPENING_FEN * count))
    uow.record("bench.population", subject=REGION, chain=REGION,
               detail={"persons": count, "first": first, "opening_fen_each": OPENING_FEN})


def opening_entry(uow: UnitOfWork, debit: str, credit: str, amount: int, code: str) -> Entry:
    """An entry as Ledger.transfer makes it, its audit record (with its digest) queued."""
    entry = Entry(id=new_id(), kind=EntryKind.TRANSFER, code=code, ref_entry_id=None,
                  ext_ref=None, memo="benchmark population", actor=uow.principal.scope,
                  admdvs=REGION, created_at=uow.now,
                  postings=(Posting(debit, -amount), Posting(credit, amount)))
    uow.audit.add_entry(entry)
    return entry


def entry_row(e: Entry) -> dict[str, object]:
    return {"id": e.id, "kind": e.kind.value, "code": e.code, "ref_entry_id": None,
            "ext_ref": None, "memo": e.memo, "actor": e.actor, "admdvs": e.admdvs,
            "created_at": e.created_at}


def posting_rows(e: Entry) -> list[dict[str, object]]:
    return [{"admdvs": e.admdvs, "entry_id": e.id, "idx": i, "account_id": p.account_id,
             "amount": p.amount}
            for i, p in enumerate(e.postings)]


def members(app: Gongji, limit: int, *, offset: int = 0) -> list[Member]:
    """Persons in load order (so index 2k sponsors 2k+1)."""
    rows = app.read_conn(lambda c: c.execute(
        select(persons.c.psn_no, persons.c.certno).order_by(persons.c.certno)
        .offset(offset).limit(limit)).all())
    return [Member(r.psn_no, r.certno) for r in rows]


def pairs(app: Gongji, limit: int, *, offset: int = 0) -> list[tuple[str, str]]:
    """(sponsor, beneficiary) psn_nos of active bindings."""
    rows = app.read_conn(lambda c: c.execute(
        select(bindings.c.sponsor_psn_no, bindings.c.beneficiary_psn_no)
        .where(bindings.c.status == "active").order_by(bindings.c.id)
        .offset(offset).limit(limit)).all())
    return [(r.sponsor_psn_no, r.beneficiary_psn_no) for r in rows]


def postings_count(app: Gongji) -> int:
    return int(app.read_conn(lambda c: c.execute(
        select(func.count()).select_from(postings)).scalar_one()))


def grow_postings(app: Gongji, target: int, *, progress: Callable[[int], None] | None = None
                  ) -> int:
    """Add two-posting entries (1 fen from the region's cash account to a person's account,
    each with its audit record) until the journal holds `target` postings; for timing
    `gongji verify` on a journal of that size. Returns how many postings were added."""
    start = postings_count(app)
    owners = app.read_conn(lambda c: [r.id for r in c.execute(
        select(accounts.c.id).where(accounts.c.kind == AccountKind.PERSONAL.value)
        .order_by(accounts.c.id).limit(10_000))])
    if not owners:
        raise ValueError("load a population first")
    have = start
    while have < target:
        entries_now = min(25_000, (target - have + 1) // 2)

        def batch(uow: UnitOfWork, first: int = have, count: int = entries_now) -> None:
            cash = {a.kind: a for a in ensure_region_accounts(uow, REGION)}[AccountKind.CASH]
            rows, legs, credit = [], [], dict[str, int]()
            for k in range(count):
                owner = owners[(first + k) % len(owners)]
                e = opening_entry(uow, cash.id, owner, 1, "bench.journal")
                rows.append(entry_row(e))
                legs += posting_rows(e)
                credit[owner] = credit.get(owner, 0) + 1
            uow.conn.execute(insert(entries), rows)
            uow.conn.execute(insert(postings), legs)
            uow.conn.execute(update(accounts).where(accounts.c.id == bindparam("b_owner"))
                             .values(balance=accounts.c.balance + bindparam("b_amount")),
                             [{"b_owner": o, "b_amount": a} for o, a in credit.items()])
            uow.conn.execute(update(accounts).where(accounts.c.id == cash.id)
                             .values(balance=accounts.c.balance - count))

        app.transact(SYSTEM, batch)
        have += 2 * entries_now
        if progress:
            progress(2 * entries_now)
    return have - start
