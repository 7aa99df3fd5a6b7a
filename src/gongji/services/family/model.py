"""Family mutual-aid bindings as the doors take and give them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True, slots=True)
class RequestBinding:
    other_certno: str
    other_name: str
    my_role: Literal["sponsor", "beneficiary"]
    """sponsor: I share my personal account with them; beneficiary: they share with me."""
    relation: str
    """What the other person is to me: parent, child, spouse, sibling, ..."""


@dataclass(frozen=True, slots=True)
class BindingView:
    id: str
    sponsor_psn_no: str
    beneficiary_psn_no: str
    sponsor_name_masked: str
    beneficiary_name_masked: str
    relation: str
    """What the beneficiary is to the sponsor."""
    status: str
    verified: bool
    requested_by: str
    requested_at: datetime
    activated_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    cross_province: bool
    quota: int
    """Unused quota the beneficiary holds from this sponsor (fen)."""
    quota_returned: int = 0
    """Ending it: the unused quota that went back to the sponsor's account (fen)."""


@dataclass(frozen=True, slots=True)
class AwaitingVerification:
    binding: BindingView
    required: bool
    """The sponsor's region requires a verified relation before money moves."""
