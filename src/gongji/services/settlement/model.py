"""What settlement takes and gives: commands from institutions, and the views of visits,
fee lines and settlements. Amounts are fen; the setlinfo amounts are domain.settlement's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from gongji.domain.catalog import ratio_text
from gongji.domain.settlement import DetailRow, LineResult, Paid, Setlinfo
from gongji.services.people.model import Enrollment

MED_TYPES = {"11": "outpatient", "13": "outpatient", "14": "chronic", "21": "inpatient",
             "25": "inpatient", "28": "inpatient", "41": "pharmacy"}
"""med_type -> care type (maternity 51/52 is another scheme and not settled here)."""

CARE_GROUPS = ({"11", "13", "14"}, {"21", "25", "28"}, {"41"})
"""A visit's med_type may change within its group (an outpatient visit becomes chronic/special
when the diagnosis says so), never across (an outpatient visit is not a stay)."""

CLR_TYPES = {"inpatient": "21", "pharmacy": "41"}
"""The clearing type of a care type (every other care clears as outpatient, 11)."""


# -- commands -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Credential:
    mdtrt_cert_type: Literal["01", "02", "03", "PA"]
    """01 insurance code (医保码), 02 resident ID number, 03 social security card; PA (ours,
    never sent by a HIS) a payment authorization the person gave for an online order
    (payAuthNo, services/mobilepay)."""
    mdtrt_cert_no: str


@dataclass(frozen=True, slots=True)
class OpenVisit:
    credential: Credential
    insutype: str
    med_type: str
    ipt_otp_no: str | None = None
    dise_codg: str | None = None
    """The diagnosis; for chronic/special visits (med_type 14) one of the recognised diseases."""
    psn_no: str | None = None
    """Whose visit the HIS says it is (the national 2201/2401 name the person): checked
    against the credential."""


@dataclass(frozen=True, slots=True)
class FeeIn:
    feedetl_sn: str
    med_list_codg: str
    cnt: str
    """16,4 as text: "2", "0.5"."""
    pric: str
    """16,6 yuan as text."""
    det_item_fee_sumamt: int
    medins_list_codg: str | None = None
    within_limits: bool = False
    trace_codes: tuple[str, ...] = ()
    trdn_flag: bool = False
    """A split sale (拆零) of one box: cnt counts units when the catalog gives the item's
    units per box (pack_cnt), else it is the part of the box sold."""
    chrg_bchno: str | None = None
    """The HIS's charge batch number (收费批次号), to cancel a batch at once."""


@dataclass(frozen=True, slots=True)
class Refund:
    """A refund line (2301 退费): the negative of a pending line it names, withdrawing it."""

    init_feedetl_sn: str | None
    cnt: str
    det_item_fee_sumamt: int


@dataclass(frozen=True, slots=True)
class SettleAsk:
    credential: Credential
    acct_used_flag: bool = True
    medfee_sumamt: int | None = None
    """When given, must equal the pending lines' total (the HIS and gongji agree)."""
    medins_setl_id: str | None = None
    """The institution's own settlement id (the national msgid); unique per institution."""
    final: bool = True
    """False for a mid-stay settlement (中途结算): the stay stays open."""
    expected: Mapping[str, int] = field(default_factory=dict)
    """Splits the HIS computed (domain.settlement.EXPECTED): each must be ours."""
    psn_no: str | None = None
    """The person the HIS names, when it names one: must be the visit's (PSN_NO_MISMATCH)."""
    trace_later: bool = False
    """An online order is paid before it ships: its drugs' trace codes come with the
    shipment (3505 naming the settlement), where the resale check runs."""


MessageKind = Literal["visit", "fees", "settlement", "purchase", "sale"]
"""What an institution's message did, for 冲正: opened a visit, uploaded fee lines, settled,
sold at a pharmacy in one step (visit, lines and settlement), recorded a trace-code sale."""


# -- views ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class VisitView:
    mdtrt_id: str
    psn_no: str
    insutype: str
    med_type: str
    care: str
    fixmedins_code: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    out_of_area: bool
    first_stay: bool
    status: str
    begntime: datetime


@dataclass(frozen=True, slots=True)
class LineView:
    feedetl_sn: str
    med_list_codg: str
    name: str | None
    det_item_fee_sumamt: int
    fulamt_ownpay_amt: int
    overlmt_amt: int
    preselfpay_amt: int
    inscp_scp_amt: int
    pric_uplmt_amt: int | None
    selfpay_prop: str
    chrgitm_lv: str
    med_chrgitm_type: str
    lmt_used_flag: bool
    in_catalog: bool


@dataclass(frozen=True, slots=True)
class Uploaded:
    """What a fee upload did: the lines classified, and the lines a refund withdrew."""

    mdtrt_id: str
    lines: list[LineView]
    withdrawn: list[str] = field(default_factory=list)


DetailView = DetailRow
"""A setldetail row: a fund's part (the engine's own row)."""
PaymentView = Paid
"""Where part of the personal burden was paid from (the engine's own record)."""


