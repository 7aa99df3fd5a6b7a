"""Hand claims (手工报销 / 零星报销): submit, withdraw, review, pay, cancel; and the views.

A person (or their proxy) submits what the institution gave them: the invoice, its fee lines,
the diagnosis and the dates, and the bank account to pay. The insured region's reviewer
approves it (admitting each line in full, in part or not at all) or refuses it with a reason.
Approval computes the claim with the settlement engine (insured region's benefits on the day
care ended, the care region's catalog, the person's filing and accumulators) and books it in
one ledger entry: out of the funds (and the personal account's share) into the person's
CLAIM_PAYABLE. Payment moves that to the outside world and queues the bank instruction in the
outbox, in the same transaction. Until then an operator may cancel it: the mirror entry, the
accumulators back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import cast

from gongji.domain import claims as rules
from gongji.domain import filing as filing_rules
from gongji.domain import settlement as engine
from gongji.domain.access import Act
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.ids import new_code, new_id
from gongji.domain.money import format_yuan
from gongji.domain.regions import cross_province
from gongji.ledger.kinds import AccountKind, account_code
from gongji.services.access import authorize, may_see, require_operator
from gongji.services.catalog import service as catalog
from gongji.services.claims import store
from gongji.services.claims.model import (
    ClaimLineView,
    ClaimView,
    Reimbursement,
    Review,
    SubmitClaim,
)
from gongji.services.claims.store import ClaimRecord, LineRecord
from gongji.services.codec import from_json, to_json
from gongji.services.contributions import service as contributions
from gongji.services.door import door
from gongji.services.filing import service as filing
from gongji.services.institutions import service as institutions
from gongji.services.people import service as people
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.settlement import store as settlements
from gongji.services.settlement.model import MED_TYPES, line_view
from gongji.services.settlement.store import Outcome
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.store.tables import outbox

CLAIM = "claim"
"""The ledger entry code of an approval (its payment: claim.pay; its reversal: claim.cancel)."""

MAX_LINES = 500


# -- the person's side ------------------------------------------------------------------------

@door
def submit(app: Gongji, who: Principal, key: Key, cmd: SubmitClaim) -> Written[ClaimView]:
    """Submit a claim for care paid in full; checked now as far as it can be without review
    (enrolment, institution, dates within the region's deadline, the catalog knows every
    item, the lines add up to the invoice, the invoice is not claimed already)."""
    return app.write(who, key=key, operation="claim.submit", request=to_json(cmd, SubmitClaim),
                     fn=lambda uow: _submit(uow, who, cmd), result_type=ClaimView)


def _submit(uow: UnitOfWork, who: Principal, cmd: SubmitClaim) -> ClaimView:
    authorize(uow, who, Act.CLAIM, cmd.psn_no)
    acct = cmd.bank_acct.replace(" ", "")
    if not (acct.isascii() and acct.isdigit() and 12 <= len(acct) <= 30):
        raise GongjiError("CLAIM_BANK_ACCOUNT_INVALID")
    enrolled = [e for e in people.enrollments_of(uow.conn, cmd.psn_no)
                if e.insutype == cmd.insutype and e.status == "active"]
    if not enrolled:
        raise GongjiError("NOT_ENROLLED", who=Bi(f"参保人（险种 {cmd.insutype}）",
                                                 f"The person (insutype {cmd.insutype})"))
    home = enrolled[0].insuplc_admdvs
    inst = institutions.get_in(uow, cmd.fixmedins_code)
    care = MED_TYPES.get(cmd.med_type)
    if care is None or (care == "pharmacy") != (inst.fixmedins_type == "2"):
        raise GongjiError("MED_TYPE_UNSUPPORTED", med_type=cmd.med_type,
                          allowed="41" if inst.fixmedins_type == "2" else "11-28")
    within = uow.policies.resolve(uow.conn, home, uow.today).claims.within_days
    rules.check_dates(cmd.begndate, cmd.enddate, uow.today, within_days=within)
    contributions.check_benefits(uow, cmd.psn_no, cmd.insutype, cmd.begndate)
    if not cmd.lines or len(cmd.lines) > MAX_LINES:
        raise GongjiError("FEE_LINES_EMPTY") if not cmd.lines else GongjiError(
            "FEE_LINE_INVALID", feedetl_sn="*", reason=f"at most {MAX_LINES} lines")
    lines = [_line(x.feedetl_sn, x.med_list_codg, x.cnt, x.pric, x.det_item_fee_sumamt)
             for x in cmd.lines]
    if len({x.feedetl_sn for x in lines}) != len(lines):
        raise GongjiError("FEE_LINE_INVALID", feedetl_sn="*", reason="feedetl_sn repeated")
    total = sum(x.det_item_fee_sumamt for x in lines)
    if total != cmd.medfee_sumamt:
        raise GongjiError("CLAIM_TOTAL_MISMATCH", claimed=format_yuan(cmd.medfee_sumamt),
                          total=format_yuan(total))
    items = catalog.lookup(uow, inst.admdvs, [x.med_list_codg for x in lines], cmd.enddate)
    for x in lines:
        if x.med_list_codg not in items:
            raise GongjiError("CATALOG_ITEM_NOT_FOUND", code=x.med_list_codg)
    c = ClaimRecord(
        claim_id=new_code("C"), psn_no=cmd.psn_no, insutype=cmd.insutype,
        insuplc_admdvs=home, fixmedins_code=inst.fixmedins_code, mdtrtarea_admvs=inst.admdvs,
        med_type=cmd.med_type, care=care, begndate=cmd.begndate, enddate=cmd.enddate,
        dise_codg=cmd.dise_codg.strip(), dise_name=cmd.dise_name.strip(),
        invoice_no=cmd.invoice_no.strip(), medfee_sumamt=total, bank_name=cmd.bank_name.strip(),
        bank_acct=acct, acct_used=cmd.acct_used, status=rules.SUBMITTED,
        submitted_by="person" if who.id == cmd.psn_no else "proxy", submitted_at=uow.now)
    store.add(uow.conn, c, lines)
    held = store.hold_invoice(uow.conn, c.mdtrtarea_admvs, c.fixmedins_code, c.invoice_no,
                              c.claim_id)
    if held is not None:
        other = store.get(uow.conn, held)
        raise GongjiError("CLAIM_INVOICE_CLAIMED", claim_id=held if other is not None and
                          other.psn_no == cmd.psn_no else "—")
    uow.record("claim.submit", subject=c.claim_id, chain=home,
               detail={"psn_no": c.psn_no, "institution": c.fixmedins_code,
                       "medfee_sumamt": total})
    return view_of(uow, c, lines)


@door
def withdraw(app: Gongji, who: Principal, key: Key, claim_id: str) -> Written[ClaimView]:
    """The person (or their proxy) withdraws a claim not yet reviewed."""
    def run(uow: UnitOfWork) -> ClaimView:
        c = _claim(uow, who, claim_id, lock=True)
        authorize(uow, who, Act.CLAIM, c.psn_no)
        rules.move(c.status, "withdraw")
        store.change(uow.conn, claim_id, status=rules.CANCELLED, cancelled_at=uow.now)
        store.free_invoice(uow.conn, claim_id)
        uow.record("claim.withdraw", subject=claim_id, chain=c.insuplc_admdvs)
        return view(uow, claim_id)

    return app.write(who, key=key, operation="claim.withdraw", request={"claim_id": claim_id},
                     fn=run, result_type=ClaimView)


@door
def list_for(app: Gongji, who: Principal, psn_no: str) -> list[ClaimView]:
    """A person's claims, newest first (the person, their proxy, operators)."""
    def run(uow: UnitOfWork) -> list[ClaimView]:
        authorize(uow, who, Act.READ, psn_no)
        return [view_of(uow, c) for c in store.of_person(uow.conn, psn_no)]

    return app.read(run, principal=who)


