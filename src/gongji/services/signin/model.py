"""What signing in at the national interface gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SignIn:
    sign_no: str
    sign_time: datetime
