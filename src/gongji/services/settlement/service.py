"""Settlement at designated hospitals and pharmacies: visits, fee lines, pre-settle, settle,
cancel, and 冲正 by message id.

Each door is one request of an institution, whether it comes through the REST API, the
national gateway or the demo cashier. A settlement reads as three steps: load its context
(the visit and its lines, the credential, the person, the care region's catalog, the insured
region's benefits, the filing, the accumulators and who may pay), decide (the pure engine and
the checks of domain/settlement.py), write (one ledger entry moving every amount, the
accumulators, the trace-code sales, the settlement record). A pre-settlement is the first two.

One person's settlements queue on their person row, taken before anything else is read, so
two counters at once cannot both use the same deductible.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, cast

from gongji.domain import credentials as codes
from gongji.domain import filing as filing_rules
from gongji.domain import settlement as engine
from gongji.domain import tracecode
from gongji.domain import treatment as treatments
from gongji.domain.access import Act, Principal
from gongji.domain.catalog import CatalogItem
from gongji.domain.clock import business_date
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.filing import CHRONIC_DISEASES
from gongji.domain.ids import new_code
from gongji.domain.money import format_yuan
from gongji.domain.policy import Policy
from gongji.domain.regions import cross_province, province_of
from gongji.ledger.kinds import AccountKind, account_code
from gongji.services.access import authorize, require_institution
from gongji.services.catalog import service as catalog
from gongji.services.claims import store as claimed
from gongji.services.codec import from_json, to_json
from gongji.services.contributions import service as contributions
from gongji.services.credentials import service as credentials
from gongji.services.door import door
from gongji.services.family import store as bindings
from gongji.services.filing import service as filing
from gongji.services.idempotency import place_tombstone, stored_response
from gongji.services.institutions import service as institutions
from gongji.services.institutions.service import Institution
from gongji.services.people import service as people
from gongji.services.people.model import Person
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.settlement import store
from gongji.services.settlement.model import (
    CARE_GROUPS,
    CLR_TYPES,
    MED_TYPES,
    Accumulation,
    Credential,
    FeeIn,
    FeeLineInfo,
    LineView,
    MessageKind,
    OpenVisit,
    PersonInfo,
    Refund,
    Reversal,
    SettleAsk,
    SettlementView,
    StayInfo,
    Uploaded,
    VisitInfo,
    VisitView,
    line_view,
)
from gongji.services.settlement.store import (
    FeeRecord,
    FeeRow,
    Outcome,
    SettlementRecord,
    VisitRecord,
)
from gongji.services.tracing import service as tracing
from gongji.services.unit_of_work import UnitOfWork
from gongji.services.wallet import service as wallet

SETTLEMENT = "settlement"
"""The ledger entry code of a settlement (its reversal: settlement.cancel)."""


# -- visits -----------------------------------------------------------------------------------

@door
def open_visit(app: Gongji, who: Principal, key: Key, cmd: OpenVisit) -> Written[VisitView]:
    """Open a visit with the credential the person presents (2201/2401)."""
    return app.write(who, key=key, operation="visit.open", request=to_json(cmd, OpenVisit),
                     fn=lambda uow: open_in(uow, who, cmd), result_type=VisitView)


def open_in(uow: UnitOfWork, who: Principal, cmd: OpenVisit) -> VisitView:
    inst = _institution(uow, who)
    care = MED_TYPES.get(cmd.med_type)
    if care is None:
        raise GongjiError("MED_TYPE_UNSUPPORTED", med_type=cmd.med_type,
                          allowed=", ".join(MED_TYPES))
    if (care == "pharmacy") != (inst.fixmedins_type == "2"):
        raise GongjiError("MED_TYPE_UNSUPPORTED", med_type=cmd.med_type,
                          allowed="41" if inst.fixmedins_type == "2" else "11-28")
    if cmd.psn_no is not None:
        _check_person(uow, who, cmd.credential, cmd.psn_no)
    psn_no, jti = _presented(uow, who, cmd.credential, consume=True)
    enrolled = [e for e in _enrollments(uow, psn_no)
                if e.insutype == cmd.insutype and e.status == "active"]
    if not enrolled:
        raise GongjiError("NOT_ENROLLED", who=Bi(f"参保人（险种 {cmd.insutype}）",
                                                 f"The person (insutype {cmd.insutype})"))
    home = enrolled[0].insuplc_admdvs
    if care == "chronic" and not cmd.dise_codg:
        raise GongjiError("CHRONIC_DISEASE_INVALID", code="(none)")
    first = care != "inpatient" or (store.stays_since(
        uow.conn, psn_no, cmd.insutype, datetime(uow.today.year, 1, 1,
                                                 tzinfo=uow.now.tzinfo)) == 0 and
        claimed.approved_stays(uow.conn, psn_no, cmd.insutype, uow.today.year) == 0)
    v = VisitRecord(new_code("M"), psn_no, cmd.insutype, inst.fixmedins_code, cmd.med_type,
                    care, inst.admdvs, home, cmd.credential.mdtrt_cert_type, cmd.ipt_otp_no,
                    uow.now, None, first, cmd.dise_codg, "open")
    store.add_visit(uow.conn, v, at=uow.now)
    uow.memo[("visit.new", v.mdtrt_id)] = v
    if jti:
        credentials.mark_used(uow.conn, jti, f"{who.scope}:{v.mdtrt_id}")
    uow.record("visit.open", subject=v.mdtrt_id, chain=home,
               detail={"institution": inst.fixmedins_code, "med_type": cmd.med_type})
    return visit_view(v)


@door
def update_visit(app: Gongji, who: Principal, key: Key, mdtrt_id: str, *,
                 med_type: str | None = None, dise_codg: str | None = None,
                 psn_no: str | None = None) -> Written[VisitView]:
    """The visit's information (2203, 2401's diagnosis): med_type within its care group,
    and the diagnosis."""
    def run(uow: UnitOfWork) -> VisitView:
        v = _visit(uow, who, mdtrt_id, lock=True, psn_no=psn_no)
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
            _change_visit(uow, mdtrt_id, **values)
        return visit_view(dataclasses.replace(v, **values))

    return app.write(who, key=key, operation="visit.update",
                     request={"mdtrt_id": mdtrt_id, "med_type": med_type,
                              "dise_codg": dise_codg, **_named(psn_no)}, fn=run,
                     result_type=VisitView)


@door
def discharge(app: Gongji, who: Principal, key: Key, mdtrt_id: str, *, undo: bool = False,
              psn_no: str | None = None) -> Written[VisitView]:
    """Record (2402) or withdraw (2405) the discharge of a stay; settling it closes it."""
    def run(uow: UnitOfWork) -> VisitView:
        v = _visit(uow, who, mdtrt_id, lock=True, psn_no=psn_no)
        if v.care != "inpatient" or v.status == "cancelled":
            raise GongjiError("VISIT_NOT_OPEN", mdtrt_id=mdtrt_id)
        endtime = None if undo else uow.now
        _change_visit(uow, mdtrt_id, endtime=endtime)
        uow.record("visit.discharge_undo" if undo else "visit.discharge", subject=mdtrt_id)
        return visit_view(dataclasses.replace(v, endtime=endtime))

    return app.write(who, key=key, operation="visit.discharge",
                     request={"mdtrt_id": mdtrt_id, "undo": undo, **_named(psn_no)}, fn=run,
                     result_type=VisitView)


@door
def cancel_visit(app: Gongji, who: Principal, key: Key, mdtrt_id: str, *,
                 psn_no: str | None = None) -> Written[VisitView]:
    """Cancel a registration (2202/2404) that has no live settlement."""
    return app.write(who, key=key, operation="visit.cancel",
                     request={"mdtrt_id": mdtrt_id, **_named(psn_no)},
                     fn=lambda uow: cancel_visit_in(uow, who, mdtrt_id, psn_no=psn_no),
                     result_type=VisitView)


def cancel_visit_in(uow: UnitOfWork, who: Principal, mdtrt_id: str, *,
                    psn_no: str | None = None) -> VisitView:
    v = _visit(uow, who, mdtrt_id, lock=True, psn_no=psn_no)
    if v.status != "open" or store.live_settlement(uow.conn, mdtrt_id) is not None:
        raise GongjiError("VISIT_NOT_OPEN", mdtrt_id=mdtrt_id)
    store.cancel_fees(uow.conn, mdtrt_id)
    _change_visit(uow, mdtrt_id, status="cancelled", endtime=uow.now)
    uow.record("visit.cancel", subject=mdtrt_id)
    return visit_view(dataclasses.replace(v, status="cancelled", endtime=uow.now))


@door
def person_info(app: Gongji, who: Principal, cred: Credential, *, certno: str | None = None,
                psn_name: str | None = None) -> PersonInfo:
    """Who presented this credential (1101): checked, not used up (the visit uses it up).
    A HIS that also sends the ID number or the name must name the same person."""
    def run(uow: UnitOfWork) -> PersonInfo:
        info = person_info_in(uow, who, cred)
        if (certno and certno.upper() != info.certno) or (psn_name and
                                                          psn_name != info.psn_name):
            raise GongjiError("CREDENTIAL_MISMATCH")
        return info

    return app.read(run, principal=who)


def person_info_in(uow: UnitOfWork, who: Principal, cred: Credential) -> PersonInfo:
    _institution(uow, who)
    psn_no, _ = _presented(uow, who, cred, consume=False)
    p = people.person(uow.conn, psn_no)
    own = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=psn_no))
    return PersonInfo(p.psn_no, p.certno, p.name, p.gend, p.brdy, _age(p.brdy, uow.today),
                      tuple(people.enrollments_of(uow.conn, psn_no)),
                      own.balance if own else None)


# -- fee lines --------------------------------------------------------------------------------

@door
def upload_fees(app: Gongji, who: Principal, key: Key, mdtrt_id: str,
                lines: tuple[FeeIn, ...], refunds: tuple[Refund, ...] = (), *,
                psn_no: str | None = None) -> Written[Uploaded]:
    """Upload fee lines (2204/2301): each is classified by the care region's catalog now. A
    refund line withdraws the whole pending line it names (a partial refund is refused:
    cancel the line and upload the corrected one)."""
    return app.write(who, key=key, operation="visit.fees",
                     request={"mdtrt_id": mdtrt_id,
                              "lines": [to_json(f, FeeIn) for f in lines],
                              "refunds": [to_json(r, Refund) for r in refunds],
                              **_named(psn_no)},
                     fn=lambda uow: upload_in(uow, who, mdtrt_id, lines, refunds,
                                              psn_no=psn_no),
                     result_type=Uploaded)


def upload_in(uow: UnitOfWork, who: Principal, mdtrt_id: str, lines: tuple[FeeIn, ...],
              refunds: tuple[Refund, ...] = (), *, psn_no: str | None = None) -> Uploaded:
    v = _visit(uow, who, mdtrt_id, lock=True, psn_no=psn_no)
    withdrawn = [_refund(uow, mdtrt_id, r) for r in refunds]
    if not lines:
        if withdrawn:
            return Uploaded(mdtrt_id, [], withdrawn)
        raise GongjiError("FEE_LINES_EMPTY")
    existing = set() if _is_new(uow, mdtrt_id) else store.fee_sns(uow.conn, mdtrt_id)
    checked = [_fee_line(f) for f in lines]
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
    for line in checked:
        item = items.get(line.med_list_codg)
        if item is None:
            raise GongjiError("CATALOG_ITEM_NOT_FOUND", code=line.med_list_codg)
        if refuse_over_cap and item.pric_uplmt_amt is not None and \
                line.pric * 100 > item.pric_uplmt_amt:
            raise GongjiError("FEE_PRICE_OVER_CAP", feedetl_sn=line.feedetl_sn,
                              cap=format_yuan(item.pric_uplmt_amt), pric=str(line.pric))
    store.add_fees(uow.conn, v, list(zip(lines, checked, strict=True)), at=uow.now)
    return Uploaded(mdtrt_id, [_line_view(engine.classify(line, items.get(line.med_list_codg)),
                                          items) for line in checked], withdrawn)


def _refund(uow: UnitOfWork, mdtrt_id: str, r: Refund) -> str:
    if r.init_feedetl_sn is None:
        raise GongjiError("GATEWAY_FIELD_INVALID", field="input.feedetail.init_feedetl_sn",
                          reason=Bi("退费明细须填写原明细流水号",
                                    "a refund line names the line it refunds"))
    original = next((f for f in store.pending_fees(uow.conn, mdtrt_id)
                     if f.feedetl_sn == r.init_feedetl_sn), None)
    if original is None:
        raise GongjiError("GATEWAY_FIELD_INVALID", field="input.feedetail.init_feedetl_sn",
                          reason=Bi("原明细不存在或已结算", "the refunded line is not pending"))
    if -Decimal(r.cnt) != Decimal(original.cnt) or \
            -r.det_item_fee_sumamt != original.det_item_fee_sumamt:
        raise GongjiError("GATEWAY_FIELD_INVALID", field="input.feedetail.cnt",
                          reason=Bi("只支持整条退费：请撤销原明细后重新上传",
                                    "partial refunds: cancel the line (2302) and upload the "
                                    "corrected one"))
    store.cancel_fees(uow.conn, mdtrt_id, sns=(original.feedetl_sn,))
    return original.feedetl_sn


@door
def cancel_fees(app: Gongji, who: Principal, key: Key, mdtrt_id: str,
                feedetl_sns: tuple[str, ...] = (), chrg_bchno: str | None = None, *,
                psn_no: str | None = None) -> Written[int]:
    """Withdraw uploaded lines not yet settled (2205/2302): those named, or a charge batch,
    or all of them when nothing is named."""
    def run(uow: UnitOfWork) -> int:
        _visit(uow, who, mdtrt_id, lock=True, psn_no=psn_no)
        return store.cancel_fees(uow.conn, mdtrt_id, sns=feedetl_sns, chrg_bchno=chrg_bchno)

    return app.write(who, key=key, operation="visit.fees_cancel",
                     request={"mdtrt_id": mdtrt_id, "feedetl_sns": list(feedetl_sns),
                              "chrg_bchno": chrg_bchno}, fn=run, result_type=int)


# -- pre-settle, settle ---------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """Everything a settlement of one visit is decided from, read in one unit of work."""

    today: date
    """The business day the settlement is made on."""
    visit: VisitRecord
    institution: Institution
    lines: list[FeeRecord]
    items: dict[str, CatalogItem]
    policy: Policy
    person: engine.PersonFacts
    holder: Person
    """Who the visit is for (the setlinfo names them to the institution)."""
    psn_name_masked: str
    filing_kind: str | None
    acc: engine.Accumulators
    sources: list[tuple[engine.Source, str]]
    """Who may pay the personal burden, in order, with the ledger account of each."""
    not_accepted: list[engine.Source]
    """Wallet quota the person holds that this institution does not take (it does not take
    the wallet): it pays nothing, and the settlement says what it would have paid."""
    sold: dict[str, list[tracecode.Sold]]
    """Earlier sales of the boxes these lines sell."""
    stock_left: dict[str, Fraction]
    """The institution's untraced stock (无码库) left of the drugs sold here without a code."""


