"""The `gongji` command: serve, demo, db, verify, backup, restore, sweep, token.

Commands only translate arguments into service calls and results into text; rules live below.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from gongji import __version__
from gongji.config import Settings
from gongji.domain.access import COMMAND_LINE
from gongji.domain.clock import SHANGHAI, SystemClock, display
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan, format_yuan_unchecked
from gongji.services.catalog import service as catalog
from gongji.services.clearing import service as clearing
from gongji.services.conformance import service as conformance
from gongji.services.demo.service import seed
from gongji.services.enrollment import service as enrollment
from gongji.services.ledger import service as ledger
from gongji.services.policy import service as policy
from gongji.services.root import Built, Schema, build
from gongji.services.system import service as system
from gongji.services.tokens import service as tokens
from gongji.services.transport import service as transport
from gongji.services.transport.model import IssueCredential, SetTransport, TransportView

app = typer.Typer(help="共济 gongji: medical-insurance personal accounts and family mutual aid.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema: upgrade, current revision, the Citus plan.",
                      no_args_is_help=True)
token_app = typer.Typer(help="Operator API tokens.", no_args_is_help=True)
policy_app = typer.Typer(help="Policy documents (YAML): check before you upload.",
                         no_args_is_help=True)
accounts_app = typer.Typer(help="Personal accounts: credits from a CSV file.",
                           no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(policy_app, name="policy")
app.add_typer(accounts_app, name="accounts")
catalog_app = typer.Typer(help="The catalog of a care region: import from CSV or the national "
                          "TSV download.", no_args_is_help=True)
clearing_app = typer.Typer(help="Clearing between regions.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(clearing_app, name="clearing")
conformance_app = typer.Typer(help="The conformance kit for HIS vendors: record an "
                              "institution's gateway messages, then read what was refused "
                              "and what was tolerated.", no_args_is_help=True)
app.add_typer(conformance_app, name="conformance")

out = Console()
err = Console(stderr=True)

DbOpt = Annotated[str | None, typer.Option(
    "--db", envvar="GONGJI_DB", show_envvar=True,
    help="Database URL: sqlite:///FILE or postgresql://USER@HOST:PORT/DB [default: "
         "sqlite:///./gongji.db]")]
DEMO_DB = "gongji-demo.db"


def _settings(db: str | None, **overrides: object) -> Settings:
    s = Settings()
    if db:
        s.db = db
    for k, v in overrides.items():
        if v is not None:
            setattr(s, k, v)
    return s


def _open(db: str | None, schema: Schema, **overrides: object) -> Built:
    """The services over the database (the composition root builds them)."""
    try:
        return build(_settings(db, **overrides), schema=schema)
    except GongjiError as e:
        raise _fail(e) from e


def _fail(e: GongjiError) -> typer.Exit:
    err.print(f"[red]{e.code}[/]: {e.message}\n{e.message_en}")
    return typer.Exit(1)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"gongji {__version__}")


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Apply every pending migration (safe to run twice)."""
    done = system.upgrade(_open(db, "leave").app)
    if done.before == done.after:
        out.print(f"{done.url}: already at {done.after}")
    else:
        out.print(f"{done.url}: upgraded {done.before or '(empty)'} -> {done.after}")


@db_app.command("current")
def db_current(db: DbOpt = None) -> None:
    """Show the database's schema revision and the program's."""
    state = system.schema(_open(db, "leave").app)
    out.print(f"database {state.url}\n  revision {state.current or '(none)'}\n"
              f"  program head {state.head}")
    if not state.up_to_date:
        raise typer.Exit(1)


@db_app.command("citus-ddl")
def db_citus_ddl(db: DbOpt = None) -> None:
    """Print the SQL that distributes this schema on Citus; exit 1 naming every table that
    is not ready.

    Reads the schema of the database (SQLite or PostgreSQL, migrated to the program's head)
    and prints to stdout, one statement a line, ready to pipe into psql on the Citus
    coordinator: create_reference_table for the reference tables, then
    create_distributed_table for the distributed ones (each after the tables its foreign
    keys name, co-located by group), and a comment for each table that stays local. The
    placement of every table is gongji/store/distribution.py (docs/SCALING.md section 5).

    A table that breaks a rule of Citus (its distribution column missing, nullable, or not
    in its primary key or a unique constraint or index; a foreign key across groups or not
    pairing the distribution columns) gets "-- table: not ready: ..." comments instead of
    its statement; then stderr lists the tables and their rules and the exit status is 1,
    so a half plan is never applied by accident:

        gongji db citus-ddl --db postgresql://gongji@db/gongji > citus.sql && psql ... -f citus.sql
    """
    try:
        plan = system.citus_ddl(_open(db, "leave").app)
    except GongjiError as e:
        raise _fail(e) from e
    for line in plan.statements:
        typer.echo(line)
    if plan.ready:
        return
    tables = plan.not_ready
    typer.echo(f"Citus 分布尚未就绪：{len(tables)} 张表不符合要求，上面的语句不完整，请勿执行。\n"
               f"Not ready for Citus: {len(tables)} tables break its rules; the statements "
               "above are incomplete, do not apply them.", err=True)
    for table, rules in tables.items():
        typer.echo(f"  {table}: {', '.join(rules)}", err=True)
    typer.echo("每条原因见输出中的 “-- 表: not ready” 注释；规则见 docs/SCALING.md 第 5 节。\n"
               "Each reason is a \"-- table: not ready\" comment in the output; the rules are "
               "in docs/SCALING.md section 5.", err=True)
    raise typer.Exit(1)


