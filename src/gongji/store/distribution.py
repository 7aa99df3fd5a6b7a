"""Where every table lives on Citus (distributed PostgreSQL), and what keeps a schema from
going there.

PLAN below places each table of store/tables.py once:

- reference: replicated to every node (small, written rarely, read by every request);
- local: kept by the node that serves the caller (tokens and process state, no insurance
  data); it may point at reference or local tables, never at distributed ones;
- distributed: split across the nodes by a distribution column, in a co-location group whose
  tables share one column type and keep the rows of one value on the same node.

`violations` holds a live schema (read through SQLAlchemy's inspector, SQLite or PostgreSQL)
to what Citus needs of that placement: the distribution column NOT NULL and in the primary
key and in every unique constraint and unique index; foreign keys only within one
co-location group pairing the distribution columns, or to reference tables. `citus_ddl`
writes the statements that distribute a schema that passes, and names what does not.
docs/SCALING.md section 5 is the same plan in prose; this module is the source.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.engine.reflection import Inspector

Kind = Literal["reference", "local", "distributed"]

IGNORED = frozenset({"alembic_version"})
"""Alembic's bookkeeping: not the application's data; it stays on the coordinator."""


@dataclass(frozen=True, slots=True)
class Shelf:
    """Tables placed alike, and why."""

    kind: Kind
    why: str
    tables: tuple[str, ...]
    group: str | None = None
    """distributed: the co-location group (its tables' rows of one value share a node)."""
    column: str | None = None
    """distributed: the distribution column of every table on this shelf."""


def reference(why: str, *tables: str) -> Shelf:
    return Shelf("reference", why, tables)


def local(why: str, *tables: str) -> Shelf:
    return Shelf("local", why, tables)


def distributed(group: str, column: str, why: str, *tables: str) -> Shelf:
    return Shelf("distributed", why, tables, group, column)


Plan = tuple[Shelf, ...]

PLAN: Plan = (
    reference(
        "small, written rarely by operators, read by every settlement on every node",
        "regions", "policy_documents", "catalog_items", "institutions", "institution_keys",
        "institution_transports", "transport_credentials", "api_tokens"),
    local(
        "tokens and process state of the node that serves the caller; no insurance data",
        "app_state", "secrets", "outbox", "console_sessions", "sessions", "otps", "oauth_tokens",
        "sandbox_cash"),
    distributed(
        "region", "admdvs",
        "the ledger: an entry, its postings, its holds and its audit records stay together "
        "with the accounts they move, so a settlement commits on one node; a call's "
        "idempotency record goes by the caller's region, with the data it changes",
        "accounts", "entries", "postings", "account_stripes", "holds", "audit_heads",
        "audit_log", "idempotency"),
    distributed(
        "region", "admdvs",
        "a person's rows, by the person's region: their current insured region (参保地), where "
        "they are administered and settled with their accounts; a re-home (first enrollment, "
        "a move) carries them along",
        "persons", "enrollments", "cards", "credential_uses", "proxies", "pins", "wallets",
        "bindings", "wallet_transfers", "switches", "person_flags", "accumulators",
        "prescriptions", "prescription_items", "pay_auths", "pay_orders", "pay_refunds",
        "cash_payments", "pay_notifications"),
    distributed(
        "region", "admdvs",
        "the insured region's records at the time: its fund's contributions, its "
        "chronic-disease recognitions",
        "contributions", "chronic_recognitions"),
    distributed(
        "region", "insuplc_admdvs",
        "care, its settlement and the filing that allowed it, by the insured region at the "
        "time (the region whose benefits, funds and books it used)",
        "visits", "fee_details", "settlements", "stay_accumulators", "claims", "claim_lines",
        "filings"),
    distributed(
        "region", "admdvs",
        "an institution's rows, by the institution's region: its messages, files and "
        "message ids are looked up with its own settlements",
        "medins_setl_ids", "claim_invoices", "untraced_stock", "gateway_signins",
        "gateway_files", "conformance_recordings", "conformance_messages"),
    distributed(
        "code", "code_key",
        "a box is sold once in the whole country: the resale check looks a code up by "
        "itself, wherever the person is insured",
        "trace_sales"),
    distributed(
        "nonce", "key_id",
        "a signed request's nonce is refused again on every node: a key's nonces live together",
        "request_nonces"),
    distributed(
        "subject", "subject",
        "sign-in limits count a subject's codes and attempts wherever the requests land",
        "login_codes", "login_counts"),
)


@dataclass(frozen=True, slots=True)
class Placement:
    table: str
    kind: Kind
    group: str | None = None
    column: str | None = None


def placements(plan: Plan = PLAN) -> dict[str, Placement]:
    """Each table's place, by its first shelf (a second one is a violation)."""
    out: dict[str, Placement] = {}
    for shelf in plan:
        for t in shelf.tables:
            out.setdefault(t, Placement(t, shelf.kind, shelf.group, shelf.column))
    return out


@dataclass(frozen=True, slots=True)
class Violation:
    table: str
    rule: str
    """A short stable code (RULES)."""
    detail: str
    """English, naming the columns."""


RULES = {
    "unclassified": "a table of the database that the plan does not place",
    "classified-twice": "a table the plan places more than once",
    "missing-table": "a table the plan places that the database does not have",
    "no-column": "a distributed table without its distribution column",
    "nullable": "a distribution column that allows NULL",
    "not-in-pk": "a primary key without the distribution column (or no primary key)",
    "unique-constraint": "a unique constraint without the distribution column",
    "unique-index": "a unique index (partial ones too) without the distribution column",
    "type-mismatch": "a distribution column whose type differs from its group's",
    "fk-across-groups": "a foreign key between distributed tables of different groups",
    "fk-unpaired": "a foreign key within a group that does not pair the distribution columns",
    "fk-action": "a foreign key pairing the distribution columns that would change them "
                 "(ON UPDATE CASCADE, SET NULL or SET DEFAULT; ON DELETE SET NULL or "
                 "SET DEFAULT)",
    "fk-to-local": "a foreign key from a distributed table to a local one",
    "fk-from-reference": "a foreign key from a reference table to a table not reference",
    "fk-local-to-distributed": "a foreign key from a local table to a distributed one",
}
"""The rules `violations` applies, by code."""


@dataclass(frozen=True, slots=True)
class _Table:
    columns: dict[str, tuple[str, bool]]
    """name -> (type as the database names it, nullable)."""
    pk: tuple[str, ...]
    uniques: tuple[tuple[str, tuple[str, ...]], ...]
    unique_indexes: tuple[tuple[str, tuple[str, ...]], ...]
    fks: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...]
    """(local columns, referred table, referred columns)."""
    actions: tuple[tuple[str | None, str | None], ...] = ()
    """Each foreign key's (ON UPDATE, ON DELETE), as fks orders them (None: NO ACTION)."""


