"""What every page shares: templates, language, cookies, CSRF, one-time notices, money and
time formatting."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gongji.api.peer import is_https
from gongji.domain.access import Principal
from gongji.domain.catalog import ratio_text
from gongji.domain.clock import display
from gongji.domain.edge import plain
from gongji.domain.errors import GongjiError
from gongji.domain.money import format_yuan
from gongji.domain.privacy import scrub
from gongji.domain.regions import NATIONAL
from gongji.services.auth import service as auth
from gongji.services.runtime import Gongji
from gongji.web.i18n import LANGS, word

HERE = Path(__file__).parent
log = logging.getLogger("gongji.web")
env = Environment(loader=FileSystemLoader(HERE / "templates"),
                  autoescape=select_autoescape(["html"]), trim_blocks=True,
                  lstrip_blocks=True)

PERSON_COOKIE = "gj_session"
OPERATOR_COOKIE = "gj_console"
LANG_COOKIE = "gj_lang"
ELDER_COOKIE = "gj_elder"
"""长辈模式 (elder mode): larger text, stronger contrast, larger controls; "1" when on."""
CSRF_COOKIE = "gj_csrf"
NEXT_COOKIE = "gj_next"
"""The portal page a visitor asked for before logging in (an institution's authorization
page): gone back to after the login, within NEXT_SECONDS. A cookie, not a URL parameter, so
no address ever carries another."""
NEXT_SECONDS = 900


def next_page(raw: str | None) -> str | None:
    """A page to go back to after the login: a path of this site only (never //host, a
    scheme, a backslash or the login itself)."""
    if not raw or len(raw) > 2000 or not raw.startswith("/") or raw.startswith("//") or \
            "\\" in raw or raw.startswith(("/login", "/logout", "/console")):
        return None
    return raw


def services(request: Request) -> Gongji:
    app: Gongji = request.app.state.services
    return app


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return lang if lang in LANGS else "zh"


def elder_of(request: Request) -> bool:
    return request.cookies.get(ELDER_COOKIE) == "1"


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


_ID_LIKE = re.compile(r"[A-Za-z0-9_.:/@#+=\-]{1,64}")
_OWN_PARAMS = frozenset({"fields", "missing", "reason", "problem", "problems", "errors", "allowed",
                         "until", "limit", "request_id"})
"""Parameters gongji writes itself (field names, reasons, times), never from an address."""


def quiet(err: GongjiError) -> GongjiError:
    """A refusal as a page reached by its address (GET) may show it: the values it repeats
    are shown only when they look like an id or a code. Any other text could have been put in
    a link by someone else (a sentence, a number to call) and reads as ours: it becomes "…"."""
    params = {k: v if not isinstance(v, str) or k in _OWN_PARAMS or _ID_LIKE.fullmatch(v)
              else "…" for k, v in err.params.items()}
    return err if params == err.params else GongjiError(err.code, **params)


def render(request: Request, template: str, *, title: str, status: int = 200,
           **context: Any) -> HTMLResponse:
    lang = lang_of(request)

    def t(key: str, **params: Any) -> str:
        return word(key, lang, **params)

    def err_text(e: GongjiError | None) -> str:
        if e is None:
            return ""
        shown = quiet(e) if request.method == "GET" else e  # a form shows what was typed
        return shown.message if lang == "zh" else shown.message_en

    context.setdefault("values", {})
    context.setdefault("note", getattr(request.state, "note", None))  # from the server only
    context.setdefault("error", None)
    context.setdefault("error_field", None)  # the field an error belongs to: shown beside it
    html = env.get_template(template).render(
        request=request, lang=lang, t=t, yuan=yuan, ratio=ratio_text, when=when, title=title,
        csrf=csrf_token(request), err_text=err_text, new_key=lambda: secrets.token_hex(12),
        path=request.url.path, sandbox=services(request).sandbox, elder=elder_of(request),
        now=display(services(request).clock.now()), national=NATIONAL, **context)
    return HTMLResponse(html, status_code=status)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _console_side(request: Request) -> bool:
    return request.url.path.startswith(("/console", "/cashier"))


def noted(request: Request, url: str, note: str) -> RedirectResponse:
    """Redirect after a form's work with a notice for the next page ("done"): kept with the
    session on the server and shown once, never carried in the URL (a page shows no text from
    its address). Blocking: async handlers run it in a worker thread."""
    session = request.cookies.get(OPERATOR_COOKIE if _console_side(request) else PERSON_COOKIE)
    if session:
        auth.leave_note(services(request), session, note)
    return redirect(url)


def set_cookie(request: Request, response: Response, name: str, value: str,
               **options: Any) -> None:
    """A cookie, Secure when the page was served over HTTPS (api/peer.py: directly, or by a
    trusted proxy), httponly unless said otherwise."""
    options.setdefault("httponly", True)
    response.set_cookie(name, value, secure=is_https(request), **options)


def clear_cookie(request: Request, response: Response, name: str, *, path: str = "/") -> None:
    response.delete_cookie(name, path=path, secure=is_https(request), httponly=True)


PLAIN_FIELDS = frozenset({
    "amount", "medfee_sumamt", "certno", "cert_no", "code", "pin", "old_pin", "psn_no",
    "fixmedins_code", "med_list_codg", "doc_ref", "bank_acct", "invoice_no", "dise_codg",
    "quantity", "year", "month", "day", "a_day", "b_day", "start", "end", "begndate",
    "enddate", "bought_on", "set_to"})
PLAIN_PREFIXES = ("code_", "cnt_", "pric_", "amt_", "trace_")
"""Form fields holding amounts, ID numbers, codes, PINs and dates: typed full-width digits
and letters, 。 and the ideographic space are made plain (domain/edge.py) before any rule
reads them. Names, reasons and other free text are left as typed."""


def plain_form(data: dict[str, str]) -> dict[str, str]:
    return {k: plain(v) if k in PLAIN_FIELDS or k.startswith(PLAIN_PREFIXES) else v
            for k, v in data.items()}


async def form(request: Request) -> dict[str, str]:
    """The posted form, after checking the CSRF token (double-submit cookie), its amounts,
    numbers, codes and dates made plain (plain_form)."""
    data = plain_form({k: str(v) for k, v in (await request.form()).items()})
    sent, expected = data.pop("csrf", ""), request.cookies.get(CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(sent, expected):
        raise GongjiError("FORM_EXPIRED")
    return data


API_PREFIXES = ("/api/", "/fsi/", "/fhir/", "/healthz", "/metrics", "/docs", "/redoc",
                "/openapi.json", "/static/", "/auth/oauth/")


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
        set_cookie(request, response, CSRF_COOKIE, token, samesite="lax")
    chosen = request.query_params.get("lang")
    if chosen in LANGS and chosen != request.cookies.get(LANG_COOKIE):
        set_cookie(request, response, LANG_COOKIE, chosen, samesite="lax",
                   max_age=365 * 86400, httponly=False)
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class LoginNeeded(Exception):
    """A page needs a logged-in person (or operator): send them to the login page."""

    def __init__(self, login_url: str = "/login") -> None:
        super().__init__(login_url)
        self.login_url = login_url


def operator(request: Request) -> Principal:
    """The operator logged in to the console (the cashier uses the same login), by the
    session id in the cookie; found once per request. A page (GET) takes the session's
    one-time notice with it."""
    known: Principal | None = getattr(request.state, "operator", None)
    if known is not None:
        return known
    session = request.cookies.get(OPERATOR_COOKIE)
    found = auth.console_visit(services(request), session,
                               bootstrap=request.app.state.settings.admin_token,
                               take_note=request.method == "GET") if session else None
    if found is None:
        raise LoginNeeded("/console/login")
    request.state.operator = found.who
    if found.note:
        request.state.note = found.note
    return found.who


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
        response = RedirectResponse(exc.login_url, status_code=303)
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if exc.login_url == "/login" and request.method == "GET" and \
                request.url.path != "/" and next_page(wanted):  # home is where a login lands
            set_cookie(request, response, NEXT_COOKIE, wanted, samesite="lax",
                       max_age=NEXT_SECONDS)
        return response

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
