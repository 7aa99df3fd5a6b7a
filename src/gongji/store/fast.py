"""Hot statements at the driver's speed.

Most of a settlement's time used to go to SQLAlchemy's per-call work, not the database:
building the statement, its cache key, an execution context, a result object (about 50 µs a
statement here, against 5-10 µs in sqlite3 or psycopg). A `Prepared` statement is a Core
statement built once, with every value a bindparam, compiled once per dialect. Each run binds
the parameters through SQLAlchemy's own bind processors, sends the SQL straight to the DBAPI
cursor of the connection the unit of work holds (so it is in the same transaction), and reads
the rows back through SQLAlchemy's own result processors into light named tuples: the same
values `conn.execute` would give, for the statements this is used on.

IN lists of varying length are spelt out, one prepared statement per length (`ByArity`).
What stays with `conn.execute`: statements whose SQL depends on other values (multi-row
VALUES), INSERTs that rely on column defaults, anything not on a hot path. Listeners of
`before_cursor_execute` (statement counters, the benchmark's capture) still see every
statement, and driver errors arrive wrapped as SQLAlchemy's, as `Database.retrying` and the
callers expect.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, exc, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    positional: bool
    names: tuple[str, ...]
    """Bind names in the order the SQL takes them (positional) or all of them (named)."""
    processors: tuple[Processor, ...]
    fixed: dict[str, Any]
    """Values written into the statement itself (status == "open")."""
    row: Any
    """A named tuple class for the result columns, or None when there are none."""
    results: tuple[Processor, ...]


class Rows:
    """The part of SQLAlchemy's Result that the stores use."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return self._rows

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise (exc.NoResultFound("No row was found when one was required") if not self._rows
                   else exc.MultipleResultsFound("Multiple rows were found when exactly one "
                                                 "was required"))
        return self._rows[0]

    def one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when one or none was "
                                           "required")
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalars(self) -> list[Any]:
        return [r[0] for r in self._rows]


class Prepared:
    """A statement built once; `run(conn, params)` executes it as described above."""

    __slots__ = ("_plans", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect)
        return plan

    def run(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Rows:
        plan = self._plan(conn.dialect)
        args = _bind(plan, params or {})
        return _execute(conn, plan, args, many=False)

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> Rows:
        """executemany: one statement, many parameter sets, no result rows."""
        plan = self._plan(conn.dialect)
        return _execute(conn, plan, [_bind(plan, r) for r in rows], many=True)


class ByArity:
    """Prepared statements for a query with IN lists of varying length: one statement per
    combination of lengths, each list spelt as plain parameters (codes_0, codes_1, ...), so
    nothing is compiled per call. A settlement has a few lines, so few lengths are seen."""

    __slots__ = ("_build", "_by_arity")

    LIMIT = 64
    """Longer lists than this (and empty ones) take SQLAlchemy's expanding IN (rare)."""

    def __init__(self, build: Callable[..., Any]) -> None:
        self._build = build
        """Called with one keyword per list: what the column's `in_` is to take."""
        self._by_arity: dict[tuple[int, ...], Prepared] = {}

    def run(self, conn: Connection, lists: Mapping[str, Sequence[Any]],
            params: Mapping[str, Any] | None = None) -> Rows:
        arity = tuple(len(v) for v in lists.values())
        if not all(arity) or max(arity, default=0) > self.LIMIT:  # `IN ()` is not SQL either
            stmt = self._build(**{k: bindparam(k, expanding=True) for k in lists})
            found = conn.execute(stmt, {**(params or {}), **{k: list(v)
                                                             for k, v in lists.items()}})
            return Rows(list(found), -1)
        prepared = self._by_arity.get(arity)
        if prepared is None:
            prepared = self._by_arity[arity] = Prepared(self._build(**{
                k: [bindparam(f"{k}_{i}") for i in range(len(v))] for k, v in lists.items()}))
        args = dict(params or {})
        for k, v in lists.items():
            args.update((f"{k}_{i}", x) for i, x in enumerate(v))
        return prepared.run(conn, args)


def _compile(statement: ClauseElement, dialect: Dialect) -> _Plan:
    compiled: Any = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("a statement whose SQL depends on its values cannot be prepared")
    types = {name: bp.type for bp, name in compiled.bind_names.items()}
    names = tuple(compiled.positiontup) if dialect.positional else tuple(types)
    processors = tuple(types[n]._cached_bind_processor(dialect) for n in names)
    fixed = {k: v for k, v in compiled.construct_params(_check=False).items() if v is not None}
    columns = list(compiled._result_columns)
    row = namedtuple("Row", [c.keyname for c in columns], rename=True) if columns else None
    results = tuple(c.type._cached_result_processor(dialect, None) for c in columns)
    return _Plan(compiled.string, bool(dialect.positional), names, processors, fixed, row,
                 results)


def _bind(plan: _Plan, params: Mapping[str, Any]) -> Any:
    values = {**plan.fixed, **params} if plan.fixed else params
    bound = [values.get(n) if p is None else p(values.get(n))
             for n, p in zip(plan.names, plan.processors, strict=True)]
    return tuple(bound) if plan.positional else dict(zip(plan.names, bound, strict=True))


def _cursor(conn: Connection) -> Any:
    """The DBAPI connection's cursor for prepared statements, made once per connection (kept
    in the pool record's info, checked against the connection it was made on)."""
    fairy = conn.connection
    raw = fairy.dbapi_connection
    kept = fairy.info.get("gongji.cursor")
    if kept is None or kept[0] is not raw:
        kept = fairy.info["gongji.cursor"] = (raw, raw.cursor())  # type: ignore[union-attr]
    return kept[1]


def _execute(conn: Connection, plan: _Plan, args: Any, *, many: bool) -> Rows:
    dialect = conn.dialect
    cursor = _cursor(conn)
    if conn._has_events or conn.engine._has_events:
        for listener in conn.dispatch.before_cursor_execute:
            listener(conn, cursor, plan.sql, args, None, many)
    try:
        if many:
            cursor.executemany(plan.sql, args)
        else:
            cursor.execute(plan.sql, args)
        fetched = cursor.fetchall() if plan.row is not None and not many else []
    except dialect.loaded_dbapi.Error as e:
        raise exc.DBAPIError.instance(plan.sql, args, e, dialect.loaded_dbapi.Error,
                                      dialect=dialect) from e
    rowcount = cursor.rowcount
    if not fetched:
        return Rows([], rowcount)
    make, results = plan.row._make, plan.results
    if any(results):
        rows = [make([v if p is None or v is None else p(v) for v, p in zip(r, results,
                                                                             strict=True)])
                for r in fetched]
    else:
        rows = [make(r) for r in fetched]
    return Rows(rows, rowcount)


def values_of(table: Any, columns: Sequence[str]) -> dict[str, Any]:
    """{column: bindparam(column)} with the column's type: the VALUES or SET of a prepared
    INSERT or UPDATE, so it never relies on what compile() would add."""
    return {c: bindparam(c, type_=table.c[c].type) for c in columns}


def insert_of(table: Any, columns: Sequence[str]) -> Any:
    """INSERT INTO table (columns...) VALUES (:column...)."""
    return insert(table).values(values_of(table, columns))
