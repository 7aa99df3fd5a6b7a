"""Settlement at designated hospitals and pharmacies: visits, fee lines, pre-settle, settle,
cancel.

An institution opens a visit (mdtrt) with the credential the person presents, uploads fee
lines, pre-settles (nothing moves) and settles: one unit of work that runs the pure engine
(domain/settlement.py) with the care region's catalog and the insured region's benefits, then
writes one ledger entry moving every amount, the year's accumulators, the trace-code sales and
the settlement record. Cancelling writes the mirror entry and takes every accumulator back.

Settlements of one person are serialised (their person row is locked first), so two
counters at once cannot both use the same deductible.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.domain import credentials as codes
from gongji.domain import settlement as engine
from gongji.domain import tracecode
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.ids import new_code
from gongji.domain.regions import cross_province, province_of
from gongji.ledger.kinds import AccountKind, account_code
from gongji.services import catalog, credentials, filing, people
from gongji.services.family import return_quota
from gongji.services.institutions import Institution, get_in
from gongji.services.runtime import Gongji, Written, to_json
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import (
    accumulators,
    bindings,
    credential_uses,
    fee_details,
    person_flags,
    persons,
    settlements,
    stay_accumulators,
    trace_sales,
    visits,
    wallets,
)

SETTLEMENT = "settlement"
MED_TYPES = {"11": "outpatient", "13": "outpatient", "14": "chronic", "21": "inpatient",
             "25": "inpatient", "28": "inpatient", "41": "pharmacy"}
"""med_type -> care type (maternity 51/52 is another scheme and not settled here)."""


# -- commands and views -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Credential:
    mdtrt_cert_type: Literal["01", "02", "03"]
    """01 insurance code (医保码), 02 resident ID number, 03 social security card."""
    mdtrt_cert_no: str


@dataclass(frozen=True, slots=True)
class OpenVisit:
    credential: Credential
    insutype: str
    med_type: str
    ipt_otp_no: str | None = None
    dise_codg: str | None = None
    """The diagnosis; for chronic/special visits (med_type 14) one of the recognised diseases."""


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
    """A split sale (拆零) of one box: cnt is the fraction of the box sold."""
    chrg_bchno: str | None = None
    """The HIS's charge batch number (收费批次号), to cancel a batch at once."""


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
class DetailView:
    fund_pay_type: str
    fund_pay_type_name: str
    inscp_scp_amt: int
    crt_payb_lmt_amt: int | None
    fund_payamt: int


@dataclass(frozen=True, slots=True)
class PaymentView:
    kind: str
    sponsor: str | None
    amount: int


@dataclass(frozen=True, slots=True)
class SettlementView:
    """The national setlinfo (amounts in fen here; yuan at the edges), its setldetail, the
    line results and where the personal burden was paid from."""

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
    medfee_sumamt: int
    fulamt_ownpay_amt: int
    overlmt_selfpay: int
    preselfpay_amt: int
    inscp_scp_amt: int
    act_pay_dedc: int
    hifp_pay: int
    pool_prop_selfpay: str
    cvlserv_pay: int
    hifes_pay: int
    hifmi_pay: int
    hifob_pay: int
    maf_pay: int
    oth_pay: int
    fund_pay_sumamt: int
    psn_part_amt: int
    acct_pay: int
    acct_mulaid_pay: int
    psn_cash_pay: int
    hosp_part_amt: int
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
    year_deltas: dict[str, int]
    stay_deltas: dict[str, int]


# -- visits and fee lines -----------------------------------------------------------------------

def open_visit(app: Gongji, who: Principal, key: str | None, cmd: OpenVisit
               ) -> Written[VisitView]:
    return app.write(who, key=key, operation="visit.open", request=to_json(cmd, OpenVisit),
                     fn=lambda uow: open_in(uow, who, cmd), result_type=VisitView)


def open_in(uow: UnitOfWork, who: Principal, cmd: OpenVisit) -> VisitView:
    """Open a visit inside the caller's unit of work (REST, the gateway, a purchase)."""
    inst = _institution(uow, who)
    care = MED_TYPES.get(cmd.med_type)
    if care is None:
        raise GongjiError("MED_TYPE_UNSUPPORTED", med_type=cmd.med_type,
                          allowed=", ".join(MED_TYPES))
    if (care == "pharmacy") != (inst.fixmedins_type == "2"):
        raise GongjiError("MED_TYPE_UNSUPPORTED", med_type=cmd.med_type,
                          allowed="41" if inst.fixmedins_type == "2" else "11-28")
    psn_no, jti = _present(uow, cmd.credential, used_by=who.scope, consume=True)
    enrolled = [e for e in people.enrollments_of(uow.conn, psn_no, active_only=True)
                if e.insutype == cmd.insutype]
    if not enrolled:
        raise GongjiError("NOT_ENROLLED", who=Bi(f"参保人（险种 {cmd.insutype}）",
                                                 f"The person (insutype {cmd.insutype})"))
    home = enrolled[0].insuplc_admdvs
    if care == "chronic" and not cmd.dise_codg:
        raise GongjiError("CHRONIC_DISEASE_INVALID", code="(none)")
    first = True
    if care == "inpatient":
        earlier = uow.conn.execute(select(func.count()).select_from(visits).where(
            visits.c.psn_no == psn_no, visits.c.insutype == cmd.insutype,
            visits.c.care == "inpatient", visits.c.status != "cancelled",
            visits.c.begntime >= datetime(uow.today.year, 1, 1,
                                          tzinfo=uow.now.tzinfo))).scalar_one()
        first = earlier == 0
    mdtrt_id = new_code("M")
    uow.conn.execute(insert(visits), dict(
        mdtrt_id=mdtrt_id, psn_no=psn_no, insutype=cmd.insutype,
        fixmedins_code=inst.fixmedins_code, med_type=cmd.med_type, care=care,
        mdtrtarea_admvs=inst.admdvs, insuplc_admdvs=home,
        mdtrt_cert_type=cmd.credential.mdtrt_cert_type, ipt_otp_no=cmd.ipt_otp_no,
        begntime=uow.now, first_stay=first, dise_codg=cmd.dise_codg, status="open",
        created_at=uow.now))
    if jti:
        uow.conn.execute(update(credential_uses).where(credential_uses.c.jti == jti)
                         .values(used_by=f"{who.scope}:{mdtrt_id}"))
    uow.record("visit.open", subject=mdtrt_id, chain=home,
               detail={"institution": inst.fixmedins_code, "med_type": cmd.med_type})
    return visit_view(uow, mdtrt_id)


