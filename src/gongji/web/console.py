"""The operator console at /console: regions and rollout, policies, catalogs, institutions,
their keys and transport profiles, relation verification, the message outbox, reports with
charts, ledger verification, the audit log and the sandbox clock.

Pages only translate: a form becomes a service call (every write with the form's idempotency
key), a result or refusal becomes a page. Operators log in with an operator token, which opens
a server-side session; the httponly, same-site-strict cookie carries only the session's id.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import date, datetime
from typing import Any, cast
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from gongji import charts
from gongji.domain.access import Principal
from gongji.domain.clock import SHANGHAI, display
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.mobilepay import ORD_STAS
from gongji.domain.money import format_yuan
from gongji.domain.privacy import scrub
from gongji.domain.regions import NATIONAL
from gongji.domain.transport import CREDENTIAL_KINDS, SCHEMES, CredentialKind, InfcodeAs, Scheme
from gongji.services.audit import service as audit
from gongji.services.auth import service as auth
from gongji.services.auth.model import CONSOLE_SESSION_HOURS
from gongji.services.catalog import service as catalog
from gongji.services.claims import service as claims
from gongji.services.claims.model import LineDecision, Review
from gongji.services.console import service as console
from gongji.services.family import service as family
from gongji.services.institutions import service as institutions
from gongji.services.ledger import service as ledger
from gongji.services.mobilepay import service as mobile_pay
from gongji.services.proxies import service as proxies
from gongji.services.regions import service as regions
from gongji.services.reports import service as reports
from gongji.services.sandbox import service as sandbox
from gongji.services.transport import service as transport
from gongji.services.transport.model import IssueCredential, SetTransport
from gongji.web.common import (
    OPERATOR_COOKIE,
    clear_cookie,
    form,
    lang_of,
    noted,
    operator,
    redirect,
    render,
    services,
    set_cookie,
)
from gongji.web.console_words import CHECK_NAMES, PROBLEMS_ZH
from gongji.web.i18n import word
from gongji.web.jobs import Job, Jobs

router = APIRouter(prefix="/console", include_in_schema=False)

SESSION_SECONDS = CONSOLE_SESSION_HOURS * 3600
MAX_UPLOAD = 20 * 1024 * 1024
"""Largest file a form takes (a national catalog download is a few MB)."""
NAV = (("", "c_dashboard"), ("/regions", "c_regions"), ("/policies", "c_policies"),
       ("/catalog", "c_catalog"), ("/institutions", "c_institutions"), ("/queue", "c_queue"),
       ("/claims", "c_claims"), ("/orders", "c_orders"), ("/outbox", "c_outbox"),
       ("/reports", "c_reports"),
       ("/verify", "c_verify"), ("/audit", "c_audit"), ("/clock", "c_clock"))


def _t(request: Request, key: str, **params: Any) -> str:
    return word(key, lang_of(request), **params)


def page(request: Request, template: str, title_key: str, who: Principal | None, *,
         status: int = 200, **context: Any) -> HTMLResponse:
    return render(request, "console/" + template, title=_t(request, title_key), who=who,
                  nav=NAV, status=status, **context)


async def _operator(request: Request) -> Principal:
    who: Principal = await run_in_threadpool(operator, request)
    return who


def _day(text: str | None, field: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GongjiError("VALIDATION_ERROR", fields=field, rule=Bi(
            "日期格式应为 YYYY-MM-DD", "a date as YYYY-MM-DD")) from None


async def _upload_text(request: Request, field: str, fallback: str) -> str:
    """The text of an uploaded file (UTF-8), or of the textarea when no file was chosen."""
    upload = (await request.form()).get(field)
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise GongjiError("VALIDATION_ERROR", fields=field, rule=Bi(
                "太大：最多 20 MB", "too large: at most 20 MB"))
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise GongjiError("VALIDATION_ERROR", fields=field, rule=Bi(
                "应为 UTF-8 文本", "UTF-8 text")) from None
    return fallback


def _done(request: Request) -> str:
    return _t(request, "done")


# -- login -----------------------------------------------------------------------------------

@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return page(request, "login.html", "c_login", None)


@router.post("/login")
async def login(request: Request) -> Response:
    """The token opens a server-side session: the cookie carries the session's random id,
    never the token, so logging out (or revoking the token) ends it."""
    data = await form(request)
    token = data.get("token", "").strip()
    if token[:7].lower() == "bearer ":  # pasted from the demo's "Authorization: Bearer …"
        token = token[7:].strip()
    try:
        opened = await run_in_threadpool(lambda: auth.open_console(
            services(request), token, bootstrap=request.app.state.settings.admin_token))
    except GongjiError as e:
        return page(request, "login.html", "c_login", None, status=e.spec.http_status,
                    error=e, error_field="token")
    response = RedirectResponse("/console", status_code=303)
    set_cookie(request, response, OPERATOR_COOKIE, opened.id, samesite="strict",
               max_age=SESSION_SECONDS, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await form(request)
    session = request.cookies.get(OPERATOR_COOKIE)
    if session:
        await run_in_threadpool(auth.close_console, services(request), session)
    response = RedirectResponse("/console/login", status_code=303)
    clear_cookie(request, response, OPERATOR_COOKIE)
    return response


# -- dashboard ---------------------------------------------------------------------------------

@router.get("")
def dashboard(request: Request) -> HTMLResponse:
    who = operator(request)
    d = console.dashboard(services(request), who)
    return page(request, "dashboard.html", "c_dashboard", who, waiting=d.waiting,
                institution_count=d.institution_count, claims_to_review=d.claims_to_review,
                claims_to_pay=d.claims_to_pay)


# -- regions and rollout ---------------------------------------------------------------------

@router.get("/regions")
def regions_page(request: Request, day: str = "") -> HTMLResponse:
    who = operator(request)
    app = services(request)
    error, when = None, None
    try:
        when = _day(day, "day")
    except GongjiError as e:
        error = e
    rows = regions.rollout(app, who, day=when)
    provinces = [r for r in rows if r.region.level == "province"]
    pooling = [r for r in rows if r.region.level == "pooling"]
    return page(request, "regions.html", "c_regions", who, provinces=provinces,
                pooling=pooling, day=rows[0].day if rows else None, values={"day": day},
                error=error, error_field="day" if error else None,
                status=error.spec.http_status if error else 200)


# -- policies ----------------------------------------------------------------------------------

def _problems(e: GongjiError, lang: str) -> list[tuple[str, str, str]]:
    """POLICY_INVALID's errors as (path, what is wrong there in the reader's language, and
    as the checker wrote it)."""
    out = []
    for problem in e.params.get("errors") or [e.message_en]:
        path, sep, what = str(problem).partition(": ")
        if not sep or (" " in path.strip() and not path.startswith("YAML")):
            path, what = "—", str(problem)
        out.append((path, _in_chinese(what) if lang == "zh" else what, what))
    return out


def _in_chinese(problem: str) -> str:
    for pattern, zh in PROBLEMS_ZH:
        found = re.fullmatch(pattern, problem.strip(), flags=re.DOTALL)
        if found:
            return zh.format(*found.groups())
    return problem


def _policies(request: Request, who: Principal, *, region: str = NATIONAL, day: str = "",
              check: str | None = None, status: int = 200, **context: Any) -> HTMLResponse:
    errors: dict[str, GongjiError] = {}
    when = None
    try:
        when = _day(day, "day")
    except GongjiError as e:
        errors["day"] = e
    m = console.policies(services(request), who, region, when, check=check)
    if m.region_error is not None:
        errors["region"] = m.region_error
    text = yaml.safe_dump(m.shown.document, allow_unicode=True, sort_keys=False,
                          default_flow_style=None, width=72)
    if "error" not in context and errors:
        field, first = next(iter(errors.items()))
        context.update(error=first, error_field=field)
        status = first.spec.http_status
    context.setdefault("values", {})
    if m.checked is not None:
        context["checked"] = m.checked
    return page(request, "policies.html", "c_policies", who, status=status, shown=m.shown,
                yaml_text=text, versions=m.versions, region=m.shown.admdvs, day=day,
                all_regions=m.regions, **context)


@router.get("/policies")
def policies_page(request: Request, region: str = NATIONAL, day: str = "") -> HTMLResponse:
    return _policies(request, operator(request), region=region.strip() or NATIONAL, day=day)


@router.post("/policies")
async def policies_post(request: Request) -> Response:
    who = await _operator(request)
    data = await form(request)
    app = services(request)
    try:
        text = await _upload_text(request, "file", data.get("text", ""))
        if data.get("action") == "upload":
            stored = await run_in_threadpool(console.upload_policy, app, who, data.get("key"),
                                             text)
            return await run_in_threadpool(
                noted, request, f"/console/policies?region={quote(stored.region)}",
                _t(request, "c_policy_stored", n=stored.count))
        return await run_in_threadpool(_policies, request, who, check=text,
                                       values={"text": text})
    except GongjiError as e:
        problems = _problems(e, lang_of(request)) if e.code == "POLICY_INVALID" else []
        return await run_in_threadpool(
            _policies, request, who, status=e.spec.http_status, error=e,
            error_field="text" if problems else None, problems=problems,
            values={"text": data.get("text", "")})


@router.get("/policies/diff")
def policies_diff(request: Request, a_region: str = NATIONAL, a_day: str = "",
                  b_region: str = "510100", b_day: str = "") -> HTMLResponse:
    who = operator(request)
    app = services(request)
    values = {"a_region": a_region, "a_day": a_day, "b_region": b_region, "b_day": b_day}
    try:
        d = console.policy_diff(app, who, (a_region.strip(), _day(a_day, "a_day")),
                                (b_region.strip(), _day(b_day, "b_day")))
    except GongjiError as e:
        field = str(e.params.get("field") or e.params.get("fields") or "").split(" ")[0]
        return page(request, "policy_diff.html", "c_policy_diff", who, changes=None,
                    values=values, error=e, status=e.spec.http_status,
                    error_field=field if field in values else None,
                    all_regions=regions.all_regions(app, who))
    c = d.comparison
    return page(request, "policy_diff.html", "c_policy_diff", who, changes=c.changes,
                a=(c.left.admdvs, c.left.day), b=(c.right.admdvs, c.right.day),
                values=values, all_regions=d.regions)


# -- catalog import ----------------------------------------------------------------------------

_jobs_lock = threading.Lock()


def _jobs(request: Request) -> Jobs:
    """This app's background jobs (kept on the app, so two apps in one process do not mix)."""
    with _jobs_lock:
        jobs: Jobs | None = getattr(request.app.state, "console_jobs", None)
        if jobs is None:
            jobs = Jobs()
            request.app.state.console_jobs = jobs
        return jobs