@dataclass(frozen=True)
class Decision:
    """What the engine decided, and the boxes the sale takes."""

    result: engine.Result
    boxes: list[tracecode.Box]
    untraced: dict[str, Fraction]
    """Boxes taken per drug from the institution's untraced stock."""


@door
def pre_settle(app: Gongji, who: Principal, mdtrt_id: str, ask: SettleAsk) -> SettlementView:
    """What settling now would do (2206/2303): every amount, nothing moved, the credential
    not used up."""
    return app.read(lambda uow: presettle_in(uow, who, mdtrt_id, ask), principal=who)


@door
def settle(app: Gongji, who: Principal, key: Key, mdtrt_id: str,
           ask: SettleAsk) -> Written[SettlementView]:
    """Settle a visit (2207/2304): one ledger entry moves every amount."""
    return app.write(who, key=key, operation="settle",
                     request={"mdtrt_id": mdtrt_id, **to_json(ask, SettleAsk)},
                     fn=lambda uow: settle_in(uow, who, mdtrt_id, ask),
                     result_type=SettlementView)


def presettle_in(uow: UnitOfWork, who: Principal, mdtrt_id: str,
                 ask: SettleAsk) -> SettlementView:
    ctx = load(uow, who, mdtrt_id, ask, lock=False)
    d = decide(ctx, ask)
    return view_of(_record(ctx, d, ask, setl_id=None, setl_time=uow.now, entry_id=""),
                   status="presettled", holder=ctx.holder)


