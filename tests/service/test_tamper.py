"""Whoever can write the database: every kind of tampering we know of, each done on a populated
database (SQLite and PostgreSQL) inside a transaction that is rolled back, and `verify` must
name it. The attacker lifts the append-only triggers, edits, and puts the triggers back.

The last three rewrite the audit chain consistently (hashes recomputed): only the signed
checkpoints written outside the database (`gongji checkpoint`) can tell.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select, text, update

from gongji.domain.clock import FixedClock, shanghai
from gongji.ledger.audit import AuditLog, entry_digest
from gongji.ledger.journal import Ledger
from gongji.ledger.verify import VerifyReport, verify
from gongji.services.contributions import service as contributions
from gongji.services.family import service as family
from gongji.services.ledger import service as ledger
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as settlement
from gongji.services.transfers import service as transfers
from gongji.store.db import Database
from gongji.store.tables import audit_log, entries, postings
from gongji.testing.postgres import TempPostgres
from tests.clinic import CLINIC, D_B, HENAN_PHARMACY, S_A, S_B, open_clinic
from tests.conftest import OPERATOR, TEMPLATE
from tests.family import PIN, key, make_family
from tests.tampering import GUARDED, lift_guards, rehash, restore_guards


@dataclass
class World:
    db: Database
    ids: dict[str, str] = field(default_factory=dict)
    anchors: Any = None
    """The signed checkpoints taken when the world was built (None before they existed)."""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[World]:
    """Persons with money, bindings (one ended), transfers in every state, a contribution,
    settlements settled, cancelled, out of area and paid from wallet quota; then a signed
    checkpoint of every chain head."""
    if request.param == "sqlite":
        target = tmp_path_factory.mktemp("tamper") / "gongji.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        url, drop = f"sqlite:///{target}", None
    else:
        cluster: TempPostgres = request.getfixturevalue("pg")
        name = "tamper_" + uuid.uuid4().hex[:12]
        url, drop = cluster.create_database(name, template=TEMPLATE), (cluster, name)
    db = Database(url)
    app = Gongji(db, FixedClock(shanghai(2026, 11, 24, 10, 0, 0)))
    w = World(db)
    _populate(app, w, tmp_path_factory.mktemp("anchors"))
    yield w
    db.dispose()
    if drop is not None:
        drop[0].drop_database(drop[1])


def _populate(app: Gongji, w: World, folder: Path) -> None:
    clinic = open_clinic(make_family(app))
    fam = clinic.fam
    zw, ma = fam["张伟"], fam["李秀英"]
    for name in ("张伟", "李秀英", "王芳"):
        fam.open_wallet(name)
    fam.bind("张伟", "李秀英", "parent")
    spouse = fam.bind("王芳", "张伟", "spouse")

    def send(to: str, amount: int) -> str:
        return transfers.send(app, zw.who, key("t"), transfers.SendTransfer(
            fam[to].psn_no, amount), PIN).value.id

    accepted = send("李秀英", 500_00)
    transfers.respond(app, ma.who, key("a"), accepted, "accept")
    rejected = send("李秀英", 100_00)
    transfers.respond(app, ma.who, key("r"), rejected, "reject")
    pending = send("李秀英", 200_00)
    to_him = transfers.send(app, fam["王芳"].who, key("t2"), transfers.SendTransfer(
        zw.psn_no, 300_00), PIN).value.id
    transfers.respond(app, zw.who, key("a2"), to_him, "accept")
    family.end(app, OPERATOR, key("end"), spouse)          # his unused quota goes home
    fam.bind("张伟", "张小宝", "child")  # his son in Chengdu: paid from his own account
    paid = contributions.pay(app, zw.who, key("ct"), contributions.PayContribution(
        fam["张小宝"].psn_no, "390", 2027, "personal"), PIN).value

    v1 = clinic.visit("张伟")
    clinic.fees(v1, (S_A, "1", "20000"), (S_B, "1", "6000"))
    s1 = clinic.settle(v1, "张伟", medins_setl_id="MSG-S1")
    v2 = clinic.visit("张伟", at=CLINIC, med_type="11")
    clinic.fees(v2, (S_A, "1", "300"))
    s2 = clinic.settle(v2, "张伟")
    settlement.cancel(app, clinic.inst(CLINIC), key("cx"), s2.setl_id or "")
    v4 = clinic.visit("李秀英", at=HENAN_PHARMACY, med_type="41")
    clinic.fees(v4, (D_B, "2", "30"))
    s4 = clinic.settle(v4, "李秀英")                  # paid from the quota 张伟 sent her
    clinic.file_away("李秀英", "510000")
    v3 = clinic.visit("李秀英")                       # Henan resident in a Chengdu hospital
    clinic.fees(v3, (S_A, "1", "10800"))
    s3 = clinic.settle(v3, "李秀英", acct_used_flag=False)  # her quota stays
    assert s4.acct_mulaid_pay > 0 and v3.out_of_area
    w.ids.update(zw=zw.psn_no, ma=ma.psn_no, wife=fam["王芳"].psn_no, s1=s1.setl_id or "",
                 s2=s2.setl_id or "", s3=s3.setl_id or "", s4=s4.setl_id or "",
                 accepted=accepted, rejected=rejected, pending=pending,
                 contribution=paid.id, v1=v1.mdtrt_id)
    try:
        from gongji.ledger import anchors as signed
    except ImportError:  # before checkpoints existed
        return
    keys = ledger.make_signing_key(folder / "anchor.key", folder / "anchor.pub")
    ledger.checkpoint(app, keys.private_key, folder / "anchors.jsonl")
    w.anchors = signed.load(folder / "anchors.jsonl",
                            signed.public_key(keys.public_key.read_bytes(), "anchor.pub"))


def _verify(conn: Connection, w: World) -> VerifyReport:
    if w.anchors is None:
        return verify(conn)
    return verify(conn, anchors=w.anchors)


def failing(report: VerifyReport) -> set[str]:
    return {v.check for v in report.violations}


# -- the attacker's tools (and tests/tampering.py) -------------------------------------------

def one(conn: Connection, sql: str, **params: Any) -> Any:
    return conn.execute(text(sql), params).scalar_one()


def personal(conn: Connection, psn_no: str) -> str:
    return str(one(conn, "SELECT id FROM accounts WHERE code = :c", c=f"PERSONAL/{psn_no}"))


def credit_entry(conn: Connection, w: World) -> str:
    """The credit that funded 张伟's personal account (two postings, no business record)."""
    return str(one(conn, "SELECT e.id FROM entries e JOIN postings p ON p.entry_id = e.id "
                         "WHERE e.code = 'account.credit' AND p.account_id = :a",
                   a=personal(conn, w.ids["zw"])))