def upload_fees(app: Gongji, who: Principal, key: str | None, mdtrt_id: str,
                lines: tuple[FeeIn, ...]) -> Written[list[LineView]]:
    """Upload fee lines (2204/2301); each is classified by the care region's catalog now."""
    return app.write(who, key=key, operation="visit.fees",
                     request={"mdtrt_id": mdtrt_id,
                              "lines": [to_json(f, FeeIn) for f in lines]},
                     fn=lambda uow: upload_in(uow, who, mdtrt_id, lines),
                     result_type=list[LineView])


def upload_in(uow: UnitOfWork, who: Principal, mdtrt_id: str,
              lines: tuple[FeeIn, ...]) -> list[LineView]:
    v = _visit(uow, who, mdtrt_id, lock=True)
    if not lines:
        raise GongjiError("FEE_LINES_EMPTY")
    existing = set(uow.conn.execute(select(fee_details.c.feedetl_sn).where(
        fee_details.c.mdtrt_id == mdtrt_id)).scalars())
    parsed = [_fee_line(f) for f in lines]
    seen: set[str] = set()
    for f in lines:
        if f.feedetl_sn in existing or f.feedetl_sn in seen:
            raise GongjiError("FEE_LINE_INVALID", feedetl_sn=f.feedetl_sn,
                              reason="feedetl_sn already uploaded")
        seen.add(f.feedetl_sn)
        for t in f.trace_codes:
            tracecode.parse(t)
    items = catalog.lookup(uow, v.mdtrtarea_admvs, [f.med_list_codg for f in lines],
                           uow.today)
    refuse_over_cap = uow.policy(v.mdtrtarea_admvs).settlement.over_cap == "refuse"
    for p in parsed:
        item = items.get(p.med_list_codg)
        if item is None:
            raise GongjiError("CATALOG_ITEM_NOT_FOUND", code=p.med_list_codg)
        if refuse_over_cap and item.pric_uplmt_amt is not None and \
                p.pric * 100 > item.pric_uplmt_amt:
            raise GongjiError("FEE_PRICE_OVER_CAP", feedetl_sn=p.feedetl_sn,
                              cap=_yuan(item.pric_uplmt_amt), pric=str(p.pric))
    results = [engine.classify(p, items.get(p.med_list_codg)) for p in parsed]
    uow.conn.execute(insert(fee_details), [{
        "mdtrt_id": mdtrt_id, "feedetl_sn": f.feedetl_sn, "med_list_codg": f.med_list_codg,
        "medins_list_codg": f.medins_list_codg, "cnt": str(p.cnt), "pric": str(p.pric),
        "det_item_fee_sumamt": f.det_item_fee_sumamt, "fee_ocur_time": uow.now,
        "within_limits": f.within_limits, "trace_codes": json.dumps(list(f.trace_codes)),
        "trdn_flag": f.trdn_flag, "chrg_bchno": f.chrg_bchno, "status": "pending",
        "uploaded_at": uow.now}
        for f, p in zip(lines, parsed, strict=True)])
    return [_line_view(r, items.get(r.med_list_codg)) for r in results]


def cancel_fees(app: Gongji, who: Principal, key: str | None, mdtrt_id: str,
                feedetl_sns: tuple[str, ...] = (), chrg_bchno: str | None = None
                ) -> Written[int]:
    """Withdraw uploaded lines not yet settled (2205/2302): those named, or a charge batch,
    or all of them when nothing is named."""
    def run(uow: UnitOfWork) -> int:
        return cancel_fees_in(uow, who, mdtrt_id, feedetl_sns, chrg_bchno)

    return app.write(who, key=key, operation="visit.fees_cancel",
                     request={"mdtrt_id": mdtrt_id, "feedetl_sns": list(feedetl_sns),
                              "chrg_bchno": chrg_bchno}, fn=run, result_type=int)


def cancel_fees_in(uow: UnitOfWork, who: Principal, mdtrt_id: str,
                   feedetl_sns: tuple[str, ...] = (), chrg_bchno: str | None = None) -> int:
    _visit(uow, who, mdtrt_id, lock=True)
    q = update(fee_details).where(fee_details.c.mdtrt_id == mdtrt_id,
                                  fee_details.c.status == "pending")
    if feedetl_sns:
        q = q.where(fee_details.c.feedetl_sn.in_(feedetl_sns))
    if chrg_bchno:
        q = q.where(fee_details.c.chrg_bchno == chrg_bchno)
    return int(uow.conn.execute(q.values(status="cancelled")).rowcount)


CARE_GROUPS = ({"11", "13", "14"}, {"21", "25", "28"}, {"41"})
"""A visit's med_type may change within its group (an outpatient visit becomes chronic/special
when the diagnosis says so), never across (an outpatient visit is not a stay)."""