def settle_in(uow: UnitOfWork, who: Principal, mdtrt_id: str, ask: SettleAsk
              ) -> SettlementView:
    ctx = load(uow, who, mdtrt_id, ask, lock=True)
    d = decide(ctx, ask)
    return view_of(write(uow, ctx, d, ask), holder=ctx.holder)


def load(uow: UnitOfWork, who: Principal, mdtrt_id: str, ask: SettleAsk, *,
         lock: bool) -> Context:
    """Read what the settlement is decided from. With lock (settling), the visit and then
    the person are locked first and the credential is used up."""
    v = _visit(uow, who, mdtrt_id, lock=lock, psn_no=ask.psn_no)
    if v.status != "open":
        raise GongjiError("VISIT_NOT_OPEN", mdtrt_id=mdtrt_id)
    if lock:
        people.lock_person(uow.conn, v.psn_no)
    psn_no, _ = _presented(uow, who, ask.credential, consume=lock, visit=mdtrt_id)
    if psn_no != v.psn_no:
        raise GongjiError("CREDENTIAL_MISMATCH")
    contributions.check_benefits(uow, v.psn_no, v.insutype, business_date(v.begntime))
    lines = store.pending_fees(uow.conn, mdtrt_id)
    if not lines:
        raise GongjiError("FEE_LINES_EMPTY")
    engine.check_ready(care=v.care, final=ask.final, claimed_total=ask.medfee_sumamt,
                       total=sum(f.det_item_fee_sumamt for f in lines))
    policy = uow.policy(v.insuplc_admdvs)
    _check_pharmacy_switch(uow, v, policy)
    disease = v.dise_codg if v.care == "chronic" else None
    if disease is not None:
        filing.recognised(uow, v.psn_no, disease)
    filed = filing.filing_for(uow, v.psn_no, v.mdtrtarea_admvs, uow.today, disease) \
        if v.out_of_area else None
    if disease is not None and v.out_of_area and filed is None:
        raise GongjiError("OUT_OF_AREA_NOT_FILED")
    items = catalog.lookup(uow, v.mdtrtarea_admvs, [f.med_list_codg for f in lines],
                           uow.today)
    inst = institutions.get_in(uow, v.fixmedins_code)
    flags = store.flags(uow.conn, v.psn_no, uow.today)
    enrollment = next(e for e in _enrollments(uow, v.psn_no) if e.insutype == v.insutype)
    holder = _person(uow, v.psn_no)
    boxes_keys = {tracecode.parse(c).key for f in lines for c in f.trace_codes}
    untraced = sorted({f.med_list_codg for f in lines if not f.trace_codes
                       and f.med_list_codg in items and items[f.med_list_codg].is_drug})
    if lock:  # the sales of these boxes, and of this untraced stock, queue until written
        tracing.lock_boxes(uow, boxes_keys | {tracecode.stock_key(v.fixmedins_code, i)
                                              for i in untraced})
    sources, not_accepted = _sources(uow, v.psn_no, v.insuplc_admdvs, inst)
    return Context(
        today=uow.today, visit=v, institution=inst, lines=lines, items=items, policy=policy,
        person=engine.PersonFacts(v.insutype, enrollment.psn_type,
                                  assistance_eligible="assistance" in flags,
                                  low_income="low_income" in flags,
                                  supp_plus=contributions.cap_raise(
                                      uow, v.psn_no, v.insutype, uow.today.year,
                                      policy.benefits.supplementary.get(v.insutype)).plus),
        holder=holder, psn_name_masked=holder.masked.name_masked,
        filing_kind=filed.kind if filed else (
            filing_rules.deemed_filing(v.med_type) if v.out_of_area else None),
        acc=engine.Accumulators(
            year=store.year_accumulators(uow.conn, v.psn_no, v.insutype, uow.today.year),
            stay={} if _is_new(uow, mdtrt_id) else store.stay_accumulators_of(uow.conn,
                                                                              mdtrt_id)),
        sources=sources, not_accepted=not_accepted,
        sold=store.sold(uow.conn, boxes_keys),
        stock_left=tracing.stock_left(uow, v.fixmedins_code, untraced))


def decide(ctx: Context, ask: SettleAsk) -> Decision:
    """The domain decides: which boxes the sale takes, and every amount."""
    v = ctx.visit
    required_from = ctx.policy.settlement.trace_codes_required_from
    required = required_from is not None and ctx.today >= required_from and \
        not ask.trace_later
    boxes: list[tracecode.Box] = []
    uncoded: list[tuple[str, str, Fraction]] = []
    for f in ctx.lines:
        item = ctx.items.get(f.med_list_codg)
        if item is None or not item.is_drug:
            continue
        cnt = Decimal(f.cnt)
        if required and not f.trace_codes:  # sold from registered untraced stock, if any
            uncoded.append((f.feedetl_sn, f.med_list_codg, tracecode.part_of_box(
                f.feedetl_sn, cnt, pack_cnt=item.pack_cnt) if f.trdn_flag else Fraction(cnt)))
            continue
        boxes += tracecode.boxes_of(f.feedetl_sn, f.med_list_codg, cnt, f.trace_codes,
                                    split=f.trdn_flag, required=required,
                                    pack_cnt=item.pack_cnt)
    tracecode.check_sales(boxes, ctx.sold)
    untraced = tracecode.untraced_draws(uncoded, ctx.stock_left)
    result = engine.settle(
        [f.line for f in ctx.lines], ctx.items,
        engine.Visit(v.care, ctx.institution.hosp_lv, ctx.today, v.out_of_area,
                     ctx.filing_kind, v.first_stay,
                     cross_province=cross_province(v.insuplc_admdvs, v.mdtrtarea_admvs),
                     emergency=filing_rules.is_emergency(v.med_type)),
        ctx.person, ctx.policy.benefits, ctx.acc, [s for s, _ in ctx.sources],
        acct_used=ask.acct_used_flag, not_accepted=ctx.not_accepted)
    engine.check_expected(result, ask.expected)
    return Decision(result, boxes, untraced)


