"""The settlement tables (visits, fee lines, settlements, accumulators, trace-code sales) and
the few facts about a person a settlement reads, as typed records. SQL only: nothing here
decides a rule.

A settlement row stores what it did (`Outcome`, the setlinfo column): the engine's amounts,
its lines and details, who paid, and the accumulator deltas; enough to show it again and to
undo it exactly, whatever the views of it look like."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.domain import tracecode
from gongji.domain.settlement import FeeLine, Setlinfo
from gongji.services.codec import from_json, to_json
from gongji.services.settlement.model import DetailView, LineView, PaymentView
from gongji.store import fast
from gongji.store.tables import (
    accumulators,
    fee_details,
    medins_setl_ids,
    pay_auths,
    person_flags,
    person_region,
    settlements,
    stay_accumulators,
    trace_sales,
    visits,
)

# -- visits -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class VisitRecord:
    mdtrt_id: str
    psn_no: str
    insutype: str
    fixmedins_code: str
    med_type: str
    care: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    mdtrt_cert_type: str
    ipt_otp_no: str | None
    begntime: datetime
    endtime: datetime | None
    first_stay: bool
    dise_codg: str | None
    status: str

    @property
    def out_of_area(self) -> bool:
        return self.mdtrtarea_admvs != self.insuplc_admdvs


def _visit(r: Row[Any]) -> VisitRecord:
    return VisitRecord(r.mdtrt_id, r.psn_no, r.insutype, r.fixmedins_code, r.med_type, r.care,
                       r.mdtrtarea_admvs, r.insuplc_admdvs, r.mdtrt_cert_type, r.ipt_otp_no,
                       r.begntime, r.endtime, bool(r.first_stay), r.dise_codg, r.status)


_VISIT = select(visits).where(visits.c.mdtrt_id == bindparam("mdtrt_id"))
_VISIT_BY = {lock: fast.Prepared(_VISIT.with_for_update() if lock else _VISIT)
             for lock in (False, True)}
_ADD_VISIT = fast.Prepared(fast.insert_of(visits, [
    "mdtrt_id", "psn_no", "insutype", "fixmedins_code", "med_type", "care", "mdtrtarea_admvs",
    "insuplc_admdvs", "mdtrt_cert_type", "ipt_otp_no", "begntime", "endtime", "first_stay",
    "dise_codg", "status", "created_at"]))
_CHANGE_VISIT: dict[tuple[str, ...], fast.Prepared] = {}


def visit(conn: Connection, mdtrt_id: str, *, lock: bool = False) -> VisitRecord | None:
    row = _VISIT_BY[lock].run(conn, {"mdtrt_id": mdtrt_id}).first()
    return None if row is None else _visit(row)


def add_visit(conn: Connection, v: VisitRecord, *, at: datetime) -> None:
    _ADD_VISIT.run(conn, dict(
        mdtrt_id=v.mdtrt_id, psn_no=v.psn_no, insutype=v.insutype,
        fixmedins_code=v.fixmedins_code, med_type=v.med_type, care=v.care,
        mdtrtarea_admvs=v.mdtrtarea_admvs, insuplc_admdvs=v.insuplc_admdvs,
        mdtrt_cert_type=v.mdtrt_cert_type, ipt_otp_no=v.ipt_otp_no, begntime=v.begntime,
        endtime=v.endtime, first_stay=v.first_stay, dise_codg=v.dise_codg, status=v.status,
        created_at=at))


def change_visit(conn: Connection, mdtrt_id: str, **values: Any) -> None:
    names = tuple(sorted(values))
    q = _CHANGE_VISIT.get(names)
    if q is None:  # one prepared UPDATE per set of columns changed (a handful exist)
        q = _CHANGE_VISIT[names] = fast.Prepared(update(visits).where(
            visits.c.mdtrt_id == bindparam("w_mdtrt_id")).values(fast.values_of(visits, names)))
    q.run(conn, {"w_mdtrt_id": mdtrt_id, **values})


def stays_since(conn: Connection, psn_no: str, insutype: str, since: datetime) -> int:
    """The person's stays (not cancelled) begun since then: is this the year's first?"""
    return int(conn.execute(select(func.count()).select_from(visits).where(
        visits.c.psn_no == psn_no, visits.c.insutype == insutype,
        visits.c.care == "inpatient", visits.c.status != "cancelled",
        visits.c.begntime >= since)).scalar_one())


# -- fee lines --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FeeRecord:
    feedetl_sn: str
    med_list_codg: str
    cnt: str
    pric: str
    det_item_fee_sumamt: int
    within_limits: bool
    trace_codes: tuple[str, ...]
    trdn_flag: bool
    status: str

    @property
    def line(self) -> FeeLine:
        return FeeLine(self.feedetl_sn, self.med_list_codg, Decimal(self.cnt),
                       Decimal(self.pric), self.det_item_fee_sumamt, self.within_limits)


def _fee(r: Row[Any]) -> FeeRecord:
    return FeeRecord(r.feedetl_sn, r.med_list_codg, r.cnt, r.pric, int(r.det_item_fee_sumamt),
                     bool(r.within_limits), tuple(str(c) for c in json.loads(r.trace_codes)),
                     bool(r.trdn_flag), r.status)


_FEE_SNS = fast.Prepared(select(fee_details.c.feedetl_sn)
                         .where(fee_details.c.mdtrt_id == bindparam("mdtrt_id")))
_PENDING = fast.Prepared(select(fee_details).where(
    fee_details.c.mdtrt_id == bindparam("mdtrt_id"), fee_details.c.status == "pending")
    .order_by(fee_details.c.uploaded_at, fee_details.c.feedetl_sn))
_ADD_FEES = fast.Prepared(fast.insert_of(fee_details, [
    "insuplc_admdvs", "mdtrt_id", "feedetl_sn", "med_list_codg", "medins_list_codg", "cnt", "pric",
    "det_item_fee_sumamt", "fee_ocur_time", "within_limits", "trace_codes", "trdn_flag",
    "chrg_bchno", "status", "uploaded_at"]))
_SETTLE_FEE = fast.Prepared(update(fee_details).where(
    fee_details.c.mdtrt_id == bindparam("w_mdtrt_id"),
    fee_details.c.feedetl_sn == bindparam("w_sn")).values(
    fast.values_of(fee_details, ["status", "setl_id"])))


def fee_sns(conn: Connection, mdtrt_id: str) -> set[str]:
    return set(_FEE_SNS.run(conn, {"mdtrt_id": mdtrt_id}).scalars())


def pending_fees(conn: Connection, mdtrt_id: str) -> list[FeeRecord]:
    """The visit's lines waiting to be settled, in upload order."""
    return [_fee(r) for r in _PENDING.run(conn, {"mdtrt_id": mdtrt_id})]


