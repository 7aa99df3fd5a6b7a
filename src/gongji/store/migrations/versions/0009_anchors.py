"""Tamper evidence: seals for the rows the journal does not state (issue 15).

An index for the audit records that seal an account or a stored answer by its digest
(`gongji verify` looks each row up there), and a seal record for every account and stored
answer that exists at the upgrade: they are vouched for as they are now (docs/RELIABILITY.md,
"Threat model"). From here on the unit of work that writes them seals them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 00:00:00
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from gongji.domain.clock import UTC
from gongji.domain.privacy import scrub
from gongji.ledger.audit import (
    GENESIS,
    NATIONAL_CHAIN,
    account_digest,
    record_hash,
    response_digest,
)
from gongji.store.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ACTOR = "system:migration-0009"
TOMBSTONE = "reversed"

_log = sa.table("audit_log", sa.column("chain"), sa.column("seq"), sa.column("at", UTCDateTime),
                sa.column("actor"), sa.column("action"), sa.column("subject"),
                sa.column("entry_id"), sa.column("digest"), sa.column("detail"),
                sa.column("prev_hash"), sa.column("hash"))
_heads = sa.table("audit_heads", sa.column("chain"), sa.column("seq"), sa.column("hash"))


def upgrade() -> None:
    op.create_index("ix_audit_log_seal", "audit_log", ["digest"], unique=False,
                    sqlite_where=sa.text("entry_id IS NULL AND digest IS NOT NULL"),
                    postgresql_where=sa.text("entry_id IS NULL AND digest IS NOT NULL"))
    conn = op.get_bind()
    at = datetime.now(UTC)
    seals: dict[str, list[tuple[str, str, str]]] = {}   # chain -> (action, subject, digest)
    for a in conn.execute(sa.text(
            "SELECT id, code, kind, owner, sponsor, admdvs, parent_id, no_negative "
            "FROM accounts ORDER BY id")):
        seals.setdefault(a.admdvs or NATIONAL_CHAIN, []).append((
            "ledger.seal_account", scrub(a.code)[:100],
            account_digest(a.id, a.code, a.kind, a.owner, a.sponsor, a.admdvs, a.parent_id,
                           bool(a.no_negative))))
    for i in conn.execute(sa.text(
            'SELECT scope, "key", operation, request_hash, request, response FROM idempotency '
            'WHERE operation <> :t ORDER BY scope, "key"'), {"t": TOMBSTONE}):
        seals.setdefault(NATIONAL_CHAIN, []).append((
            "idempotency.seal", scrub(i.operation)[:100],
            response_digest(i.scope, i.key, i.operation, i.request_hash, i.request,
                            i.response)))
    for chain in sorted(seals):
        _append(conn, chain, _unsealed(conn, seals[chain]), at)


def _unsealed(conn: Any, seals: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Those not sealed already (an upgrade after a downgrade seals nothing twice)."""
    have: set[str] = set()
    for start in range(0, len(seals), 500):
        have |= set(conn.execute(sa.text(
            "SELECT digest FROM audit_log WHERE entry_id IS NULL AND digest IS NOT NULL "
            "AND digest IN :d").bindparams(sa.bindparam("d", expanding=True)),
            {"d": [d for _a, _s, d in seals[start:start + 500]]}).scalars())
    return [s for s in seals if s[2] not in have]


def _append(conn: Any, chain: str, seals: list[tuple[str, str, str]], at: datetime) -> None:
    if not seals:
        return
    head = conn.execute(sa.select(_heads.c.seq, _heads.c.hash)
                        .where(_heads.c.chain == chain)).first()
    seq, prev = (int(head.seq), str(head.hash)) if head is not None else (0, GENESIS)
    if head is None:
        conn.execute(sa.insert(_heads).values(chain=chain, seq=0, hash=GENESIS))
    rows = []
    for action, subject, digest in seals:
        seq += 1
        h = record_hash(prev, chain=chain, seq=seq, at=at, actor=ACTOR, action=action,
                        subject=subject, entry_id=None, digest=digest, detail="{}")
        rows.append({"chain": chain, "seq": seq, "at": at, "actor": ACTOR, "action": action,
                     "subject": subject, "entry_id": None, "digest": digest, "detail": "{}",
                     "prev_hash": prev, "hash": h})
        prev = h
    for start in range(0, len(rows), 5000):
        conn.execute(sa.insert(_log), rows[start:start + 5000])
    conn.execute(sa.update(_heads).where(_heads.c.chain == chain).values(seq=seq, hash=prev))


def downgrade() -> None:
    # the seal records stay: the audit log is append-only
    op.drop_index("ix_audit_log_seal", table_name="audit_log",
                  sqlite_where=sa.text("entry_id IS NULL AND digest IS NOT NULL"),
                  postgresql_where=sa.text("entry_id IS NULL AND digest IS NOT NULL"))