def update_visit(uow: UnitOfWork, who: Principal, mdtrt_id: str, *, med_type: str | None,
                 dise_codg: str | None) -> VisitView:
    """The visit's information (2203, 2401's diagnosis): med_type and diagnosis."""
    v = _visit(uow, who, mdtrt_id, lock=True)
    if v.status != "open":
        raise GongjiError("VISIT_NOT_OPEN", mdtrt_id=mdtrt_id)
    values: dict[str, Any] = {}
    if med_type is not None and med_type != v.med_type:
        group = next(g for g in CARE_GROUPS if v.med_type in g)
        if med_type not in group or med_type not in MED_TYPES:
            raise GongjiError("MED_TYPE_UNSUPPORTED", med_type=med_type,
                              allowed=", ".join(sorted(group)))
        values.update(med_type=med_type, care=MED_TYPES[med_type])
    if dise_codg is not None:
        values["dise_codg"] = dise_codg
    if values:
        uow.conn.execute(update(visits).where(visits.c.mdtrt_id == mdtrt_id).values(**values))
    return visit_view(uow, mdtrt_id)


def discharge(uow: UnitOfWork, who: Principal, mdtrt_id: str, *, undo: bool = False
              ) -> VisitView:
    """Record (2402) or withdraw (2405) the discharge of a stay; settlement closes it."""
    v = _visit(uow, who, mdtrt_id, lock=True)
    if v.care != "inpatient" or v.status == "cancelled":
        raise GongjiError("VISIT_NOT_OPEN", mdtrt_id=mdtrt_id)
    uow.conn.execute(update(visits).where(visits.c.mdtrt_id == mdtrt_id)
                     .values(endtime=None if undo else uow.now))
    uow.record("visit.discharge_undo" if undo else "visit.discharge", subject=mdtrt_id)
    return visit_view(uow, mdtrt_id)


@dataclass(frozen=True, slots=True)
class PersonInfo:
    psn_no: str
    certno: str
    psn_name: str
    gend: str
    brdy: date
    enrollments: tuple[people.Enrollment, ...]
    balc: int | None
    """The person's own personal account balance."""


def person_info(uow: UnitOfWork, who: Principal, cred: Credential) -> PersonInfo:
    """Who presented this credential (1101): checked, not used up (the visit uses it up)."""
    _institution(uow, who)
    psn_no, _ = _present(uow, cred, used_by=who.scope, consume=False)
    p = people.person(uow.conn, psn_no)
    own = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=psn_no))
    return PersonInfo(p.psn_no, p.certno, p.name, p.gend, p.brdy,
                      tuple(people.enrollments_of(uow.conn, psn_no)),
                      own.balance if own else None)


def cancel_visit(app: Gongji, who: Principal, key: str | None, mdtrt_id: str
                 ) -> Written[VisitView]:
    """Cancel a registration (2202/2404) that has no live settlement."""
    return app.write(who, key=key, operation="visit.cancel", request={"mdtrt_id": mdtrt_id},
                     fn=lambda uow: cancel_visit_in(uow, who, mdtrt_id), result_type=VisitView)


def cancel_visit_in(uow: UnitOfWork, who: Principal, mdtrt_id: str) -> VisitView:
    v = _visit(uow, who, mdtrt_id, lock=True)
    live = uow.conn.execute(select(settlements.c.setl_id).where(
        settlements.c.mdtrt_id == mdtrt_id, settlements.c.status == "settled")).first()
    if live is not None or v.status != "open":
        raise GongjiError("VISIT_NOT_OPEN", mdtrt_id=mdtrt_id)
    uow.conn.execute(update(fee_details).where(fee_details.c.mdtrt_id == mdtrt_id,
                                               fee_details.c.status == "pending")
                     .values(status="cancelled"))
    uow.conn.execute(update(visits).where(visits.c.mdtrt_id == mdtrt_id)
                     .values(status="cancelled", endtime=uow.now))
    uow.record("visit.cancel", subject=mdtrt_id)
    return visit_view(uow, mdtrt_id)


# -- pre-settle, settle, cancel --------------------------------------------------------------

def purchase(app: Gongji, who: Principal, key: str | None, visit: OpenVisit,
             lines: tuple[FeeIn, ...], ask: SettleAsk) -> Written[SettlementView]:
    """A pharmacy sale in one unit of work (2102): the visit, its lines and the settlement
    all happen, or none of it does."""
    def run(uow: UnitOfWork) -> SettlementView:
        v = open_in(uow, who, visit)
        upload_in(uow, who, v.mdtrt_id, lines)
        return settle_in(uow, who, v.mdtrt_id, ask, write=True)

    return app.write(who, key=key, operation="purchase",
                     request={"visit": to_json(visit, OpenVisit),
                              "lines": [to_json(f, FeeIn) for f in lines],
                              "ask": to_json(ask, SettleAsk)}, fn=run,
                     result_type=SettlementView)


def quote_purchase(app: Gongji, who: Principal, visit: OpenVisit, lines: tuple[FeeIn, ...],
                   ask: SettleAsk) -> SettlementView:
    """A pharmacy pre-settlement (2101): the whole sale computed and rolled back."""
    def run(uow: UnitOfWork) -> SettlementView:
        v = open_in(uow, who, visit)
        upload_in(uow, who, v.mdtrt_id, lines)
        view = settle_in(uow, who, v.mdtrt_id, ask, write=False)
        return _replace(view, mdtrt_id="", setl_id=None)

    return app.dry_run(who, run)


def pre_settle(app: Gongji, who: Principal, mdtrt_id: str, ask: SettleAsk) -> SettlementView:
    """What settling now would do: every amount, nothing moved, the credential not used up."""
    def run(uow: UnitOfWork) -> SettlementView:
        return settle_in(uow, who, mdtrt_id, ask, write=False)

    return app.read(run, principal=who)


