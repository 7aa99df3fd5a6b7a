"""The layers' borders, checked in the code itself (docs/ARCHITECTURE.md, "One door").

- Entrypoints (api/, gateway/, web/, cli.py) import nothing of SQLAlchemy, the store or the
  ledger, never see a unit of work or a connection, and call the services only through their
  doors (functions marked @door) or the few pure helpers named below.
- Services import nothing of an entrypoint; no module of the package imports itself back.

Each check is also run on a deliberately bad module, so a check that stopped seeing anything
fails too.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from gongji.domain.errors import GongjiError
from gongji.services.door import door, is_door, observe, request

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "gongji"
ENTRYPOINTS = ("api", "gateway", "web", "cli.py")

BELOW_THE_DOOR = ("sqlalchemy", "gongji.store", "gongji.ledger", "gongji.services.unit_of_work",
                  "gongji.services.idempotency")
"""What an entrypoint never imports: storage, the journal, units of work."""
BELOW_SUFFIXES = (".store",)
"""A capability's store module (services/settlement/store.py) is below its door too."""
UNIT_OF_WORK_ATTRS = {"conn", "read_conn", "transact", "dry_run", "stored", "ledger"}
"""Attributes of the services and of units of work an entrypoint never touches (and
anything reached through a `.db`: the database behind the services)."""
RUNNERS = {"read", "write"}
"""Gongji.read/write: a unit of work run by hand (flagged when given a function)."""

PURE_HELPERS = {
    "gongji.services.explanation.service.bilingual",  # splits "职工门诊 employee outpatient" in two
    "gongji.services.fhir.service.render",  # a validated FHIR dict as JSON text (exact decimals)
    "gongji.services.fhir.service.outcome",  # a refusal as a FHIR OperationOutcome
    "gongji.services.demo.service.role_of",  # a demo person's role in the reader's language
    "gongji.services.demo.service.demo_person",  # a demo person by key (static data)
    "gongji.services.demo.service.certno_of",  # a demo person's ID number (static data)
    "gongji.services.enrollment.service.describe",  # a credit batch's report as one line of text
    "gongji.services.root.build",  # the composition root itself
    "gongji.services.door.request",  # opens a request's record of its door calls
}
"""Services functions an entrypoint may call that are not doors: pure functions of their
arguments (formatting, static demo data), and the composition root."""


