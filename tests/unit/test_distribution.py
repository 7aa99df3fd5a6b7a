"""The Citus placement of the tables (store/distribution.py): every table placed once, and
each rule of the checker seen on a tiny schema made for it (in-memory SQLite, created and
then read back the way a live database is)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    inspect,
)

from gongji.store import distribution
from gongji.store.distribution import (
    IGNORED,
    PLAN,
    RULES,
    Plan,
    Violation,
    citus_ddl,
    distributed,
    local,
    placements,
    reference,
    violations,
)
from gongji.store.tables import metadata

# -- the real plan ---------------------------------------------------------------------------


def test_every_table_of_the_schema_is_placed_exactly_once() -> None:
    placed = Counter(t for shelf in PLAN for t in shelf.tables)
    assert [t for t, n in placed.items() if n > 1] == []
    assert set(placed) == set(metadata.tables)
    assert not set(placed) & IGNORED


def test_distributed_shelves_name_a_group_and_a_column_and_others_do_not() -> None:
    for shelf in PLAN:
        assert (shelf.kind == "distributed") == (shelf.group is not None) == \
            (shelf.column is not None), shelf
        assert shelf.why


def test_the_declared_schema_has_every_placed_table_and_no_other() -> None:
    """The schema as tables.py declares it, read back: nothing unplaced or missing (what the
    migrated databases add, tests/service/test_distribution_schema.py holds)."""
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.connect() as conn:
        found = violations(inspect(conn))
    assert [v for v in found if v.rule in ("unclassified", "missing-table",
                                           "classified-twice")] == []
    assert {v.rule for v in found} <= set(RULES)


# -- a tiny schema that passes, and one table more for each rule -------------------------------

def base(md: MetaData) -> None:
    """Reference regions; local sessions; people and cards distributed by admdvs in group
    "g" (cards after people in the plan below, though they point at people); sales by
    code_key in group "c". Every kind of foreign key that is allowed, once."""
    Table("regions", md, Column("admdvs", String(6), primary_key=True),
          Column("parent", String(6), ForeignKey("regions.admdvs")))
    Table("sessions", md, Column("token", String(64), primary_key=True),
          Column("admdvs", String(6), ForeignKey("regions.admdvs")),
          Column("previous", String(64), ForeignKey("sessions.token")))
    Table("people", md,
          Column("admdvs", String(6), ForeignKey("regions.admdvs"), nullable=False),
          Column("id", String(20), nullable=False),
          Column("certno", String(18), nullable=False),
          Column("status", String(8), nullable=False),
          PrimaryKeyConstraint("admdvs", "id"),
          UniqueConstraint("admdvs", "certno"))
    cards = Table("cards", md,
                  Column("admdvs", String(6), nullable=False),
                  Column("card_no", String(32), nullable=False),
                  Column("psn_id", String(20), nullable=False),
                  Column("status", String(8), nullable=False),
                  PrimaryKeyConstraint("admdvs", "card_no"),
                  ForeignKeyConstraint(["admdvs", "psn_id"],
                                       ["people.admdvs", "people.id"]))
    Index("uq_cards_valid", cards.c.psn_id, cards.c.admdvs, unique=True,
          sqlite_where=cards.c.status == "valid")
    Table("sales", md, Column("code_key", String(60), primary_key=True),
          Column("admdvs", String(6), ForeignKey("regions.admdvs")))


BASE_PLAN: Plan = (
    reference("shared", "regions"),
    local("node's own", "sessions"),
    distributed("g", "admdvs", "by region", "cards", "people"),
    distributed("c", "code_key", "by code", "sales"),
)


def read(build: Callable[[MetaData], None], plan: Plan
         ) -> tuple[list[Violation], list[str]]:
    md = MetaData()
    base(md)
    build(md)
    engine = create_engine("sqlite://")
    md.create_all(engine)
    with engine.connect() as conn:
        schema = inspect(conn)
        return violations(schema, plan), citus_ddl(schema, plan)


def nothing(md: MetaData) -> None:
    return None


def test_the_tiny_schema_passes() -> None:
    found, _ = read(nothing, BASE_PLAN)
    assert found == []


def plus(*shelves: distribution.Shelf) -> Plan:
    return (*BASE_PLAN, *shelves)


def in_g(*tables: str) -> Plan:
    return plus(distributed("g", "admdvs", "more", *tables))


def notes(*extra: Column[str] | PrimaryKeyConstraint | UniqueConstraint | ForeignKeyConstraint,
          admdvs: Column[str] | None = None, pk: bool = True) -> Callable[[MetaData], None]:
    """A table "notes" with admdvs and id (both the primary key unless pk is False)."""
    def build(md: MetaData) -> None:
        cols = [admdvs if admdvs is not None else Column("admdvs", String(6), nullable=False),
                Column("id", String(36), nullable=False)]
        Table("notes", md, *cols, *extra,
              *([PrimaryKeyConstraint("admdvs", "id")] if pk else []))
    return build


def no_admdvs(md: MetaData) -> None:
    Table("notes", md, Column("id", String(36), primary_key=True))


def nullable_key(md: MetaData) -> None:
    # in the primary key and yet NULL allowed: SQLite lets a table say so
    Table("notes", md, Column("admdvs", String(6), nullable=True),
          Column("id", String(36), nullable=False), PrimaryKeyConstraint("admdvs", "id"))


def id_only_key(md: MetaData) -> None:
    Table("notes", md, Column("admdvs", String(6), nullable=False),
          Column("id", String(36), primary_key=True))


def unique_index(md: MetaData) -> None:
    t = Table("notes", md, Column("admdvs", String(6), nullable=False),
              Column("id", String(36), nullable=False), Column("code", String(9)),
              Column("open", String(1)), PrimaryKeyConstraint("admdvs", "id"))
    Index("uq_notes_code", t.c.code, unique=True, sqlite_where=t.c.open == "y")


def wide_admdvs(md: MetaData) -> None:
    Table("notes", md, Column("admdvs", String(12), nullable=False),
          Column("id", String(36), nullable=False), PrimaryKeyConstraint("admdvs", "id"))


def reference_to_people(md: MetaData) -> None:
    Table("kinds", md, Column("kind", String(8), primary_key=True),
          Column("admdvs", String(6)), Column("psn_id", String(20)),
          ForeignKeyConstraint(["admdvs", "psn_id"], ["people.admdvs", "people.id"]))


def local_to_people(md: MetaData) -> None:
    Table("otps", md, Column("id", String(36), primary_key=True),
          Column("admdvs", String(6)), Column("psn_id", String(20)),
          ForeignKeyConstraint(["admdvs", "psn_id"], ["people.admdvs", "people.id"]))


def stray(md: MetaData) -> None:
    Table("stray", md, Column("id", String(36), primary_key=True))


CASES = [
    ("missing column", no_admdvs, in_g("notes"), "notes", "no-column", ["admdvs"]),
    ("nullable column", nullable_key, in_g("notes"), "notes", "nullable", ["admdvs"]),
    ("column not in the primary key", id_only_key, in_g("notes"), "notes", "not-in-pk",
     ["(id)", "admdvs"]),
    ("unique constraint without it",
     notes(Column("code", String(9)), UniqueConstraint("code", name="uq_notes_code")),
     in_g("notes"), "notes", "unique-constraint", ["uq_notes_code", "(code)", "admdvs"]),
    ("partial unique index without it", unique_index, in_g("notes"), "notes",
     "unique-index", ["uq_notes_code", "(code)", "admdvs"]),
    ("foreign key across groups",
     notes(Column("sale", String(60)), ForeignKeyConstraint(["sale"], ["sales.code_key"])),
     in_g("notes"), "notes", "fk-across-groups", ["(sale)", "sales (code_key)"]),
    ("foreign key not pairing the column",
     notes(Column("psn_admdvs", String(6)), Column("psn_id", String(20)),
           ForeignKeyConstraint(["psn_admdvs", "psn_id"], ["people.admdvs", "people.id"])),
     in_g("notes"), "notes", "fk-unpaired", ["(psn_admdvs, psn_id)", "admdvs -> admdvs"]),
    ("foreign key that would change the distribution column",
     notes(Column("psn_id", String(20)),
           ForeignKeyConstraint(["admdvs", "psn_id"], ["people.admdvs", "people.id"],
                                onupdate="CASCADE")),
     in_g("notes"), "notes", "fk-action", ["(admdvs, psn_id)", "ON UPDATE CASCADE"]),
    ("distributed to local",
     notes(Column("token", String(64)), ForeignKeyConstraint(["token"], ["sessions.token"])),
     in_g("notes"), "notes", "fk-to-local", ["(token)", "sessions (token)"]),
    ("reference to distributed", reference_to_people, plus(reference("more", "kinds")),
     "kinds", "fk-from-reference", ["(admdvs, psn_id)", "people"]),
    ("local to distributed", local_to_people, plus(local("more", "otps")), "otps",
     "fk-local-to-distributed", ["(admdvs, psn_id)", "people"]),
    ("table in the database, not in the plan", stray, BASE_PLAN, "stray", "unclassified",
     ["stray"]),
    ("table in the plan, not in the database", nothing, in_g("ghost"), "ghost",
     "missing-table", ["ghost"]),
    ("table placed twice", nothing, plus(local("again", "sales")), "sales",
     "classified-twice", ["sales", "2"]),
    ("column type unlike its group's", wide_admdvs, in_g("notes"), "notes", "type-mismatch",
     ["VARCHAR(12)", "VARCHAR(6)"]),
]


@pytest.mark.parametrize(("build", "plan", "table", "rule", "words"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_alone(build: Callable[[MetaData], None], plan: Plan, table: str,
                         rule: str, words: list[str]) -> None:
    found, ddl = read(build, plan)
    assert [(v.table, v.rule) for v in found] == [(table, rule)]
    assert all(w in found[0].detail for w in words), found[0].detail
    assert f"-- {table}: not ready: {rule}: {found[0].detail}" in ddl
    assert not any(f"('{table}'" in line for line in ddl)


def test_every_rule_has_a_case() -> None:
    assert {c[4] for c in CASES} == set(RULES)


# -- the plan's statements ---------------------------------------------------------------------

def test_statements_reference_first_then_each_table_after_what_it_points_at() -> None:
    _, ddl = read(nothing, BASE_PLAN)
    assert ddl == [
        "SELECT create_reference_table('regions');",
        # cards come first in the plan, but point at people
        "SELECT create_distributed_table('people', 'admdvs', colocate_with => 'none');",
        "SELECT create_distributed_table('cards', 'admdvs', colocate_with => 'people');",
        "SELECT create_distributed_table('sales', 'code_key', colocate_with => 'none');",
        "-- sessions: stays on the coordinator (local)",
    ]


def test_a_table_not_ready_leaves_the_group_to_the_next_ready_one() -> None:
    def build(md: MetaData) -> None:
        Table("first", md, Column("admdvs", String(6), nullable=True),
              Column("id", String(36), primary_key=True))
    plan = (BASE_PLAN[0], BASE_PLAN[1], distributed("g", "admdvs", "by region", "first"),
            *BASE_PLAN[2:])
    found, ddl = read(build, plan)
    assert {(v.table, v.rule) for v in found} == {("first", "nullable"), ("first", "not-in-pk")}
    assert ddl[1:5] == [
        "-- first: not ready: not-in-pk: primary key (id) lacks admdvs",
        "-- first: not ready: nullable: admdvs allows NULL",
        "SELECT create_distributed_table('people', 'admdvs', colocate_with => 'none');",
        "SELECT create_distributed_table('cards', 'admdvs', colocate_with => 'people');",
    ]


def test_the_real_plan_reads_in_order() -> None:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.connect() as conn:
        ddl = citus_ddl(inspect(conn))
    place = placements()
    refs = [t for t, p in place.items() if p.kind == "reference"]
    assert ddl[:len(refs)] == [f"SELECT create_reference_table('{t}');" for t in refs]
    named = [next(t for t in place if f"-- {t}:" in line or f"('{t}'" in line) for line in ddl]
    assert set(named) == set(metadata.tables)
    assert named == sorted(named, key=named.index)  # each table's lines are together


# -- the documentation says what the code says -----------------------------------------------

SCALING = Path(__file__).resolve().parents[2] / "docs" / "SCALING.md"


def test_scaling_md_shows_the_plan_and_the_rules() -> None:
    """docs/SCALING.md section 5: one row per shelf of PLAN, written from it; every rule."""
    doc = SCALING.read_text(encoding="utf-8")
    section = doc[doc.index("## 5."):doc.index("## 6.")]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    for shelf in PLAN:
        column = f"`{shelf.column}` ({shelf.group})" if shelf.kind == "distributed" else "—"
        assert f"| {shelf.kind} | {column} | {', '.join(shelf.tables)} | {shelf.why} |" in rows
    assert len([r for r in rows if r.startswith(("| reference |", "| local |",
                                                  "| distributed |"))]) == len(PLAN)
    for rule in RULES:
        assert f"`{rule}`" in section, rule
