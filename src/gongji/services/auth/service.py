"""Persons log in with their ID number and a one-time code sent to their phone.

The code goes through the pluggable message sender (by default the outbox operators can read,
and in sandbox mode the server log). Codes expire, are used once, and lock after too many
wrong tries; sessions are random bearer tokens stored only as hashes.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_id
from gongji.domain.policy import LoginRules
from gongji.domain.privacy import mask_certno, mask_phone
from gongji.services.access import require_operator
from gongji.services.auth import store
from gongji.services.auth.model import SESSION_PREFIX, CodeSent, Me, OutboxMessage, Session
from gongji.services.door import door
from gongji.services.people import service as people
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork

log = logging.getLogger("gongji.auth")


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _rules(uow: UnitOfWork, psn_no: str) -> LoginRules:
    e = people.basic_enrollment(uow.conn, psn_no)
    return uow.policy(e.insuplc_admdvs if e else "000000").login


@door
def request_code(app: Gongji, certno: str) -> CodeSent:
    """Send a one-time code to the phone of the person with this ID number."""
    def run(uow: UnitOfWork) -> CodeSent:
        p = people.person_by_certno(uow.conn, (certno or "").strip())
        if p is None:
            raise GongjiError("PERSON_NOT_FOUND", psn_no=mask_certno((certno or "").strip()))
        rules = _rules(uow, p.psn_no)
        last = store.last_code_at(uow.conn, p.psn_no)
        if last is not None and uow.now < last + timedelta(seconds=rules.otp_resend_seconds):
            wait = int((last + timedelta(seconds=rules.otp_resend_seconds) - uow.now)
                       .total_seconds()) + 1
            raise GongjiError("OTP_TOO_SOON", seconds=wait)
        code = "".join(secrets.choice("0123456789") for _ in range(rules.otp_length))
        expires = uow.now + timedelta(seconds=rules.otp_ttl_seconds)
        # a new code replaces any older one
        store.replace_code(uow.conn, otp_id=new_id(), psn_no=p.psn_no,
                           code_hash=_h(p.psn_no + code), expires_at=expires, at=uow.now)
        minutes = rules.otp_ttl_seconds // 60
        app.sender.send(uow.conn, psn_no=p.psn_no, phone=p.phone, now=uow.now,
                        body=f"【共济】您的登录验证码是 {code}，{minutes} 分钟内有效，"
                             f"请勿告诉他人。gongji login code {code}, valid {minutes} min.")
        if app.sandbox:
            log.info("sandbox: login code for %s is %s", mask_certno(p.certno), code)
        return CodeSent(mask_phone(p.phone) if p.phone else None, expires,
                        uow.now + timedelta(seconds=rules.otp_resend_seconds),
                        code if app.sandbox else None)

    return app.transact(SYSTEM, run)


@door
def login(app: Gongji, certno: str, code: str) -> Session:
    def check(uow: UnitOfWork) -> Session | GongjiError:
        p = people.person_by_certno(uow.conn, (certno or "").strip())
        if p is None:
            return GongjiError("OTP_INVALID")
        rules = _rules(uow, p.psn_no)
        row = store.open_code(uow.conn, p.psn_no, now=uow.now)
        if row is None:
            return GongjiError("OTP_INVALID")
        if row.attempts >= rules.otp_max_attempts:
            return GongjiError("OTP_LOCKED")
        if not secrets.compare_digest(row.code_hash, _h(p.psn_no + (code or "").strip())):
            # a wrong code is counted (security state) though the login is refused
            store.count_wrong(uow.conn, row.id)
            return GongjiError("OTP_LOCKED" if row.attempts + 1 >= rules.otp_max_attempts
                               else "OTP_INVALID")
        store.use_code(uow.conn, row.id, at=uow.now)
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        expires = uow.now + timedelta(hours=rules.session_hours)
        store.add_session(uow.conn, token_hash=_h(token), psn_no=p.psn_no, at=uow.now,
                          expires_at=expires)
        uow.record("person.login", subject=p.psn_no)
        return Session(token, p.psn_no, expires)

    out = app.transact(SYSTEM, check)
    if isinstance(out, GongjiError):
        raise out
    return out


@door(auth=True)
def authenticate(app: Gongji, token: str) -> Principal | None:
    if not token.startswith(SESSION_PREFIX):
        return None
    now = app.clock.now()
    row = app.read_conn(lambda c: store.session(c, _h(token)))
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return None
    return Principal("person", row.psn_no)


@door
def logout(app: Gongji, token: str) -> None:
    def run(uow: UnitOfWork) -> None:
        store.revoke_session(uow.conn, _h(token), at=uow.now)

    app.transact(SYSTEM, run)


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