@app.command()
def verify(db: DbOpt = None,
           anchors: Annotated[Path | None, typer.Option(
               help="Also hold the audit chains to the latest checkpoint in this file "
                    "(written by `gongji checkpoint`)")] = None,
           public_key: Annotated[Path | None, typer.Option(
               help="The checkpoints' public key (PEM), with --anchors")] = None) -> None:
    """Recompute every ledger invariant from the journal; exit 1 naming any violation.

    Checks: each entry sums to zero; each balance equals its postings; no forbidden negative;
    all balances sum to zero; holds consistent; reversals mirror; entry digests match the
    audit log; audit hash chains unbroken; accounts and stored answers as sealed; every
    settlement, transfer, contribution, binding and accumulator agrees with its entries; the
    append-only triggers and money CHECKs in place; with --anchors, the chains still hold the
    latest signed checkpoint.
    """
    if (anchors is None) != (public_key is None):
        err.print("[red]--anchors and --public-key go together")
        raise typer.Exit(2)
    built = _open(db, "check")
    check = None if anchors is None or public_key is None else \
        ledger.AnchorCheck(anchors, public_key)
    with _checks_bar() as tick:
        try:
            report = ledger.verify(built.app, COMMAND_LINE, progress=tick, parallel=True,
                                   anchors=check)
        except GongjiError as e:
            raise _fail(e) from e
    if not _report(report, built.url):
        raise typer.Exit(1)


@app.command("checkpoint-key")
def checkpoint_key(path: Annotated[Path, typer.Argument(
        help="The private key file to write (0600); the public key goes to PATH.pub")]) -> None:
    """Make an Ed25519 key for signing checkpoints (the public key in PATH.pub).

    Keep the private key away from the database, its host's backups and its operators; give
    verifiers the public key."""
    try:
        made = ledger.make_signing_key(path, path.with_name(path.name + ".pub"))
    except GongjiError as e:
        raise _fail(e) from e
    out.print(f"private key {made.private_key} (0600), public key {made.public_key}, "
              f"key id {made.key_id}")


@app.command()
def checkpoint(key: Annotated[Path, typer.Option(help="The private signing key (PEM)")],
               to: Annotated[Path, typer.Option(
                   help="The file the signed checkpoint is appended to (one JSON line; keep "
                        "it on other storage than the database)")],
               db: DbOpt = None) -> None:
    """Sign every audit chain's head now and append it to a file outside the database.

    From then on `gongji verify --anchors FILE --public-key KEY.pub` shows any rewrite of what
    came before it (docs/RELIABILITY.md, "Threat model")."""
    try:
        made = ledger.checkpoint(_open(db, "check").app, key, to)
    except GongjiError as e:
        raise _fail(e) from e
    out.print(f"checkpoint of {made.chains} chain(s), {made.records:,} record(s), signed by "
              f"{made.key_id}, appended to {made.path}")


@contextmanager
def _checks_bar() -> Iterator[ledger.Progress]:
    """A progress bar per verify check, gone when done."""
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}"),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def tick(name: str, n: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=None)
            bar.update(tasks[name], completed=n)

        yield tick


def _report(report: ledger.VerifyReport, url: str) -> bool:
    """Print verify's table and violations; True when clean."""
    table = Table(title=f"gongji verify: {url}")
    table.add_column("check")
    table.add_column("examined", justify="right")
    table.add_column("result")
    for c in report.checks:
        table.add_row(c.title, str(c.examined),
                      "[green]ok" if c.ok else f"[red]{len(c.violations)} violation(s)")
    out.print(table)
    for v in report.violations[:200]:
        out.print(f"[red]VIOLATION[/] {v.check}: {v.subject}: {v.message}")
    if not report.ok:
        out.print(f"[red]FAILED[/]: {len(report.violations)} violation(s)")
        return False
    out.print("[green]OK[/]: every invariant holds")
    return True