@door
def get(app: Gongji, who: Principal, claim_id: str) -> ClaimView:
    return app.read(lambda uow: view_of(uow, _claim(uow, who, claim_id)), principal=who)


# -- the insured region's side -----------------------------------------------------------------

@door
def queue(app: Gongji, who: Principal) -> list[ClaimView]:
    """Claims waiting for review, then those approved and waiting for payment; oldest first."""
    require_operator(who)
    return app.read(lambda uow: [view_of(uow, c) for c in store.by_status(
        uow.conn, (rules.SUBMITTED, rules.APPROVED))], principal=who)


def waiting_in(uow: UnitOfWork) -> tuple[int, int]:
    """Claims waiting for review, and approved ones waiting for payment."""
    counts = store.count_by_status(uow.conn)
    return counts.get(rules.SUBMITTED, 0), counts.get(rules.APPROVED, 0)


@door
def review(app: Gongji, who: Principal, key: Key, claim_id: str,
           decision: Review) -> Written[ClaimView]:
    """Approve (computing and booking the reimbursement) or refuse with a reason."""
    require_operator(who)
    return app.write(who, key=key, operation="claim.review",
                     request={"claim_id": claim_id, **to_json(decision, Review)},
                     fn=lambda uow: _review(uow, who, claim_id, decision),
                     result_type=ClaimView)


