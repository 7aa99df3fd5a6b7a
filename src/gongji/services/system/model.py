"""What the database doors give: health, the schema's revision, an upgrade, a restore, the
Citus plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the verification's report (gongji.ledger.verify reads the journal) and
    # what keeps a table from Citus (gongji.store.distribution reads the schema)
    from gongji.ledger.verify import VerifyReport
    from gongji.store.distribution import Violation

Progress = Callable[[int, int], None]
"""progress(done, total): pages (SQLite) or steps."""


@dataclass(frozen=True, slots=True)
class Health:
    status: str
    """ok, degraded (the schema is behind the program) or down (the database is not there)."""
    time: datetime
    database: str
    sandbox: bool
    schema: str | None = None
    schema_head: str | None = None
    """Only when it differs from schema."""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SchemaState:
    url: str
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


@dataclass(frozen=True, slots=True)
class Upgraded:
    url: str
    before: str | None
    after: str


@dataclass(frozen=True, slots=True)
class Restored:
    url: str
    before: str | None
    after: str
    """The schema revision the backup had, and the one it was upgraded to."""
    report: VerifyReport


@dataclass(frozen=True, slots=True)
class CitusDdl:
    """The statements that distribute the schema on Citus, and what keeps tables from it
    (gongji.store.distribution). Only a whole plan when there are no violations."""
    url: str
    statements: tuple[str, ...]
    violations: tuple[Violation, ...]

    @property
    def ready(self) -> bool:
        return not self.violations

    @property
    def not_ready(self) -> dict[str, tuple[str, ...]]:
        """Each table that is not ready, with its rules (each once, sorted)."""
        out: dict[str, set[str]] = {}
        for v in self.violations:
            out.setdefault(v.table, set()).add(v.rule)
        return {t: tuple(sorted(rules)) for t, rules in sorted(out.items())}