@app.command()
def backup(path: Annotated[Path, typer.Argument(help="The backup file to write")],
           db: DbOpt = None) -> None:
    """Write a consistent copy of the database while it keeps serving.

    SQLite: the online backup API (one self-contained file). PostgreSQL: pg_dump's custom
    format. Restore with `gongji restore`.
    """
    built = _open(db, "leave")
    with Progress(TextColumn("backup"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("backup", total=None)
        try:
            info = system.backup(built.app, path, progress=lambda done, total:
                                 bar.update(task, completed=done, total=total))
        except GongjiError as e:
            raise _fail(e) from e
    out.print(f"backup of {built.url} ({info.kind}) written to {info.path}: "
              f"{info.size:,} bytes")


@app.command()
def restore(path: Annotated[Path, typer.Argument(help="A file written by `gongji backup`")],
            db: DbOpt = None,
            force: Annotated[bool, typer.Option(
                help="Replace a database that already holds data")] = False) -> None:
    """Restore a backup into a database (empty unless --force), then verify it.

    Stop `gongji serve` on that database first. Exits 1 if the restored ledger does not verify.
    """
    built = _open(db, "leave")
    with Progress(TextColumn("restore"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=err, transient=True) as bar, \
            _checks_bar() as tick:
        task = bar.add_task("restore", total=None)
        try:
            done = system.restore(built.app, path, force=force, verify_progress=tick,
                                  progress=lambda n, total: bar.update(task, completed=n,
                                                                       total=total))
        except GongjiError as e:
            raise _fail(e) from e
    out.print(f"restored {path} into {done.url}"
              + (f" (schema upgraded {done.before} -> {done.after})"
                 if done.before != done.after else ""))
    if not _report(done.report, done.url):
        raise typer.Exit(1)


@app.command()
def sweep(db: DbOpt = None) -> None:
    """Return every hold whose deadline has passed to its source (exactly once each)."""
    done = ledger.sweep_expired(_open(db, "check").app)
    out.print(f"returned {len(done)} expired hold(s)")


@token_app.command("create")
def token_create(name: Annotated[str, typer.Argument(help="Who the token is for")],
                 role: Annotated[str, typer.Option(help="admin, operator or auditor")] = "admin",
                 db: DbOpt = None) -> None:
    """Create an operator API token; the secret is printed once and never stored."""
    if role not in tokens.ROLES:
        err.print(f"[red]role must be one of {', '.join(tokens.ROLES)}")
        raise typer.Exit(2)
    t = tokens.create_token(_open(db, "upgrade").app, name, role)
    out.print(f"token for {t.name} ({t.role}), id {t.id}:\n{t.token}")


@policy_app.command("check")
def policy_check(file: Annotated[Path, typer.Argument(help="A YAML policy document",
                                                      exists=True, dir_okay=False)],
                 day: Annotated[str | None, typer.Option(
                     help="Also show the merged policy of each region on this day "
                          "(YYYY-MM-DD)")] = None) -> None:
    """Validate a policy document against the shipped ones; explain every error by path."""
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        raise typer.BadParameter("--day: YYYY-MM-DD") from None
    try:
        checked = policy.check_file(file, when)
    except GongjiError as e:
        err.print(f"[red]{file}: invalid[/]")
        for problem in e.params.get("errors") or [e.message_en]:
            err.print(f"  [red]✗[/] {problem}")
        raise typer.Exit(1) from e
    out.print(f"[green]{file}: {len(checked.documents)} document(s) valid[/]")
    for d in checked.documents:
        until = d.effective_to.isoformat() if d.effective_to else "until replaced"
        out.print(f"  {d.region} {d.name or ''} from {d.effective_from} ({until})")
        if d.region in checked.merged:
            out.print_json(checked.merged[d.region].model_dump_json())


@accounts_app.command("credit")
def accounts_credit(file: Annotated[Path, typer.Argument(
                        help="CSV with columns psn_no, amount (yuan); optional key, memo",
                        exists=True, dir_okay=False)],
                    batch: Annotated[str | None, typer.Option(
                        help="Batch name; row keys are BATCH:LINE (default: the file name), "
                             "so rerunning a file credits only what is missing")] = None,
                    db: DbOpt = None) -> None:
    """Credit personal accounts from a CSV file, one transaction per row, with progress."""
    app = _open(db, "check").app
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
            "{task.completed}/{task.total}"), TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task(f"crediting {file.name}", total=None)
        try:
            report = enrollment.credit_file(app, COMMAND_LINE, file, batch=batch, progress=lambda
                                            done, total: bar.update(task, completed=done,
                                                                    total=total))
        except GongjiError as e:
            raise _fail(e) from e
    out.print(enrollment.describe(report))
    for line, code, message in report.rejected[:200]:
        out.print(f"  [red]line {line}[/]: {code}: {message}")
    if report.rejected:
        raise typer.Exit(1)


@catalog_app.command("import")
def catalog_import(file: Annotated[Path, typer.Argument(help="The catalog file",
                                                        exists=True, dir_okay=False)],
                   region: Annotated[str, typer.Option(
                       help="Care region (000000 national, a province or a pooling region)")]
                   = "000000",
                   fmt: Annotated[str, typer.Option("--format", help="csv or tsv")] = "csv",
                   begndate: Annotated[str | None, typer.Option(
                       help="In force from (YYYY-MM-DD) when a row does not say; default "
                            "today")] = None,
                   version: Annotated[str | None, typer.Option(help="Version label")] = None,
                   db: DbOpt = None) -> None:
    """Import catalog items with a progress bar; rejected rows are listed with the reason."""
    if fmt not in ("csv", "tsv"):
        err.print("[red]--format is csv or tsv")
        raise typer.Exit(2)
    try:
        start = date.fromisoformat(begndate) if begndate else None
    except ValueError:
        raise typer.BadParameter("--begndate: YYYY-MM-DD") from None
    app = _open(db, "check").app
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
            "{task.completed}/{task.total}"), TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task(f"importing {file.name}", total=None)
        try:
            report = catalog.import_file(app, COMMAND_LINE, file, admdvs=region, fmt=fmt,
                                         begndate=start, version=version,
                                         progress=lambda done, total: bar.update(
                                             task, completed=done, total=total))
        except GongjiError as e:
            raise _fail(e) from e
    out.print(f"imported {report.imported} item(s) into {region}; "
              f"{len(report.rejected)} rejected")
    for line, code, message in report.rejected[:200]:
        out.print(f"  [red]line {line}[/]: {code}: {message}")
    if report.rejected:
        raise typer.Exit(1)


@clearing_app.command("statement")
def clearing_statement(month: Annotated[str, typer.Option(help="YYYY-MM (Asia/Shanghai)")],
                       db: DbOpt = None) -> None:
    """What each insured region owes each care region for a month's settlements."""
    try:
        lines = clearing.statement(_open(db, "check").app, COMMAND_LINE, month)
    except GongjiError as e:
        raise _fail(e) from e
    table = Table(title=f"clearing statement {month}")
    for col in ("insured region (owes)", "care region (is owed)", "settlements",
                "medfee_sumamt", "fund_pay_sumamt", "acct_pay", "acct_mulaid_pay", "clearing"):
        table.add_column(col, justify="right")
    for ln in lines:
        table.add_row(ln.insuplc_admdvs, ln.mdtrtarea_admvs, str(ln.count),
                      format_yuan(ln.medfee_sumamt), format_yuan(ln.fund_pay_sumamt),
                      format_yuan(ln.acct_pay), format_yuan(ln.acct_mulaid_pay),
                      format_yuan(ln.clearing_amt))
    out.print(table)
    out.print(f"{len(lines)} pair(s); total to clear "
              f"{format_yuan(sum(ln.clearing_amt for ln in lines))} yuan")


CodeArg = Annotated[str, typer.Argument(help="The institution's fixmedins_code, e.g. "
                                             "H51010000001")]


@conformance_app.command("record")
def conformance_record(code: CodeArg,
                       minutes: Annotated[int | None, typer.Option(
                           help="Record the institution's gateway messages for this many "
                                "minutes from now (1-10080)")] = None,
                       off: Annotated[bool, typer.Option(
                           "--off", help="Stop recording now")] = False,
                       key: Annotated[str | None, typer.Option(
                           help="Idempotency key (rerun with the same key: nothing new "
                                "happens); default: a fresh one")] = None,
                       sandbox: Annotated[bool, typer.Option(
                           "--sandbox", envvar="GONGJI_SANDBOX",
                           help="Count the minutes on the sandbox clock kept in the database "
                                "(a `gongji demo` or `serve --sandbox` database)")] = False,
                       db: DbOpt = None) -> None:
    """Turn record mode on for an institution (its messages are kept, masked, for 7 days),
    or off. Minutes are business time: on a sandbox database, pass --sandbox."""
    if off == (minutes is not None):
        err.print("[red]give --minutes N or --off")
        raise typer.Exit(2)
    try:
        w = conformance.record(_open(db, "check", sandbox=sandbox or None).app, COMMAND_LINE,
                               key or f"cli-{secrets.token_hex(8)}", code,
                               minutes=0 if off else minutes or 0)
    except GongjiError as e:
        raise _fail(e) from e
    r = w.value
    if r.until is None:
        out.print(f"{r.fixmedins_code}: recording off")
    else:
        out.print(f"{r.fixmedins_code}: recording until {display(r.until)} (business time)")


@conformance_app.command("report")
def conformance_report(code: CodeArg,
                       since: Annotated[str | None, typer.Option(
                           help="Only messages received from then (ISO 8601; no zone: "
                                "Asia/Shanghai)")] = None,
                       db: DbOpt = None) -> None:
    """Per infno: messages sent, answered, refused and tolerated; then each refusal and
    tolerance with its field, in Chinese and English."""
    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError:
        raise typer.BadParameter("--since: ISO 8601, e.g. 2026-11-24T10:00:00") from None
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=SHANGHAI)
    try:
        r = conformance.report(_open(db, "check").app, COMMAND_LINE, code, since=start)
    except GongjiError as e:
        raise _fail(e) from e
    state = f"recording until {display(r.recording_until)}" if r.recording_until \
        else "recording off"
    table = Table(title=f"conformance of {r.fixmedins_code}")
    for col in ("infno", "sent", "ok", "refused", "tolerated"):
        table.add_column(col, justify="right")
    for t in r.transactions:
        table.add_row(t.infno or "-", str(t.sent), str(t.ok), str(t.refused),
                      str(sum(x.count for x in t.tolerances)))
    out.print(table)
    out.print(f"{r.sent} message(s): {r.ok} answered, {r.refused} refused; {state}")
    for t in r.transactions:
        for f in t.refusals:
            out.print(f"  [red]refused[/] {t.infno or '-'} {escape(f.code)} "
                      f"{escape(f.field or '')} ×{f.count}: {escape(f.zh)} / {escape(f.en)}")
        for x in t.tolerances:
            out.print(f"  [yellow]tolerated[/] {t.infno or '-'} {escape(x.field)} ×{x.count}: "
                      f"{escape(x.zh)} / {escape(x.en)}")