def _review(uow: UnitOfWork, who: Principal, claim_id: str, decision: Review) -> ClaimView:
    c = _claim(uow, who, claim_id, lock=True)
    reason = decision.reason.strip()[:300]
    if not decision.approve:
        rules.move(c.status, "refuse")
        if not reason:
            raise GongjiError("CLAIM_REFUSE_REASON")
        store.change(uow.conn, claim_id, status=rules.REFUSED, reviewed_by=who.scope,
                     reviewed_at=uow.now, reason=reason)
        store.free_invoice(uow.conn, claim_id)
        uow.record("claim.refuse", subject=claim_id, chain=c.insuplc_admdvs,
                   detail={"reason": reason})
        return view(uow, claim_id)
    rules.move(c.status, "approve")
    people.lock_person(uow.conn, c.psn_no)  # its accumulators, as a settlement's
    lines = store.lines_of(uow.conn, claim_id)
    admitted = rules.admit({x.feedetl_sn: x.cnt for x in lines}, [
        rules.Admitted(d.feedetl_sn, _decimal(d.feedetl_sn, d.cnt), d.reason.strip()[:200])
        for d in decision.lines])
    reasons = {d.feedetl_sn: d.reason.strip()[:200] for d in decision.lines}
    outcome, sources = _compute(uow, c, lines, admitted)
    legs = _postings(uow, c, outcome, sources)
    reimbursed = outcome.fund_pay_sumamt + outcome.acct_pay
    entry = uow.ledger.record(legs, code=CLAIM, ext_ref=claim_id,
                              memo=f"hand claim {claim_id}", admdvs=c.insuplc_admdvs) \
        if legs else None
    settlements.accumulate(uow.conn, c.psn_no, c.insutype, c.enddate.year, outcome.year_deltas)
    store.review_lines(uow.conn, claim_id, {sn: (cnt, reasons.get(sn, ""))
                                            for sn, cnt in admitted.items()})
    store.change(uow.conn, claim_id, outcome=to_json(outcome, Outcome), status=rules.APPROVED,
                 reviewed_by=who.scope, reviewed_at=uow.now, reason=reason or None,
                 reimbursed=reimbursed, entry_id=entry.id if entry else None)
    uow.record("claim.approve", subject=claim_id, chain=c.insuplc_admdvs,
               detail={"reimbursed": reimbursed, "reduced": sorted(
                   sn for sn, cnt in admitted.items() if cnt != _claimed(lines, sn))})
    return view(uow, claim_id)


@door
def pay(app: Gongji, who: Principal, key: Key, claim_id: str) -> Written[ClaimView]:
    """Pay an approved claim to the person's bank account: the payable leaves the ledger for
    the outside world and the bank instruction is queued in the outbox, in one transaction."""
    require_operator(who)

    def run(uow: UnitOfWork) -> ClaimView:
        c = _claim(uow, who, claim_id, lock=True)
        rules.move(c.status, "pay")
        amount = c.reimbursed or 0
        entry_id = None
        if amount:
            payable = uow.ledger.open_account(AccountKind.CLAIM_PAYABLE, owner=c.psn_no,
                                              admdvs=c.insuplc_admdvs)
            cash = uow.ledger.open_account(AccountKind.CASH, owner=c.insuplc_admdvs,
                                           admdvs=c.insuplc_admdvs)
            entry_id = uow.ledger.transfer(payable.id, cash.id, amount, code=f"{CLAIM}.pay",
                                           ext_ref=claim_id, memo=f"pay {claim_id}",
                                           admdvs=c.insuplc_admdvs).id
        masked = _mask_acct(c.bank_acct)
        uow.conn.execute(outbox.insert().values(
            id=new_id(), channel="bank", psn_no=c.psn_no, to_masked=masked,
            body=json.dumps({"claim_id": claim_id, "amount": format_yuan(amount),
                             "bank_name": c.bank_name, "bank_acct": masked},
                            ensure_ascii=False), created_at=uow.now))
        store.change(uow.conn, claim_id, status=rules.PAID, paid_at=uow.now,
                     pay_entry_id=entry_id)
        uow.record("claim.pay", subject=claim_id, chain=c.insuplc_admdvs,
                   detail={"amount": amount})
        return view(uow, claim_id)

    return app.write(who, key=key, operation="claim.pay", request={"claim_id": claim_id},
                     fn=run, result_type=ClaimView)


