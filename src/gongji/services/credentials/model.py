"""What the credential doors give: whose a redeemed insurance code is, and a card."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Redeemed:
    psn_no: str
    name_masked: str
    insuplc_admdvs: str | None


@dataclass(frozen=True, slots=True)
class Card:
    card_no: str
    psn_no: str
    status: str
