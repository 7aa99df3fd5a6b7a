"""What filing takes and gives: a filing asked for, a filing as stored, a recognised chronic
disease, and the authorization switches a person may set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

SWITCH_SCOPES = ("pharmacy_cross_province",)
"""The authorization switches a person may turn on or off."""


@dataclass(frozen=True, slots=True)
class File:
    kind: str
    target_admdvs: str
    begndate: date | None
    """None: today."""
    enddate: date | None = None
    opsp_dise_code: str | None = None
    """For a chronic disease filing: which recognised disease."""


@dataclass(frozen=True, slots=True)
class FilingView:
    id: str
    psn_no: str
    kind: str
    insuplc_admdvs: str
    target_admdvs: str
    begndate: date
    enddate: date | None
    opsp_dise_code: str | None
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Recognition:
    id: str
    psn_no: str
    opsp_dise_code: str
    admdvs: str
    begndate: date