def write(uow: UnitOfWork, ctx: Context, d: Decision, ask: SettleAsk) -> SettlementRecord:
    """Make it so: the ledger entry, the accumulators, the sales, the lines, the record."""
    v, r = ctx.visit, d.result
    if ask.medins_setl_id:
        held = store.claim_medins_setl_id(uow.conn, v.mdtrtarea_admvs, v.fixmedins_code,
                                          ask.medins_setl_id, state="settled", at=uow.now)
        if held == "reversed":
            raise GongjiError("MESSAGE_REVERSED", msgid=ask.medins_setl_id)
        if held is not None:
            raise GongjiError("SETTLEMENT_DUPLICATE_MSGID", medins_setl_id=ask.medins_setl_id)
    setl_id = new_code("S")
    entry = uow.ledger.record(_postings(uow, r, v, ctx.sources), code=SETTLEMENT,
                              ext_ref=setl_id, memo=f"{v.care} {v.mdtrt_id}",
                              admdvs=v.insuplc_admdvs)
    record = _record(ctx, d, ask, setl_id=setl_id, setl_time=uow.now, entry_id=entry.id)
    store.accumulate(uow.conn, v.psn_no, v.insutype, record.year, r.year_deltas)
    store.accumulate_stay(uow.conn, v.insuplc_admdvs, v.mdtrt_id, r.stay_deltas)
    store.add_sales(uow.conn, d.boxes, ids=[new_code("T") for _ in d.boxes], psn_no=v.psn_no,
                    fixmedins_code=v.fixmedins_code, setl_id=setl_id, at=uow.now)
    store.add_untraced(uow.conn, d.untraced, ids=[new_code("T") for _ in d.untraced],
                       psn_no=v.psn_no, fixmedins_code=v.fixmedins_code, setl_id=setl_id,
                       at=uow.now)
    store.settle_fees(uow.conn, v.mdtrt_id, [f.feedetl_sn for f in ctx.lines], setl_id)
    store.add_settlement(uow.conn, record)
    if ask.final:
        _change_visit(uow, v.mdtrt_id, status="closed", endtime=uow.now)
    uow.record("settlement", subject=setl_id, chain=v.insuplc_admdvs,
               detail={"mdtrt_id": v.mdtrt_id, "institution": v.fixmedins_code})
    return record


# -- a pharmacy's sale in one step (2101, 2102) -----------------------------------------------

@door
def quote_purchase(app: Gongji, who: Principal, visit: OpenVisit, lines: tuple[FeeIn, ...],
                   ask: SettleAsk) -> SettlementView:
    """A pharmacy pre-settlement (2101): the whole sale computed and rolled back."""
    def run(uow: UnitOfWork) -> SettlementView:
        v = open_in(uow, who, visit)
        upload_in(uow, who, v.mdtrt_id, lines)
        view = presettle_in(uow, who, v.mdtrt_id, dataclasses.replace(ask, medins_setl_id=None))
        return dataclasses.replace(view, mdtrt_id="", setl_id=None)

    return app.dry_run(who, run)


@door
def purchase(app: Gongji, who: Principal, key: Key, visit: OpenVisit, lines: tuple[FeeIn, ...],
             ask: SettleAsk) -> Written[SettlementView]:
    """A pharmacy sale in one unit of work (2102): the visit, its lines and the settlement
    all happen, or none of it does."""
    def run(uow: UnitOfWork) -> SettlementView:
        v = open_in(uow, who, visit)
        upload_in(uow, who, v.mdtrt_id, lines)
        return settle_in(uow, who, v.mdtrt_id, ask)

    return app.write(who, key=key, operation="purchase",
                     request={"visit": to_json(visit, OpenVisit),
                              "lines": [to_json(f, FeeIn) for f in lines],
                              "ask": to_json(ask, SettleAsk)}, fn=run,
                     result_type=SettlementView)


# -- what an online order (services/mobilepay) does within its own unit of work ---------------

def items_in(uow: UnitOfWork, mdtrt_id: str) -> dict[str, CatalogItem]:
    """The care region's catalog items of a visit's pending lines."""
    v = visit_in(uow, mdtrt_id)
    return catalog.lookup(uow, v.mdtrtarea_admvs, [f.med_list_codg for f in
                                                  store.pending_fees(uow.conn, mdtrt_id)],
                          uow.today)


def settled_sns_in(uow: UnitOfWork, setl_id: str) -> list[str]:
    return [f.feedetl_sn for f in store.settled_fees(uow.conn, setl_id)]


def withdraw_lines_in(uow: UnitOfWork, mdtrt_id: str, sns: tuple[str, ...]) -> int:
    """Withdraw pending lines of a visit (a refund of some lines of a settled order, after
    its settlement was cancelled)."""
    return store.cancel_fees(uow.conn, mdtrt_id, sns=sns)


def record_shipment_in(uow: UnitOfWork, setl_id: str,
                       codes: Mapping[str, tuple[str, ...]]) -> int:
    """An online order's boxes, recorded when it ships: each drug line's trace codes, as a
    sale by the order's settlement. A box sold before and not returned is refused
    (TRACE_CODE_SOLD), as at the counter; every drug line needs its codes."""
    s = store.settlement(uow.conn, setl_id, lock=True)
    if s is None:
        raise GongjiError("SETTLEMENT_NOT_FOUND", setl_id=setl_id)
    lines = store.settled_fees(uow.conn, setl_id)
    known = {f.feedetl_sn for f in lines}
    for sn in codes:
        if sn not in known:
            raise GongjiError("FEE_LINE_INVALID", feedetl_sn=sn[:30],
                              reason="not a line of this order")
    items = catalog.lookup(uow, s.mdtrtarea_admvs, [f.med_list_codg for f in lines],
                           uow.today)
    boxes: list[tracecode.Box] = []
    for f in lines:
        item = items.get(f.med_list_codg)
        if item is None or not item.is_drug:
            continue
        boxes += tracecode.boxes_of(f.feedetl_sn, f.med_list_codg, Decimal(f.cnt),
                                    codes.get(f.feedetl_sn, ()), split=f.trdn_flag,
                                    required=True, pack_cnt=item.pack_cnt)
    keys = {b.code.key for b in boxes}
    tracing.lock_boxes(uow, keys)
    tracecode.check_sales(boxes, store.sold(uow.conn, keys))
    store.add_sales(uow.conn, boxes, ids=[new_code("T") for _ in boxes], psn_no=s.psn_no,
                    fixmedins_code=s.fixmedins_code, setl_id=setl_id, at=uow.now)
    return len(boxes)


def shipped_codes_in(uow: UnitOfWork, setl_id: str) -> dict[str, tuple[str, ...]]:
    """The trace codes a settlement's shipment recorded, by line (for settling kept lines
    again after a refund of others)."""
    by_item: dict[str, list[str]] = {}
    for _, item, code in store.sales_of(uow.conn, [setl_id]):
        by_item.setdefault(item, []).append(code)
    out: dict[str, tuple[str, ...]] = {}
    for f in store.settled_fees(uow.conn, setl_id):
        got = by_item.get(f.med_list_codg, [])
        n = 1 if f.trdn_flag else int(Decimal(f.cnt)) if Decimal(f.cnt) == \
            Decimal(f.cnt).to_integral_value() else 0
        if got and n:
            out[f.feedetl_sn], by_item[f.med_list_codg] = tuple(got[:n]), got[n:]
    return out