@conformance_app.command("messages")
def conformance_messages(code: CodeArg,
                         limit: Annotated[int, typer.Option(
                             help="How many, newest first (1-200)")] = 20,
                         db: DbOpt = None) -> None:
    """The recorded requests of an institution, newest first, personal data masked."""
    try:
        found = conformance.messages(_open(db, "check").app, COMMAND_LINE, code, limit=limit)
    except GongjiError as e:
        raise _fail(e) from e
    for m in found:
        outcome = "[green]0[/]" if m.infcode == 0 else \
            f"[red]{m.infcode} {escape(m.refusal_code or '')} {escape(m.refusal_field or '')}[/]"
        out.print(f"[bold]{display(m.received_at)}[/] {m.infno or '-'} {m.msgid or '-'} "
                  f"{escape(m.path)} ({m.scheme}) infcode {outcome}")
        if m.refusal_zh:
            out.print(f"  {escape(m.refusal_zh)} / {escape(m.refusal_en or '')}")
        for d in m.deviations:
            out.print(f"  [yellow]tolerated[/] {escape(d.field)}: {escape(d.zh)} / {escape(d.en)}")
        if m.raw is not None:
            out.print(escape(_pretty(m.raw)), highlight=False)
    out.print(f"{len(found)} message(s)")


def _pretty(text: str) -> str:
    """Indented JSON with amounts' exact digits (a cut text is shown as it is)."""
    try:
        return _indented(json.loads(text, parse_float=Decimal), 0)
    except ValueError:
        return text


def _indented(obj: Any, level: int) -> str:
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(obj, dict) and obj:
        return "{\n" + ",\n".join(f"{inner}{json.dumps(k, ensure_ascii=False)}: "
                                   f"{_indented(v, level + 1)}" for k, v in obj.items()) \
            + f"\n{pad}}}"
    if isinstance(obj, list) and obj:
        return "[\n" + ",\n".join(inner + _indented(v, level + 1) for v in obj) + f"\n{pad}]"
    if isinstance(obj, Decimal):
        return format(obj, "f")
    return json.dumps(obj, ensure_ascii=False)


@app.command()
def serve(db: DbOpt = None,
          host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port")] = 8000,
          sandbox: Annotated[bool, typer.Option(
              help="Test clocks operators can set (never in production)")] = False,
          log_json: Annotated[bool, typer.Option(help="JSON log lines")] = False,
          workers: Annotated[int, typer.Option(
              min=1, max=64, help="Worker processes (each with its own connection pool)")]
          = 1,
          group_commit: Annotated[bool, typer.Option(
              help="SQLite: writers queued in one process share one transaction and one "
                   "fsync (docs/PERFORMANCE.md)")] = False) -> None:
    """Run the HTTP API (OpenAPI at /docs). Migrates an empty database first."""
    settings = _settings(db, host=host, port=port, sandbox=sandbox or None,
                         log_json=log_json or None, group_commit=group_commit or None)
    if workers > 1:
        _run_workers(settings, workers)
        return
    _run(settings)


