"""What setting a payment PIN gives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PinSet:
    psn_no: str
    changed: bool
    """False the first time a PIN is set."""