def _catalog(request: Request, who: Principal, *, status: int = 200,
             **context: Any) -> HTMLResponse:
    m = console.catalog_page(services(request), who)
    context.setdefault("values", {"region": NATIONAL, "format": "csv",
                                  "begndate": m.today.isoformat()})
    return page(request, "catalog.html", "c_catalog", who, status=status,
                jobs=_jobs(request).recent(), all_regions=m.regions,
                columns=catalog.CSV_COLUMNS, tsv_columns=catalog.TSV_COLUMNS, **context)


@router.get("/catalog")
def catalog_page(request: Request) -> HTMLResponse:
    return _catalog(request, operator(request))


@router.post("/catalog")
async def catalog_import(request: Request) -> Response:
    who = await _operator(request)
    data = await form(request)
    app = services(request)
    region, fmt = data.get("region", "").strip(), data.get("format", "csv")
    field = "file"
    try:
        text = await _upload_text(request, "file", data.get("text", ""))
        field = "begndate"
        start = _day(data.get("begndate"), "begndate")
        field = "file"
        ready = await run_in_threadpool(catalog.prepare_import, app, who, region, text,
                                        fmt=fmt, begndate=start)
    except GongjiError as e:
        if e.code in ("REGION_NOT_FOUND", "ADMDVS_INVALID"):
            field = "region"
        return await run_in_threadpool(
            _catalog, request, who, status=e.spec.http_status, error=e, error_field=field,
            values=data)
    version = (data.get("version") or "").strip()[:40] or "console"

    def work(job: Job) -> catalog.ImportReport:
        return catalog.import_rows(app, who, ready.admdvs, ready.rows, begndate=ready.begndate,
                                   version=version, national=ready.national,
                                   progress=job.advance)

    job = _jobs(request).start(f"{region} · {version}", len(ready.rows), work, app.clock.now)
    return redirect(f"/console/catalog/jobs/{job.id}")