def _run_workers(settings: Settings, workers: int) -> None:
    """Several uvicorn worker processes; each builds its services from GONGJI_* (the sweeper
    runs in each: expiring a hold is exactly-once whoever gets there first)."""
    import uvicorn

    from gongji import logs

    logs.setup(settings.log_level, json_lines=settings.log_json)
    try:
        built = build(settings, schema="upgrade")
    except GongjiError as e:
        raise _fail(e) from e
    built.app.dispose()
    os.environ.update({"GONGJI_DB": settings.db, "GONGJI_SANDBOX": "1" if settings.sandbox
                       else "0", "GONGJI_LOG_LEVEL": settings.log_level,
                       "GONGJI_GROUP_COMMIT": "1" if settings.group_commit else "0"})
    out.print(Panel(f"database {built.url}\n"
                    f"listening http://{settings.host}:{settings.port} with {workers} workers",
                    title=f"gongji {__version__}", expand=False))
    config = uvicorn.Config("gongji.api.app:app_from_env", factory=True, host=settings.host,
                            port=settings.port, workers=workers, log_level="warning",
                            access_log=False, proxy_headers=False)  # api/peer.py decides
    # We bind the shared listener ourselves, as an IPPROTO_TCP socket: uvicorn's own leaves
    # proto at 0, so accepted connections never get TCP_NODELAY and each keep-alive request
    # waits ~40 ms on the client's delayed ACK (uvicorn issue #3149).
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.set_inheritable(True)
    from uvicorn.supervisors import Multiprocess

    Multiprocess(config, sockets=[sock]).run()


