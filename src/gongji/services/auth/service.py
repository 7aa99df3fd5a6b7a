"""Persons log in with their ID number and a one-time code sent to their phone; operators
open console sessions with their token.

The code goes through the pluggable message sender (by default the outbox operators can read,
and in sandbox mode the server log). Codes expire, are used once, and lock after too many
wrong tries; the day's codes and wrong tries are limited per ID number and per client address
(domain/login_limits.py). An ID number nobody has is answered as a registered one is, with the
same refusals after it: only the phone of a registered person receives anything. Sessions are
random bearer tokens stored only as hashes, and carry a one-time notice for the next page.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from gongji.domain.certno import parse_certno
from gongji.domain.clock import display
from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_id
from gongji.domain.login_limits import (
    PER_ADDRESS,
    PER_PERSON,
    DailyLimit,
    day_of,
    may_send,
    may_try,
    next_day,
)
from gongji.domain.policy import LoginRules
from gongji.domain.privacy import mask_certno
from gongji.domain.regions import NATIONAL
from gongji.services.access import require_operator
from gongji.services.auth import store
from gongji.services.auth.model import (
    CONSOLE_PREFIX,
    CONSOLE_SESSION_HOURS,
    NOTE_MAX,
    SESSION_PREFIX,
    CodeSent,
    ConsoleSession,
    Me,
    OutboxMessage,
    Session,
    Visit,
)
from gongji.services.door import door
from gongji.services.people import service as people
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from gongji.services.tokens import service as tokens
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork

log = logging.getLogger("gongji.auth")

LIMITS: dict[str, DailyLimit] = {"address": PER_ADDRESS, "person": PER_PERSON}


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _rules(uow: UnitOfWork, psn_no: str) -> LoginRules:
    e = people.basic_enrollment(uow.conn, psn_no)
    return uow.policy(e.insuplc_admdvs if e else NATIONAL).login


def _code_rules(uow: UnitOfWork) -> LoginRules:
    """Sending and checking a code follow the national login rules, whoever the number
    belongs to: an answer that followed the person's region would say there is one."""
    return uow.policy(NATIONAL).login


def _subjects(app: Gongji, certno: str, client: str | None) -> list[tuple[str, str]]:
    """What the attempt counts against, in the order their rows are locked: the client
    address (when known), then the ID number typed; each as a keyed hash."""
    out = [("address", app.sealer.tag(client, context="login address"))] if client else []
    return [*out, ("person", app.sealer.tag(certno, context="login certno"))]


def _over_limit(uow: UnitOfWork, subjects: list[tuple[str, str]], *, sending: bool
                ) -> GongjiError | None:
    day = day_of(uow.now)
    for kind, subject in subjects:
        counts = store.day_counts(uow.conn, day, kind, subject)
        if not (may_send if sending else may_try)(counts, LIMITS[kind]):
            return GongjiError("OTP_DAILY_LIMIT", until=display(next_day(uow.now)))
    return None


@door
def request_code(app: Gongji, certno: str, *, client: str | None = None) -> CodeSent:
    """Send a one-time code to the phone of the person with this ID number, if there is one;
    the answer is the same either way. `client` is the caller's address (counted per day)."""
    def run(uow: UnitOfWork) -> CodeSent:
        typed = parse_certno(certno or "", today=uow.today).certno
        rules = _code_rules(uow)
        subjects = _subjects(app, typed, client)
        refused = _over_limit(uow, subjects, sending=True)
        if refused is not None:
            raise refused
        _, number = subjects[-1]
        last = store.last_sent(uow.conn, number)
        wait_until = last.sent_at + timedelta(seconds=rules.otp_resend_seconds) if last else None
        if wait_until is not None and uow.now < wait_until:
            raise GongjiError("OTP_TOO_SOON",
                              seconds=int((wait_until - uow.now).total_seconds()) + 1)
        if last is None:  # a number not seen for a day: a moment to forget old days' counts
            store.forget_counts(uow.conn, before=uow.today - timedelta(days=1),
                                sent_before=uow.now - timedelta(days=1))
        store.count(uow.conn, day_of(uow.now), subjects, sent=1)
        store.mark_sent(uow.conn, number, at=uow.now)
        expires = uow.now + timedelta(seconds=rules.otp_ttl_seconds)
        resend = uow.now + timedelta(seconds=rules.otp_resend_seconds)
        p = people.person_by_certno(uow.conn, typed)
        if p is None:
            return CodeSent(expires, resend)  # nobody has the number: nothing is sent
        code = "".join(secrets.choice("0123456789") for _ in range(rules.otp_length))
        # a new code replaces any older one
        store.replace_code(uow.conn, otp_id=new_id(), psn_no=p.psn_no,
                           code_hash=_h(p.psn_no + code), expires_at=expires, at=uow.now)
        minutes = rules.otp_ttl_seconds // 60
        app.sender.send(uow.conn, psn_no=p.psn_no, phone=p.phone, now=uow.now,
                        body=f"【共济】您的登录验证码是 {code}，{minutes} 分钟内有效，"
                             f"请勿告诉他人。gongji login code {code}, valid {minutes} min.")
        if app.sandbox:
            log.info("sandbox: login code for %s is %s", mask_certno(p.certno), code)
        return CodeSent(expires, resend, code if app.sandbox else None)

    return app.transact(SYSTEM, run)


