"""What an audit search takes and gives: the query, the records as they leave (masked), a
page of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

PER_PAGE = 50
NAMED_SUBJECTS = {"token.create"}
"""Actions whose subject is a person's name (the holder of an operator token)."""


@dataclass(frozen=True, slots=True)
class AuditQuery:
    subject: str = ""
    """Exact subject: a psn_no, a binding, transfer or settlement id, an institution code."""
    action: str = ""
    """An action (wallet.open) or a family of them (wallet.)."""
    start: date | None = None
    end: date | None = None
    page: int = 1


@dataclass(frozen=True, slots=True)
class AuditRecord:
    chain: str
    seq: int
    at: datetime
    actor: str
    action: str
    subject_masked: str
    entry_id: str | None
    detail_masked: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    records: list[AuditRecord]
    page: int
    total: int
    per_page: int
    actions: list[str]
    """Every action recorded so far (the search form's suggestions)."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
