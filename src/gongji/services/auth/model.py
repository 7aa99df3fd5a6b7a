"""What the login doors give: a code sent, a session, who a token belongs to, an outbox
message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gongji.domain.access import Principal
from gongji.services.people.model import Enrollment, PersonView
from gongji.services.proxies.model import ProxyView

SESSION_PREFIX = "gj_ps_"
"""The public prefix of a person's session token (an operator's token starts gj_op_)."""


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


@dataclass(frozen=True, slots=True)
class Me:
    """Who a token belongs to: an operator, or a person with their enrollments and the
    relatives they may act for (亲情账户)."""

    who: Principal
    person: PersonView | None = None
    enrollments: tuple[Enrollment, ...] = ()
    proxies_held: tuple[ProxyView, ...] = ()


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: str
    psn_no: str | None
    to_masked: str
    body: str
    created_at: datetime
