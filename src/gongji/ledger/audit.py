"""The append-only audit log: who did what, each record hashing the one before it.

Records are collected during a unit of work and written at its end (flush), so a rolled-back
call leaves no record and the chain head is locked only for the last moment of a transaction.
Chains are kept per pooling region (admdvs, or "000000" for national acts) so regions do not
serialise on one head. Within a region, on PostgreSQL, a unit of work whose chain head another
commit holds writes to a stripe of that chain instead ("510100.1", "510100.2", ... up to
CHAIN_STRIPES), so concurrent settlements of one region do not queue either: verify walks every
chain it finds a head for. With one writer at a time only the region's own chain is used.
Every ledger entry gets a record carrying the entry's digest, which ties the journal to the
chain: editing a posting breaks the digest, editing a record breaks the chain.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.domain.clock import UTC
from gongji.domain.privacy import scrub
from gongji.ledger.model import Entry
from gongji.store import fast
from gongji.store.tables import audit_heads, audit_log

GENESIS = "0" * 64
NATIONAL_CHAIN = "000000"


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def utc_iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_digest(entry_id: str, kind: str, code: str, ref_entry_id: str | None,
                 created_at: datetime, postings: list[tuple[str, int]]) -> str:
    """SHA-256 over an entry and its postings, in posting order."""
    text = "|".join([entry_id, kind, code, ref_entry_id or "", utc_iso(created_at)]) + "|" + \
        ";".join(f"{acc}:{amt}" for acc, amt in postings)
    return hashlib.sha256(text.encode()).hexdigest()


def account_digest(account_id: str, code: str, kind: str, owner: str | None,
                   sponsor: str | None, admdvs: str | None, parent_id: str | None,
                   no_negative: bool) -> str:
    """SHA-256 over what an account is and whose (everything but its balance, which its
    postings state, and its status): sealed in the chain when the account is opened, so an
    owner changed in the database no longer matches."""
    body = canonical_json(["account", account_id, code, kind, owner, sponsor, admdvs,
                           parent_id, bool(no_negative)])
    return hashlib.sha256(body.encode()).hexdigest()


def response_digest(scope: str, key: str, operation: str, request_hash: str, request: str,
                    response: str | None) -> str:
    """SHA-256 over an idempotency record as stored (request and response as their stored
    text): sealed in the chain by the unit of work that stored it, so a replayed answer
    edited in the database no longer matches."""
    body = canonical_json(["idempotency", scope, key, operation, request_hash, request,
                           response])
    return hashlib.sha256(body.encode()).hexdigest()


ACCOUNT_SEALS = ("ledger.open_account", "ledger.seal_account")
"""Audit actions whose digest seals an account: its opening, or the seal written for the
accounts that existed when migration 0009 came (docs/RELIABILITY.md, "Threat model")."""
RESPONSE_SEALS = ("idempotency.stored", "idempotency.seal")
"""Audit actions whose digest seals a stored response: the unit of work that stored it, or
migration 0009 for the responses stored before it."""


def digest_of(entry: Entry) -> str:
    return entry_digest(entry.id, entry.kind.value, entry.code, entry.ref_entry_id,
                        entry.created_at, [(p.account_id, p.amount) for p in entry.postings])


def record_hash(prev_hash: str, *, chain: str, seq: int, at: datetime, actor: str, action: str,
                subject: str, entry_id: str | None, digest: str | None, detail: str) -> str:
    body = canonical_json({
        "chain": chain, "seq": seq, "at": utc_iso(at), "actor": actor, "action": action,
        "subject": subject, "entry_id": entry_id, "digest": digest, "detail": detail,
    })
    return hashlib.sha256((prev_hash + "\n" + body).encode()).hexdigest()


@dataclass(slots=True)
class _Pending:
    chain: str
    at: datetime
    actor: str
    action: str
    subject: str
    entry_id: str | None
    digest: str | None
    detail: str


@dataclass
class AuditLog:
    """Audit records of one unit of work, written to their chains by flush()."""

    pending: list[_Pending] = field(default_factory=list)

    def add(self, *, at: datetime, actor: str, action: str, subject: str = "",
            detail: dict[str, Any] | None = None, chain: str | None = None,
            entry_id: str | None = None, digest: str | None = None) -> None:
        self.pending.append(_Pending(
            chain=chain or NATIONAL_CHAIN, at=at, actor=scrub(actor)[:100], action=action,
            subject=scrub(subject)[:100], entry_id=entry_id, digest=digest,
            detail=scrub(canonical_json(detail or {})),
        ))

    def add_account(self, *, at: datetime, actor: str, account_id: str, code: str, kind: str,
                    owner: str | None, sponsor: str | None, admdvs: str | None,
                    parent_id: str | None, no_negative: bool) -> None:
        """The record of an account's opening, sealing what it is and whose."""
        self.add(at=at, actor=actor, action=ACCOUNT_SEALS[0], subject=code, chain=admdvs,
                 detail={"account_id": account_id},
                 digest=account_digest(account_id, code, kind, owner, sponsor, admdvs,
                                       parent_id, no_negative))

    def seal_response(self, *, at: datetime, actor: str, scope: str, key: str,
                      operation: str, request_hash: str, request: str, response: str) -> None:
        """The record that vouches for the idempotency record this unit of work stored, on
        a chain it already writes (the national chain only when it writes none)."""
        chain = self.pending[0].chain if self.pending else NATIONAL_CHAIN
        self.add(at=at, actor=actor, action=RESPONSE_SEALS[0], subject=operation,
                 chain=chain, digest=response_digest(scope, key, operation, request_hash,
                                                     request, response))

    def add_entry(self, entry: Entry) -> None:
        self.add(at=entry.created_at, actor=entry.actor, action=f"ledger.{entry.kind.value}",
                 subject=entry.code, chain=entry.admdvs, entry_id=entry.id,
                 digest=digest_of(entry))

    def flush(self, conn: Connection) -> None:
        if not self.pending:
            return
        by_chain: dict[str, list[_Pending]] = {}
        for rec in self.pending:
            by_chain.setdefault(rec.chain, []).append(rec)
        for chain in sorted(by_chain):  # one lock order for every transaction
            name, seq, prev = _lock_head(conn, chain)
            rows = []
            for rec in by_chain[chain]:
                seq += 1
                h = record_hash(prev, chain=name, seq=seq, at=rec.at, actor=rec.actor,
                                action=rec.action, subject=rec.subject, entry_id=rec.entry_id,
                                digest=rec.digest, detail=rec.detail)
                rows.append({"admdvs": chain_region(name), "chain": name, "seq": seq,
                             "at": rec.at, "actor": rec.actor, "action": rec.action,
                             "subject": rec.subject,
                             "entry_id": rec.entry_id, "digest": rec.digest,
                             "detail": rec.detail, "prev_hash": prev, "hash": h})
                prev = h
            _APPEND.run_many(conn, rows)
            _MOVE_HEAD.run(conn, {"h_region": chain_region(name), "h_chain": name, "seq": seq,
                                  "hash": prev})
        self.pending.clear()