@app.command()
def demo(db: Annotated[str, typer.Option(
             "--db", help="Demo database (a file in the working directory by default)")]
         = DEMO_DB,
         port: Annotated[int, typer.Option(help="Port")] = 8000,
         reset: Annotated[bool, typer.Option(help="Start again from empty demo data")] = False,
         seed_only: Annotated[bool, typer.Option(help="Seed the data, print, do not serve")]
         = False) -> None:
    """Run gongji on embedded SQLite with demo data and the sandbox clock on."""
    url = db if "://" in db else "sqlite:///" + str(Path(db).absolute())
    if reset and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm", ".token"):
            Path(url[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
    settings = _settings(url, port=port, sandbox=True)
    if not settings.admin_token:
        settings.admin_token = _demo_token(url)
    evening = SystemClock().now().replace(hour=20, minute=0, second=0, microsecond=0)
    try:
        built = build(settings, schema="upgrade", sandbox_start=evening)
    except GongjiError as e:
        raise _fail(e) from e
    summary = seed(built.app)
    base = f"http://{settings.host}:{settings.port}"
    out.print(Panel("\n".join([
        f"database    {built.url} ({built.schema})",
        f"portal      {base}/  (families: log in with an ID number below)",
        f"console     {base}/console  (operators: the token below)",
        f"cashier     {base}/cashier  (a demo pharmacy or hospital)",
        f"API         {base}/docs  (try it in the browser)",
        f"health      {base}/healthz",
        f"operator    Authorization: Bearer {settings.admin_token}",
        f"sandbox     clock at {display(built.app.clock.now())} Asia/Shanghai, ticking; "
        "move it with "
        "POST /api/v1/sandbox/clock",
    ]), title="gongji demo 共济演示", expand=False))
    regions = Table(title="pooling regions", show_edge=False)
    for col in ("admdvs", "region", "pooled fund (yuan)"):
        regions.add_column(col)
    for region in summary.regions:
        regions.add_row(*region)
    out.print(regions)
    people = Table(title=f"people (every demo PIN is {summary.pin})", show_edge=False)
    for col in ("ID number (log in with it)", "name", "psn_no", "who"):
        people.add_column(col)
    for row in summary.people:
        people.add_row(*row)
    out.print(people)
    places = Table(title=f"institutions (catalog: {summary.catalog_items} items)",
                   show_edge=False)
    for col in ("fixmedins_code", "name", "admdvs"):
        places.add_column(col)
    for place in summary.institutions:
        places.add_row(*place)
    out.print(places)
    code, key_id, secret = summary.key
    out.print(f"institution key for {code}: key_id {key_id}  secret {secret}", soft_wrap=True)
    for hint in summary.hints:
        out.print(f"• {hint}")
    if seed_only:
        built.app.dispose()
        return
    _run(settings, built)


def _demo_token(url: str) -> str:
    """The demo's operator token: kept beside its SQLite file (owner-only), so a restarted
    demo keeps the console session and the token already pasted; new with --reset."""
    token = "demo-" + secrets.token_urlsafe(12)
    if not url.startswith("sqlite:///"):
        return token
    kept = Path(url[len("sqlite:///"):] + ".token")
    try:
        found = kept.read_text(encoding="utf-8").strip()
    except OSError:
        found = ""
    if found.startswith("demo-") and len(found) < 100:
        return found
    with contextlib.suppress(OSError):
        kept.touch(mode=0o600)
        kept.write_text(token + "\n", encoding="utf-8")
    return token


def _numbers(text: str, option: str) -> list[int]:
    try:
        values = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(f"{option}: comma-separated whole numbers") from None
    if not values or min(values) < 1:
        raise typer.BadParameter(f"{option}: at least one number, each 1 or more")
    return values


@app.command()
def chaos(minutes: Annotated[float, typer.Option(
              min=0.1, help="How long the clients run, while the server is killed")] = 5.0,
          db: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
          clients: Annotated[int, typer.Option(min=1, max=32, help="Client processes")] = 4,
          persons: Annotated[int, typer.Option(min=8, help="Persons in the bank")] = 48,
          kill_every: Annotated[str, typer.Option(
              help="Seconds between kills: MIN,MAX (uniform)")] = "2,6",
          seed: Annotated[int, typer.Option(help="Random seed (kills, operations)")] = 1,
          result_path: Annotated[Path | None, typer.Option(
              "--out", help="Also write the figures as JSON here")] = None) -> None:
    """The bank test: client processes drive `gongji serve` over HTTP with random transfers,
    responses, settlements, cancels and reversals while the server is killed (SIGKILL) and
    restarted; then every fen is accounted for (docs/RELIABILITY.md). Exits 1 on any loss."""
    from gongji.chaos import bank

    try:
        low, high = (float(x) for x in kill_every.split(","))
    except ValueError:
        raise typer.BadParameter("--kill-every: MIN,MAX seconds") from None
    kinds = ["sqlite", "postgresql"] if db == "both" else [db]
    if any(k not in ("sqlite", "postgresql") for k in kinds):
        raise typer.BadParameter("--db: sqlite, postgresql or both")
    results = []
    for kind in kinds:
        plan = bank.Plan(database=kind, seconds=minutes * 60, clients=clients,
                         persons=persons, kill_every=(low, high), seed=seed)
        r = bank.run(plan, say=lambda line: out.print(line, highlight=False))
        results.append(r)
        for line in bank.summary(r):
            out.print(line, highlight=False)
    if result_path is not None:
        result_path.write_text(json.dumps([r.as_dict() for r in results], indent=1,
                                          ensure_ascii=False) + "\n", encoding="utf-8")
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def bench(quick: Annotated[bool, typer.Option(
              help="A few minutes: one small size, short windows (checks that all runs)")]
          = False,
          db: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
          clients: Annotated[str, typer.Option(help="Client counts")] = "1,4,16",
          seconds: Annotated[float, typer.Option(min=1, help="Seconds per measurement")]
          = 10.0,
          sizes: Annotated[str | None, typer.Option(
              help="Population sizes [default: 10000,100000,1000000]")] = None,
          postings: Annotated[str | None, typer.Option(
              help="Journal sizes to time verify at [default: 1000000,10000000]")] = None,
          workers: Annotated[int, typer.Option(
              min=0, help="HTTP worker processes [default: the CPU count, at least 2]")] = 0,
          mixed_clients: Annotated[int, typer.Option(
              min=0, help="Clients of the mixed load through serve --workers 2 (0: none)")]
          = 32,
          result_path: Annotated[Path, typer.Option(
              "--out", help="Where to write the JSON result (plots go beside it)")]
          = Path("bench-result.json")) -> None:
    """Measure gongji beside the database's own yardstick, in one run (docs/PERFORMANCE.md)."""
    from gongji.benchmark import report
    from gongji.benchmark.run import Plan, run, save

    plan = Plan.quick() if quick else Plan()
    if db not in ("sqlite", "postgresql", "both"):
        raise typer.BadParameter("--db: sqlite, postgresql or both")
    plan.databases = ["sqlite", "postgresql"] if db == "both" else [db]
    plan.clients = _numbers(clients, "--clients")
    if not quick or seconds != 10.0:
        plan.seconds = seconds
    if sizes:
        plan.sizes = _numbers(sizes, "--sizes")
    if postings:
        plan.postings = _numbers(postings, "--postings")
    if workers:
        plan.http_workers = workers
    plan.mixed_clients = mixed_clients
    started = time.monotonic()
    result = run(plan, say=lambda line: out.print(line, highlight=False))
    save(result, result_path)
    Console(width=max(out.width, 150)).print(report.table(result))
    if result.replays:
        Console(width=max(out.width, 150)).print(report.like_table(result))
    if result.mixed:
        Console(width=max(out.width, 150)).print(report.mixed_table(result))
    for line in report.other_lines(result):
        out.print(line)
    for path in report.plots(result, result_path.absolute().parent):
        out.print(f"plot: {path}")
    tables = result_path.with_suffix(".md")
    tables.write_text(report.markdown(result.as_dict()), encoding="utf-8")
    out.print(f"tables: {tables}")
    out.print(f"result: {result_path} ({time.monotonic() - started:.0f} s)")


def _shares(text: str, option: str, n: int) -> tuple[float, ...]:
    try:
        values = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise typer.BadParameter(f"{option}: {n} comma-separated numbers") from None
    if len(values) != n or min(values) < 0 or sum(values) <= 0:
        raise typer.BadParameter(f"{option}: {n} comma-separated numbers, none negative")
    return values


@app.command()
def simulate(
        claims: Annotated[Path | None, typer.Option(
            "--claims", help="Replay this claims file (.csv or .parquet; columns in "
                             "docs/SIMULATE.md), or a claims dataset (a directory or a quoted "
                             "glob of such files, each holding all claims of its persons), "
                             "instead of a synthetic population")] = None,
        policy: Annotated[list[Path] | None, typer.Option(
            "--policy", help="A proposed policy file (YAML documents, as `gongji policy "
                             "check` takes), laid over the shipped documents; repeat to "
                             "compare several", exists=True, dir_okay=False)] = None,
        current: Annotated[bool, typer.Option(
            help="Include the shipped policy (named current) as the baseline")] = True,
        persons: Annotated[int, typer.Option(
            min=1, help="Synthetic population: persons")] = 10_000,
        seed: Annotated[int, typer.Option(help="Synthetic population: random seed (same seed, "
                                               "same claims)")] = 1,
        claims_per_person: Annotated[float, typer.Option(
            min=1.0, help="Synthetic population: mean claims per person in the year")] = 5.0,
        employee_share: Annotated[float, typer.Option(
            min=0.0, max=1.0, help="Synthetic population: share in employee insurance "
                                   "(310); the rest are residents (390)")] = 0.45,
        retiree_share: Annotated[float, typer.Option(
            min=0.0, max=1.0, help="Synthetic population: share of employees retired "
                                   "(psn_type 1201)")] = 0.25,
        regions: Annotated[str, typer.Option(
            help="Synthetic population: insured regions (admdvs), comma-separated")]
        = "510100,371500,411300",
        visit_mix: Annotated[str, typer.Option(
            help="Synthetic population: weights of outpatient, inpatient, pharmacy, chronic")]
        = "45,8,35,12",
        out_of_area: Annotated[float, typer.Option(
            min=0.0, max=1.0, help="Synthetic population: share of claims out of area")]
        = 0.08,
        on: Annotated[datetime | None, typer.Option(
            formats=["%Y-%m-%d"], help="Synthetic population: the settlement day, which "
                                       "policy versions apply (default 2026-06-30)")] = None,
        out_dir: Annotated[Path, typer.Option(
            "--out", help="Where to write summary.csv, oop_distribution.csv and the SVG "
                          "plots")] = Path("simulate-out"),
        cluster: Annotated[str | None, typer.Option(
            help="Settle the claims dataset's files on this running Dask scheduler "
                 "(tcp://host:8786)")] = None,
        workers: Annotated[int, typer.Option(
            min=0, help="Settle the claims dataset's files on a local Dask cluster of this many "
                        "worker processes (0: none, one file after the other here)")] = 0,
        memory_limit: Annotated[str, typer.Option(
            help="Memory limit of each local worker (Dask's form: 2GB, 300MB, auto)")] = "auto",
        synthetic_to: Annotated[Path | None, typer.Option(
            help="Write the synthetic population as a claims dataset of --parts Parquet files "
                 "in this directory (part by part, never whole in memory), and stop")] = None,
        partition_to: Annotated[Path | None, typer.Option(
            help="Split --claims into --parts Parquet files in this directory by person "
                 "(a hash of psn_no), and stop")] = None,
        parts: Annotated[int, typer.Option(
            min=1, help="Files written by --synthetic-to or --partition-to")] = 16) -> None:
    """What-if: replay claims under the shipped policy and proposed ones; compare fund outlay,
    personal burden, account and family use, and out-of-pocket cost (docs/SIMULATE.md)."""
    from gongji.services.simulate import service as sim  # numpy, polars: this command's
    from gongji.services.simulate.model import Cluster

    pop = sim.Population(
        persons=persons, seed=seed, claims_per_person=claims_per_person,
        employee_share=employee_share, retiree_share=retiree_share,
        regions=tuple(r.strip() for r in regions.split(",") if r.strip()),
        visit_mix=_shares(visit_mix, "--visit-mix", 4),  # type: ignore[arg-type]
        out_of_area_share=out_of_area, **({"day": on.date()} if on else {}))
    if synthetic_to is not None or partition_to is not None:
        _write_claims(sim, pop, claims, synthetic_to, partition_to, parts)
        return
    on_cluster = Cluster(address=cluster, workers=workers, memory_limit=memory_limit) \
        if cluster is not None or workers > 0 else None
    files = claims is not None and (on_cluster is not None or sim.is_dataset(claims))
    unit = "files" if files else "claims"
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
            "{task.completed:,}/{task.total:,} " + unit), TimeElapsedColumn(),
            console=out) as bar:
        task = bar.add_task("settling", total=None, visible=False)

        def loaded(count: int, source: str, names: list[str]) -> None:
            where = "" if on_cluster is None else (
                f" on {cluster}" if cluster else f" on {workers} local Dask workers")
            bar.console.print(f"{count:,} {unit} from {source}{where}; policies: "
                              + ", ".join(names))
            # one file is settled under every policy at once; claims one policy at a time
            bar.update(task, visible=True, total=count if files else count * len(names))

        try:
            done = sim.simulate(
                sim.Simulation(proposals=tuple(policy or ()), current=current, claims=claims,
                               population=pop, out=out_dir, cluster=on_cluster),
                loaded=loaded, progress=lambda n, total: bar.update(task, completed=n,
                                                                    total=total))
        except GongjiError as e:
            raise _fail(e) from e
    if files:
        out.print(f"{done.claims:,} claims settled")
    summaries = done.summaries
    table = Table(title="per policy (yuan)", show_edge=False)
    table.add_column("figure")
    for s in summaries:
        table.add_column(s.policy, justify="right")
    table.add_row("claims", *(f"{s.claims:,}" for s in summaries))
    table.add_row("refused (not filed)", *(f"{s.refused:,}" for s in summaries))
    for key in sim.FIGURES:
        table.add_row(key, *(format_yuan_unchecked(s.totals[key]) for s in summaries))
    for q in ("p50", "p90", "p99", "max"):
        table.add_row(f"yearly cash per person {q}",
                      *(format_yuan(s.oop_quantiles[q]) for s in summaries))
    out.print(table)
    for path in done.written:
        out.print(f"wrote {path}")


