"""What the conformance doors take and give: a tolerance observed, record mode, the report
per infno, and a recorded (masked) message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

RECORD_MAX_MINUTES = 7 * 24 * 60
"""Record mode lasts at most a week (10080 minutes): it is for a test run, not for always."""
KEEP_DAYS = 7
"""Recorded messages older than this are pruned as new ones are written."""
RAW_MAX_BYTES = 64 * 1024
"""A stored request (masked JSON text) is cut at this size, with a marker."""


@dataclass(frozen=True, slots=True)
class Observed:
    """A field sent in a form the specification does not name, and accepted; the gateway
    hands its own tolerances over as these (services do not import the gateway)."""

    field: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Recording:
    fixmedins_code: str
    until: datetime | None
    """Messages are recorded while business time is before this; None: record mode off."""
    set_at: datetime


@dataclass(frozen=True, slots=True)
class Refusal:
    """Messages of one infno refused with one code on one field (the latest message kept)."""

    code: str
    field: str | None
    zh: str
    en: str
    count: int


@dataclass(frozen=True, slots=True)
class Tolerance:
    """A form accepted on one field: how many times it was tolerated."""

    field: str
    zh: str
    en: str
    count: int


@dataclass(frozen=True, slots=True)
class InfnoReport:
    infno: str | None
    """None: messages refused before their infno could be read (not JSON, no envelope)."""
    sent: int
    ok: int
    """Answered infcode 0."""
    refused: int
    refusals: tuple[Refusal, ...]
    tolerances: tuple[Tolerance, ...]


@dataclass(frozen=True, slots=True)
class ConformanceReport:
    fixmedins_code: str
    since: datetime | None
    at: datetime
    """Business time the report was made."""
    recording_until: datetime | None
    """Record mode is on until then; None: off."""
    transactions: tuple[InfnoReport, ...]

    @property
    def sent(self) -> int:
        return sum(t.sent for t in self.transactions)

    @property
    def ok(self) -> int:
        return sum(t.ok for t in self.transactions)

    @property
    def refused(self) -> int:
        return sum(t.refused for t in self.transactions)


@dataclass(frozen=True, slots=True)
class RecordedMessage:
    id: str
    received_at: datetime
    infno: str | None
    msgid: str | None
    path: str
    scheme: str
    infcode: int
    refusal_code: str | None
    refusal_field: str | None
    refusal_zh: str | None
    refusal_en: str | None
    deviations: tuple[Observed, ...]
    raw: str | None
    """The request envelope as JSON text (exact digits), personal data masked; when cut, it
    ends with a marker and is no longer JSON."""
    raw_bytes: int
    """The size of the whole masked text (raw is shorter when it was cut)."""

    @property
    def truncated(self) -> bool:
        return self.raw is not None and self.raw_bytes > RAW_MAX_BYTES
