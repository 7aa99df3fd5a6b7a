"""What trace-code doors take and give: a pharmacy's sale or return of boxes (3505, 3506), what
it did, the answer of the public query, and an institution's untraced stock (无码库)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class QueryResult:
    outcome: str
    message: str
    message_en: str
    kind: str
    expiry: date | None


@dataclass(frozen=True, slots=True)
class SaleIn:
    """A pharmacy's sale or return of boxes by their trace codes (3505, 3506)."""

    med_list_codg: str
    codes: tuple[str, ...]
    cnt: Decimal
    trdn_flag: bool = False
    psn_no: str | None = None
    setl_id: str | None = None
    """The settlement that sold them, if any: its own records of them stand."""


@dataclass(frozen=True, slots=True)
class Sale:
    """What a sale record did: the codes it names, and how many it recorded (or returned)."""

    codes: tuple[str, ...]
    count: int


@dataclass(frozen=True, slots=True)
class StockIn:
    """An institution's stock of one drug bought before trace codes were required (无码库),
    in boxes: settled without a code while it lasts."""

    med_list_codg: str
    quantity: int
    bought_on: date


@dataclass(frozen=True, slots=True)
class StockView:
    """An institution's untraced stock of one drug: registered, sold (not returned), left."""

    med_list_codg: str
    registered: int
    sold: str
    """Boxes, exact ("3", "5/2" after split sales)."""
    left: str
    bought_on: date
    """The earliest purchase registered."""
