"""What every page shares: templates, language, cookies, CSRF, money and time formatting."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gongji.domain.access import Principal
from gongji.domain.catalog import ratio_text
from gongji.domain.clock import display
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan
from gongji.domain.privacy import scrub
from gongji.domain.regions import NATIONAL
from gongji.services.runtime import Gongji
from gongji.services.tokens.service import authenticate
from gongji.web.i18n import LANGS, word

HERE = Path(__file__).parent
log = logging.getLogger("gongji.web")
env = Environment(loader=FileSystemLoader(HERE / "templates"),
                  autoescape=select_autoescape(["html"]), trim_blocks=True,
                  lstrip_blocks=True)

PERSON_COOKIE = "gj_session"
OPERATOR_COOKIE = "gj_console"
LANG_COOKIE = "gj_lang"
CSRF_COOKIE = "gj_csrf"


def services(request: Request) -> Gongji:
    app: Gongji = request.app.state.services
    return app


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return lang if lang in LANGS else "zh"


def yuan(fen: int | None) -> str:
    return "—" if fen is None else format_yuan(fen)


def when(at: datetime | date | None) -> str:
    if at is None:
        return "—"
    if isinstance(at, datetime):
        return display(at)[:16]
    return at.isoformat()


def csrf_token(request: Request) -> str:
    token: str = request.state.csrf
    return token


def render(request: Request, template: str, *, title: str, status: int = 200,
           **context: Any) -> HTMLResponse:
    lang = lang_of(request)

    def t(key: str, **params: Any) -> str:
        return word(key, lang, **params)

    def err_text(e: GongjiError | None) -> str:
        return "" if e is None else (e.message if lang == "zh" else e.message_en)

    context.setdefault("values", {})
    context.setdefault("error", None)
    context.setdefault("error_field", None)  # the field an error belongs to: shown beside it
    html = env.get_template(template).render(
        request=request, lang=lang, t=t, yuan=yuan, ratio=ratio_text, when=when, title=title,
        csrf=csrf_token(request), err_text=err_text, new_key=lambda: secrets.token_hex(12),
        path=request.url.path, sandbox=services(request).sandbox,
        now=display(services(request).clock.now()), national=NATIONAL, **context)
    return HTMLResponse(html, status_code=status)


def redirect(url: str, *, note: str | None = None) -> RedirectResponse:
    if note:
        url += ("&" if "?" in url else "?") + "note=" + quote(note)
    return RedirectResponse(url, status_code=303)


async def form(request: Request) -> dict[str, str]:
    """The posted form, after checking the CSRF token (double-submit cookie)."""
    data = {k: str(v) for k, v in (await request.form()).items()}
    sent, expected = data.pop("csrf", ""), request.cookies.get(CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(sent, expected):
        raise GongjiError("FORM_EXPIRED")
    return data


API_PREFIXES = ("/api/", "/fsi/", "/fhir/", "/healthz", "/metrics", "/docs", "/redoc",
                "/openapi.json", "/static/")


def is_page(request: Request) -> bool:
    """Pages are everything that is not the API, the gateway, probes or static files."""
    return not request.url.path.startswith(API_PREFIXES)


PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


async def page_middleware(request: Request, call_next: Any) -> Any:
    """Pages get a CSRF secret in a cookie (forms echo it back) and strict headers: no
    framing, no third-party anything, nothing cached (balances are personal)."""
    if not is_page(request):
        return await call_next(request)
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    request.state.csrf = token
    response = await call_next(request)
    if CSRF_COOKIE not in request.cookies:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax")
    chosen = request.query_params.get("lang")
    if chosen in LANGS and chosen != request.cookies.get(LANG_COOKIE):
        response.set_cookie(LANG_COOKIE, chosen, samesite="lax", max_age=365 * 86400)
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class LoginNeeded(Exception):
    """A page needs a logged-in person (or operator): send them to the login page."""

    def __init__(self, login_url: str = "/login") -> None:
        super().__init__(login_url)
        self.login_url = login_url


def operator(request: Request) -> Principal:
    """The operator logged in to the console (the cashier uses the same login); found once
    per request."""
    known: Principal | None = getattr(request.state, "operator", None)
    if known is not None:
        return known
    token = request.cookies.get(OPERATOR_COOKIE)
    who = authenticate(services(request), token,
                       bootstrap=request.app.state.settings.admin_token) if token else None
    if who is None:
        raise LoginNeeded("/console/login")
    request.state.operator = who
    return who


def error_page(request: Request, err: GongjiError) -> HTMLResponse:
    back = "/console" if request.url.path.startswith("/console") else \
        "/cashier" if request.url.path.startswith("/cashier") else "/"
    return render(request, "error.html", title=word("error", lang_of(request)), error=err,
                  back=back, status=err.spec.http_status)


def install_errors(app: FastAPI) -> None:
    """Pages answer errors with a page in the reader's language; the API keeps its JSON."""
    from starlette.exceptions import HTTPException

    api_gongji: Any = app.exception_handlers[GongjiError]
    api_http: Any = app.exception_handlers[HTTPException]
    api_bug: Any = app.exception_handlers[Exception]

    async def on_login_needed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginNeeded)
        return RedirectResponse(exc.login_url, status_code=303)

    async def on_gongji(request: Request, exc: Exception) -> Response:
        if is_page(request) and isinstance(exc, GongjiError):
            return error_page(request, exc)
        response: Response = await api_gongji(request, exc)
        return response

    async def on_http(request: Request, exc: Exception) -> Response:
        if is_page(request) and isinstance(exc, HTTPException):
            code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code)
            if code:
                return error_page(request, GongjiError(code, what=scrub(request.url.path)))
        response: Response = await api_http(request, exc)
        return response

    async def on_bug(request: Request, exc: Exception) -> Response:
        response: Response = await api_bug(request, exc)
        if is_page(request) and hasattr(request.state, "csrf"):
            rid = response.headers.get("X-Request-ID", "")
            try:
                return error_page(request, GongjiError("INTERNAL", request_id=rid))
            except Exception:  # the page itself failed: the plain answer still stands
                log.exception("error page failed")
        return response

    app.add_exception_handler(LoginNeeded, on_login_needed)
    app.add_exception_handler(GongjiError, on_gongji)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_bug)