def chain_region(chain: str) -> str:
    """The region a chain belongs to, its distribution column: the first six characters of
    its name ("510100.3" is a stripe of 510100's chain)."""
    return chain[:6]


_HEAD_IS = (audit_heads.c.admdvs == bindparam("h_region"),
            audit_heads.c.chain == bindparam("h_chain"))
_HEAD = fast.Prepared(select(audit_heads.c.seq, audit_heads.c.hash).where(*_HEAD_IS)
                      .with_for_update())
_MOVE_HEAD = fast.Prepared(update(audit_heads).where(*_HEAD_IS)
                           .values(fast.values_of(audit_heads, ["seq", "hash"])))
_APPEND = fast.Prepared(fast.insert_of(audit_log, [
    "admdvs", "chain", "seq", "at", "actor", "action", "subject", "entry_id", "digest", "detail",
    "prev_hash", "hash"]))


CHAIN_STRIPES = 32
"""Chains per region at most: more than the commits that can be in flight at once."""


def stripes(chain: str) -> list[str]:
    """The names a region's chain may be written under: its own first, then its stripes."""
    return [chain, *(f"{chain}.{k}" for k in range(1, CHAIN_STRIPES))]


_STRIPE_PARAMS = [f"h_{k}" for k in range(CHAIN_STRIPES)]
_FREE_HEAD = fast.Prepared(
    select(audit_heads.c.chain, audit_heads.c.seq, audit_heads.c.hash)
    .where(audit_heads.c.admdvs == bindparam("h_region"),
           audit_heads.c.chain.in_([bindparam(k) for k in _STRIPE_PARAMS]))
    .order_by(audit_heads.c.chain).limit(1).with_for_update(skip_locked=True))
_HEADS_OF = fast.Prepared(select(audit_heads.c.chain)
                          .where(audit_heads.c.admdvs == bindparam("h_region"),
                                 audit_heads.c.chain.in_([bindparam(k) for k in _STRIPE_PARAMS])))


def _lock_head(conn: Connection, chain: str) -> tuple[str, int, str]:
    """Lock the head this unit of work appends to: the chain's own, or on PostgreSQL, when
    another commit holds it, the first stripe of it no one holds (a new one if all are)."""
    name = chain
    region = chain_region(chain)
    if conn.dialect.name == "postgresql":
        names = stripes(chain)
        params: dict[str, str] = {"h_region": region,
                                  **dict(zip(_STRIPE_PARAMS, names, strict=True))}
        free = _FREE_HEAD.run(conn, params).first()
        if free is not None:
            return str(free.chain), int(free.seq), str(free.hash)
        taken = set(_HEADS_OF.run(conn, params).scalars())
        name = next((n for n in names if n not in taken),
                    names[secrets.randbelow(CHAIN_STRIPES)])
    head = {"h_region": region, "h_chain": name}
    row = _HEAD.run(conn, head).first()
    if row is None:
        ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(audit_heads)
        conn.execute(ins.values(admdvs=region, chain=name, seq=0, hash=GENESIS)
                     .on_conflict_do_nothing(index_elements=["admdvs", "chain"]))
        row = _HEAD.run(conn, head).one()
    return name, int(row.seq), str(row.hash)
