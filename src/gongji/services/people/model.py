"""Who a person is and where they are insured: the stored person, the masked view that
leaves the services, and an enrollment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from gongji.domain.privacy import mask_certno, mask_name, mask_phone

BASIC = ("310", "390")
"""Basic medical insurance schemes: employee (310) and urban-rural resident (390)."""


@dataclass(frozen=True, slots=True)
class Person:
    psn_no: str
    certno: str
    name: str
    gend: str
    brdy: date
    phone: str | None

    @property
    def masked(self) -> PersonView:
        return PersonView(psn_no=self.psn_no, certno_masked=mask_certno(self.certno),
                          name_masked=mask_name(self.name), gend=self.gend,
                          brdy_year=self.brdy.year,
                          phone_masked=mask_phone(self.phone) if self.phone else None)


@dataclass(frozen=True, slots=True)
class PersonView:
    """What leaves the service: personal data masked (110101********1234, 张*, 138****5678)."""

    psn_no: str
    certno_masked: str
    name_masked: str
    gend: str
    brdy_year: int
    phone_masked: str | None


@dataclass(frozen=True, slots=True)
class Enrollment:
    id: str
    psn_no: str
    insutype: str
    psn_type: str
    insuplc_admdvs: str
    begndate: date
    enddate: date | None
    status: str
    has_personal_account: bool
    emp_name: str | None
    ended_at: datetime | None