def live_fees(conn: Connection, mdtrt_id: str) -> list[FeeRecord]:
    """The visit's lines not withdrawn (pending and settled), in upload order (a FHIR Claim
    lists them)."""
    return [_fee(r) for r in conn.execute(select(fee_details).where(
        fee_details.c.mdtrt_id == mdtrt_id, fee_details.c.status != "cancelled")
        .order_by(fee_details.c.uploaded_at, fee_details.c.feedetl_sn))]


def fees(conn: Connection, mdtrt_id: str) -> dict[str, FeeRecord]:
    """Every line of a visit, by feedetl_sn (a receipt prints quantities and codes)."""
    return {r.feedetl_sn: _fee(r) for r in conn.execute(
        select(fee_details).where(fee_details.c.mdtrt_id == mdtrt_id))}


def add_fees(conn: Connection, v: VisitRecord, rows: Sequence[tuple[Any, FeeLine]], *,
             at: datetime) -> None:
    """Store uploaded lines: (the FeeIn command, its checked line), in the visit's region."""
    _ADD_FEES.run_many(conn, [{
        "insuplc_admdvs": v.insuplc_admdvs, "mdtrt_id": v.mdtrt_id, "feedetl_sn": f.feedetl_sn,
        "med_list_codg": f.med_list_codg,
        "medins_list_codg": f.medins_list_codg, "cnt": str(line.cnt), "pric": str(line.pric),
        "det_item_fee_sumamt": f.det_item_fee_sumamt, "fee_ocur_time": at,
        "within_limits": f.within_limits, "trace_codes": json.dumps(list(f.trace_codes)),
        "trdn_flag": f.trdn_flag, "chrg_bchno": f.chrg_bchno, "status": "pending",
        "uploaded_at": at} for f, line in rows])