def traces_of_visit(uow: UnitOfWork, mdtrt_id: str) -> list[tuple[str, str, str]]:
    """(med_list_codg, name, code) of every box a visit's live settlements sold."""
    ids = store.settlements_of_visit(uow.conn, mdtrt_id)
    sold = store.sales_of(uow.conn, ids)
    v = visit_in(uow, mdtrt_id)
    items = catalog.lookup(uow, v.mdtrtarea_admvs, sorted({i for _, i, _ in sold}), uow.today)
    return [(i, items[i].name if i in items else i, c) for _, i, c in sold]


def last_settlement_of_visit(uow: UnitOfWork, mdtrt_id: str) -> str | None:
    ids = store.settlements_of_visit(uow.conn, mdtrt_id)
    return ids[-1] if ids else None


# -- cancel and 冲正 ----------------------------------------------------------------------------

@door
def cancel(app: Gongji, who: Principal, key: Key, setl_id: str, *,
           psn_no: str | None = None) -> Written[SettlementView]:
    """Cancel a settlement (2208/2305/2103): the mirror ledger entry puts every amount back
    where it came from, accumulators go back, trace codes are freed, the lines can be
    settled again."""
    return app.write(who, key=key, operation="settle.cancel",
                     request={"setl_id": setl_id, **_named(psn_no)},
                     fn=lambda uow: held_view(uow, cancel_in(uow, who, setl_id,
                                                             psn_no=psn_no)),
                     result_type=SettlementView)


def cancel_in(uow: UnitOfWork, who: Principal, setl_id: str, *,
              psn_no: str | None = None) -> SettlementRecord:
    s = store.settlement(uow.conn, setl_id, lock=True)
    if s is None or (who.kind == "institution" and who.id != s.fixmedins_code):
        raise GongjiError("SETTLEMENT_NOT_FOUND", setl_id=setl_id)
    same_person(psn_no, s.psn_no)
    if s.status != "settled":
        raise GongjiError("SETTLEMENT_NOT_SETTLED", setl_id=setl_id, state=s.status)
    people.lock_person(uow.conn, s.psn_no)
    o = s.outcome
    reversal = uow.ledger.reverse(s.entry_id, code=f"{SETTLEMENT}.cancel",
                                  memo=f"cancel {setl_id}")
    store.accumulate(uow.conn, s.psn_no, s.insutype, s.year,
                     {k: -v for k, v in o.year_deltas.items()})
    store.accumulate_stay(uow.conn, s.insuplc_admdvs, s.mdtrt_id,
                          {k: -v for k, v in o.stay_deltas.items()})
    store.return_sales(uow.conn, setl_id, at=uow.now)
    store.reopen_fees(uow.conn, setl_id)
    store.cancel_settlement(uow.conn, setl_id, cancel_entry_id=reversal.id, at=uow.now)
    _change_visit(uow, s.mdtrt_id, status="open", endtime=None)
    # quota refunded to a binding that has since ended goes straight home to its sponsor
    for p in o.payments:
        if p.kind == "quota" and p.sponsor and \
                bindings.active(uow.conn, p.sponsor, s.psn_no) is None:
            wallet.return_quota(uow, p.sponsor, s.psn_no)
    uow.record("settlement.cancel", subject=setl_id, chain=s.insuplc_admdvs)
    return dataclasses.replace(s, status="cancelled")


REVERSING: Mapping[MessageKind, str] = {
    "visit": "visit.open", "fees": "visit.fees", "settlement": "settle",
    "purchase": "purchase", "sale": "trace.sale"}
"""The operation a message of each kind was recorded under (its idempotency record)."""


@door
def reverse_by_msgid(app: Gongji, who: Principal, key: Key, omsgid: str,
            kind: MessageKind = "settlement") -> Written[Reversal]:
    """冲正: undo whatever the institution's message omsgid did, if it took effect. Reversing
    a message that never took effect, or was already undone, succeeds with nothing done.

    A settlement is found by its medins_setl_id (the REST API's, or the gateway's msgid);
    the other kinds by what the message's own idempotency record says it did."""
    require_institution(who)
    return app.write(who, key=key, operation="settle.reverse",
                     request={"omsgid": omsgid, "kind": kind},
                     fn=lambda uow: _reverse(uow, who, omsgid, kind), result_type=Reversal)


def _reverse(uow: UnitOfWork, who: Principal, omsgid: str, kind: MessageKind) -> Reversal:
    """The message id is claimed first: if the original has not taken effect, the claim is a
    tombstone that refuses it for ever; if the original is taking effect right now, the claim
    waits for it and then undoes what it did. Either way the outcome is true when told."""
    if kind in ("settlement", "purchase"):
        held = store.claim_medins_setl_id(uow.conn, _institution(uow, who).admdvs, who.id,
                                          omsgid, state="reversed", at=uow.now)
        s = None if held is None else store.settlement_of_message(uow.conn, who.id, omsgid,
                                                                  lock=True)
        if s is None:
            return Reversal(omsgid, kind, "nothing")
        if s.status != "settled":
            return Reversal(omsgid, kind, "already_undone", s.setl_id, s.mdtrt_id)
        cancel_in(uow, who, s.setl_id)
        if kind == "purchase":
            cancel_visit_in(uow, who, s.mdtrt_id)
        return Reversal(omsgid, kind, "undone", s.setl_id, s.mdtrt_id)
    if place_tombstone(uow.conn, scope=who.scope, key=omsgid, kind=kind, now=uow.now):
        return Reversal(omsgid, kind, "nothing")
    done = stored_response(uow.conn, scope=who.scope, key=omsgid, operation=REVERSING[kind])
    if done is None:
        return Reversal(omsgid, kind, "nothing")
    if kind == "visit":
        mdtrt_id = from_json(done, VisitView).mdtrt_id
        v = _visit(uow, who, mdtrt_id, lock=True)
        if v.status != "open":
            return Reversal(omsgid, kind, "already_undone", mdtrt_id=mdtrt_id)
        cancel_visit_in(uow, who, mdtrt_id)
        return Reversal(omsgid, kind, "undone", mdtrt_id=mdtrt_id)
    if kind == "fees":
        up = from_json(done, Uploaded)
        _visit(uow, who, up.mdtrt_id, lock=True)
        n = store.cancel_fees(uow.conn, up.mdtrt_id, sns=[x.feedetl_sn for x in up.lines])
        return Reversal(omsgid, kind, "undone", mdtrt_id=up.mdtrt_id, count=n)
    sale = from_json(done, tracing.Sale)
    n = tracing.return_sale_in(uow, who.id, codes=list(sale.codes))
    return Reversal(omsgid, kind, "undone", count=n)


# -- reads ------------------------------------------------------------------------------------

@door
def get(app: Gongji, who: Principal, setl_id: str, *, psn_no: str | None = None
        ) -> SettlementView:
    """One settlement: to its institution, the person (or their proxy), or an operator;
    psn_no, when the caller names one (5203), must be the settlement's person."""
    return app.read(lambda uow: get_in(uow, who, setl_id, psn_no=psn_no), principal=who)


