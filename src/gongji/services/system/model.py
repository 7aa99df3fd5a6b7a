"""What the database doors give: health, the schema's revision, an upgrade, a restore."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the verification's report: gongji.ledger.verify, which reads the journal
    from gongji.ledger.verify import VerifyReport

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