@door
def login(app: Gongji, certno: str, code: str, *, client: str | None = None) -> Session:
    """A session for the ID number and its code. A wrong code is counted (against the code,
    the number and the address, for the day) though the login is refused; a number nobody
    has is refused as a wrong code is, and counted the same."""
    def check(uow: UnitOfWork) -> Session | GongjiError:
        typed = parse_certno(certno or "", today=uow.today).certno  # malformed: 422
        rules = _code_rules(uow)
        subjects = _subjects(app, typed, client)
        refused = _over_limit(uow, subjects, sending=False)
        if refused is not None:
            return refused
        _, number = subjects[-1]
        last = store.last_sent(uow.conn, number)
        p = people.person_by_certno(uow.conn, typed)
        row = store.open_code(uow.conn, p.psn_no, now=uow.now) if p is not None else None
        tries = max(last.wrong if last else 0, row.attempts if row else 0)
        if tries >= rules.otp_max_attempts:
            return GongjiError("OTP_LOCKED")
        if p is None or row is None or not secrets.compare_digest(
                row.code_hash, _h(p.psn_no + (code or "").strip())):
            # a wrong code is counted (security state) though the login is refused
            store.count(uow.conn, day_of(uow.now), subjects, wrong=1)
            if last is not None:
                store.count_wrong_try(uow.conn, number)
            if row is not None:
                store.count_wrong(uow.conn, row.id)
            locked = (last is not None or row is not None) and \
                tries + 1 >= rules.otp_max_attempts
            return GongjiError("OTP_LOCKED" if locked else "OTP_INVALID")
        store.use_code(uow.conn, row.id, at=uow.now)
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        expires = uow.now + timedelta(hours=_rules(uow, p.psn_no).session_hours)
        store.add_session(uow.conn, token_hash=_h(token), psn_no=p.psn_no, at=uow.now,
                          expires_at=expires)
        uow.record("person.login", subject=p.psn_no)
        return Session(token, p.psn_no, expires)

    out = app.transact(SYSTEM, check)
    if isinstance(out, GongjiError):
        raise out
    return out


def _person(app: Gongji, token: str) -> tuple[Principal, str | None] | None:
    if not token.startswith(SESSION_PREFIX):
        return None
    now = app.clock.now()
    row = app.read_conn(lambda c: store.session(c, _h(token)))
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return None
    return Principal("person", row.psn_no), row.note


@door(auth=True)
def authenticate(app: Gongji, token: str) -> Principal | None:
    found = _person(app, token)
    return None if found is None else found[0]


def _take(app: Gongji, *, console: bool, key_hash: str, note: str) -> str | None:
    """The notice, cleared as it is taken; None when another page took it first."""
    taken = app.transact(SYSTEM, lambda uow: store.take_note(
        uow.conn, console=console, key_hash=key_hash, text=note))
    return note if taken else None