def get_in(uow: UnitOfWork, who: Principal, setl_id: str, *, psn_no: str | None = None
           ) -> SettlementView:
    s = store.settlement(uow.conn, setl_id)
    if s is None or (who.kind == "institution" and who.id != s.fixmedins_code):
        raise GongjiError("SETTLEMENT_NOT_FOUND", setl_id=setl_id)
    same_person(psn_no, s.psn_no)
    if who.kind == "person":
        authorize(uow, who, Act.READ, s.psn_no)
    return held_view(uow, s)


def fees_in(uow: UnitOfWork, mdtrt_id: str) -> dict[str, FeeRecord]:
    """Every line of a visit by feedetl_sn, as uploaded (a receipt prints them)."""
    return store.fees(uow.conn, mdtrt_id)


@door
def list_for_person(app: Gongji, who: Principal, psn_no: str, *, limit: int = 50
                    ) -> list[SettlementView]:
    """A person's settlements, newest first."""
    def run(uow: UnitOfWork) -> list[SettlementView]:
        authorize(uow, who, Act.READ, psn_no)
        return views_of_person(uow, psn_no, limit=limit)

    return app.read(run, principal=who)


def views_of_person(uow: UnitOfWork, psn_no: str, *, limit: int = 50) -> list[SettlementView]:
    return [view_of(s) for s in store.settlements_of(uow.conn, psn_no, limit=limit)]


@door
def accumulations(app: Gongji, who: Principal, psn_no: str, year: int) -> list[Accumulation]:
    """What a person's year has used of deductibles, layers and caps (5206)."""
    def run(uow: UnitOfWork) -> list[Accumulation]:
        if who.kind != "institution":
            authorize(uow, who, Act.READ, psn_no)
        people.person(uow.conn, psn_no)
        return [Accumulation(*row) for row in store.all_accumulators(uow.conn, psn_no, year)]

    return app.read(run, principal=who)


def view_in(uow: UnitOfWork, setl_id: str) -> SettlementView:
    """A settlement's view inside another service's unit of work (FHIR, the explanation)."""
    s = store.settlement(uow.conn, setl_id)
    if s is None:
        raise GongjiError("SETTLEMENT_NOT_FOUND", setl_id=setl_id)
    return view_of(s)


def visit_in(uow: UnitOfWork, mdtrt_id: str) -> VisitView:
    v = store.visit(uow.conn, mdtrt_id)
    if v is None:
        raise GongjiError("VISIT_NOT_FOUND", mdtrt_id=mdtrt_id)
    return visit_view(v)


def held_view(uow: UnitOfWork, s: SettlementRecord) -> SettlementView:
    """A settlement's view naming its holder (for the settling institution, and the
    person)."""
    return view_of(s, holder=people.person(uow.conn, s.psn_no))


def view_of(s: SettlementRecord, *, status: str | None = None,
            holder: Person | None = None) -> SettlementView:
    """A settlement as the setlinfo shows it, from its record; with its holder's ID number,
    sex, birth date and age when given (the national setlinfo names them)."""
    o = s.outcome
    view = SettlementView(
        **{n: getattr(o, n) for n in engine.SETLINFO_FIELDS},
        setl_id=s.setl_id or None, mdtrt_id=s.mdtrt_id, psn_no=s.psn_no,
        psn_name_masked=o.psn_name_masked, insutype=s.insutype, psn_type=o.psn_type,
        med_type=o.med_type, setl_time=s.setl_time, medins_setl_id=s.medins_setl_id,
        status=status or s.status, balc=o.balc, clr_type=CLR_TYPES.get(s.care, "11"),
        clr_optins=s.mdtrtarea_admvs, out_of_area=s.mdtrtarea_admvs != s.insuplc_admdvs,
        filing_kind=o.filing_kind, rule=o.rule, setldetail=o.setldetail, lines=o.lines,
        payments=o.payments, mdtrt_cert_type=o.mdtrt_cert_type, supp_cap=o.supp_cap,
        supp_plus=o.supp_plus, quota_not_accepted=o.quota_not_accepted)
    if holder is None:
        return view
    return dataclasses.replace(view, certno=holder.certno, gend=holder.gend, brdy=holder.brdy,
                               age=_age(holder.brdy, business_date(s.setl_time)))


def _age(brdy: date, day: date) -> int:
    """Whole years on that day."""
    return day.year - brdy.year - ((day.month, day.day) < (brdy.month, brdy.day))


def visit_view(v: VisitRecord) -> VisitView:
    return VisitView(v.mdtrt_id, v.psn_no, v.insutype, v.med_type, v.care, v.fixmedins_code,
                     v.mdtrtarea_admvs, v.insuplc_admdvs, v.out_of_area, v.first_stay,
                     v.status, v.begntime)


# -- the steps' parts -------------------------------------------------------------------------

def _record(ctx: Context, d: Decision, ask: SettleAsk, *, setl_id: str | None,
            setl_time: datetime, entry_id: str) -> SettlementRecord:
    v, r = ctx.visit, d.result
    own = next((s.balance for s, _ in ctx.sources if s.kind == "own"), None)
    outcome = Outcome(
        **{n: getattr(r, n) for n in engine.SETLINFO_FIELDS},
        setldetail=r.detail,
        lines=tuple(_line_view(x, ctx.items) for x in r.lines),
        payments=r.payments,
        year_deltas=dict(r.year_deltas), stay_deltas=dict(r.stay_deltas), rule=r.rule,
        psn_type=ctx.person.psn_type, psn_name_masked=ctx.psn_name_masked,
        med_type=v.med_type, balc=None if own is None else own - r.acct_pay,
        filing_kind=ctx.filing_kind, mdtrt_cert_type=ask.credential.mdtrt_cert_type,
        supp_cap=r.supp_cap, supp_plus=r.supp_plus, quota_not_accepted=r.quota_not_accepted)
    return SettlementRecord(
        setl_id=setl_id or "", mdtrt_id=v.mdtrt_id, psn_no=v.psn_no, insutype=v.insutype,
        fixmedins_code=v.fixmedins_code, insuplc_admdvs=v.insuplc_admdvs,
        mdtrtarea_admvs=v.mdtrtarea_admvs, care=v.care, medins_setl_id=ask.medins_setl_id,
        setl_time=setl_time, year=ctx.today.year,
        status="settled", clearing_amt=(r.medfee_sumamt - r.psn_cash_pay)
        if v.out_of_area else 0, entry_id=entry_id, outcome=outcome)


def _postings(uow: UnitOfWork, r: engine.Result, v: VisitRecord,
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
    return [(k, amount) for k, amount in legs.items() if amount]


def _sources(uow: UnitOfWork, psn_no: str, home: str, inst: Institution
             ) -> tuple[list[tuple[engine.Source, str]], list[engine.Source]]:
    """Who may pay the burden, in order: the person's own account; sponsors in the same
    province (authorisation); wallet quota by sponsor, where the institution takes the
    wallet and the wallet is open. Second, the open wallet's quota an institution that does
    not take the wallet leaves unused (医保钱包 is paid only where it is accepted)."""
    out: list[tuple[engine.Source, str]] = []
    own = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=psn_no))
    if own is not None and own.status == "open":
        out.append((engine.Source("own", None, own.balance), own.id))
    active = [sponsor for sponsor, _ in bindings.sponsors(uow.conn, psn_no)]
    for sponsor in active:
        e = people.basic_enrollment(uow.conn, sponsor)
        acct = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=sponsor))
        if e is not None and acct is not None and province_of(e.insuplc_admdvs) == \
                province_of(home):
            out.append((engine.Source("family", sponsor, acct.balance), acct.id))
    quota: list[tuple[engine.Source, str]] = []
    if wallet.is_open(uow, psn_no):
        for sponsor in active:
            q = uow.ledger.account_by_code(account_code(AccountKind.WALLET_QUOTA, owner=psn_no,
                                                        sponsor=sponsor))
            if q is not None and q.balance > 0:
                quota.append((engine.Source("quota", sponsor, q.balance), q.id))
    if inst.wallet_supported:
        return out + quota, []
    return out, [s for s, _ in quota]