@router.get("/catalog/jobs/{job_id}")
def catalog_job(request: Request, job_id: str) -> HTMLResponse:
    who = operator(request)
    job = _jobs(request).get(job_id)
    if job is None:
        raise GongjiError("NOT_FOUND", what=_t(request, "c_job"))
    # until the job is done the page reloads itself every second (a meta refresh, no script)
    return page(request, "catalog_job.html", "c_import_report", who, job=job)


# -- institutions and keys ---------------------------------------------------------------------

_INSTITUTION_FIELDS = {"INSTITUTION_CODE_INVALID": "fixmedins_code",
                       "INSTITUTION_EXISTS": "fixmedins_code", "ADMDVS_INVALID": "admdvs",
                       "REGION_NOT_FOUND": "admdvs"}


def _institution_field(e: GongjiError) -> str | None:
    if e.code == "VALIDATION_ERROR":
        named = str(e.params.get("fields", ""))
        return named if named in ("hosp_lv", "fixmedins_name") else None
    return _INSTITUTION_FIELDS.get(e.code)


def _institutions(request: Request, who: Principal, *, status: int = 200,
                  **context: Any) -> HTMLResponse:
    m = console.institutions_page(services(request), who)
    context.setdefault("values", {"hosp_lv": "3", "wallet_supported": "1"})
    return page(request, "institutions.html", "c_institutions", who, status=status,
                items=m.items, all_regions=m.regions, **context)


