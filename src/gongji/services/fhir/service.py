"""FHIR R4 reads: persons, enrollments, accounts, visits, settlements and clearing as FHIR
resources (docs/FHIR.md has the mapping, field by field).

Each read is one unit of work and checks the same authority as the REST API: a person reads
their own records (or a relative's through a proxy), an operator reads everything, an
institution reads the visits and settlements it made. Every resource is built as a plain
dict, validated by its `fhir.resources` (R4B) model, and returned as the dict: amounts stay
exact Decimals made from fen (the models' own JSON would write them through floats). Personal
data leaves masked: the ID number as 110101********1234, the name as 张*, the birth date as a
year; the key is the opaque psn_no.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from gongji import __version__
from gongji.domain.access import Act
from gongji.domain.catalog import ratio_text
from gongji.domain.errors import GongjiError
from gongji.domain.money import to_decimal
from gongji.services.access import authorize
from gongji.services.catalog.service import lookup
from gongji.services.claims import service as hand_claims
from gongji.services.claims.store import ClaimRecord, LineRecord
from gongji.services.clearing import service as clearing
from gongji.services.door import door
from gongji.services.fhir.model import (
    ADJUDICATION,
    CURRENCY,
    EXT_BALANCE,
    EXT_QUOTA,
    FHIR_VERSION,
    INSUTYPE_NAMES,
    ISSUE_CODES,
    MEDIA_TYPE,
    NS,
    RESOURCE_TYPES,
    SEARCH,
    SERVED,
    STANDARD,
    TOTALS,
    Json,
)
from gongji.services.institutions import service as institutions
from gongji.services.people import service as people
from gongji.services.runtime import Gongji
from gongji.services.settlement import service as svc
from gongji.services.settlement import store as settlements
from gongji.services.settlement.store import Outcome, SettlementRecord, VisitRecord
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.services.wallet import service as wallets

__all__ = ["STANDARD"]
"""What callers still reach here though this module does not use it (the model, under its
old names)."""


class _Models(Mapping[str, Any]):
    """resourceType -> its fhir.resources R4B model class, imported on first use (the models
    take half a second to import: an API process that never serves FHIR does not pay it)."""

    def __getitem__(self, name: str) -> Any:
        if name not in RESOURCE_TYPES:
            raise KeyError(name)
        module = importlib.import_module(f"fhir.resources.R4B.{name.lower()}")
        return getattr(module, name)

    def __iter__(self) -> Any:
        return iter(RESOURCE_TYPES)

    def __len__(self) -> int:
        return len(RESOURCE_TYPES)


MODELS = _Models()


# -- building blocks -------------------------------------------------------------------------

def money(fen: int) -> Json:
    """FHIR Money from fen: an exact two-decimal Decimal, never a float."""
    return {"value": to_decimal(fen), "currency": CURRENCY}


def coding(system: str, code: str, display: str | None = None) -> Json:
    c: Json = {"system": system if ":" in system else NS + system, "code": code}
    if display:
        c["display"] = display
    return c


def concept(system: str, code: str, display: str | None = None) -> Json:
    return {"coding": [coding(system, code, display)]}


def ident(system: str, value: str) -> Json:
    return {"system": NS + system, "value": value}


def ref(kind: str, id_: str, display: str | None = None) -> Json:
    r: Json = {"reference": f"{kind}/{id_}"}
    if display:
        r["display"] = display
    return r


def region_ref(admdvs: str, role: str) -> Json:
    return {"identifier": ident("admdvs", admdvs), "display": f"{role} {admdvs}"}


def validated(resource: Json) -> Json:
    """The resource checked by its fhir.resources model (a failure here is our bug)."""
    model = MODELS[resource["resourceType"]]
    try:
        model.model_validate(resource)
    except ValidationError as e:  # pragma: no cover - the mapping is tested resource by resource
        raise RuntimeError(f"{resource['resourceType']} does not validate: {e}") from e
    return resource


def render(value: Any) -> str:
    """JSON with Decimals written as their exact digits (12.30 stays 12.30), compact, UTF-8
    text kept as is. (The same writer as the gateway's jsonio, kept here so that services do
    not reach up into an entrypoint.)"""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():  # pragma: no cover - amounts come from fen
            raise ValueError(f"not a FHIR decimal: {value}")
        return format(value, "f")
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{render(v)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(render(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as FHIR JSON")


def outcome(err: GongjiError) -> Json:
    """An OperationOutcome for a refusal: the error code in details, both messages."""
    return validated({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error",
                   "code": ISSUE_CODES.get(err.spec.http_status, "processing"),
                   "details": {"coding": [coding("error", err.code)], "text": err.message},
                   "diagnostics": err.message_en}]})


def _day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _time(t: datetime) -> str:
    return t.isoformat()


# -- reads ---------------------------------------------------------------------------------------

def _read(app: Gongji, who: Principal, fn: Callable[[UnitOfWork], Json]) -> Json:
    return app.read(fn, principal=who)


def _person_only(uow: UnitOfWork, who: Principal, psn_no: str) -> None:
    """Records of a person: the person, a proxy holder, operators (institutions: no)."""
    authorize(uow, who, Act.READ, psn_no)


@door
def patient(app: Gongji, who: Principal, psn_no: str) -> Json:
    def run(uow: UnitOfWork) -> Json:
        _person_only(uow, who, psn_no)
        return patient_in(uow, psn_no)

    return _read(app, who, run)


def patient_in(uow: UnitOfWork, psn_no: str) -> Json:
    try:
        p = people.person(uow.conn, psn_no).masked
    except GongjiError:
        raise GongjiError("FHIR_RESOURCE_NOT_FOUND", resource="Patient", id=psn_no) from None
    return validated({
        "resourceType": "Patient", "id": p.psn_no,
        "identifier": [{**ident("psn_no", p.psn_no), "use": "official"},
                       {**ident("certno-masked", p.certno_masked), "use": "secondary",
                        "type": {"text": "居民身份证号（已脱敏）resident ID number, masked"}}],
        "active": True,
        "name": [{"text": p.name_masked}],
        "gender": {"1": "male", "2": "female"}.get(p.gend, "unknown"),
        "birthDate": str(p.brdy_year),
    })


@door
def coverage(app: Gongji, who: Principal, enrollment_id: str) -> Json:
    def run(uow: UnitOfWork) -> Json:
        try:
            e = people.enrollment(uow.conn, enrollment_id)
        except GongjiError:
            raise GongjiError("FHIR_RESOURCE_NOT_FOUND", resource="Coverage",
                              id=enrollment_id) from None
        _person_only(uow, who, e.psn_no)
        return _coverage(e)

    return _read(app, who, run)


@door
def coverages(app: Gongji, who: Principal, psn_no: str) -> Json:
    """Search Coverage?beneficiary=Patient/{psn_no}: a searchset Bundle."""
    def run(uow: UnitOfWork) -> Json:
        _person_only(uow, who, psn_no)
        return bundle([_coverage(e) for e in people.enrollments_of(uow.conn, psn_no)])

    return _read(app, who, run)


def _coverage(e: people.Enrollment) -> Json:
    period: Json = {"start": _day(e.begndate)}
    if e.enddate:
        period["end"] = _day(e.enddate)
    return validated({
        "resourceType": "Coverage", "id": e.id,
        "identifier": [ident("enrollment", e.id)],
        "status": "active" if e.status == "active" else "cancelled",
        "type": concept("insutype", e.insutype, INSUTYPE_NAMES.get(e.insutype)),
        "beneficiary": ref("Patient", e.psn_no),
        "payor": [region_ref(e.insuplc_admdvs, "参保地 insured region")],
        "period": period,
        "class": [{"type": concept("http://terminology.hl7.org/CodeSystem/coverage-class",
                                   "plan"),
                   "value": e.psn_type, "name": f"psn_type {e.psn_type}"}],
    })


@door
def account(app: Gongji, who: Principal, account_id: str) -> Json:
    """Account/{psn_no}: the personal account (个人账户); Account/{psn_no}-wallet: the wallet
    (医保钱包) with one quota per sponsor. R4 Account has no balance: an extension holds it."""
    psn_no, _, part = account_id.partition("-")
    if part not in ("", "wallet"):
        raise GongjiError("FHIR_RESOURCE_NOT_FOUND", resource="Account", id=account_id)

    def run(uow: UnitOfWork) -> Json:
        _person_only(uow, who, psn_no)
        try:
            people.person(uow.conn, psn_no)
        except GongjiError:
            raise GongjiError("FHIR_RESOURCE_NOT_FOUND", resource="Account",
                              id=account_id) from None
        w = wallets.view(uow, psn_no)
        if part == "":
            if w.personal_account is None:
                raise GongjiError("FHIR_RESOURCE_NOT_FOUND", resource="Account", id=account_id)
            return validated({
                "resourceType": "Account", "id": account_id,
                "identifier": [ident("account", f"PERSONAL/{psn_no}")],
                "status": "active",
                "type": concept("account-kind", "PERSONAL", "个人账户 personal account"),
                "name": "个人账户 personal account",
                "subject": [ref("Patient", psn_no)],
                "extension": [{"url": EXT_BALANCE, "valueMoney": money(w.personal_account)}],
            } | ({"owner": region_ref(w.insuplc_admdvs, "参保地 insured region")}
                 if w.insuplc_admdvs else {}))
        if w.status == "none":
            raise GongjiError("FHIR_RESOURCE_NOT_FOUND", resource="Account", id=account_id)
        quotas = [{"url": EXT_QUOTA, "extension": [
            {"url": "sponsor", "valueReference": ref("Patient", q.sponsor_psn_no,
                                                     q.sponsor_name_masked)},
            *([{"url": "relation", "valueCode": q.relation}] if q.relation else []),
            {"url": "balance", "valueMoney": money(q.balance)}]} for q in w.quotas]
        res: Json = {
            "resourceType": "Account", "id": account_id,
            "identifier": [ident("wallet", psn_no)],
            "status": "active" if w.status == "open" else "inactive",
            "type": concept("account-kind", "WALLET", "医保钱包 wallet"),
            "name": "医保钱包 wallet",
            "subject": [ref("Patient", psn_no)],
            "extension": [{"url": EXT_BALANCE, "valueMoney": money(w.quota_total)}, *quotas],
        }
        if w.opened_at:
            res["servicePeriod"] = {"start": _time(w.opened_at)}
        return validated(res)

    return _read(app, who, run)


def _visit(uow: UnitOfWork, who: Principal, mdtrt_id: str) -> VisitRecord:
    v = settlements.visit(uow.conn, mdtrt_id)
    if v is None or (who.kind == "institution" and who.id != v.fixmedins_code):
        raise GongjiError("FHIR_RESOURCE_NOT_FOUND", resource="Claim", id=mdtrt_id)
    if who.kind != "institution":
        _person_only(uow, who, v.psn_no)
    return v


def _coverage_id(uow: UnitOfWork, psn_no: str, insutype: str) -> str | None:
    for e in people.enrollments_of(uow.conn, psn_no):
        if e.insutype == insutype and e.status == "active":
            return e.id
    found = [e.id for e in people.enrollments_of(uow.conn, psn_no) if e.insutype == insutype]
    return found[-1] if found else None


def _provider(uow: UnitOfWork, code: str) -> Json:
    name = institutions.get_in(uow, code).fixmedins_name
    return {"identifier": ident("fixmedins_code", code), "display": name or code}


def _claim_type(care: str) -> Json:
    code = "pharmacy" if care == "pharmacy" else "institutional"
    return concept("http://terminology.hl7.org/CodeSystem/claim-type", code)


def _insurance(uow: UnitOfWork, psn_no: str, insutype: str, *, sequence: bool = False
               ) -> list[Json]:
    """Claim.insurance has a sequence; ExplanationOfBenefit.insurance has none."""
    cid = _coverage_id(uow, psn_no, insutype)
    cov = ref("Coverage", cid) if cid else {"display": INSUTYPE_NAMES.get(insutype, insutype)}
    return [{**({"sequence": 1} if sequence else {}), "focal": True, "coverage": cov}]


@door
def claim(app: Gongji, who: Principal, mdtrt_id: str) -> Json:
    """Claim/{mdtrt_id}: a visit's fee lines (withdrawn lines left out); Claim/{claim_id}: a
    hand claim (手工报销) as submitted."""
    def run(uow: UnitOfWork) -> Json:
        hand = hand_claims.found_in(uow, who, mdtrt_id)
        if hand is not None:
            return _hand_claim(uow, hand[0], hand[1])
        v = _visit(uow, who, mdtrt_id)
        rows = settlements.live_fees(uow.conn, mdtrt_id)
        items = lookup(uow, v.mdtrtarea_admvs, [r.med_list_codg for r in rows], uow.today)
        lines = []
        for i, r in enumerate(rows, start=1):
            item = items.get(r.med_list_codg)
            lines.append({
                "sequence": i,
                "productOrService": concept("med_list_codg", r.med_list_codg,
                                            item.name if item else None),
                "quantity": {"value": Decimal(r.cnt)},
                "unitPrice": {"value": Decimal(r.pric), "currency": CURRENCY},
                "net": money(r.det_item_fee_sumamt),
                "extension": [{"url": f"{NS}extension:feedetl_sn", "valueString": r.feedetl_sn},
                              {"url": f"{NS}extension:line-status", "valueCode": r.status}],
            })
        res: Json = {
            "resourceType": "Claim", "id": mdtrt_id,
            "identifier": [ident("mdtrt_id", mdtrt_id)],
            "status": "cancelled" if v.status == "cancelled" else "active",
            "type": _claim_type(v.care),
            "subType": concept("med_type", v.med_type, v.care),
            "use": "claim",
            "patient": ref("Patient", v.psn_no),
            "billablePeriod": {"start": _time(v.begntime),
                               **({"end": _time(v.endtime)} if v.endtime else {})},
            "created": _time(v.begntime),
            "insurer": region_ref(v.insuplc_admdvs, "参保地 insured region"),
            "provider": _provider(uow, v.fixmedins_code),
            "priority": concept("http://terminology.hl7.org/CodeSystem/processpriority",
                                "normal"),
            "insurance": _insurance(uow, v.psn_no, v.insutype, sequence=True),
            "item": lines,
            "total": money(sum(r.det_item_fee_sumamt for r in rows)),
        }
        if v.dise_codg:
            res["diagnosis"] = [{"sequence": 1, "diagnosisCodeableConcept": concept(
                "dise_codg", v.dise_codg)}]
        return validated(res)

    return _read(app, who, run)


def _settlement(uow: UnitOfWork, who: Principal, setl_id: str, kind: str
                ) -> tuple[svc.SettlementView, SettlementRecord]:
    return _readable(uow, who, settlements.settlement(uow.conn, setl_id), setl_id, kind)


def _readable(uow: UnitOfWork, who: Principal, s: SettlementRecord | None, setl_id: str,
              kind: str) -> tuple[svc.SettlementView, SettlementRecord]:
    """A settlement the caller may read, as its view and its record (an institution reads
    its own; another caller, the person's)."""
    if s is None or (who.kind == "institution" and who.id != s.fixmedins_code):
        raise GongjiError("FHIR_RESOURCE_NOT_FOUND", resource=kind, id=setl_id)
    if who.kind != "institution":
        _person_only(uow, who, s.psn_no)
    return svc.view_of(s), s


def _hand_claim(uow: UnitOfWork, c: ClaimRecord, lines: list[LineRecord]) -> Json:
    items = lookup(uow, c.mdtrtarea_admvs, [x.med_list_codg for x in lines], c.enddate)
    res: Json = {
        "resourceType": "Claim", "id": c.claim_id,
        "identifier": [ident("claim_id", c.claim_id), ident("invoice_no", c.invoice_no)],
        "extension": [{"url": f"{NS}extension:claim-route", "valueCode": "hand"}],
        "status": "cancelled" if c.status == "cancelled" else "active",
        "type": _claim_type(c.care),
        "subType": concept("med_type", c.med_type, c.care),
        "use": "claim",
        "patient": ref("Patient", c.psn_no),
        "billablePeriod": {"start": _day(c.begndate), "end": _day(c.enddate)},
        "created": _time(c.submitted_at),
        "insurer": region_ref(c.insuplc_admdvs, "参保地 insured region"),
        "provider": _provider(uow, c.fixmedins_code),
        "priority": concept("http://terminology.hl7.org/CodeSystem/processpriority", "normal"),
        "payee": {"type": concept("http://terminology.hl7.org/CodeSystem/payeetype",
                                  "subscriber")},
        "insurance": _insurance(uow, c.psn_no, c.insutype, sequence=True),
        "diagnosis": [{"sequence": 1, "diagnosisCodeableConcept": concept(
            "dise_codg", c.dise_codg, c.dise_name)}],
        "item": [{
            "sequence": i,
            "productOrService": concept("med_list_codg", x.med_list_codg,
                                        items[x.med_list_codg].name
                                        if x.med_list_codg in items else None),
            "quantity": {"value": x.cnt},
            "unitPrice": {"value": x.pric, "currency": CURRENCY},
            "net": money(x.det_item_fee_sumamt),
            "extension": [{"url": f"{NS}extension:feedetl_sn", "valueString": x.feedetl_sn}],
        } for i, x in enumerate(lines, start=1)],
        "total": money(c.medfee_sumamt),
    }
    return validated(res)


def _hand_response(uow: UnitOfWork, c: ClaimRecord, lines: list[LineRecord],
                   o: Outcome | None) -> Json:
    reduced = any(x.admitted_cnt is not None and x.admitted_cnt < x.cnt for x in lines)
    outcome = {"submitted": "queued", "refused": "error"}.get(
        c.status, "partial" if reduced else "complete")
    if c.status == "cancelled" and o is None:
        outcome = "error"
    res: Json = {
        "resourceType": "ClaimResponse", "id": c.claim_id,
        "identifier": [ident("claim_id", c.claim_id)],
        "status": "cancelled" if c.status == "cancelled" else "active",
        "type": _claim_type(c.care),
        "subType": concept("med_type", c.med_type, c.care),
        "use": "claim",
        "patient": ref("Patient", c.psn_no),
        "created": _time(c.reviewed_at or c.submitted_at),
        "insurer": region_ref(c.insuplc_admdvs, "参保地 insured region"),
        "request": ref("Claim", c.claim_id),
        "outcome": outcome,
        "disposition": hand_claims.disposition(c),
    }
    if o is not None:
        sequence = {x.feedetl_sn: i for i, x in enumerate(lines, start=1)}
        res["item"] = [{"itemSequence": sequence[ln.feedetl_sn],
                        "adjudication": it["adjudication"]}
                       for ln, it in zip(o.lines, _items(o), strict=True)]
        res["adjudication"] = _adjudication(o)
        res["total"] = [t for t in _adjudication(o) if "amount" in t]
    if c.status == "paid" and c.paid_at is not None:
        res["payment"] = {"type": concept(
            "http://terminology.hl7.org/CodeSystem/ex-paymenttype", "complete"),
            "amount": money(c.reimbursed or 0), "date": _day(c.paid_at.date())}
    return validated(res)


def _adjudication(view: svc.SettlementView | Outcome) -> list[Json]:
    out: list[Json] = [{"category": concept(system, code, display),
                        "amount": money(getattr(view, field))}
                       for field, system, code, display in TOTALS]
    out.insert(3, {"category": concept(ADJUDICATION, "eligpercent", "统筹基金支付比例 "
                                       "pool_prop_selfpay"),
                   "value": Decimal(ratio_text(view.pool_prop_selfpay)) * 100})
    return out


def _items(view: svc.SettlementView | Outcome) -> list[Json]:
    return [{
        "sequence": i,
        "productOrService": concept("med_list_codg", ln.med_list_codg, ln.name),
        "net": money(ln.det_item_fee_sumamt),
        "adjudication": [
            {"category": concept(ADJUDICATION, "submitted"),
             "amount": money(ln.det_item_fee_sumamt)},
            {"category": concept(ADJUDICATION, "eligible"), "amount": money(ln.inscp_scp_amt)},
            {"category": concept(NS + "setlinfo", "fulamt_ownpay_amt"),
             "amount": money(ln.fulamt_ownpay_amt)},
            {"category": concept(NS + "setlinfo", "overlmt_amt"),
             "amount": money(ln.overlmt_amt)},
            {"category": concept(NS + "setlinfo", "preselfpay_amt"),
             "amount": money(ln.preselfpay_amt)}],
    } for i, ln in enumerate(view.lines, start=1)]


def _common(uow: UnitOfWork, view: svc.SettlementView, row: SettlementRecord, kind: str
            ) -> Json:
    return {
        "resourceType": kind, "id": view.setl_id,
        "identifier": [ident("setl_id", view.setl_id or "")]
        + ([ident("medins_setl_id", view.medins_setl_id)] if view.medins_setl_id else []),
        "status": "cancelled" if view.status == "cancelled" else "active",
        "type": _claim_type(row.care),
        "subType": concept("med_type", view.med_type, row.care),
        "use": "claim",
        "patient": ref("Patient", view.psn_no),
        "created": _time(view.setl_time),
        "insurer": region_ref(row.insuplc_admdvs, "参保地 insured region"),
        "outcome": "complete",
        "disposition": f"{view.rule or '无适用待遇 no benefit rule'}"
                       + (f"; 异地 out of area ({view.filing_kind or '未备案 unfiled'})"
                          if view.out_of_area else ""),
    }


@door
def claim_response(app: Gongji, who: Principal, setl_id: str) -> Json:
    """ClaimResponse/{setl_id}: a settlement's adjudication; ClaimResponse/{claim_id}: a hand
    claim's review (queued, complete, partial when lines were reduced, error when refused)
    and its payment."""
    def run(uow: UnitOfWork) -> Json:
        hand = hand_claims.found_in(uow, who, setl_id)
        if hand is not None:
            return _hand_response(uow, *hand)
        view, row = _settlement(uow, who, setl_id, "ClaimResponse")
        res = _common(uow, view, row, "ClaimResponse")
        res.update({
            "requestor": _provider(uow, row.fixmedins_code),
            "request": ref("Claim", view.mdtrt_id),
            "item": [{"itemSequence": it["sequence"], "adjudication": it["adjudication"]}
                     for it in _items(view)],
            "adjudication": _adjudication(view),
            "total": [t for t in _adjudication(view) if "amount" in t],
            "payment": {"type": concept(
                "http://terminology.hl7.org/CodeSystem/ex-paymenttype", "complete"),
                "amount": money(view.fund_pay_sumamt), "date": _day(view.setl_time.date())},
        })
        return validated(res)

    return _read(app, who, run)


@door
def eob(app: Gongji, who: Principal, setl_id: str) -> Json:
    def run(uow: UnitOfWork) -> Json:
        view, row = _settlement(uow, who, setl_id, "ExplanationOfBenefit")
        return eob_in(uow, view, row)

    return _read(app, who, run)


@door
def eobs(app: Gongji, who: Principal, psn_no: str, limit: int = 50) -> Json:
    """Search ExplanationOfBenefit?patient={psn_no}: newest first."""
    def run(uow: UnitOfWork) -> Json:
        _person_only(uow, who, psn_no)
        found = settlements.settlements_of(uow.conn, psn_no, limit=limit)
        return bundle([eob_in(uow, *_readable(uow, who, s, s.setl_id, "ExplanationOfBenefit"))
                       for s in found])

    return _read(app, who, run)


def eob_in(uow: UnitOfWork, view: svc.SettlementView, row: SettlementRecord) -> Json:
    res = _common(uow, view, row, "ExplanationOfBenefit")
    res.update({
        "provider": _provider(uow, row.fixmedins_code),
        "claim": ref("Claim", view.mdtrt_id),
        "claimResponse": ref("ClaimResponse", view.setl_id or ""),
        "insurance": _insurance(uow, view.psn_no, view.insutype),
        "item": _items(view),
        "adjudication": _adjudication(view),
        "total": [t for t in _adjudication(view) if "amount" in t],
        "payment": {"type": concept("http://terminology.hl7.org/CodeSystem/ex-paymenttype",
                                    "complete"),
                    "amount": money(view.fund_pay_sumamt)},
        "benefitBalance": [{
            "category": concept("fund_pay_type", d.fund_pay_type, d.fund_pay_type_name),
            "financial": [
                {"type": concept(NS + "setldetail", "fund_payamt"),
                 "usedMoney": money(d.fund_payamt)},
                *([{"type": concept(NS + "setldetail", "crt_payb_lmt_amt"),
                    "allowedMoney": money(d.crt_payb_lmt_amt)}]
                  if d.crt_payb_lmt_amt is not None else [])]}
            for d in view.setldetail],
        "extension": [{"url": f"{NS}extension:payment-source", "extension": [
            {"url": "kind", "valueCode": p.kind},
            *([{"url": "sponsor", "valueReference": ref("Patient", p.sponsor)}]
              if p.sponsor else []),
            {"url": "amount", "valueMoney": money(p.amount)}]} for p in view.payments],
    })
    return validated(res)


@door
def reconciliation(app: Gongji, who: Principal, month: str) -> Json:
    """PaymentReconciliation/{YYYY-MM}: the month's clearing statement between regions."""
    if who.kind != "operator":
        raise GongjiError("FORBIDDEN")
    clearing.month_bounds(month)
    lines = clearing.statement_of(app, month)
    start, end = clearing.month_bounds(month)
    return validated({
        "resourceType": "PaymentReconciliation", "id": month,
        "identifier": [ident("clearing-month", month)],
        "status": "active",
        "period": {"start": start.date().isoformat(),
                   "end": (end - timedelta(days=1)).date().isoformat()},
        "created": _time(app.clock.now()),
        "outcome": "complete",
        "disposition": "跨统筹区清算：参保地应付就医地 "
                       "what each insured region owes each care region",
        "paymentDate": end.date().isoformat(),
        "paymentAmount": money(sum(x.clearing_amt for x in lines)),
        "detail": [{
            "identifier": ident("clearing-pair", f"{x.insuplc_admdvs}-{x.mdtrtarea_admvs}"),
            "type": concept("http://terminology.hl7.org/CodeSystem/payment-type", "payment"),
            "submitter": region_ref(x.insuplc_admdvs, "参保地 insured region (owes)"),
            "payee": region_ref(x.mdtrtarea_admvs, "就医地 care region (advanced)"),
            "amount": money(x.clearing_amt),
            "extension": [{"url": f"{NS}extension:settlements", "valueInteger": x.count},
                          {"url": f"{NS}extension:medfee_sumamt",
                           "valueMoney": money(x.medfee_sumamt)},
                          {"url": f"{NS}extension:fund_pay_sumamt",
                           "valueMoney": money(x.fund_pay_sumamt)},
                          {"url": f"{NS}extension:acct_pay", "valueMoney": money(x.acct_pay)},
                          {"url": f"{NS}extension:acct_mulaid_pay",
                           "valueMoney": money(x.acct_mulaid_pay)}],
        } for x in lines],
    })


def bundle(resources: list[Json]) -> Json:
    return validated({"resourceType": "Bundle", "type": "searchset", "total": len(resources),
                      "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                                for r in resources]})


@door
def metadata(app: Gongji, who: Principal) -> Json:
    """The CapabilityStatement (public: any caller)."""
    return capability(app.clock.now())


def capability(now: datetime) -> Json:
    return validated({
        "resourceType": "CapabilityStatement", "status": "active", "date": _time(now),
        "kind": "instance", "publisher": "gongji 共济",
        "software": {"name": "gongji", "version": __version__},
        "implementation": {"description": "gongji FHIR R4 read endpoints (medical insurance "
                                          "personal accounts, settlements, clearing)"},
        "fhirVersion": FHIR_VERSION, "format": [MEDIA_TYPE, "json"],
        "rest": [{
            "mode": "server",
            "security": {"description": "Same as /api/v1: a person's or operator's bearer "
                                        "token, or an institution's HMAC-signed request "
                                        "(X-Gongji-Key, -Timestamp, -Nonce, -Signature)."},
            "resource": [{"type": t, "interaction": [{"code": i} for i in ops],
                          **({"searchParam": [{"name": n, "type": k}
                                              for n, k in SEARCH[t]]} if t in SEARCH else {})}
                         for t, ops in SERVED.items()],
        }],
    })


def parse(text: str) -> Json:
    """A FHIR JSON document with exact decimals (for tests and clients)."""
    data: Json = json.loads(text, parse_float=Decimal)
    return data