def cancel_fees(conn: Connection, mdtrt_id: str, *, sns: Sequence[str] = (),
                chrg_bchno: str | None = None) -> int:
    """Withdraw pending lines (those named, a charge batch, or all); how many."""
    q = update(fee_details).where(fee_details.c.mdtrt_id == mdtrt_id,
                                  fee_details.c.status == "pending")
    if sns:
        q = q.where(fee_details.c.feedetl_sn.in_(sns))
    if chrg_bchno:
        q = q.where(fee_details.c.chrg_bchno == chrg_bchno)
    return int(conn.execute(q.values(status="cancelled")).rowcount)


def settle_fees(conn: Connection, mdtrt_id: str, sns: Sequence[str], setl_id: str) -> None:
    if sns:
        _SETTLE_FEE.run_many(conn, [{"w_mdtrt_id": mdtrt_id, "w_sn": sn, "status": "settled",
                                     "setl_id": setl_id} for sn in sns])


def reopen_fees(conn: Connection, setl_id: str) -> None:
    """A cancelled settlement's lines can be settled again."""
    conn.execute(update(fee_details).where(fee_details.c.setl_id == setl_id)
                 .values(status="pending", setl_id=None))


# -- settlements ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Outcome(Setlinfo):
    """What a settlement computed and did, as stored (the setlinfo column)."""

    setldetail: tuple[DetailView, ...]
    lines: tuple[LineView, ...]
    payments: tuple[PaymentView, ...]
    year_deltas: dict[str, int]
    """Added to the person's year accumulators; taken back on cancel."""
    stay_deltas: dict[str, int]
    """Added to the stay's accumulators; taken back on cancel."""
    rule: str
    psn_type: str
    psn_name_masked: str
    med_type: str
    balc: int | None
    filing_kind: str | None
    mdtrt_cert_type: str | None = None
    """The credential it was settled with (absent from rows written before it was kept)."""
    supp_cap: int | None = None
    """The supplementary layer's annual cap that year, its raise included (None: no cap, not
    applied, or written before it was kept)."""
    supp_plus: int = 0
    """The raise in supp_cap: 大病保险 incentives (continuous enrollment, claim-free years)."""
    quota_not_accepted: int = 0
    """Wallet quota left unused because the institution does not take the wallet: what it
    would have paid (absent, 0, from rows written before it was kept)."""


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    setl_id: str
    mdtrt_id: str
    psn_no: str
    insutype: str
    fixmedins_code: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    care: str
    medins_setl_id: str | None
    setl_time: datetime
    year: int
    status: str
    clearing_amt: int
    entry_id: str
    outcome: Outcome


def _settlement(r: Row[Any]) -> SettlementRecord:
    return SettlementRecord(
        r.setl_id, r.mdtrt_id, r.psn_no, r.insutype, r.fixmedins_code, r.insuplc_admdvs,
        r.mdtrtarea_admvs, r.care, r.medins_setl_id, r.setl_time, r.year, r.status,
        int(r.clearing_amt), r.entry_id, from_json(json.loads(r.setlinfo), Outcome))


def settlement(conn: Connection, setl_id: str, *, lock: bool = False
               ) -> SettlementRecord | None:
    q = select(settlements).where(settlements.c.setl_id == setl_id)
    row = conn.execute(q.with_for_update() if lock else q).first()
    return None if row is None else _settlement(row)


def settlement_of_message(conn: Connection, fixmedins_code: str, medins_setl_id: str, *,
                          lock: bool = False) -> SettlementRecord | None:
    """The settlement an institution's message (its medins_setl_id) made, if any."""
    q = select(settlements).where(settlements.c.fixmedins_code == fixmedins_code,
                                  settlements.c.medins_setl_id == medins_setl_id)
    row = conn.execute(q.with_for_update() if lock else q).first()
    return None if row is None else _settlement(row)


def claim_medins_setl_id(conn: Connection, admdvs: str, fixmedins_code: str,
                         medins_setl_id: str, *, state: str, at: datetime) -> str | None:
    """Claim a settlement message id for a settlement (state settled) or a reversal that came
    first (reversed). None if this transaction now holds it; otherwise the state it already
    had. A concurrent claimer of the same id waits here for the holder's commit (PostgreSQL)
    or for the write lock (SQLite), then reads what the holder did."""
    got = conn.execute(_CLAIM_ID[conn.dialect.name == "postgresql"], {
        "admdvs": admdvs, "fixmedins_code": fixmedins_code, "medins_setl_id": medins_setl_id,
        "state": state,
        "created_at": at}).first()
    if got is not None:
        return None
    held: str | None = conn.execute(select(medins_setl_ids.c.state).where(
        medins_setl_ids.c.admdvs == admdvs, medins_setl_ids.c.fixmedins_code == fixmedins_code,
        medins_setl_ids.c.medins_setl_id == medins_setl_id)).scalar()
    return held or state