def modules(root: Path, parts: tuple[str, ...]) -> Iterator[tuple[str, Path]]:
    for part in parts:
        path = root / part
        files = [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
        for f in files:
            rel = f.relative_to(root.parent).with_suffix("")
            yield ".".join(rel.parts).removesuffix(".__init__"), f


def entrypoint_problems(name: str, source: str) -> list[str]:
    """Every place an entrypoint module reaches below the service door."""
    tree = ast.parse(source)
    problems: list[str] = []
    imported: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                imported[a.asname or a.name.split(".")[0]] = a.name
                problems += _below(name, node.lineno, a.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                imported[a.asname or a.name] = full
                problems += _below(name, node.lineno, node.module, full)
        elif isinstance(node, ast.Name) and node.id in ("uow", "UnitOfWork"):
            problems.append(f"{name}:{node.lineno}: names a unit of work ({node.id})")
        elif isinstance(node, ast.arg) and node.arg == "uow":
            problems.append(f"{name}:{node.lineno}: takes a unit of work (uow)")
        elif isinstance(node, ast.Attribute) and node.attr in UNIT_OF_WORK_ATTRS:
            problems.append(f"{name}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and \
                node.value.attr == "db":
            problems.append(f"{name}:{node.lineno}: .db.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in RUNNERS and _runs_work(node):
            problems.append(f"{name}:{node.lineno}: runs a unit of work (.{node.func.attr})")
    problems += _calls_not_through_doors(name, tree, imported)
    return problems


def _below(name: str, line: int, *modules: str) -> list[str]:
    """An import (the module, or module.name) of something below the door."""
    for m in modules:
        if any(m == b or m.startswith(b + ".") for b in BELOW_THE_DOOR) or \
                (m.startswith("gongji.services.") and m.endswith(BELOW_SUFFIXES)):
            return [f"{name}:{line}: imports {m}"]
    return []


def _runs_work(call: ast.Call) -> bool:
    """services.read(lambda uow: ...), app.write(..., fn=...): work handed to a runner."""
    return any(isinstance(a, ast.Lambda) for a in call.args) or \
        any(k.arg == "fn" for k in call.keywords)


def _calls_not_through_doors(name: str, tree: ast.AST, imported: dict[str, str]) -> list[str]:
    """Calls of services functions (module.function or a function imported by name) that
    are neither doors nor named pure helpers."""
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = None
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                imported.get(f.value.id, "").startswith("gongji.services"):
            target = f"{imported[f.value.id]}.{f.attr}"
        elif isinstance(f, ast.Name) and imported.get(f.id, "").startswith("gongji.services"):
            target = imported[f.id]
        if target is None or target in PURE_HELPERS:
            continue
        obj = _resolve(target)
        if inspect.isfunction(obj) and obj.__module__.startswith("gongji.services") and \
                not is_door(obj):
            problems.append(f"{name}:{node.lineno}: calls {target}, which is not a door")
    return problems


def _resolve(dotted: str) -> object:
    """The object a dotted name reaches: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


def test_entrypoints_stay_above_the_door() -> None:
    problems = [p for name, path in modules(PACKAGE, ENTRYPOINTS)
                for p in entrypoint_problems(name, path.read_text(encoding="utf-8"))]
    assert problems == [], "\n".join(problems)


BAD_ENTRYPOINT = '''
from sqlalchemy import select
from gongji.store.tables import persons
from gongji.services.people import service as people
from gongji.services.settlement import store


def route(services, psn_no):
    p = services.read(lambda uow: people.person(uow.conn, psn_no))
    people.person_by_certno(services.db.engine, "x")
    return services.transact(None, None)
'''


def test_the_entrypoint_check_sees_a_violation() -> None:
    found = entrypoint_problems("bad", BAD_ENTRYPOINT)
    for expected in ("imports sqlalchemy", "imports gongji.store.tables",
                     "imports gongji.services.settlement.store", "names a unit of work (uow)",
                     ".conn", ".db.engine", ".transact", "runs a unit of work (.read)",
                     "calls gongji.services.people.service.person_by_certno, which is not a door"):
        assert any(expected in p for p in found), (expected, found)


# -- services: no upward import, no cycle ------------------------------------------------------

def imports_of(name: str, path: Path, known: set[str] | frozenset[str] = frozenset()
               ) -> set[str]:
    """The gongji modules a module imports (at any depth of its code), TYPE_CHECKING ones too:
    a cycle through type hints is still a cycle for a reader. `from pkg import mod` is an
    import of pkg.mod when that is a module (known), else of pkg."""
    out = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("gongji")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            if base.startswith("gongji"):
                out |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                        for a in node.names}
    return out


def graph(root: Path) -> dict[str, set[str]]:
    names = dict(modules(root, tuple(p.name for p in root.iterdir()
                                     if p.suffix == ".py" or p.is_dir())))
    return {name: {m for m in imports_of(name, path, set(names)) if m in names and m != name}
            for name, path in names.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of modules larger than one (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_back() -> None:
    found = cycles(graph(PACKAGE))
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_services_import_no_entrypoint() -> None:
    edges = graph(PACKAGE)
    upward = [f"{m} -> {t}" for m, ts in edges.items() if m.startswith("gongji.services")
              for t in ts if t.startswith(("gongji.api", "gongji.gateway", "gongji.web",
                                           "gongji.cli"))]
    assert upward == [], "\n".join(upward)


def test_the_cycle_check_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


STORES = sorted(name for name, _ in modules(PACKAGE, ("services",)) if name.endswith(".store"))


@pytest.mark.parametrize("name", STORES)
def test_store_modules_import_no_service(name: str) -> None:
    """A capability's store module reads and writes rows; it decides nothing and calls no
    service (so a service may use another capability's store without a cycle). It may name
    the records of any capability (their model modules) and use the codec."""
    path = SRC / (name.replace(".", "/") + ".py")
    known = set(dict(modules(PACKAGE, ("services",))))
    reached = {m for m in imports_of(name, path, known) if m.startswith("gongji.services")}
    allowed = {m for m in reached if m.endswith(".model") or m == "gongji.services.codec"}
    assert reached - allowed == set()


# -- the door itself ---------------------------------------------------------------------------

def test_the_door_records_the_calls_a_request_makes_at_the_top() -> None:
    @door
    def inner() -> int:
        return 1

    @door
    def outer() -> int:
        return inner() + inner()  # a service calling a service: not a door call

    @door(auth=True)
    def who() -> str:
        return "someone"

    @door
    def refuses() -> None:
        raise GongjiError("FORBIDDEN")

    @door(trail=True)
    def note() -> None:
        return None

    seen: list[list[tuple[str, bool, bool, bool]]] = []
    stop = observe(lambda _label, calls: seen.append(
        [(c.name.rsplit(".", 1)[-1], c.auth, c.trail, c.refused) for c in calls]))
    try:
        with request("one"):
            who()
            outer()
            note()
        with request("two"), pytest.raises(GongjiError):
            refuses()
        outer()  # outside any request: nobody is watching
    finally:
        stop()
    assert seen == [[("who", True, False, False), ("outer", False, False, False),
                     ("note", False, True, False)],
                    [("refuses", False, False, True)]]
