"""A region and its wallet rollout flags on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gongji.domain.regions import Region


@dataclass(frozen=True, slots=True)
class Rollout:
    """A region and its wallet rollout flags on a day (from its resolved policy)."""

    region: Region
    day: date
    wallet_enabled: bool
    cross_province_mutual_aid: bool
    place_of_use_change: bool
