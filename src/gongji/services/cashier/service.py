"""The demo cashier (收费台) in the sandbox: an operator acts as the cashier of a registered
institution and runs a sale the way its HIS would through the national interface: the form
is filled in (defaults from the person and the catalog, each line's amount), pre-settled
(computed and rolled back), settled in one unit of work, printed, cancelled.

Every call acts in the institution's name (Principal("institution", code)) and goes through
the settlement's own doors, so it sees and cancels only that institution's settlements.
Read-only apart from settle and cancel; nothing here decides an amount of the settlement."""

from __future__ import annotations

import secrets
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from gongji.domain import credentials, tracecode
from gongji.domain.access import Principal
from gongji.domain.catalog import CatalogItem
from gongji.domain.clock import business_date
from gongji.domain.edge import cut
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.money import check_fen, format_yuan, parse_yuan, round_half_up
from gongji.services.access import require_operator
from gongji.services.cashier.model import (
    AMOUNT,
    MAX_ROWS,
    MED_TYPES,
    PRICE,
    ROWS,
    Action,
    Choice,
    Draft,
    Kind,
    Payer,
    Quote,
    Receipt,
    ReceiptLine,
    Row,
    SalePage,
    StockPage,
)
from gongji.services.catalog import service as catalog
from gongji.services.door import door
from gongji.services.institutions.service import Institution, all_in, get_in
from gongji.services.people import service as people
from gongji.services.runtime import Gongji, Key
from gongji.services.settlement import service as svc
from gongji.services.tracing import service as tracing
from gongji.services.tracing.model import StockIn, StockView
from gongji.services.unit_of_work import UnitOfWork

__all__ = ["ROWS"]
"""What callers still reach here though this module does not use it (the model, under its
old names)."""


def kind_of(inst: Institution) -> Kind:
    """Pharmacies are fixmedins_type 2 (their codes start with P)."""
    return "pharmacy" if inst.fixmedins_type == "2" else "hospital"


# -- choosing the institution ------------------------------------------------------------------

@door
def choices(app: Gongji, who: Principal, current: str | None) -> Choice:
    """Every registered institution, and the one chosen (if it still exists)."""
    _sandbox_operator(app, who)

    def run(uow: UnitOfWork) -> Choice:
        every = all_in(uow)
        return Choice([(i, kind_of(i)) for i in every],
                      next((i for i in every if i.fixmedins_code == current), None))

    return app.read(run, principal=who)


@door
def choose(app: Gongji, who: Principal, code: str) -> Institution:
    _sandbox_operator(app, who)
    return app.read(lambda uow: get_in(uow, code), principal=who)


# -- the sale page -----------------------------------------------------------------------------

@door
def sale_page(app: Gongji, who: Principal, code: str, draft: Draft, action: Action = "show",
              pick: str | None = None) -> SalePage:
    """The sale form, after what the cashier asked: a row more, an item picked from the
    catalog into the first empty row, or sandbox trace codes for the drug rows."""
    inst_who = _sandbox_operator(app, who, code)

    def run(uow: UnitOfWork) -> SalePage:
        inst = get_in(uow, inst_who.id)
        d = replace(recognised(draft), rows=list(draft.rows))
        if action == "add_row" and len(d.rows) < MAX_ROWS:
            d.rows.append(Row())
        elif action == "pick" and pick:
            _pick(uow, inst, d, pick)
        elif action == "traces":
            _fill_traces(uow, inst, d)
        return _sale_page(uow, inst, d)

    return app.read(run, principal=who)


def _sale_page(uow: UnitOfWork, inst: Institution, d: Draft) -> SalePage:
    kind = kind_of(inst)
    if not d.med_type:
        d = replace(d, med_type=MED_TYPES[kind][0])
    day = business_date(uow.now)
    every = catalog.search_in(uow, inst.admdvs, "", day, limit=1000)
    found = catalog.search_in(uow, inst.admdvs, d.q, day, limit=20) if d.q else None
    return SalePage(inst, kind, MED_TYPES[kind], d, every, found)


def _pick(uow: UnitOfWork, inst: Institution, d: Draft, code: str) -> None:
    """Put a catalog item into the first empty row (a new row when none is left), at one
    unit and the catalog's price cap."""
    item = catalog.lookup(uow, inst.admdvs, [code], uow.today).get(code)
    if item is None:
        return
    row = Row(code, "1", format_yuan(item.pric_uplmt_amt) if item.pric_uplmt_amt else "")
    for i, r in enumerate(d.rows):
        if r.blank:
            d.rows[i] = row
            return
    if len(d.rows) < MAX_ROWS:
        d.rows.append(row)