def _action(fk: Any, which: str) -> str | None:
    found = (fk.get("options") or {}).get(which)
    return None if found is None or found.upper() in ("NO ACTION", "RESTRICT") else found.upper()


def _read(inspector: Inspector) -> dict[str, _Table]:
    out = {}
    for name in sorted(inspector.get_table_names()):
        if name in IGNORED:
            continue
        cols = {c["name"]: (str(c["type"]).upper(), bool(c["nullable"]))
                for c in inspector.get_columns(name)}
        pk = tuple(inspector.get_pk_constraint(name).get("constrained_columns") or ())
        uniques = tuple((u["name"] or "", tuple(u["column_names"]))
                        for u in inspector.get_unique_constraints(name))
        indexes = tuple((ix["name"] or "", _index_columns(ix))
                        for ix in inspector.get_indexes(name)
                        if ix.get("unique") and "duplicates_constraint" not in ix)
        found = inspector.get_foreign_keys(name)
        fks = tuple((tuple(fk["constrained_columns"]), fk["referred_table"],
                     tuple(fk["referred_columns"])) for fk in found)
        actions = tuple((_action(fk, "onupdate"), _action(fk, "ondelete")) for fk in found)
        out[name] = _Table(cols, pk, uniques, indexes, fks, actions)
    return out