def _check_pharmacy_switch(uow: UnitOfWork, v: VisitRecord, policy: Policy) -> None:
    """Buying drugs at a pharmacy in another province takes the person's own switch
    (刷卡购药设置·跨省), where the insured region asks for it."""
    if v.care == "pharmacy" and cross_province(v.mdtrtarea_admvs, v.insuplc_admdvs) and \
            policy.settlement.pharmacy_switch_required and \
            not filing.switch_on(uow, v.psn_no, "pharmacy_cross_province"):
        raise GongjiError("PHARMACY_SWITCH_OFF")


def _presented(uow: UnitOfWork, who: Principal, cred: Credential, *, consume: bool,
               visit: str | None = None) -> tuple[str, str | None]:
    """Whose credential this is, and the jti of an insurance code used up now. A code is used
    up when a visit opens; at settle the code that opened this visit is still accepted (even
    expired), or a fresh one."""
    if cred.mdtrt_cert_type == "01":
        secret = credentials.secret(uow.conn, "credential", now=uow.now)
        if visit is not None:
            seen = codes.read(secret, cred.mdtrt_cert_no, uow.now, allow_expired=True)
            used = credentials.used_by(uow.conn, seen.jti)
            if used is not None and used.endswith(f":{visit}"):
                return seen.psn_no, None
        token = codes.read(secret, cred.mdtrt_cert_no, uow.now)
        if not consume:
            return token.psn_no, None
        credentials.redeem(uow, cred.mdtrt_cert_no, used_by=who.scope)
        return token.psn_no, token.jti
    if cred.mdtrt_cert_type == "02":
        p = _person_by_certno(uow, cred.mdtrt_cert_no.strip())
        if p is None:
            raise GongjiError("CREDENTIAL_INVALID")
        return p.psn_no, None
    if cred.mdtrt_cert_type == "03":
        return credentials.person_by_card(uow.conn, cred.mdtrt_cert_no), None
    if cred.mdtrt_cert_type == "PA":  # checked in full by services/mobilepay
        psn_no = store.pay_auth_person(uow.conn, cred.mdtrt_cert_no)
        if psn_no is None:
            raise GongjiError("CREDENTIAL_INVALID")
        return psn_no, None
    raise GongjiError("CREDENTIAL_INVALID")


# A purchase (2102) opens the visit and settles it in one unit of work: the person and their
# enrollments, which nothing in a settlement changes, are read once for both.

def _person(uow: UnitOfWork, psn_no: str) -> Person:
    found: Person | None = uow.memo.get(("person", psn_no))
    if found is None:
        found = uow.memo[("person", psn_no)] = people.person(uow.conn, psn_no)
    return found


def _person_by_certno(uow: UnitOfWork, certno: str) -> Person | None:
    key = ("person.certno", certno.upper())
    if key not in uow.memo:
        found = uow.memo[key] = people.person_by_certno(uow.conn, certno)
        if found is not None:
            uow.memo[("person", found.psn_no)] = found
    return cast("Person | None", uow.memo[key])


def _enrollments(uow: UnitOfWork, psn_no: str) -> list[people.Enrollment]:
    found: list[people.Enrollment] | None = uow.memo.get(("enrollments", psn_no))
    if found is None:
        found = uow.memo[("enrollments", psn_no)] = people.enrollments_of(uow.conn, psn_no)
    return found


def _check_person(uow: UnitOfWork, who: Principal, cred: Credential, psn_no: str) -> None:
    """The person the HIS names is the one whose credential it presents."""
    if person_info_in(uow, who, cred).psn_no != psn_no:
        raise GongjiError("CREDENTIAL_MISMATCH")


def _institution(uow: UnitOfWork, who: Principal) -> Institution:
    require_institution(who)
    return institutions.get_in(uow, who.id)


def _visit(uow: UnitOfWork, who: Principal, mdtrt_id: str, *, lock: bool = False,
           psn_no: str | None = None) -> VisitRecord:
    """A visit of the calling institution's (another's is not found, as a missing one);
    psn_no, when the message names one, must be the visit's person."""
    v = uow.memo.get(("visit.new", mdtrt_id)) or store.visit(uow.conn, mdtrt_id, lock=lock)
    if v is None or who.kind != "institution" or v.fixmedins_code != who.id:
        raise GongjiError("VISIT_NOT_FOUND", mdtrt_id=mdtrt_id)
    same_person(psn_no, v.psn_no)
    return v


def _is_new(uow: UnitOfWork, mdtrt_id: str) -> bool:
    """Opened by this unit of work (a purchase, 2102): nothing else can have touched it yet,
    no fee line, no stay, and no other transaction can see it, so it needs no lock."""
    return ("visit.new", mdtrt_id) in uow.memo


def _change_visit(uow: UnitOfWork, mdtrt_id: str, **values: Any) -> None:
    uow.memo.pop(("visit.new", mdtrt_id), None)  # read it from the table from here on
    store.change_visit(uow.conn, mdtrt_id, **values)


def same_person(named: str | None, psn_no: str) -> None:
    """Strict in ids: a message that names a person acts only on that person's records (a
    wrong psn_no is a mistake the HIS must see, not a detail to ignore)."""
    if named is not None and named != psn_no:
        raise GongjiError("PSN_NO_MISMATCH", field="psn_no")


def _named(psn_no: str | None) -> dict[str, str]:
    """The psn_no a message named, in its idempotency request (absent when none was)."""
    return {} if psn_no is None else {"psn_no": psn_no}


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


def _line_view(r: engine.LineResult, items: Mapping[str, CatalogItem]) -> LineView:
    item = items.get(r.med_list_codg)
    return line_view(r, item.name if item else None)




# -- queries an HIS makes (2001, 5201, 5204, 5205) ---------------------------------------------

@door
def treatment_check(app: Gongji, who: Principal, psn_no: str, insutype: str, day: date
                    ) -> treatments.Treatment:
    """Whether the person enjoys the scheme's treatment on the day (2001), by their
    enrollments (domain.treatment). Asked before any visit exists, so any designated
    institution may ask on the psn_no its 1101 gave it (as 5206 and 5301)."""
    def run(uow: UnitOfWork) -> treatments.Treatment:
        _institution(uow, who)
        people.person(uow.conn, psn_no)
        periods = [treatments.Period(e.insutype, e.begndate, e.enddate)
                   for e in people.enrollments_of(uow.conn, psn_no)]
        return treatments.check_treatment(
            insutype, day, periods,
            benefits_from=contributions.benefits_from(uow, psn_no, insutype, day.year))

    return app.read(run, principal=who)