def _fill_traces(uow: UnitOfWork, inst: Institution, d: Draft) -> None:
    """Sandbox help: random 20-digit 码上放心 codes (they start with 8), one a box, for drug
    rows without codes. A fractional quantity (a split box) gets one code."""
    items = catalog.lookup(uow, inst.admdvs, [r.code for r in d.rows if r.code], uow.today)
    for r in d.rows:
        item = items.get(r.code)
        if item is None or not item.is_drug or r.codes:
            continue
        try:
            boxes = Decimal(r.cnt or "1")
            n = int(boxes) if boxes == boxes.to_integral_value() and boxes >= 1 else 1
        except InvalidOperation:
            n = 1
        r.traces = "\n".join(f"8{secrets.randbelow(10**19):019d}" for _ in range(min(n, 100)))


# -- pre-settle, settle ------------------------------------------------------------------------

@door
def presettle(app: Gongji, who: Principal, code: str, draft: Draft) -> Quote:
    """The sale computed and rolled back (2101): every amount, the credential not used up.
    A refusal names the field it is about (params["where"]: cert_no, insutype, row-N)."""
    inst_who = _sandbox_operator(app, who, code)

    def run(uow: UnitOfWork) -> Quote:
        inst = get_in(uow, inst_who.id)
        filled, visit, lines, ask = _commands(uow, inst_who, inst, draft)
        v = svc.open_in(uow, inst_who, visit)
        svc.upload_in(uow, inst_who, v.mdtrt_id, lines)
        view = replace(svc.presettle_in(uow, inst_who, v.mdtrt_id, ask), mdtrt_id="",
                       setl_id=None)
        items = catalog.lookup(uow, inst.admdvs, [x.med_list_codg for x in view.lines],
                               uow.today)
        return Quote(inst, view, _payers(uow, view), filled,
                     {c: i.unit for c, i in items.items()})

    return app.dry_run(inst_who, run)


@door
def settle(app: Gongji, who: Principal, code: str, key: Key, draft: Draft,
           medfee_sumamt: int) -> svc.SettlementView:
    """Settle what was pre-settled, in one unit of work (2102); medfee_sumamt is the total
    the cashier saw, so a change in between is refused."""
    inst_who = _sandbox_operator(app, who, code)
    _, visit, lines, ask = app.read(lambda uow: _commands(
        uow, inst_who, get_in(uow, inst_who.id), draft), principal=inst_who)
    return svc.purchase(app, inst_who, key, visit, lines,
                        replace(ask, medfee_sumamt=medfee_sumamt)).value


# -- the receipt, cancel -----------------------------------------------------------------------

@door
def receipt(app: Gongji, who: Principal, code: str, setl_id: str) -> Receipt:
    """A settlement as the institution that made it prints it: the national amounts, each
    fee line with its quantity, price and trace codes, and who paid the personal part.
    Another institution's (or a missing id) is SETTLEMENT_NOT_FOUND."""
    inst_who = _sandbox_operator(app, who, code)
    return app.read(lambda uow: _receipt(uow, inst_who, setl_id), principal=inst_who)


def _receipt(uow: UnitOfWork, who: Principal, setl_id: str) -> Receipt:
    view = svc.get_in(uow, who, setl_id)
    inst = get_in(uow, who.id)
    fees = svc.fees_in(uow, view.mdtrt_id)
    items = catalog.lookup(uow, view.clr_optins, [x.med_list_codg for x in view.lines],
                           business_date(view.setl_time))
    lines = []
    for x in view.lines:
        f = fees.get(x.feedetl_sn)
        item = items.get(x.med_list_codg)
        lines.append(ReceiptLine(x, f.cnt if f else "", f.pric if f else "",
                                 f.trace_codes if f else (), item.unit if item else None))
    return Receipt(view, inst, tuple(lines), _payers(uow, view))


@door
def cancel(app: Gongji, who: Principal, code: str, key: Key, setl_id: str
           ) -> svc.SettlementView:
    """Cancel a settlement of the institution's (2103)."""
    return svc.cancel(app, _sandbox_operator(app, who, code), key, setl_id).value


# -- untraced stock (无码库) --------------------------------------------------------------------

@door
def stock(app: Gongji, who: Principal, code: str) -> StockPage:
    """The institution's untraced stock, as its REST lookup answers it, with catalog names."""
    inst_who = _sandbox_operator(app, who, code)

    def run(uow: UnitOfWork) -> StockPage:
        inst = get_in(uow, inst_who.id)
        views = tracing.stock_in(uow, inst.fixmedins_code)
        items = catalog.lookup(uow, inst.admdvs, [v.med_list_codg for v in views], uow.today)
        return StockPage(inst, [(v, items.get(v.med_list_codg)) for v in views],
                         uow.policy(inst.admdvs).settlement.trace_codes_required_from)

    return app.read(run, principal=inst_who)


@door
def register_stock(app: Gongji, who: Principal, code: str, key: Key, stock: StockIn
                   ) -> StockView:
    """Register stock bought before the mandate in the institution's name (as its POST
    /api/v1/untraced-stock does)."""
    return tracing.register_stock(app, _sandbox_operator(app, who, code), key, stock).value


# -- the parts ---------------------------------------------------------------------------------