_CLAIM_ID = {pg: (pg_insert if pg else sqlite_insert)(medins_setl_ids)
             .on_conflict_do_nothing(index_elements=["admdvs", "fixmedins_code",
                                                     "medins_setl_id"])
             .returning(medins_setl_ids.c.state) for pg in (False, True)}


def live_settlement(conn: Connection, mdtrt_id: str) -> str | None:
    return conn.execute(select(settlements.c.setl_id).where(
        settlements.c.mdtrt_id == mdtrt_id, settlements.c.status == "settled")).scalar()


def settlements_of(conn: Connection, psn_no: str, *, limit: int) -> list[SettlementRecord]:
    return [_settlement(r) for r in conn.execute(select(settlements).where(
        settlements.c.psn_no == psn_no).order_by(settlements.c.setl_time.desc()).limit(limit))]


_ADD_SETTLEMENT = fast.Prepared(fast.insert_of(settlements, [
    "setl_id", "mdtrt_id", "psn_no", "insutype", "fixmedins_code", "insuplc_admdvs",
    "mdtrtarea_admvs", "care", "medins_setl_id", "setl_time", "year", "status",
    "medfee_sumamt", "fund_pay_sumamt", "acct_pay", "acct_mulaid_pay", "psn_cash_pay",
    "clearing_amt", "setlinfo", "entry_id"]))


def add_settlement(conn: Connection, s: SettlementRecord) -> None:
    o = s.outcome
    _ADD_SETTLEMENT.run(conn, dict(
        setl_id=s.setl_id, mdtrt_id=s.mdtrt_id, psn_no=s.psn_no, insutype=s.insutype,
        fixmedins_code=s.fixmedins_code, insuplc_admdvs=s.insuplc_admdvs,
        mdtrtarea_admvs=s.mdtrtarea_admvs, care=s.care, medins_setl_id=s.medins_setl_id,
        setl_time=s.setl_time, year=s.year, status=s.status, medfee_sumamt=o.medfee_sumamt,
        fund_pay_sumamt=o.fund_pay_sumamt, acct_pay=o.acct_pay,
        acct_mulaid_pay=o.acct_mulaid_pay, psn_cash_pay=o.psn_cash_pay,
        clearing_amt=s.clearing_amt, setlinfo=json.dumps(to_json(o, Outcome)),
        entry_id=s.entry_id))


def cancel_settlement(conn: Connection, setl_id: str, *, cancel_entry_id: str,
                      at: datetime) -> None:
    conn.execute(update(settlements).where(settlements.c.setl_id == setl_id).values(
        status="cancelled", cancel_entry_id=cancel_entry_id, cancelled_at=at))


# -- accumulators -----------------------------------------------------------------------------

_YEAR = fast.Prepared(select(accumulators.c.name, accumulators.c.value).where(
    accumulators.c.psn_no == bindparam("psn_no"), accumulators.c.insutype == bindparam("insutype"),
    accumulators.c.year == bindparam("year")))
_STAY = fast.Prepared(select(stay_accumulators.c.name, stay_accumulators.c.value).where(
    stay_accumulators.c.mdtrt_id == bindparam("mdtrt_id")))


def year_accumulators(conn: Connection, psn_no: str, insutype: str, year: int
                      ) -> dict[str, int]:
    return {r.name: int(r.value) for r in _YEAR.run(conn, {
        "psn_no": psn_no, "insutype": insutype, "year": year})}


def stay_accumulators_of(conn: Connection, mdtrt_id: str) -> dict[str, int]:
    return {r.name: int(r.value) for r in _STAY.run(conn, {"mdtrt_id": mdtrt_id})}


