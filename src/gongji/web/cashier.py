"""A demo cashier at /cashier: an operator, in the sandbox only, acts as the cashier of a
registered institution (Principal("institution", code)) and runs a sale the way a HIS does
through the national interface: pre-settle (2101, computed and rolled back), settle (2102,
one unit of work with an idempotency key), print the receipt, cancel (2103).

The page state lives in the form (repeated fields, no server session) and the chosen
institution in a cookie. Pages only translate: the services check and compute everything.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from gongji.domain import tracecode
from gongji.domain.clock import business_date, display
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.money import check_fen, format_yuan, parse_yuan, round_half_up
from gongji.services import catalog, counter, institutions
from gongji.services import settlement as svc
from gongji.services.institutions import Institution
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.web.cashier_words import CASHIER_WORDS
from gongji.web.common import form, lang_of, operator, redirect, render, services
from gongji.web.i18n import extend, word

extend(CASHIER_WORDS)

router = APIRouter(prefix="/cashier", include_in_schema=False)

INST_COOKIE = "gj_cashier"
ROWS = 5
MAX_ROWS = 40
CERT_TYPES = ("01", "02", "03")
INSUTYPES = ("310", "390")
AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
           "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "pool_prop_selfpay", "cvlserv_pay",
           "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt",
           "psn_part_amt", "acct_pay", "acct_mulaid_pay", "psn_cash_pay", "hosp_part_amt",
           "balc")
"""The national setlinfo amounts, in the specification's order (pool_prop_selfpay is a
ratio, balc the person's own account after settlement)."""
TOTALS = {"medfee_sumamt", "fund_pay_sumamt", "psn_part_amt"}
CREDENTIAL_ERRORS = {"CREDENTIAL_INVALID", "CREDENTIAL_EXPIRED", "CREDENTIAL_USED",
                     "CREDENTIAL_MISMATCH", "CARD_NOT_FOUND", "CARD_INVALID", "CERTNO_INVALID",
                     "PERSON_NOT_FOUND"}
LINES_ERRORS = {"FEE_LINES_EMPTY", "TRACE_CODE_SOLD", "SETTLE_AMOUNT_MISMATCH"}


# -- access --------------------------------------------------------------------------------

def _title(request: Request, key: str) -> str:
    return word(key, lang_of(request))


def _page(request: Request, template: str, title_key: str, **context: Any) -> HTMLResponse:
    """render() plus `other(key)`: a word in the other language, for bilingual labels."""
    lang = lang_of(request)

    def other(key: str) -> str:
        return word(key, "en" if lang == "zh" else "zh")

    return render(request, template, title=word(title_key, lang), other=other, **context)


@dataclass(frozen=True, slots=True)
class Extra:
    """What a fee line's page shows beside the engine's result."""

    cnt: str
    pric: str
    codes: tuple[str, ...]
    unit: str | None


def _refusal(request: Request) -> HTMLResponse | None:
    """Outside the sandbox: a page saying why. Without an operator login: LoginNeeded."""
    if not services(request).sandbox:
        return render(request, "cashier/sandbox_only.html",
                      title=_title(request, "k_sandbox_only"), status=403)
    operator(request)
    return None


def _chosen(request: Request) -> Institution | None:
    code = request.cookies.get(INST_COOKIE, "")
    if not code:
        return None
    try:
        return services(request).read(lambda uow: institutions.get_in(uow, code))
    except GongjiError:
        return None


def _as(inst: Institution) -> Principal:
    return Principal("institution", inst.fixmedins_code)


# -- choosing the institution ------------------------------------------------------------------