@router.get("/institutions")
def institutions_page(request: Request) -> HTMLResponse:
    return _institutions(request, operator(request))


@router.post("/institutions")
async def institution_register(request: Request) -> Response:
    who = await _operator(request)
    data = await form(request)
    cmd = institutions.RegisterInstitution(
        fixmedins_code=data.get("fixmedins_code", "").strip(),
        fixmedins_name=data.get("fixmedins_name", ""), hosp_lv=data.get("hosp_lv", ""),
        admdvs=data.get("admdvs", "").strip(),
        wallet_supported=data.get("wallet_supported") == "1")
    try:
        w = await run_in_threadpool(institutions.register, services(request), who,
                                    data.get("key"), cmd)
    except GongjiError as e:
        return await run_in_threadpool(
            _institutions, request, who, status=e.spec.http_status, error=e,
            error_field=_institution_field(e), values=data)
    return await run_in_threadpool(noted, request, "/console/institutions",
                                   _t(request, "c_registered", code=w.value.fixmedins_code))


@router.post("/institutions/key")
async def institution_key(request: Request) -> Response:
    who = await _operator(request)
    data = await form(request)
    try:
        w = await run_in_threadpool(institutions.issue_key, services(request), who,
                                    data.get("key"), data.get("fixmedins_code", ""))
    except GongjiError as e:
        return await run_in_threadpool(
            _institutions, request, who, status=e.spec.http_status, error=e)
    return page(request, "key.html", "c_new_key", who, issued=w.value)


# -- an institution's transport profile and credentials ----------------------------------------

_PROFILE_FIELDS = ("scheme", "infcode_as", "relay_opter")
_CREDENTIAL_FIELDS = ("kind", "principal", "password", "peer_public")


def _transport_url(code: str) -> str:
    return f"/console/institutions/{quote(code, safe='')}/transport"


def _transport_field(e: GongjiError, fields: tuple[str, ...]) -> str | None:
    if e.code == "TRANSPORT_PRINCIPAL_TAKEN" and "principal" in fields:
        return "principal"
    named = str(e.params.get("fields", "")) if e.code == "VALIDATION_ERROR" else ""
    return named if named in fields else None


def _transport(request: Request, who: Principal, code: str, *, status: int = 200,
               **context: Any) -> HTMLResponse:
    v = transport.get(services(request), who, code)
    profile = {"scheme": v.scheme, "infcode_as": v.infcode_as, "relay": "1" if v.relay else "",
               "relay_opter": v.relay_opter, "encrypted": "1" if v.encrypted else ""}
    # what was typed in a refused form over what is stored (the other form shows what is)
    context["values"] = {**profile, "kind": "tif", **context.get("values", {})}
    return page(request, "transport.html", "c_transport", who, status=status, view=v,
                code=v.fixmedins_code, schemes=list(SCHEMES), kinds=CREDENTIAL_KINDS,
                **context)