def _sandbox_operator(app: Gongji, who: Principal, code: str | None = None) -> Principal:
    """The cashier is a sandbox tool for operators; it acts as the institution chosen."""
    if not app.sandbox:
        raise GongjiError("SANDBOX_ONLY")
    require_operator(who)
    return Principal("institution", code or "")


def _payers(uow: UnitOfWork, view: svc.SettlementView) -> tuple[Payer, ...]:
    out = [Payer(p.kind, None if p.sponsor is None else
                 people.person(uow.conn, p.sponsor).masked.name_masked, p.amount)
           for p in view.payments if p.amount]
    if view.psn_cash_pay:
        out.append(Payer("cash", None, view.psn_cash_pay))
    return tuple(out)


def _at(e: GongjiError, where: str) -> GongjiError:
    """A refusal, with the form field it belongs beside."""
    e.params.setdefault("where", where)
    return e


def recognised(d: Draft) -> Draft:
    """The draft with the credential type the number clearly is (domain/credentials.py):
    an insurance code pasted or scanned under 02 is read as 01, an ID number under 01 as 02,
    a card number as 03. A value that could be more than one keeps the type chosen."""
    kind = credentials.recognise(d.cert_no)
    return d if kind is None or kind == d.cert_type else replace(d, cert_type=kind)


def _commands(uow: UnitOfWork, who: Principal, inst: Institution, d: Draft
              ) -> tuple[Draft, svc.OpenVisit, tuple[svc.FeeIn, ...], svc.SettleAsk]:
    """The form as the settlement's commands, as a HIS would build them; the draft comes back
    with the blanks filled (insutype, default prices) and the credential type recognised."""
    d = recognised(d)
    if d.cert_type not in ("01", "02", "03") or not d.cert_no:
        raise _at(GongjiError("CREDENTIAL_INVALID"), "cert_no")
    cred = svc.Credential(d.cert_type, d.cert_no)  # type: ignore[arg-type]
    med_type = d.med_type or MED_TYPES[kind_of(inst)][0]
    insutype = d.insutype or _default_insutype(uow, who, cred)
    items = catalog.lookup(uow, inst.admdvs, [r.code for r in d.rows if r.code], uow.today)
    rows, lines = [], []
    for n, r in enumerate(d.rows, start=1):
        if r.blank:
            rows.append(r)
            continue
        row, line = _line(n, r, items.get(r.code))
        rows.append(row)
        lines.append(line)
    filled = replace(d, insutype=insutype, med_type=med_type, rows=rows)
    return (filled, svc.OpenVisit(cred, insutype, med_type), tuple(lines),
            svc.SettleAsk(credential=cred, acct_used_flag=d.acct_used != "0"))


def _default_insutype(uow: UnitOfWork, who: Principal, cred: svc.Credential) -> str:
    """The person's basic enrollment (employee preferred): checked, not used up."""
    try:
        info = svc.person_info_in(uow, who, cred)
    except GongjiError as e:
        raise _at(e, "cert_no") from None
    basic = people.basic_enrollment(uow.conn, info.psn_no)
    if basic is None:
        raise _at(GongjiError("NOT_ENROLLED", who=Bi("该参保人", "This person")), "insutype")
    return basic.insutype


def _line(n: int, r: Row, item: CatalogItem | None) -> tuple[Row, svc.FeeIn]:
    """One typed row as a fee line: one unit and the catalog's cap when left out; the
    amount is quantity x price, half up to the fen, as a HIS computes it."""
    where, sn = f"row-{n}", str(n)
    if not r.code:
        raise _at(GongjiError("FEE_LINE_INVALID", feedetl_sn=sn, reason=Bi(
            "缺少目录编码", "the catalog code is missing")), where)
    if item is None:
        raise _at(GongjiError("CATALOG_ITEM_NOT_FOUND", code=r.code), where)
    cnt = r.cnt or "1"
    pric = r.pric or (format_yuan(item.pric_uplmt_amt) if item.pric_uplmt_amt else "")
    try:
        count = Decimal(cnt)
        if not count.is_finite():
            raise InvalidOperation
        pric_fen = parse_yuan(pric, field=PRICE, allow_zero=True)  # type: ignore[arg-type]
        fee = check_fen(round_half_up(count * pric_fen), field=AMOUNT,  # type: ignore[arg-type]
                        allow_negative=True)
        for c in r.codes:
            tracecode.parse(c)
    except InvalidOperation:
        raise _at(GongjiError("FEE_LINE_INVALID", feedetl_sn=sn, reason=Bi(
            f"数量 {cut(cnt)} 不是数字", f"the quantity {cut(cnt)} is not a number")),
            where) from None
    except GongjiError as e:
        raise _at(e, where) from None
    return (Row(r.code, cnt, format_yuan(pric_fen), "\n".join(r.codes)),
            svc.FeeIn(sn, r.code, cnt, format_yuan(pric_fen), fee, trace_codes=tuple(r.codes)))
