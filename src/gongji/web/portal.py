"""The family portal: log in, balances, family, wallet, transfers, history, explanations.

Each handler reads through the services and renders; each form posts to a handler that calls
one service and redirects (post/redirect/get), or re-renders the page with the refusal beside
the field it concerns. Nothing here decides a rule.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gongji.api.peer import client_address
from gongji.domain.access import ANONYMOUS, Principal
from gongji.domain.documents import Document
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.filing import KIND_NAMES
from gongji.domain.money import format_yuan, parse_yuan
from gongji.domain.privacy import mask_name
from gongji.domain.regions import Region
from gongji.domain.relations import NAMES, Relation, inverse
from gongji.domain.tracecode import MAX_LENGTH as TRACE_CODE_MAX
from gongji.domain.tracecode import OUTCOME_TEXT
from gongji.services.auth import service as auth
from gongji.services.claims import service as claims
from gongji.services.claims.model import ClaimLineIn, SubmitClaim
from gongji.services.contributions import service as contributions
from gongji.services.contributions.model import ContributionView
from gongji.services.demo import service as demo
from gongji.services.explanation import service as explanation
from gongji.services.family import service as family
from gongji.services.family.model import BindingView
from gongji.services.filing import service as filing
from gongji.services.filing.model import FilingView
from gongji.services.people.service import PersonView
from gongji.services.pins import service as pins
from gongji.services.portal import service as portal
from gongji.services.proxies import service as proxies
from gongji.services.proxies.model import ProxyView
from gongji.services.statement.model import PERSONAL, QUOTA_HELD, Book
from gongji.services.transfers import service as transfers
from gongji.services.transfers.model import TransferView
from gongji.services.wallet import service as wallet
from gongji.web.common import (
    ELDER_COOKIE,
    NEXT_COOKIE,
    PERSON_COOKIE,
    LoginNeeded,
    clear_cookie,
    form,
    lang_of,
    next_page,
    noted,
    render,
    services,
    set_cookie,
    when,
    yuan,
)
from gongji.web.i18n import word

router = APIRouter(include_in_schema=False)

FIELD_OF = {
    "CERTNO_INVALID": "certno", "PERSON_NOT_FOUND": "certno", "BINDING_SELF": "certno",
    "PROXY_SELF": "certno", "BENEFICIARY_NOT_ENROLLED": "certno", "NAME_INVALID": "name",
    "RELATION_NOT_CLOSE": "relation", "RELATION_NOT_ALLOWED": "relation",
    "RELATION_IMPLAUSIBLE": "relation", "OTP_INVALID": "code", "OTP_LOCKED": "code",
    "MONEY_INVALID": "amount", "MONEY_TOO_PRECISE": "amount", "MONEY_NEGATIVE": "amount",
    "MONEY_ZERO": "amount", "MONEY_OVERFLOW": "amount", "TRANSFER_AMOUNT_OVER_LIMIT": "amount",
    "INSUFFICIENT_FUNDS": "amount", "MIN_SPONSOR_BALANCE": "amount",
    "TRANSFER_ANNUAL_CAP": "amount", "TRANSFER_NOT_BOUND": "receiver",
    "TRANSFER_QUOTA_NOT_TRANSFERABLE": "receiver",
    "TRANSFER_RECEIVER_NO_WALLET": "receiver", "TRANSFER_PENDING_EXISTS": "receiver",
    "PIN_FORMAT": "pin", "PIN_WEAK": "pin", "PIN_WRONG": "pin", "PIN_LOCKED": "pin",
    "PIN_NOT_SET": "pin", "TRACE_CODE_INVALID": "code", "FILING_KIND_INVALID": "kind",
    "FILING_TARGET_INVALID": "target", "FILING_DATES_INVALID": "enddate",
    "REGION_NOT_FOUND": "target", "CONTRIBUTION_NOT_OFFERED": "year",
    "CONTRIBUTION_WINDOW_CLOSED": "year", "CONTRIBUTION_ALREADY_PAID": "year",
    "CONTRIBUTION_TOO_LATE": "year", "CONTRIBUTION_VIA_WALLET": "psn_no",
    "PROXY_DOCUMENTS_MISSING": "doc_ref", "PROXY_DOCUMENT_INVALID": "doc_ref",
    "CLAIM_DATES_INVALID": "enddate", "CLAIM_TOO_LATE": "enddate",
    "CLAIM_BANK_ACCOUNT_INVALID": "bank_acct", "CLAIM_TOTAL_MISMATCH": "medfee_sumamt",
    "CLAIM_INVOICE_CLAIMED": "invoice_no", "MED_TYPE_UNSUPPORTED": "med_type",
    "INSTITUTION_NOT_FOUND": "fixmedins_code", "NOT_ENROLLED": "insutype",
    "FEE_LINES_EMPTY": "code_1",
}
"""Which form field a refusal is about, so the page can show it beside that field."""

CAME_BACK = frozenset({"returned", "rejected", "cancelled", "unbound"})
"""Transfer states in which the money went back to the sender: shown neutral (↩)."""

OUTCOME_MARK = {"unsold": "?", "sold_once": "?", "sold_split": "✓", "sold_to_you": "✓",
                "sold_to_other": "⚠", "sold_more_than_once": "✗"}


def me(request: Request) -> Principal:
    """The person logged in, by the session in the cookie; found once per request. A page
    (GET) takes the session's one-time notice with it."""
    known: Principal | None = getattr(request.state, "person", None)
    if known is not None:
        return known
    token = request.cookies.get(PERSON_COOKIE)
    found = auth.visit(services(request), token, take_note=request.method == "GET") \
        if token else None
    if found is None:  # the cookie is kept: the login page sees the session is over, says so
        raise LoginNeeded("/login")
    request.state.person = found.who
    if found.note:
        request.state.note = found.note
    return found.who