def shift_pair(conn: Connection, entry_id: str, fen: int) -> None:
    """Move fen more along a two-posting entry and keep both balances in step."""
    for r in conn.execute(select(postings).where(postings.c.entry_id == entry_id)).all():
        d = fen if r.amount > 0 else -fen
        conn.execute(text("UPDATE postings SET amount = amount + :d "
                          "WHERE entry_id = :e AND idx = :i"), {"d": d, "e": entry_id,
                                                                "i": r.idx})
        conn.execute(text("UPDATE accounts SET balance = balance + :d WHERE id = :a"),
                     {"d": d, "a": r.account_id})


# -- the tamperings --------------------------------------------------------------------------

def t_posting_amount(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE postings SET amount = amount + 1 WHERE entry_id = :e "
                      "AND amount > 0"), {"e": credit_entry(conn, w)})
    return credit_entry(conn, w)


def t_balanced_postings(conn: Connection, w: World) -> str:
    e = credit_entry(conn, w)
    shift_pair(conn, e, 100_00)
    return e


def t_balance(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE accounts SET balance = balance + 100 WHERE code = :c"),
                 {"c": f"PERSONAL/{w.ids['zw']}"})
    return f"PERSONAL/{w.ids['zw']}"


def t_hold_state(conn: Connection, w: World) -> str:
    hold = one(conn, "SELECT hold_id FROM wallet_transfers WHERE id = :t", t=w.ids["pending"])
    conn.execute(text("UPDATE holds SET state = 'voided', resolved_entry_id = entry_id "
                      "WHERE id = :h"), {"h": hold})
    return str(hold)


