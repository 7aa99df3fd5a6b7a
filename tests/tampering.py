"""What an attacker who can write the database does to hide an edit: lift the append-only
guards, edit, put them back, and recompute the audit chain's hashes (the rule is public)."""

from __future__ import annotations

from sqlalchemy import Connection, select, text, update

from gongji.ledger.audit import GENESIS, record_hash
from gongji.store.tables import audit_heads, audit_log

GUARDED = ("entries", "postings", "audit_log")


def lift_guards(conn: Connection) -> None:
    for t in GUARDED:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"ALTER TABLE {t} DISABLE TRIGGER {t}_append_only"))
        else:
            for verb in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER {t}_no_{verb}"))


def restore_guards(conn: Connection) -> None:
    for t in GUARDED:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"ALTER TABLE {t} ENABLE TRIGGER {t}_append_only"))
        else:
            for verb in ("UPDATE", "DELETE"):
                conn.execute(text(
                    f"CREATE TRIGGER {t}_no_{verb.lower()} BEFORE {verb} ON {t} "
                    f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END"))


def rehash(conn: Connection, chain: str, from_seq: int) -> None:
    """Recompute every record's link and hash from from_seq on, and move the head: what an
    attacker who knows the (public) hashing rule does after editing a record."""
    prev = conn.execute(select(audit_log.c.hash).where(
        audit_log.c.chain == chain, audit_log.c.seq == from_seq - 1)).scalar() or GENESIS
    seq = from_seq - 1
    for r in conn.execute(select(audit_log).where(audit_log.c.chain == chain,
                                                  audit_log.c.seq >= from_seq)
                          .order_by(audit_log.c.seq)).all():
        h = record_hash(prev, chain=chain, seq=r.seq, at=r.at, actor=r.actor, action=r.action,
                        subject=r.subject, entry_id=r.entry_id, digest=r.digest,
                        detail=r.detail)
        conn.execute(update(audit_log).where(audit_log.c.chain == chain,
                                             audit_log.c.seq == r.seq)
                     .values(prev_hash=prev, hash=h))
        prev, seq = h, r.seq
    conn.execute(update(audit_heads).where(audit_heads.c.chain == chain)
                 .values(seq=seq, hash=prev))


