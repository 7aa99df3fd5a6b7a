"""What the policy doors give: a region's merged policy and its layers, a comparison, a
checked file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from gongji.domain.policy import Change, Policy, PolicyDocument, as_document


@dataclass(frozen=True, slots=True)
class Effective:
    """A region's policy on a day and the documents it was merged from (most general first)."""

    admdvs: str
    day: date
    policy: Policy
    layers: list[PolicyDocument]

    @property
    def document(self) -> dict[str, Any]:
        return as_document(self.policy)


@dataclass(frozen=True, slots=True)
class Comparison:
    left: Effective
    right: Effective
    changes: list[Change]


@dataclass(frozen=True, slots=True)
class CheckedFile:
    documents: list[PolicyDocument]
    merged: dict[str, Policy]
    """Each document's region, merged on the day asked for (empty when no day was asked)."""