def t_audit_record_edited(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE audit_log SET actor = 'operator:nobody' WHERE chain = '510100' "
                      "AND seq = 3"))
    return "510100#3"


def t_audit_record_deleted(conn: Connection, w: World) -> str:
    conn.execute(text("DELETE FROM audit_log WHERE chain = '510100' AND seq = 4"))
    return "510100"


def t_fund_pay_for_acct_pay(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE settlements SET fund_pay_sumamt = fund_pay_sumamt + 50000, "
                      "acct_pay = acct_pay - 50000 WHERE setl_id = :s"), {"s": w.ids["s1"]})
    return w.ids["s1"]


def t_setlinfo_edited(conn: Connection, w: World) -> str:
    raw = one(conn, "SELECT setlinfo FROM settlements WHERE setl_id = :s", s=w.ids["s1"])
    info = json.loads(raw)
    info["hifp_pay"] += 50000
    info["acct_pay"] -= 50000
    conn.execute(text("UPDATE settlements SET setlinfo = :i WHERE setl_id = :s"),
                 {"i": json.dumps(info), "s": w.ids["s1"]})
    return w.ids["s1"]


def t_cancelled_without_reversal(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE settlements SET status = 'cancelled' WHERE setl_id = :s"),
                 {"s": w.ids["s1"]})
    return w.ids["s1"]


def t_settlement_reversed_by_hand(conn: Connection, w: World) -> str:
    """What the operator ledger API did before it refused: a proper reversal entry, audited,
    of a settlement that still reads settled."""
    e = one(conn, "SELECT entry_id FROM settlements WHERE setl_id = :s", s=w.ids["s1"])
    audit = AuditLog()
    ledger_ = Ledger(conn, now=shanghai(2026, 11, 24, 11, 0, 0), actor="operator:x",
                     audit=audit)
    ledger_.reverse(str(e))
    ledger_.apply_deferred()
    audit.flush(conn)
    return w.ids["s1"]


def t_settlement_deleted(conn: Connection, w: World) -> str:
    conn.execute(text("DELETE FROM medins_setl_ids WHERE medins_setl_id = 'MSG-S1'"))
    conn.execute(text("DELETE FROM settlements WHERE setl_id = :s"), {"s": w.ids["s1"]})
    return str(one(conn, "SELECT id FROM entries WHERE ext_ref = :s AND kind = 'transfer'",
                   s=w.ids["s1"]))


def t_fee_line_amount(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE fee_details SET det_item_fee_sumamt = det_item_fee_sumamt - 100 "
                      "WHERE setl_id = :s AND feedetl_sn = '1'"), {"s": w.ids["s1"]})
    return w.ids["s1"]


def t_stored_response_amount(conn: Connection, w: World) -> str:
    """A transfer's stored answer changed to 1.00: a retry would be told so."""
    row = conn.execute(text("SELECT scope, key, response FROM idempotency "
                            "WHERE operation = 'transfer.send'")).first()
    answer = json.loads(row.response)
    answer["amount"] = 100
    conn.execute(text("UPDATE idempotency SET response = :r WHERE scope = :s AND key = :k"),
                 {"r": json.dumps(answer), "s": row.scope, "k": row.key})
    return str(row.key)


def t_stored_response_deleted(conn: Connection, w: World) -> str:
    """A settlement's key forgotten: a retry would settle again."""
    row = conn.execute(text("SELECT scope, key FROM idempotency WHERE operation = 'settle'")
                       ).first()
    conn.execute(text("DELETE FROM idempotency WHERE scope = :s AND key = :k"),
                 {"s": row.scope, "k": row.key})
    return "idempotency"


def t_account_owner(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE accounts SET owner = :o WHERE code = :c"),
                 {"o": w.ids["wife"], "c": f"PERSONAL/{w.ids['zw']}"})
    return f"PERSONAL/{w.ids['zw']}"