@door
def cancel(app: Gongji, who: Principal, key: Key, claim_id: str,
           reason: str) -> Written[ClaimView]:
    """Cancel an approved claim before it is paid: the mirror entry puts every amount back,
    the accumulators go back, the invoice may be claimed again."""
    require_operator(who)

    def run(uow: UnitOfWork) -> ClaimView:
        c = _claim(uow, who, claim_id, lock=True)
        rules.move(c.status, "cancel")
        if not reason.strip():
            raise GongjiError("CLAIM_REFUSE_REASON")
        people.lock_person(uow.conn, c.psn_no)
        reversal = uow.ledger.reverse(c.entry_id, code=f"{CLAIM}.cancel",
                                      memo=f"cancel {claim_id}") if c.entry_id else None
        booked = _outcome(c)
        if booked is not None:
            settlements.accumulate(uow.conn, c.psn_no, c.insutype, c.enddate.year,
                                   {k: -v for k, v in booked.year_deltas.items()})
        store.change(uow.conn, claim_id, status=rules.CANCELLED, cancelled_at=uow.now,
                     reason=reason.strip()[:300],
                     cancel_entry_id=reversal.id if reversal else None)
        store.free_invoice(uow.conn, claim_id)
        uow.record("claim.cancel", subject=claim_id, chain=c.insuplc_admdvs)
        return view(uow, claim_id)

    return app.write(who, key=key, operation="claim.cancel",
                     request={"claim_id": claim_id, "reason": reason}, fn=run,
                     result_type=ClaimView)


# -- computing a claim ------------------------------------------------------------------------

def _compute(uow: UnitOfWork, c: ClaimRecord, lines: list[LineRecord],
             admitted: Mapping[str, Decimal]) -> tuple[Outcome, list[tuple[engine.Source, str]]]:
    """The engine, as for a direct settlement of this care on the day it ended: the insured
    region's benefits (and its rule for unfiled care claimed by hand), the care region's
    catalog, the person's filing, flags, 大病保险 cap raise and accumulators; the person's own
    account only."""
    day = c.enddate
    policy = uow.policies.resolve(uow.conn, c.insuplc_admdvs, day)
    fee_lines = [engine.FeeLine(x.feedetl_sn, x.med_list_codg, admitted[x.feedetl_sn], x.pric,
                                rules.amount_of(admitted[x.feedetl_sn], x.pric))
                 for x in lines if admitted[x.feedetl_sn] > 0]
    items = catalog.lookup(uow, c.mdtrtarea_admvs, [x.med_list_codg for x in fee_lines], day)
    inst = institutions.get_in(uow, c.fixmedins_code)
    out_of_area = c.mdtrtarea_admvs != c.insuplc_admdvs
    disease = c.dise_codg if c.care == "chronic" else None
    if disease is not None:
        filing.recognised(uow, c.psn_no, disease)
    filed = filing.filing_for(uow, c.psn_no, c.mdtrtarea_admvs, day, disease) \
        if out_of_area else None
    filing_kind = filed.kind if filed else (
        filing_rules.deemed_filing(c.med_type) if out_of_area else None)
    enrollment = next(e for e in people.enrollments_of(uow.conn, c.psn_no)
                      if e.insutype == c.insutype)
    flags = settlements.flags(uow.conn, c.psn_no, day)
    first = c.care != "inpatient" or (
        store.approved_stays(uow.conn, c.psn_no, c.insutype, day.year) == 0 and
        settlements.stays_since(uow.conn, c.psn_no, c.insutype,
                                datetime(day.year, 1, 1, tzinfo=uow.now.tzinfo)) == 0)
    sources: list[tuple[engine.Source, str]] = []
    own = uow.ledger.account_by_code(account_code(AccountKind.PERSONAL, owner=c.psn_no))
    if own is not None and own.status == "open":
        sources.append((engine.Source("own", None, own.balance), own.id))
    r = engine.settle(
        fee_lines, items,
        engine.Visit(c.care, inst.hosp_lv, day, out_of_area, filing_kind, first,
                     cross_province=cross_province(c.insuplc_admdvs, c.mdtrtarea_admvs),
                     emergency=filing_rules.is_emergency(c.med_type)),
        engine.PersonFacts(c.insutype, enrollment.psn_type,
                           assistance_eligible="assistance" in flags,
                           low_income="low_income" in flags,
                           supp_plus=contributions.cap_raise(
                               uow, c.psn_no, c.insutype, day.year,
                               policy.benefits.supplementary.get(c.insutype)).plus),
        rules.benefits_for_claim(policy.benefits, policy.claims.unfiled),
        engine.Accumulators(year=settlements.year_accumulators(
            uow.conn, c.psn_no, c.insutype, day.year)),
        [s for s, _ in sources], acct_used=c.acct_used)
    holder = people.person(uow.conn, c.psn_no)
    outcome = Outcome(
        **{n: getattr(r, n) for n in engine.SETLINFO_FIELDS},
        setldetail=r.detail,
        lines=tuple(line_view(x, items[x.med_list_codg].name
                              if x.med_list_codg in items else None) for x in r.lines),
        payments=r.payments, year_deltas=dict(r.year_deltas), stay_deltas={}, rule=r.rule,
        psn_type=enrollment.psn_type, psn_name_masked=holder.masked.name_masked,
        med_type=c.med_type, balc=None if own is None else own.balance - r.acct_pay,
        filing_kind=filing_kind, supp_cap=r.supp_cap, supp_plus=r.supp_plus)
    return outcome, sources