@router.get("/institutions/{code}/transport")
def transport_page(request: Request, code: str) -> HTMLResponse:
    return _transport(request, operator(request), code)


@router.post("/institutions/{code}/transport")
async def transport_save(request: Request, code: str) -> Response:
    who = await _operator(request)
    data = await form(request)
    cmd = SetTransport(scheme=cast(Scheme, data.get("scheme", "")),
                       infcode_as=cast(InfcodeAs, data.get("infcode_as", "")),
                       relay=data.get("relay") == "1", relay_opter=data.get("relay_opter", ""),
                       encrypted=data.get("encrypted") == "1")
    try:
        w = await run_in_threadpool(transport.set_profile, services(request), who,
                                    data.get("key"), code, cmd)
    except GongjiError as e:
        return await run_in_threadpool(
            _transport, request, who, code, status=e.spec.http_status, error=e,
            error_field=_transport_field(e, _PROFILE_FIELDS),
            values={**data, "relay": data.get("relay", ""),
                    "encrypted": data.get("encrypted", "")})
    return await run_in_threadpool(noted, request, _transport_url(code), _t(
        request, "c_transport_saved", code=w.value.fixmedins_code,
        scheme=_t(request, "c_scheme_" + w.value.scheme)))


@router.post("/institutions/{code}/transport/credentials")
async def transport_issue(request: Request, code: str) -> Response:
    """The answer itself shows the new secret, once: it is never put in a URL, a cookie or a
    log, and the page the operator goes on to no longer has it."""
    who = await _operator(request)
    data = await form(request)
    cmd = IssueCredential(kind=cast(CredentialKind, data.get("kind", "")),
                          principal=data.get("principal", "").strip() or None,
                          password=data.get("password") or None,
                          peer_public=data.get("peer_public", "").strip() or None)
    try:
        w = await run_in_threadpool(transport.issue, services(request), who, data.get("key"),
                                    code, cmd)
    except GongjiError as e:
        typed = {k: v for k, v in data.items() if k != "password"}  # a password is not echoed
        return await run_in_threadpool(
            _transport, request, who, code, status=e.spec.http_status, error=e,
            error_field=_transport_field(e, _CREDENTIAL_FIELDS), values=typed)
    return page(request, "transport.html", "c_transport_issued", who, issued=w.value,
                code=w.value.fixmedins_code)


@router.get("/institutions/{code}/transport/credentials")
def transport_issue_again(request: Request, code: str) -> Response:
    """The address a language switch on the answer above reaches: back to the page."""
    operator(request)
    lang = request.query_params.get("lang")
    return redirect(_transport_url(code) + (f"?lang={quote(lang)}" if lang else ""))


@router.post("/institutions/{code}/transport/credentials/{credential_id}/revoke")
async def transport_revoke(request: Request, code: str, credential_id: str) -> Response:
    who = await _operator(request)
    data = await form(request)
    try:
        w = await run_in_threadpool(transport.revoke, services(request), who, data.get("key"),
                                    code, credential_id)
    except GongjiError as e:
        return await run_in_threadpool(
            _transport, request, who, code, status=e.spec.http_status, error=e)
    return await run_in_threadpool(
        noted, request, _transport_url(code),
        _t(request, "c_credential_revoked", principal=w.value.principal))


# -- relation verification queue ---------------------------------------------------------------

def _queue(request: Request, who: Principal, *, status: int = 200,
           **context: Any) -> HTMLResponse:
    q = console.queue(services(request), who)
    return page(request, "queue.html", "c_queue", who, status=status, bindings=q.bindings,
                minors=q.minors, **context)


@router.get("/queue")
def queue_page(request: Request) -> HTMLResponse:
    return _queue(request, operator(request))


