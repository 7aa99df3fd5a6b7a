"""Persons log in with their ID number and a one-time code sent to their phone.

The code goes through the pluggable message sender (by default the outbox operators can read,
and in sandbox mode the server log). Codes expire, are used once, and lock after too many
wrong tries; sessions are random bearer tokens stored only as hashes.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from gongji.domain.errors import GongjiError
from gongji.domain.ids import new_id
from gongji.domain.privacy import mask_certno, mask_phone
from gongji.services.access import require_operator
from gongji.services.door import door
from gongji.services.people import service as people
from gongji.services.proxies import service as proxies
from gongji.services.runtime import Gongji
from gongji.services.unit_of_work import SYSTEM, Principal, UnitOfWork
from gongji.store.tables import otps, outbox, sessions

log = logging.getLogger("gongji.auth")
SESSION_PREFIX = "gj_ps_"


@dataclass(frozen=True, slots=True)
class CodeSent:
    phone_masked: str | None
    expires_at: datetime
    resend_after: datetime
    sandbox_code: str | None = None
    """The code itself, in the sandbox only, so a demo page can show it (never in production,
    where only the person's phone has it)."""


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    psn_no: str
    expires_at: datetime


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _rules(uow: UnitOfWork, psn_no: str):  # type: ignore[no-untyped-def]
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
        last = uow.conn.execute(select(otps.c.created_at).where(otps.c.psn_no == p.psn_no)
                                .order_by(otps.c.created_at.desc()).limit(1)).scalar()
        if last is not None and uow.now < last + timedelta(seconds=rules.otp_resend_seconds):
            wait = int((last + timedelta(seconds=rules.otp_resend_seconds) - uow.now)
                       .total_seconds()) + 1
            raise GongjiError("OTP_TOO_SOON", seconds=wait)
        code = "".join(secrets.choice("0123456789") for _ in range(rules.otp_length))
        expires = uow.now + timedelta(seconds=rules.otp_ttl_seconds)
        uow.conn.execute(update(otps).where(otps.c.psn_no == p.psn_no, otps.c.used_at.is_(None))
                         .values(used_at=uow.now))  # a new code replaces any older one
        uow.conn.execute(insert(otps).values(id=new_id(), psn_no=p.psn_no,
                                             code_hash=_h(p.psn_no + code),
                                             expires_at=expires, attempts=0,
                                             created_at=uow.now))
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
        row = uow.conn.execute(select(otps).where(otps.c.psn_no == p.psn_no,
                                                  otps.c.used_at.is_(None),
                                                  otps.c.expires_at > uow.now)
                               .order_by(otps.c.created_at.desc()).limit(1)
                               .with_for_update()).first()
        if row is None:
            return GongjiError("OTP_INVALID")
        if row.attempts >= rules.otp_max_attempts:
            return GongjiError("OTP_LOCKED")
        if not secrets.compare_digest(row.code_hash, _h(p.psn_no + (code or "").strip())):
            # a wrong code is counted (security state) though the login is refused
            uow.conn.execute(update(otps).where(otps.c.id == row.id)
                             .values(attempts=otps.c.attempts + 1))
            return GongjiError("OTP_LOCKED" if row.attempts + 1 >= rules.otp_max_attempts
                               else "OTP_INVALID")
        uow.conn.execute(update(otps).where(otps.c.id == row.id).values(used_at=uow.now))
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        expires = uow.now + timedelta(hours=rules.session_hours)
        uow.conn.execute(insert(sessions).values(token_hash=_h(token), psn_no=p.psn_no,
                                                 created_at=uow.now, expires_at=expires))
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
    row = app.read_conn(lambda c: c.execute(
        select(sessions.c.psn_no, sessions.c.expires_at, sessions.c.revoked_at)
        .where(sessions.c.token_hash == _h(token))).first())
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return None
    return Principal("person", row.psn_no)


@door
def logout(app: Gongji, token: str) -> None:
    def run(uow: UnitOfWork) -> None:
        uow.conn.execute(update(sessions).where(sessions.c.token_hash == _h(token))
                         .values(revoked_at=uow.now))

    app.transact(SYSTEM, run)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: str
    psn_no: str | None
    to_masked: str
    body: str
    created_at: datetime


@door
def read_outbox(app: Gongji, who: Principal, *, psn_no: str | None = None, limit: int = 50
                ) -> list[OutboxMessage]:
    """Messages sent to persons (operators): they carry codes, never personal data."""
    require_operator(who)

    def run(uow: UnitOfWork) -> list[OutboxMessage]:
        q = select(outbox).order_by(outbox.c.created_at.desc(), outbox.c.id.desc()).limit(limit)
        if psn_no:
            q = q.where(outbox.c.psn_no == psn_no)
        return [OutboxMessage(r.id, r.psn_no, r.to_masked, r.body, r.created_at)
                for r in uow.conn.execute(q).all()]

    return app.read(run)


@dataclass(frozen=True, slots=True)
class Me:
    """Who a token belongs to: an operator, or a person with their enrollments and the
    relatives they may act for (亲情账户)."""

    who: Principal
    person: people.PersonView | None = None
    enrollments: tuple[people.Enrollment, ...] = ()
    proxies_held: tuple[proxies.ProxyView, ...] = ()


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