def _postings(uow: UnitOfWork, c: ClaimRecord, o: Outcome,
              sources: list[tuple[engine.Source, str]]) -> list[tuple[str, int]]:
    """Out of the insured region's funds and the person's own account, into what the region
    owes the person. The care was paid in full at the institution: no clearing."""
    home = c.insuplc_admdvs
    legs: dict[str, int] = {}

    def to(kind: AccountKind, owner: str, amount: int) -> None:
        if amount:
            a = uow.ledger.open_account(kind, owner=owner, admdvs=home).id
            legs[a] = legs.get(a, 0) + amount

    to(AccountKind.FUND_POOL, home, -o.hifp_pay)
    to(AccountKind.FUND_CRITICAL, home, -(o.hifmi_pay + o.hifob_pay))
    to(AccountKind.FUND_ASSISTANCE, home, -o.maf_pay)
    account_of = {(s.kind, s.sponsor): acc for s, acc in sources}
    for p in o.payments:
        if p.amount:
            legs[account_of[(p.kind, p.sponsor)]] = legs.get(
                account_of[(p.kind, p.sponsor)], 0) - p.amount
    owed = -sum(legs.values())
    to(AccountKind.CLAIM_PAYABLE, c.psn_no, owed)
    return [(k, v) for k, v in legs.items() if v]


# -- the parts ----------------------------------------------------------------------------------

def _line(sn: str, code: str, cnt: str, pric: str, amount: int) -> LineRecord:
    """A fee line as the engine checks one at upload: decimals, and cnt x pric = amount."""
    try:
        c, p = Decimal(cnt), Decimal(pric)
    except (InvalidOperation, TypeError):
        raise GongjiError("FEE_LINE_INVALID", feedetl_sn=sn,
                          reason="cnt and pric must be decimal numbers") from None
    if not sn.strip() or not code.strip():
        raise GongjiError("FEE_LINE_INVALID", feedetl_sn=sn or "?",
                          reason="feedetl_sn and med_list_codg are required")
    engine.classify(engine.FeeLine(sn, code, c, p, amount), None)
    return LineRecord(sn, code, c, p, amount)


def _decimal(sn: str, text: str) -> Decimal:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        raise GongjiError("CLAIM_REVIEW_INVALID", feedetl_sn=sn,
                          reason=Bi("核准数量须为数字", "the admitted quantity is a number")
                          ) from None