@router.get("")
def choose_page(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    return _choose(request)


def _choose(request: Request, **context: Any) -> HTMLResponse:
    insts = institutions.list_all(services(request))
    current = _chosen(request)
    return render(request, "cashier/choose.html", title=_title(request, "k_title"),
                  institutions=[(i, counter.kind_of(i)) for i in insts], current=current,
                  **context)


@router.post("/institution")
async def choose(request: Request) -> Response:
    data = await form(request)
    return await run_in_threadpool(_do_choose, request, data)


def _do_choose(request: Request, data: dict[str, str]) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    code = data.get("institution", "")
    try:
        services(request).read(lambda uow: institutions.get_in(uow, code))
    except GongjiError as e:
        return _choose(request, error=e, error_field="institution",
                       status=e.spec.http_status)
    response = redirect("/cashier/sale")
    response.set_cookie(INST_COOKIE, code, httponly=True, samesite="lax", path="/cashier")
    return response


# -- the sale form -----------------------------------------------------------------------------

@dataclass
class Row:
    code: str = ""
    cnt: str = ""
    pric: str = ""
    traces: str = ""

    @property
    def blank(self) -> bool:
        return not (self.code or self.cnt or self.pric or self.traces)

    @property
    def codes(self) -> list[str]:
        return [c for c in re.split(r"[\s,;，；]+", self.traces) if c]


@dataclass
class Sale:
    """Everything the cashier typed, as the form carries it from page to page."""

    cert_type: str = "02"
    cert_no: str = ""
    insutype: str = ""
    med_type: str = ""
    acct_used: str = "1"
    q: str = ""
    rows: list[Row] = field(default_factory=lambda: [Row() for _ in range(ROWS)])

    @classmethod
    def read(cls, data: dict[str, str]) -> Sale:
        try:
            n = max(1, min(MAX_ROWS, int(data.get("rows", ROWS))))
        except ValueError:
            n = ROWS
        rows = [Row(data.get(f"code_{i}", "").strip(), data.get(f"cnt_{i}", "").strip(),
                    data.get(f"pric_{i}", "").strip(), data.get(f"trace_{i}", "").strip())
                for i in range(1, n + 1)]
        return cls(data.get("cert_type", "02"), data.get("cert_no", "").strip(),
                   data.get("insutype", ""), data.get("med_type", ""),
                   "0" if data.get("acct_used") == "0" else "1", data.get("q", "").strip(),
                   rows)

    def fields(self) -> list[tuple[str, str]]:
        """The form as hidden fields, to carry it to the next page."""
        out = [("cert_type", self.cert_type), ("cert_no", self.cert_no),
               ("insutype", self.insutype), ("med_type", self.med_type),
               ("acct_used", self.acct_used), ("rows", str(len(self.rows)))]
        for i, r in enumerate(self.rows, start=1):
            out += [(f"code_{i}", r.code), (f"cnt_{i}", r.cnt), (f"pric_{i}", r.pric),
                    (f"trace_{i}", r.traces)]
        return out


class FieldError(Exception):
    """A refusal and the form field it belongs beside."""

    def __init__(self, error: GongjiError, where: str | None) -> None:
        super().__init__(error.code)
        self.error = error
        self.where = where


@router.get("/sale")
def sale_page(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    inst = _chosen(request)
    if inst is None:
        return redirect("/cashier", note=_title(request, "k_choose_first"))
    return _sale(request, inst, Sale())


@router.post("/sale")
async def sale_action(request: Request) -> Response:
    data = await form(request)
    return await run_in_threadpool(_do_sale, request, data)


def _do_sale(request: Request, data: dict[str, str]) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    inst = _chosen(request)
    if inst is None:
        return redirect("/cashier", note=_title(request, "k_choose_first"))
    sale = Sale.read(data)
    action = data.get("action", "")
    if data.get("pick"):
        return _sale(request, inst, _pick(request, inst, sale, data["pick"]))
    if action == "add_row" and len(sale.rows) < MAX_ROWS:
        sale.rows.append(Row())
    elif action == "traces":
        sale = _fill_traces(request, inst, sale)
    elif action == "presettle":
        return _presettle(request, inst, sale)
    return _sale(request, inst, sale)


def _sale(request: Request, inst: Institution, sale: Sale, *, error: GongjiError | None = None,
          error_field: str | None = None, status: int = 200) -> HTMLResponse:
    app = services(request)
    kind = counter.kind_of(inst)
    if not sale.med_type:
        sale = replace(sale, med_type=counter.MED_TYPES[kind][0])
    day = business_date(app.clock.now())
    every = catalog.search(app, inst.admdvs, "", day, limit=1000)
    found = catalog.search(app, inst.admdvs, sale.q, day, limit=20) if sale.q else None
    names = {i.med_list_codg: i for i in every}
    return render(request, "cashier/sale.html", title=_title(request, "k_sale"), inst=inst,
                  kind=kind, med_types=counter.MED_TYPES[kind], sale=sale, every=every,
                  found=found, names=names, cert_types=CERT_TYPES, insutypes=INSUTYPES,
                  error=error, error_field=error_field, status=status)


def _items(request: Request, inst: Institution, codes: list[str]) -> dict[str, Any]:
    def run(uow: UnitOfWork) -> dict[str, Any]:
        return catalog.lookup(uow, inst.admdvs, codes, uow.today)

    return services(request).read(run)


def _pick(request: Request, inst: Institution, sale: Sale, code: str) -> Sale:
    """Put a catalog item into the first empty row (a new row when none is left), at one
    unit and the catalog's price cap."""
    item = _items(request, inst, [code]).get(code)
    if item is None:
        return sale
    row = Row(code, "1", format_yuan(item.pric_uplmt_amt) if item.pric_uplmt_amt else "")
    for i, r in enumerate(sale.rows):
        if r.blank:
            sale.rows[i] = row
            return sale
    if len(sale.rows) < MAX_ROWS:
        sale.rows.append(row)
    return sale


def _fill_traces(request: Request, inst: Institution, sale: Sale) -> Sale:
    """Sandbox help: random 20-digit 码上放心 codes (they start with 8), one a box, for drug
    rows without codes. A fractional quantity (a split box) gets one code."""
    items = _items(request, inst, [r.code for r in sale.rows if r.code])
    for r in sale.rows:
        item = items.get(r.code)
        if item is None or not item.is_drug or r.codes:
            continue
        try:
            boxes = Decimal(r.cnt or "1")
            n = int(boxes) if boxes == boxes.to_integral_value() and boxes >= 1 else 1
        except InvalidOperation:
            n = 1
        r.traces = "\n".join(f"8{secrets.randbelow(10**19):019d}" for _ in range(min(n, 100)))
    return sale


def _commands(request: Request, inst: Institution, sale: Sale
              ) -> tuple[Sale, svc.OpenVisit, tuple[svc.FeeIn, ...], svc.SettleAsk]:
    """The form as service commands; the sale comes back with the blanks filled (insutype,
    default prices) so that settling sends exactly what was pre-settled."""
    if sale.cert_type not in CERT_TYPES or not sale.cert_no:
        raise FieldError(GongjiError("CREDENTIAL_INVALID"), "cert_no")
    cred = svc.Credential(sale.cert_type, sale.cert_no)  # type: ignore[arg-type]
    med_type = sale.med_type or counter.MED_TYPES[counter.kind_of(inst)][0]
    insutype = sale.insutype
    if not insutype:
        try:
            who = counter.presenter(services(request), _as(inst), cred)
        except GongjiError as e:
            raise FieldError(e, _where(e, sale)) from None
        if who.basic_insutype is None:
            raise FieldError(GongjiError("NOT_ENROLLED", who=Bi("该参保人", "This person")),
                             "insutype")
        insutype = who.basic_insutype
    def label(key: str) -> str:
        return word(key, lang_of(request))

    items = _items(request, inst, [r.code for r in sale.rows if r.code])
    rows, lines = [], []
    for n, r in enumerate(sale.rows, start=1):
        if r.blank:
            rows.append(r)
            continue
        sn = str(n)
        if not r.code:
            raise FieldError(GongjiError("FEE_LINE_INVALID", feedetl_sn=sn, reason=Bi(
                "缺少目录编码", "the catalog code is missing")), f"row-{n}")
        item = items.get(r.code)
        if item is None:
            raise FieldError(GongjiError("CATALOG_ITEM_NOT_FOUND", code=r.code), f"row-{n}")
        cnt = r.cnt or "1"
        pric = r.pric or (format_yuan(item.pric_uplmt_amt) if item.pric_uplmt_amt else "")
        try:
            count = Decimal(cnt)
            if not count.is_finite():
                raise InvalidOperation
            pric_fen = parse_yuan(pric, field=label("k_pric"), allow_zero=True)
            fee = check_fen(round_half_up(count * pric_fen), field=label("k_fee"),
                            allow_negative=True)
            for c in r.codes:
                tracecode.parse(c)
        except InvalidOperation:
            raise FieldError(GongjiError("FEE_LINE_INVALID", feedetl_sn=sn, reason=Bi(
                f"数量 {cnt} 不是数字", f"the quantity {cnt} is not a number")),
                f"row-{n}") from None
        except GongjiError as e:
            raise FieldError(e, f"row-{n}") from None
        rows.append(Row(r.code, cnt, format_yuan(pric_fen), "\n".join(r.codes)))
        lines.append(svc.FeeIn(sn, r.code, cnt, format_yuan(pric_fen), fee,
                               trace_codes=tuple(r.codes)))
    filled = replace(sale, insutype=insutype, med_type=med_type, rows=rows)
    visit = svc.OpenVisit(cred, insutype, med_type)
    ask = svc.SettleAsk(credential=cred, acct_used_flag=sale.acct_used != "0")
    return filled, visit, tuple(lines), ask


def _where(e: GongjiError, sale: Sale) -> str | None:
    """Which field a refusal belongs beside."""
    if e.code in CREDENTIAL_ERRORS:
        return "cert_no"
    if e.code == "NOT_ENROLLED":
        return "insutype"
    if e.code == "MED_TYPE_UNSUPPORTED":
        return "med_type"
    sn = e.params.get("feedetl_sn")
    if isinstance(sn, str) and sn.isdigit():
        return f"row-{sn}"
    if e.code == "CATALOG_ITEM_NOT_FOUND":
        for n, r in enumerate(sale.rows, start=1):
            if r.code == e.params.get("code"):
                return f"row-{n}"
    if e.code in LINES_ERRORS:
        return "lines"
    return None


def _presettle(request: Request, inst: Institution, sale: Sale) -> HTMLResponse:
    app = services(request)
    try:
        filled, visit, lines, ask = _commands(request, inst, sale)
        view = svc.quote_purchase(app, _as(inst), visit, lines, ask)
    except FieldError as f:
        return _sale(request, inst, sale, error=f.error, error_field=f.where,
                     status=f.error.spec.http_status)
    except GongjiError as e:
        return _sale(request, inst, sale, error=e, error_field=_where(e, sale),
                     status=e.spec.http_status)
    units = {x.med_list_codg: x.unit for x in _items(request, inst,
                                                       [x.med_list_codg for x in view.lines]
                                                       ).values()}
    extras = {str(n): Extra(r.cnt, r.pric, tuple(r.codes), units.get(r.code))
              for n, r in enumerate(filled.rows, start=1) if not r.blank}
    return _page(request, "cashier/presettle.html", "k_presettled", inst=inst, view=view,
                 payers=counter.payers(app, view), carried=filled.fields(), amounts=AMOUNTS,
                 totals=TOTALS, cert_type=filled.cert_type, lines=view.lines, extras=extras)


# -- settle, receipt, cancel ---------------------------------------------------------------

@router.post("/settle")
async def settle(request: Request) -> Response:
    data = await form(request)
    return await run_in_threadpool(_do_settle, request, data)


def _do_settle(request: Request, data: dict[str, str]) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    inst = _chosen(request)
    if inst is None:
        return redirect("/cashier", note=_title(request, "k_choose_first"))
    sale = Sale.read(data)
    try:
        _, visit, lines, ask = _commands(request, inst, sale)
        total = parse_yuan(data.get("medfee_sumamt", ""), field="medfee_sumamt",
                           allow_zero=True)
        done = svc.purchase(services(request), _as(inst), data.get("key"), visit, lines,
                            replace(ask, medfee_sumamt=total))
    except FieldError as f:
        return _sale(request, inst, sale, error=f.error, error_field=f.where,
                     status=f.error.spec.http_status)
    except GongjiError as e:
        return _sale(request, inst, sale, error=e, error_field=_where(e, sale),
                     status=e.spec.http_status)
    return redirect(f"/cashier/receipts/{done.value.setl_id}",
                    note=_title(request, "k_settled_note"))


def _receipt(request: Request, setl_id: str, template: str, title_key: str,
             **context: Any) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    inst = _chosen(request)
    if inst is None:
        return redirect("/cashier", note=_title(request, "k_choose_first"))
    r = counter.receipt(services(request), _as(inst), setl_id)
    extras = {x.line.feedetl_sn: Extra(x.cnt, x.pric, x.trace_codes, x.unit) for x in r.lines}
    return _page(request, template, title_key, view=r.settlement, inst=r.institution,
                 payers=r.payers, lines=r.settlement.lines, extras=extras, amounts=AMOUNTS,
                 totals=TOTALS, setl_time=display(r.settlement.setl_time), **context)


@router.get("/receipts/{setl_id}")
def receipt(request: Request, setl_id: str) -> Response:
    return _receipt(request, setl_id, "cashier/receipt.html", "k_receipt")


@router.get("/receipts/{setl_id}/cancel")
def cancel_page(request: Request, setl_id: str) -> Response:
    return _receipt(request, setl_id, "cashier/cancel.html", "k_cancel_title")


@router.post("/receipts/{setl_id}/cancel")
async def cancel(request: Request, setl_id: str) -> Response:
    data = await form(request)
    return await run_in_threadpool(_do_cancel, request, setl_id, data)


def _do_cancel(request: Request, setl_id: str, data: dict[str, str]) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    inst = _chosen(request)
    if inst is None:
        return redirect("/cashier", note=_title(request, "k_choose_first"))
    try:
        svc.cancel(services(request), _as(inst), data.get("key"), setl_id)
    except GongjiError as e:
        return _receipt(request, setl_id, "cashier/receipt.html", "k_receipt", error=e,
                        status=e.spec.http_status)
    return redirect(f"/cashier/receipts/{setl_id}", note=_title(request, "k_cancelled_note"))
