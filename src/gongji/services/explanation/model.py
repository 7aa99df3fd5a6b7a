"""What an explanation gives: a settlement's lines, and three short lists of steps that each
add up (the fees by catalog class, who paid, how your part was paid), with notes. Each step
is a word key (web/i18n.py: exp_*) with its amount in fen and its parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

CLASSES = {"01": "class_a", "02": "class_b", "03": "class_c"}
"""chrgitm_lv to a word key: 甲类, 乙类, 丙类."""


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    """A word key (web/i18n.py: exp_*)."""
    amount: int
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LineStep:
    feedetl_sn: str
    name: str
    med_list_codg: str
    catalog_class: str
    """class_a, class_b, class_c or not_listed."""
    fee: int
    fulamt_ownpay_amt: int
    overlmt_amt: int
    preselfpay_amt: int
    inscp_scp_amt: int
    selfpay_percent: str
    """The class B first self-pay share, as "10%" ("" when none)."""
    cap: int | None


@dataclass(frozen=True, slots=True)
class Explanation:
    total: int
    rule: dict[str, str]
    """The benefit rule applied, as policy names it (name_zh, name_en)."""
    out_of_area: bool
    filing_kind: str | None
    lines: tuple[LineStep, ...]
    split: tuple[Step, ...]
    """The fees by how the catalog treats them; sums to total."""
    payers: tuple[Step, ...]
    """Who carried the fees: each fund, the hospital, you; sums to total."""
    yours: tuple[Step, ...]
    """How your part was paid; sums to psn_part_amt."""
    notes: tuple[Step, ...]
    """Wallet quota not used (the institution does not take the wallet), deductible paid,
    the fund's ratio, the 大病保险 cap raised by incentives (base and plus in fen), what a
    fund may still pay this year, balance left."""