@router.post("/queue/binding")
async def queue_binding(request: Request) -> Response:
    who = await _operator(request)
    data = await form(request)
    app, binding_id, action = services(request), data.get("binding_id", ""), data.get("action")

    def run() -> Any:
        if action == "verify":
            return family.verify(app, who, data.get("key"), binding_id,
                                 data.get("evidence", ""))
        if action == "end":
            return family.end(app, who, data.get("key"), binding_id)
        raise GongjiError("VALIDATION_ERROR", fields="action")

    try:
        await run_in_threadpool(run)
    except GongjiError as e:
        field = f"evidence-{binding_id}" if e.params.get("fields") == "evidence" else None
        return await run_in_threadpool(
            _queue, request, who, status=e.spec.http_status, error=e, error_field=field)
    return await run_in_threadpool(noted, request, "/console/queue", _done(request))


@router.post("/queue/proxy")
async def queue_proxy(request: Request) -> Response:
    who = await _operator(request)
    data = await form(request)
    action = data.get("action")
    try:
        if action not in ("approve", "decline"):
            raise GongjiError("VALIDATION_ERROR", fields="action")
        await run_in_threadpool(proxies.decide, services(request), who, data.get("key"),
                                data.get("proxy_id", ""), action == "approve")
    except GongjiError as e:
        return await run_in_threadpool(
            _queue, request, who, status=e.spec.http_status, error=e)
    return await run_in_threadpool(noted, request, "/console/queue", _done(request))


# -- hand claims (手工报销) ----------------------------------------------------------------------

@router.get("/claims")
def claims_page(request: Request) -> HTMLResponse:
    who = operator(request)
    return page(request, "claims.html", "c_claims", who,
                claims=claims.queue(services(request), who))


def _claim_url(claim_id: str) -> str:
    return "/console/claims/" + quote(claim_id, safe="")


def _claim(request: Request, who: Principal, claim_id: str, *, status: int = 200,
           **context: Any) -> HTMLResponse:
    return page(request, "claim.html", "c_claim", who, status=status,
                c=claims.get(services(request), who, claim_id), **context)


@router.get("/claims/{claim_id}")
def claim_page(request: Request, claim_id: str) -> HTMLResponse:
    return _claim(request, operator(request), claim_id)


def _decisions(data: dict[str, str]) -> tuple[LineDecision, ...]:
    """Each line's admitted quantity (cnt-<sn>) and reason (why-<sn>) as the form sent them."""
    return tuple(LineDecision(k[4:], v.strip(), data.get("why-" + k[4:], ""))
                 for k, v in data.items() if k.startswith("cnt-"))


@router.post("/claims/{claim_id}/{action}")
async def claim_action(request: Request, claim_id: str, action: str) -> Response:
    """Review (approve with each line's admitted quantity, or refuse with a reason), pay, or
    cancel an approved claim before payment."""
    who = await _operator(request)
    data = await form(request)
    app, key = services(request), data.get("key")

    def run() -> Any:
        if action == "review":
            approve = data.get("decision") == "approve"
            return claims.review(app, who, key, claim_id, Review(
                approve, _decisions(data) if approve else (), data.get("reason", "")))
        if action == "pay":
            return claims.pay(app, who, key, claim_id)
        if action == "cancel":
            return claims.cancel(app, who, key, claim_id, data.get("cancel_reason", ""))
        raise GongjiError("NOT_FOUND", what=action)

    try:
        await run_in_threadpool(run)
    except GongjiError as e:
        sn = str(e.params.get("feedetl_sn", ""))
        field = ("cancel_reason" if action == "cancel" else "reason") \
            if e.code == "CLAIM_REFUSE_REASON" else \
            f"cnt-{sn}" if e.code == "CLAIM_REVIEW_INVALID" and f"cnt-{sn}" in data else None
        values = {k: v for k, v in data.items() if k not in ("key", "csrf")}
        return await run_in_threadpool(
            _claim, request, who, claim_id, status=e.spec.http_status, error=e,
            error_field=field, values=values)
    return await run_in_threadpool(noted, request, _claim_url(claim_id), _done(request))


# -- online orders -------------------------------------------------------------------------------

@router.get("/orders")
def orders_page(request: Request) -> HTMLResponse:
    who = operator(request)
    return page(request, "orders.html", "c_orders", who,
                desk=mobile_pay.desk(services(request), who), ord_stas=ORD_STAS)