def years_fund_paid(conn: Connection, psn_no: str, insutype: str, years: Iterable[int]
                    ) -> set[int]:
    """Those of `years` in which a fund of the scheme paid the person something: the pooled
    fund (paid:*) or the supplementary layer (supp:paid); medical assistance is not the
    insurance fund. A cancelled settlement has taken its payments back."""
    wanted = sorted(set(years))
    if not wanted:
        return set()
    a = accumulators.c
    return set(conn.execute(select(a.year).distinct().where(
        a.psn_no == psn_no, a.insutype == insutype, a.year.in_(wanted), a.value > 0,
        (a.name.like("paid:%")) | (a.name == "supp:paid"))).scalars())


def all_accumulators(conn: Connection, psn_no: str, year: int
                     ) -> list[tuple[str, int, str, int]]:
    """(insutype, year, name, value) of a person's year."""
    return [(r.insutype, int(r.year), r.name, int(r.value)) for r in conn.execute(
        select(accumulators).where(accumulators.c.psn_no == psn_no,
                                   accumulators.c.year == year))]


def _adding(table: Any, keys: list[str]) -> dict[bool, fast.Prepared]:
    """INSERT the row with value = :value, or add :value to the row there (per dialect)."""
    delta = bindparam("delta", type_=table.c.value.type)
    return {pg: fast.Prepared((pg_insert if pg else sqlite_insert)(table)
                              .values({**fast.values_of(table, keys), "value": delta})
                              .on_conflict_do_update(index_elements=keys,
                                                     set_={"value": table.c.value + delta}))
            for pg in (False, True)}


_ACCUMULATE = {pg: fast.Prepared((pg_insert if pg else sqlite_insert)(accumulators).values({
    **fast.values_of(accumulators, ["psn_no", "insutype", "year", "name"]),
    "admdvs": person_region(bindparam("psn_no", type_=accumulators.c.psn_no.type)),
    "value": bindparam("delta", type_=accumulators.c.value.type)})
    .on_conflict_do_update(
        index_elements=["admdvs", "psn_no", "insutype", "year", "name"],
        set_={"value": accumulators.c.value + bindparam("delta",
                                                        type_=accumulators.c.value.type)}))
    for pg in (False, True)}
"""A person's accumulators are in the person's region."""
_ACCUMULATE_STAY = _adding(stay_accumulators, ["insuplc_admdvs", "mdtrt_id", "name"])


def accumulate(conn: Connection, psn_no: str, insutype: str, year: int,
               deltas: Mapping[str, int]) -> None:
    q = _ACCUMULATE[conn.dialect.name == "postgresql"]
    for name, delta in sorted(deltas.items()):
        if delta:
            q.run(conn, {"psn_no": psn_no, "insutype": insutype, "year": year, "name": name,
                         "delta": delta})


def accumulate_stay(conn: Connection, insuplc_admdvs: str, mdtrt_id: str,
                    deltas: Mapping[str, int]) -> None:
    q = _ACCUMULATE_STAY[conn.dialect.name == "postgresql"]
    for name, delta in sorted(deltas.items()):
        if delta:
            q.run(conn, {"insuplc_admdvs": insuplc_admdvs, "mdtrt_id": mdtrt_id, "name": name,
                         "delta": delta})


# -- trace-code sales -------------------------------------------------------------------------

def sold(conn: Connection, keys: Iterable[str]) -> dict[str, list[tracecode.Sold]]:
    """Every sale not returned of these boxes, in one query."""
    out: dict[str, list[tracecode.Sold]] = {}
    wanted = set(keys)
    if wanted:
        for r in _SOLD.run(conn, {"keys": sorted(wanted)}):
            out.setdefault(r.code_key, []).append(tracecode.Sold(Fraction(r.fraction),
                                                                 bool(r.trdn_flag)))
    return out


_SOLD = fast.ByArity(lambda keys: select(
    trace_sales.c.code_key, trace_sales.c.fraction, trace_sales.c.trdn_flag).where(
    trace_sales.c.code_key.in_(keys), trace_sales.c.status == "sold"))


def add_sales(conn: Connection, boxes: Sequence[tracecode.Box], *, ids: Sequence[str],
              psn_no: str, fixmedins_code: str, setl_id: str, at: datetime) -> None:
    if boxes:
        _ADD_SALES.run_many(conn, [{
            "id": i, "code_key": b.code.key, "raw": b.code.raw[:128], "psn_no": psn_no,
            "fixmedins_code": fixmedins_code, "med_list_codg": b.med_list_codg,
            "setl_id": setl_id, "fraction": str(b.fraction), "trdn_flag": b.split,
            "status": "sold", "sold_at": at} for i, b in zip(ids, boxes, strict=True)])


