"""The statement (收支明细) as the door gives it: books, lines, months around. Money in fen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gongji.domain.errors import Bi

PERSONAL = "personal"
"""The person's own personal account (个人账户)."""
QUOTA_HELD = "quota_held"
"""Wallet quota the person holds from one sponsor (钱包共济额度)."""
QUOTA_GIVEN = "quota_given"
"""Quota the person gave one relative: still theirs until spent or returned."""


@dataclass(frozen=True, slots=True)
class Book:
    """One account on the statement."""

    kind: str
    """personal, quota_held or quota_given."""
    other_name_masked: str | None
    """The sponsor (quota held) or the relative (quota given)."""
    balance: int
    """Now."""
    opening: int
    """Before the month's first line."""
    closing: int
    """At the end of the month (the balance now, for the month in progress)."""


@dataclass(frozen=True, slots=True)
class Line:
    at: datetime
    book: Book
    amount: int
    """Signed fen: positive came in, negative went out."""
    balance: int
    """The book's balance after this line."""
    cause: Bi
    entry_id: str


@dataclass(frozen=True, slots=True)
class Statement:
    psn_no: str
    name_masked: str
    month: str
    """YYYY-MM, Shanghai time."""
    books: tuple[Book, ...]
    lines: tuple[Line, ...]
    """The month's movements, newest first."""
    earlier: str | None
    """The latest month before this one with a movement."""
    later: str | None
    """The earliest month after this one with a movement."""


@dataclass(frozen=True, slots=True)
class GivenQuota:
    """Quota a sponsor gave a relative, not yet spent or returned."""

    beneficiary_name_masked: str
    balance: int