@router.post("/orders/reconcile")
async def orders_reconcile(request: Request) -> Response:
    """Finish at once the orders a crash or a silent channel left paying."""
    who = await _operator(request)
    await form(request)
    done = await run_in_threadpool(mobile_pay.reconcile_now, services(request), who)
    return await run_in_threadpool(noted, request, "/console/orders",
                                   _t(request, "c_orders_reconciled", n=done))


# -- outbox ------------------------------------------------------------------------------------

@router.get("/outbox")
def outbox_page(request: Request) -> HTMLResponse:
    who = operator(request)
    # the messages carry codes, not personal data; scrub anyway, so nothing that looks like an
    # ID or phone number can reach the page whatever a future message says
    messages = [replace(msg, body=scrub(msg.body))
                for msg in auth.read_outbox(services(request), who, limit=100)]
    return page(request, "outbox.html", "c_outbox", who, messages=messages)


# -- reports -----------------------------------------------------------------------------------

def _short(d: date) -> str:
    return d.strftime("%m-%d")


def _yuan_axis(fen: int) -> str:
    return format_yuan(fen)


@router.get("/reports")
def reports_page(request: Request, start: str = "", end: str = "",
                 month: str = "") -> HTMLResponse:
    who = operator(request)
    values = {"start": start, "end": end, "month": month}
    try:
        o = reports.overview(services(request), who, start=_day(start, "start"),
                             end=_day(end, "end"), month=month.strip() or None)
    except GongjiError as e:
        named = str(e.params.get("fields", "")).split(" ")[0]
        return page(request, "reports.html", "c_reports", who, status=e.spec.http_status,
                    error=e, error_field=named if named in values else None, values=values,
                    ready=False)

    def t(key: str, **params: Any) -> str:
        return _t(request, key, **params)

    empty = t("c_no_data")
    span = f"{o.first.isoformat()} – {o.last.isoformat()}"
    chart = {
        "opened": charts.bar_chart(
            [(_short(d.day), d.count) for d in o.opened], uid="c-opened",
            title=t("c_rep_opened"), desc=span, empty_text=empty),
        "transfers": charts.bar_chart(
            [(_short(d.day), d.count) for d in o.per_day], uid="c-transfers",
            title=t("c_rep_transfers"), desc=span, empty_text=empty),
        "amounts": charts.line_chart(
            [(_short(d.day), d.amount) for d in o.per_day], uid="c-amounts",
            title=t("c_rep_amounts"), desc=f"{span} ({t('yuan')})", value_text=_yuan_axis,
            unit=100, empty_text=empty),
        "outcomes": charts.bar_chart(
            [(t("st_" + x.status), x.count) for x in o.outcomes], uid="c-outcomes",
            title=t("c_rep_outcomes"), desc=span, empty_text=empty),
        "outlays": charts.bar_chart(
            [(r.admdvs, r.fund_pay_sumamt) for r in o.by_region], uid="c-outlays",
            title=t("c_rep_outlays"), desc=f"{span} ({t('yuan')})", value_text=_yuan_axis,
            unit=100, empty_text=empty),
        "clearing": charts.bar_chart(
            [(f"{p.insuplc_admdvs}→{p.mdtrtarea_admvs}", p.clearing_amt) for p in o.pairs],
            uid="c-clearing", title=t("c_rep_clearing", month=o.month),
            desc=f"{o.month} ({t('yuan')})", value_text=_yuan_axis, unit=100,
            empty_text=empty),
    }
    return page(request, "reports.html", "c_reports", who, values=values, ready=True,
                first=o.first, last=o.last, month=o.month, opened=o.opened,
                per_day=o.per_day, outcomes=o.outcomes, security=o.security,
                since_start=o.since_start, by_region=o.by_region, pairs=o.pairs,
                positions=o.positions,
                charts={k: Markup(v) for k, v in chart.items()})  # noqa: S704 - built by charts.py, every text escaped there


# -- ledger verification -----------------------------------------------------------------------

@router.get("/verify")
def verify_page(request: Request, run: str = "") -> HTMLResponse:
    who = operator(request)
    report = ledger.verify(services(request), who) if run else None
    return page(request, "verify.html", "c_verify", who, report=report,
                check_names=CHECK_NAMES)


