"""A demo cashier at /cashier: an operator, in the sandbox only, acts as the cashier of a
registered institution and runs a sale the way a HIS does through the national interface:
pre-settle (2101, computed and rolled back), settle (2102, one unit of work with an
idempotency key), print the receipt, cancel (2103). services/cashier.py does each step.

The page state lives in the form (repeated fields, no server session) and the chosen
institution in a cookie. Pages only translate: the services check and compute everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from gongji.domain.clock import display
from gongji.domain.errors import Bi, GongjiError, missing
from gongji.domain.money import parse_yuan
from gongji.domain.settlement import SETLINFO_FIELDS
from gongji.services.cashier import service as cashier
from gongji.services.cashier.service import MAX_ROWS, ROWS, Draft, Row
from gongji.services.tracing.model import StockIn
from gongji.web.cashier_words import CASHIER_WORDS
from gongji.web.common import (
    form,
    lang_of,
    noted,
    operator,
    redirect,
    render,
    services,
    set_cookie,
)
from gongji.web.i18n import extend, word

extend(CASHIER_WORDS)

router = APIRouter(prefix="/cashier", include_in_schema=False)

INST_COOKIE = "gj_cashier"
CERT_TYPES = ("01", "02", "03")
INSUTYPES = ("310", "390")
AMOUNTS = (*SETLINFO_FIELDS, "balc")
"""The national setlinfo, in the specification's order (pool_prop_selfpay is a ratio), then
balc: the person's own account after settlement."""
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


def _code(request: Request) -> str:
    """The institution chosen (a cookie): the services check it still exists."""
    return request.cookies.get(INST_COOKIE, "")


# -- choosing the institution ------------------------------------------------------------------

