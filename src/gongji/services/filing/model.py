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


@dataclass(frozen=True, slots=True)
class RecognitionView:
    """A recognised chronic/special disease as 5301 shows it (feedetail)."""

    id: str
    """Its trt_dcla_detl_sn (2503 gave it; 2504 withdraws it)."""
    psn_no: str
    opsp_dise_code: str
    opsp_dise_name: str | None
    admdvs: str
    """The insured region that recognised it."""
    begndate: date
    enddate: date | None


@dataclass(frozen=True, slots=True)
class Designation:
    """A person's designated institution (人员定点, 5302). gongji binds no person to an
    institution, so there are none; the type says what one would be."""

    psn_no: str
    insutype: str
    fixmedins_code: str
    fixmedins_name: str
    begndate: date
    enddate: date | None


@dataclass(frozen=True, slots=True)
class ReferralView:
    """A referral filing (2501) as 5304 shows it (refmedin): the filing, and its person as
    5201 names them (ID number in full, name masked)."""

    id: str
    """Its trt_dcla_detl_sn (2501 gave it; 2502 revokes it)."""
    psn_no: str
    certno: str
    psn_name_masked: str
    gend: str
    brdy: date
    insutype: str | None
    """The basic scheme enrolled in the insured region the filing names (None: no longer)."""
    emp_name: str | None
    insuplc_admdvs: str
    target_admdvs: str
    """The care region filed for (a pooling region or a province)."""
    out_of_area: bool
    begndate: date
    enddate: date | None
    filed_at: datetime