def _maybe(request: Request) -> Principal | None:
    try:
        return me(request)
    except LoginNeeded:
        return None


def page(request: Request, template: str, title_key: str, me: PersonView | None,
         status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page; `me` is the logged-in person (masked) from the page's model."""
    error, values = context.get("error"), context.get("values") or {}
    if isinstance(error, GongjiError) and "error_field" not in context:
        named = error.params.get("field")  # a refusal that names its field wins
        field = named if isinstance(named, str) and named in values else \
            FIELD_OF.get(error.code)
        if field in values:
            context["error_field"] = field
    return render(request, template, title=word(title_key, lang_of(request)), me=me,
                  status=status, **context)


async def attempt(request: Request, action: Callable[[dict[str, str]], Any],
                  on_error: Callable[[GongjiError, dict[str, str]], Response],
                  done: Callable[[Any], Response]) -> Response:
    """Run a form's action in a worker thread; a refusal re-renders the page with it."""
    data = await form(request)
    try:
        result = await run_in_threadpool(action, data)
    except GongjiError as e:
        shown = {k: "" if "pin" in k else v for k, v in data.items() if k != "key"}
        return await run_in_threadpool(on_error, e, shown)
    response: Response = await run_in_threadpool(done, result)
    return response


def _told(request: Request, to: str, key: str, **params: Any) -> Response:
    """Redirect with a note that says what the form did (its words, filled from the service's
    result)."""
    return noted(request, to, word(key, lang_of(request), **params))


def _back(data: Any, allowed: tuple[str, ...]) -> str:
    """Where a form asked to come back to, if it is one of the pages allowed; else the first."""
    back = str(data.get("back") or "")
    return back if back in allowed else allowed[0]


def _count_key(key: str, n: int) -> str:
    """The word for a count: its own for none and for one (English plurals)."""
    return f"{key}_none" if n == 0 else f"{key}_one" if n == 1 else key


def _transfer_note(request: Request, who: Principal, to: str, t: TransferView,
                   action: str) -> Response:
    lang = lang_of(request)
    amount = yuan(t.amount)
    if action == "send":
        text = word("did_send", lang, name=t.receiver_name_masked, amount=amount,
                    at=when(t.deadline))
        if t.left_today is not None:
            text += word(_count_key("did_send_left", t.left_today), lang, n=t.left_today)
        return noted(request, to, text)
    name = t.receiver_name_masked if action == "cancel" else t.sender_name_masked
    return _told(request, to, f"did_{action}", name=name, amount=amount)


def _binding_note(request: Request, who: Principal, to: str, b: BindingView,
                  action: str) -> Response:
    other = b.beneficiary_name_masked if b.sponsor_psn_no == who.id else \
        b.sponsor_name_masked
    if action == "end" and b.end_reason == "withdrawn":
        return _told(request, to, "did_withdraw_binding", name=other)
    if action == "end":
        if not b.quota_returned:
            return _told(request, to, "did_unbind_nothing", name=other)
        if b.sponsor_psn_no == who.id:
            return _told(request, to, "did_unbind_mine", name=other,
                         amount=yuan(b.quota_returned))
        return _told(request, to, "did_unbind", name=other, amount=yuan(b.quota_returned),
                     sponsor=b.sponsor_name_masked)
    return _told(request, to, f"did_{action}", name=other)


def _region_name(regions: list[Region], lang: str) -> Callable[[str | None], str]:
    names = {r.admdvs: (r.name if lang == "zh" else r.name_en) for r in regions}
    return lambda code: names.get(code or "", code or "—")


def _relation_name(lang: str) -> Callable[[str], str]:
    return lambda value: NAMES[Relation(value)].pick(lang) if value in set(Relation) else value


# -- login ---------------------------------------------------------------------------------

def _demo_people(request: Request, leave_out: str | None = None
                 ) -> list[tuple[str, str, str]]:
    """In the sandbox, the demo family to pick from: (key, masked name, who they are),
    without the person logged in. The login's picker says who they are to 张伟 (the story's
    sponsor); a logged-in person's pickers say who they are from no one's side."""
    if not services(request).sandbox:
        return []
    lang = lang_of(request)
    said = demo.role_of if request.url.path.startswith("/login") else demo.about_of
    return [(p.key, mask_name(p.name), said(p, lang)) for p in demo.FAMILY
            if p.key != leave_out]


def _certno(request: Request, data: dict[str, str]) -> str:
    """The ID number typed, or in the sandbox the one of the demo person picked."""
    chosen = demo.demo_person(data.get("demo", "")) if services(request).sandbox else None
    return demo.certno_of(chosen) if chosen else data.get("certno", "").strip()


def _relative(request: Request, data: dict[str, str]) -> tuple[str, str]:
    """(ID number, name) typed for a relative, or in the sandbox those of the demo person
    picked from the list."""
    chosen = demo.demo_person(data.get("demo", "")) if services(request).sandbox else None
    if chosen:
        return demo.certno_of(chosen), chosen.name
    return data.get("certno", "").strip(), data.get("name", "").strip()


def _login(request: Request, step: str, **context: Any) -> HTMLResponse:
    return page(request, "portal/login.html", "login", None, step=step,
                demo_people=_demo_people(request), demo_pin=demo.DEMO_PIN, **context)


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    """The login page; when the browser still holds a session that has run out, it says so
    ("登录已过期") and forgets that cookie. (Logging out clears the cookie: no such note.)"""
    if not request.cookies.get(PERSON_COOKIE) or _maybe(request) is not None:
        return _login(request, "certno")
    response = _login(request, "certno", expired=True)
    clear_cookie(request, response, PERSON_COOKIE)
    return response


@router.post("/login/code")
async def login_code(request: Request) -> Response:
    def send(d: dict[str, str]) -> Any:
        return auth.request_code(services(request), _certno(request, d),
                                 client=client_address(request))

    def sent(result: auth.CodeSent, d: dict[str, str]) -> Response:
        # the same page whether or not anyone has the number (it names no phone)
        keep = {"demo": d["demo"]} if d.get("demo") else {"certno": d.get("certno", "")}
        return _login(request, "code", sent=True, values=keep,
                      sandbox_code=result.sandbox_code)

    data = await form(request)
    try:
        result = await run_in_threadpool(send, data)
    except GongjiError as e:
        err = e
        return await run_in_threadpool(lambda: _login(
            request, "certno", error=err, error_field="certno", status=err.spec.http_status,
            values={"certno": data.get("certno", "")}))
    return await run_in_threadpool(sent, result, data)


@router.post("/login")
async def login(request: Request) -> Response:
    data = await form(request)
    try:
        s = await run_in_threadpool(lambda: auth.login(
            services(request), _certno(request, data), data.get("code", "").strip(),
            client=client_address(request)))
    except GongjiError as e:
        err = e
        keep = {k: data[k] for k in ("demo", "certno") if data.get(k)}
        return await run_in_threadpool(lambda: _login(
            request, "code", error=err, error_field="code", status=err.spec.http_status,
            values=keep))
    back = next_page(request.cookies.get(NEXT_COOKIE))
    response = RedirectResponse(back or "/", status_code=303)
    if request.cookies.get(NEXT_COOKIE):
        clear_cookie(request, response, NEXT_COOKIE)
    # the cookie outlives the session by a day, so that a session that ran out is told apart
    # from no session at all (the login page says "登录已过期"); the token is dead by then
    lasts = (s.expires_at - services(request).clock.now()).total_seconds()
    set_cookie(request, response, PERSON_COOKIE, s.token, samesite="lax",
               max_age=max(0, int(lasts)) + 24 * 3600)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await form(request)
    token = request.cookies.get(PERSON_COOKIE)
    if token:
        await run_in_threadpool(auth.logout, services(request), token)
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(request, response, PERSON_COOKIE)
    return response


_PAGE_PATH = re.compile(r"/(?!/)[A-Za-z0-9/_\-.]{0,200}")


@router.post("/elder")
async def elder_mode(request: Request) -> Response:
    """长辈模式 on or off (the header's switch, a form: no script needed): remembered in a
    cookie for a year, like the language; back to the page it was pressed on."""
    data = await form(request)
    back = data.get("back", "")
    response = RedirectResponse(back if _PAGE_PATH.fullmatch(back) else "/", status_code=303)
    if data.get("elder") == "on":
        set_cookie(request, response, ELDER_COOKIE, "1", samesite="lax", max_age=365 * 86400)
    else:
        clear_cookie(request, response, ELDER_COOKIE)
    return response


# -- home and the insurance code -------------------------------------------------------------

def _their_relation(lang: str, relation: str, mine: bool) -> str:
    """What the other side is to the viewer: `relation` is what the second party is to the
    first; `mine` when the viewer is the first party (else the inverse is theirs)."""
    if relation not in set(Relation):
        return relation
    rel = Relation(relation)
    return NAMES[rel if mine else inverse(rel)].pick(lang)


def _home(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    m = portal.home(services(request), who)
    lang = lang_of(request)
    bindings = [{  # plain dicts: the template reads them, nothing else
        "id": b.id, "i_sponsor": b.sponsor_psn_no == who.id,
        "name": b.beneficiary_name_masked if b.sponsor_psn_no == who.id
        else b.sponsor_name_masked,
        "relation": _their_relation(lang, b.relation, b.sponsor_psn_no == who.id),
        "cross_province": b.cross_province} for b in m.to_consent]
    asked = [{"id": p.id, "name": p.holder_name_masked,
              "relation": _their_relation(lang, p.relation, False)} for p in m.proxy_requests]
    return page(request, "portal/home.html", "home", m.me, wallet=m.wallet,
                waiting=m.waiting, relatives=m.relatives, given=m.given,
                given_total=sum(g.balance for g in m.given), to_consent=bindings,
                proxy_requests=asked, **extra)


@router.get("/")
def home(request: Request) -> Response:
    return _home(request, me(request))


@router.get("/code")
def show_code(request: Request, psn: str | None = None) -> Response:
    """A fresh insurance code (医保码) as a QR code and as text; a proxy may show a
    relative's (psn is an opaque person number, never an ID number)."""
    m = portal.code(services(request), me(request), psn)
    qr = segno.make(m.code.token, error="m").svg_inline(scale=4, border=2)
    heading = word("code_of", lang_of(request), name=m.name_masked) if m.name_masked else None
    return page(request, "portal/code.html", "my_code", m.me, code=m.code, qr=qr,
                seconds=m.seconds, psn=psn if m.name_masked else None, heading=heading)


@router.post("/transfers/{transfer_id}/{action}")
async def respond_transfer(request: Request, transfer_id: str, action: str) -> Response:
    who = me(request)
    if action not in ("accept", "reject", "cancel"):
        raise GongjiError("NOT_FOUND", what=action)
    back = _back(await request.form(), ("/", "/transfer", "/history"))
    return await attempt(
        request,
        lambda d: transfers.respond(services(request), who, d.get("key"), transfer_id,
                                    action),  # type: ignore[arg-type]
        lambda e, d: _home(request, who, error=e, status=e.spec.http_status),
        lambda w: _transfer_note(request, who, back, w.value, action))


# -- family ----------------------------------------------------------------------------------

def _family(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    m = portal.family_page(services(request), who)
    lang = lang_of(request)
    rows: list[dict[str, Any]] = []
    for b in m.bindings:
        rel = Relation(b.view.relation)
        rows.append({  # a plain dict: the template reads it, nothing else
            "id": b.view.id, "view": b.view, "i_sponsor": b.i_sponsor,
            "other_name": b.view.beneficiary_name_masked if b.i_sponsor
            else b.view.sponsor_name_masked,
            "other_is": NAMES[rel if b.i_sponsor else inverse(rel)].pick(lang),
            "needs_verification": m.require_verified_relation, "to_answer": b.to_answer,
        })
    return page(request, "portal/family.html", "family", m.me,
                relations=[(r.value, NAMES[r]) for r in m.relations],
                demo_people=_demo_people(request, m.demo_key),
                to_answer=[r for r in rows if r["to_answer"]],
                current=[r for r in rows if r["view"].status in ("active", "pending")
                         and not r["to_answer"]], **extra)


@router.get("/family")
def family_page(request: Request) -> Response:
    return _family(request, me(request))


@router.post("/family/bind")
async def bind(request: Request) -> Response:
    who = me(request)
    return await attempt(
        request,
        lambda d: family.request(services(request), who, d.get("key"), family.RequestBinding(
            *_relative(request, d),
            my_role="beneficiary" if d.get("role") == "beneficiary" else "sponsor",
            relation=d.get("relation", ""))),
        lambda e, d: _family(request, who, error=e, values=d, status=e.spec.http_status),
        lambda w: _binding_note(request, who, "/family", w.value, "bind"))


@router.post("/family/{binding_id}/{action}")
async def binding_action(request: Request, binding_id: str, action: str) -> Response:
    who = me(request)
    if action not in ("end", "consent", "decline"):
        raise GongjiError("NOT_FOUND", what=action)
    back = _back(await request.form(), ("/family", "/"))

    def run(d: dict[str, str]) -> Any:
        app = services(request)
        if action == "end":
            return family.end(app, who, d.get("key"), binding_id)
        return family.respond(app, who, d.get("key"), binding_id, action == "consent")

    return await attempt(request, run,
                         lambda e, d: _family(request, who, error=e,
                                              status=e.spec.http_status),
                         lambda w: _binding_note(request, who, back, w.value, action))


# -- wallet ------------------------------------------------------------------------------------

def _wallet(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    m = portal.wallet_page(services(request), who)
    return page(request, "portal/wallet.html", "wallet", m.me, wallet=m.wallet,
                relatives=m.relatives, has_pin=m.has_pin, regions=m.regions,
                region_name=_region_name(m.regions, lang_of(request)), **extra)


@router.get("/wallet")
def wallet_page(request: Request) -> Response:
    return _wallet(request, me(request))


@router.post("/wallet/{action}")
async def wallet_action(request: Request, action: str) -> Response:
    who = me(request)
    if action not in ("open", "place", "close", "pin"):
        raise GongjiError("NOT_FOUND", what=action)

    def run(d: dict[str, str]) -> Any:
        app = services(request)
        subject = d.get("psn_no") or who.id
        if action == "open":
            return wallet.open_wallet(app, who, d.get("key"), subject,
                                      d.get("place_of_use") or None)
        if action == "place":
            return wallet.change_place(app, who, d.get("key"), subject,
                                       d.get("place_of_use", ""))
        if action == "close":
            return wallet.close_wallet(app, who, d.get("key"), subject)
        return pins.set_pin(app, who, d.get("key"), who.id, d.get("pin", ""),
                            d.get("old_pin") or None)

    def on_error(e: GongjiError, d: dict[str, str]) -> Response:
        field = ("old_pin" if e.code in ("PIN_WRONG", "PIN_LOCKED") else "pin") \
            if action == "pin" else "place_of_use" if action == "place" else None
        return _wallet(request, who, error=e, error_field=field, status=e.spec.http_status)

    def done(w: Any) -> Response:
        key = {"open": "did_open_wallet", "place": "did_change_place",
               "close": "did_close_wallet", "pin": "did_set_pin"}[action]
        return _told(request, "/wallet", key)

    return await attempt(request, run, on_error, done)


# -- transfers ---------------------------------------------------------------------------------

def _transfer(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    m = portal.transfer_page(services(request), who)
    return page(request, "portal/transfer.html", "transfer", m.me, limits=m.limits,
                blocked=m.blocked, targets=m.targets, items=_transfer_rows(who, m.items),
                balance=m.balance, relation_name=_relation_name(lang_of(request)), **extra)


@router.get("/transfer")
def transfer_page(request: Request) -> Response:
    return _transfer(request, me(request))


@router.post("/transfer")
async def send_transfer(request: Request) -> Response:
    who = me(request)

    def run(d: dict[str, str]) -> Any:
        amount = parse_yuan(d.get("amount", "").strip(), field="amount")
        return transfers.send(services(request), who, d.get("key"), transfers.SendTransfer(
            d.get("receiver", ""), amount), d.get("pin", ""))

    return await attempt(
        request, run,
        lambda e, d: _transfer(request, who, error=e, values={**d, "pin": ""},
                               status=e.spec.http_status),
        lambda w: _transfer_note(request, who, "/transfer", w.value, "send"))


# -- history and explanations ----------------------------------------------------------------

def _transfer_rows(who: Principal, items: list[TransferView]) -> list[dict[str, Any]]:
    """Transfers as the list shows them: a sign only on money that moved or is held for the
    person (sent and not come back: −; received and accepted: +); one that came back reads
    as neither, its status neutral (↩), not as a failure."""
    rows = []
    for t in items:
        sent = t.sender_psn_no == who.id
        moved = t.status == "accepted" or (sent and t.status == "pending")
        rows.append({"view": t, "sent": sent,
                     "sign": ("−" if sent else "+") if moved else "",
                     "tone": "back" if t.status in CAME_BACK else None})
    return rows


@router.get("/history")
def history(request: Request) -> Response:
    who = me(request)
    m = portal.history(services(request), who)
    lang = lang_of(request)
    settled = [{"view": s, "setl_id": s.setl_id, "place": m.places.get(s.setl_id or "", ""),
                "rule_name": explanation.bilingual(s.rule)["name_" + lang]}
               for s in m.settlements]
    paid = [{"view": c.view, "year": c.view.year, "name": c.name_masked}
            for c in m.contributions]
    return page(request, "portal/history.html", "history", m.me, settlements=settled,
                items=_transfer_rows(who, m.transfers), paid=paid)


def _book_name(lang: str) -> Callable[[Book], str]:
    def name(b: Book) -> str:
        if b.kind == PERSONAL:
            return word("book_personal", lang)
        key = "book_quota_held" if b.kind == QUOTA_HELD else "book_quota_given"
        return word(key, lang, name=b.other_name_masked or "")

    return name


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + format_yuan(fen)


@router.get("/statement")
def statement(request: Request, month: str | None = None, psn: str | None = None) -> Response:
    """收支明细: a month of movements with their causes and running balances (in the address
    only the month, YYYY-MM, and for a proxied relative their opaque person number)."""
    who = me(request)
    m = portal.statement_page(services(request), who, month or None, psn or None)
    relative = m.statement.psn_no if m.statement.psn_no != who.id else None
    return page(request, "portal/statement.html", "statement", m.me, s=m.statement,
                book_name=_book_name(lang_of(request)), signed=_signed, psn=relative,
                suffix=f"&psn={relative}" if relative else "")


@router.get("/statement.csv")
def statement_csv(request: Request, month: str | None = None,
                  psn: str | None = None) -> Response:
    """The month's statement as CSV for a spreadsheet: UTF-8 with a BOM (so Excel reads the
    Chinese), yuan with two decimals, names masked, no ID or person numbers."""
    m = portal.statement_page(services(request), me(request), month or None, psn or None)
    lang = lang_of(request)
    name = _book_name(lang)
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([word(k, lang) for k in ("st_time", "st_account", "st_cause", "amount",
                                        "st_balance")])
    for x in m.statement.lines:
        w.writerow([when(x.at), name(x.book), x.cause.pick(lang), format_yuan(x.amount),
                    format_yuan(x.balance)])
    filename = f"statement-{m.statement.month}.csv"
    return Response(out.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


@router.get("/settlements/{setl_id}")
def explain(request: Request, setl_id: str) -> Response:
    m = portal.explained(services(request), me(request), setl_id)
    lang = lang_of(request)
    s = m.settlement
    filing_name = KIND_NAMES[s.filing_kind].pick(lang) if s.filing_kind in KIND_NAMES \
        else word("nothing", lang)
    return page(request, "portal/explain.html", "explain", m.me, s=s, x=m.explanation,
                place=m.place, filing_name=filing_name)


# -- more ----------------------------------------------------------------------------------------

def _more(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    m = portal.more(services(request), who)
    lang = lang_of(request)
    payees = [(psn, f"{name}（{word('myself', lang)}）" if psn == who.id else
               f"{name}（{word('via_wallet', lang)}）" if psn in m.across else name)
              for psn, name in m.payees]
    return page(request, "portal/more.html", "more", m.me, filings=m.filings,
                switch=m.switch, proxies=m.proxies, payees=payees, quotas=m.quotas,
                waiting=m.waiting,
                relations=[(r.value, NAMES[r]) for r in Relation],
                filing_kinds=KIND_NAMES, regions=m.regions,
                demo_people=_demo_people(request, m.demo_key),
                region_name=_region_name(m.regions, lang), today=m.today, **extra)


@router.get("/more")
def more(request: Request) -> Response:
    return _more(request, me(request))


def _day(text: str | None, field: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GongjiError("FILING_DATES_INVALID", field=field) from None


@router.post("/more/{action}")
async def more_action(request: Request, action: str) -> Response:
    who = me(request)
    actions = ("switch", "filing", "revoke", "contribution", "proxy", "proxy-approve",
               "proxy-decline", "proxy-end")
    if action not in actions:
        raise GongjiError("NOT_FOUND", what=action)
    back = _back(await request.form(), ("/more", "/"))

    def run(d: dict[str, str]) -> Any:
        app = services(request)
        key = d.get("key")
        if action == "switch":
            return filing.set_switch(app, who, key, who.id, "pharmacy_cross_province",
                                     d.get("enabled") == "1")
        if action == "filing":
            return filing.file(app, who, key, who.id, filing.File(
                d.get("kind", ""), d.get("target", ""), _day(d.get("begndate"), "begndate"),
                _day(d.get("enddate"), "enddate")))
        if action == "revoke":
            return filing.revoke(app, who, key, d.get("filing_id", ""))
        if action == "contribution":
            source, _, sponsor = d.get("source", "personal").partition(":")
            year = d.get("year", "").strip()
            return contributions.pay(app, who, key, contributions.PayContribution(
                psn_no=d.get("psn_no", ""),
                insutype="410" if d.get("insutype") == "410" else "390",
                year=int(year) if year.isdigit() else 0,
                source="quota" if source == "quota" else "personal",
                sponsor_psn_no=sponsor or None), d.get("pin", ""))
        if action == "proxy":
            kind, ref = d.get("doc_kind", "").strip(), d.get("doc_ref", "").strip()
            return proxies.request(app, who, key, proxies.RequestProxy(
                *_relative(request, d), d.get("relation", ""),
                documents=(Document(kind, ref),) if kind and ref else ()))
        if action == "proxy-end":
            return proxies.end(app, who, key, d.get("proxy_id", ""))
        return proxies.decide(app, who, key, d.get("proxy_id", ""), action == "proxy-approve")

    return await attempt(
        request, run,
        lambda e, d: _more(request, who, error=e, values=d, status=e.spec.http_status),
        lambda w: _more_note(request, who, back, action, w.value))


def _more_note(request: Request, who: Principal, to: str, action: str, value: Any) -> Response:
    """What a form of 更多 did, in words, from what its service gave back."""
    lang = lang_of(request)
    if action == "switch":
        return _told(request, to, "did_switch_on" if value else "did_switch_off")
    if action in ("filing", "revoke"):
        f: FilingView = value
        kind = KIND_NAMES[f.kind].pick(lang) if f.kind in KIND_NAMES else f.kind
        if action == "revoke":
            return _told(request, to, "did_revoke", kind=kind)
        return _told(request, to, "did_file", kind=kind, begin=when(f.begndate))
    if action == "contribution":
        c: ContributionView = value
        return _told(request, to, "did_contribute", year=c.year, amount=yuan(c.amount),
                     insutype=word(f"ins_{c.insutype}", lang), begin=when(c.benefits_from))
    p: ProxyView = value
    if action == "proxy":
        return _told(request, to, "did_ask_proxy_operator" if p.needs == "operator"
                     else "did_ask_proxy", name=p.subject_name_masked)
    if action == "proxy-end":
        return _told(request, to, "did_end_proxy", holder=p.holder_name_masked,
                     subject=p.subject_name_masked)
    return _told(request, to, "did_approve_proxy" if action == "proxy-approve"
                 else "did_decline_proxy", name=p.holder_name_masked)


# -- hand claims (手工报销) ----------------------------------------------------------------------

CLAIM_ROWS = 4
"""Fee-line rows on the claim form (a row left empty is not a line)."""
CLAIM_MED_TYPES = ("11", "14", "21", "41")


def _claims(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    m = portal.claims_page(services(request), who)
    return page(request, "portal/claims.html", "claims", m.me, claims=m.claims,
                subjects=m.subjects, today=m.today, rows=range(1, CLAIM_ROWS + 1),
                med_types=CLAIM_MED_TYPES, **extra)


@router.get("/claims")
def claims_list(request: Request) -> Response:
    return _claims(request, me(request))


def _claim_day(text: str | None, field: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise GongjiError("CLAIM_DATES_INVALID", field=field, reason=Bi(
            "日期须为 YYYY-MM-DD", "a date is YYYY-MM-DD")) from None


def _claim_of(d: dict[str, str], who: Principal) -> SubmitClaim:
    """The claim form as a submission: the rows with an item code are the fee lines."""
    lines = tuple(
        ClaimLineIn(str(i), d[f"code_{i}"].strip(), d.get(f"cnt_{i}", "").strip(),
                    d.get(f"pric_{i}", "").strip(),
                    parse_yuan(d.get(f"amt_{i}", "").strip(), field=f"amt_{i}",
                               allow_zero=True))
        for i in range(1, CLAIM_ROWS + 1) if d.get(f"code_{i}", "").strip())
    return SubmitClaim(
        psn_no=d.get("psn_no") or who.id, insutype=d.get("insutype", ""),
        fixmedins_code=d.get("fixmedins_code", "").strip(), med_type=d.get("med_type", ""),
        begndate=_claim_day(d.get("begndate"), "begndate"),
        enddate=_claim_day(d.get("enddate"), "enddate"),
        dise_codg=d.get("dise_codg", "").strip(), dise_name=d.get("dise_name", "").strip(),
        invoice_no=d.get("invoice_no", "").strip(),
        medfee_sumamt=parse_yuan(d.get("medfee_sumamt", "").strip(), field="medfee_sumamt",
                                 allow_zero=True),
        lines=lines, bank_name=d.get("bank_name", "").strip(),
        bank_acct=d.get("bank_acct", "").strip(), acct_used=d.get("acct_used") != "0")


def _claim_field(e: GongjiError, d: dict[str, str]) -> str | None:
    """The fee-line field a line's refusal is about (the row of its item code or number)."""
    sn, code = str(e.params.get("feedetl_sn", "")), e.params.get("code")
    if e.code == "CATALOG_ITEM_NOT_FOUND":
        return next((f"code_{i}" for i in range(1, CLAIM_ROWS + 1)
                     if d.get(f"code_{i}", "").strip() == code), None)
    if e.code == "FEE_LINE_INVALID" and sn.isdigit():
        return f"cnt_{sn}"
    return None


@router.post("/claims")
async def submit_claim(request: Request) -> Response:
    who = me(request)

    def on_error(e: GongjiError, d: dict[str, str]) -> Response:
        field = _claim_field(e, d)
        extra = {"error_field": field} if field else {}
        return _claims(request, who, error=e, values=d, status=e.spec.http_status, **extra)

    return await attempt(
        request,
        lambda d: claims.submit(services(request), who, d.get("key"), _claim_of(d, who)),
        on_error, lambda w: _told(request, f"/claims/{w.value.claim_id}", "did_claim",
                                  amount=yuan(w.value.medfee_sumamt)))


def _claim(request: Request, who: Principal, claim_id: str, **extra: Any) -> HTMLResponse:
    m = portal.claim(services(request), who, claim_id)
    return page(request, "portal/claim.html", "claim", m.me, c=m.claim, **extra)


@router.get("/claims/{claim_id}")
def claim_page(request: Request, claim_id: str) -> Response:
    return _claim(request, me(request), claim_id)


@router.post("/claims/{claim_id}/withdraw")
async def withdraw_claim(request: Request, claim_id: str) -> Response:
    who = me(request)
    return await attempt(
        request, lambda d: claims.withdraw(services(request), who, d.get("key"), claim_id),
        lambda e, d: _claim(request, who, claim_id, error=e, status=e.spec.http_status),
        lambda w: _told(request, f"/claims/{claim_id}", "did_withdraw_claim"))


# -- public: the site's icon --------------------------------------------------------------------

FAVICON = Path(__file__).parent / "static" / "favicon.ico"


@router.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on every site: a small icon, not a 404 in the logs."""
    return Response(FAVICON.read_bytes(), media_type="image/x-icon",
                    headers={"Cache-Control": "public, max-age=86400"})


# -- public: trace codes -------------------------------------------------------------------

def _me(request: Request, who: Principal | None) -> PersonView | None:
    return portal.me(services(request), who) if who else None


@router.get("/trace")
def trace_page(request: Request) -> Response:
    who = _maybe(request)
    return page(request, "portal/trace.html", "trace", _me(request, who), result=None,
                code_max=TRACE_CODE_MAX)


@router.post("/trace")
async def trace_check(request: Request) -> Response:
    data = await form(request)

    def check() -> Response:
        who = _maybe(request)
        try:
            m = portal.trace(services(request), who or ANONYMOUS, data.get("code", "").strip())
        except GongjiError as e:
            return page(request, "portal/trace.html", "trace", _me(request, who),
                        result=None, error=e, values=data, status=e.spec.http_status,
                        code_max=TRACE_CODE_MAX)
        return page(request, "portal/trace.html", "trace", m.me, result=m.result,
                    values=data, outcome_mark=OUTCOME_MARK.get(m.result.outcome, ""),
                    code_max=TRACE_CODE_MAX)

    return await run_in_threadpool(check)


# -- public: where the wallet is accepted ------------------------------------------------------

PAGE_DIGITS = 5
"""A page number longer than this is refused as it is (the service bounds it further)."""


@router.get("/where")
def where_page(request: Request, area: str = "", q: str = "", page_no: str = Query(
        "1", alias="page")) -> Response:
    """The institutions that take the wallet, by area and name (a GET form: the address names
    an area and a name fragment, never a person)."""
    who = _maybe(request)
    page_text = page_no.strip()
    number = int(page_text) if page_text.isdigit() and len(page_text) <= PAGE_DIGITS else 0
    values = {"area": area.strip()[:6], "q": q.strip()[:50]}
    try:
        m = portal.where(services(request), who or ANONYMOUS, area, q, number)
    except GongjiError as e:
        m = portal.where(services(request), who or ANONYMOUS)
        field = "area" if e.code == "AREA_INVALID" else \
            "q" if e.params.get("fields") == "q" else "page"
        return page(request, "portal/where.html", "where", m.me, status=e.spec.http_status,
                    m=m, error=e, error_field=field, values=values, pager=[])
    pager = [(label, _where_link(area, q, n))
             for label, n in (("prev_page", m.found.page - 1), ("next_page", m.found.page + 1))
             if 1 <= n <= m.found.pages]
    return page(request, "portal/where.html", "where", m.me, m=m, values=values, pager=pager,
                region_name=_region_name(m.areas, lang_of(request)))


def _where_link(area: str, q: str, page_no: int) -> str:
    return "/where?" + urlencode({"area": area.strip(), "q": q.strip(), "page": page_no})


assert set(OUTCOME_MARK) == set(OUTCOME_TEXT), "a trace outcome without its mark"