def _claimed(lines: list[LineRecord], sn: str) -> Decimal:
    return next(x.cnt for x in lines if x.feedetl_sn == sn)


def _claim(uow: UnitOfWork, who: Principal, claim_id: str, *, lock: bool = False
           ) -> ClaimRecord:
    """A claim the caller may see (the person, their proxy, operators, the system seeding the
    demo); any other is not found, as a missing one."""
    c = store.get(uow.conn, claim_id, lock=lock)
    if c is None or (who.kind != "system" and not may_see(uow, who, c.psn_no)):
        raise GongjiError("CLAIM_NOT_FOUND", claim_id=claim_id)
    return c


def seen_in(uow: UnitOfWork, who: Principal, claim_id: str) -> ClaimView:
    """A claim the caller may see, as they see it (the portal's claim page)."""
    return view_of(uow, _claim(uow, who, claim_id))


def found_in(uow: UnitOfWork, who: Principal, claim_id: str
             ) -> tuple[ClaimRecord, list[LineRecord], Outcome | None] | None:
    """A hand claim the caller may read, for the FHIR Claim and ClaimResponse (the person,
    their proxy, operators; no institution: the claim is between the person and their
    region); None when the id is not one."""
    c = store.get(uow.conn, claim_id)
    if c is None or who.kind == "institution" or not may_see(uow, who, c.psn_no):
        return None
    return c, store.lines_of(uow.conn, claim_id), _outcome(c)


def _outcome(c: ClaimRecord) -> Outcome | None:
    return None if c.outcome is None else cast(Outcome, from_json(c.outcome, Outcome))


def disposition(c: ClaimRecord) -> str:
    """The state in both languages, with the reviewer's reason when there is one."""
    words = rules.STATE_WORDS[c.status]
    return f"{words.zh} {words.en}" + (f": {c.reason}" if c.reason else "")


def _mask_acct(acct: str) -> str:
    return f"{acct[:4]}****{acct[-4:]}"


def view(uow: UnitOfWork, claim_id: str) -> ClaimView:
    c = store.get(uow.conn, claim_id)
    assert c is not None
    return view_of(uow, c)


def view_of(uow: UnitOfWork, c: ClaimRecord, lines: list[LineRecord] | None = None
            ) -> ClaimView:
    lines = store.lines_of(uow.conn, c.claim_id) if lines is None else lines
    inst = institutions.get_in(uow, c.fixmedins_code)
    items = catalog.lookup(uow, c.mdtrtarea_admvs, [x.med_list_codg for x in lines],
                           c.enddate)
    holder = people.person(uow.conn, c.psn_no)
    o = _outcome(c)
    words = rules.STATE_WORDS[c.status]
    return ClaimView(
        claim_id=c.claim_id, psn_no=c.psn_no, psn_name_masked=holder.masked.name_masked,
        insutype=c.insutype, insuplc_admdvs=c.insuplc_admdvs, fixmedins_code=c.fixmedins_code,
        fixmedins_name=inst.fixmedins_name, mdtrtarea_admvs=c.mdtrtarea_admvs,
        med_type=c.med_type, care=c.care, begndate=c.begndate, enddate=c.enddate,
        dise_codg=c.dise_codg, dise_name=c.dise_name, invoice_no=c.invoice_no,
        medfee_sumamt=c.medfee_sumamt, bank_name=c.bank_name,
        bank_acct_masked=_mask_acct(c.bank_acct), acct_used=c.acct_used, status=c.status,
        status_zh=words.zh, status_en=words.en, submitted_by=c.submitted_by,
        submitted_at=c.submitted_at, reviewed_at=c.reviewed_at, reason=c.reason,
        paid_at=c.paid_at, cancelled_at=c.cancelled_at,
        lines=tuple(ClaimLineView(
            x.feedetl_sn, x.med_list_codg,
            items[x.med_list_codg].name if x.med_list_codg in items else None, str(x.cnt),
            str(x.pric), x.det_item_fee_sumamt,
            None if x.admitted_cnt is None else str(x.admitted_cnt),
            None if x.admitted_cnt is None else rules.amount_of(x.admitted_cnt, x.pric),
            x.reason) for x in lines),
        reimbursement=None if o is None else Reimbursement(
            **{f.name: getattr(o, f.name) for f in fields(Reimbursement)
               if f.name not in ("reimbursed",)},
            reimbursed=c.reimbursed or 0))