@router.get("")
def choose_page(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    return _choose(request)


def _choose(request: Request, **context: Any) -> HTMLResponse:
    c = cashier.choices(services(request), operator(request), _code(request) or None)
    return render(request, "cashier/choose.html", title=_title(request, "k_title"),
                  institutions=c.institutions, current=c.current, **context)


@router.post("/institution")
async def choose(request: Request) -> Response:
    data = await form(request)
    return await run_in_threadpool(_do_choose, request, data)


def _do_choose(request: Request, data: dict[str, str]) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    code = data.get("institution", "")
    try:
        cashier.choose(services(request), operator(request), code)
    except GongjiError as e:
        return _choose(request, error=e, error_field="institution",
                       status=e.spec.http_status)
    response = redirect("/cashier/sale")
    set_cookie(request, response, INST_COOKIE, code, samesite="lax", path="/cashier")
    return response


# -- the sale form -----------------------------------------------------------------------------

def read_draft(data: dict[str, str]) -> Draft:
    """The form's fields as a draft sale."""
    try:
        n = max(1, min(MAX_ROWS, int(data.get("rows", ROWS))))
    except ValueError:
        n = ROWS
    rows = [Row(data.get(f"code_{i}", "").strip(), data.get(f"cnt_{i}", "").strip(),
                data.get(f"pric_{i}", "").strip(), data.get(f"trace_{i}", "").strip())
            for i in range(1, n + 1)]
    return Draft(data.get("cert_type", "01"), data.get("cert_no", "").strip(),
                 data.get("insutype", ""), data.get("med_type", ""),
                 "0" if data.get("acct_used") == "0" else "1", data.get("q", "").strip(), rows)


def hidden_fields(d: Draft) -> list[tuple[str, str]]:
    """The draft as hidden fields, to carry it to the next page."""
    out = [("cert_type", d.cert_type), ("cert_no", d.cert_no), ("insutype", d.insutype),
           ("med_type", d.med_type), ("acct_used", d.acct_used), ("rows", str(len(d.rows)))]
    for i, r in enumerate(d.rows, start=1):
        out += [(f"code_{i}", r.code), (f"cnt_{i}", r.cnt), (f"pric_{i}", r.pric),
                (f"trace_{i}", r.traces)]
    return out


@router.get("/sale")
def sale_page(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    if not _code(request):
        return noted(request, "/cashier", _title(request, "k_choose_first"))
    return _sale(request, Draft())


@router.post("/sale")
async def sale_action(request: Request) -> Response:
    data = await form(request)
    return await run_in_threadpool(_do_sale, request, data)


def _do_sale(request: Request, data: dict[str, str]) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    if not _code(request):
        return noted(request, "/cashier", _title(request, "k_choose_first"))
    draft = read_draft(data)
    if data.get("pick"):
        return _sale(request, draft, action="pick", pick=data["pick"])
    action = data.get("action", "")
    if action == "presettle":
        return _presettle(request, draft)
    return _sale(request, draft, action=action if action in ("add_row", "traces") else "show")


def _sale(request: Request, draft: Draft, *, action: str = "show", pick: str | None = None,
          error: GongjiError | None = None, status: int = 200) -> HTMLResponse:
    m = cashier.sale_page(services(request), operator(request), _code(request), draft,
                          action, pick)  # type: ignore[arg-type]
    return render(request, "cashier/sale.html", title=_title(request, "k_sale"), inst=m.inst,
                  kind=m.kind, med_types=m.med_types, sale=m.draft, every=m.every,
                  found=m.found, names={i.med_list_codg: i for i in m.every},
                  cert_types=CERT_TYPES, insutypes=INSUTYPES, error=error,
                  error_field=_where(error, m.draft) if error else None, status=status)


def _where(e: GongjiError, draft: Draft) -> str | None:
    """Which field a refusal belongs beside."""
    named = e.params.get("where")
    if isinstance(named, str):
        return named
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
        for n, r in enumerate(draft.rows, start=1):
            if r.code == e.params.get("code"):
                return f"row-{n}"
    if e.code in LINES_ERRORS:
        return "lines"
    return None


def _presettle(request: Request, draft: Draft) -> HTMLResponse:
    try:
        q = cashier.presettle(services(request), operator(request), _code(request), draft)
    except GongjiError as e:
        return _sale(request, draft, error=e, status=e.spec.http_status)
    extras = {str(n): Extra(r.cnt, r.pric, tuple(r.codes), q.units.get(r.code))
              for n, r in enumerate(q.draft.rows, start=1) if not r.blank}
    return _page(request, "cashier/presettle.html", "k_presettled", inst=q.inst, view=q.view,
                 payers=q.payers, carried=hidden_fields(q.draft), amounts=AMOUNTS,
                 totals=TOTALS, cert_type=q.draft.cert_type, lines=q.view.lines,
                 extras=extras)


# -- settle, receipt, cancel ---------------------------------------------------------------

@router.post("/settle")
async def settle(request: Request) -> Response:
    data = await form(request)
    return await run_in_threadpool(_do_settle, request, data)


def _do_settle(request: Request, data: dict[str, str]) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    if not _code(request):
        return noted(request, "/cashier", _title(request, "k_choose_first"))
    draft = read_draft(data)
    try:
        total = parse_yuan(data.get("medfee_sumamt", ""), field="medfee_sumamt",
                           allow_zero=True)
        done = cashier.settle(services(request), operator(request), _code(request),
                              data.get("key"), draft, total)
    except GongjiError as e:
        return _sale(request, draft, error=e, status=e.spec.http_status)
    return noted(request, f"/cashier/receipts/{done.setl_id}",
                 _title(request, "k_settled_note"))


def _receipt(request: Request, setl_id: str, template: str, title_key: str,
             **context: Any) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    if not _code(request):
        return noted(request, "/cashier", _title(request, "k_choose_first"))
    r = cashier.receipt(services(request), operator(request), _code(request), setl_id)
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
    if not _code(request):
        return noted(request, "/cashier", _title(request, "k_choose_first"))
    try:
        cashier.cancel(services(request), operator(request), _code(request), data.get("key"),
                       setl_id)
    except GongjiError as e:
        return _receipt(request, setl_id, "cashier/receipt.html", "k_receipt", error=e,
                        status=e.spec.http_status)
    return noted(request, f"/cashier/receipts/{setl_id}", _title(request, "k_cancelled_note"))


# -- untraced stock (无码库) --------------------------------------------------------------------

STOCK_FIELDS = {"CATALOG_ITEM_NOT_FOUND": "med_list_codg", "UNTRACED_STOCK_DATE": "bought_on"}


@router.get("/stock")
def stock_page(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    if not _code(request):
        return noted(request, "/cashier", _title(request, "k_choose_first"))
    return _stock(request)


def _stock(request: Request, **context: Any) -> HTMLResponse:
    p = cashier.stock(services(request), operator(request), _code(request))
    return _page(request, "cashier/stock.html", "k_stock", inst=p.inst, stock=p.stock,
                 required_from=p.required_from, **context)


@router.post("/stock")
async def register_stock(request: Request) -> Response:
    data = await form(request)
    return await run_in_threadpool(_do_register_stock, request, data)


def _stock_in(data: dict[str, str]) -> StockIn:
    """The form as a registration; a field that cannot be read is refused beside itself."""
    text = data.get("quantity", "").strip()
    if not text:
        raise missing("quantity")
    try:
        quantity = int(text)
    except ValueError:
        raise GongjiError("VALIDATION_ERROR", fields="quantity", rule=Bi(
            "应为整数，单位：盒", "a whole number of boxes")) from None
    day = data.get("bought_on", "").strip()
    if not day:
        raise missing("bought_on")
    try:
        bought_on = date.fromisoformat(day)
    except ValueError:
        raise GongjiError("VALIDATION_ERROR", fields="bought_on", rule=Bi(
            "日期格式应为 YYYY-MM-DD", "a date as YYYY-MM-DD")) from None
    return StockIn(data.get("med_list_codg", "").strip(), quantity, bought_on)


def _do_register_stock(request: Request, data: dict[str, str]) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    if not _code(request):
        return noted(request, "/cashier", _title(request, "k_choose_first"))
    try:
        cashier.register_stock(services(request), operator(request), _code(request),
                               data.get("key"), _stock_in(data))
    except GongjiError as e:
        fields = str(e.params.get("fields", ""))
        field = STOCK_FIELDS.get(e.code) or next(
            (f for f in ("quantity", "bought_on") if fields.startswith(f)), "med_list_codg")
        return _stock(request, error=e, error_field=field, values=data,
                      status=e.spec.http_status)
    return noted(request, "/cashier/stock", _title(request, "k_stock_registered"))