@door
def visits(app: Gongji, who: Principal, psn_no: str, *, since: datetime, until: datetime,
           med_type: str | None = None, mdtrt_id: str | None = None) -> list[VisitInfo]:
    """The person's visits at the calling institution begun in [since, until] (5201), not
    cancelled, oldest first; an empty list when there are none. Another institution's
    visits are not shown (as 5203 shows only the institution's own settlements)."""
    def run(uow: UnitOfWork) -> list[VisitInfo]:
        inst = _institution(uow, who)
        found = store.visits_of(uow.conn, psn_no, inst.fixmedins_code, since=since,
                                until=until, med_type=med_type, mdtrt_id=mdtrt_id)
        if not found:
            return []
        p = people.person(uow.conn, psn_no)
        enrolled = people.enrollments_of(uow.conn, psn_no)
        return [_visit_info(uow, v, p, enrolled) for v in found]

    return app.read(run, principal=who)


def _visit_info(uow: UnitOfWork, v: VisitRecord, p: Person,
                enrolled: list[people.Enrollment]) -> VisitInfo:
    day = business_date(v.begntime)
    mine = [e for e in enrolled if e.insutype == v.insutype]
    e = next((e for e in mine if treatments.Period(e.insutype, e.begndate, e.enddate)
              .covers(day)), mine[-1] if mine else None)
    disease = CHRONIC_DISEASES.get(v.dise_codg or "")
    return VisitInfo(
        mdtrt_id=v.mdtrt_id, psn_no=v.psn_no, certno=p.certno,
        psn_name_masked=p.masked.name_masked, gend=p.gend, brdy=p.brdy, age=_age(p.brdy, day),
        insutype=v.insutype, psn_type=e.psn_type if e else None,
        maf_psn_flag="assistance" in store.flags(uow.conn, v.psn_no, day),
        insuplc_admdvs=v.insuplc_admdvs, emp_name=e.emp_name if e else None,
        mdtrt_cert_type=v.mdtrt_cert_type, med_type=v.med_type, ipt_otp_no=v.ipt_otp_no,
        dise_codg=v.dise_codg, dise_name=disease.zh if disease else None,
        begntime=v.begntime, endtime=v.endtime,
        in_hospital=v.care == "inpatient" and v.status == "open" and v.endtime is None)


@door
def fee_lines(app: Gongji, who: Principal, psn_no: str, mdtrt_id: str,
              setl_id: str | None = None) -> list[FeeLineInfo]:
    """A visit's fee lines not withdrawn, in upload order (5204); only those a settlement
    settled when setl_id is named (a cancelled settlement holds none: its lines are pending
    again). To the visit's institution only: another's visit, or a visit of another person,
    is not found."""
    def run(uow: UnitOfWork) -> list[FeeLineInfo]:
        v = _visit(uow, who, mdtrt_id)
        if v.psn_no != psn_no:
            raise GongjiError("VISIT_NOT_FOUND", mdtrt_id=mdtrt_id)
        if setl_id is not None:
            s = store.settlement(uow.conn, setl_id)
            if s is None or s.mdtrt_id != mdtrt_id:
                raise GongjiError("SETTLEMENT_NOT_FOUND", setl_id=setl_id)
        return _line_infos(uow, [(v, r) for r in store.fee_rows(uow.conn, mdtrt_id,
                                                                 setl_id=setl_id)])

    return app.read(run, principal=who)


@door
def chronic_medication(app: Gongji, who: Principal, psn_no: str, *, since: datetime,
                       until: datetime | None = None) -> list[FeeLineInfo]:
    """The person's chronic/special disease medication records received in the period
    (5205): the drug lines of their settled chronic/special outpatient visits
    (domain.treatment), at any institution (the record is the person's, so a prescriber
    sees what was bought elsewhere), oldest first. Only an institution that treats the
    person (has a visit with them) may ask; others are refused."""
    def run(uow: UnitOfWork) -> list[FeeLineInfo]:
        inst = _institution(uow, who)
        if not store.has_visit(uow.conn, psn_no, inst.fixmedins_code):
            raise GongjiError("FORBIDDEN")
        pairs = store.settled_rows_of(uow.conn, psn_no, treatments.CHRONIC_CARE,
                                      since=since, until=until)
        return [x for (v, _), x in zip(pairs, _line_infos(uow, pairs), strict=True)
                if treatments.is_chronic_medication(v.care, x.list_type)]

    return app.read(run, principal=who)


def _line_infos(uow: UnitOfWork, pairs: list[tuple[VisitRecord, FeeRow]]
                ) -> list[FeeLineInfo]:
    """Each line as received and as classified: by its settlement when settled, by the care
    region's catalog in force today while pending (as settling now would); its list type
    and spec from the catalog of that day."""
    settled: dict[str, SettlementRecord] = {}
    for _, r in pairs:
        if r.setl_id and r.setl_id not in settled:
            s = store.settlement(uow.conn, r.setl_id)
            if s is not None:
                settled[r.setl_id] = s

    def day_of(r: FeeRow) -> date:
        s = settled.get(r.setl_id or "")
        return business_date(s.setl_time) if s else uow.today

    wanted: dict[tuple[str, date], set[str]] = {}
    for v, r in pairs:
        wanted.setdefault((v.mdtrtarea_admvs, day_of(r)), set()).add(r.fee.med_list_codg)
    items = {k: catalog.lookup(uow, k[0], codes_, k[1]) for k, codes_ in wanted.items()}
    out = []
    for v, r in pairs:
        item = items[(v.mdtrtarea_admvs, day_of(r))].get(r.fee.med_list_codg)
        s = settled.get(r.setl_id or "")
        line = next((x for x in s.outcome.lines if x.feedetl_sn == r.fee.feedetl_sn),
                    None) if s else None
        if line is None:
            line = line_view(engine.classify(r.fee.line, item), item.name if item else None)
        inst = institutions.get_in(uow, v.fixmedins_code)
        out.append(FeeLineInfo(
            mdtrt_id=v.mdtrt_id, setl_id=r.setl_id, psn_no=v.psn_no,
            fixmedins_code=inst.fixmedins_code, fixmedins_name=inst.fixmedins_name,
            med_type=v.med_type, feedetl_sn=r.fee.feedetl_sn, fee_ocur_time=r.fee_ocur_time,
            cnt=r.fee.cnt, pric=r.fee.pric, medins_list_codg=r.medins_list_codg,
            list_type=item.list_type if item else None,
            spec=(item.spec or None) if item else None, within_limits=r.fee.within_limits,
            line=line))
    return out


@door
def open_stays(app: Gongji, who: Principal, psn_no: str | None = None, *,
               since: datetime | None = None, until: datetime | None = None
               ) -> list[StayInfo]:
    """The calling institution's stays in hospital now (5303): admitted, neither discharged
    nor closed by a final settlement; the person's when psn_no is named (an empty list when
    they have none, as 5201), else every patient of the institution in hospital; begun in
    [since, until] where given; oldest first. Another institution's stays are not shown
    (as 5201)."""
    def run(uow: UnitOfWork) -> list[StayInfo]:
        inst = _institution(uow, who)
        known: dict[str, tuple[Person, list[people.Enrollment]]] = {}
        out = []
        for v in store.open_stays_of(uow.conn, inst.fixmedins_code, psn_no=psn_no,
                                     since=since, until=until):
            if v.psn_no not in known:
                known[v.psn_no] = (people.person(uow.conn, v.psn_no),
                                   people.enrollments_of(uow.conn, v.psn_no))
            out.append(StayInfo(_visit_info(uow, v, *known[v.psn_no]), v.out_of_area,
                                inst.fixmedins_code, inst.fixmedins_name))
        return out

    return app.read(run, principal=who)
