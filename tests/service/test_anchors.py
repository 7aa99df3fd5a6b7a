"""Checkpoints signed outside the database: what they catch, what they cannot, the file and
key refusals, the server writing them, and the seals migration 0009 gives existing rows."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, text, update
from typer.testing import CliRunner

from gongji.api.app import create_app
from gongji.cli import app as cli
from gongji.config import Settings
from gongji.domain.errors import GongjiError
from gongji.ledger.verify import verify
from gongji.services.ledger import service as ledger
from gongji.services.runtime import Gongji
from gongji.store import migrate
from gongji.store.db import Database
from gongji.store.tables import audit_heads, audit_log
from tests.conftest import OPERATOR
from tests.family import Family, make_family
from tests.tampering import lift_guards, rehash, restore_guards

runner = CliRunner()


@pytest.fixture
def fam(app: Gongji) -> Family:
    return make_family(app)


@pytest.fixture
def signer(tmp_path: Path) -> tuple[Path, Path]:
    """A signing key made by `gongji checkpoint-key`: (private, public)."""
    key = tmp_path / "keys" / "anchor.key"
    key.parent.mkdir()
    done = runner.invoke(cli, ["checkpoint-key", str(key)])
    assert done.exit_code == 0, done.output
    assert key.stat().st_mode & 0o777 == 0o600
    return key, key.with_name("anchor.key.pub")


def cli_verify(db_url: str, anchors: Path | None = None, public: Path | None = None) -> str:
    args = ["verify", "--db", db_url]
    if anchors is not None and public is not None:
        args += ["--anchors", str(anchors), "--public-key", str(public)]
    done = runner.invoke(cli, args)
    return f"{done.exit_code}\n{done.output}"


def drop_record(database: Database, chain: str, *, after: int = 0, before: int = 1 << 62
                ) -> None:
    """Drop the chain's latest record in (after, before) that names no entry and seals
    nothing, renumber the ones after it and rehash: consistent, nothing else in the database
    names it."""
    with database.begin() as conn:
        lift_guards(conn)
        seq = conn.execute(select(audit_log.c.seq).where(
            audit_log.c.chain == chain, audit_log.c.entry_id.is_(None),
            audit_log.c.digest.is_(None), audit_log.c.seq > after, audit_log.c.seq < before)
            .order_by(audit_log.c.seq.desc())).scalars().first()
        assert seq is not None
        last = conn.execute(select(audit_heads.c.seq).where(audit_heads.c.chain == chain)
                            ).scalar_one()
        for s in range(seq, last + 1):  # the attacker cuts from there, keeps the rest
            row = conn.execute(select(audit_log).where(audit_log.c.chain == chain,
                                                       audit_log.c.seq == s + 1)).first()
            conn.execute(delete(audit_log).where(audit_log.c.chain == chain,
                                                 audit_log.c.seq == s))
            if row is not None:
                conn.execute(insert(audit_log).values({**row._mapping, "seq": s}))
        rehash(conn, chain, seq)
        restore_guards(conn)


def test_a_rewritten_chain_passes_without_checkpoints_and_fails_with_them(
        fam: Family, database: Database, db_url: str, signer: tuple[Path, Path],
        tmp_path: Path) -> None:
    key, public = signer
    anchors = tmp_path / "anchors.jsonl"
    done = runner.invoke(cli, ["checkpoint", "--key", str(key), "--to", str(anchors),
                               "--db", db_url])
    assert done.exit_code == 0, done.output
    assert "appended" in done.output
    assert cli_verify(db_url, anchors, public).startswith("0\n")
    fam.add("林华", born=date(1988, 5, 5), seq=11,
            insutype="310", psn_type="1101", admdvs="510100", credit=100_00)
    assert cli_verify(db_url, anchors, public).startswith("0\n")  # later records extend it
    signed = json.loads(anchors.read_text().splitlines()[-1])["heads"]["000000"][0]
    # the documented limits: what came after the latest checkpoint can be rewritten ...
    drop_record(database, "000000", after=signed)
    assert cli_verify(db_url, anchors, public).startswith("0\n")
    # ... and without checkpoints, anything can: the unkeyed chain verifies by itself ...
    drop_record(database, "000000", before=signed)
    assert cli_verify(db_url).startswith("0\n")
    # ... but the checkpoint signed outside the database names a rewrite of what it covers
    out = cli_verify(db_url, anchors, public)
    assert out.startswith("1\n"), out
    assert "anchors: 000000" in out and "FAILED" in out


def test_an_edited_or_foreign_checkpoint_is_named(fam: Family, database: Database,
                                                  signer: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    key, public = signer
    anchors = tmp_path / "anchors.jsonl"
    first = ledger.checkpoint(fam.app, key, anchors)
    ledger.checkpoint(fam.app, key, anchors)
    assert first.chains >= 1 and first.records > 0
    lines = anchors.read_text().splitlines()
    forged = json.loads(lines[-1])
    forged["heads"]["000000"][0] += 1          # claim a longer chain than there was
    anchors.write_text("\n".join([lines[0], json.dumps(forged)]) + "\n")

    def run(pub: Path) -> list[tuple[str, str, str]]:
        report = ledger.verify(fam.app, OPERATOR, anchors=ledger.AnchorCheck(anchors, pub))
        return [(v.check, v.subject, v.message) for v in report.violations]

    found = run(public)
    assert [(c, m) for c, _s, m in found] == [
        ("anchors", "its signature does not match its content (edited or forged)")]
    assert "line 1 from the end" in found[0][1]
    other = tmp_path / "other.key"
    ledger.make_signing_key(other, tmp_path / "other.pub")
    assert ("anchors", str(anchors), "holds no checkpoint signed by this key") in \
        run(tmp_path / "other.pub")


def test_key_and_file_refusals(fam: Family, signer: tuple[Path, Path],
                               tmp_path: Path) -> None:
    key, public = signer
    with pytest.raises(GongjiError) as e:
        ledger.make_signing_key(key, tmp_path / "x.pub")          # never overwritten
    assert e.value.code == "CHECKPOINT_FILE_UNREADABLE"
    with pytest.raises(GongjiError) as e:
        ledger.checkpoint(fam.app, public, tmp_path / "a.jsonl")   # a public key signs nothing
    assert e.value.code == "CHECKPOINT_KEY_INVALID" and e.value.message_en
    with pytest.raises(GongjiError) as e:
        ledger.checkpoint(fam.app, key, tmp_path / "no" / "such" / "dir.jsonl")
    assert e.value.code == "CHECKPOINT_FILE_UNREADABLE"
    with pytest.raises(GongjiError) as e:
        ledger.verify(fam.app, OPERATOR, anchors=ledger.AnchorCheck(tmp_path / "none", public))
    assert e.value.code == "CHECKPOINT_FILE_UNREADABLE"
    assert runner.invoke(cli, ["verify", "--anchors", "x"]).exit_code == 2


def test_the_server_checkpoints_on_its_own(fam: Family, signer: tuple[Path, Path],
                                           tmp_path: Path) -> None:
    key, public = signer
    anchors = tmp_path / "served.jsonl"
    settings = Settings(db=fam.app.db.url, checkpoint_key=str(key), checkpoint_to=str(anchors),
                        checkpoint_interval_seconds=0.05)
    with TestClient(create_app(fam.app, settings, sweeper=True)):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
                not anchors.exists() or len(anchors.read_text().splitlines()) < 2):
            time.sleep(0.05)
    assert len(anchors.read_text().splitlines()) >= 2
    report = ledger.verify(fam.app, OPERATOR, anchors=ledger.AnchorCheck(anchors, public))
    assert report.ok and report.checks[-1].name == "anchors"
    quiet = tmp_path / "quiet.jsonl"
    with TestClient(create_app(fam.app, Settings(db=fam.app.db.url, checkpoint_to=str(quiet)),
                               sweeper=True)):
        time.sleep(0.2)
    assert not quiet.exists()                  # off unless key and file are both set


def test_the_upgrade_to_0009_seals_what_exists(fam: Family, database: Database) -> None:
    """A database from before 0009: accounts opened without a seal, answers stored without
    one. The upgrade seals them as they are; verify holds; a second upgrade adds nothing."""
    with database.begin() as conn:
        lift_guards(conn)
        conn.execute(delete(audit_log).where(audit_log.c.action == "idempotency.stored"))
        conn.execute(update(audit_log).where(audit_log.c.action == "ledger.open_account")
                     .values(digest=None))
        for chain in conn.execute(select(audit_heads.c.chain)).scalars().all():
            rows = conn.execute(select(audit_log).where(audit_log.c.chain == chain)
                                .order_by(audit_log.c.seq)).all()
            conn.execute(delete(audit_log).where(audit_log.c.chain == chain))
            conn.execute(insert(audit_log), [{**r._mapping, "seq": n}
                                             for n, r in enumerate(rows, start=1)])
            rehash(conn, chain, 1)
        restore_guards(conn)
        conn.execute(text("DROP INDEX ix_audit_log_seal"))
    with database.read() as conn:
        before = {v.check for v in verify(conn).violations}
    assert before == {"accounts", "stored_responses"}
    migrate.downgrade(database, "0014")  # 0015 reshapes keys: undone with the rows kept
    with database.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0008'"))
        conn.execute(text("DROP TABLE account_stripes"))  # 0010 comes after 0009
        for table in ("claim_invoices", "claim_lines", "claims"):  # and 0011
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("DROP TABLE untraced_stock"))  # and 0012
        conn.execute(text("ALTER TABLE catalog_items DROP COLUMN pack_cnt"))
        conn.execute(text("ALTER TABLE contributions DROP COLUMN benefits_from"))  # 0013
        for table in ("prescription_items", "prescriptions", "pay_notifications",  # 0014
                      "sandbox_cash", "cash_payments", "pay_refunds", "pay_orders",
                      "pay_auths"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("ALTER TABLE catalog_items DROP COLUMN otc_flag"))
    assert migrate.upgrade(database) == ("0008", migrate.head())
    with database.read() as conn:
        assert verify(conn).ok
        seals = conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action IN "
                                  "('ledger.seal_account', 'idempotency.seal')")).scalar_one()
    assert seals > 0
    migrate.downgrade(database, "0008")
    migrate.upgrade(database)
    with database.read() as conn:
        assert verify(conn).ok
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action IN "
                                 "('ledger.seal_account', 'idempotency.seal')")
                            ).scalar_one() == seals