def _index_columns(ix: Any) -> tuple[str, ...]:
    """An index's plain columns (an expression is not the distribution column)."""
    return tuple(c for c in ix.get("column_names") or () if c is not None)


def _list(columns: tuple[str, ...]) -> str:
    return ", ".join(columns)


def violations(inspector: Inspector, plan: Plan = PLAN) -> list[Violation]:
    """Everything in the database's schema that keeps it from being distributed as `plan`
    says, sorted by table, rule and detail."""
    return _violations(_read(inspector), plan)


def _violations(schema: dict[str, _Table], plan: Plan) -> list[Violation]:
    placed = placements(plan)
    found: list[Violation] = []
    seen: Counter[str] = Counter(t for shelf in plan for t in shelf.tables)
    for t, n in seen.items():
        if n > 1:
            found.append(Violation(t, "classified-twice", f"{t} is placed {n} times"))
    for t in sorted(set(schema) - set(placed)):
        found.append(Violation(t, "unclassified",
                               f"{t} is in the database but not in the plan"))
    for t in placed:
        if t not in schema:
            found.append(Violation(t, "missing-table",
                                   f"{t} is in the plan but not in the database"))
    group_type = _group_types(schema, placed)
    for t, p in placed.items():
        table = schema.get(t)
        if table is None:
            continue
        if p.kind == "distributed":
            found += _distributed(t, p, table, group_type)
        found += _foreign_keys(t, p, table, placed)
    return sorted(found, key=lambda v: (v.table, v.rule, v.detail))


def _group_types(schema: dict[str, _Table], placed: dict[str, Placement]) -> dict[str, str]:
    """Each group's column type: the one most of its tables have (ties: the first table's)."""
    types: dict[str, list[str]] = defaultdict(list)
    for t, p in placed.items():
        if p.kind == "distributed" and p.group and p.column and t in schema and \
                p.column in schema[t].columns:
            types[p.group].append(schema[t].columns[p.column][0])
    return {g: Counter(ts).most_common(1)[0][0] for g, ts in types.items()}


def _distributed(t: str, p: Placement, table: _Table, group_type: dict[str, str]
                 ) -> list[Violation]:
    col = p.column or ""
    if col not in table.columns:
        return [Violation(t, "no-column", f"{t} has no column {col}")]
    out = []
    kind, nullable = table.columns[col]
    if nullable:
        out.append(Violation(t, "nullable", f"{col} allows NULL"))
    if col not in table.pk:
        out.append(Violation(t, "not-in-pk", f"primary key ({_list(table.pk)}) lacks {col}"
                             if table.pk else f"{t} has no primary key"))
    for name, cols in table.uniques:
        if col not in cols:
            out.append(Violation(t, "unique-constraint",
                                 f"unique constraint {name} ({_list(cols)}) lacks {col}"))
    for name, cols in table.unique_indexes:
        if col not in cols:
            out.append(Violation(t, "unique-index",
                                 f"unique index {name} ({_list(cols)}) lacks {col}"))
    expected = group_type.get(p.group or "")
    if expected is not None and kind != expected:
        out.append(Violation(t, "type-mismatch", f"{col} is {kind}; group {p.group} uses "
                                                 f"{expected}"))
    return out


