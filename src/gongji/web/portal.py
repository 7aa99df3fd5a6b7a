"""The family portal: log in, balances, family, wallet, transfers, history, explanations."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gongji.domain.access import Act
from gongji.domain.errors import GongjiError
from gongji.domain.money import parse_yuan
from gongji.domain.relations import NAMES, Relation
from gongji.services import (
    auth,
    contributions,
    family,
    filing,
    people,
    pins,
    proxies,
    tracing,
    transfers,
    wallet,
)
from gongji.services import settlement as settle_svc
from gongji.services.access import authorize
from gongji.services.unit_of_work import Principal, UnitOfWork
from gongji.web.common import (
    PERSON_COOKIE,
    LoginNeeded,
    form,
    lang_of,
    redirect,
    render,
    services,
)
from gongji.web.i18n import word

router = APIRouter(include_in_schema=False)


def me(request: Request) -> Principal:
    token = request.cookies.get(PERSON_COOKIE)
    who = auth.authenticate(services(request), token) if token else None
    if who is None:
        raise LoginNeeded
    return who


def person_view(request: Request, who: Principal) -> people.PersonView:
    return services(request).read(lambda uow: people.person(uow.conn, who.id).masked)


def page(request: Request, template: str, title_key: str, who: Principal | None,
         status: int = 200, **context: Any) -> HTMLResponse:
    me_view = person_view(request, who) if who else None
    return render(request, template, title=word(title_key, lang_of(request)), me=me_view,
                  status=status, **context)


async def attempt(request: Request, action: Callable[[dict[str, str]], Any],
                  on_error: Callable[[GongjiError, dict[str, str]], Response],
                  done: Callable[[Any], Response]) -> Response:
    """Run a form's action in a worker thread; a refusal re-renders the page with it."""
    data = await form(request)
    try:
        result = await run_in_threadpool(action, data)
    except GongjiError as e:
        return on_error(e, data)
    return done(result)


# -- login ---------------------------------------------------------------------------------

@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return page(request, "portal/login.html", "login", None, step="certno")


@router.post("/login/code")
async def login_code(request: Request) -> Response:
    def send(d: dict[str, str]) -> Any:
        return auth.request_code(services(request), d.get("certno", ""))

    return await attempt(
        request, send,
        lambda e, d: page(request, "portal/login.html", "login", None, step="certno",
                          error=e, error_field="certno", status=e.spec.http_status, values=d),
        lambda sent: page(request, "portal/login.html", "login", None, step="code",
                          phone=sent.phone_masked, values={}))