@dataclass(frozen=True, slots=True)
class SettlementView(Setlinfo):
    """A settlement (or a pre-settlement) as the national setlinfo shows it: the amounts
    (Setlinfo), its setldetail, the line results and where the personal burden was paid
    from."""

    setl_id: str | None
    """None for a pre-settlement."""
    mdtrt_id: str
    psn_no: str
    psn_name_masked: str
    insutype: str
    psn_type: str
    med_type: str
    setl_time: datetime
    medins_setl_id: str | None
    status: str
    """presettled, settled, cancelled."""
    balc: int | None
    """The person's own personal account balance after settlement."""
    clr_type: str
    clr_optins: str
    """The clearing agency: the care region."""
    out_of_area: bool
    filing_kind: str | None
    rule: str
    setldetail: tuple[DetailView, ...]
    lines: tuple[LineView, ...]
    payments: tuple[PaymentView, ...]
    mdtrt_cert_type: str | None = None
    """The credential the settlement was made with (01 insurance code, 02 ID number,
    03 card); None for settlements recorded before it was kept."""
    certno: str | None = None
    """The holder's ID number in full, for the settling institution's setlinfo (it holds it
    from 1101 already): set by settle, cancel and get, never by the person's pages' views."""
    gend: str | None = None
    brdy: date | None = None
    age: int | None = None
    """Whole years on the settlement's business day."""
    supp_cap: int | None = None
    """The supplementary layer's (大病保险 / 大额补助) annual cap this year, its raise
    included; None where it has none or does not apply to the visit."""
    supp_plus: int = 0
    """The raise in supp_cap for continuous enrollment and claim-free years (大病保险 激励)."""
    quota_not_accepted: int = 0
    """Wallet quota (医保钱包共济额度) the person held that paid nothing because the
    institution does not take the wallet: what it would have paid (0: none was left unused)."""


@dataclass(frozen=True, slots=True)
class Reversal:
    """What 冲正 of a message did."""

    omsgid: str
    kind: MessageKind
    outcome: Literal["undone", "already_undone", "nothing"]
    """undone now; undone before (nothing more to do); the message never took effect."""
    setl_id: str | None = None
    mdtrt_id: str | None = None
    count: int = 0
    """Fee lines withdrawn, or trace-code sales returned."""

    @property
    def done(self) -> bool:
        return self.outcome == "undone"


@dataclass(frozen=True, slots=True)
class PersonInfo:
    psn_no: str
    certno: str
    psn_name: str
    gend: str
    brdy: date
    age: int
    """Whole years on the business day."""
    enrollments: tuple[Enrollment, ...]
    balc: int | None
    """The person's own personal account balance."""


@dataclass(frozen=True, slots=True)
class Accumulation:
    """One accumulator of a person's year: what the deductibles, layers and caps have used."""

    insutype: str
    year: int
    name: str
    """ded:{group}, base:{group}, paid:{group}, supp:base, supp:paid, maf:base, maf:paid."""
    value: int


def line_view(r: LineResult, name: str | None) -> LineView:
    return LineView(r.feedetl_sn, r.med_list_codg, name, r.det_item_fee_sumamt,
                    r.fulamt_ownpay_amt, r.overlmt_amt, r.preselfpay_amt, r.inscp_scp_amt,
                    r.pric_uplmt_amt, ratio_text(r.selfpay_prop), r.chrgitm_lv,
                    r.med_chrgitm_type, r.lmt_used_flag, r.in_catalog)


# -- what the queries show (5201, 5204, 5205, 2001) ------------------------------------------------

@dataclass(frozen=True, slots=True)
class VisitInfo:
    """A visit as 5201 shows it (mdtrtinfo) to its own institution: the visit, and the
    person as enrolled then; named as setlinfo names them (ID number in full, name
    masked)."""

    mdtrt_id: str
    psn_no: str
    certno: str
    psn_name_masked: str
    gend: str
    brdy: date
    age: int
    """Whole years on the visit's first day."""
    insutype: str
    psn_type: str | None
    maf_psn_flag: bool
    """Eligible for medical assistance on the visit's first day."""
    insuplc_admdvs: str
    emp_name: str | None
    mdtrt_cert_type: str
    med_type: str
    ipt_otp_no: str | None
    dise_codg: str | None
    dise_name: str | None
    """The chronic/special disease's name when dise_codg is one of ours."""
    begntime: datetime
    endtime: datetime | None
    in_hospital: bool
    """A stay not yet discharged nor settled."""


@dataclass(frozen=True, slots=True)
class FeeLineInfo:
    """A fee line as 5204 and 5205 show it: as received, and as classified (by its
    settlement once settled; by the care region's catalog in force today while pending)."""

    mdtrt_id: str
    setl_id: str | None
    psn_no: str
    fixmedins_code: str
    fixmedins_name: str
    med_type: str
    feedetl_sn: str
    fee_ocur_time: datetime
    cnt: str
    pric: str
    medins_list_codg: str | None
    list_type: str | None
    """The catalog item's list type (None: not in the catalog)."""
    spec: str | None
    within_limits: bool
    """The HIS declared the approved indication of a limited-use item (hosp_appr_flag)."""
    line: LineView


@dataclass(frozen=True, slots=True)
class StayInfo:
    """An open stay as 5303 shows it to its own institution: the visit as 5201 shows it,
    whether it is cared for outside the insured region, and the institution."""

    visit: VisitInfo
    out_of_area: bool
    fixmedins_code: str
    fixmedins_name: str