def _write_claims(ds: Any, pop: Any, claims: Path | None, synthetic_to: Path | None,
                  partition_to: Path | None, parts: int) -> None:
    """`gongji simulate --synthetic-to` / `--partition-to`: a claims dataset written."""
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
            "{task.completed:,}/{task.total:,} files"), TimeElapsedColumn(),
            console=out) as bar:
        task = bar.add_task("writing", total=parts)

        def tick(n: int, total: int) -> None:
            bar.update(task, completed=n, total=total)

        try:
            if synthetic_to is not None:
                count, written = ds.write_synthetic(pop, parts, synthetic_to, progress=tick)
                what = f"{count:,} synthetic claims (seed {pop.seed})"
            elif claims is None:
                raise GongjiError("VALIDATION_ERROR", fields="claims (--partition-to splits "
                                                             "--claims)")
            else:
                written = ds.partition(claims, parts, partition_to, progress=tick)
                what = f"the claims of {claims}"
        except GongjiError as e:
            raise _fail(e) from e
    out.print(f"wrote {what} to {len(written)} files in {synthetic_to or partition_to}")


def _run(settings: Settings, built: Built | None = None) -> None:
    """Serve the API (and the sweeper); `built` is given when demo built the services."""
    import uvicorn

    from gongji import logs
    from gongji.api.app import create_app

    logs.setup(settings.log_level, json_lines=settings.log_json)
    if built is None:
        try:
            built = build(settings)
        except GongjiError as e:
            raise _fail(e) from e
        mode = f"on, clock at {display(built.app.clock.now())}" if settings.sandbox else "off"
        out.print(Panel(f"database {built.url} ({built.schema})\n"
                        f"listening http://{settings.host}:{settings.port} (API docs at /docs)\n"
                        f"sandbox {mode}", title=f"gongji {__version__}", expand=False))
    api = create_app(built.app, settings, sweeper=True)
    uvicorn.run(api, host=settings.host, port=settings.port, log_level="warning",
                access_log=False, proxy_headers=False)  # api/peer.py decides (trusted_proxies)