def add_untraced(conn: Connection, taken: Mapping[str, Fraction], *, ids: Sequence[str],
                 psn_no: str, fixmedins_code: str, setl_id: str, at: datetime) -> None:
    """Sales from the institution's untraced stock (无码库): one row per drug, under the
    stock's key, returned with the settlement's other sales when it is cancelled."""
    if taken:
        _ADD_SALES.run_many(conn, [{
            "id": i, "code_key": tracecode.stock_key(fixmedins_code, item), "raw": "无码库",
            "psn_no": psn_no, "fixmedins_code": fixmedins_code, "med_list_codg": item,
            "setl_id": setl_id, "fraction": str(boxes), "trdn_flag": False,
            "status": "sold", "sold_at": at} for i, (item, boxes) in zip(ids, sorted(
                taken.items()), strict=True)])


_ADD_SALES = fast.Prepared(fast.insert_of(trace_sales, [
    "id", "code_key", "raw", "psn_no", "fixmedins_code", "med_list_codg", "setl_id",
    "fraction", "trdn_flag", "status", "sold_at"]))


def return_sales(conn: Connection, setl_id: str, *, at: datetime) -> None:
    conn.execute(update(trace_sales).where(trace_sales.c.setl_id == setl_id,
                                           trace_sales.c.status == "sold")
                 .values(status="returned", returned_at=at))


# -- what a settlement reads about the person ---------------------------------------------------

_DAY = bindparam("day", type_=person_flags.c.begndate.type)
_FLAGS = fast.Prepared(select(person_flags.c.flag).where(
    person_flags.c.psn_no == bindparam("psn_no"), person_flags.c.begndate <= _DAY,
    (person_flags.c.enddate.is_(None)) | (person_flags.c.enddate > _DAY)))


def flags(conn: Connection, psn_no: str, day: date) -> set[str]:
    """The eligibilities in force (assistance, low income)."""
    return set(_FLAGS.run(conn, {"psn_no": psn_no, "day": day}).scalars())


# -- what the queries read (5201, 5204, 5205) ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FeeRow:
    """A stored fee line with what the queries show besides the line itself."""

    mdtrt_id: str
    fee: FeeRecord
    medins_list_codg: str | None
    fee_ocur_time: datetime
    """When gongji received the line (the upload)."""
    setl_id: str | None
    """The settlement that settled it (None while pending)."""


def _fee_row(r: Row[Any]) -> FeeRow:
    return FeeRow(r.mdtrt_id, _fee(r), r.medins_list_codg, r.fee_ocur_time, r.setl_id)


def fee_rows(conn: Connection, mdtrt_id: str, *, setl_id: str | None = None) -> list[FeeRow]:
    """The visit's lines not withdrawn, in upload order; only one settlement's when named."""
    q = select(fee_details).where(fee_details.c.mdtrt_id == mdtrt_id,
                                  fee_details.c.status != "cancelled")
    if setl_id is not None:
        q = q.where(fee_details.c.setl_id == setl_id)
    return [_fee_row(r) for r in conn.execute(
        q.order_by(fee_details.c.uploaded_at, fee_details.c.feedetl_sn))]


def visits_of(conn: Connection, psn_no: str, fixmedins_code: str, *, since: datetime,
              until: datetime, med_type: str | None = None, mdtrt_id: str | None = None
              ) -> list[VisitRecord]:
    """The person's visits at the institution begun in [since, until], not cancelled,
    oldest first."""
    q = select(visits).where(visits.c.psn_no == psn_no,
                             visits.c.fixmedins_code == fixmedins_code,
                             visits.c.status != "cancelled", visits.c.begntime >= since,
                             visits.c.begntime <= until)
    if med_type is not None:
        q = q.where(visits.c.med_type == med_type)
    if mdtrt_id is not None:
        q = q.where(visits.c.mdtrt_id == mdtrt_id)
    return [_visit(r) for r in conn.execute(q.order_by(visits.c.begntime, visits.c.mdtrt_id))]


def has_visit(conn: Connection, psn_no: str, fixmedins_code: str) -> bool:
    """Whether the institution has a visit (not cancelled) with the person."""
    return conn.execute(select(visits.c.mdtrt_id).where(
        visits.c.psn_no == psn_no, visits.c.fixmedins_code == fixmedins_code,
        visits.c.status != "cancelled").limit(1)).first() is not None