def t_transfer_amount(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE wallet_transfers SET amount = 100 WHERE id = :t"),
                 {"t": w.ids["accepted"]})
    return w.ids["accepted"]


def t_transfer_receiver(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE wallet_transfers SET receiver_psn_no = :r WHERE id = :t"),
                 {"r": w.ids["wife"], "t": w.ids["accepted"]})
    return w.ids["accepted"]


def t_contribution_amount(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE contributions SET amount = amount - 100 WHERE id = :c"),
                 {"c": w.ids["contribution"]})
    return w.ids["contribution"]


def t_binding_ended_with_quota(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE bindings SET status = 'ended' WHERE beneficiary_psn_no = :b "
                      "AND status = 'active'"), {"b": w.ids["ma"]})
    return w.ids["ma"]


def t_accumulator_lowered(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE accumulators SET value = value - 100000 WHERE psn_no = :p "
                      "AND name = 'paid:employee_pool'"), {"p": w.ids["zw"]})
    return w.ids["zw"]


def t_stay_accumulator_lowered(conn: Connection, w: World) -> str:
    conn.execute(text("UPDATE stay_accumulators SET value = 0 WHERE mdtrt_id = :v "
                      "AND name = 'ded'"), {"v": w.ids["v1"]})
    return w.ids["zw"]


def t_triggers_dropped(conn: Connection, w: World) -> str:
    for t in GUARDED:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"DROP TRIGGER {t}_append_only ON {t}"))
        else:
            conn.execute(text(f"DROP TRIGGER {t}_no_update"))
    return "postings"


def t_triggers_disabled(conn: Connection, w: World) -> str:
    """PostgreSQL: disabled, still there. SQLite has no switch: the attacker leaves no
    trigger (lift_guards) and does not put it back."""
    lift_guards(conn)
    return "audit_log"


def t_trigger_made_harmless(conn: Connection, w: World) -> str:
    """Still there by name, refusing nothing."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("CREATE OR REPLACE FUNCTION gongji_append_only() RETURNS trigger "
                          "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"))
    else:
        conn.execute(text("DROP TRIGGER entries_no_delete"))
        conn.execute(text("CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries "
                          "BEGIN SELECT 1; END"))
    return "entries"


def t_no_negative_check_dropped(conn: Connection, w: World) -> str:
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE accounts DROP CONSTRAINT ck_accounts_no_negative"))
    else:  # SQLite cannot drop a CHECK: the attacker rewrites the stored schema instead
        conn.execute(text("PRAGMA writable_schema = ON"))
        conn.execute(text("UPDATE sqlite_master SET sql = replace(sql, "
                          "'CHECK (NOT no_negative OR balance >= 0)', 'CHECK (1)') "
                          "WHERE type = 'table' AND name = 'accounts'"))
        conn.execute(text("PRAGMA writable_schema = OFF"))
    return "accounts"


def t_chain_truncated(conn: Connection, w: World) -> str:
    """Drop the last record of a chain and rewind its head."""
    seq = one(conn, "SELECT seq FROM audit_heads WHERE chain = '510100'")
    conn.execute(text("DELETE FROM audit_log WHERE chain = '510100' AND seq = :s"), {"s": seq})
    prev = one(conn, "SELECT hash FROM audit_log WHERE chain = '510100' AND seq = :s",
               s=seq - 1)
    conn.execute(text("UPDATE audit_heads SET seq = :s, hash = :h WHERE chain = '510100'"),
                 {"s": seq - 1, "h": prev})
    return "510100"


def t_chain_renumbered(conn: Connection, w: World) -> str:
    """Drop a record in the middle (one that names no entry), renumber the rest, rehash."""
    gone = one(conn, "SELECT MIN(seq) FROM audit_log WHERE chain = '510100' AND seq > 5 "
                     "AND entry_id IS NULL AND digest IS NULL")
    conn.execute(text("DELETE FROM audit_log WHERE chain = '510100' AND seq = :s"),
                 {"s": gone})
    last = one(conn, "SELECT MAX(seq) FROM audit_log WHERE chain = '510100'")
    for seq in range(gone + 1, last + 1):
        conn.execute(text("UPDATE audit_log SET seq = :n WHERE chain = '510100' AND seq = :s"),
                     {"n": seq - 1, "s": seq})
    rehash(conn, "510100", gone)
    return "510100"


def t_chain_rehashed(conn: Connection, w: World) -> str:
    """Edit a balanced posting pair, recompute the entry's digest, rehash the chain on."""
    e = credit_entry(conn, w)
    shift_pair(conn, e, 100_00)
    row = conn.execute(select(entries).where(entries.c.id == e)).one()
    legs = [(p.account_id, int(p.amount)) for p in conn.execute(
        select(postings).where(postings.c.entry_id == e).order_by(postings.c.idx))]
    digest = entry_digest(row.id, row.kind, row.code, row.ref_entry_id, row.created_at, legs)
    rec = conn.execute(select(audit_log).where(audit_log.c.entry_id == e)).one()
    conn.execute(update(audit_log).where(audit_log.c.chain == rec.chain,
                                         audit_log.c.seq == rec.seq).values(digest=digest))
    rehash(conn, rec.chain, rec.seq)
    return str(rec.chain)