@door(auth=True)
def visit(app: Gongji, token: str, *, take_note: bool = False) -> Visit | None:
    """The person a page's session belongs to, and (take_note) the notice left for this page,
    cleared as it is shown: a notice is shown once, and only from the server."""
    found = _person(app, token)
    if found is None:
        return None
    who, note = found
    if note is not None and take_note:
        return Visit(who, _take(app, console=False, key_hash=_h(token), note=note))
    return Visit(who)


@door
def logout(app: Gongji, token: str) -> None:
    def run(uow: UnitOfWork) -> None:
        store.revoke_session(uow.conn, _h(token), at=uow.now)

    app.transact(SYSTEM, run)


# -- the console's sessions ---------------------------------------------------------------------

@door
def open_console(app: Gongji, token: str, *, bootstrap: str | None) -> ConsoleSession:
    """An operator logs in to the console with an operator token: a session whose random id
    the cookie carries; the token itself is kept nowhere (UNAUTHENTICATED if it holds no
    one). The session lasts CONSOLE_SESSION_HOURS of real time."""
    who = tokens.authenticate(app, token, bootstrap=bootstrap) if token else None
    if who is None:
        raise GongjiError("UNAUTHENTICATED")
    session_id = CONSOLE_PREFIX + secrets.token_urlsafe(32)
    now = app.wall.now()
    expires = now + timedelta(hours=CONSOLE_SESSION_HOURS)

    def run(uow: UnitOfWork) -> None:
        store.forget_console_sessions(uow.conn, ended_before=now - timedelta(days=1))
        store.add_console_session(uow.conn, id_hash=_h(session_id), token_hash=_h(token),
                                  at=now, expires_at=expires)
        uow.record("console.login", subject=who.id)

    app.transact(who, run)
    return ConsoleSession(session_id, who, expires)


@door(auth=True)
def console_visit(app: Gongji, session_id: str, *, bootstrap: str | None,
                  take_note: bool = False) -> Visit | None:
    """The operator a console session belongs to (None once it is revoked, expired, or its
    token revoked or no longer the bootstrap one), and (take_note) the notice for this page."""
    if not session_id.startswith(CONSOLE_PREFIX):
        return None
    key = _h(session_id)
    row = app.read_conn(lambda c: store.console_session(c, key))
    if row is None or row.revoked_at is not None or app.wall.now() >= row.expires_at:
        return None
    if bootstrap and hmac.compare_digest(row.token_hash, _h(bootstrap)):
        who = Principal("operator", "bootstrap", "admin")
    elif row.operator is not None:
        who = Principal("operator", *row.operator)
    else:
        return None
    if row.note is not None and take_note:
        return Visit(who, _take(app, console=True, key_hash=key, note=row.note))
    return Visit(who)


@door
def close_console(app: Gongji, session_id: str) -> None:
    """Log out of the console: the session is revoked, a copy of the cookie opens nothing."""
    def run(uow: UnitOfWork) -> None:
        store.revoke_console_session(uow.conn, _h(session_id), at=app.wall.now())

    app.transact(SYSTEM, run)


@door(trail=True)
def leave_note(app: Gongji, session: str, text: str) -> None:
    """A one-time notice for the next page of this session (a person's or the console's),
    written after the work it reports and deciding nothing; pages never take one from a URL."""
    console = session.startswith(CONSOLE_PREFIX)
    if not (console or session.startswith(SESSION_PREFIX)):
        return
    app.transact(SYSTEM, lambda uow: store.leave_note(
        uow.conn, console=console, key_hash=_h(session), text=text[:NOTE_MAX]))


@door
def read_outbox(app: Gongji, who: Principal, *, psn_no: str | None = None, limit: int = 50
                ) -> list[OutboxMessage]:
    """Messages sent to persons (operators): they carry codes, never personal data."""
    require_operator(who)
    return app.read(lambda uow: store.outbox_messages(uow.conn, psn_no=psn_no, limit=limit))


@door
def me(app: Gongji, who: Principal) -> Me:
    if who.kind != "person":
        return Me(who)

    def run(uow: UnitOfWork) -> Me:
        return Me(who, people.person(uow.conn, who.id).masked,
                  tuple(people.enrollments_of(uow.conn, who.id)),
                  tuple(p for p in proxies.views_of(uow, who.id)
                        if p.holder_psn_no == who.id))

    return app.read(run, principal=who)