def settled_rows_of(conn: Connection, psn_no: str, care: str, *, since: datetime,
                    until: datetime | None) -> list[tuple[VisitRecord, FeeRow]]:
    """The person's settled lines of visits of one care, received in [since, until],
    at any institution, oldest first."""
    q = select(visits, fee_details.c.feedetl_sn, fee_details.c.med_list_codg,
               fee_details.c.medins_list_codg, fee_details.c.cnt, fee_details.c.pric,
               fee_details.c.det_item_fee_sumamt, fee_details.c.fee_ocur_time,
               fee_details.c.within_limits, fee_details.c.trace_codes,
               fee_details.c.trdn_flag, fee_details.c.status.label("fee_status"),
               fee_details.c.setl_id).join(
        fee_details, fee_details.c.mdtrt_id == visits.c.mdtrt_id).where(
        visits.c.psn_no == psn_no, visits.c.care == care,
        fee_details.c.status == "settled", fee_details.c.fee_ocur_time >= since)
    if until is not None:
        q = q.where(fee_details.c.fee_ocur_time <= until)
    out = []
    for r in conn.execute(q.order_by(fee_details.c.fee_ocur_time, visits.c.mdtrt_id,
                                     fee_details.c.feedetl_sn)):
        fee = FeeRecord(r.feedetl_sn, r.med_list_codg, r.cnt, r.pric,
                        int(r.det_item_fee_sumamt), bool(r.within_limits),
                        tuple(str(c) for c in json.loads(r.trace_codes)), bool(r.trdn_flag),
                        r.fee_status)
        out.append((_visit(r), FeeRow(r.mdtrt_id, fee, r.medins_list_codg, r.fee_ocur_time,
                                      r.setl_id)))
    return out


def open_stays_of(conn: Connection, fixmedins_code: str, *, psn_no: str | None = None,
                  since: datetime | None = None, until: datetime | None = None
                  ) -> list[VisitRecord]:
    """The institution's stays not discharged nor closed (of one person when named), begun
    in [since, until] where given, oldest first."""
    q = select(visits).where(visits.c.fixmedins_code == fixmedins_code,
                             visits.c.care == "inpatient", visits.c.status == "open",
                             visits.c.endtime.is_(None))
    if psn_no is not None:
        q = q.where(visits.c.psn_no == psn_no)
    if since is not None:
        q = q.where(visits.c.begntime >= since)
    if until is not None:
        q = q.where(visits.c.begntime <= until)
    return [_visit(r) for r in conn.execute(q.order_by(visits.c.begntime, visits.c.mdtrt_id))]


def pay_auth_person(conn: Connection, pay_auth_no: str) -> str | None:
    """Whose payment authorization (payAuthNo) this is."""
    return conn.execute(select(pay_auths.c.psn_no).where(
        pay_auths.c.pay_auth_no == pay_auth_no)).scalar_one_or_none()


def settled_fees(conn: Connection, setl_id: str) -> list[FeeRecord]:
    """The lines a settlement settled, in upload order."""
    return [_fee(r) for r in conn.execute(select(fee_details).where(
        fee_details.c.setl_id == setl_id, fee_details.c.status == "settled")
        .order_by(fee_details.c.uploaded_at, fee_details.c.feedetl_sn))]


def sales_of(conn: Connection, setl_ids: Sequence[str], *, status: str = "sold"
             ) -> list[tuple[str, str, str]]:
    """The boxes these settlements sold by trace code: (setl_id, med_list_codg, code)."""
    if not setl_ids:
        return []
    return [(r.setl_id, r.med_list_codg, r.raw) for r in conn.execute(
        select(trace_sales.c.setl_id, trace_sales.c.med_list_codg, trace_sales.c.raw).where(
            trace_sales.c.setl_id.in_(list(setl_ids)), trace_sales.c.status == status,
            trace_sales.c.raw != "无码库").order_by(trace_sales.c.sold_at, trace_sales.c.id))]


def settlements_of_visit(conn: Connection, mdtrt_id: str) -> list[str]:
    return list(conn.execute(select(settlements.c.setl_id).where(
        settlements.c.mdtrt_id == mdtrt_id).order_by(settlements.c.setl_time)).scalars())