@router.post("/login")
async def login(request: Request) -> Response:
    data = await form(request)
    try:
        s = await run_in_threadpool(auth.login, services(request), data.get("certno", ""),
                                    data.get("code", ""))
    except GongjiError as e:
        return page(request, "portal/login.html", "login", None, step="code", error=e,
                    error_field="code",
                    status=e.spec.http_status, values=data, phone=None)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(PERSON_COOKIE, s.token, httponly=True, samesite="lax",
                        max_age=12 * 3600)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await form(request)
    token = request.cookies.get(PERSON_COOKIE)
    if token:
        await run_in_threadpool(auth.logout, services(request), token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(PERSON_COOKIE)
    return response


# -- home ------------------------------------------------------------------------------------

def _home(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    app = services(request)
    w = wallet.get(app, who, who.id)
    waiting = [t for t in transfers.list_for(app, who, who.id)
               if t.status == "pending" and t.receiver_psn_no == who.id]
    held = [p for p in proxies.list_for(app, who.id)
            if p.holder_psn_no == who.id and p.status == "active"]
    relatives = []
    for p in held:
        relatives.append((p, wallet.get(app, who, p.subject_psn_no),
                          [t for t in transfers.list_for(app, who, p.subject_psn_no)
                           if t.status == "pending" and t.receiver_psn_no == p.subject_psn_no]))
    return page(request, "portal/home.html", "home", who, wallet=w, waiting=waiting,
                relatives=relatives, **extra)


@router.get("/")
def home(request: Request) -> Response:
    return _home(request, me(request))


@router.post("/transfers/{transfer_id}/{action}")
async def respond_transfer(request: Request, transfer_id: str, action: str) -> Response:
    who = me(request)
    if action not in ("accept", "reject", "cancel"):
        raise GongjiError("NOT_FOUND", what=action)
    back = (await request.form()).get("back", "/")
    return await attempt(
        request,
        lambda d: transfers.respond(services(request), who, d.get("key"), transfer_id,
                                    action),  # type: ignore[arg-type]
        lambda e, d: _home(request, who, error=e),
        lambda w: redirect(str(back) if str(back).startswith("/") else "/",
                           note=word("done", _lang(request))))


def _lang(request: Request) -> str:
    return lang_of(request)


# -- family ----------------------------------------------------------------------------------

def _family(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    app = services(request)
    mine = family.list_for(app, who.id)
    region = app.read(lambda uow: people.basic_enrollment(uow.conn, who.id))
    allowed = app.read(lambda uow: sorted(
        r.value for r in uow.policy(region.insuplc_admdvs).mutual_aid.relations)) \
        if region else [r.value for r in Relation]
    relations = [(r, NAMES[Relation(r)]) for r in allowed]
    return page(request, "portal/family.html", "family", who, bindings=mine,
                relations=relations, **extra)


@router.get("/family")
def family_page(request: Request) -> Response:
    return _family(request, me(request), values={})


@router.post("/family/bind")
async def bind(request: Request) -> Response:
    who = me(request)
    return await attempt(
        request,
        lambda d: family.request(services(request), who, d.get("key"), family.RequestBinding(
            other_certno=d.get("certno", ""), other_name=d.get("name", ""),
            my_role=d.get("role", "sponsor"),  # type: ignore[arg-type]
            relation=d.get("relation", ""))),
        lambda e, d: _family(request, who, error=e, values=d, status=e.spec.http_status),
        lambda w: redirect("/family", note=word("done", _lang(request))))


@router.post("/family/{binding_id}/{action}")
async def binding_action(request: Request, binding_id: str, action: str) -> Response:
    who = me(request)

    def run(d: dict[str, str]) -> Any:
        app = services(request)
        if action == "end":
            return family.end(app, who, d.get("key"), binding_id)
        if action in ("consent", "decline"):
            return family.respond(app, who, d.get("key"), binding_id, action == "consent")
        raise GongjiError("NOT_FOUND", what=action)

    return await attempt(request, run,
                         lambda e, d: _family(request, who, error=e, values={},
                                              status=e.spec.http_status),
                         lambda w: redirect("/family", note=word("done", _lang(request))))


# -- wallet ------------------------------------------------------------------------------------

def _wallet(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    app = services(request)
    w = wallet.get(app, who, who.id)
    held = [p for p in proxies.list_for(app, who.id) if p.holder_psn_no == who.id
            and p.status == "active"]
    relatives = [(p, wallet.get(app, who, p.subject_psn_no)) for p in held]
    has_pin = pins.has_pin(app, who.id)
    return page(request, "portal/wallet.html", "wallet", who, wallet=w, relatives=relatives,
                has_pin=has_pin, **extra)


@router.get("/wallet")
def wallet_page(request: Request) -> Response:
    return _wallet(request, me(request))


@router.post("/wallet/{action}")
async def wallet_action(request: Request, action: str) -> Response:
    who = me(request)

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
        if action == "pin":
            return pins.set_pin(app, who, d.get("key"), who.id, d.get("pin", ""),
                                d.get("old_pin") or None)
        raise GongjiError("NOT_FOUND", what=action)

    return await attempt(request, run,
                         lambda e, d: _wallet(request, who, error=e,
                                              status=e.spec.http_status),
                         lambda w: redirect("/wallet", note=word("done", _lang(request))))


# -- transfers ---------------------------------------------------------------------------------

def _transfer(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    app = services(request)
    limits = None
    with contextlib.suppress(GongjiError):  # not enrolled: the page says what is missing
        limits = transfers.limits(app, who, who.id)
    targets = [b for b in family.list_for(app, who.id)
               if b.sponsor_psn_no == who.id and b.status == "active"]
    return page(request, "portal/transfer.html", "transfer", who, limits=limits,
                targets=targets, items=transfers.list_for(app, who, who.id, limit=20),
                values=extra.pop("values", {}), **extra)


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
        lambda e, d: _transfer(request, who, error=e, status=e.spec.http_status,
                               values={k: v for k, v in d.items() if k != "pin"}),
        lambda w: redirect("/transfer", note=word("done", _lang(request))))


# -- history and explanations ----------------------------------------------------------------

@router.get("/history")
def history(request: Request) -> Response:
    who = me(request)
    app = services(request)
    return page(request, "portal/history.html", "history", who,
                items=transfers.list_for(app, who, who.id, limit=100),
                settlements=settle_svc.list_for_person(app, who, who.id),
                paid=contributions.list_for(app, who.id))


@router.get("/settlements/{setl_id}")
def explain(request: Request, setl_id: str) -> Response:
    who = me(request)
    s = settle_svc.get(services(request), who, setl_id)
    return page(request, "portal/explain.html", "explain", who, s=s)


# -- more ----------------------------------------------------------------------------------------

def _more(request: Request, who: Principal, **extra: Any) -> HTMLResponse:
    app = services(request)
    my_filings = filing.list_for(app, who, who.id)
    switch = app.read(lambda uow: filing.switch_on(uow, who.id, "pharmacy_cross_province"))
    my_proxies = proxies.list_for(app, who.id)
    bound = [b for b in family.list_for(app, who.id) if b.status == "active"]
    return page(request, "portal/more.html", "more", who, filings=my_filings, switch=switch,
                proxies=my_proxies, bound=bound, paid=contributions.list_for(app, who.id),
                today=app.clock.now().date(), values=extra.pop("values", {}), **extra)


@router.get("/more")
def more(request: Request) -> Response:
    return _more(request, me(request))


@router.post("/more/{action}")
async def more_action(request: Request, action: str) -> Response:
    who = me(request)

    def run(d: dict[str, str]) -> Any:
        app = services(request)
        key = d.get("key")
        if action == "switch":
            return filing.set_switch(app, who, key, who.id, "pharmacy_cross_province",
                                     d.get("enabled") == "1")
        if action == "filing":
            end = d.get("enddate") or None
            return filing.file(app, who, key, who.id, filing.File(
                d.get("kind", ""), d.get("target", ""), date.fromisoformat(
                    d.get("begndate") or app.clock.now().date().isoformat()),
                date.fromisoformat(end) if end else None))
        if action == "revoke":
            return filing.revoke(app, who, key, d.get("filing_id", ""))
        if action == "contribution":
            return contributions.pay(app, who, key, contributions.PayContribution(
                psn_no=d.get("psn_no", ""), insutype=d.get("insutype", "390"),  # type: ignore[arg-type]
                year=int(d.get("year") or 0), source=d.get("source", "personal"),  # type: ignore[arg-type]
                sponsor_psn_no=d.get("sponsor") or None), d.get("pin", ""))
        if action == "proxy":
            return proxies.request(app, who, key, proxies.RequestProxy(
                d.get("certno", ""), d.get("name", ""), d.get("relation", "")))
        if action in ("proxy-approve", "proxy-decline"):
            return proxies.decide(app, who, key, d.get("proxy_id", ""),
                                  action == "proxy-approve")
        if action == "proxy-end":
            return proxies.end(app, who, key, d.get("proxy_id", ""))
        raise GongjiError("NOT_FOUND", what=action)

    return await attempt(
        request, run,
        lambda e, d: _more(request, who, error=e, status=e.spec.http_status,
                           values={k: v for k, v in d.items() if k != "pin"}),
        lambda w: redirect("/more", note=word("done", _lang(request))))


# -- public: trace codes -------------------------------------------------------------------

@router.get("/trace")
def trace_page(request: Request) -> Response:
    who = _maybe(request)
    return page(request, "portal/trace.html", "trace", who, result=None, values={})


@router.post("/trace")
async def trace_check(request: Request) -> Response:
    who = _maybe(request)
    data = await form(request)
    try:
        result = await run_in_threadpool(tracing.query, services(request),
                                         data.get("code", ""),
                                         asker=who.id if who else None)
    except GongjiError as e:
        return page(request, "portal/trace.html", "trace", who, result=None, error=e,
                    values=data, status=e.spec.http_status)
    return page(request, "portal/trace.html", "trace", who, result=result, values=data)


def _maybe(request: Request) -> Principal | None:
    try:
        return me(request)
    except LoginNeeded:
        return None


def _may(uow: UnitOfWork, who: Principal, psn_no: str) -> None:
    authorize(uow, who, Act.READ, psn_no)
