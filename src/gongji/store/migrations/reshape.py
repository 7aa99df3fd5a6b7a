"""Reshaping tables in a migration: a region column added in front of a table's keys, its
unique constraints and foreign keys redrawn, on both databases, with the rows kept.

PostgreSQL alters the tables in place. SQLite cannot change a primary key, so each table is
rebuilt (create the new shape, copy the rows, drop, rename, recreate its indexes and
triggers), with foreign keys off for the migration (store/migrate.py) and checked at the end.
A spec says what changes; the rest of the table (columns, checks, other keys, indexes) is
read from the database itself, so the spec stays small and the same in both directions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import op

NATIONAL = "000000"
"""The region of rows that belong to no pooling region (national accounts and chains)."""


@dataclass(frozen=True, slots=True)
class Fk:
    name: str
    columns: tuple[str, ...]
    table: str
    refcolumns: tuple[str, ...]
    onupdate: str | None = None


@dataclass(frozen=True, slots=True)
class Reshape:
    table: str
    add: str | None = None
    """A column to add (varchar(6), NOT NULL) ..."""
    fill: str | None = None
    """... and the SQL giving it for the rows already there (the old row is `t`)."""
    not_null: tuple[str, ...] = ()
    """Columns made NOT NULL; their NULLs become the national region."""
    nullable: tuple[str, ...] = ()
    """Columns made nullable again; the national region becomes NULL."""
    drop_columns: tuple[str, ...] = ()
    pk: tuple[str, ...] | None = None
    drop_uniques: tuple[str, ...] = ()
    add_uniques: tuple[tuple[str, tuple[str, ...]], ...] = ()
    drop_fks: tuple[str, ...] = ()
    add_fks: tuple[Fk, ...] = ()
    drop_indexes: tuple[str, ...] = ()
    add_indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    add_unique_indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    add_partial_uniques: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    """Unique indexes over the rows a WHERE clause (SQL) selects."""
    pk_name: str = field(default="")

    @property
    def pk_constraint(self) -> str:
        return self.pk_name or f"pk_{self.table}"


def apply(specs: Sequence[Reshape], *, append_only: Sequence[str] = ()) -> None:
    """Reshape the tables; `append_only` names the tables whose refusing triggers must be
    lifted while rows are filled in (they come back as they were)."""
    if op.get_bind().dialect.name == "sqlite":
        for s in specs:
            if _indexes_only(s):  # nothing of the table itself changes: no rebuild
                for name in s.drop_indexes:
                    op.drop_index(name, table_name=s.table)
                for name, cols in s.add_indexes:
                    op.create_index(name, s.table, list(cols))
            else:
                _rebuild_sqlite(s)
        return
    _apply_postgresql(specs, append_only)


def _indexes_only(s: Reshape) -> bool:
    return s == Reshape(s.table, drop_indexes=s.drop_indexes, add_indexes=s.add_indexes)


# -- PostgreSQL: in place ------------------------------------------------------------------

def _apply_postgresql(specs: Sequence[Reshape], append_only: Sequence[str]) -> None:
    for t in append_only:
        op.execute(f"ALTER TABLE {t} DISABLE TRIGGER {t}_append_only")
    for s in specs:
        for name in s.drop_fks:
            op.drop_constraint(name, s.table, type_="foreignkey")
    for s in specs:
        if s.add:
            op.add_column(s.table, sa.Column(s.add, sa.String(6), nullable=True))
            op.execute(f"UPDATE {s.table} AS t "  # noqa: S608 - names from the spec
                       f"SET {s.add} = COALESCE({s.fill}, '{NATIONAL}')")
            op.alter_column(s.table, s.add, nullable=False)
        for c in s.not_null:
            op.execute(f"UPDATE {s.table} SET {c} = '{NATIONAL}' "  # noqa: S608 - from the spec
                       f"WHERE {c} IS NULL")
            op.alter_column(s.table, c, nullable=False)
        for name in s.drop_uniques:
            op.drop_constraint(name, s.table, type_="unique")
        for name in s.drop_indexes:
            op.drop_index(name, table_name=s.table)
        if s.pk is not None:
            op.drop_constraint(s.pk_constraint, s.table, type_="primary")
        for c in s.drop_columns:
            op.drop_column(s.table, c)
        for c in s.nullable:  # after the primary key that held it is gone
            op.alter_column(s.table, c, nullable=True)
            op.execute(f"UPDATE {s.table} SET {c} = NULL "  # noqa: S608 - from the spec
                       f"WHERE {c} = '{NATIONAL}'")
        if s.pk is not None:
            op.create_primary_key(s.pk_constraint, s.table, list(s.pk))
        for name, cols in s.add_uniques:
            op.create_unique_constraint(name, s.table, list(cols))
        for name, cols in s.add_indexes:
            op.create_index(name, s.table, list(cols))
        for name, cols in s.add_unique_indexes:
            op.create_index(name, s.table, list(cols), unique=True)
        for name, cols, where in s.add_partial_uniques:
            op.create_index(name, s.table, list(cols), unique=True,
                            postgresql_where=sa.text(where))
    for s in specs:
        for fk in s.add_fks:
            op.create_foreign_key(fk.name, s.table, fk.table, list(fk.columns),
                                  list(fk.refcolumns), onupdate=fk.onupdate)
    for t in append_only:
        op.execute(f"ALTER TABLE {t} ENABLE TRIGGER {t}_append_only")


# -- SQLite: rebuild -----------------------------------------------------------------------

def _rebuild_sqlite(s: Reshape) -> None:
    conn = op.get_bind()
    insp = sa.inspect(conn)
    kept_sql = [r.sql for r in conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = ? "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL", (s.table,)).all()
        if r.name not in s.drop_indexes]
    md = sa.MetaData()  # the table and those its keys name, not the whole schema (speed)
    named = {fk["referred_table"] for fk in insp.get_foreign_keys(s.table)}
    md.reflect(conn, only=sorted({s.table, *named, *(fk.table for fk in s.add_fks)}))
    old = md.tables[s.table]
    new_name = f"_new_{s.table}"
    cols: list[sa.Column[object]] = []
    select: list[str] = []
    for c in insp.get_columns(s.table):
        name = c["name"]
        if name in s.drop_columns:
            continue
        nullable = (bool(c["nullable"]) and name not in s.not_null) or name in s.nullable
        default = c.get("default")
        cols.append(sa.Column(name, c["type"], nullable=nullable,
                              server_default=sa.text(default) if default is not None else None))
        if name in s.not_null:
            select.append(f"COALESCE(t.{name}, '{NATIONAL}')")
        elif name in s.nullable:
            select.append(f"NULLIF(t.{name}, '{NATIONAL}')")
        else:
            select.append(f"t.{name}")
    if s.add:
        cols.append(sa.Column(s.add, sa.String(6), nullable=False))
        select.append(f"COALESCE({s.fill}, '{NATIONAL}')")
    constraints: list[sa.Constraint] = []
    pk = s.pk if s.pk is not None else tuple(c.name for c in old.primary_key.columns)
    constraints.append(sa.PrimaryKeyConstraint(*pk, name=s.pk_constraint))
    for con in old.constraints:
        if isinstance(con, sa.UniqueConstraint) and not isinstance(con, sa.PrimaryKeyConstraint):
            if con.name not in s.drop_uniques:
                constraints.append(sa.UniqueConstraint(*[c.name for c in con.columns],
                                                       name=con.name))
        elif isinstance(con, sa.ForeignKeyConstraint):
            if con.name not in s.drop_fks:
                constraints.append(sa.ForeignKeyConstraint(
                    [c.name for c in con.columns],
                    [f"{e.column.table.name}.{e.column.name}" for e in con.elements],
                    name=con.name, onupdate=con.onupdate, ondelete=con.ondelete))
        elif isinstance(con, sa.CheckConstraint):
            constraints.append(sa.CheckConstraint(str(con.sqltext), name=con.name))
    constraints += [sa.UniqueConstraint(*cols_, name=name) for name, cols_ in s.add_uniques]
    constraints += [sa.ForeignKeyConstraint(list(fk.columns),
                                            [f"{fk.table}.{c}" for c in fk.refcolumns],
                                            name=fk.name, onupdate=fk.onupdate)
                    for fk in s.add_fks]
    new = sa.Table(new_name, md, *cols, *constraints)
    new.create(conn)
    names = ", ".join(c.name for c in cols)
    op.execute(f"INSERT INTO {new_name} ({names}) "  # noqa: S608 - names from the schema
               f"SELECT {', '.join(select)} FROM {s.table} AS t")
    op.execute(f"DROP TABLE {s.table}")
    op.execute(f"ALTER TABLE {new_name} RENAME TO {s.table}")
    for sql in kept_sql:
        op.execute(sql)
    for name, cols_ in s.add_indexes:
        op.create_index(name, s.table, list(cols_))
    for name, cols_ in s.add_unique_indexes:
        op.create_index(name, s.table, list(cols_), unique=True)
    for name, cols_, where in s.add_partial_uniques:
        op.create_index(name, s.table, list(cols_), unique=True, sqlite_where=sa.text(where))