def settle(app: Gongji, who: Principal, key: str | None, mdtrt_id: str,
           ask: SettleAsk) -> Written[SettlementView]:
    return app.write(who, key=key, operation="settle",
                     request={"mdtrt_id": mdtrt_id, **to_json(ask, SettleAsk)},
                     fn=lambda uow: settle_in(uow, who, mdtrt_id, ask, write=True),
                     result_type=SettlementView)


def cancel(app: Gongji, who: Principal, key: str | None, setl_id: str
           ) -> Written[SettlementView]:
    """Cancel a settlement (2208/2305/2103): the mirror ledger entry puts every amount back
    where it came from, accumulators go back, trace codes are freed, the lines can be
    settled again."""
    return app.write(who, key=key, operation="settle.cancel", request={"setl_id": setl_id},
                     fn=lambda uow: cancel_in(uow, who, setl_id), result_type=SettlementView)


@dataclass(frozen=True, slots=True)
class Reversed:
    medins_setl_id: str
    setl_id: str | None
    """The settlement undone; None when the message never took effect (nothing to do)."""
    done: bool


def reverse_by_msgid(app: Gongji, who: Principal, key: str | None,
                     medins_setl_id: str) -> Written[Reversed]:
    """冲正: undo whatever the institution's message did, if it took effect. Reversing a
    message that never took effect, or was already undone, succeeds with nothing done."""
    def run(uow: UnitOfWork) -> Reversed:
        if who.kind != "institution":
            raise GongjiError("FORBIDDEN")
        row = uow.conn.execute(select(settlements.c.setl_id, settlements.c.status).where(
            settlements.c.fixmedins_code == who.id,
            settlements.c.medins_setl_id == medins_setl_id)).first()
        if row is None or row.status != "settled":
            return Reversed(medins_setl_id, row.setl_id if row else None, False)
        cancel_in(uow, who, row.setl_id)
        return Reversed(medins_setl_id, row.setl_id, True)

    return app.write(who, key=key, operation="settle.reverse",
                     request={"medins_setl_id": medins_setl_id}, fn=run, result_type=Reversed)


def cancel_in(uow: UnitOfWork, who: Principal, setl_id: str) -> SettlementView:
    s = uow.conn.execute(select(settlements).where(settlements.c.setl_id == setl_id)
                         .with_for_update()).first()
    if s is None:
        raise GongjiError("SETTLEMENT_NOT_FOUND", setl_id=setl_id)
    if who.kind == "institution" and who.id != s.fixmedins_code:
        raise GongjiError("SETTLEMENT_NOT_FOUND", setl_id=setl_id)
    if s.status != "settled":
        raise GongjiError("SETTLEMENT_NOT_SETTLED", setl_id=setl_id, state=s.status)
    _lock_person(uow, s.psn_no)
    info = json.loads(s.setlinfo)
    reversal = uow.ledger.reverse(s.entry_id, code=f"{SETTLEMENT}.cancel",
                                  memo=f"cancel {setl_id}")
    _accumulate(uow, s.psn_no, s.insutype, s.year, {k: -v for k, v in
                                                    info["year_deltas"].items()})
    _accumulate_stay(uow, s.mdtrt_id, {k: -v for k, v in info["stay_deltas"].items()})
    uow.conn.execute(update(trace_sales).where(trace_sales.c.setl_id == setl_id,
                                               trace_sales.c.status == "sold")
                     .values(status="returned", returned_at=uow.now))
    uow.conn.execute(update(fee_details).where(fee_details.c.setl_id == setl_id)
                     .values(status="pending", setl_id=None))
    uow.conn.execute(update(settlements).where(settlements.c.setl_id == setl_id).values(
        status="cancelled", cancel_entry_id=reversal.id, cancelled_at=uow.now))
    uow.conn.execute(update(visits).where(visits.c.mdtrt_id == s.mdtrt_id)
                     .values(status="open", endtime=None))
    # quota refunded to a binding that has since ended goes straight home to its sponsor
    for p in info["payments"]:
        if p["kind"] == "quota" and _active(uow, p["sponsor"], s.psn_no) is None:
            return_quota(uow, p["sponsor"], s.psn_no)
    uow.record("settlement.cancel", subject=setl_id, chain=s.insuplc_admdvs)
    return get_in_uow(uow, setl_id)


def get(app: Gongji, who: Principal, setl_id: str) -> SettlementView:
    def run(uow: UnitOfWork) -> SettlementView:
        s = uow.conn.execute(select(settlements.c.fixmedins_code, settlements.c.psn_no)
                             .where(settlements.c.setl_id == setl_id)).first()
        if s is None or (who.kind == "institution" and who.id != s.fixmedins_code):
            raise GongjiError("SETTLEMENT_NOT_FOUND", setl_id=setl_id)
        if who.kind == "person":
            from gongji.domain.access import Act
            from gongji.services.access import authorize

            authorize(uow, who, Act.READ, s.psn_no)
        return get_in_uow(uow, setl_id)

    return app.read(run)


def get_in_uow(uow: UnitOfWork, setl_id: str) -> SettlementView:
    s = uow.conn.execute(select(settlements).where(settlements.c.setl_id == setl_id)).one()
    view = _from_json(json.loads(s.setlinfo))
    return _replace(view, status=s.status)


def list_for_person(app: Gongji, who: Principal, psn_no: str, *, limit: int = 50
                    ) -> list[SettlementView]:
    def run(uow: UnitOfWork) -> list[SettlementView]:
        from gongji.domain.access import Act
        from gongji.services.access import authorize

        authorize(uow, who, Act.READ, psn_no)
        ids = uow.conn.execute(select(settlements.c.setl_id).where(
            settlements.c.psn_no == psn_no).order_by(settlements.c.setl_time.desc())
            .limit(limit)).scalars()
        return [get_in_uow(uow, i) for i in ids]

    return app.read(run)