def _foreign_keys(t: str, p: Placement, table: _Table, placed: dict[str, Placement]
                  ) -> list[Violation]:
    out = []
    actions = table.actions or ((None, None),) * len(table.fks)
    for (cols, target, rcols), (onupdate, ondelete) in zip(table.fks, actions, strict=True):
        q = placed.get(target)
        if q is None:  # an unclassified target is reported as such
            continue
        fk = f"foreign key ({_list(cols)}) -> {target} ({_list(rcols)})"
        if p.kind == "reference" and q.kind != "reference":
            out.append(Violation(t, "fk-from-reference", f"{fk}: {target} is {q.kind}"))
        elif p.kind == "local" and q.kind == "distributed":
            out.append(Violation(t, "fk-local-to-distributed",
                                 f"{fk}: {target} is distributed"))
        elif p.kind == "distributed" and q.kind == "local":
            out.append(Violation(t, "fk-to-local", f"{fk}: {target} is local"))
        elif p.kind == "distributed" and q.kind == "distributed":
            if p.group != q.group:
                out.append(Violation(t, "fk-across-groups",
                                     f"{fk}: group {p.group} -> group {q.group}"))
            elif (p.column, q.column) not in set(zip(cols, rcols, strict=True)):
                out.append(Violation(t, "fk-unpaired",
                                     f"{fk} does not pair {p.column} -> {q.column}"))
            elif onupdate is not None or ondelete in ("SET NULL", "SET DEFAULT"):
                # Citus never changes a distribution value in place: a row moves by copy
                out.append(Violation(t, "fk-action", f"{fk}: ON UPDATE {onupdate or 'NO ACTION'}"
                                     f", ON DELETE {ondelete or 'NO ACTION'}"))
    return out


def citus_ddl(inspector: Inspector, plan: Plan = PLAN) -> list[str]:
    """The statements that distribute the database's schema on Citus: reference tables, then
    distributed ones (each after every table its foreign keys name, the first ready table of
    a group with colocate_with => 'none' and the rest with that table), then a comment for
    each local table. A table with violations gets a comment per violation instead of its
    statement; the result is only a whole plan when `violations` is empty."""
    schema = _read(inspector)
    return _ddl(schema, plan, _violations(schema, plan))


def _ddl(schema: dict[str, _Table], plan: Plan, found: list[Violation]) -> list[str]:
    placed = placements(plan)
    problems: dict[str, list[Violation]] = defaultdict(list)
    for v in found:
        problems[v.table].append(v)

    def not_ready(t: str) -> list[str]:
        return [f"-- {t}: not ready: {v.rule}: {v.detail}" for v in problems[t]]

    out: list[str] = []
    first: dict[str, str] = {}
    for t in _creation_order(schema, placed):
        p = placed[t]
        if problems[t]:
            out += not_ready(t)
        elif p.kind == "reference":
            out.append(f"SELECT create_reference_table({_literal(t)});")
        else:
            group = p.group or ""
            colocate = first.setdefault(group, t)
            out.append(f"SELECT create_distributed_table({_literal(t)}, "
                       f"{_literal(p.column or '')}, colocate_with => "
                       f"{_literal('none' if colocate == t else colocate)});")
    for t, p in placed.items():
        if p.kind == "local":
            out += not_ready(t) if problems[t] else \
                [f"-- {t}: stays on the coordinator (local)"]
    for t in sorted(set(schema) - set(placed)):
        out += not_ready(t)
    return out


def _creation_order(schema: dict[str, _Table], placed: dict[str, Placement]) -> list[str]:
    """Reference then distributed tables, in plan order, except that a table waits for every
    table its foreign keys name (Citus creates a foreign key only to a table it knows).
    Tables in a cycle of foreign keys keep their plan order."""
    nodes = [t for t, p in placed.items() if p.kind == "reference"] + \
        [t for t, p in placed.items() if p.kind == "distributed"]
    rank = {t: i for i, t in enumerate(nodes)}
    needs: dict[str, set[str]] = {t: set() for t in nodes}
    for t in nodes:
        for _, target, _ in schema[t].fks if t in schema else ():
            if target in rank and target != t:
                needs[t].add(target)
    waiting = {t: len(n) for t, n in needs.items()}
    freed: dict[str, list[str]] = defaultdict(list)
    for t, n in needs.items():
        for target in n:
            freed[target].append(t)
    ready = [(rank[t], t) for t in nodes if not waiting[t]]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, t = heapq.heappop(ready)
        order.append(t)
        for u in freed[t]:
            waiting[u] -= 1
            if not waiting[u]:
                heapq.heappush(ready, (rank[u], u))
    done = set(order)
    return order + [t for t in nodes if t not in done]


def _literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"