# -- audit log ---------------------------------------------------------------------------------

def _audit(request: Request, who: Principal, values: dict[str, str]) -> HTMLResponse:
    app = services(request)
    # what was typed is shown back masked: an ID or phone number typed by mistake stays off
    # the page (the search itself matches subjects as they were stored: masked)
    shown = {k: scrub(v) for k, v in values.items()}
    raw_page = (values.get("page") or "1").strip()
    try:
        q = audit.AuditQuery(subject=values.get("subject", ""),
                             action=values.get("action", ""),
                             start=_day(values.get("start"), "start"),
                             end=_day(values.get("end"), "end"),
                             page=int(raw_page) if raw_page.isdigit() else 0)
        found = audit.search(app, who, q)
    except GongjiError as e:
        named = str(e.params.get("fields", "")).split(" ")[0]
        return page(request, "audit.html", "c_audit", who, status=e.spec.http_status,
                    error=e, error_field=named if named in values else None, values=shown,
                    found=None, actions=audit.actions(app, who))
    return page(request, "audit.html", "c_audit", who, values=shown, found=found,
                actions=found.actions)


@router.get("/audit")
def audit_page(request: Request) -> HTMLResponse:
    return _audit(request, operator(request), {})


@router.post("/audit")
async def audit_search(request: Request) -> HTMLResponse:
    """A search is posted (not put in the address), so whatever is typed into it stays out
    of URLs, history and logs."""
    who = await _operator(request)
    data = await form(request)
    values = {k: data.get(k, "") for k in ("subject", "action", "start", "end", "page")}
    result: HTMLResponse = await run_in_threadpool(_audit, request, who, values)
    return result


# -- sandbox clock -----------------------------------------------------------------------------

UNITS = {"minutes": 60, "hours": 3600, "days": 86400}


def _clock(request: Request, who: Principal, *, status: int = 200,
           **context: Any) -> HTMLResponse:
    c = console.clock(services(request), who)
    context.setdefault("values", {"set_to": c.now.strftime("%Y-%m-%dT%H:%M"), "amount": "1",
                                  "unit": "hours"})
    return page(request, "clock.html", "c_clock", who, status=status, on=c.on,
                business_now=display(c.now), jumps=c.jumps, units=UNITS, **context)


@router.get("/clock")
def clock_page(request: Request) -> HTMLResponse:
    return _clock(request, operator(request))


def _move(request: Request, who: Principal, data: dict[str, str]
          ) -> tuple[datetime, list[str], bool]:
    app = services(request)
    key = data.get("key")
    if data.get("action") == "advance":
        try:
            amount = int(data.get("amount", "").strip())
        except ValueError:
            raise GongjiError("VALIDATION_ERROR", fields="amount") from None
        unit = UNITS.get(data.get("unit", ""))
        if unit is None:
            raise GongjiError("VALIDATION_ERROR", fields="unit")
        return sandbox.move_once(app, who, key, seconds=amount * unit)
    try:
        target = datetime.fromisoformat(data.get("set_to", "").strip())
    except ValueError:
        raise GongjiError("VALIDATION_ERROR", fields="set_to") from None
    if target.tzinfo is None:
        target = target.replace(tzinfo=SHANGHAI)  # the form's time is Shanghai wall time
    return sandbox.move_once(app, who, key, to=target)


@router.post("/clock")
async def clock_move(request: Request) -> Response:
    who = await _operator(request)
    data = await form(request)
    try:
        now, returned, _replayed = await run_in_threadpool(_move, request, who, data)
    except GongjiError as e:
        named = str(e.params.get("fields", "")).split(" ")[0]
        if e.code == "VALIDATION_ERROR" and named.startswith("advance"):
            named = "amount"
        if e.code == "CLOCK_BACKWARDS":
            named = "set_to"
        return await run_in_threadpool(
            _clock, request, who, status=e.spec.http_status, error=e,
            error_field=named or None, values=data)
    note = _t(request, "c_clock_moved", now=display(now), n=len(returned))
    return await run_in_threadpool(noted, request, "/console/clock", note)