def visit_view(uow: UnitOfWork, mdtrt_id: str) -> VisitView:
    v = uow.conn.execute(select(visits).where(visits.c.mdtrt_id == mdtrt_id)).one()
    return VisitView(v.mdtrt_id, v.psn_no, v.insutype, v.med_type, v.care, v.fixmedins_code,
                     v.mdtrtarea_admvs, v.insuplc_admdvs,
                     v.mdtrtarea_admvs != v.insuplc_admdvs, bool(v.first_stay), v.status,
                     v.begntime)


# -- the computation ----------------------------------------------------------------------------

def settle_in(uow: UnitOfWork, who: Principal, mdtrt_id: str, ask: SettleAsk, *,
              write: bool) -> SettlementView:
    """Pre-settle (write=False) or settle a visit inside the caller's unit of work."""
    v = _visit(uow, who, mdtrt_id, lock=write)
    if v.status != "open":
        raise GongjiError("VISIT_NOT_OPEN", mdtrt_id=mdtrt_id)
    if write:
        _lock_person(uow, v.psn_no)
    psn_no, _jti = _present(uow, ask.credential, used_by=who.scope, consume=write,
                            visit=mdtrt_id)
    if psn_no != v.psn_no:
        raise GongjiError("CREDENTIAL_MISMATCH")
    inst = get_in(uow, v.fixmedins_code)
    rows = uow.conn.execute(select(fee_details).where(
        fee_details.c.mdtrt_id == mdtrt_id, fee_details.c.status == "pending")
        .order_by(fee_details.c.uploaded_at, fee_details.c.feedetl_sn)).all()
    if not rows:
        raise GongjiError("FEE_LINES_EMPTY")
    total = sum(int(r.det_item_fee_sumamt) for r in rows)
    if ask.medfee_sumamt is not None and ask.medfee_sumamt != total:
        raise GongjiError("SETTLE_AMOUNT_MISMATCH", given=_yuan(ask.medfee_sumamt),
                          expected=_yuan(total))
    if not ask.final and v.care != "inpatient":
        raise GongjiError("MID_SETTLEMENT_INPATIENT_ONLY")
    policy = uow.policy(v.insuplc_admdvs)
    out_of_area = v.mdtrtarea_admvs != v.insuplc_admdvs
    if v.care == "pharmacy" and cross_province(v.mdtrtarea_admvs, v.insuplc_admdvs) and \
            policy.settlement.pharmacy_switch_required and \
            not filing.switch_on(uow, v.psn_no, "pharmacy_cross_province"):
        raise GongjiError("PHARMACY_SWITCH_OFF")
    disease = v.dise_codg if v.care == "chronic" else None
    if disease is not None:
        filing.recognised(uow, v.psn_no, disease)
    filed = filing.filing_for(uow, v.psn_no, v.mdtrtarea_admvs, uow.today, disease) \
        if out_of_area else None
    if disease is not None and out_of_area and filed is None:
        raise GongjiError("OUT_OF_AREA_NOT_FILED")
    items = catalog.lookup(uow, v.mdtrtarea_admvs, [r.med_list_codg for r in rows], uow.today)
    lines = [engine.FeeLine(r.feedetl_sn, r.med_list_codg, Decimal(r.cnt), Decimal(r.pric),
                            int(r.det_item_fee_sumamt), bool(r.within_limits)) for r in rows]
    sales = _trace_sales(uow, rows, items, policy.settlement.trace_codes_required_from)
    enrollment = next(e for e in people.enrollments_of(uow.conn, v.psn_no)
                      if e.insutype == v.insutype)
    flags = _flags(uow, v.psn_no)
    person = engine.PersonFacts(v.insutype, enrollment.psn_type,
                                assistance_eligible="assistance" in flags,
                                low_income="low_income" in flags)
    year = uow.today.year
    acc = engine.Accumulators(year=_year_acc(uow, v.psn_no, v.insutype, year),
                              stay=_stay_acc(uow, mdtrt_id))
    visit = engine.Visit(v.care, inst.hosp_lv, uow.today, out_of_area,
                         filed.kind if filed else None, bool(v.first_stay))
    sources = _sources(uow, v.psn_no, v.insuplc_admdvs, inst)
    result = engine.settle(lines, items, visit, person, policy.benefits, acc,
                           [s for s, _ in sources], acct_used=ask.acct_used_flag)
    own = next((s.balance for s, _ in sources if s.kind == "own"), None)
    balc = None if own is None else own - result.acct_pay
    setl_id = new_code("S") if write else None
    view = _view(result, setl_id=setl_id, v=v, person=person, uow=uow, items=items,
                 ask=ask, balc=balc, filed=filed.kind if filed else None,
                 status="settled" if write else "presettled")
    if not write:
        return view
    if ask.medins_setl_id and uow.conn.execute(select(settlements.c.setl_id).where(
            settlements.c.fixmedins_code == inst.fixmedins_code,
            settlements.c.medins_setl_id == ask.medins_setl_id)).first():
        raise GongjiError("SETTLEMENT_DUPLICATE_MSGID", medins_setl_id=ask.medins_setl_id)
    entry = uow.ledger.record(
        _postings(uow, result, v, sources), code=SETTLEMENT, ext_ref=setl_id,
        memo=f"{v.care} {mdtrt_id}", admdvs=v.insuplc_admdvs)
    _accumulate(uow, v.psn_no, v.insutype, year, dict(result.year_deltas))
    _accumulate_stay(uow, mdtrt_id, dict(result.stay_deltas))
    if sales:
        uow.conn.execute(insert(trace_sales), [{
            "id": new_code("T"), "code_key": sale["key"], "raw": sale["raw"],
            "psn_no": v.psn_no, "fixmedins_code": inst.fixmedins_code,
            "med_list_codg": sale["code"], "setl_id": setl_id, "fraction": sale["fraction"],
            "trdn_flag": sale["split"], "status": "sold", "sold_at": uow.now}
            for sale in sales])
    uow.conn.execute(update(fee_details).where(
        fee_details.c.mdtrt_id == mdtrt_id,
        fee_details.c.feedetl_sn.in_([r.feedetl_sn for r in rows]))
        .values(status="settled", setl_id=setl_id))
    clearing = (result.medfee_sumamt - result.psn_cash_pay) if out_of_area else 0
    uow.conn.execute(insert(settlements), dict(
        setl_id=setl_id, mdtrt_id=mdtrt_id, psn_no=v.psn_no, insutype=v.insutype,
        fixmedins_code=inst.fixmedins_code, insuplc_admdvs=v.insuplc_admdvs,
        mdtrtarea_admvs=v.mdtrtarea_admvs, care=v.care, medins_setl_id=ask.medins_setl_id,
        setl_time=uow.now, year=year, status="settled", medfee_sumamt=result.medfee_sumamt,
        fund_pay_sumamt=result.fund_pay_sumamt, acct_pay=result.acct_pay,
        acct_mulaid_pay=result.acct_mulaid_pay, psn_cash_pay=result.psn_cash_pay,
        clearing_amt=clearing, setlinfo=json.dumps(to_json(view, SettlementView)),
        entry_id=entry.id))
    if ask.final:
        uow.conn.execute(update(visits).where(visits.c.mdtrt_id == mdtrt_id)
                         .values(status="closed", endtime=uow.now))
    uow.record("settlement", subject=setl_id or "", chain=v.insuplc_admdvs,
               detail={"mdtrt_id": mdtrt_id, "institution": inst.fixmedins_code})
    return view


