"""What hand claims take and give: a submission (the invoice, its fee lines, the diagnosis,
the dates, where to pay), a review, and a claim as the person and the reviewer see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from gongji.services.settlement.model import DetailView, LineView


@dataclass(frozen=True, slots=True)
class ClaimLineIn:
    feedetl_sn: str
    med_list_codg: str
    cnt: str
    """16,4 as text."""
    pric: str
    """Unit price, yuan, 16,6 as text."""
    det_item_fee_sumamt: int
    """fen: cnt x pric rounded half up."""


@dataclass(frozen=True, slots=True)
class SubmitClaim:
    psn_no: str
    insutype: str
    fixmedins_code: str
    """The designated institution that gave the care and the invoice."""
    med_type: str
    begndate: date
    enddate: date
    dise_codg: str
    dise_name: str
    invoice_no: str
    medfee_sumamt: int
    """The invoice's total, fen: the fee lines add up to it."""
    lines: tuple[ClaimLineIn, ...]
    bank_name: str
    bank_acct: str
    acct_used: bool = True
    """Let the personal account pay its share of the self-paid part (employees)."""


@dataclass(frozen=True, slots=True)
class LineDecision:
    feedetl_sn: str
    cnt: str
    """The quantity admitted: at most the quantity claimed, 0 leaves the line out."""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Review:
    approve: bool
    lines: tuple[LineDecision, ...] = ()
    reason: str = ""
    """Why it is refused (required), or a note on an approval."""


@dataclass(frozen=True, slots=True)
class ClaimLineView:
    feedetl_sn: str
    med_list_codg: str
    name: str | None
    cnt: str
    pric: str
    det_item_fee_sumamt: int
    admitted_cnt: str | None
    admitted_amt: int | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class Reimbursement:
    """What approval computed (the same amounts as a direct settlement's setlinfo)."""

    medfee_sumamt: int
    """What was admitted (the invoice's total less what the review left out)."""
    fulamt_ownpay_amt: int
    overlmt_selfpay: int
    preselfpay_amt: int
    inscp_scp_amt: int
    act_pay_dedc: int
    hifp_pay: int
    hifmi_pay: int
    hifob_pay: int
    maf_pay: int
    fund_pay_sumamt: int
    acct_pay: int
    psn_cash_pay: int
    reimbursed: int
    """Paid to the person: the funds' part and the personal account's."""
    rule: str
    filing_kind: str | None
    setldetail: tuple[DetailView, ...]
    lines: tuple[LineView, ...]


@dataclass(frozen=True, slots=True)
class ClaimView:
    claim_id: str
    psn_no: str
    psn_name_masked: str
    insutype: str
    insuplc_admdvs: str
    fixmedins_code: str
    fixmedins_name: str
    mdtrtarea_admvs: str
    med_type: str
    care: str
    begndate: date
    enddate: date
    dise_codg: str
    dise_name: str
    invoice_no: str
    medfee_sumamt: int
    bank_name: str
    bank_acct_masked: str
    acct_used: bool
    status: str
    status_zh: str
    status_en: str
    submitted_by: str
    """person (themselves) or proxy (a relative holding their 亲情账户)."""
    submitted_at: datetime
    reviewed_at: datetime | None
    reason: str | None
    paid_at: datetime | None
    cancelled_at: datetime | None
    lines: tuple[ClaimLineView, ...]
    reimbursement: Reimbursement | None