TAMPERINGS: dict[str, tuple[Callable[[Connection, World], str], str]] = {
    "posting amount": (t_posting_amount, "entries_sum_zero"),
    "balanced edit of two postings": (t_balanced_postings, "entry_digests"),
    "a balance": (t_balance, "balances"),
    "a hold's state": (t_hold_state, "holds"),
    "an audit record edited": (t_audit_record_edited, "audit_chain"),
    "an audit record deleted": (t_audit_record_deleted, "audit_chain"),
    "fund_pay raised, acct_pay lowered": (t_fund_pay_for_acct_pay, "settlements"),
    "the stored setlinfo edited": (t_setlinfo_edited, "settlements"),
    "settled marked cancelled, no reversal": (t_cancelled_without_reversal, "settlements"),
    "a settlement's entry reversed by hand": (t_settlement_reversed_by_hand, "settlements"),
    "a settlement deleted": (t_settlement_deleted, "settlements"),
    "a settled fee line's amount": (t_fee_line_amount, "settlements"),
    "a stored response's amount": (t_stored_response_amount, "stored_responses"),
    "a stored response deleted": (t_stored_response_deleted, "stored_responses"),
    "a personal account's owner": (t_account_owner, "accounts"),
    "a transfer's amount": (t_transfer_amount, "transfers"),
    "a transfer's receiver": (t_transfer_receiver, "transfers"),
    "a contribution's amount": (t_contribution_amount, "contributions"),
    "a binding ended, its quota kept": (t_binding_ended_with_quota, "bindings"),
    "a year accumulator lowered": (t_accumulator_lowered, "accumulators"),
    "a stay accumulator lowered": (t_stay_accumulator_lowered, "accumulators"),
    "append-only triggers dropped": (t_triggers_dropped, "guards"),
    "append-only triggers disabled": (t_triggers_disabled, "guards"),
    "a trigger made to refuse nothing": (t_trigger_made_harmless, "guards"),
    "the no-negative CHECK dropped": (t_no_negative_check_dropped, "guards"),
    "chain truncated, head rewound": (t_chain_truncated, "anchors"),
    "chain record dropped, renumbered, rehashed": (t_chain_renumbered, "anchors"),
    "balanced edit, digest and chain recomputed": (t_chain_rehashed, "anchors"),
}


def test_the_populated_world_verifies(world: World) -> None:
    with world.db.read() as conn:
        report = _verify(conn, world)
    assert report.ok, report.violations[:20]


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_verify_names_each_tampering(world: World, name: str) -> None:
    tamper, check = TAMPERINGS[name]
    with world.db.scratch() as conn:       # rolled back: the next tampering starts clean
        if check == "guards":
            subject = tamper(conn, world)
        else:
            lift_guards(conn)
            subject = tamper(conn, world)
            restore_guards(conn)
        report = _verify(conn, world)
    named = [v for v in report.violations if v.check == check]
    assert named, f"{name}: verify did not name it (found: {report.violations[:5]})"
    assert any(subject in v.subject or subject in v.message for v in named), named[:5]
