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
CONSOLE_PREFIX = "gj_cs_"
"""The public prefix of a console session's id (the console's cookie)."""
CONSOLE_SESSION_HOURS = 12
"""How long a console login lasts, in real time (moving the sandbox clock does not end it)."""
NOTE_MAX = 500
"""The longest one-time notice kept with a session."""


@dataclass(frozen=True, slots=True)
class CodeSent:
    """The answer to asking for a code: the same whether or not anyone has the ID number (it
    names no phone), so it tells no one who is registered."""

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
class ConsoleSession:
    """A console login: `id` goes in the cookie (shown once, stored only as its hash)."""

    id: str
    who: Principal
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Visit:
    """Who a page's session belongs to, and the notice left for this page (shown once)."""

    who: Principal
    note: str | None = None


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
