"""What each page of the operator console shows: one record per page (the dashboard, the
policy, catalog, institution, queue and clock pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from gongji.domain.errors import GongjiError
from gongji.domain.policy import PolicyDocument
from gongji.domain.regions import Region
from gongji.services.family.model import AwaitingVerification
from gongji.services.institutions.model import Institution
from gongji.services.policy.model import Comparison, Effective
from gongji.services.proxies.model import ProxyView


@dataclass(frozen=True, slots=True)
class Dashboard:
    waiting: int
    """Relations and proxies for minors waiting for an operator."""
    institution_count: int
    claims_to_review: int = 0
    claims_to_pay: int = 0
    """Hand claims submitted and waiting for review; approved and waiting for payment."""


@dataclass(frozen=True, slots=True)
class Policies:
    shown: Effective
    versions: list[PolicyDocument]
    regions: list[Region]
    region_error: GongjiError | None = None
    """The region asked for could not be shown (the national default is, instead)."""
    checked: list[PolicyDocument] | None = None
    """Documents a check found valid."""


@dataclass(frozen=True, slots=True)
class Stored:
    count: int
    region: str
    """The first document's region (the page goes on to show it)."""


@dataclass(frozen=True, slots=True)
class Diff:
    comparison: Comparison
    regions: list[Region]


@dataclass(frozen=True, slots=True)
class CatalogPage:
    regions: list[Region]
    today: date


@dataclass(frozen=True, slots=True)
class InstitutionsPage:
    items: list[Institution]
    regions: list[Region]


@dataclass(frozen=True, slots=True)
class Queue:
    bindings: list[AwaitingVerification]
    minors: list[ProxyView]


@dataclass(frozen=True, slots=True)
class Clock:
    on: bool
    """The sandbox clock can be moved (gongji serve --sandbox, gongji demo)."""
    now: datetime
    jumps: list[tuple[str, datetime]]
    """Where the clock's interesting moments are next: 06:00 (transfers return), 22:00
    (transfers close)."""