# -- transport profiles --------------------------------------------------------------------------

transport_app = typer.Typer(help="How each institution's system reaches the national-interface "
                            "gateway: scheme (gongji, tif, esb, oauth2), infcode form, relay, "
                            "encryption, credentials (docs/GATEWAY.md).", no_args_is_help=True)
app.add_typer(transport_app, name="transport")
TransportCode = Annotated[str, typer.Argument(help="The institution's fixmedins_code, e.g. "
                                                   "H51010000001")]
KeyOpt = Annotated[str | None, typer.Option(
    help="Idempotency key (rerun with the same key: nothing new happens); default: a fresh one")]


def _show_transport(v: TransportView) -> None:
    out.print(f"[bold]{v.fixmedins_code}[/]: scheme {v.scheme}, infcode as {v.infcode_as}, "
              f"relay {'on (opter ' + escape(v.relay_opter) + ')' if v.relay else 'off'}, "
              f"encrypted {'yes' if v.encrypted else 'no'}")
    table = Table(title="credentials")
    for col in ("credential_id", "kind", "principal", "created", "revoked"):
        table.add_column(col)
    for c in v.credentials:
        table.add_row(c.credential_id, c.kind, escape(c.principal), display(c.created_at),
                      display(c.revoked_at) if c.revoked_at else "-")
    out.print(table)
    for c in v.credentials:
        if c.platform_public and c.revoked_at is None:
            out.print(f"gongji's SM2 public key for {c.credential_id}: {c.platform_public}")


@transport_app.command("show")
def transport_show(code: TransportCode, db: DbOpt = None) -> None:
    """The institution's transport profile and its credentials (never a secret)."""
    try:
        v = transport.get(_open(db, "check").app, COMMAND_LINE, code)
    except GongjiError as e:
        raise _fail(e) from e
    _show_transport(v)


@transport_app.command("set")
def transport_set(code: TransportCode,
                  scheme: Annotated[str, typer.Option(
                      help="gongji (X-Gongji-* HMAC), tif (x-tif-* headers), esb (_api_* "
                           "HMAC-SHA1) or oauth2 (password grant + Bearer)")] = "gongji",
                  infcode_as: Annotated[str, typer.Option(
                      help="infcode as a JSON number (the specification) or string")
                  ] = "number",
                  relay: Annotated[bool, typer.Option(
                      help="fill the envelope fields a relay leaves out")] = False,
                  relay_opter: Annotated[str, typer.Option(
                      help="the operator code a relay's messages are recorded under")
                  ] = "relay",
                  encrypted: Annotated[bool, typer.Option(
                      help="SM4-encrypted input/output and SM2 signatures")] = False,
                  key: KeyOpt = None, db: DbOpt = None) -> None:
    """Set how the institution's system connects; holds from its next request."""
    try:
        w = transport.set_profile(_open(db, "check").app, COMMAND_LINE,
                                  key or f"cli-{secrets.token_hex(8)}", code, SetTransport(
                                      scheme=scheme, infcode_as=infcode_as,  # type: ignore[arg-type]
                                      relay=relay, relay_opter=relay_opter,
                                      encrypted=encrypted))
    except GongjiError as e:
        raise _fail(e) from e
    _show_transport(w.value)


@transport_app.command("issue")
def transport_issue(code: TransportCode,
                    kind: Annotated[str, typer.Argument(help="tif, esb, oauth2 or sm")],
                    principal: Annotated[str | None, typer.Option(
                        help="paasid, access key or OAuth2 username (made up if left out)")
                    ] = None,
                    peer_public: Annotated[str | None, typer.Option(
                        help="sm: the institution's SM2 public key (128 hex, x||y)")] = None,
                    key: KeyOpt = None, db: DbOpt = None) -> None:
    """A new credential; its secret is printed once. Rotate: issue, switch, revoke the old.
    An OAuth2 password is made up (set your own through the API)."""
    if kind not in ("tif", "esb", "oauth2", "sm"):
        raise typer.BadParameter("kind: tif, esb, oauth2 or sm")
    try:
        w = transport.issue(_open(db, "check").app, COMMAND_LINE,
                            key or f"cli-{secrets.token_hex(8)}", code, IssueCredential(
                                kind=kind, principal=principal,  # type: ignore[arg-type]
                                peer_public=peer_public))
    except GongjiError as e:
        raise _fail(e) from e
    v = w.value
    out.print(f"credential {v.credential_id} ({v.kind}) for {v.fixmedins_code}: "
              f"principal {escape(v.principal)}")
    if v.secret is None:
        out.print("(an earlier run with this key made it; its secret was shown then)")
    else:
        label = {"tif": "token", "esb": "secret", "oauth2": "password", "sm": "SM4 key"}[v.kind]
        out.print(f"{label} (shown once): {v.secret}")
    if v.platform_public:
        out.print(f"gongji's SM2 public key: {v.platform_public}")


@transport_app.command("revoke")
def transport_revoke(code: TransportCode,
                     credential_id: Annotated[str, typer.Argument(help="tc_...")],
                     key: KeyOpt = None, db: DbOpt = None) -> None:
    """Revoke a credential now (and every OAuth2 token issued under it)."""
    try:
        w = transport.revoke(_open(db, "check").app, COMMAND_LINE,
                             key or f"cli-{secrets.token_hex(8)}", code, credential_id)
    except GongjiError as e:
        raise _fail(e) from e
    out.print(f"{w.value.credential_id} revoked at {display(w.value.revoked_at)}"
              if w.value.revoked_at else f"{w.value.credential_id}: not revoked")


def main() -> None:
    try:
        app()
    except GongjiError as e:
        err.print(f"[red]{e.code}[/]: {e.message}\n{e.message_en}")
        sys.exit(1)