def _postings(uow: UnitOfWork, r: engine.Result, v: Any,
              sources: list[tuple[engine.Source, str]]) -> list[tuple[str, int]]:
    """One entry moving every amount: out of the funds, accounts, quotas and the patient's
    cash; into the institution. Across regions the care region advances it (its CLEARING
    account goes negative) and the insured region owes it (its CLEARING account holds it)
    until the monthly clearing."""
    legs: dict[str, int] = {}

    def add(account_id: str, amount: int) -> None:
        if amount:
            legs[account_id] = legs.get(account_id, 0) + amount

    def to(kind: AccountKind, owner: str, admdvs: str, amount: int) -> None:
        """An amount to or from a system account, opened (looked up) only if it moves."""
        if amount:
            add(uow.ledger.open_account(kind, owner=owner, admdvs=admdvs).id, amount)

    home, care = v.insuplc_admdvs, v.mdtrtarea_admvs
    to(AccountKind.FUND_POOL, home, home, -r.hifp_pay)
    to(AccountKind.FUND_CRITICAL, home, home, -(r.hifmi_pay + r.hifob_pay))
    to(AccountKind.FUND_ASSISTANCE, home, home, -r.maf_pay)
    account_of = {(s.kind, s.sponsor): acc for s, acc in sources}
    for p in r.payments:
        add(account_of[(p.kind, p.sponsor)], -p.amount)
    to(AccountKind.CASH, care, care, -r.psn_cash_pay)
    to(AccountKind.INSTITUTION, v.fixmedins_code, care, r.medfee_sumamt)
    if care != home:
        advanced = r.medfee_sumamt - r.psn_cash_pay
        to(AccountKind.CLEARING, home, home, advanced)
        to(AccountKind.CLEARING, care, care, -advanced)
    return [(k, v_) for k, v_ in legs.items() if v_]


def _sources(uow: UnitOfWork, psn_no: str, home: str, inst: Institution
             ) -> list[tuple[engine.Source, str]]:
    """Who may pay the burden, in order: the person's own account; sponsors in the same
    province (authorisation); wallet quota by sponsor, where the institution takes the
    wallet and the wallet is open."""
    out: list[tuple[engine.Source, str]] = []
    own = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=psn_no))
    if own is not None and own.status == "open":
        out.append((engine.Source("own", None, own.balance), own.id))
    active = uow.conn.execute(select(bindings.c.sponsor_psn_no).where(
        bindings.c.beneficiary_psn_no == psn_no, bindings.c.status == "active")
        .order_by(bindings.c.activated_at, bindings.c.id)).scalars().all()
    for sponsor in active:
        e = people.basic_enrollment(uow.conn, sponsor)
        acct = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=sponsor))
        if e is not None and acct is not None and province_of(e.insuplc_admdvs) == \
                province_of(home):
            out.append((engine.Source("family", sponsor, acct.balance), acct.id))
    wallet_open = uow.conn.execute(select(wallets.c.status).where(
        wallets.c.psn_no == psn_no)).scalar() == "open"
    if inst.wallet_supported and wallet_open:
        for sponsor in active:
            q = uow.ledger.account_by_code(account_code(AccountKind.WALLET_QUOTA, owner=psn_no,
                                                        sponsor=sponsor))
            if q is not None and q.balance > 0:
                out.append((engine.Source("quota", sponsor, q.balance), q.id))
    return out


def _trace_sales(uow: UnitOfWork, rows: Sequence[Any], items: dict[str, Any],
                 required_from: date | None) -> list[dict[str, Any]]:
    """The boxes each drug line sells; refused when a code is missing or already sold."""
    boxes: list[tuple[Any, tracecode.TraceCode, Fraction]] = []
    for r in rows:
        item = items.get(r.med_list_codg)
        raw_codes = json.loads(r.trace_codes)
        if item is None or not item.is_drug:
            continue
        needed = required_from is not None and uow.today >= required_from
        cnt = Decimal(r.cnt)
        if not raw_codes:
            if needed:
                raise GongjiError("TRACE_CODE_MISSING", feedetl_sn=r.feedetl_sn)
            continue
        parsed = [tracecode.parse(c) for c in raw_codes]
        if r.trdn_flag:
            if len(parsed) != 1 or cnt > 1:
                raise GongjiError("TRACE_CODE_COUNT", feedetl_sn=r.feedetl_sn,
                                  expected="1 (split sale of one box)", given=len(parsed))
            fractions = [Fraction(cnt)]
        else:
            if cnt != cnt.to_integral_value() or len(parsed) != int(cnt):
                raise GongjiError("TRACE_CODE_COUNT", feedetl_sn=r.feedetl_sn,
                                  expected=str(cnt), given=len(parsed))
            fractions = [Fraction(1)] * len(parsed)
        boxes += [(r, code, f) for code, f in zip(parsed, fractions, strict=True)]

    sold_before: dict[str, list[Any]] = {}
    if boxes:  # every earlier sale of these codes, in one query
        for s in uow.conn.execute(
                select(trace_sales.c.code_key, trace_sales.c.fraction, trace_sales.c.trdn_flag)
                .where(trace_sales.c.code_key.in_({code.key for _, code, _ in boxes}),
                       trace_sales.c.status == "sold")):
            sold_before.setdefault(s.code_key, []).append(s)
    sales: list[dict[str, Any]] = []
    seen: set[str] = set()
    for r, code, fraction in boxes:
        if code.key in seen:
            raise GongjiError("TRACE_CODE_SOLD", code=_masked_code(code.raw))
        seen.add(code.key)
        sold = sold_before.get(code.key, [])
        before = sum((Fraction(s.fraction) for s in sold), Fraction(0))
        split_ok = r.trdn_flag and all(s.trdn_flag for s in sold) and \
            tracecode.split_allowed(before, fraction)
        if sold and not split_ok:
            raise GongjiError("TRACE_CODE_SOLD", code=_masked_code(code.raw))
        sales.append({"key": code.key, "raw": code.raw[:128], "code": r.med_list_codg,
                      "fraction": str(fraction), "split": bool(r.trdn_flag)})
    return sales


def _masked_code(raw: str) -> str:
    return raw[:6] + "…" + raw[-4:] if len(raw) > 12 else raw


# -- credentials, locks, accumulators -------------------------------------------------------

def _present(uow: UnitOfWork, cred: Credential, *, used_by: str, consume: bool,
             visit: str | None = None) -> tuple[str, str | None]:
    """Whose credential this is, and the jti of an insurance code used up now. A code is used
    up when a visit opens; at settle the code that opened this visit is still accepted (even
    expired), or a fresh one."""
    if cred.mdtrt_cert_type == "01":
        secret = credentials.secret(uow.conn, "credential", now=uow.now)
        if visit is not None:
            seen = codes.read(secret, cred.mdtrt_cert_no, uow.now, allow_expired=True)
            used = uow.conn.execute(select(credential_uses.c.used_by).where(
                credential_uses.c.jti == seen.jti)).scalar()
            if used is not None and used.endswith(f":{visit}"):
                return seen.psn_no, None
        token = codes.read(secret, cred.mdtrt_cert_no, uow.now)
        if not consume:
            return token.psn_no, None
        credentials.redeem(uow, cred.mdtrt_cert_no, used_by=used_by)
        return token.psn_no, token.jti
    if cred.mdtrt_cert_type == "02":
        p = people.person_by_certno(uow.conn, cred.mdtrt_cert_no.strip())
        if p is None:
            raise GongjiError("CREDENTIAL_INVALID")
        return p.psn_no, None
    if cred.mdtrt_cert_type == "03":
        return credentials.person_by_card(uow.conn, cred.mdtrt_cert_no), None
    raise GongjiError("CREDENTIAL_INVALID")


def _institution(uow: UnitOfWork, who: Principal) -> Institution:
    if who.kind != "institution":
        raise GongjiError("FORBIDDEN")
    return get_in(uow, who.id)


def _visit(uow: UnitOfWork, who: Principal, mdtrt_id: str, *, lock: bool = False) -> Any:
    q = select(visits).where(visits.c.mdtrt_id == mdtrt_id)
    if lock:
        q = q.with_for_update()
    v = uow.conn.execute(q).first()
    if v is None or who.kind != "institution" or v.fixmedins_code != who.id:
        raise GongjiError("VISIT_NOT_FOUND", mdtrt_id=mdtrt_id)
    return v


def _lock_person(uow: UnitOfWork, psn_no: str) -> None:
    uow.conn.execute(select(persons.c.psn_no).where(persons.c.psn_no == psn_no)
                     .with_for_update())


def _active(uow: UnitOfWork, sponsor: str, beneficiary: str) -> Any:
    return uow.conn.execute(select(bindings.c.id).where(
        bindings.c.sponsor_psn_no == sponsor, bindings.c.beneficiary_psn_no == beneficiary,
        bindings.c.status == "active")).first()


def _flags(uow: UnitOfWork, psn_no: str) -> set[str]:
    return set(uow.conn.execute(select(person_flags.c.flag).where(
        person_flags.c.psn_no == psn_no, person_flags.c.begndate <= uow.today,
        (person_flags.c.enddate.is_(None)) | (person_flags.c.enddate > uow.today))).scalars())


def _year_acc(uow: UnitOfWork, psn_no: str, insutype: str, year: int) -> dict[str, int]:
    return {r.name: int(r.value) for r in uow.conn.execute(select(
        accumulators.c.name, accumulators.c.value).where(
        accumulators.c.psn_no == psn_no, accumulators.c.insutype == insutype,
        accumulators.c.year == year))}


def _stay_acc(uow: UnitOfWork, mdtrt_id: str) -> dict[str, int]:
    return {r.name: int(r.value) for r in uow.conn.execute(select(
        stay_accumulators.c.name, stay_accumulators.c.value).where(
        stay_accumulators.c.mdtrt_id == mdtrt_id))}


def _accumulate(uow: UnitOfWork, psn_no: str, insutype: str, year: int,
                deltas: dict[str, int]) -> None:
    for name, delta in sorted(deltas.items()):
        if not delta:
            continue
        ins = (pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert)(
            accumulators)
        uow.conn.execute(ins.values(psn_no=psn_no, insutype=insutype, year=year, name=name,
                                    value=delta)
                         .on_conflict_do_update(
                             index_elements=["psn_no", "insutype", "year", "name"],
                             set_={"value": accumulators.c.value + delta}))


def _accumulate_stay(uow: UnitOfWork, mdtrt_id: str, deltas: dict[str, int]) -> None:
    for name, delta in sorted(deltas.items()):
        if not delta:
            continue
        ins = (pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert)(
            stay_accumulators)
        uow.conn.execute(ins.values(mdtrt_id=mdtrt_id, name=name, value=delta)
                         .on_conflict_do_update(index_elements=["mdtrt_id", "name"],
                                                set_={"value": stay_accumulators.c.value
                                                      + delta}))


# -- views -------------------------------------------------------------------------------------

def _fee_line(f: FeeIn) -> engine.FeeLine:
    try:
        cnt, pric = Decimal(f.cnt), Decimal(f.pric)
    except (InvalidOperation, TypeError):
        raise GongjiError("FEE_LINE_INVALID", feedetl_sn=f.feedetl_sn,
                          reason="cnt and pric must be decimal numbers") from None
    if not cnt.is_finite() or not pric.is_finite() or \
            int(cnt.as_tuple().exponent) < -4 or int(pric.as_tuple().exponent) < -6:
        raise GongjiError("FEE_LINE_INVALID", feedetl_sn=f.feedetl_sn,
                          reason="cnt has at most 4 decimals, pric at most 6")
    line = engine.FeeLine(f.feedetl_sn, f.med_list_codg, cnt, pric, f.det_item_fee_sumamt,
                          f.within_limits)
    engine.classify(line, None)  # checks cnt, pric and the amount agree
    return line


def _line_view(r: engine.LineResult, item: Any) -> LineView:
    return LineView(r.feedetl_sn, r.med_list_codg, item.name if item else None,
                    r.det_item_fee_sumamt, r.fulamt_ownpay_amt, r.overlmt_amt,
                    r.preselfpay_amt, r.inscp_scp_amt, r.pric_uplmt_amt,
                    _ratio(r.selfpay_prop), r.chrgitm_lv, r.med_chrgitm_type, r.lmt_used_flag,
                    r.in_catalog)


def _ratio(f: Fraction) -> str:
    return f"{Decimal(f.numerator) / Decimal(f.denominator):.4f}"


def _yuan(fen: int) -> str:
    from gongji.domain.money import format_yuan

    return format_yuan(fen)


def _view(r: engine.Result, *, setl_id: str | None, v: Any, person: engine.PersonFacts,
          uow: UnitOfWork, items: dict[str, Any], ask: SettleAsk, balc: int | None,
          filed: str | None, status: str) -> SettlementView:
    p = people.person(uow.conn, v.psn_no)
    return SettlementView(
        setl_id=setl_id, mdtrt_id=v.mdtrt_id, psn_no=v.psn_no,
        psn_name_masked=p.masked.name_masked, insutype=v.insutype, psn_type=person.psn_type,
        med_type=v.med_type, setl_time=uow.now, medins_setl_id=ask.medins_setl_id,
        status=status, medfee_sumamt=r.medfee_sumamt, fulamt_ownpay_amt=r.fulamt_ownpay_amt,
        overlmt_selfpay=r.overlmt_selfpay, preselfpay_amt=r.preselfpay_amt,
        inscp_scp_amt=r.inscp_scp_amt, act_pay_dedc=r.act_pay_dedc, hifp_pay=r.hifp_pay,
        pool_prop_selfpay=_ratio(r.pool_prop_selfpay), cvlserv_pay=r.cvlserv_pay,
        hifes_pay=r.hifes_pay, hifmi_pay=r.hifmi_pay, hifob_pay=r.hifob_pay,
        maf_pay=r.maf_pay, oth_pay=r.oth_pay, fund_pay_sumamt=r.fund_pay_sumamt,
        psn_part_amt=r.psn_part_amt, acct_pay=r.acct_pay, acct_mulaid_pay=r.acct_mulaid_pay,
        psn_cash_pay=r.psn_cash_pay, hosp_part_amt=r.hosp_part_amt, balc=balc,
        clr_type={"inpatient": "21", "pharmacy": "41"}.get(v.care, "11"),
        clr_optins=v.mdtrtarea_admvs, out_of_area=v.mdtrtarea_admvs != v.insuplc_admdvs,
        filing_kind=filed, rule=r.rule,
        setldetail=tuple(DetailView(d.fund_pay_type, d.fund_pay_type_name, d.inscp_scp_amt,
                                    d.crt_payb_lmt_amt, d.fund_payamt) for d in r.detail),
        lines=tuple(_line_view(x, items.get(x.med_list_codg)) for x in r.lines),
        payments=tuple(PaymentView(x.kind, x.sponsor, x.amount) for x in r.payments),
        year_deltas=dict(r.year_deltas), stay_deltas=dict(r.stay_deltas))


def _from_json(data: dict[str, Any]) -> SettlementView:
    from gongji.services.runtime import from_json

    view: SettlementView = from_json(data, SettlementView)
    return view


def _replace(view: SettlementView, **changes: Any) -> SettlementView:
    import dataclasses

    return dataclasses.replace(view, **changes)

